"""DKIM signing (dkimpy) and the shared, signed bytes each worker sends.

One signature per version and variant over the shared headers and the body, stored as a
``MessageVariant`` so every worker sends the same and the desk shows the message exactly as sent.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from pressdesk.config import settings
from pressdesk.db import utcnow
from pressdesk.delivery.models import READER_KINDS, MessageVariant, insert_ignore
from pressdesk.delivery.render import header_blocks
from pressdesk.extensions import db
from pressdesk.releases.models import ReleaseVersion

# Headers that are the same for every recipient of a shared message, so one DKIM signature
# per version and variant serves all of them (To and Message-ID are added later, unsigned).
DKIM_HEADERS = (b"from", b"reply-to", b"subject", b"date", b"list-id", b"mime-version",
                b"content-type", b"content-transfer-encoding")


# Reader mail is signed per message, over its own headers too: RFC 8058 section 4 requires
# List-Unsubscribe and List-Unsubscribe-Post to be signed, and To and Message-ID are bound in.
PERSONAL_DKIM_HEADERS = (b"to", b"message-id", b"list-unsubscribe", b"list-unsubscribe-post",
                         *DKIM_HEADERS)


def dkim_sign(shared: bytes, selector: str, domain: str, private_key: bytes,
              headers: tuple[bytes, ...] = DKIM_HEADERS) -> bytes:
    """Prepend a DKIM-Signature over the given headers (those present) and the body (dkimpy,
    relaxed canonicalisation)."""
    import dkim

    head = shared.split(b"\r\n\r\n", 1)[0]
    present = {b.split(b":", 1)[0].strip().lower() for b in header_blocks(head)}
    include = [h for h in headers if h in present]
    sig: bytes = dkim.sign(shared, selector.encode(), domain.encode(), private_key,
                    canonicalize=(b"relaxed", b"relaxed"), include_headers=include, linesep=b"\r\n")
    return sig + shared


class SharedParts:
    """The shared bytes per (kind, variant) of one version, DKIM-signed once when configured.

    A signed variant is stored (``MessageVariant`` "dkim:<kind>:<variant>"), so every worker
    sends the same signature and the desk can show the message exactly as sent.
    """

    def __init__(self, version: ReleaseVersion | None, sign: bool = True) -> None:
        self.version = version
        self.sign = sign
        self.cache: dict[tuple[str, str], bytes | None] = {}
        self.unsigned_cache: dict[tuple[str, str], bytes | None] = {}
        self.dkim = bool(settings().dkim_key_file)

    def base(self, kind: str, variant: str) -> bytes | None:
        if self.version is None:
            return None  # service mail: each row brings its own payload
        if variant:
            return db.session.scalar(select(MessageVariant.mail_bytes).where(
                MessageVariant.version_id == self.version.id, MessageVariant.name == variant))
        if kind == "outlet":
            return self.version.mail_bytes
        if kind == "reader":
            # Reader alerts may be queued after this task loaded the version (its outlets were
            # already being sent): read the reader variant now, never a stale copy.
            fresh = db.session.scalar(select(ReleaseVersion.reader_mail_bytes)
                                      .where(ReleaseVersion.id == self.version.id))
            return fresh or self.version.mail_bytes
        return None  # rendered per row (Delivery.payload)

    def unsigned(self, kind: str, variant: str) -> bytes | None:
        """The shared bytes without the shared signature: for rows whose body is their own
        (an outlet's link token), signed per message."""
        if not self.dkim:
            return self.get(kind, variant)
        key = (kind, variant)
        if key not in self.unsigned_cache:
            self.unsigned_cache[key] = self.base(kind, variant)
        return self.unsigned_cache[key]

    def get(self, kind: str, variant: str) -> bytes | None:
        key = (kind, variant)
        if key not in self.cache:
            self.cache[key] = self._load(kind, variant)
        return self.cache[key]

    def _load(self, kind: str, variant: str) -> bytes | None:
        base = self.base(kind, variant)
        s = settings()
        if base is None or not s.dkim_key_file or kind in READER_KINDS or self.version is None:
            return base  # reader mail is signed per message (sign_message)
        name = f"dkim:{kind}:{variant}"
        stored = db.session.scalar(select(MessageVariant.mail_bytes).where(
            MessageVariant.version_id == self.version.id, MessageVariant.name == name))
        if stored is not None or not self.sign:
            db.commit()  # deliberate: end the read; the next worker reads fresh
            return stored if stored is not None else base
        signed = dkim_sign(base, s.dkim_selector, s.dkim_domain or s.mail_domain,
                           Path(s.dkim_key_file).read_bytes())
        # Another worker may sign at the same moment: keep the first and use that.
        db.session.execute(insert_ignore(MessageVariant, {
            "version_id": self.version.id, "name": name, "mail_bytes": signed,
            "created_at": utcnow()}))
        stored = db.session.scalar(select(MessageVariant.mail_bytes).where(
            MessageVariant.version_id == self.version.id, MessageVariant.name == name))
        db.commit()  # deliberate: every worker must send the one stored signature
        return stored


def sign_message(data: bytes) -> bytes:
    """One whole message (its own To, Message-ID, List-Unsubscribe...) signed, when DKIM is
    configured; else unchanged. For reader alerts, digests and service mail."""
    s = settings()
    if not s.dkim_key_file:
        return data
    return dkim_sign(data, s.dkim_selector, s.dkim_domain or s.mail_domain, _private_key(),
                     PERSONAL_DKIM_HEADERS)


_KEYS: dict[str, bytes] = {}


def _private_key() -> bytes:
    path = settings().dkim_key_file
    if path not in _KEYS:
        _KEYS[path] = Path(path).read_bytes()
    return _KEYS[path]
