"""Is this document what the office published? The check behind ``pressdesk verify``.

Works offline: give it a saved ``signed.json`` (or a ninjs file and its ``.jws``) and a saved
JWKS (``/.well-known/pressdesk-keys.json``). Needs only the standard library and
``cryptography``, so ``python -m pressdesk.formats.verify FILE --keys KEYS`` runs without the
app's configuration too.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pressdesk.formats import jws


@dataclass(frozen=True)
class Verdict:
    ok: bool
    lines: list[str] = field(default_factory=list)
    office: str = ""
    version: str = ""
    pub_status: str = ""


def _office_slug(doc: dict[str, Any]) -> str:
    sources = doc.get("infoSources") or doc.get("infosources") or [{}]
    return str(sources[0].get("literal", ""))


def check(doc: Any, token: str, keyset: dict[str, Any]) -> Verdict:
    """The signature, the office it claims, and what the document says of itself."""
    if not isinstance(doc, dict):
        return Verdict(False, ["Not a ninjs document."])
    result = jws.verify(doc, token, keyset)
    if not result.ok:
        return Verdict(False, [f"NOT VERIFIED: {result.reason}"])
    office = _office_slug(doc)
    key = result.key or {}
    key_office = key.get("office", "")
    if key_office != office:
        return Verdict(False, [f"NOT VERIFIED: signed with a key of {key_office!r}, but the "
                               f"document names the office {office!r}."])
    version, status = str(doc.get("version", "")), str(doc.get("pubStatus", ""))
    name = (doc.get("infoSources") or [{}])[0].get("name", office)
    headline = (doc.get("headlines") or [{}])[0].get("value", "")
    retired = f", retired {key['retired']}" if key.get("retired") else ""
    lines = [f"VERIFIED: signed by {name} (key {result.kid}{retired}).",
             f"Headline: {headline}", f"Version {version}, created {doc.get('versionCreated')}."]
    if status == "canceled":
        lines.append("WITHDRAWN: the office withdrew this release; it must not be used.")
    elif doc.get("edNote"):
        lines.append(f"Note: {doc['edNote']}")
    return Verdict(True, lines, office, version, status)


def load_signed(data: bytes, signature: str | None = None) -> tuple[Any, str]:
    """(document, token) from a ``signed.json``, or from a ninjs file plus its signature."""
    parsed = json.loads(data)
    if isinstance(parsed, dict) and "ninjs" in parsed and "signature" in parsed:
        return parsed["ninjs"], str(parsed["signature"])
    if signature is None:
        raise ValueError("no signature: give a signed.json, or the .jws with --signature")
    return parsed, signature.strip()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="pressdesk-verify", description=__doc__)
    ap.add_argument("file", type=Path)
    ap.add_argument("--keys", type=Path, required=True, help="a saved pressdesk-keys.json")
    ap.add_argument("--signature", type=Path, help="the .jws beside a bare ninjs file")
    args = ap.parse_args(argv)
    sig = args.signature.read_text() if args.signature else None
    if sig is None and args.file.with_suffix(".jws").exists():
        sig = args.file.with_suffix(".jws").read_text()
    try:
        doc, token = load_signed(args.file.read_bytes(), sig)
    except ValueError as exc:
        print(f"NOT VERIFIED: {exc}")
        return 2
    verdict = check(doc, token, json.loads(args.keys.read_text()))
    print("\n".join(verdict.lines))
    if not verdict.ok:
        return 1
    return 3 if verdict.pub_status == "canceled" else 0


if __name__ == "__main__":
    sys.exit(main())
