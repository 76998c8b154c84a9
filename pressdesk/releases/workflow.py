"""The release workflow: draft → in review → approved → scheduled/published → corrected/withdrawn.

Every transition of a release lives in this module. Who may do what is decided here, once, by
:func:`allowed`: the desk shows only those buttons and every transition calls :func:`check`
before acting, so a hand-made POST gets the same answer.

- editor: writes, uploads, submits for review;
- publisher: also returns to the desk, approves, publishes, schedules, corrects, withdraws;
- admin: everything a publisher may.

With ``Office.require_four_eyes`` nobody who wrote the text (``Release.authors()``: the creator
and everyone who changed it) may approve it, nothing is published or scheduled before a second
person approved it, and a correction waits for a second person too (unless the office allows
urgent corrections and the publisher says it is one; that is audited).

A refused step raises: :class:`NotAllowed` (role, 4-eyes) becomes a 403 page through the
app-wide handler; :class:`WorkflowError` (the state does not fit) a message on the page. The
request rolls back on either, so nothing is half-applied. Services here only flush.

State changes are conditional UPDATEs (``WHERE status = <expected>``): a double click or two
people acting at once find the state moved and get a clear message instead of a second action.
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import CursorResult, Update, select, update
from sqlalchemy.exc import IntegrityError

from pressdesk.accounts.models import Role, User
from pressdesk.audit.services import record
from pressdesk.config import settings
from pressdesk.db import utcnow
from pressdesk.delivery.models import Delivery, DeliveryState
from pressdesk.delivery.queue import Recipient, enqueue
from pressdesk.delivery.relays import open_transport
from pressdesk.delivery.render import header_text, personalise, render_message, shared_bytes
from pressdesk.delivery.transport import Outcome
from pressdesk.extensions import db
from pressdesk.invitations import services as invitations
from pressdesk.labels import status_label
from pressdesk.releases import diff, notify
from pressdesk.releases.models import Region, Release, ReleaseStatus, ReleaseVersion, Topic
from pressdesk.releases.presenter import working_text
from pressdesk.releases.services import (
    ReleaseError,
    clean_fields,
    draft_mail,
    mail_for,
    recipients_for,
    thread_id,
    with_outlet_links,
)
from pressdesk.releases.variants import with_variants
from pressdesk.signals import release_changed, release_public, send_after_commit
from pressdesk.text import BERLIN, dateline, german_datetime, one_line, slugify

log = logging.getLogger(__name__)

S = ReleaseStatus
EDITABLE = (S.DRAFT.value, S.IN_REVIEW.value, S.APPROVED.value)
EDITOR_ACTIONS = {"edit", "upload", "submit", "test_mail", "delete", "duplicate"}


class WorkflowError(ReleaseError):
    """The action does not fit the release's state; shown to the user as a message."""


class NotAllowed(Exception):
    """The user's role (or the 4-eyes rule) forbids the action: answered with a 403 page."""


# --- Who may do what ---------------------------------------------------------------------------


def _rank(release: Release, user: User | None) -> int:
    role = user.role_in(release.office_id) if user is not None else None
    return role.rank if role is not None else 0


def _wrote(release: Release, user: User) -> bool:
    """Did ``user`` write any of the text that is to be approved?"""
    return user.id in release.authors()


def allowed(release: Release, user: User | None) -> set[str]:
    """The actions this user may take on this release now."""
    rank, st = _rank(release, user), release.status
    if rank == 0 or user is None:
        return set()
    four_eyes = release.office.require_four_eyes
    acts: set[str] = {"test_mail"} if st != S.WITHDRAWN.value else set()
    acts.add("duplicate")
    if st in EDITABLE:
        acts |= {"edit", "upload"}
    if st == S.DRAFT.value:
        acts.add("submit")
        if release.version == 0:  # never published: nothing was sent, nothing to keep
            acts.add("delete")
    if rank >= Role.PUBLISHER.rank:
        if st in (S.IN_REVIEW.value, S.APPROVED.value):
            acts.add("reject")
        if st == S.IN_REVIEW.value and not (four_eyes and _wrote(release, user)):
            acts.add("approve")
        if st == S.APPROVED.value or (not four_eyes and st in (S.DRAFT.value, S.IN_REVIEW.value)):
            acts |= {"publish", "schedule"}
        if st == S.SCHEDULED.value:
            # Edited while it waits for its time, by someone who may schedule: without 4-eyes
            # it stays scheduled; with 4-eyes the approval is void, back to review (note_edit).
            acts |= {"unschedule", "edit", "upload"}
        if st == S.PUBLISHED.value:
            acts |= {"correct", "withdraw"}
            if release.embargo_until is not None and release.went_public_at is None:
                acts.add("embargo")
            if release.correction_pending_at is not None:
                acts.add("discard_correction")
                if not _wrote(release, user):
                    acts.add("approve_correction")
    return acts


def may_approve(office_id: int) -> list[User]:
    """Everyone who may approve in this office: active members with the publisher or admin
    role (an admin approves too, so an office whose only publisher wrote a text has a way)."""
    from pressdesk.accounts.models import Membership

    roles = [r.value for r in Role if r.rank >= Role.PUBLISHER.rank]
    return list(db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.office_id == office_id, Membership.active.is_not(False),
               Membership.role.in_(roles), User.active.is_(True))
        .order_by(User.name)))


def approvers(release: Release) -> list[User]:
    """Who may approve this release: with 4-eyes, never someone who wrote any of its text."""
    people = may_approve(release.office_id)
    if not release.office.require_four_eyes:
        return people
    return [u for u in people if not _wrote(release, u)]


def four_eyes_short(office_id: int, require_four_eyes: bool) -> bool:
    """4-eyes with fewer than two people who may approve: whoever of them writes a text
    waits for an approval nobody can give."""
    return require_four_eyes and len(may_approve(office_id)) < 2


def check(release: Release, user: User | None, action: str) -> None:
    """Raise unless ``user`` may do ``action`` now: :class:`NotAllowed` for role and 4-eyes
    reasons (403), :class:`WorkflowError` when the release's state does not allow it."""
    if action in allowed(release, user):
        return
    need = Role.EDITOR if action in EDITOR_ACTIONS else Role.PUBLISHER
    if user is None or _rank(release, user) < need.rank:
        from pressdesk.labels import role_label

        raise NotAllowed(_(
            "Dafür fehlt Ihnen die Berechtigung: Freigeben, Veröffentlichen, Korrigieren und "
            "Zurückziehen dürfen nur Personen mit der Rolle „%(publisher)s“ oder „%(admin)s“.",
            publisher=role_label(Role.PUBLISHER), admin=role_label(Role.ADMIN)))
    four_eyes = release.office.require_four_eyes
    if four_eyes and action in ("approve", "approve_correction") and _wrote(release, user):
        raise NotAllowed(_("Vier-Augen-Prinzip: Wer am Text mitgeschrieben hat, kann ihn nicht "
                           "selbst freigeben. Bitte eine zweite Person um Freigabe bitten."))
    if four_eyes and action in ("publish", "schedule") \
            and release.status in (S.DRAFT.value, S.IN_REVIEW.value):
        raise NotAllowed(_("Vier-Augen-Prinzip: Die Mitteilung muss zuerst von einer zweiten "
                           "Person freigegeben werden."))
    raise WorkflowError(_("Das ist im Status „%(status)s“ nicht möglich.",
                          status=status_label(release.status)))


# --- Small helpers -----------------------------------------------------------------------------


def _changed(stmt: Update) -> int:
    """Run a conditional UPDATE; how many rows it changed (0: someone was quicker)."""
    result = db.session.execute(stmt)
    assert isinstance(result, CursorResult)
    return result.rowcount


def _moved_meanwhile() -> WorkflowError:
    return WorkflowError(_("Die Mitteilung wurde inzwischen geändert. Bitte die Seite neu laden."))


def _move(release: Release, from_states: tuple[str, ...], to: str, **values: Any) -> None:
    """Change the status only if nobody else changed it meanwhile."""
    moved = _changed(
        update(Release).where(Release.id == release.id, Release.status.in_(from_states))
        .values(status=to, **values).execution_options(synchronize_session=False)
    )
    if moved != 1:
        raise _moved_meanwhile()
    release.status = to
    for key, value in values.items():
        setattr(release, key, value)


def _bump_version(release: Release, status_from: str, **values: Any) -> int:
    """Take the next version number, only if nobody else took it meanwhile."""
    expected = release.version
    moved = _changed(
        update(Release).where(Release.id == release.id, Release.version == expected,
                              Release.status == status_from)
        .values(version=expected + 1, **values).execution_options(synchronize_session=False)
    )
    if moved != 1:
        raise _moved_meanwhile()
    release.version = expected + 1
    for key, value in values.items():
        setattr(release, key, value)
    return release.version


_GERMAN_DATETIME = re.compile(
    r"(\d{1,2})\.(\d{1,2})\.(\d{4}),?\s*(?:um\s*)?(\d{1,2})[:.](\d{2})\s*(?:uhr)?", re.IGNORECASE)

# What a datetime-local input sends ("2026-11-24T09:30", seconds with a step below a minute),
# also with a space or an explicit offset.
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
                           r"(?:Z|[+-]\d{2}:\d{2})?")


def parse_berlin(value: str | None) -> datetime | None:
    """A date and time meant in Europe/Berlin, in German form ("24.11.2026 09:30", also
    "24.11.2026, 9.30 Uhr") or ISO as a ``datetime-local`` input sends it ("2026-11-24T09:30")."""
    value = (value or "").strip()
    if not value:
        return None
    german = _GERMAN_DATETIME.fullmatch(value)
    try:
        if german:
            day, month, year, hour, minute = (int(g) for g in german.groups())
            naive = datetime(year, month, day, hour, minute)
        elif _ISO_DATETIME.fullmatch(value):
            naive = datetime.fromisoformat(value)
        else:  # not "2026-11-24" alone (midnight), nor fromisoformat's other spellings
            raise ValueError(value)
    except ValueError as exc:
        raise WorkflowError(_("Bitte Datum und Uhrzeit vollständig angeben (TT.MM.JJJJ HH:MM, "
                              "etwa 24.11.2026 09:30).")) from exc
    if naive.tzinfo is not None:
        return naive
    return naive.replace(tzinfo=BERLIN)


def set_vocabulary(release: Release, topic_ids: list[int], region_ids: list[int]) -> bool:
    """Topics and regions, only from the release's own office's vocabularies. True if changed."""
    changed = False
    for model, ids, attr in ((Topic, topic_ids, "topics"), (Region, region_ids, "regions")):
        wanted = set(ids or [])
        rows = list(db.session.scalars(
            select(model).where(model.id.in_(wanted), model.office_id == release.office_id)))
        if len(rows) != len(wanted):
            raise ReleaseError(_("Unbekannte Themen oder Regionen gewählt."))
        if {r.id for r in getattr(release, attr)} != wanted:
            setattr(release, attr, rows)
            changed = True
    return changed


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


# --- Freezing: the one way a version is made -----------------------------------------------------


def freeze_version(release: Release, kind: str, user: User | None, summary: str = "",
                   save: bool = True, at: datetime | None = None) -> Any:
    """The release's working text frozen as a version of ``kind`` (publish, correction,
    withdrawal), its newspaper mail rendered once. With ``save=False`` the same value is
    returned unsaved, with nothing written. The fields are ``presenter.working_text``'s, the
    one rule the previews and the test mail (``present_draft``) read too, so a preview shows
    exactly what a publication freezes.
    """
    text = working_text(release)
    if not save:
        return text
    version = ReleaseVersion(
        release_id=release.id, version=release.version, kind=kind, headline=text.headline,
        subline=text.subline, dateline=text.dateline, lead=text.lead, body=text.body,
        created_by_id=user.id if user else None, created_at=at or utcnow(), change_summary=summary,
        author_ids=sorted(release.authors()),
    )
    version.release = release
    db.session.add(version)
    try:
        db.session.flush()
    except IntegrityError as exc:  # the same version number taken at the same moment
        raise WorkflowError(_("Diese Mitteilung wurde gerade schon veröffentlicht.")) from exc
    invitations.freeze(version)  # the appointment, if any, frozen with it (its mail shows it)
    version.mail_bytes = shared_bytes(render_message(mail_for(version), current_app.jinja_env))
    send_after_commit(release_changed, release_id=release.id, office_id=release.office_id)
    return version


# --- Review --------------------------------------------------------------------------------------


def note_edit(release: Release, user: User) -> bool:
    """Someone changed the working text (or its files): they are one of its authors now, and an
    approval is void (the text approved is not the text to be sent). True if it was voided."""
    release.add_author(user.id)
    if release.status == S.SCHEDULED.value and not release.office.require_four_eyes:
        return False  # stays scheduled: whoever may schedule approves by publishing
    if release.status not in (S.APPROVED.value, S.SCHEDULED.value):
        return False
    if release.status == S.SCHEDULED.value:
        record(release.office_id, user, "release.unscheduled", "release", release.id,
               "Nach Änderung: Vier-Augen-Prinzip verlangt eine neue Freigabe")
    release.status, release.approved_by_id, release.approved_at = S.IN_REVIEW.value, None, None
    release.scheduled_at = None
    record(release.office_id, user, "release.approval_voided", "release", release.id,
           "Nach Änderung erneut zur Prüfung")
    return True


def submit(release: Release, user: User) -> None:
    """Ask for approval; the comment of an earlier return is done with. Everyone who may
    approve it is told (each may switch that mail off)."""
    check(release, user, "submit")
    _move(release, (S.DRAFT.value,), S.IN_REVIEW.value, submitted_by_id=user.id,
          submitted_at=utcnow(), return_comment="")
    record(release.office_id, user, "release.submitted", "release", release.id, release.headline)
    notify.send("submitted", release, approvers(release), user)


MAX_RETURN_COMMENT = 2000


def reject(release: Release, user: User, comment: str = "") -> None:
    """Back to the desk for more work, with a comment its author sees on the release and in
    a mail; any approval is void."""
    check(release, user, "reject")
    comment = comment.strip().replace("\r\n", "\n")
    if not comment:
        raise WorkflowError(_("Bitte kurz sagen, was geändert werden soll: Der Kommentar steht "
                              "bei der Mitteilung und geht per E-Mail an die Redaktion."))
    if len(comment) > MAX_RETURN_COMMENT:
        raise WorkflowError(_("Der Kommentar ist zu lang (höchstens %(n)s Zeichen).",
                              n=MAX_RETURN_COMMENT))
    _move(release, (S.IN_REVIEW.value, S.APPROVED.value), S.DRAFT.value, approved_by_id=None,
          approved_at=None, return_comment=comment)
    record(release.office_id, user, "release.returned", "release", release.id,
           f"{release.headline}: {comment}")
    notify.send("returned", release, notify.authors(release), user, comment=comment)


def approve(release: Release, user: User) -> None:
    check(release, user, "approve")
    _move(release, (S.IN_REVIEW.value,), S.APPROVED.value, approved_by_id=user.id,
          approved_at=utcnow())
    record(release.office_id, user, "release.approved", "release", release.id, release.headline)
    notify.send("approved", release, notify.authors(release), user)


# --- Publication -------------------------------------------------------------------------------


def _check_embargo(embargo_until: datetime | None, after: datetime) -> None:
    if embargo_until is not None and embargo_until <= after:
        raise WorkflowError(_("Die Sperrfrist muss nach dem Veröffentlichungszeitpunkt liegen."))


def check_lists(list_ids: list[int] | None) -> list[int]:
    """A choice of lists from the desk: nothing ticked is refused, never widened."""
    if not list_ids:
        raise WorkflowError(_("Bitte mindestens einen Verteiler wählen: Ohne Verteiler erhält "
                              "keine Redaktion die Mitteilung."))
    return list(list_ids)


def publish_release(release: Release, user: User | None, list_ids: list[int] | None = None
                    ) -> ReleaseVersion:
    """Freeze the first version, number it, queue one delivery per outlet of ``list_ids`` (the
    office's default lists when None: beat, demo data); one transaction, flushed only.

    A second publish of the same text (a double click) finds the version counter moved and is
    refused, so there is only ever one set of deliveries.
    """
    if release.status in (S.PUBLISHED.value, S.WITHDRAWN.value):
        raise WorkflowError(_("Diese Mitteilung ist bereits veröffentlicht."))
    office = release.office
    now = utcnow()
    expected = release.version
    moved = _changed(
        update(Release).where(Release.id == release.id, Release.version == expected,
                              Release.status.not_in((S.PUBLISHED.value, S.WITHDRAWN.value)))
        .values(version=expected + 1, status=S.PUBLISHED.value, published_at=now,
                publish_error="")
        .execution_options(synchronize_session=False)
    )
    if moved != 1:
        raise WorkflowError(_("Diese Mitteilung wurde gerade schon veröffentlicht."))
    release.version, release.status, release.published_at = expected + 1, S.PUBLISHED.value, now
    release.publish_error = ""
    if release.number is None:
        from sqlalchemy import func

        release.year = now.year
        release.number = (db.session.scalar(
            select(func.max(Release.number)).where(Release.office_id == office.id,
                                                   Release.year == now.year)) or 0) + 1
        release.slug = slugify(release.headline)
    version: ReleaseVersion = freeze_version(release, "publish", user, at=now)
    enqueue(version, with_variants(version, recipients_for(office, list_ids, version=version,
                                                           defer_links=True)))
    record(office.id, user, "release.published", "release", release.id,
           f"{release.reference}: {release.headline}")
    if release.embargo_until is None or release.embargo_until <= now:
        release.went_public_at = now
        send_after_commit(release_public, release_id=release.id, version_id=version.id)
    return version


def publish(release: Release, user: User, list_ids: list[int] | None,
            embargo_until: datetime | None = None) -> ReleaseVersion:
    """Publish now: outlets get it at once (with SPERRFRIST when embargoed), the public when
    the embargo ends."""
    check(release, user, "publish")
    list_ids = check_lists(list_ids)
    now = utcnow()
    _check_embargo(embargo_until, now)
    release.embargo_until = embargo_until
    if release.approved_by_id is None:  # no 4-eyes: the publisher approves by publishing
        release.approved_by_id, release.approved_at = user.id, now
    version = publish_release(release, user, list_ids)
    notify.send("published", release, notify.authors(release), user)
    return version


def schedule(release: Release, user: User, at: datetime, list_ids: list[int] | None,
             embargo_until: datetime | None = None) -> None:
    """Publish at ``at`` (beat's ``pressdesk.publish_due`` does it; no ETA task)."""
    check(release, user, "schedule")
    list_ids = check_lists(list_ids)
    now = utcnow()
    if at <= now + timedelta(seconds=30):
        raise WorkflowError(_("Der Veröffentlichungszeitpunkt muss in der Zukunft liegen."))
    _check_embargo(embargo_until, at)
    values: dict[str, Any] = {"scheduled_at": at, "publish_list_ids": list_ids,
                              "embargo_until": embargo_until, "publish_error": ""}
    if release.approved_by_id is None:
        values.update(approved_by_id=user.id, approved_at=now)
    _move(release, (release.status,), S.SCHEDULED.value, **values)
    detail = f"{release.headline} – geplant für {german_datetime(at)}"
    if embargo_until:
        detail += f", Sperrfrist bis {german_datetime(embargo_until)}"
    record(release.office_id, user, "release.scheduled", "release", release.id, detail)


def unschedule(release: Release, user: User) -> None:
    check(release, user, "unschedule")
    _move(release, (S.SCHEDULED.value,), S.APPROVED.value, scheduled_at=None)
    record(release.office_id, user, "release.unscheduled", "release", release.id,
           release.headline)


def publish_due(now: datetime | None = None) -> list[int]:
    """Beat: publish every scheduled release whose time has come. Returns their ids.

    Each release is its own unit of work (committed on its own): one that fails is rolled
    back, its error is recorded on it for its office to see, and the loop goes on, so no
    single release can hold back the scheduled releases of every other office.
    """
    now = now or utcnow()
    ids = list(db.session.scalars(
        select(Release.id).where(Release.status == S.SCHEDULED.value, Release.scheduled_at <= now,
                                 Release.publish_error == "")
        .order_by(Release.scheduled_at)))
    done = []
    for rid in ids:
        release = db.session.get(Release, rid)
        if release is None or release.status != S.SCHEDULED.value:
            continue
        try:
            publish_release(release, None, release.publish_list_ids or None)
            notify.send("published", release, notify.authors(release), None)
            db.commit()  # deliberate: this release is out, whatever happens to the next one
        except WorkflowError:  # another beat run was quicker; the version counter said so
            db.rollback()
            log.info("scheduled release %s was already published", rid)
            continue
        except Exception as exc:  # noqa: BLE001 - any failure stays with this one release
            db.rollback()
            log.exception("scheduled release %s could not be published", rid)
            _record_failure(rid, exc)
            continue
        done.append(rid)
    return done


def _record_failure(release_id: int, exc: Exception) -> None:
    """Note why a scheduled publication failed, on the release and in its audit log."""
    release = db.session.get(Release, release_id)
    if release is None:
        return
    reason = one_line(f"{type(exc).__name__}: {exc}")[:500]
    release.publish_error = reason
    record(release.office_id, None, "release.publish_failed", "release", release.id, reason)
    db.commit()  # deliberate: the note must stay although the publication was rolled back


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
        moved = _changed(
            update(Release).where(Release.id == rid, Release.went_public_at.is_(None))
            .values(went_public_at=now).execution_options(synchronize_session=False)
        )
        if moved != 1:
            continue
        release = db.session.get(Release, rid)
        assert release is not None
        db.session.refresh(release)
        version_id = release.versions[-1].id
        record(release.office_id, None, "release.embargo_ended", "release", rid,
               f"{release.reference}: {release.headline}")
        send_after_commit(release_public, release_id=rid, version_id=version_id)
        send_after_commit(release_changed, release_id=rid, office_id=release.office_id)
        done.append(rid)
    return done


# --- After publication -------------------------------------------------------------------------


def change_embargo(release: Release, user: User, until: datetime | None) -> int:
    """Move the Sperrfrist of a sent release that is not public yet to ``until``, or lift it
    (``until`` None: public now). The outlets that got the release get a short notice (service
    mail through ``enqueue``). Returns the number of notices queued."""
    check(release, user, "embargo")
    now = utcnow()
    if until is not None and until <= now + timedelta(seconds=30):
        raise WorkflowError(_("Die neue Sperrfrist muss in der Zukunft liegen."))
    old = release.embargo_until
    assert old is not None
    moved = _changed(
        update(Release).where(Release.id == release.id, Release.status == S.PUBLISHED.value,
                              Release.went_public_at.is_(None), Release.embargo_until == old)
        .values(embargo_until=until or now).execution_options(synchronize_session=False))
    if moved != 1:
        raise _moved_meanwhile()
    release.embargo_until = until or now
    if until is None:
        detail = f"{release.reference}: Sperrfrist bis {german_datetime(old)} aufgehoben"
    else:
        detail = (f"{release.reference}: Sperrfrist von {german_datetime(old)} auf "
                  f"{german_datetime(until)}")
    record(release.office_id, user,
           "release.embargo_lifted" if until is None else "release.embargo_moved",
           "release", release.id, detail)
    notices = _embargo_notices(release, old, until)
    if until is None:
        end_embargoes(now)  # public at once: alerts, feeds, caches as when it runs out
    else:
        send_after_commit(release_changed, release_id=release.id, office_id=release.office_id)
    return notices


def _embargo_notices(release: Release, old: datetime, until: datetime | None) -> int:
    from pressdesk.accounts.mail import render_desk_mail

    office = release.office
    if until is None:
        subject = f"SPERRFRIST AUFGEHOBEN: {release.headline}"
        text = (f"Die Sperrfrist der Mitteilung „{release.headline}“ ({release.reference}) "
                f"bis {german_datetime(old)} ist aufgehoben. Sie darf ab sofort veröffentlicht "
                f"werden.")
    else:
        subject = f"SPERRFRIST GEÄNDERT: {release.headline}"
        text = (f"Die Sperrfrist der Mitteilung „{release.headline}“ ({release.reference}) "
                f"gilt jetzt bis {german_datetime(until)} (bisher {german_datetime(old)}). Bitte "
                f"erst danach veröffentlichen.")
    contact = ", ".join(x for x in (release.contact_name, release.contact_phone,
                                    release.contact_email) if x)
    text += f"\n\n{office.name}" + (f"\nKontakt: {contact}" if contact else "") + "\n"
    payload = render_desk_mail(subject, text, office.sender_name, settings().mail_from, utcnow(),
                               reply_to=release.contact_email or office.contact_email,
                               thread_id=thread_id(release.public_id))
    recipients = [Recipient(r.email, name=r.name, payload=payload)
                  for r in previous_recipients(release)]
    return enqueue(None, recipients, kind="service") if recipients else 0


def _follow_up(release: Release, user: User, kind: str, summary: str) -> ReleaseVersion:
    """Freeze the current text as a new version of ``kind`` and queue its mail to the outlets
    that got the release."""
    version: ReleaseVersion = freeze_version(release, kind, user, summary)
    enqueue(version, with_variants(version, with_outlet_links(previous_recipients(release))))
    return version


def _correction_summary(release: Release, fields: dict[str, str]) -> str:
    last = release.versions[-1]
    old = {"headline": last.headline, "subline": last.subline, "dateline": last.dateline,
           "lead": last.lead, "body": last.body}
    when = release.published_at or utcnow()
    new = {"headline": one_line(fields["headline"]), "subline": one_line(fields["subline"]),
           "dateline": dateline(fields["dateline_place"], when),
           "lead": fields["lead"], "body": fields["body"]}
    summary = diff.summary(old, new)
    if any(getattr(release, k) != fields[k]
           for k in ("contact_name", "contact_phone", "contact_email")):
        summary = (summary + "\n\n" if summary else "") + "Pressekontakt geändert."
    if appointment := invitations.change_summary(release):
        summary = (summary + "\n\n" if summary else "") + appointment
    return summary


def correct(release: Release, user: User, data: dict[str, str],
            topic_ids: list[int] | None = None, region_ids: list[int] | None = None,
            urgent: bool = False) -> ReleaseVersion | None:
    """Edit a published release.

    A changed text becomes a new version with a "Korrektur:" email saying what changed; under
    4-eyes it waits for a second person (:func:`approve_correction`) unless ``urgent`` and the
    office allows that. Changed topics or regions alone are saved at once (they are the
    portal's and the feeds' metadata, not news for the outlets). Returns the new version, or
    None when nothing was sent (only metadata changed, or the correction waits).
    """
    check(release, user, "correct")
    fields = clean_fields(data)
    vocabulary_changed = False
    if topic_ids is not None or region_ids is not None:
        vocabulary_changed = set_vocabulary(
            release, topic_ids if topic_ids is not None else [t.id for t in release.topics],
            region_ids if region_ids is not None else [g.id for g in release.regions])
    summary = _correction_summary(release, fields)
    if not summary:
        if not vocabulary_changed:
            raise WorkflowError(_("Der Text ist unverändert – es wurde keine Korrektur "
                                  "verschickt."))
        record(release.office_id, user, "release.tagged", "release", release.id,
               ", ".join([t.name for t in release.topics] + [g.name for g in release.regions]))
        send_after_commit(release_changed, release_id=release.id, office_id=release.office_id)
        return None
    office = release.office
    if office.require_four_eyes and not (urgent and office.allow_urgent_corrections):
        for key, value in fields.items():
            setattr(release, key, value)
        release.author_ids = [user.id]  # the correction's text is this publisher's
        release.correction_pending_at = utcnow()
        release.correction_requested_by_id = user.id
        record(release.office_id, user, "release.correction_requested", "release", release.id,
               f"{release.reference}: {summary.splitlines()[0]}")
        return None
    for key, value in fields.items():
        setattr(release, key, value)
    release.add_author(user.id)
    return _send_correction(release, user, summary, urgent=office.require_four_eyes)


def _send_correction(release: Release, user: User, summary: str, urgent: bool = False
                     ) -> ReleaseVersion:
    _bump_version(release, S.PUBLISHED.value, correction_pending_at=None,
                  correction_requested_by_id=None)
    version = _follow_up(release, user, "correction", summary)
    record(release.office_id, user, "release.corrected_urgent" if urgent else "release.corrected",
           "release", release.id,
           f"{release.reference} Version {version.version}: {summary.splitlines()[0]}")
    return version


def approve_correction(release: Release, user: User) -> ReleaseVersion:
    """Under 4-eyes: a second person sends the waiting correction."""
    check(release, user, "approve_correction")
    summary = _correction_summary(release, {
        "headline": release.headline, "subline": release.subline,
        "dateline_place": release.dateline_place, "lead": release.lead, "body": release.body,
        "contact_name": release.contact_name, "contact_phone": release.contact_phone,
        "contact_email": release.contact_email})
    if not summary:  # the text equals the last version: the contact was what changed
        summary = "Pressekontakt geändert."
    return _send_correction(release, user, summary)


def discard_correction(release: Release, user: User) -> None:
    """Drop a waiting correction: the working text goes back to the last version's."""
    check(release, user, "discard_correction")
    last = release.versions[-1]
    release.headline, release.subline, release.lead, release.body = (
        last.headline, last.subline, last.lead, last.body)
    release.author_ids = list(last.author_ids or [])
    invitations.discard_change(release)
    release.correction_pending_at = None
    release.correction_requested_by_id = None
    record(release.office_id, user, "release.correction_discarded", "release", release.id,
           release.reference)


def withdraw(release: Release, user: User, reason: str) -> ReleaseVersion:
    """Take a release back: off the portal (410) and the feeds, a "Zurückgezogen:" email."""
    check(release, user, "withdraw")
    reason = one_line(reason)
    if len(reason) > 500:
        raise WorkflowError(_("Die Begründung ist zu lang (höchstens 500 Zeichen)."))
    _bump_version(release, S.PUBLISHED.value, status=S.WITHDRAWN.value, withdrawn_at=utcnow())
    version = _follow_up(release, user, "withdrawal", reason)
    record(release.office_id, user, "release.withdrawn", "release", release.id,
           f"{release.reference}: {release.headline}" + (f" – {reason}" if reason else ""))
    return version


# --- Test mail ----------------------------------------------------------------------------------


# A test mail goes to the sender and at most this many colleagues: never a way round the lists.
MAX_TEST_COLLEAGUES = 4


def test_colleagues(release: Release, user: User) -> list[User]:
    """Who else may get a test mail: active members of the release's office."""
    from pressdesk.accounts.models import Membership

    return list(db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.office_id == release.office_id, Membership.active.is_not(False),
               User.active.is_(True), User.id != user.id)
        .order_by(User.name)))


def send_test(release: Release, user: User, colleague_ids: list[int] | None = None
              ) -> list[str]:
    """One real email of the working text to the user (and the chosen colleagues of this
    office, at most MAX_TEST_COLLEAGUES), through the configured transport. File links point
    at the desk's members-only routes: a draft's public links answer 404.

    No delivery row: it is not a delivery of the release and never shows in its report.
    """
    check(release, user, "test_mail")
    wanted = set(colleague_ids or ())
    colleagues = [u for u in test_colleagues(release, user) if u.id in wanted]
    if len(wanted) > MAX_TEST_COLLEAGUES or len(colleagues) != len(wanted):
        raise WorkflowError(_("Eine Testmail geht an Sie und höchstens %(n)d Mitglieder dieser "
                              "Pressestelle.", n=MAX_TEST_COLLEAGUES))
    s = settings()
    msg = render_message(draft_mail(release, desk_files=True), current_app.jinja_env)
    msg.replace_header("Subject", header_text(f"[TEST] {msg['Subject']}"))
    shared = shared_bytes(msg)
    transport = open_transport()
    try:
        transport.open()
    except Exception as exc:  # noqa: BLE001 - any connect failure is reported the same way
        raise WorkflowError(_("Der Mailserver ist nicht erreichbar: %(error)s", error=str(exc))
                            ) from exc
    sent: list[str] = []
    try:
        for person in (user, *colleagues):
            message_id = f"<test.{release.public_id}.{uuid.uuid4().hex[:12]}@{s.mail_domain}>"
            data = personalise(shared, person.name, person.email, message_id)
            result = transport.send(s.mail_from, person.email, data)
            if result.outcome is not Outcome.SENT:
                raise WorkflowError(_("Die Testmail wurde nicht angenommen: %(error)s",
                                      error=result.detail))
            sent.append(person.email)
    finally:
        transport.close()
        if sent:
            record(release.office_id, user, "release.test_sent", "release", release.id,
                   ", ".join(sent))
    return sent
