"""Ed25519 signatures of evidence, as DSSE envelopes, and who is trusted to make them.

An attestation is a DSSE v1 envelope (``payloadType``, base64 ``payload``, ``signatures``) whose
signatures are Ed25519 over the Pre-Authentication Encoding :func:`pae` of the payload type and
the payload bytes; each signature's ``keyid`` is the key's OpenSSH fingerprint (what
``ssh-keygen -lf`` prints), a hint only: :func:`verify_signature` never trusts it. Keys are the
ones developers have: OpenSSH files (``ssh-keygen -t ed25519``) or PEM (PKCS8), and trust comes
from ``--key`` files or a git/ssh-keygen ``allowed_signers`` file (principal patterns,
``namespaces``, ``valid-after``/``valid-before``) read by :func:`parse_allowed_signers` and
narrowed by :func:`trusted_keys`. Every problem with a key file is a one-line
:class:`~jainam_validate.errors.UsageError` that names the file and what to do, never key bytes
or a passphrase; only the standard library and ``cryptography`` are used, and nothing touches a
network.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from cryptography.exceptions import InvalidSignature, InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.utils import CryptographyDeprecationWarning

from jainam_validate import errors

PAYLOAD_TYPE = "application/vnd.in-toto+json"

_MAX_KEY_FILE = 64 * 1024  # a key file is a few hundred bytes; a bigger one is a wrong path
_SSH_ED25519 = b"ssh-ed25519"
_OPENSSH_MAGIC = b"openssh-key-v1\x00"
_OPENSSH_PRIVATE = re.compile(
    rb"-----BEGIN OPENSSH PRIVATE KEY-----(.*?)-----END OPENSSH PRIVATE KEY-----", re.S
)
_PEM_PRIVATE = re.compile(rb"-----BEGIN (?:[A-Z0-9]+ )?PRIVATE KEY-----")
_PEM_ENCRYPTED = re.compile(rb"-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: *4, *ENCRYPTED")
_MAKE_ONE = "ssh-keygen -t ed25519 -f FILE makes one"


# -- DSSE ------------------------------------------------------------------------------------
def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 Pre-Authentication Encoding: what a signature actually covers."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def sign(
    payload: bytes, key: Ed25519PrivateKey, payload_type: str = PAYLOAD_TYPE
) -> dict[str, str]:
    """One DSSE signature object: ``keyid`` (the key's fingerprint) and base64 ``sig``."""
    signature = key.sign(pae(payload_type, payload))
    return {"keyid": fingerprint(key.public_key()), "sig": base64.b64encode(signature).decode()}


def envelope(
    payload: bytes, signatures: list[dict[str, str]], payload_type: str = PAYLOAD_TYPE
) -> dict[str, Any]:
    """The DSSE envelope of ``payload`` with these signatures (copied, in order)."""
    return {
        "payloadType": payload_type,
        "payload": base64.b64encode(payload).decode(),
        "signatures": [dict(s) for s in signatures],
    }


def payload_of(env: Mapping[str, Any]) -> bytes:
    """The payload bytes of an in-toto DSSE envelope; ValueError (a short reason) when ``env``
    is not one."""
    payload_type, payload = _opened(env)
    if payload_type != PAYLOAD_TYPE:
        raise ValueError(f"payloadType is not {PAYLOAD_TYPE}")
    return payload


def verify_signature(env: Mapping[str, Any], sig: Mapping[str, Any], key: Ed25519PublicKey) -> bool:
    """True iff ``sig["sig"]`` is ``key``'s Ed25519 signature over the envelope's PAE. Any
    malformed input is simply False; the signature's ``keyid`` plays no part."""
    try:
        payload_type, payload = _opened(env)
        signature = _b64decode(sig["sig"]) if isinstance(sig, Mapping) else b""
        key.verify(signature, pae(payload_type, payload))
    except (InvalidSignature, KeyError, TypeError, ValueError):
        return False
    return True


def _opened(env: Mapping[str, Any]) -> tuple[str, bytes]:
    """An envelope's payload type and decoded payload, after checking its shape."""
    if not isinstance(env, Mapping):
        raise ValueError("not a JSON object")
    payload_type, payload = env.get("payloadType"), env.get("payload")
    if not isinstance(payload_type, str):
        raise ValueError("payloadType is missing or not a string")
    if not isinstance(payload, str):
        raise ValueError("payload is missing or not a string")
    if not isinstance(env.get("signatures"), list):
        raise ValueError("signatures is missing or not a list")
    try:
        return payload_type, _b64decode(payload)
    except ValueError:
        raise ValueError("payload is not base64") from None


def _b64decode(text: object) -> bytes:
    """Strict base64, standard or URL-safe, padded or not (DSSE allows either alphabet)."""
    if not isinstance(text, str):
        raise ValueError("not a base64 string")
    altchars = b"-_" if "-" in text or "_" in text else None
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=altchars, validate=True)


# -- fingerprints and OpenSSH wire format ----------------------------------------------------
def fingerprint(key: Ed25519PublicKey) -> str:
    """The OpenSSH fingerprint ``SHA256:...``, exactly as ``ssh-keygen -lf`` prints it."""
    digest = hashlib.sha256(_wire(key)).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def _wire(key: Ed25519PublicKey) -> bytes:
    """The key's OpenSSH wire blob (the base64 of an ``ssh-ed25519 AAAA...`` line, decoded)."""
    return _sshstr(_SSH_ED25519) + _sshstr(key.public_bytes_raw())


def _sshstr(value: bytes) -> bytes:
    return struct.pack(">I", len(value)) + value


def _take(buf: bytes, pos: int) -> tuple[bytes, int]:
    """The SSH string at ``pos`` and the position after it; ValueError when truncated."""
    if pos + 4 > len(buf):
        raise ValueError("truncated")
    (size,) = struct.unpack_from(">I", buf, pos)
    end = pos + 4 + size
    if end > len(buf):
        raise ValueError("truncated")
    return buf[pos + 4 : end], end


def _ed25519_from_blob(blob: bytes) -> Ed25519PublicKey | None:
    """The key of an ``ssh-ed25519`` wire blob; None for any other type or a damaged blob."""
    try:
        kind, pos = _take(blob, 0)
        raw, end = _take(blob, pos)
    except ValueError:
        return None
    if kind != _SSH_ED25519 or len(raw) != 32 or end != len(blob):
        return None
    return Ed25519PublicKey.from_public_bytes(raw)


_UNKNOWN = "unknown type"


def _type_name(ssh_type: bytes | str) -> str:
    """A readable name for an OpenSSH key type; never echoes an unknown (user-typed) word."""
    kind = ssh_type.decode("ascii", "replace") if isinstance(ssh_type, bytes) else ssh_type
    if kind.endswith("-cert-v01@openssh.com"):
        return "certificate"
    if kind.startswith("sk-"):
        return "security key"
    if kind.startswith("ecdsa-sha2-"):
        return "ECDSA"
    return {"ssh-rsa": "RSA", "ssh-dss": "DSA"}.get(kind, _UNKNOWN)


def _blob_type(blob: bytes) -> bytes:
    """The key type a wire blob starts with (empty when it is damaged)."""
    try:
        return _take(blob, 0)[0]
    except ValueError:
        return b""


def _openssh_header(data: bytes) -> tuple[bytes, bytes] | None:
    """(cipher name, public key blob) from the clear header of an OpenSSH private key; None
    when ``data`` holds none (or a damaged one)."""
    found = _OPENSSH_PRIVATE.search(data)
    if found is None:
        return None
    try:
        raw = base64.b64decode(b"".join(found.group(1).split()), validate=True)
        if not raw.startswith(_OPENSSH_MAGIC):
            return None
        cipher, pos = _take(raw, len(_OPENSSH_MAGIC))
        _kdf, pos = _take(raw, pos)
        _kdf_options, pos = _take(raw, pos)
        if raw[pos : pos + 4] != b"\x00\x00\x00\x01":  # exactly one key, as ssh-keygen writes
            return None
        blob, _ = _take(raw, pos + 4)
    except (ValueError, binascii.Error):
        return None
    return cipher, blob


# -- private keys ----------------------------------------------------------------------------
def load_private_key(path: Path, passphrase: bytes | None = None) -> Ed25519PrivateKey:
    """The Ed25519 private key in ``path`` (OpenSSH or PEM PKCS8, encrypted or not). A
    passphrase given for a key that is not encrypted is ignored."""
    data = _read_key_file(path, "private")
    header = _openssh_header(data)
    loader: Callable[[bytes, bytes | None], object]
    if header is not None:
        cipher, blob = header
        if _blob_type(blob) != _SSH_ED25519:
            raise errors.UsageError(_not_ed25519(path, _type_name(_blob_type(blob))))
        encrypted, loader = cipher != b"none", serialization.load_ssh_private_key
    elif _PEM_PRIVATE.search(data):
        encrypted = _PEM_ENCRYPTED.search(data) is not None
        loader = serialization.load_pem_private_key
    else:
        raise errors.UsageError(_not_private(path, data))
    if encrypted and not passphrase:
        raise errors.PassphraseNeeded(
            f"{path} is encrypted: set JAINAM_SIGN_KEY_PASSPHRASE or enter it when asked"
        )
    key = _decoded_private(path, loader, data, passphrase if encrypted else None)
    if not isinstance(key, Ed25519PrivateKey):
        raise errors.UsageError(_not_ed25519(path, _private_kind(key)))
    return key


def _decoded_private(
    path: Path, loader: Callable[[bytes, bytes | None], object], data: bytes, pw: bytes | None
) -> object:
    """``loader(data, pw)``, its failures as UsageErrors that quote nothing from the file."""
    try:
        with warnings.catch_warnings(action="ignore", category=CryptographyDeprecationWarning):
            return loader(data, pw)  # a DSA key warns while loading; it is refused just after
    except UnsupportedAlgorithm as exc:
        if "bcrypt" in str(exc):
            raise errors.UsageError(
                f"{path} is an encrypted OpenSSH key and decrypting it needs the bcrypt "
                "package: pip install bcrypt, or use an unencrypted or PEM (PKCS8) key"
            ) from None
        raise errors.UsageError(_not_ed25519(path, "an unsupported type or cipher")) from None
    except (ValueError, TypeError, InvalidTag):
        if pw:
            raise errors.UsageError(
                f"wrong passphrase for {path}: check JAINAM_SIGN_KEY_PASSPHRASE or type it again"
            ) from None
        raise errors.UsageError(f"{path} is a damaged or unreadable private key") from None


def _private_kind(key: object) -> str:
    for cls, name in (
        (rsa.RSAPrivateKey, "RSA"),
        (ec.EllipticCurvePrivateKey, "ECDSA"),
        (dsa.DSAPrivateKey, "DSA"),
    ):
        if isinstance(key, cls):
            return name
    return "another type"


def _not_ed25519(path: Path | None, kind: str) -> str:
    where = f"{path} is" if path is not None else "it is"
    return f"{where} not an Ed25519 key ({kind}): only Ed25519 keys sign evidence: {_MAKE_ONE}"


def _not_private(path: Path, data: bytes) -> str:
    if data.lstrip().startswith(_SSH_ED25519 + b" ") or b"PUBLIC KEY-----" in data:
        return f"{path} is a public key: give the private key (the file without .pub)"
    return (
        f"{path} is not a private key: give an Ed25519 private key in OpenSSH or PEM (PKCS8) "
        f"form ({_MAKE_ONE})"
    )


def _read_key_file(path: Path, which: str) -> bytes:
    """The bytes of a key file, or a UsageError that names the path only."""
    try:
        with path.open("rb") as handle:
            data = handle.read(_MAX_KEY_FILE + 1)
    except FileNotFoundError:
        raise errors.UsageError(
            f"{path} does not exist: give the path of an Ed25519 {which} key ({_MAKE_ONE})"
        ) from None
    except OSError as exc:
        raise errors.UsageError(
            f"cannot read {path} ({exc.strerror or type(exc).__name__}): check the path and "
            "its permissions"
        ) from None
    if len(data) > _MAX_KEY_FILE:
        raise errors.UsageError(f"{path} is too big to be a key file: check the path")
    return data


# -- public keys -----------------------------------------------------------------------------
def load_public_key(path: Path) -> Ed25519PublicKey:
    """The Ed25519 public key in ``path``: an ``ssh-ed25519`` line, a PEM public key, or the
    public half of a private key file."""
    data = _read_key_file(path, "public")
    try:
        return parse_public_key(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise errors.UsageError(f"{path}: {_NOT_PUBLIC}") from None
    except errors.UsageError as exc:
        raise errors.UsageError(f"{path}: {exc}") from None


_NOT_PUBLIC = (
    "not a public key: give an `ssh-ed25519 AAAA...` line (the .pub file ssh-keygen writes) "
    "or a PEM public key"
)


def parse_public_key(text: str) -> Ed25519PublicKey:
    """The Ed25519 public key in ``text`` (an OpenSSH line, PEM, or a private key's public
    half); UsageError otherwise."""
    data = text.encode("utf-8", "replace")
    header = _openssh_header(data)
    if header is not None:
        key = _ed25519_from_blob(header[1])
        if key is None:
            raise errors.UsageError(_not_ed25519(None, _type_name(_blob_type(header[1]))))
        return key
    if b"-----BEGIN " in data:
        return _pem_public(data)
    for line in text.split("\n"):
        fields = line.split()
        if fields and not fields[0].startswith("#"):
            return _ssh_public(fields[0], fields[1] if len(fields) > 1 else "")
    raise errors.UsageError(_NOT_PUBLIC)


def _ssh_public(kind: str, body: str) -> Ed25519PublicKey:
    if kind != "ssh-ed25519":
        known = _type_name(kind)
        raise errors.UsageError(_NOT_PUBLIC if known == _UNKNOWN else _not_ed25519(None, known))
    try:
        key = _ed25519_from_blob(_b64decode(body))
    except ValueError:
        key = None
    if key is None:
        raise errors.UsageError("the ssh-ed25519 key is damaged: copy the whole .pub line again")
    return key


def _pem_public(data: bytes) -> Ed25519PublicKey:
    if _PEM_PRIVATE.search(data) and _PEM_ENCRYPTED.search(data):
        raise errors.UsageError(
            "an encrypted private key: give its public key instead (`ssh-keygen -y -f KEY` "
            "prints it)"
        )
    try:
        if _PEM_PRIVATE.search(data):
            key: object = serialization.load_pem_private_key(data, None).public_key()
        else:
            key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise errors.UsageError(_NOT_PUBLIC) from None
    if not isinstance(key, Ed25519PublicKey):
        raise errors.UsageError(_not_ed25519(None, "another type"))
    return key


# -- allowed signers -------------------------------------------------------------------------
@dataclass(frozen=True)
class AllowedSigner:
    """One usable line of an allowed_signers file. ``principals`` and ``namespaces`` are
    OpenSSH pattern lists (``*``, ``?``, ``!negation``); None namespaces means any."""

    principals: tuple[str, ...]
    key: Ed25519PublicKey
    namespaces: tuple[str, ...] | None
    valid_after: datetime | None
    valid_before: datetime | None


class _Options(NamedTuple):
    cert_authority: bool = False
    namespaces: tuple[str, ...] | None = None
    valid_after: datetime | None = None
    valid_before: datetime | None = None


# A key type, as opposed to options: OpenSSH tries the word as a key first, the same way.
_KEY_TYPE = re.compile(r"(?:ssh|ecdsa|sk)-[A-Za-z0-9@._-]+")
_FIELD = re.compile(r'\s*((?:[^\s"]+|"[^"]*")+)')
_OPTION = re.compile(r'(cert-authority)|(namespaces|valid-after|valid-before)="([^"]*)"', re.I)
_TIME = re.compile(r"([0-9]{8})([0-9]{4}(?:[0-9]{2})?)?(z|utc)?", re.I)
_FORMAT = "the format is PRINCIPALS [OPTIONS] ssh-ed25519 KEY [COMMENT] (ssh-keygen(1))"


def parse_allowed_signers(text: str) -> list[AllowedSigner]:
    """The Ed25519 entries of a git/ssh-keygen allowed_signers file. Blank and ``#`` lines
    are ignored, and so are lines of other key types (a shared file may list RSA keys for
    other uses) and ``cert-authority`` lines (certificates are not supported). Times are UTC
    (see :func:`_timestamp`). A malformed line is a UsageError naming its number."""
    signers = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip() or line.strip().startswith("#"):
            continue
        try:
            signer = _signer(line)
        except ValueError as exc:
            raise errors.UsageError(f"allowed signers line {number}: {exc}; {_FORMAT}") from None
        if signer is not None:
            signers.append(signer)
    return signers


def _signer(line: str) -> AllowedSigner | None:
    principals, rest = _field(line, "principals")
    if _KEY_TYPE.fullmatch(principals):
        raise ValueError("principals missing (the line starts with the key type)")
    word, rest = _field(rest, "key type")
    options = _Options()
    if not _KEY_TYPE.fullmatch(word):
        options = _options(word)
        word, rest = _field(rest, "key type")
    body, _comment = _field(rest, "key")
    if options.cert_authority or word != "ssh-ed25519":
        return None
    try:
        key = _ed25519_from_blob(_b64decode(body))
    except ValueError:
        key = None
    if key is None:
        raise ValueError("the ssh-ed25519 key is damaged")
    return AllowedSigner(
        _principals(principals), key, options.namespaces, options.valid_after, options.valid_before
    )


def _field(text: str, what: str) -> tuple[str, str]:
    """The first whitespace-separated field of ``text`` (double quotes may hold spaces) and
    the rest."""
    found = _FIELD.match(text)
    if found is None:
        raise ValueError(f"{what} missing" if not text.strip() else f"misplaced quote in {what}")
    rest = text[found.end() :]
    if rest and not rest[0].isspace():
        raise ValueError(f"unbalanced quote in {what}")
    return found.group(1), rest


def _principals(field: str) -> tuple[str, ...]:
    if len(field) >= 2 and field[0] == field[-1] == '"':
        field = field[1:-1]
    if '"' in field:
        raise ValueError("misplaced quote in principals")
    names = tuple(field.split(","))
    if not all(names):
        raise ValueError("an empty principal")
    return names


def _options(field: str) -> _Options:
    """``cert-authority``, ``namespaces="..."``, ``valid-after="..."``, ``valid-before="..."``,
    comma-separated, each at most once (as OpenSSH insists)."""
    seen: dict[str, str] = {}
    pos = 0
    while True:
        found = _OPTION.match(field, pos)
        if found is None:
            raise ValueError("unknown or malformed option")
        name = (found.group(1) or found.group(2)).lower()
        if name in seen:
            raise ValueError(f"{name} given twice")
        seen[name] = found.group(3) or ""
        pos = found.end()
        if pos == len(field):
            break
        if field[pos] != "," or pos + 1 == len(field):
            raise ValueError("options are separated by single commas")
        pos += 1
    after = _timestamp(seen["valid-after"], "valid-after") if "valid-after" in seen else None
    before = _timestamp(seen["valid-before"], "valid-before") if "valid-before" in seen else None
    if after is not None and before is not None and before <= after:
        raise ValueError("valid-before is not after valid-after")
    spaces = seen.get("namespaces")
    return _Options(
        "cert-authority" in seen,
        None if spaces is None else tuple(n for n in spaces.split(",") if n),
        after,
        before,
    )


def _timestamp(value: str, name: str) -> datetime:
    """``YYYYMMDD[HHMM[SS]][Z]``. ssh-keygen reads a time without ``Z`` as the verifying
    machine's local time; here every time is UTC, so a verdict does not depend on the machine
    (write ``Z`` to mean the same thing to both)."""
    found = _TIME.fullmatch(value)
    if found is None:
        raise ValueError(f"{name} is not YYYYMMDD[HHMM[SS]][Z]")
    day, clock = found.group(1), found.group(2) or "0000"
    try:
        return datetime(
            int(day[:4]), int(day[4:6]), int(day[6:]),
            int(clock[:2]), int(clock[2:4]), int(clock[4:] or 0), tzinfo=UTC,
        )  # fmt: skip
    except ValueError:
        raise ValueError(f"{name} is not a real date and time") from None


def trusted_keys(
    signers: list[AllowedSigner], identity: str, namespace: str, at: datetime
) -> list[Ed25519PublicKey]:
    """The keys trusted to sign for ``identity`` in ``namespace`` at ``at`` (a naive time is
    UTC): principals match ``identity``, namespaces (when given) match ``namespace``, and
    valid-after <= ``at`` < valid-before (OpenSSH also admits the valid-before second itself;
    here it is the first moment a key is no longer valid). Each key once, in file order."""
    when = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    keys: dict[bytes, Ed25519PublicKey] = {}
    for signer in signers:
        if _admits(signer, identity, namespace, when):
            keys.setdefault(signer.key.public_bytes_raw(), signer.key)
    return list(keys.values())


def _admits(signer: AllowedSigner, identity: str, namespace: str, when: datetime) -> bool:
    return (
        _match_list(identity, signer.principals)
        and (signer.namespaces is None or _match_list(namespace, signer.namespaces))
        and (signer.valid_after is None or signer.valid_after <= when)
        and (signer.valid_before is None or when < signer.valid_before)
    )


def _match_list(name: str, patterns: tuple[str, ...]) -> bool:
    """OpenSSH's pattern-list rule: some pattern matches, and no ``!pattern`` does."""
    matched = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        if _match(name, pattern[1:] if negated else pattern):
            if negated:
                return False
            matched = True
    return matched


def _match(name: str, pattern: str) -> bool:
    """Case-sensitive wildcard match: ``*`` any run, ``?`` any one character (no ``[...]``
    classes, as in OpenSSH)."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, name, re.S) is not None
