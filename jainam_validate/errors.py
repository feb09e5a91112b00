"""Exit codes and the one exception tree of jainam-validate.

Every failure the core can report is a :class:`JainamError` subclass that carries its exit
code (docs/contract.md "Exit codes"); the CLI translates them to exit codes in exactly one
place. Messages are one line, say what to do next, and never hold a secret, token or raw
identifier::

    JainamError (2)
    ├── UsageError (2)            bad flag or value
    │   ├── PassphraseNeeded (2)  an encrypted signing key, and no passphrase given
    │   ├── ConfigError (2)       unreadable/malformed .env, inconsistent configuration
    │   │   ├── MissingCredential (2)
    │   │   └── KeyringError (2)      the OS keyring refused
    │   ├── NotAnXtsApi (2)       the base URL answers the login route with HTML or 404
    │   └── ReadOnlyViolation (2) a route outside the read-only allow-list was about to be sent
    ├── BrokerError (1)           the broker answered, but not with a usable result
    ├── InternalError (1)         a bug in the harness; reported by type and place only
    ├── AuthError (3)             the broker rejected the credentials or the session token
    ├── UnreachableError (4)      no HTTP response was ever received (DNS, connect, TLS, timeout)
    ├── LeakDetected (7)          the leak guard stopped an artifact from being written
    ├── TamperedError (8)         verify: a run folder was edited or is inconsistent
    ├── SignatureError (9)        verify: a signature is missing or not trusted
    └── RequirementError (1)      verify: verified, but not what --require-... asks
"""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path
from typing import ClassVar


class ExitCode(IntEnum):
    """Process exit codes; the table in README.md and docs/contract.md."""

    OK = 0
    CHECKS_FAILED = 1
    USAGE = 2
    AUTH = 3
    UNREACHABLE = 4
    INCONCLUSIVE = 5
    LEAK = 7
    TAMPERED = 8  # verify only
    UNTRUSTED = 9  # verify only
    INTERRUPTED = 130


#: When several outcomes apply, the first of these wins (docs/contract.md "Exit codes").
EXIT_PRECEDENCE: tuple[ExitCode, ...] = (
    ExitCode.INTERRUPTED,
    ExitCode.LEAK,
    ExitCode.USAGE,
    ExitCode.AUTH,
    ExitCode.UNREACHABLE,
    ExitCode.CHECKS_FAILED,
    ExitCode.INCONCLUSIVE,
)


def worst_exit(codes: list[ExitCode]) -> ExitCode:
    """The code that wins by the precedence of docs/contract.md; OK when ``codes`` is empty."""
    for code in EXIT_PRECEDENCE:
        if code in codes:
            return code
    return ExitCode.OK


class JainamError(Exception):
    """Base class of every error the harness reports to a user. ``run_dir`` is the run folder
    the pass wrote before it stopped, when there is one (the terminal and ``--json`` name it)."""

    exit_code: ClassVar[ExitCode] = ExitCode.USAGE
    run_dir: Path | None = None


class UsageError(JainamError):
    """A flag or value the user gave cannot be used."""


class PassphraseNeeded(UsageError):
    """A signing key is encrypted and no passphrase was given (a terminal may ask for it)."""


class ConfigError(UsageError):
    """The configuration (.env, environment, keyring) is unreadable or inconsistent."""


class MissingCredential(ConfigError):
    """A credential the command needs is set nowhere (env, .env, keyring)."""

    @classmethod
    def for_variable(cls, name: str) -> MissingCredential:
        return cls.for_variables([name])

    @classmethod
    def for_variables(cls, names: list[str]) -> MissingCredential:
        """Every missing name at once, so one edit of .env fixes them all."""
        listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        it, verb = ("it", "is") if len(names) == 1 else ("them", "are")
        return cls(
            f"{listed} {verb} not set: put {it} in the environment or .env, or run "
            "`jainam-validate store-creds`; or use --sim to run against the built-in simulator"
        )


class KeyringError(ConfigError):
    """The OS keyring refused to store or give a value (the value is never in the message)."""


class NotAnXtsApi(UsageError):
    """The configured base URL does not answer like an XTS API (HTML page or 404 on login)."""


class ReadOnlyViolation(UsageError):
    """The client was asked to send a request outside its read-only allow-list."""


class BrokerError(JainamError):
    """The broker answered, but not with a usable result (5xx, HTML, unexpected shape)."""

    exit_code = ExitCode.CHECKS_FAILED


class InternalError(JainamError):
    """An unexpected exception inside the harness (a bug). Its message is never shown: it
    could quote broker data; only the exception type and where it was raised are."""

    exit_code = ExitCode.CHECKS_FAILED
    original: BaseException | None = None

    @classmethod
    def from_exception(cls, exc: BaseException) -> InternalError:
        import traceback
        from pathlib import Path

        frames = traceback.extract_tb(exc.__traceback__)
        where = f" in {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
        error = cls(
            f"internal error: {type(exc).__name__}{where}; details are not shown because they "
            "could hold broker data; please report it with this line"
        )
        error.original = exc  # shown only under the CLI's hidden --traceback
        return error


class AuthError(JainamError):
    """The broker rejected the credentials or the session token."""

    exit_code = ExitCode.AUTH


class UnreachableError(JainamError):
    """No HTTP response was ever received: DNS, connect, TLS failure or a timeout."""

    exit_code = ExitCode.UNREACHABLE


class LeakDetected(JainamError):
    """The leak guard found a secret or raw identifier in an artifact about to be written."""

    exit_code = ExitCode.LEAK
    artifact: str = ""

    @classmethod
    def at(cls, artifact: str, rule: str, position: int) -> LeakDetected:
        leak = cls(
            f"leak guard: {artifact} was not written: rule {rule!r} matched at offset {position}; "
            "the run stopped (report this as a redaction bug)"
        )
        leak.artifact = artifact
        return leak


class TamperedError(JainamError):
    """``verify``: a run folder's files differ from what its checksums, attestation or logs
    say (the message names the first difference)."""

    exit_code = ExitCode.TAMPERED


class SignatureError(JainamError):
    """``verify``: an attestation is missing, or no signature on it is by a trusted key."""

    exit_code = ExitCode.UNTRUSTED


class RequirementError(JainamError):
    """``verify``: the folder is what it claims, but not what ``--require-target`` or
    ``--require-pass`` asks for."""

    exit_code = ExitCode.CHECKS_FAILED
