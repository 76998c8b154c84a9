"""Helpers for the invitation tests: an invitation written and published through the desk,
the calendar file of a received mail, parsed by both parsers."""

from __future__ import annotations

import email
from datetime import datetime, timedelta
from email import policy
from typing import Any

from pressdesk.db import utcnow
from tests.desk_helpers import berlin_input, default_lists, fresh, write
from tests.helpers import post

HEADLINE = "Pressetermin: Vorstellung des IT-Kompetenzzentrums"


def appointment_form(start: datetime, **changes: Any) -> dict[str, Any]:
    data = {"starts_at": berlin_input(start), "ends_at": berlin_input(start + timedelta(hours=1)),
            "place_name": "Kreishaus Leer, Sitzungssaal", "address": "Bergmannstraße 37, 26789 Leer",
            "latitude": "53.2308", "longitude": "7.4603",
            "programme": "Landrat Matthias Groote stellt das IT-Kompetenzzentrum vor.",
            "accreditation_required": "y",
            "accreditation_until": berlin_input(start - timedelta(days=2)),
            "access_notes": "Parkplätze hinter dem Kreishaus.", "day_contact_name": "Anna Eilers",
            "day_contact_phone": "0491 926-1180",
            "rsvp_until": berlin_input(start - timedelta(days=1))}
    data.update(changes)
    return data


def start_in(days: int = 7) -> datetime:
    return (utcnow() + timedelta(days=days)).replace(second=0, microsecond=0)


def write_invitation(client, start: datetime | None = None, **changes: Any) -> int:  # type: ignore[no-untyped-def]
    rid = write(client, headline=HEADLINE,
                subline="Einladung an die Redaktionen", body="Wir laden Sie herzlich ein.")
    resp = post(client, f"/desk/releases/{rid}/termin",
                appointment_form(start or start_in(), **changes))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return rid


def publish(client, rid: int) -> int:  # type: ignore[no-untyped-def]
    resp = post(client, f"/desk/releases/{rid}/publish", {"lists": default_lists(), "when": "now"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return fresh(rid).versions[-1].id


def calendar_of(data: bytes) -> tuple[bytes, str]:
    """The .ics attachment of a mail and its Content-Type header."""
    msg = email.message_from_bytes(data, policy=policy.default)
    parts = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1, [p.get_content_type() for p in msg.walk()]
    part = parts[0]
    assert part.get_filename() == "einladung.ics"
    return part.get_payload(decode=True), str(part["Content-Type"])


def parse_both(ics: bytes) -> tuple[Any, Any]:
    """The calendar parsed by icalendar and by vobject (each raises on invalid input)."""
    import icalendar
    import vobject

    return icalendar.Calendar.from_ical(ics), vobject.readOne(ics.decode("utf-8"))


def add_appointment(release, start: datetime | None = None, **changes: Any):  # type: ignore[no-untyped-def]
    """An appointment attached to ``release`` directly (no request, no role check), flushed."""
    from dataclasses import replace

    from pressdesk.extensions import db
    from pressdesk.invitations import services
    from pressdesk.invitations.models import Invitation

    start = start or start_in()
    data = services.AppointmentInput(
        starts_at=start, ends_at=start + timedelta(hours=1),
        place_name="Kreishaus Leer, Sitzungssaal", address="Bergmannstraße 37, 26789 Leer",
        programme="Landrat Matthias Groote stellt das IT-Kompetenzzentrum vor.",
        rsvp_until=start - timedelta(days=1))
    inv = Invitation(office_id=release.office_id, release_id=release.id, cancelled=False,
                     uid=f"termin-{release.public_id}@test.example",
                     **services.clean(replace(data, **changes)))
    db.session.add(inv)
    db.session.flush()
    return inv


def published_invitation(slug: str = "landkreis-leer"):  # type: ignore[no-untyped-def]
    """An invitation published to the office's default lists, committed (no worker needed)."""
    from pressdesk.extensions import db
    from pressdesk.releases import services
    from tests.helpers import office

    release = services.create_release(office(slug), None, {
        "headline": HEADLINE, "lead": "Der Landkreis lädt die Medien ein.",
        "body": "Wir laden Sie herzlich ein."})
    add_appointment(release, latitude=53.2308, longitude=7.4603)
    services.publish_release(release, None)
    db.commit()
    return release
