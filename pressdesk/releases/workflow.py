"""The release workflow: draft → in review → approved → scheduled/published → corrected/withdrawn.

Who may do what is decided here, once, by :func:`allowed`: the desk shows only those buttons and
every view calls :func:`check` before acting, so a hand-made POST gets the same answer (403).

- editor: writes, uploads, submits for review;
- publisher: also returns to the desk, approves, publishes, schedules, corrects, withdraws;
- admin: everything a publisher may.

With ``Office.require_four_eyes`` the author cannot approve their own release, and nothing is
published or scheduled before a second person approved it.

State changes are conditional UPDATEs (``WHERE status = <expected>``): a double click or two
people acting at once find the state moved and get a clear message instead of a second action.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from pressdesk.accounts.models import Role, User
from pressdesk.audit.services import record
from pressdesk.config import settings
from pressdesk.db import utcnow
from pressdesk.delivery.models import Delivery, DeliveryState
from pressdesk.delivery.queue import Recipient, enqueue
from pressdesk.delivery.relays import open_transport
from pressdesk.delivery.render import personalise, render_message, shared_bytes
from pressdesk.delivery.transport import Outcome
from pressdesk.extensions import db
from pressdesk.releases import diff
from pressdesk.releases.models import Region, Release, ReleaseStatus, ReleaseVersion, Topic
from pressdesk.releases.presenter import working_text
from pressdesk.releases.services import (
    ReleaseError,
    clean_fields,
    draft_mail,
    mail_for,
    publish_release,
)
from pressdesk.releases.variants import with_variants
from pressdesk.signals import release_changed, release_public, send_after_commit
from pressdesk.text import BERLIN, dateline, german_datetime, one_line

log = logging.getLogger(__name__)

S = ReleaseStatus
EDITABLE = (S.DRAFT.value, S.IN_REVIEW.value, S.APPROVED.value)
EDITOR_ACTIONS = {"edit", "upload", "submit", "test_mail"}
STATUS_LABELS = {"draft": "Entwurf", "in_review": "In Prüfung", "approved": "Freigegeben",
                 "scheduled": "Geplant", "published": "Veröffentlicht",
                 "withdrawn": "Zurückgezogen"}


class WorkflowError(ReleaseError):
    """The action does not fit the release's state; shown to the user as a message."""


class NotAllowed(WorkflowError):
    """The user's role (or the 4-eyes rule) forbids the action: answered with 403."""


# --- Who may do what ---------------------------------------------------------------------------


def _rank(release: Release, user: User | None) -> int:
    role = user.role_in(release.office_id) if user is not None else None
    return role.rank if role is not None else 0


def _own(release: Release, user: User) -> bool:
    return release.created_by_id is not None and release.created_by_id == user.id


def allowed(release: Release, user: User | None) -> set[str]:
    """The actions this user may take on this release now."""
    rank, st = _rank(release, user), release.status
    if rank == 0 or user is None:
        return set()
    four_eyes = release.office.require_four_eyes
    acts: set[str] = {"test_mail"} if st != S.WITHDRAWN.value else set()
    if st in EDITABLE:
        acts |= {"edit", "upload"}
    if st == S.DRAFT.value:
        acts.add("submit")
    if rank >= Role.PUBLISHER.rank:
        if st in (S.IN_REVIEW.value, S.APPROVED.value):
            acts.add("reject")
        if st == S.IN_REVIEW.value and not (four_eyes and _own(release, user)):
            acts.add("approve")
        if st == S.APPROVED.value or (not four_eyes and st in (S.DRAFT.value, S.IN_REVIEW.value)):
            acts |= {"publish", "schedule"}
        if st == S.SCHEDULED.value:
            acts.add("unschedule")
        if st == S.PUBLISHED.value:
            acts |= {"correct", "withdraw"}
    return acts


def check(release: Release, user: User | None, action: str) -> None:
    """Raise unless ``user`` may do ``action`` now: :class:`NotAllowed` for role and 4-eyes
    reasons (403), :class:`WorkflowError` when the release's state does not allow it."""
    if action in allowed(release, user):
        return
    need = Role.EDITOR if action in EDITOR_ACTIONS else Role.PUBLISHER
    if user is None or _rank(release, user) < need.rank:
        raise NotAllowed("Dafür fehlt Ihnen die Berechtigung: Freigeben, Veröffentlichen, "
                         "Korrigieren und Zurückziehen dürfen nur Personen mit der Rolle "
                         "„Freigabe“ oder „Administration“.")
    four_eyes = release.office.require_four_eyes
    if four_eyes and action == "approve" and _own(release, user) \
            and release.status == S.IN_REVIEW.value:
        raise NotAllowed("Vier-Augen-Prinzip: Eine eigene Mitteilung kann nicht selbst "
                         "freigegeben werden. Bitte eine zweite Person um Freigabe bitten.")
    if four_eyes and action in ("publish", "schedule") \
            and release.status in (S.DRAFT.value, S.IN_REVIEW.value):
        raise NotAllowed("Vier-Augen-Prinzip: Die Mitteilung muss zuerst von einer zweiten "
                         "Person freigegeben werden.")
    label = STATUS_LABELS.get(release.status, release.status)
    raise WorkflowError(f"Das ist im Status „{label}“ nicht möglich.")


# --- Small helpers -----------------------------------------------------------------------------


def _move(release: Release, from_states: tuple[str, ...], to: str, **values: Any) -> None:
    """Change the status only if nobody else changed it meanwhile."""
    moved = db.session.execute(
        update(Release).where(Release.id == release.id, Release.status.in_(from_states))
        .values(status=to, **values).execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        db.session.rollback()
        raise WorkflowError("Die Mitteilung wurde inzwischen geändert. Bitte die Seite neu laden.")
    release.status = to
    for key, value in values.items():
        setattr(release, key, value)


def parse_berlin(value: str | None) -> datetime | None:
    """A ``datetime-local`` input ("2026-11-24T09:30"), meant in Europe/Berlin, as UTC."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        naive = datetime.fromisoformat(value)
    except ValueError as exc:
        raise WorkflowError("Bitte Datum und Uhrzeit vollständig angeben (TT.MM.JJJJ, HH:MM).") \
            from exc
    if naive.tzinfo is not None:
        return naive
    return naive.replace(tzinfo=BERLIN)


def set_vocabulary(release: Release, topic_ids: list[int], region_ids: list[int]) -> None:
    """Topics and regions, only from the release's own office's vocabularies."""
    for model, ids, attr, what in ((Topic, topic_ids, "topics", "Thema"),
                                   (Region, region_ids, "regions", "Region")):
        wanted = set(ids or [])
        rows = list(db.session.scalars(
            select(model).where(model.id.in_(wanted), model.office_id == release.office_id)))
        if len(rows) != len(wanted):
            raise ReleaseError(f"Unbekannte {what} gewählt.")
        setattr(release, attr, rows)


def preview_version(release: Release) -> Any:
    """A version-like value of the working text, for previews and test mails (never saved)."""
    return working_text(release)


def previous_recipients(release: Release) -> list[Recipient]:
    """The outlets that got (or are getting) an earlier version: they get the follow-ups."""
    rows = db.session.execute(
        select(Delivery.email, Delivery.name, Delivery.outlet_id)
        .join(ReleaseVersion, ReleaseVersion.id == Delivery.version_id)
        .where(ReleaseVersion.release_id == release.id, Delivery.kind == "outlet",
               Delivery.state.not_in((DeliveryState.FAILED.value, DeliveryState.SUPPRESSED.value,
                                      DeliveryState.CANCELLED.value)))
        .order_by(Delivery.id)
    ).all()
    seen: dict[str, Recipient] = {}
    for email, name, outlet_id in rows:
        seen.setdefault(email.lower(), Recipient(email=email, name=name, outlet_id=outlet_id))
    return list(seen.values())


# --- Review --------------------------------------------------------------------------------------


def submit(release: Release, user: User) -> None:
    check(release, user, "submit")
    _move(release, (S.DRAFT.value,), S.IN_REVIEW.value, submitted_by_id=user.id,
          submitted_at=utcnow())
    record(release.office_id, user, "release.submitted", "release", release.id, release.headline)
    db.session.commit()


def reject(release: Release, user: User) -> None:
    """Back to the desk for more work; any approval is void."""
    check(release, user, "reject")
    _move(release, (S.IN_REVIEW.value, S.APPROVED.value), S.DRAFT.value, approved_by_id=None,
          approved_at=None)
    record(release.office_id, user, "release.returned", "release", release.id, release.headline)
    db.session.commit()


def approve(release: Release, user: User) -> None:
    check(release, user, "approve")
    _move(release, (S.IN_REVIEW.value,), S.APPROVED.value, approved_by_id=user.id,
          approved_at=utcnow())
    record(release.office_id, user, "release.approved", "release", release.id, release.headline)
    db.session.commit()


def after_edit(release: Release, user: User) -> bool:
    """An edit voids an approval (the text approved is not the text to be sent). True if so."""
    if release.status != S.APPROVED.value:
        return False
    release.status, release.approved_by_id, release.approved_at = S.IN_REVIEW.value, None, None
    record(release.office_id, user, "release.approval_voided", "release", release.id,
           "Nach Änderung erneut zur Prüfung")
    return True


# --- Publication -------------------------------------------------------------------------------


def _check_embargo(embargo_until: datetime | None, after: datetime) -> None:
    if embargo_until is not None and embargo_until <= after:
        raise WorkflowError("Die Sperrfrist muss nach dem Veröffentlichungszeitpunkt liegen.")


def publish(release: Release, user: User, list_ids: list[int] | None,
            embargo_until: datetime | None = None) -> ReleaseVersion:
    """Publish now: outlets get it at once (with SPERRFRIST when embargoed), the public when
    the embargo ends."""
    check(release, user, "publish")
    now = utcnow()
    _check_embargo(embargo_until, now)
    release.embargo_until = embargo_until
    if release.approved_by_id is None:  # no 4-eyes: the publisher approves by publishing
        release.approved_by_id, release.approved_at = user.id, now
    return publish_release(release, user, list_ids)


def schedule(release: Release, user: User, at: datetime, list_ids: list[int] | None,
             embargo_until: datetime | None = None) -> None:
    """Publish at ``at`` (beat's ``pressdesk.publish_due`` does it; no ETA task)."""
    check(release, user, "schedule")
    now = utcnow()
    if at <= now + timedelta(seconds=30):
        raise WorkflowError("Der Veröffentlichungszeitpunkt muss in der Zukunft liegen.")
    _check_embargo(embargo_until, at)
    values: dict[str, Any] = {"scheduled_at": at, "publish_list_ids": list_ids or None,
                              "embargo_until": embargo_until}
    if release.approved_by_id is None:
        values.update(approved_by_id=user.id, approved_at=now)
    _move(release, (release.status,), S.SCHEDULED.value, **values)
    detail = f"{release.headline} – geplant für {german_datetime(at)}"
    if embargo_until:
        detail += f", Sperrfrist bis {german_datetime(embargo_until)}"
    record(release.office_id, user, "release.scheduled", "release", release.id, detail)
    db.session.commit()


def unschedule(release: Release, user: User) -> None:
    check(release, user, "unschedule")
    _move(release, (S.SCHEDULED.value,), S.APPROVED.value, scheduled_at=None)
    record(release.office_id, user, "release.unscheduled", "release", release.id,
           release.headline)
    db.session.commit()


def publish_due(now: datetime | None = None) -> list[int]:
    """Beat: publish every scheduled release whose time has come. Returns their ids."""
    now = now or utcnow()
    ids = list(db.session.scalars(
        select(Release.id).where(Release.status == S.SCHEDULED.value, Release.scheduled_at <= now)
        .order_by(Release.scheduled_at)))
    done = []
    for rid in ids:
        release = db.session.get(Release, rid)
        if release is None or release.status != S.SCHEDULED.value:
            continue
        try:
            publish_release(release, None, release.publish_list_ids or None)
        except ReleaseError:  # another beat run was quicker; the version counter said so
            db.session.rollback()
            log.info("scheduled release %s was already published", rid)
            continue
        done.append(rid)
    db.session.rollback()
    return done


def end_embargoes(now: datetime | None = None) -> list[int]:
    """Beat: mark releases whose Sperrfrist has ended as public and tell the portal side
    (reader alerts, feed pings) through the signals, after commit. Returns their ids.

    The portal itself needs no wake-up: ``portal.services.visible()`` compares the embargo with
    the clock, so the permalink answers from the first second on.
    """
    now = now or utcnow()
    ids = list(db.session.scalars(
        select(Release.id).where(Release.status == S.PUBLISHED.value,
                                 Release.went_public_at.is_(None),
                                 Release.embargo_until.is_not(None),
                                 Release.embargo_until <= now)))
    done = []
    for rid in ids:
        moved = db.session.execute(
            update(Release).where(Release.id == rid, Release.went_public_at.is_(None))
            .values(went_public_at=now).execution_options(synchronize_session=False)
        ).rowcount
        if moved != 1:
            db.session.rollback()
            continue
        release = db.session.get(Release, rid)
        assert release is not None
        db.session.refresh(release)
        version_id = release.versions[-1].id
        record(release.office_id, None, "release.embargo_ended", "release", rid,
               f"{release.reference}: {release.headline}")
        send_after_commit(release_public, release_id=rid, version_id=version_id)
        send_after_commit(release_changed, release_id=rid, office_id=release.office_id)
        db.session.commit()
        done.append(rid)
    db.session.rollback()
    return done


# --- After publication -------------------------------------------------------------------------


def _bump_version(release: Release, status_from: str, **values: Any) -> int:
    expected = release.version
    moved = db.session.execute(
        update(Release).where(Release.id == release.id, Release.version == expected,
                              Release.status == status_from)
        .values(version=expected + 1, **values).execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        db.session.rollback()
        raise WorkflowError("Die Mitteilung wurde inzwischen geändert. Bitte die Seite neu laden.")
    release.version = expected + 1
    for key, value in values.items():
        setattr(release, key, value)
    return release.version


def _follow_up(release: Release, user: User, kind: str, summary: str) -> ReleaseVersion:
    """Freeze the current text as a new version of ``kind``, render its mail once and queue it
    to the outlets that got the release."""
    version = ReleaseVersion(
        release_id=release.id, version=release.version, kind=kind,
        headline=one_line(release.headline), subline=one_line(release.subline),
        dateline=dateline(release.dateline_place, release.published_at or utcnow()),
        lead=release.lead, body=release.body, created_by_id=user.id, created_at=utcnow(),
        change_summary=summary,
    )
    version.release = release
    db.session.add(version)
    db.session.flush()
    mail = replace(mail_for(version, kind), change_summary=summary)
    version.mail_bytes = shared_bytes(render_message(mail, current_app.jinja_env))
    enqueue(version, with_variants(version, previous_recipients(release)))
    send_after_commit(release_changed, release_id=release.id, office_id=release.office_id)
    return version


def correct(release: Release, user: User, data: dict[str, str]) -> ReleaseVersion:
    """Edit a published release: a new version, a "Korrektur:" email saying what changed."""
    check(release, user, "correct")
    fields = clean_fields(data)
    last = release.versions[-1]
    old = {"headline": last.headline, "subline": last.subline, "dateline": last.dateline,
           "lead": last.lead, "body": last.body}
    contact_changed = any(getattr(release, k) != fields[k]
                          for k in ("contact_name", "contact_phone", "contact_email"))
    new = {"headline": one_line(fields["headline"]), "subline": one_line(fields["subline"]),
           "dateline": dateline(fields["dateline_place"], release.published_at or utcnow()),
           "lead": fields["lead"], "body": fields["body"]}
    summary = diff.summary(old, new)
    if contact_changed:
        summary = (summary + "\n\n" if summary else "") + "Pressekontakt geändert."
    if not summary:
        db.session.rollback()
        raise WorkflowError("Der Text ist unverändert – es wurde keine Korrektur verschickt.")
    _bump_version(release, S.PUBLISHED.value)
    for key, value in fields.items():
        setattr(release, key, value)
    version = _follow_up(release, user, "correction", summary)
    record(release.office_id, user, "release.corrected", "release", release.id,
           f"{release.reference} Version {version.version}: {summary.splitlines()[0]}")
    db.session.commit()
    return version


def withdraw(release: Release, user: User, reason: str) -> ReleaseVersion:
    """Take a release back: off the portal (410) and the feeds, a "Zurückgezogen:" email."""
    check(release, user, "withdraw")
    reason = one_line(reason)
    if len(reason) > 500:
        raise WorkflowError("Die Begründung ist zu lang (höchstens 500 Zeichen).")
    _bump_version(release, S.PUBLISHED.value, status=S.WITHDRAWN.value, withdrawn_at=utcnow())
    version = _follow_up(release, user, "withdrawal", reason)
    record(release.office_id, user, "release.withdrawn", "release", release.id,
           f"{release.reference}: {release.headline}" + (f" – {reason}" if reason else ""))
    db.session.commit()
    return version


# --- Test mail ----------------------------------------------------------------------------------


def send_test(release: Release, user: User) -> str:
    """One real email of the working text to the user, through the configured transport.

    No delivery row: it is not a delivery of the release and never shows in its report.
    """
    check(release, user, "test_mail")
    s = settings()
    msg = render_message(draft_mail(release), current_app.jinja_env)
    msg.replace_header("Subject", f"[TEST] {msg['Subject']}")
    message_id = f"<test.{release.public_id}.{uuid.uuid4().hex[:12]}@{s.mail_domain}>"
    data = personalise(shared_bytes(msg), user.name, user.email, message_id)
    transport = open_transport()
    try:
        transport.open()
    except Exception as exc:  # noqa: BLE001 - any connect failure is reported the same way
        raise WorkflowError(f"Der Mailserver ist nicht erreichbar: {exc}") from exc
    try:
        result = transport.send(s.mail_from, user.email, data)
    finally:
        transport.close()
    if result.outcome is not Outcome.SENT:
        raise WorkflowError(f"Die Testmail wurde nicht angenommen: {result.detail}")
    record(release.office_id, user, "release.test_sent", "release", release.id, user.email)
    db.session.commit()
    return user.email
