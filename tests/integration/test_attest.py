"""Signed evidence (issue 16): ``run --sign-key`` and ``attest`` sign a sealed run folder, and
``verify`` proves it unedited and consistent, through the real command line in process. Each
tamper a release gate must catch exits 8 naming what differs; a missing or untrusted signature
exits 9 when one is required; a replay is not live evidence; a secret in the statement is never
signed. One test checks an envelope with nothing of the project: json, base64, cryptography."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from typer.testing import CliRunner, Result

from jainam_validate.cli import app

CASSETTE = Path(__file__).resolve().parents[1] / "fixtures" / "cassettes" / "investor"


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200", **(env or {})})


def write_key(folder: Path, name: str) -> tuple[Path, Path]:
    key = Ed25519PrivateKey.generate()
    private = folder / name
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
    )
    public = folder / f"{name}.pub"
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
        + f" {name}\n".encode()
    )
    return private, public


@pytest.fixture(scope="module")
def signed_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A whole --sim pass, signed at its end: (run folder, private key, public key)."""
    root = tmp_path_factory.mktemp("signed")
    private, public = write_key(root, "ci")
    result = invoke("run", "--sim", "--evidence-dir", str(root / "ev"), "--sign-key", str(private))
    assert result.exit_code == 0, result.output
    (folder,) = (p.parent for p in (root / "ev").glob("*/run.json"))
    return folder, private, public


@pytest.fixture
def run(signed_run: tuple[Path, Path, Path], tmp_path: Path) -> tuple[Path, Path, Path]:
    folder, private, public = signed_run
    copy = tmp_path / folder.name
    shutil.copytree(folder, copy)
    return copy, private, public


def reseal(folder: Path) -> None:
    lines = []
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        _, name = line.split("  ", 1)
        lines.append(f"{hashlib.sha256((folder / name).read_bytes()).hexdigest()}  {name}")
    (folder / "SHA256SUMS").write_text("\n".join(lines) + "\n")


def statement_of(folder: Path) -> dict:  # type: ignore[type-arg]
    env = json.loads((folder / "attestation.intoto.json").read_text())
    return json.loads(base64.b64decode(env["payload"]))


def test_a_signed_sim_pass_verifies_and_reads_as_simulator_evidence(
    run: tuple[Path, Path, Path],
) -> None:
    folder, _, public = run
    result = invoke("verify", str(folder), "--key", str(public), "--require-signed", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["target_kind"] == "simulator" and len(doc["trusted_signers"]) == 1
    stmt = statement_of(folder)
    assert stmt["_type"] == "https://in-toto.io/Statement/v1"
    assert stmt["predicateType"] == "https://in-toto.io/attestation/test-result/v0.1"
    predicate = stmt["predicate"]
    assert predicate["result"] == "PASSED"
    assert predicate["jainamValidate"]["targetKind"] == "simulator"
    assert "live_capture" in predicate["jainamValidate"]["notApplicable"]
    run_config = next(c for c in predicate["configuration"] if c["name"] == "run-config")
    assert run_config["annotations"]["targetKind"] == "simulator"
    names = {s["name"] for s in stmt["subject"]}
    assert {"run.json", "timings.jsonl", "report.md", "SHA256SUMS"} <= names
    assert "attestation.intoto.json" not in names


def test_the_envelope_checks_out_with_json_base64_and_cryptography_alone(
    run: tuple[Path, Path, Path],
) -> None:
    folder, _, public = run
    env = json.loads((folder / "attestation.intoto.json").read_text())
    payload = base64.b64decode(env["payload"])
    kind = env["payloadType"].encode()
    pae = b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)
    key = serialization.load_ssh_public_key(public.read_bytes())
    assert isinstance(key, Ed25519PublicKey)
    key.verify(base64.b64decode(env["signatures"][0]["sig"]), pae)  # raises if not valid
    # and every subject digest is the file's
    for subject in json.loads(payload)["subject"]:
        data = (folder / subject["name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == subject["digest"]["sha256"]


def test_a_countersignature_is_a_second_signature_on_the_same_statement(
    run: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    folder, _, ci_public = run
    owner, owner_public = write_key(tmp_path, "owner")
    before = statement_of(folder)
    result = invoke("attest", str(folder), "--countersign", "--sign-key", str(owner))
    assert result.exit_code == 0, result.output
    assert statement_of(folder) == before
    env = json.loads((folder / "attestation.intoto.json").read_text())
    assert len(env["signatures"]) == 2
    both = invoke(
        "verify", str(folder), "--key", str(ci_public), "--key", str(owner_public), "--json"
    )
    assert len(json.loads(both.stdout)["trusted_signers"]) == 2
    again = invoke("attest", str(folder), "--countersign", "--sign-key", str(owner))
    assert again.exit_code == 0
    assert len(json.loads((folder / "attestation.intoto.json").read_text())["signatures"]) == 2


TAMPERS = {
    # tamper: what verify names without an attestation (the consistency checks reach it)
    "edit run.json, then report": "flows.holdings",
    "edit a timing, then fix SHA256SUMS": "flows.",
    "edit report.md, then fix SHA256SUMS": "report.md differs",
    "edit a check, then report": "check flow:holdings",
    "edit the verdict, then report": "verdict",
    "add a file": "not in SHA256SUMS",
    "remove a file": "missing",
    "edit a sample": "differs from its SHA256SUMS digest",
}


def tamper_with(folder: Path, tamper: str) -> None:
    data = json.loads((folder / "run.json").read_text())
    if tamper == "edit run.json, then report":
        data["flows"]["holdings"]["p95_ms"] = 1.0
    elif tamper == "edit a check, then report":
        data["checks"]["flow:holdings"]["status"] = "fail"
    elif tamper == "edit the verdict, then report":
        data["verdict"] = "FAIL"
    if tamper.endswith("then report"):
        (folder / "run.json").write_text(json.dumps(data, indent=2))
        assert invoke("report", str(folder)).exit_code == 0  # ...the folder checks out again
    elif tamper == "edit a timing, then fix SHA256SUMS":
        lines = (folder / "timings.jsonl").read_text().splitlines()
        record = json.loads(lines[2])
        record["sample_ms"] = 1.0  # what the statistics are made of
        lines[2] = json.dumps(record)
        (folder / "timings.jsonl").write_text("\n".join(lines) + "\n")
        reseal(folder)
    elif tamper == "edit report.md, then fix SHA256SUMS":
        text = (folder / "report.md").read_text()
        (folder / "report.md").write_text(text.replace("**PASS**", "**PASS** (checked)"))
        reseal(folder)
    elif tamper == "add a file":
        (folder / "samples" / "extra.json").write_text("{}")
    elif tamper == "remove a file":
        (folder / "samples" / "holdings.json").unlink()
    else:
        (folder / "samples" / "positions.json").write_text("{}")


@pytest.mark.parametrize("tamper", sorted(TAMPERS))
def test_each_tamper_of_a_signed_folder_exits_8(tamper: str, run: tuple[Path, Path, Path]) -> None:
    folder, _, public = run
    tamper_with(folder, tamper)
    result = invoke("verify", str(folder), "--key", str(public))
    assert result.exit_code == 8, result.output
    # a resealed edit no longer matches the signed digests; an unsealed one, SHA256SUMS
    assert "not what the attestation signed" in result.stderr or "SHA256SUMS" in result.stderr


@pytest.mark.parametrize("tamper", sorted(TAMPERS))
def test_each_tamper_of_an_unsigned_folder_is_found_by_consistency(
    tamper: str, run: tuple[Path, Path, Path]
) -> None:
    # without the attestation the signed digests cannot help: the logs and the report must
    folder, _, _ = run
    (folder / "attestation.intoto.json").unlink()
    tamper_with(folder, tamper)
    result = invoke("verify", str(folder))
    assert result.exit_code == 8, result.output
    assert TAMPERS[tamper] in result.stderr


def test_a_resealed_edit_is_caught_by_the_signature_subjects(run: tuple[Path, Path, Path]) -> None:
    # even unsigned trust: the attestation's digests no longer match the resealed folder
    folder, _, _ = run
    text = (folder / "report.md").read_text()
    (folder / "report.md").write_text(text + "\n")
    reseal(folder)
    result = invoke("verify", str(folder))
    assert result.exit_code == 8 and "report.md" in result.stderr and "signed" in result.stderr


def test_report_again_keeps_a_valid_attestation(run: tuple[Path, Path, Path]) -> None:
    folder, _, public = run
    assert invoke("report", str(folder)).exit_code == 0  # deterministic: same bytes
    assert invoke("verify", str(folder), "--key", str(public)).exit_code == 0


def test_a_wrong_key_or_no_attestation_is_exit_9_when_a_signature_is_required(
    run: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    folder, _, _ = run
    _, stranger = write_key(tmp_path, "stranger")
    wrong = invoke("verify", str(folder), "--key", str(stranger))
    assert wrong.exit_code == 9 and "trusted key" in wrong.stderr
    (folder / "attestation.intoto.json").unlink()
    unsigned = invoke("verify", str(folder))
    assert unsigned.exit_code == 0  # consistent; nothing asked for a signature
    required = invoke("verify", str(folder), "--require-signed", "--key", str(stranger))
    assert required.exit_code == 9 and "no attestation" in required.stderr


def test_allowed_signers_honours_identity_namespace_and_validity(
    run: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    folder, _, public = run
    line = public.read_text().split()
    key = f"{line[0]} {line[1]}"
    cases = {
        f'ci@example.com namespaces="jainam-validate" {key}\n': 0,
        f'ci@example.com namespaces="git" {key}\n': 9,  # trusted for git commits only
        f'ci@example.com valid-before="20200101" {key}\n': 9,  # rotated out before the run
        f"someone@else {key}\n": 9,
        f"*@example.com {key}\n": 0,
    }
    for text, code in cases.items():
        signers = tmp_path / "allowed_signers"
        signers.write_text(text)
        result = invoke(
            "verify", str(folder), "--allowed-signers", str(signers), "--identity", "ci@example.com"
        )
        assert result.exit_code == code, (text, result.output)


def test_require_pass_and_require_target(run: tuple[Path, Path, Path]) -> None:
    folder, _, public = run
    live = invoke("verify", str(folder), "--key", str(public), "--require-target", "live")
    assert live.exit_code == 1 and "not evidence about the live broker" in live.stderr
    passed = invoke("verify", str(folder), "--key", str(public), "--require-pass")
    assert passed.exit_code == 0


def test_a_replay_is_never_live_evidence(tmp_path: Path) -> None:
    private, public = write_key(tmp_path, "ci")
    args = ["run", "--replay", str(CASSETTE), "--evidence-dir", str(tmp_path / "ev")]
    assert invoke(*args, "--sign-key", str(private)).exit_code == 0
    (folder,) = (p.parent for p in (tmp_path / "ev").glob("*/run.json"))
    result = invoke("verify", str(folder), "--key", str(public), "--require-target", "live")
    assert result.exit_code == 1 and "replay" in result.stderr
    assert statement_of(folder)["predicate"]["jainamValidate"]["targetKind"] == "replay"


def test_a_secret_in_the_statement_is_never_signed(
    run: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    folder, private, _ = run
    secret = "sk-live-0123456789abcdefABCDEF"
    data = json.loads((folder / "run.json").read_text())
    data["configuration"]["app_host"] = secret  # a hand-edited manifest carrying a secret
    (folder / "run.json").write_text(json.dumps(data, indent=2))
    assert invoke("report", str(folder)).exit_code == 0  # consistent again: only the guard is left
    before = (folder / "attestation.intoto.json").read_bytes()
    result = invoke(
        "attest", str(folder), "--force", "--sign-key", str(private),
        env={"JAINAM_INTERACTIVE_API_KEY": secret},
    )  # fmt: skip
    assert result.exit_code == 7, result.output
    assert (folder / "attestation.intoto.json").read_bytes() == before
    assert secret not in result.output


def test_attest_refuses_an_unsealed_or_already_attested_folder(
    run: tuple[Path, Path, Path],
) -> None:
    folder, private, _ = run
    again = invoke("attest", str(folder), "--sign-key", str(private))
    assert again.exit_code == 2 and "--countersign" in again.stderr
    (folder / "report.md").write_text("edited\n")
    edited = invoke("attest", str(folder), "--force", "--sign-key", str(private))
    assert edited.exit_code == 8 and "report.md" in edited.stderr


@pytest.mark.parametrize("fixture", ["investor-pnl-pass", "investor-holdings-500"])
def test_an_older_folder_verifies_on_what_it_recorded(fixture: str, tmp_path: Path) -> None:
    # schema 1 had another check set: its flows are re-derived, its checks are not judged
    folder = tmp_path / fixture
    shutil.copytree(Path(__file__).resolve().parents[1] / "fixtures" / "runs" / fixture, folder)
    result = invoke("verify", str(folder), "--json")
    assert result.exit_code == 0, result.output
    steps = {s["step"]: s["result"] for s in json.loads(result.stdout)["steps"]}
    assert "not re-derived: schema 1" in steps["re-derived"]
    lines = (folder / "timings.jsonl").read_text().splitlines()
    record = json.loads(lines[0])
    record["sample_ms"] = 0.5
    (folder / "timings.jsonl").write_text("\n".join([json.dumps(record), *lines[1:]]) + "\n")
    reseal(folder)
    assert invoke("verify", str(folder)).exit_code == 8  # its flows are still held to its log


# -- from a review: what must never be signed or verified ------------------------------------
def test_a_simulator_run_edited_to_say_live_is_never_signed(run: tuple[Path, Path, Path]) -> None:
    folder, private, _ = run
    data = json.loads((folder / "run.json").read_text())
    data["target"]["kind"] = "live"
    data["checks"]["live_capture"] = {"status": "pass", "detail": "captured"}
    (folder / "run.json").write_text(json.dumps(data, indent=2))
    assert invoke("report", str(folder)).exit_code == 0
    result = invoke("attest", str(folder), "--force", "--sign-key", str(private))
    assert result.exit_code == 8, result.output
    assert "live" in result.stderr


def test_a_countersignature_never_vouches_for_a_replaced_statement(
    run: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    folder, _, _ = run
    owner, _ = write_key(tmp_path, "owner")
    path = folder / "attestation.intoto.json"
    env = json.loads(path.read_text())
    stmt = json.loads(base64.b64decode(env["payload"]))
    stmt["predicate"]["jainamValidate"]["verdict"] = "PASS (reviewed)"
    env["payload"] = base64.b64encode(json.dumps(stmt).encode()).decode()
    env["signatures"] = []
    path.write_text(json.dumps(env))
    result = invoke("attest", str(folder), "--countersign", "--sign-key", str(owner))
    assert result.exit_code == 8 and "jainamValidate" in result.stderr


def test_a_schema_downgrade_does_not_switch_the_checks_off(run: tuple[Path, Path, Path]) -> None:
    folder, _, _ = run
    data = json.loads((folder / "run.json").read_text())
    data["schema_version"] = 1
    (folder / "run.json").write_text(json.dumps(data, indent=2))
    assert invoke("report", str(folder)).exit_code == 0
    (folder / "attestation.intoto.json").unlink()
    result = invoke("verify", str(folder))
    assert result.exit_code == 8 and "schema 3 fields" in result.stderr


def test_a_requirement_needs_a_signature(run: tuple[Path, Path, Path]) -> None:
    folder, _, _ = run
    result = invoke("verify", str(folder), "--require-pass")
    assert result.exit_code == 9 and "--key" in result.stderr  # required, nothing to trust


@pytest.mark.parametrize("odd", ["symlink", "fifo", "hidden", "folder"])
def test_what_no_pass_writes_is_refused_at_once(odd: str, run: tuple[Path, Path, Path]) -> None:
    import os

    folder, _, public = run
    target = folder / "samples" / "x.json"
    if odd == "symlink":
        target.symlink_to("/dev/zero")
    elif odd == "fifo":
        os.mkfifo(target)  # a reader would wait for ever
    elif odd == "hidden":
        (folder / ".notes").write_text("x")
    else:
        (folder / "more").mkdir()
    result = invoke("verify", str(folder), "--key", str(public))
    assert result.exit_code == 8, result.output


def test_a_malformed_manifest_is_tampered_not_an_internal_error(
    run: tuple[Path, Path, Path],
) -> None:
    folder, _, public = run
    data = json.loads((folder / "run.json").read_text())
    data["exit_code"] = 6  # no such exit code
    (folder / "run.json").write_text(json.dumps(data))
    reseal(folder)
    (folder / "attestation.intoto.json").unlink()
    result = invoke("verify", str(folder))
    assert result.exit_code == 8 and "internal error" not in result.output


def test_audit_reads_every_field_of_an_envelope_that_carries_more(
    run: tuple[Path, Path, Path],
) -> None:
    folder, _, _ = run
    secret = "sk-live-9876543210zyxwvuZYXWVU"
    path = folder / "attestation.intoto.json"
    env = json.loads(path.read_text())
    env["note"] = secret
    path.write_text(json.dumps(env))
    result = invoke("audit", str(folder), env={"JAINAM_MARKET_API_SECRET": secret})
    assert result.exit_code == 1
    assert "attestation.intoto.json" in result.stdout + result.stderr


def test_the_key_path_is_never_recorded(signed_run: tuple[Path, Path, Path]) -> None:
    folder, private, _ = signed_run
    data = json.loads((folder / "run.json").read_text())
    assert data["invocation"]["flags"]["--sign-key"] is True
    assert (
        str(private) not in (folder / "run.json").read_text() + (folder / "report.md").read_text()
    )


def test_require_subject_ties_the_signed_run_to_the_commit_under_test(
    run: tuple[Path, Path, Path],
) -> None:
    folder, private, public = run
    commit = "a" * 40
    forced = invoke("attest", str(folder), "--force", "--sign-key", str(private),
                    "--subject", f"git:{commit}")  # fmt: skip
    assert forced.exit_code == 0, forced.output
    same = invoke("verify", str(folder), "--key", str(public), "--require-subject", f"git:{commit}")
    assert same.exit_code == 0, same.output
    other = invoke(
        "verify", str(folder), "--key", str(public), "--require-subject", "git:" + "b" * 40
    )
    assert other.exit_code == 1 and "a" * 40 in other.stderr
    unsigned = invoke("verify", str(folder), "--require-subject", f"git:{commit}")
    assert unsigned.exit_code == 9  # a requirement needs a trusted signature
    bad = invoke("attest", str(folder), "--force", "--sign-key", str(private), "--subject", "main")
    assert bad.exit_code == 2 and "git:<40 or 64 hex digits>" in bad.stderr
