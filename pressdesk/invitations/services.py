"""Appointment operations: attach and edit, freeze with a version, send a change or a
cancellation through the release's own correction path.

The appointment is part of the release's content. Before publication an edit voids an approval
like a text edit does (``workflow.note_edit``); after it, saving a change or a cancellation asks
``workflow.correct`` for a correction (4-eyes applies; the summary names what changed), and
freezing that version raises the iCalendar ``SEQUENCE``. Services flush; the request commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from pressdesk.accounts.models import User
from pressdesk.audit.services import record
from pressdesk.config import settings
from pressdesk.extensions import db
from pressdesk.invitations.models import FIELDS, Invitation, InvitationVersion
from pressdesk.releases.models import Release, ReleaseStatus, ReleaseVersion
from pressdesk.releases.services import ReleaseError
from pressdesk.text import german_datetime, has_line_break, one_line, strip_controls

S = ReleaseStatus
LIMITS = {"place_name": 200, "address": 300, "programme": 5000, "access_notes": 2000,
          "day_contact_name": 200, "day_contact_phone": 80}
ONE_LINE = ("place_name", "address", "day_contact_name", "day_contact_phone")


class InvitationError(ReleaseError):
    """Bad appointment input or a step that does not fit; the message is for the user."""


@dataclass(frozen=True)
class AppointmentInput:
    """The appointment as typed, times already in UTC."""

    starts_at: datetime | None
    ends_at: datetime | None
    place_name: str = ""
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    programme: str = ""
    accreditation_required: bool = False
    accreditation_until: datetime | None = None
    access_notes: str = ""
    day_contact_name: str = ""
    day_contact_phone: str = ""
    rsvp_until: datetime | None = None


def invitation_of(release: Release) -> Invitation | None:
    return db.session.scalar(select(Invitation).where(Invitation.release_id == release.id))


def clean(data: AppointmentInput) -> dict[str, Any]:
    """Validate an appointment; every refusal names the field."""
    out: dict[str, Any] = {}
    for name, limit in LIMITS.items():
        value = (getattr(data, name) or "").strip()
        if name in ONE_LINE and has_line_break(value):
            raise InvitationError(_("Das Feld „%(field)s“ darf keinen Zeilenumbruch enthalten.",
                                    field=field_name(name)))
        value = strip_controls(value).strip()
        if len(value) > limit:
            raise InvitationError(_("Das Feld „%(field)s“ ist zu lang (höchstens %(limit)s "
                                    "Zeichen).", field=field_name(name), limit=limit))
        out[name] = value
    if data.starts_at is None or data.ends_at is None:
        raise InvitationError(_("Bitte Beginn und Ende des Termins angeben."))
    if data.ends_at <= data.starts_at:
        raise InvitationError(_("Das Ende des Termins muss nach dem Beginn liegen."))
    if not out["place_name"]:
        raise InvitationError(_("Bitte den Ort des Termins angeben."))
    if (data.latitude is None) != (data.longitude is None):
        raise InvitationError(_("Bitte Breiten- und Längengrad angeben, oder keinen von beiden."))
    if data.latitude is not None and not -90 <= data.latitude <= 90:
        raise InvitationError(_("Der Breitengrad muss zwischen -90 und 90 liegen."))
    if data.longitude is not None and not -180 <= data.longitude <= 180:
        raise InvitationError(_("Der Längengrad muss zwischen -180 und 180 liegen."))
    for name in ("rsvp_until", "accreditation_until"):
        when = getattr(data, name)
        if when is not None and when > data.starts_at:
            raise InvitationError(_("Die Frist „%(field)s“ muss vor dem Beginn des Termins "
                                    "liegen.", field=field_name(name)))
    out.update(starts_at=data.starts_at, ends_at=data.ends_at, latitude=data.latitude,
               longitude=data.longitude, accreditation_required=bool(data.accreditation_required),
               accreditation_until=data.accreditation_until if data.accreditation_required
               else None, rsvp_until=data.rsvp_until)
    return out


def field_name(name: str) -> str:
    from pressdesk.invitations.forms import FIELD_LABELS

    return str(FIELD_LABELS.get(name, name))


def _differs(a: Any, b: Any) -> bool:
    return any(getattr(a, f) != getattr(b, f) for f in FIELDS)


def save(release: Release, user: User, data: AppointmentInput) -> ReleaseVersion | None:
    """Attach or change the release's appointment.

    Before publication: saved, any approval void (the approved content changed). After: a
    correction of the release (``workflow.correct``): sent to the outlets at once, or waiting
    for a second person under 4-eyes. Returns the correction's version when one was sent.
    """
    from pressdesk.releases import workflow

    if release.status == S.WITHDRAWN.value:
        raise InvitationError(_("Eine zurückgezogene Mitteilung kann nicht mehr geändert werden."))
    published = release.status == S.PUBLISHED.value
    workflow.check(release, user, "correct" if published else "edit")
    fields = clean(data)
    inv = invitation_of(release)
    if inv is not None and inv.cancelled:
        raise InvitationError(_("Der Termin ist abgesagt und kann nicht mehr geändert werden."))
    if published and inv is None:
        raise InvitationError(_("Einer veröffentlichten Mitteilung kann kein Termin mehr "
                                "angehängt werden. Bitte eine neue Einladung schreiben."))
    if inv is None:
        inv = Invitation(office_id=release.office_id, release_id=release.id,
                         uid="", cancelled=False, **fields)
        inv.release = release
        db.session.add(inv)
        db.session.flush()
        inv.uid = f"termin-{inv.public_id}@{settings().mail_domain}"
        record(release.office_id, user, "invitation.created", "release", release.id,
               german_datetime(inv.starts_at))
    else:
        for key, value in fields.items():
            setattr(inv, key, value)
    if not published:
        workflow.note_edit(release, user)
        return None
    return _correct(release, user)


def cancel(release: Release, user: User) -> ReleaseVersion | None:
    """Call the appointment off: a correction whose calendar file is a ``METHOD:CANCEL``."""
    from pressdesk.releases import workflow

    inv = invitation_of(release)
    if inv is None:
        raise InvitationError(_("Diese Mitteilung hat keinen Termin."))
    if release.status != S.PUBLISHED.value:
        workflow.check(release, user, "edit")
        db.session.delete(inv)  # never sent: nothing to call off, the appointment just goes
        workflow.note_edit(release, user)
        return None
    workflow.check(release, user, "correct")
    if inv.cancelled:
        raise InvitationError(_("Der Termin ist bereits abgesagt."))
    inv.cancelled = True
    return _correct(release, user)


def _correct(release: Release, user: User) -> ReleaseVersion | None:
    from pressdesk.releases import workflow

    data = {k: getattr(release, k) or "" for k in
            ("headline", "subline", "dateline_place", "lead", "body", "contact_name",
             "contact_phone", "contact_email")}
    version: ReleaseVersion | None = workflow.correct(release, user, data)
    return version


# --- the hooks the release workflow calls -----------------------------------------------------


def change_summary(release: Release) -> str:
    """What changed in the appointment since it last went out ("" when nothing did): part of
    the correction's summary, so a change of time alone is a correction too."""
    inv = invitation_of(release)
    if inv is None or inv.current is None:
        return ""
    old = inv.current
    if inv.cancelled and not old.cancelled:
        return "Termin abgesagt: Der Termin findet nicht statt."
    if not _differs(inv, old):
        return ""
    lines = ["Termin geändert."]
    if (inv.starts_at, inv.ends_at) != (old.starts_at, old.ends_at):
        lines.append(f"Zeit bisher: {german_datetime(old.starts_at)} bis "
                     f"{german_datetime(old.ends_at)}")
        lines.append(f"Zeit neu: {german_datetime(inv.starts_at)} bis "
                     f"{german_datetime(inv.ends_at)}")
    if (inv.place_name, inv.address) != (old.place_name, old.address):
        lines.append(f"Ort bisher: {one_line(', '.join(p for p in (old.place_name, old.address) if p))}")
        lines.append(f"Ort neu: {one_line(', '.join(p for p in (inv.place_name, inv.address) if p))}")
    return "\n".join(lines)


def freeze(version: ReleaseVersion) -> InvitationVersion | None:
    """The working appointment frozen with a release version (before its mail is rendered).
    ``SEQUENCE`` goes up when anything changed since the last version, or when the event is
    called off (cancelled, or the release withdrawn)."""
    inv = db.session.scalar(select(Invitation).where(Invitation.release_id == version.release_id))
    if inv is None:
        return None
    prev = inv.current
    withdrawn = version.kind == "withdrawal"
    if prev is None:
        sequence = 0
    elif _differs(inv, prev) or withdrawn != prev.withdrawn:
        sequence = prev.sequence + 1
    else:
        sequence = prev.sequence
    snap = InvitationVersion(invitation_id=inv.id, version_id=version.id, sequence=sequence,
                             withdrawn=withdrawn or bool(prev and prev.withdrawn),
                             **{f: getattr(inv, f) for f in FIELDS})
    snap.invitation = inv
    snap.release_version = version
    db.session.add(snap)
    db.session.flush()
    inv.current = snap
    return snap


def discard_change(release: Release) -> None:
    """A waiting correction was dropped: the working appointment goes back to the last one
    sent."""
    inv = invitation_of(release)
    if inv is None or inv.current is None:
        return
    for f in FIELDS:
        setattr(inv, f, getattr(inv.current, f))
