"""What the three formats share: identifiers, the subject URI scheme, status and rights."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pressdesk.config import settings
from pressdesk.releases.presenter import PublicRelease

LANGUAGE = "de"
# What the portal says of every photo and text when the office names no terms of its own.
USAGE_TERMS = ("Abdruck honorarfrei mit Quellenangabe, nur im Zusammenhang mit dieser "
               "Meldung.")


def host() -> str:
    return urlsplit(settings().base_url).hostname or "pressdesk.example"


def base() -> str:
    return settings().base_url.rstrip("/")


def item_uri(p: PublicRelease) -> str:
    """The item's identity in every format (ninjs ``uri``, NewsML-G2 ``guid``): one per
    release, the versions are told apart by ``version``."""
    return f"tag:{host()},{p.year or 2026}:release/{p.id}"


def image_uri(p: PublicRelease, image_id: str) -> str:
    return f"tag:{host()},{p.year or 2026}:image/{image_id}"


def attachment_uri(p: PublicRelease, attachment_id: str) -> str:
    return f"tag:{host()},{p.year or 2026}:attachment/{attachment_id}"


def office_uri(p: PublicRelease) -> str:
    return f"{base()}/presse/{p.office.slug}"


def subject_uri(office_slug: str, kind: str, slug: str) -> str:
    """The stable URI of a topic or region: vocabularies are per office, so the office is part
    of it (``/vokabular/<office>/thema/<slug>``, ``/vokabular/<office>/region/<slug>``)."""
    return f"{base()}/vokabular/{office_slug}/{kind}/{slug}"


def qcode_safe(slug: str) -> str:
    """A slug as the code part of a NewsML-G2 QCode (no colon, no blank)."""
    return re.sub(r"[^A-Za-z0-9._-]", "-", slug)


def pub_status(p: PublicRelease) -> str:
    """IPTC's publishing status: a withdrawn release is ``canceled`` (IPTC has no
    "withdrawn": ``canceled`` is its word for an item that must no longer be used)."""
    return "canceled" if p.status == "withdrawn" or p.kind == "withdrawal" else "usable"


def withdrawn(p: PublicRelease) -> bool:
    return pub_status(p) == "canceled"


def rights_holder(p: PublicRelease) -> str:
    return p.office.name


def copyright_notice(p: PublicRelease) -> str:
    return f"© {p.published.year} {p.office.name}"


def byline(p: PublicRelease) -> str:
    """The byline: the press contact, else the office."""
    return p.contact.name or p.office.name


def contact_line(p: PublicRelease) -> str:
    c = p.contact
    return ", ".join(x for x in (c.name, c.phone, c.email) if x)


def ed_note(p: PublicRelease) -> str:
    if withdrawn(p):
        note = "Diese Meldung wurde zurückgezogen und darf nicht mehr verwendet werden."
        return f"{note} {p.change_summary}".strip()
    if p.kind == "correction":
        return f"Korrektur (Version {p.version}). {p.change_summary}".strip()
    return ""

