"""Signed evidence through the real CLI as a subprocess: a --sim pass signed at its end with an
OpenSSH key from the key file, verified by its public key; the statement reads as simulator
evidence; an edit after signing is exit 8; a stranger's key is exit 9."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .cli import cli, run_folders

pytestmark = pytest.mark.e2e


def keypair(folder: Path, name: str) -> tuple[Path, Path]:
    key = Ed25519PrivateKey.generate()
    private, public = folder / name, folder / f"{name}.pub"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
    )
    return private, public


def test_a_signed_pass_verifies_and_an_edit_does_not(isolated_environment: Path) -> None:
    private, public = keypair(isolated_environment, "ci")
    ran = cli("run", "--sim", "--sign-key", str(private), cwd=isolated_environment)
    assert ran.code == 0, ran.output
    assert "signed" in ran.stderr and "SHA256:" in ran.stderr
    (folder,) = run_folders(isolated_environment / "evidence")
    verified = cli("verify", str(folder), "--key", str(public), "--json", cwd=isolated_environment)
    assert verified.code == 0, verified.output
    assert json.loads(verified.stdout)["target_kind"] == "simulator"
    envelope = json.loads((folder / "attestation.intoto.json").read_text())
    statement = json.loads(base64.b64decode(envelope["payload"]))
    assert statement["predicate"]["jainamValidate"]["targetKind"] == "simulator"
    text = json.dumps(statement)
    assert str(isolated_environment) not in text  # no absolute path of this machine
    gate = cli("verify", str(folder), "--key", str(public), "--require-target", "live",
               cwd=isolated_environment)  # fmt: skip
    assert gate.code == 1
    _, stranger = keypair(isolated_environment, "stranger")
    assert cli("verify", str(folder), "--key", str(stranger), cwd=isolated_environment).code == 9
    (folder / "samples" / "holdings.json").write_text("[]\n")
    edited = cli("verify", str(folder), "--key", str(public), cwd=isolated_environment)
    assert edited.code == 8 and "samples/holdings.json" in edited.stderr
