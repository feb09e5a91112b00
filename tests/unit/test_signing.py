"""DSSE envelopes with Ed25519 (signing.py): PAE, sign/verify, key files, fingerprints as
ssh-keygen prints them, and git's allowed_signers format."""

from __future__ import annotations

import base64
import importlib.util
import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from jainam_validate import errors, signing

PASSPHRASE = "correct horse battery staple"
PAYLOAD = '{"_type": "https://in-toto.io/Statement/v1", "note": "रुपया ₹"}'.encode()


# -- helpers ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def keygen() -> str:
    found = shutil.which("ssh-keygen")
    if found is None:
        pytest.skip("ssh-keygen is not installed")
    return found


def _ssh_keygen(keygen: str, path: Path, *args: str, passphrase: str = "") -> Path:
    subprocess.run(
        [keygen, "-q", *args, "-N", passphrase, "-f", str(path), "-C", "test"],
        check=True,
        capture_output=True,
    )
    return path


def _raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes_raw()


def _pem(key: Any, password: bytes | None = None) -> bytes:
    algorithm: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, algorithm)
    )


def _ssh_line(key: Ed25519PublicKey | rsa.RSAPublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode()


def _load_error(path: Path, passphrase: bytes | None = None) -> str:
    with pytest.raises(errors.UsageError) as caught:
        signing.load_private_key(path, passphrase)
    message = str(caught.value)
    assert "\n" not in message
    assert PASSPHRASE not in message
    for line in path.read_bytes().decode("utf-8", "replace").splitlines() if path.is_file() else []:
        if len(line) > 16 and not line.startswith("-----"):
            assert line not in message  # never a line of key material
    return message


# -- PAE -------------------------------------------------------------------------------------
def test_pae_matches_the_dsse_spec_vector() -> None:
    assert (
        signing.pae("http://example.com/HelloWorld", b"hello world")
        == b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def test_pae_counts_utf8_bytes_not_characters() -> None:
    # "tÿpe" is 4 characters and 5 bytes; "héllo" is 5 characters and 6 bytes
    assert signing.pae("tÿpe", "héllo".encode()) == b"DSSEv1 5 t\xc3\xbfpe 6 h\xc3\xa9llo"
    assert signing.pae("", b"") == b"DSSEv1 0  0 "


# -- sign / verify ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def env(key: Ed25519PrivateKey) -> dict[str, Any]:
    return signing.envelope(PAYLOAD, [signing.sign(PAYLOAD, key)])


def test_envelope_shape(env: dict[str, Any], key: Ed25519PrivateKey) -> None:
    assert set(env) == {"payloadType", "payload", "signatures"}
    assert env["payloadType"] == signing.PAYLOAD_TYPE == "application/vnd.in-toto+json"
    assert base64.b64decode(env["payload"], validate=True) == PAYLOAD
    (sig,) = env["signatures"]
    assert set(sig) == {"keyid", "sig"}
    assert sig["keyid"] == signing.fingerprint(key.public_key())
    assert len(base64.b64decode(sig["sig"], validate=True)) == 64
    assert signing.payload_of(env) == PAYLOAD


def test_sign_then_verify(env: dict[str, Any], key: Ed25519PrivateKey) -> None:
    assert signing.verify_signature(env, env["signatures"][0], key.public_key()) is True


def test_sign_honours_another_payload_type(key: Ed25519PrivateKey) -> None:
    sig = signing.sign(b"x", key, payload_type="text/plain")
    assert signing.verify_signature(
        signing.envelope(b"x", [sig], "text/plain"), sig, key.public_key()
    )
    assert not signing.verify_signature(signing.envelope(b"x", [sig]), sig, key.public_key())


def test_the_keyid_plays_no_part(env: dict[str, Any], key: Ed25519PrivateKey) -> None:
    other = Ed25519PrivateKey.generate().public_key()
    sig = dict(env["signatures"][0])
    sig["keyid"] = signing.fingerprint(other)
    assert signing.verify_signature(env, sig, key.public_key())
    assert not signing.verify_signature(env, sig, other)
    del sig["keyid"]
    assert signing.verify_signature(env, sig, key.public_key())


def _changed(env: dict[str, Any], field: str, value: object) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(env))
    if value is _MISSING:
        del out[field]
    else:
        out[field] = value
    return out


_MISSING = object()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("payload", base64.b64encode(PAYLOAD + b" ").decode()),
        ("payload", base64.b64encode(PAYLOAD.replace(b"1", b"2")).decode()),
        ("payloadType", "application/vnd.in-toto+jsonx"),
        ("payloadType", "text/plain"),
        ("payload", "not base64!"),
        ("payload", 42),
        ("payloadType", None),
        ("signatures", "nope"),
        ("payload", _MISSING),
        ("payloadType", _MISSING),
        ("signatures", _MISSING),
    ],
)
def test_a_changed_envelope_does_not_verify(
    env: dict[str, Any], key: Ed25519PrivateKey, field: str, value: object
) -> None:
    assert not signing.verify_signature(
        _changed(env, field, value), env["signatures"][0], key.public_key()
    )


def test_a_signature_by_another_key_does_not_verify(
    env: dict[str, Any], key: Ed25519PrivateKey
) -> None:
    other = Ed25519PrivateKey.generate()
    by_other = signing.sign(PAYLOAD, other)
    assert not signing.verify_signature(env, by_other, key.public_key())
    assert signing.verify_signature(env, by_other, other.public_key())


@pytest.mark.parametrize(
    "sig",
    [
        lambda s: {**s, "sig": s["sig"][:-4]},  # truncated
        lambda s: {**s, "sig": s["sig"][:40]},
        lambda s: {**s, "sig": base64.b64encode(bytes(64)).decode()},  # right length, garbage
        lambda s: {**s, "sig": base64.b64encode(b"garbage").decode()},
        lambda s: {**s, "sig": "!!!! not base64 ????"},
        lambda s: {**s, "sig": "é" * 88},
        lambda s: {**s, "sig": ""},
        lambda s: {**s, "sig": 12},
        lambda s: {**s, "sig": None},
        lambda s: {**s, "sig": [s["sig"]]},
        lambda s: {"keyid": s["keyid"]},  # missing
        lambda s: s["sig"],  # not an object at all
        lambda s: None,
    ],
)
def test_a_malformed_signature_is_false_never_an_exception(
    env: dict[str, Any], key: Ed25519PrivateKey, sig: Any
) -> None:
    assert signing.verify_signature(env, sig(env["signatures"][0]), key.public_key()) is False


@pytest.mark.parametrize("env_value", [None, [], "text", 3, {}])
def test_a_malformed_envelope_is_false(env_value: Any, key: Ed25519PrivateKey) -> None:
    sig = signing.sign(PAYLOAD, key)
    assert signing.verify_signature(env_value, sig, key.public_key()) is False


def test_a_flipped_bit_in_the_signature_does_not_verify(
    env: dict[str, Any], key: Ed25519PrivateKey
) -> None:
    raw = bytearray(base64.b64decode(env["signatures"][0]["sig"]))
    raw[10] ^= 1
    sig = {"keyid": "x", "sig": base64.b64encode(bytes(raw)).decode()}
    assert not signing.verify_signature(env, sig, key.public_key())


def test_url_safe_base64_is_accepted(env: dict[str, Any], key: Ed25519PrivateKey) -> None:
    # DSSE lets a signer use either alphabet; the signature is over the decoded bytes
    raw = base64.b64decode(env["signatures"][0]["sig"])
    safe = {"sig": base64.urlsafe_b64encode(raw).decode().rstrip("=")}
    payload = base64.urlsafe_b64encode(PAYLOAD).decode()
    assert signing.verify_signature({**env, "payload": payload}, safe, key.public_key())


def test_independent_check_with_only_json_base64_and_cryptography(
    key: Ed25519PrivateKey,
) -> None:
    """An envelope as another verifier reads it: no signing.py on this side."""
    text = json.dumps(signing.envelope(PAYLOAD, [signing.sign(PAYLOAD, key)]))
    doc = json.loads(text)
    body = base64.b64decode(doc["payload"], validate=True)
    kind = doc["payloadType"].encode("utf-8")
    pae = b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(body), body)
    assert body == PAYLOAD and len(body) != len(body.decode())  # bytes, not characters
    key.public_key().verify(base64.b64decode(doc["signatures"][0]["sig"], validate=True), pae)
    assert pae == b"DSSEv1 28 application/vnd.in-toto+json " + str(len(PAYLOAD)).encode() + (
        b" " + PAYLOAD
    )


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ([], "not a JSON object"),
        ({"payload": "", "signatures": []}, "payloadType is missing"),
        ({"payloadType": signing.PAYLOAD_TYPE, "signatures": []}, "payload is missing"),
        ({"payloadType": signing.PAYLOAD_TYPE, "payload": ""}, "signatures is missing"),
        ({"payloadType": signing.PAYLOAD_TYPE, "payload": "%%%", "signatures": []}, "not base64"),
        ({"payloadType": "text/plain", "payload": "", "signatures": []}, "payloadType is not"),
        (
            {"payloadType": signing.PAYLOAD_TYPE, "payload": 5, "signatures": []},
            "payload is missing or not",
        ),
    ],
)
def test_payload_of_refuses_what_is_not_an_in_toto_envelope(doc: Any, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        signing.payload_of(doc)


def test_payload_of_an_empty_payload() -> None:
    assert signing.payload_of(signing.envelope(b"", [])) == b""


# -- private keys ----------------------------------------------------------------------------
def test_loads_an_openssh_key_from_ssh_keygen(keygen: str, tmp_path: Path) -> None:
    path = _ssh_keygen(keygen, tmp_path / "id", "-t", "ed25519")
    key = signing.load_private_key(path)
    assert _raw(key.public_key()) == _raw(signing.load_public_key(tmp_path / "id.pub"))
    # a passphrase (say from the environment) for a key that is not encrypted is ignored
    assert _raw(signing.load_private_key(path, b"unused").public_key()) == _raw(key.public_key())


def test_loads_a_pem_pkcs8_key(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    path = tmp_path / "key.pem"
    path.write_bytes(_pem(key))
    assert _raw(signing.load_private_key(path).public_key()) == _raw(key.public_key())


def test_an_encrypted_pem_key(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    path = tmp_path / "key.pem"
    path.write_bytes(_pem(key, PASSPHRASE.encode()))
    loaded = signing.load_private_key(path, PASSPHRASE.encode())
    assert _raw(loaded.public_key()) == _raw(key.public_key())

    message = _load_error(path)
    assert "is encrypted" in message and "JAINAM_SIGN_KEY_PASSPHRASE" in message
    assert str(path) in message
    message = _load_error(path, b"not " + PASSPHRASE.encode())
    assert "wrong passphrase" in message and "not " + PASSPHRASE not in message


def test_an_encrypted_openssh_key(keygen: str, tmp_path: Path) -> None:
    path = _ssh_keygen(keygen, tmp_path / "id", "-t", "ed25519", passphrase=PASSPHRASE)
    message = _load_error(path)  # known to be encrypted from its header, bcrypt or not
    assert "is encrypted" in message and "JAINAM_SIGN_KEY_PASSPHRASE" in message
    public = signing.load_public_key(tmp_path / "id.pub")
    # its public half is in the clear: a --key may be the private key file itself
    assert _raw(signing.load_public_key(path)) == _raw(public)
    if importlib.util.find_spec("bcrypt") is None:
        message = _load_error(path, PASSPHRASE.encode())
        assert "pip install bcrypt" in message
    else:
        key = signing.load_private_key(path, PASSPHRASE.encode())
        assert _raw(key.public_key()) == _raw(public)
        assert "wrong passphrase" in _load_error(path, b"wrong")


@pytest.mark.parametrize("args", [("-t", "rsa", "-b", "2048"), ("-t", "ecdsa", "-b", "256")])
def test_an_openssh_key_of_another_type(keygen: str, tmp_path: Path, args: tuple[str, ...]) -> None:
    path = _ssh_keygen(keygen, tmp_path / "id", *args)
    message = _load_error(path)
    assert "only Ed25519 keys sign evidence: ssh-keygen -t ed25519" in message
    assert ("RSA" if "rsa" in args else "ECDSA") in message
    with pytest.raises(errors.UsageError, match="Ed25519"):
        signing.load_public_key(tmp_path / "id.pub")


def test_an_encrypted_rsa_key_is_refused_before_any_passphrase(keygen: str, tmp_path: Path) -> None:
    path = _ssh_keygen(keygen, tmp_path / "id", "-t", "rsa", "-b", "2048", passphrase=PASSPHRASE)
    message = _load_error(path)
    said = message.replace(str(path), "FILE")
    assert "Ed25519" in said and "encrypted" not in said  # the CLI prompts on that word


@pytest.mark.parametrize(
    "fmt", [serialization.PrivateFormat.PKCS8, serialization.PrivateFormat.TraditionalOpenSSL]
)
def test_a_pem_key_of_another_type(tmp_path: Path, fmt: serialization.PrivateFormat) -> None:
    path = tmp_path / "ec.pem"
    other = ec.generate_private_key(ec.SECP256R1())
    path.write_bytes(
        other.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())
    )
    message = _load_error(path)
    assert "ECDSA" in message and "only Ed25519 keys sign evidence" in message


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    message = _load_error(tmp_path / "nope")
    assert "does not exist" in message and "nope" in message
    message = _load_error(tmp_path)  # a directory
    assert "cannot read" in message
    huge = tmp_path / "huge"
    huge.write_bytes(b"x" * 100_000)
    assert "too big" in _load_error(huge)
    with pytest.raises(errors.UsageError, match="does not exist"):
        signing.load_public_key(tmp_path / "nope.pub")


def test_a_file_that_is_not_a_private_key(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    path = tmp_path / ".env"
    path.write_text(f"JAINAM_SECRET={PASSPHRASE}\n")
    message = _load_error(path)
    assert "is not a private key" in message and "ssh-keygen -t ed25519" in message
    assert "encrypted" not in message.replace(str(path), "FILE")  # the CLI prompts on that word
    pub = tmp_path / "id.pub"
    pub.write_text(_ssh_line(key.public_key()) + "\n")
    assert "is a public key" in _load_error(pub)
    binary = tmp_path / "bin"
    binary.write_bytes(bytes(range(256)))
    assert "is not a private key" in _load_error(binary)


def test_a_damaged_key_file(keygen: str, tmp_path: Path, key: Ed25519PrivateKey) -> None:
    path = _ssh_keygen(keygen, tmp_path / "id", "-t", "ed25519")
    lines = path.read_text().splitlines()
    lines[2] = lines[2][::-1]  # inside the private part
    path.write_text("\n".join(lines) + "\n")
    assert "damaged" in _load_error(path)
    pem = tmp_path / "key.pem"
    text = _pem(key).decode().splitlines()
    pem.write_text("\n".join([text[0], text[1][:20], text[-1]]) + "\n")
    assert "damaged" in _load_error(pem)


# -- public keys and fingerprints ------------------------------------------------------------
def test_fingerprint_is_what_ssh_keygen_prints(keygen: str, tmp_path: Path) -> None:
    for name in ("a", "b"):
        path = _ssh_keygen(keygen, tmp_path / name, "-t", "ed25519")
        printed = subprocess.run(
            [keygen, "-lf", f"{path}.pub"], check=True, capture_output=True, text=True
        ).stdout.split()[1]
        assert printed.startswith("SHA256:")
        assert signing.fingerprint(signing.load_public_key(Path(f"{path}.pub"))) == printed
        assert signing.fingerprint(signing.load_private_key(path).public_key()) == printed


def test_fingerprint_of_a_cryptography_key(
    keygen: str, tmp_path: Path, key: Ed25519PrivateKey
) -> None:
    pub = tmp_path / "k.pub"
    pub.write_text(_ssh_line(key.public_key()) + " someone\n")
    printed = subprocess.run(
        [keygen, "-lf", str(pub)], check=True, capture_output=True, text=True
    ).stdout.split()[1]
    assert signing.fingerprint(key.public_key()) == printed
    assert "=" not in printed


def test_parse_public_key_forms(key: Ed25519PrivateKey) -> None:
    pub = key.public_key()
    pem = pub.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    for text in (
        _ssh_line(pub),
        _ssh_line(pub) + " alice@example.com laptop\n",
        "# my key\n\n" + _ssh_line(pub),
        pem,
        _pem(key).decode(),  # the public half of a private key
    ):
        assert _raw(signing.parse_public_key(text)) == _raw(pub)


def test_a_pem_private_key_file_gives_its_public_key(
    tmp_path: Path, key: Ed25519PrivateKey
) -> None:
    path = tmp_path / "key.pem"
    path.write_bytes(_pem(key))
    assert _raw(signing.load_public_key(path)) == _raw(key.public_key())
    path.write_bytes(_pem(key, PASSPHRASE.encode()))
    with pytest.raises(errors.UsageError, match="ssh-keygen -y") as caught:
        signing.load_public_key(path)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "not a public key"),
        ("# only a comment\n", "not a public key"),
        (f"JAINAM_SECRET={PASSPHRASE} more words", "not a public key"),
        ("ssh-ed25519", "damaged"),
        ("ssh-ed25519 AAAA", "damaged"),
        ("ssh-ed25519 !!!!", "damaged"),
        ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "not a public key"),
        ("ecdsa-sha2-nistp256 AAAA", "ECDSA"),
        ("ssh-ed25519-cert-v01@openssh.com AAAA", "certificate"),
        ("sk-ssh-ed25519@openssh.com AAAA", "security key"),
    ],
)
def test_parse_public_key_refuses(text: str, says: str) -> None:
    with pytest.raises(errors.UsageError, match=says) as caught:
        signing.parse_public_key(text)
    assert PASSPHRASE not in str(caught.value)


def _blob(kind: bytes, raw: bytes) -> str:
    def sshstr(value: bytes) -> bytes:
        return len(value).to_bytes(4, "big") + value

    return base64.b64encode(sshstr(kind) + sshstr(raw)).decode()


def test_the_blob_must_say_ssh_ed25519_too(key: Ed25519PrivateKey) -> None:
    raw = _raw(key.public_key())
    assert _raw(signing.parse_public_key(f"ssh-ed25519 {_blob(b'ssh-ed25519', raw)}")) == raw
    for blob in (_blob(b"ssh-ed448", raw), _blob(b"ssh-ed25519", raw[:31]), _blob(b"", raw)):
        with pytest.raises(errors.UsageError, match="damaged"):
            signing.parse_public_key(f"ssh-ed25519 {blob}")
        with pytest.raises(errors.UsageError, match="line 1"):
            signing.parse_allowed_signers(f"a ssh-ed25519 {blob}")


def test_parse_public_key_refuses_rsa_and_a_mislabelled_blob(key: Ed25519PrivateKey) -> None:
    rsa_pub = rsa.generate_private_key(65537, 2048).public_key()
    with pytest.raises(errors.UsageError, match="only Ed25519 keys"):
        signing.parse_public_key(_ssh_line(rsa_pub))
    rsa_body = _ssh_line(rsa_pub).split()[1]
    with pytest.raises(errors.UsageError, match="damaged"):
        signing.parse_public_key(f"ssh-ed25519 {rsa_body}")
    pem = rsa_pub.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    with pytest.raises(errors.UsageError, match="only Ed25519 keys"):
        signing.parse_public_key(pem)


# -- allowed signers -------------------------------------------------------------------------
K1, K2, K3 = (Ed25519PrivateKey.generate().public_key() for _ in range(3))
RSA_LINE = _ssh_line(rsa.generate_private_key(65537, 2048).public_key())
AT = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def _key(k: Ed25519PublicKey) -> str:
    return _ssh_line(k)


def _keys(keys: list[Ed25519PublicKey]) -> list[bytes]:
    return [_raw(k) for k in keys]


def test_parse_allowed_signers() -> None:
    text = "\n".join(
        [
            "# team signers",
            "",
            f"alice@example.com,bob@example.com {_key(K1)} alice's laptop",
            f'"carol@example.com,*@ci.example.com" namespaces="git,jainam-validate" {_key(K2)}',
            f'  dev?@example.com valid-after="20240101",valid-before="202512311530Z" {_key(K3)}',
            f"rsa@example.com {RSA_LINE}",
            f"ca@example.com cert-authority {_key(K1)}",
            f'dave@example.com valid-after="20240102153045Z" {_key(K1)} "unbalanced comment',
            "\t# indented comment",
            "   ",
        ]
    )
    signers = signing.parse_allowed_signers(text)
    assert [s.principals for s in signers] == [
        ("alice@example.com", "bob@example.com"),
        ("carol@example.com", "*@ci.example.com"),
        ("dev?@example.com",),
        ("dave@example.com",),
    ]
    assert _keys([s.key for s in signers]) == _keys([K1, K2, K3, K1])
    assert [s.namespaces for s in signers] == [None, ("git", "jainam-validate"), None, None]
    assert signers[2].valid_after == datetime(2024, 1, 1, tzinfo=UTC)
    assert signers[2].valid_before == datetime(2025, 12, 31, 15, 30, tzinfo=UTC)
    assert signers[3].valid_after == datetime(2024, 1, 2, 15, 30, 45, tzinfo=UTC)
    assert signers[0].valid_after is signers[0].valid_before is None


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("20240229", datetime(2024, 2, 29, tzinfo=UTC)),
        ("20240229Z", datetime(2024, 2, 29, tzinfo=UTC)),
        ("20240229z", datetime(2024, 2, 29, tzinfo=UTC)),
        ("202402291201", datetime(2024, 2, 29, 12, 1, tzinfo=UTC)),  # local to ssh-keygen; UTC here
        ("20240229120159", datetime(2024, 2, 29, 12, 1, 59, tzinfo=UTC)),
        ("20240229120159Z", datetime(2024, 2, 29, 12, 1, 59, tzinfo=UTC)),
        ("20240229120159UTC", datetime(2024, 2, 29, 12, 1, 59, tzinfo=UTC)),
    ],
)
def test_valid_after_forms(stamp: str, expected: datetime) -> None:
    (signer,) = signing.parse_allowed_signers(f'a valid-after="{stamp}" {_key(K1)}')
    assert signer.valid_after == expected
    (signer,) = signing.parse_allowed_signers(f'a VALID-BEFORE="{stamp}" {_key(K1)}')
    assert signer.valid_before == expected


@pytest.mark.parametrize(
    "line",
    [
        "alice@example.com",  # no key at all
        "alice@example.com ssh-ed25519",  # key type, no key
        'alice@example.com namespaces="git"',  # options, no key
        f"alice@example.com frobnicate {_key(K1)}",  # unknown option
        f"alice@example.com namespaces=git {_key(K1)}",  # unquoted value
        f'alice@example.com namespaces="git",namespaces="x" {_key(K1)}',  # twice
        f'alice@example.com namespaces="git", {_key(K1)}',  # trailing comma
        f'alice@example.com valid-after="2024" {_key(K1)}',
        f'alice@example.com valid-after="20241301" {_key(K1)}',  # no 13th month
        f'alice@example.com valid-after="20240101123" {_key(K1)}',
        f'alice@example.com valid-after="20250101",valid-before="20240101" {_key(K1)}',
        f'alice@example.com valid-after="20250101",valid-before="20250101" {_key(K1)}',
        f'"alice@example.com {_key(K1)}',  # unbalanced quote
        f"alice@example.com,,bob@example.com {_key(K1)}",  # empty principal
        f"{_key(K1)}",  # no principals
        "alice@example.com ssh-ed25519 AAAA!!!",  # not base64
        f"alice@example.com ssh-ed25519 {RSA_LINE.split()[1]}",  # blob of another type
    ],
    ids=lambda line: "".join(c if c.isalnum() else "-" for c in line[:24]),  # keys vary: not whole
)
def test_a_malformed_line_names_its_number(line: str) -> None:
    text = f"# header\n\nok@example.com {_key(K2)}\n{line}\nlater@example.com {_key(K3)}\n"
    with pytest.raises(errors.UsageError, match=r"allowed signers line 4: ") as caught:
        signing.parse_allowed_signers(text)
    message = str(caught.value)
    assert "\n" not in message and "ssh-keygen" in message
    assert _key(K1).split()[1] not in message


def test_a_malformed_rsa_line_is_still_malformed() -> None:
    with pytest.raises(errors.UsageError, match="line 1"):
        signing.parse_allowed_signers(f"a bogus-option {RSA_LINE}")


def test_windows_line_endings() -> None:
    text = f"a@example.com {_key(K1)}\r\nb@example.com {_key(K2)}\r\n"
    assert [s.principals for s in signing.parse_allowed_signers(text)] == [
        ("a@example.com",),
        ("b@example.com",),
    ]


def _trusted(
    text: str, identity: str, namespace: str = "jainam-validate", at: datetime = AT
) -> list[bytes]:
    return _keys(signing.trusted_keys(signing.parse_allowed_signers(text), identity, namespace, at))


def test_trusted_keys_by_identity_pattern() -> None:
    text = "\n".join(
        [
            f"alice@example.com {_key(K1)}",
            f"*@ci.example.com,!mallory@ci.example.com {_key(K2)}",
            f"dev?@example.com {_key(K3)}",
        ]
    )
    assert _trusted(text, "alice@example.com") == _keys([K1])
    assert _trusted(text, "Alice@example.com") == []  # case-sensitive
    assert _trusted(text, "alice@example.co") == []
    assert _trusted(text, "xalice@example.com") == []
    assert _trusted(text, "bot@ci.example.com") == _keys([K2])
    assert _trusted(text, "mallory@ci.example.com") == []  # negated
    assert _trusted(text, "bot@ci.example.org") == []
    assert _trusted(text, "dev1@example.com") == _keys([K3])
    assert _trusted(text, "dev12@example.com") == []
    assert _trusted(text, "dev@example.com") == []


def test_wildcards_are_only_star_and_question_mark() -> None:
    text = f"[ab]@example.com,a.c@example.com {_key(K1)}"
    assert _trusted(text, "a@example.com") == []
    assert _trusted(text, "[ab]@example.com") == _keys([K1])
    assert _trusted(text, "abc@example.com") == []  # "." is not a wildcard


def test_trusted_keys_by_namespace() -> None:
    text = "\n".join(
        [
            f'alice@example.com namespaces="git" {_key(K1)}',
            f'alice@example.com namespaces="git,jainam-validate" {_key(K2)}',
            f'alice@example.com namespaces="jainam-*" {_key(K3)}',
        ]
    )
    assert _trusted(text, "alice@example.com") == _keys([K2, K3])
    assert _trusted(text, "alice@example.com", "git") == _keys([K1, K2])
    assert _trusted(text, "alice@example.com", "file") == []
    assert _trusted(f'alice@example.com namespaces="" {_key(K1)}', "alice@example.com") == []


def test_trusted_keys_by_validity_window() -> None:
    text = "\n".join(
        [
            f'alice@example.com valid-before="20250101" {_key(K1)}',  # expired
            f'alice@example.com valid-after="20300101" {_key(K2)}',  # not yet valid
            f'alice@example.com valid-after="20250601120000Z" {_key(K3)}',  # from AT on
        ]
    )
    assert _trusted(text, "alice@example.com") == _keys([K3])
    assert _trusted(text, "alice@example.com", at=AT - timedelta(seconds=1)) == []
    assert _trusted(
        text, "alice@example.com", at=datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC)
    ) == _keys([K1])
    assert _trusted(text, "alice@example.com", at=datetime(2025, 1, 1, tzinfo=UTC)) == []
    assert _trusted(text, "alice@example.com", at=datetime(2030, 1, 1, tzinfo=UTC)) == _keys(
        [K2, K3]
    )


def test_valid_before_is_exclusive_and_valid_after_inclusive() -> None:
    text = f'a valid-after="20250601120000Z",valid-before="20250601120001Z" {_key(K1)}'
    assert _trusted(text, "a", at=AT) == _keys([K1])
    assert _trusted(text, "a", at=AT + timedelta(seconds=1)) == []
    assert _trusted(text, "a", at=AT - timedelta(microseconds=1)) == []
    assert _trusted(text, "a", at=AT + timedelta(microseconds=999_999)) == _keys([K1])


def test_a_naive_time_is_utc() -> None:
    text = f'a valid-after="20250601120000Z" {_key(K1)}'
    assert _trusted(text, "a", at=datetime(2025, 6, 1, 12, 0)) == _keys([K1])
    assert _trusted(text, "a", at=datetime(2025, 6, 1, 11, 59, 59)) == []
    ist = datetime(2025, 6, 1, 17, 29, tzinfo=UTC).astimezone()  # any zone compares as instants
    assert _trusted(text, "a", at=ist) == _keys([K1])


def test_a_key_listed_twice_is_trusted_once() -> None:
    text = f"alice@example.com {_key(K1)}\n*@example.com {_key(K1)}\nalice@example.com {_key(K2)}"
    assert _trusted(text, "alice@example.com") == _keys([K1, K2])


def test_skipped_lines_are_never_trusted() -> None:
    text = f"ca@example.com cert-authority {_key(K1)}\nrsa@example.com {RSA_LINE}"
    assert signing.parse_allowed_signers(text) == []
    assert _trusted(text, "ca@example.com") == []
