"""The signing keys: one Ed25519 key per office, created on first use, rotated on request.

Stored in the instance folder (``signing-keys/<office>.json``), one file per office with all
its keys: the private key as encrypted PKCS #8 (the passphrase is derived from the app's
secret key with HKDF, so a copy of the folder alone signs nothing), the public key for the
JWKS. Rotating retires the current key (it signs nothing more) and keeps it published, so
documents signed before stay verifiable.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from pressdesk.config import settings
from pressdesk.db import utcnow
from pressdesk.formats import jws
from pressdesk.text import iso_utc


@dataclass(frozen=True)
class SigningKey:
    kid: str
    office: str
    private: Ed25519PrivateKey


def keys_dir() -> Path:
    return Path(settings().instance_dir) / "signing-keys"


def _passphrase() -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"pressdesk.signing-keys",
                info=b"office signing key encryption").derive(settings().secret_key.encode())


def _file(office: str) -> Path:
    if not office or "/" in office or office.startswith("."):
        raise ValueError(f"bad office slug {office!r}")
    return keys_dir() / f"{office}.json"


@contextmanager
def _locked() -> Iterator[None]:
    """One writer at a time (web workers creating a first key, a rotation)."""
    keys_dir().mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(keys_dir() / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _read(office: str) -> list[dict[str, Any]]:
    path = _file(office)
    if not path.exists():
        return []
    keys: list[dict[str, Any]] = json.loads(path.read_text())["keys"]
    return keys


def _write(office: str, keys: list[dict[str, Any]]) -> None:
    path = _file(office)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"keys": keys}, f, indent=1)
    os.replace(tmp, path)  # readers see the old file or the new one, never half of one


def _new_entry(office: str, number: int, now: datetime) -> dict[str, Any]:
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.BestAvailableEncryption(_passphrase()))
    kid = f"{office}-{number}"
    return {"kid": kid, "created": iso_utc(now), "retired": None,
            "jwk": jws.public_jwk(private.public_key(), kid, office=office),
            "private": pem.decode("ascii")}


def _load(office: str, entry: dict[str, Any]) -> SigningKey:
    private = serialization.load_pem_private_key(entry["private"].encode(), _passphrase())
    assert isinstance(private, Ed25519PrivateKey)
    return SigningKey(kid=entry["kid"], office=office, private=private)


def current(office: str) -> SigningKey:
    """The office's signing key; created on first use."""
    keys = _read(office)
    active = [k for k in keys if not k["retired"]]
    if active:
        return _load(office, active[-1])
    with _locked():
        keys = _read(office)  # another worker may have been first
        active = [k for k in keys if not k["retired"]]
        if not active:
            keys.append(_new_entry(office, len(keys) + 1, utcnow()))
            _write(office, keys)
            active = keys[-1:]
    return _load(office, active[-1])


def rotate(office: str) -> str:
    """Retire the office's key and make a new one; returns the new key id."""
    with _locked():
        keys = _read(office)
        now = utcnow()
        for k in keys:
            if not k["retired"]:
                k["retired"] = iso_utc(now)
                k["jwk"]["retired"] = iso_utc(now)
        keys.append(_new_entry(office, len(keys) + 1, now))
        _write(office, keys)
        return str(keys[-1]["kid"])


def jwks() -> dict[str, Any]:
    """Every office's public keys, retired ones included (JWKS, RFC 7517)."""
    out: list[dict[str, Any]] = []
    if keys_dir().exists():
        for path in sorted(keys_dir().glob("*.json")):
            out += [dict(k["jwk"], created=k["created"]) for k in _read(path.stem)]
    return {"keys": out}
