"""Email addresses: the one normalisation every area uses (users, outlets, readers).

:func:`normalise` is the form to store and send to (the domain lower-cased, the local part as
written: RFC 5321 lets a server tell cases apart). :func:`key` is the identity: two addresses are
the same when their keys are equal. Mail systems fold case in practice, so a list that keeps
``Redaktion@`` and ``redaktion@`` apart mails one newsroom twice, and an account or a reader is
found whatever case is typed.
"""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email


class InvalidAddress(ValueError):
    """Not a syntactically valid address; ``reason`` is email-validator's explanation."""

    def __init__(self, address: str, reason: str) -> None:
        super().__init__(reason)
        self.address = address
        self.reason = reason


def normalise(address: str) -> str:
    """Validate the syntax (no DNS look-up) and return the canonical form of ``address``.

    Raises :class:`InvalidAddress`."""
    raw = (address or "").strip()
    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidAddress(raw, str(exc)) from exc


def key(address: str) -> str:
    """The identity of an address: :func:`normalise` lower-cased. Raises :class:`InvalidAddress`."""
    return normalise(address).lower()


def key_or_none(address: str) -> str | None:
    """:func:`key`, or None for an invalid address (look-ups such as login)."""
    try:
        return key(address)
    except InvalidAddress:
        return None


def mailbox(address: str) -> str:
    """The mailbox an address delivers to: normalised, with a ``+tag`` sub-address removed.

    ``Anna+news@Example.org`` and ``anna+x@example.org`` are one mailbox, ``anna@example.org``,
    so a throttle keyed on it cannot be dodged with tag variants. Raises :class:`InvalidAddress`."""
    local, _, domain = key(address).rpartition("@")
    base = local.split("+", 1)[0] or local
    return f"{base}@{domain}"


_BRACKETED = re.compile(r"<[^>]*>?")
_ADDRESS_CHARS = re.compile(r"[<>@\"]")


def looks_like_address(text: str) -> bool:
    """True when a name holds something a mail client could show as an address."""
    return bool(_ADDRESS_CHARS.search(text or ""))


def display_name(text: str) -> str:
    """A display name (From, List-Id) as plain text on one line.

    Mail clients show ``"Landrat <landrat@evil.example>" <pm@platform>`` as if the first part were
    the sender's address. Bracketed parts and words with an ``@`` are dropped, so the platform's
    address is the only address in the header; names are refused on input (see
    :func:`looks_like_address`), this guards what is already stored."""
    text = _BRACKETED.sub(" ", text or "")
    words = [w for w in text.split() if "@" not in w]
    return " ".join(_ADDRESS_CHARS.sub("", " ".join(words)).split())
