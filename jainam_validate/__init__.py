"""jainam-validate: a harness that proves, with evidence, that an integration with Jainam's
Symphony XTS interactive and market-data APIs works before a release. The package holds a thin
Typer layer (``cli``) over a typed core (settings, client, redaction, evidence) and an
XTS-compatible simulator that serves the same API on loopback."""

__version__ = "0.1.0"
