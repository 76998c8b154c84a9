"""What an outlet does itself through its signed link: look at its preferences, change them,
leave the list. Every change is written to the office's audit log (no user: the outlet)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update

from pressdesk.accounts.models import User
from pressdesk.audit.services import record
from pressdesk.db import utcnow
from pressdesk.delivery.models import PENDING_STATES, Delivery, DeliveryState
from pressdesk.extensions import db
from pressdesk.media.models import Outlet
from pressdesk.offices.models import Office
from pressdesk.releases.models import Region, Topic
from pressdesk.signals import outlet_review

LEFT_NOTE = "the outlet left the list"


class PreferencesError(ValueError):
    """A choice was refused; the message is shown as is."""


def office_of(outlet: Outlet) -> Office:
    office = db.session.get(Office, outlet.office_id)
    assert office is not None  # the foreign key cascades
    return office


def leave(outlet: Outlet, how: str, client: str = "") -> bool:
    """The outlet leaves the list, at once: it is taken off every send, mail already queued
    for it (not yet handed to the relay) is cancelled, follow-ups skip it. True if it was
    still on the list (leaving twice changes nothing)."""
    if outlet.left_at is not None:
        return False
    outlet.left_at = utcnow()
    outlet.active = False
    db.session.execute(
        update(Delivery)
        .where(Delivery.outlet_id == outlet.id, Delivery.state.in_(PENDING_STATES))
        .values(state=DeliveryState.CANCELLED.value, last_error=LEFT_NOTE, updated_at=utcnow())
        .execution_options(synchronize_session=False))
    record(outlet.office_id, None, "outlet.left", "outlet", outlet.id,
           f"{outlet.email} ({how})")
    db.session.flush()
    return True


def vocabulary(office: Office) -> tuple[list[Topic], list[Region]]:
    topics = list(db.session.scalars(select(Topic).where(Topic.office_id == office.id)
                                     .order_by(Topic.name)))
    regions = list(db.session.scalars(select(Region).where(Region.office_id == office.id)
                                      .order_by(Region.name)))
    return topics, regions


@dataclass(frozen=True)
class Preferences:
    topic_ids: list[int]
    region_ids: list[int]
    text_only: bool
    attachments: bool
    max_attachment_kb: int
    digest_hour: int | None
    pause_from: date | None
    pause_until: date | None
    pause_digest: bool


def seen(outlet: Outlet) -> None:
    """The outlet opened its preference page: a sign of life the office sees (no tracking:
    the page itself is what the outlet asked for)."""
    outlet.prefs_seen_at = utcnow()


def still_right(outlet: Outlet) -> None:
    outlet.confirmed_at = utcnow()
    if outlet.review_reason == "yearly":
        outlet.review_reason, outlet.review_note, outlet.review_at = "", "", None
    record(outlet.office_id, None, "outlet.confirmed", "outlet", outlet.id, outlet.email)


def save_preferences(outlet: Outlet, p: Preferences, client: str = "") -> None:
    """The outlet's choices, checked against its office's vocabularies."""
    office = office_of(outlet)
    if (p.pause_from is None) != (p.pause_until is None):
        raise PreferencesError(_("Für eine Pause bitte Beginn und Ende angeben."))
    if p.pause_from is not None and p.pause_until is not None and p.pause_until < p.pause_from:
        raise PreferencesError(_("Das Ende der Pause liegt vor ihrem Beginn."))
    if p.digest_hour is not None and not 0 <= p.digest_hour <= 23:
        raise PreferencesError(_("Bitte eine Uhrzeit zwischen 0 und 23 Uhr wählen."))
    topics = list(db.session.scalars(select(Topic).where(Topic.id.in_(p.topic_ids),
                                                         Topic.office_id == office.id)))
    regions = list(db.session.scalars(select(Region).where(Region.id.in_(p.region_ids),
                                                           Region.office_id == office.id)))
    if len(topics) != len(set(p.topic_ids)) or len(regions) != len(set(p.region_ids)):
        raise PreferencesError(_("Unbekannte Themen oder Regionen gewählt."))
    outlet.topics, outlet.regions = topics, regions
    outlet.text_only, outlet.prefers_attachments = p.text_only, p.attachments
    outlet.max_attachment_kb = p.max_attachment_kb
    outlet.digest_hour = p.digest_hour
    outlet.pause_from, outlet.pause_until, outlet.pause_digest = (
        p.pause_from, p.pause_until, p.pause_digest)
    outlet.prefs_seen_at = utcnow()
    record(outlet.office_id, None, "outlet.preferences", "outlet", outlet.id,
           f"{outlet.email}: " + describe(outlet))
    db.session.flush()


def describe(outlet: Outlet) -> str:
    parts = [("Themen: " + ", ".join(t.name for t in outlet.topics)) if outlet.topics else
             "alle Themen",
             ("Regionen: " + ", ".join(r.name for r in outlet.regions)) if outlet.regions else
             "alle Regionen",
             "nur Text" if outlet.text_only else "Text und HTML",
             "Bilder als Anhang" if outlet.prefers_attachments else "Bilder als Link",
             f"Zusammenfassung um {outlet.digest_hour} Uhr" if outlet.digest_hour is not None
             else "sofort"]
    if outlet.pause_from and outlet.pause_until:
        parts.append(f"Pause {outlet.pause_from:%d.%m.%Y}–{outlet.pause_until:%d.%m.%Y}"
                     + (" mit Nachsendung" if outlet.pause_digest else " ohne Nachsendung"))
    return "; ".join(parts)


def on_outlet_review(sender: Any, outlet_id: int, reason: str, note: str, **_kw: Any) -> None:
    mark_for_review(outlet_id, reason, note)


def connect_receivers() -> None:
    """Delivery tells of bounces and "person left" replies by a signal; it imports no media."""
    outlet_review.connect(on_outlet_review, weak=False)


def mark_for_review(outlet_id: int, reason: str, note: str) -> bool:
    """Put an outlet on the office's review list (a hard bounce, "this person left"). True if
    it was marked now."""
    outlet = db.session.get(Outlet, outlet_id)
    if outlet is None or outlet.review_reason == reason:
        return False
    outlet.review_reason, outlet.review_note, outlet.review_at = reason, note[:2000], utcnow()
    record(outlet.office_id, None, "outlet.review", "outlet", outlet.id,
           f"{outlet.email}: {reason}")
    return True


YEAR = timedelta(days=365)
NO_ANSWER = timedelta(days=30)


def _last_sign_of_life(outlet: Outlet) -> datetime:
    return max(d for d in (outlet.created_at, outlet.prefs_seen_at, outlet.confirmed_at)
               if d is not None)


def review_lists(office: Office, now: datetime | None = None) -> tuple[list[Outlet], list[Outlet]]:
    """(outlets marked for review, outlets with no sign of life for a year): the office's
    "keeping it true" page. A sign of life is the preference page opened or "still the
    right contact" confirmed; nothing is tracked."""
    now = now or utcnow()
    outlets = list(db.session.scalars(select(Outlet).where(
        Outlet.office_id == office.id, Outlet.left_at.is_(None)).order_by(Outlet.name)))
    marked = [o for o in outlets if o.review_reason]
    quiet = [o for o in outlets if not o.review_reason and o.active
             and _last_sign_of_life(o) < now - YEAR]
    return marked, quiet


def review_decision(outlet: Outlet, user: User, action: str) -> None:
    if action == "deactivate":
        outlet.active = False
    if action == "left":
        outlet.review_reason, outlet.review_note, outlet.review_at = (
            "left", "von der Pressestelle vermerkt", utcnow())
    else:
        outlet.review_reason, outlet.review_note, outlet.review_at = "", "", None
    record(outlet.office_id, user, f"outlet.review_{action}", "outlet", outlet.id, outlet.email)
    db.session.flush()


def yearly_checks(now: datetime | None = None) -> int:
    """Offices that opted in: ask outlets quiet for a year "are you still the right contact?"
    (once a year), and mark for review those that did not answer within 30 days."""
    from pressdesk.media import links, mails
    from pressdesk.media.models import OutletSettings

    now = now or utcnow()
    sent = 0
    offices = list(db.session.scalars(select(OutletSettings.office_id).where(
        OutletSettings.yearly_check.is_(True))))
    for office_id in offices:
        office = db.session.get(Office, office_id)
        if office is None:
            continue
        for outlet in db.session.scalars(select(Outlet).where(
                Outlet.office_id == office_id, Outlet.active.is_(True),
                Outlet.left_at.is_(None))):
            asked = outlet.yearly_sent_at
            if asked is not None and _last_sign_of_life(outlet) < asked:
                if asked < now - NO_ANSWER and not outlet.review_reason:
                    mark_for_review(outlet.id, "yearly", "keine Antwort auf die jährliche Nachfrage")
                if asked > now - YEAR:
                    continue
            if _last_sign_of_life(outlet) >= now - YEAR:
                continue
            if asked is not None and asked > now - YEAR:
                continue
            token = links.outlet_link_token(outlet)
            mails.send("yearly", office, outlet.email, outlet.name, outlet_name=outlet.name,
                       confirm_url=links.preferences_url(token))
            outlet.yearly_sent_at = now
            sent += 1
    db.session.flush()
    return sent


def vocabulary_names(office: Office) -> dict[str, dict[int, str]]:
    topics, regions = vocabulary(office)
    return {"topics": {t.id: t.name for t in topics}, "regions": {r.id: r.name for r in regions}}
