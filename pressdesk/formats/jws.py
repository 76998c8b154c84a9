"""Canonical JSON and detached compact JWS (RFC 7515, appendix F) with EdDSA (RFC 8037).

Nothing here needs the app: the command-line verifier and a newsroom's own script use the
same few functions with a saved JWKS.

Canonical JSON (what is signed): UTF-8, keys sorted, no whitespace between tokens
(``json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``). The
signature covers the document, not the bytes it was served as, so indentation does not matter.

Detached JWS: ``BASE64URL(header) + ".." + BASE64URL(signature)``, where the signature is over
``BASE64URL(header) + "." + BASE64URL(canonical document)`` (the payload is left out of the
token and put back by the verifier). The header is ``{"alg": "EdDSA", "kid": ..., "typ":
"JOSE", "cty": "application/ninjs+json"}``.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

CONTENT_TYPE = "application/ninjs+json"


def canonical(doc: Any) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(doc: Any, key: Ed25519PrivateKey, kid: str) -> str:
    header = b64(canonical({"alg": "EdDSA", "kid": kid, "typ": "JOSE", "cty": CONTENT_TYPE}))
    signature = key.sign(f"{header}.{b64(canonical(doc))}".encode("ascii"))
    return f"{header}..{b64(signature)}"


def public_jwk(key: Ed25519PublicKey, kid: str, **extra: Any) -> dict[str, Any]:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    x = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": b64(x), "kid": kid, "use": "sig",
            "alg": "EdDSA", **extra}


@dataclass(frozen=True)
class Checked:
    """The outcome of :func:`verify`. ``ok`` only when the signature is good."""

    ok: bool
    reason: str  # a sentence for people (English: the CLI's and the docs' language)
    kid: str = ""
    key: dict[str, Any] | None = None  # the JWK that signed it


def verify(doc: Any, token: str, jwks: dict[str, Any]) -> Checked:
    """Check a detached JWS over ``doc`` with the keys of ``jwks`` (retired keys included:
    what was signed before a rotation stays verifiable)."""
    try:
        header_b64, empty, sig_b64 = token.strip().split(".")
        header = json.loads(unb64(header_b64))
        signature = unb64(sig_b64)
    except (ValueError, TypeError):
        return Checked(False, "The signature is not a detached compact JWS.")
    if empty:
        return Checked(False, "The signature carries a payload: expected a detached JWS.")
    if header.get("alg") != "EdDSA" or header.get("crit"):
        return Checked(False, "Unsupported JWS header (expected alg EdDSA, no crit).")
    kid = str(header.get("kid", ""))
    jwk = next((k for k in jwks.get("keys", []) if k.get("kid") == kid), None)
    if jwk is None:
        return Checked(False, f"Unknown key {kid!r}: not among the published keys.", kid)
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        return Checked(False, f"Key {kid!r} is not an Ed25519 key.", kid)
    try:
        public = Ed25519PublicKey.from_public_bytes(unb64(jwk["x"]))
        public.verify(signature, f"{header_b64}.{b64(canonical(doc))}".encode("ascii"))
    except (InvalidSignature, ValueError, KeyError):
        return Checked(False, "The signature does not match this document: it was changed "
                              "after signing or signed by someone else.", kid, jwk)
    return Checked(True, "The signature is valid.", kid, jwk)
