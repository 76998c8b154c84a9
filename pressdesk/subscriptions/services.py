"""Reader subscriptions: double opt-in, signed links, preferences, one-click unsubscribe, the
request throttle, and the alerts (instant through the delivery engine, daily digests).

Nothing is ever sent to an address before it confirmed, except the confirmation itself, and that
only within the throttle (per address and per client), so the form cannot bomb a stranger.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, has_request_context
from flask_babel import gettext as _gettext
from sqlalchemy import ColumnElement, CursorResult, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from pressdesk import addresses, tokens
from pressdesk.celery_app import send_task
from pressdesk.config import settings
from pressdesk.db import after_commit, utcnow
from pressdesk.delivery.models import Delivery, DeliveryState
from pressdesk.delivery.queue import Recipient, enqueue
from pressdesk.delivery.suppressions import suppressed_readers
from pressdesk.extensions import db
from pressdesk.offices.models import Office
from pressdesk.portal import services as portal
from pressdesk.releases.models import Region, Release, ReleaseVersion, Topic
from pressdesk.releases.presenter import present, public_time_column
from pressdesk.search.matching import query_matches
from pressdesk.subscriptions import render
from pressdesk.subscriptions.models import (
    AlertRun,
    ConsentRecord,
    Frequency,
    Subscriber,
    SubscriberStatus,
    subscriber_offices,
    subscriber_regions,
    subscriber_topics,
)
from pressdesk.text import has_line_break, one_line
from pressdesk.throttle import Throttle, client_network
from pressdesk.urls import external_url

log = logging.getLogger(__name__)

SERVICE_MAIL_TASK = "pressdesk.alerts_service_mail"
QUEUE_ALERTS_TASK = "pressdesk.alerts_queue"
SWEEP_ALERTS_TASK = "pressdesk.alerts_sweep"
DIGEST_TASK = "pressdesk.alerts_digest"
MAX_QUERY = 200


class SubscriptionError(ValueError):
    """Bad input; the message is for the reader."""


class Throttled(SubscriptionError):
    pass


class LinkExpired(SubscriptionError):
    pass


class LinkInvalid(SubscriptionError):
    pass


class TemporaryMailError(Exception):
    """The relay deferred a service mail; the task retries."""


def gettext(msgid: str) -> str:
    """Translate in a request (the reader's language); the German msgid in workers and the CLI."""
    return _gettext(msgid) if has_request_context() else msgid


def consent_text() -> str:
    """The exact consent text shown on the form; it is stored with every consent record."""
    return gettext(
        "Ich möchte über neue Pressemitteilungen der gewählten Pressestellen, Themen oder "
        "Suchbegriffe per E-Mail benachrichtigt werden. Meine E-Mail-Adresse wird nur dafür "
        "gespeichert. Ich kann die Einwilligung jederzeit mit einem Klick widerrufen (Link in "
        "jeder E-Mail).")


# --- signed links ------------------------------------------------------------------------------


_PURPOSES = {"confirm": tokens.ALERT_CONFIRM, "manage": tokens.ALERT_MANAGE,
             "unsubscribe": tokens.ALERT_UNSUBSCRIBE}


def _email_tag(email: str) -> str:
    # Binds the link to the address without putting the address into URLs (and server logs).
    return hashlib.sha256(email.encode()).hexdigest()[:16]


def make_token(sub: Subscriber, purpose: str) -> str:
    return tokens.dumps(_PURPOSES[purpose], [sub.id, _email_tag(sub.email)])


def subscriber_for_token(token: str, purpose: str) -> Subscriber:
    """The subscriber a link was made for; its purpose decides how long it is valid."""
    try:
        sub_id, tag = tokens.loads(_PURPOSES[purpose], token)
    except tokens.TokenExpired as exc:
        raise LinkExpired(gettext("Dieser Link ist abgelaufen.")) from exc
    except (tokens.TokenInvalid, ValueError, TypeError) as exc:
        raise LinkInvalid(gettext("Dieser Link ist ungültig.")) from exc
    sub = db.session.get(Subscriber, sub_id)
    if sub is None or _email_tag(sub.email) != tag:
        raise LinkInvalid(gettext("Dieser Link ist ungültig."))
    return sub


def confirm_url(sub: Subscriber) -> str:
    return external_url("subscriptions.confirm", token=make_token(sub, "confirm"))


def manage_url(sub: Subscriber) -> str:
    return external_url("subscriptions.preferences", token=make_token(sub, "manage"))


def unsubscribe_url(sub: Subscriber) -> str:
    return external_url("subscriptions.unsubscribe", token=make_token(sub, "unsubscribe"))


# --- throttle ----------------------------------------------------------------------------------


# Keyed on the mailbox ("+tag" removed: anna+1@ and anna+2@ are one inbox) and on the client's
# network (IPv4 /24, IPv6 /64: a client rarely owns less), so neither tag variants nor a few
# neighbouring addresses multiply the mail one inbox gets. On top, a mailbox gets at most one
# confirmation mail a window; the links of that one stay valid for every later request.
SUBSCRIBE_MAILBOX = Throttle("subscribe-mailbox", limit=lambda: settings().alert_max_per_address,
                             window=lambda: settings().alert_window_seconds)
SUBSCRIBE_CLIENT = Throttle("subscribe-client", limit=lambda: settings().alert_max_per_client,
                            window=lambda: settings().alert_window_seconds)
CONFIRMATION_MAIL = Throttle("subscribe-confirmation", limit=1,
                             window=lambda: settings().alert_window_seconds)


def _client_key(client: str) -> str:
    return client_network(client, ipv4_prefix=24)


def throttled(email: str, client: str) -> bool:
    return (SUBSCRIBE_MAILBOX.blocked(addresses.mailbox(email))
            or SUBSCRIBE_CLIENT.blocked(_client_key(client)))


def _record_attempt(email: str, client: str) -> None:
    SUBSCRIBE_MAILBOX.hit(addresses.mailbox(email))
    SUBSCRIBE_CLIENT.hit(_client_key(client))


# --- choices -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    offices: list[Office]
    topics: list[Topic]
    query: str
    frequency: str
    regions: list[Region] = field(default_factory=list)


def clean_choice(office_ids: list[int], topic_ids: list[int], query: str, frequency: str,
                 region_ids: list[int] | None = None) -> Choice:
    query = (query or "").strip()
    if has_line_break(query) or len(query) > MAX_QUERY:
        raise SubscriptionError(gettext("Der Suchbegriff ist zu lang oder mehrzeilig."))
    query = one_line(query)
    if frequency not in {f.value for f in Frequency}:
        raise SubscriptionError(gettext("Bitte wählen Sie, wie oft Sie Nachricht erhalten."))
    offices = list(db.session.scalars(select(Office).where(Office.id.in_(office_ids or [0]))))
    topics = list(db.session.scalars(select(Topic).where(Topic.id.in_(topic_ids or [0]))))
    region_ids = region_ids or []
    regions = list(db.session.scalars(select(Region).where(Region.id.in_(region_ids or [0]))))
    if (len(offices) != len(set(office_ids)) or len(topics) != len(set(topic_ids))
            or len(regions) != len(set(region_ids))):
        raise SubscriptionError(gettext(
            "Eine gewählte Pressestelle, ein Thema oder eine Region gibt es nicht."))
    if not offices and not topics and not regions and not query:
        raise SubscriptionError(gettext(
            "Bitte wählen Sie mindestens eine Pressestelle, ein Thema, eine Region oder einen "
            "Suchbegriff."))
    return Choice(offices, topics, query, frequency, regions)


def _apply(sub: Subscriber, choice: Choice) -> None:
    sub.offices = choice.offices
    sub.topics = choice.topics
    sub.regions = choice.regions
    sub.query = choice.query
    sub.frequency = choice.frequency


def describe(sub: Subscriber) -> list[str]:
    lines = [f"Pressestelle: {o.name}" for o in sub.offices]
    lines += [f"Thema: {t.name}" for t in sub.topics]
    lines += [f"Region: {g.name}" for g in sub.regions]
    if sub.query:
        lines.append(f"Suche: {sub.query}")
    lines.append("Häufigkeit: " + ("sofort" if sub.frequency == Frequency.INSTANT.value
                                   else "einmal täglich"))
    return lines


# --- subscribe, confirm, change, unsubscribe ---------------------------------------------------


def normalise_address(raw: str) -> str:
    try:
        return addresses.key(raw)
    except addresses.InvalidAddress as exc:
        raise SubscriptionError(gettext("Bitte geben Sie eine gültige E-Mail-Adresse an.")) from exc


def request_subscription(raw_email: str, choice: Choice, client: str, user_agent: str = "",
                         shown_text: str | None = None) -> Subscriber:
    """Record the request and queue one mail: a confirmation, or (already active) the personal
    preferences link. An active subscription is never changed without its signed link."""
    email = normalise_address(raw_email)
    if throttled(email, client):
        raise Throttled(gettext(
            "Für diese Adresse oder von Ihrem Anschluss kamen gerade zu viele Anfragen. "
            "Bitte versuchen Sie es später noch einmal."))
    _record_attempt(email, client)
    sub = db.session.scalar(select(Subscriber).where(Subscriber.email == email))
    if sub is None:
        sub = Subscriber(email=email, status=SubscriberStatus.PENDING.value)
        db.session.add(sub)
    kind = "manage" if sub.status == SubscriberStatus.ACTIVE.value else "confirm"
    if kind == "confirm":
        sub.status = SubscriberStatus.PENDING.value
        _apply(sub, choice)
    db.session.flush()
    db.session.add(ConsentRecord(subscriber_id=sub.id, action="requested",
                                 text=shown_text or consent_text(), ip=client,
                                 user_agent=user_agent[:300]))
    mailbox = addresses.mailbox(email)
    if kind == "confirm" and CONFIRMATION_MAIL.blocked(mailbox):
        # One confirmation per mailbox a window. The nonce stays, so a mail still on its way
        # goes out; its link confirms the latest choice. The answer is the same (reveals nothing).
        return sub
    if kind == "confirm":
        CONFIRMATION_MAIL.hit(mailbox)
    sub.request_nonce = secrets.token_hex(8)
    sub_id, nonce = sub.id, sub.request_nonce
    # The request commits; only then the mail task is woken (a rollback sends nothing).
    after_commit(db.session(), lambda: send_task(SERVICE_MAIL_TASK, sub_id, nonce, kind))
    return sub


def confirm(token: str, client: str, user_agent: str = "") -> Subscriber:
    sub = subscriber_for_token(token, "confirm")
    if sub.status != SubscriberStatus.ACTIVE.value:
        if sub.status == SubscriberStatus.UNSUBSCRIBED.value:
            raise LinkInvalid(gettext("Dieses Abonnement wurde abbestellt."))
        requested = db.session.scalar(
            select(ConsentRecord.text).where(ConsentRecord.subscriber_id == sub.id,
                                             ConsentRecord.action == "requested")
            .order_by(ConsentRecord.id.desc()).limit(1))
        sub.status = SubscriberStatus.ACTIVE.value
        sub.confirmed_at = utcnow()
        sub.unsubscribed_at = None
        db.session.add(ConsentRecord(subscriber_id=sub.id, action="confirmed",
                                     text=requested or consent_text(), ip=client,
                                     user_agent=user_agent[:300]))
        db.session.flush()
    return sub


def change_preferences(sub: Subscriber, choice: Choice, client: str) -> Subscriber:
    if sub.status != SubscriberStatus.ACTIVE.value:
        raise LinkInvalid(gettext("Dieses Abonnement ist nicht aktiv."))
    _apply(sub, choice)
    db.session.add(ConsentRecord(subscriber_id=sub.id, action="changed",
                                 text="; ".join(describe(sub)), ip=client))
    db.session.flush()
    return sub


def unsubscribe(sub: Subscriber, client: str, how: str = "") -> Subscriber:
    """Takes effect at once: queued, unsent alerts to this address are cancelled too."""
    if sub.status != SubscriberStatus.UNSUBSCRIBED.value:
        sub.status = SubscriberStatus.UNSUBSCRIBED.value
        sub.unsubscribed_at = utcnow()
        db.session.add(ConsentRecord(subscriber_id=sub.id, action="unsubscribed", text=how,
                                     ip=client))
    db.session.execute(
        update(Delivery)
        .where(Delivery.email == sub.email, Delivery.kind.in_(("reader", "digest")),
               Delivery.state.in_((DeliveryState.QUEUED.value, DeliveryState.RETRYING.value)))
        .values(state=DeliveryState.CANCELLED.value, last_error="unsubscribed")
        .execution_options(synchronize_session=False))
    db.session.flush()
    return sub


# --- mail --------------------------------------------------------------------------------------


def sender() -> render.Sender:
    s = settings()
    return render.Sender(name=f"{s.platform_name} Benachrichtigungen",
                         address=f"benachrichtigung@{s.mail_domain}",
                         list_id=f"alerts.{s.mail_domain}")


def _message_id(prefix: str) -> str:
    return f"<{prefix}.{uuid.uuid4().hex}@{settings().mail_domain}>"


def send_service_mail(sub_id: int, nonce: str, kind: str) -> bool:
    """Queue the confirmation or preferences-link mail for the latest request only (a delivery
    row without a release version, sent by the engine)."""
    sub = db.session.get(Subscriber, sub_id)
    if sub is None or sub.request_nonce != nonce:
        return False  # superseded by a newer request, or gone
    if suppressed_readers([sub.email]):
        return False  # the address was refused for good before (the platform's reader list)
    s = settings()
    links = render.Links(subscribe_url=external_url("subscriptions.subscribe"),
                         confirm_url=confirm_url(sub) if kind == "confirm" else "",
                         manage_url=manage_url(sub), unsubscribe_url=unsubscribe_url(sub))
    mail = render.ServiceMail(kind=kind, links=links, max_age_hours=s.alert_confirm_max_age // 3600,
                              selection=tuple(describe(sub)))
    payload = render.render_service(mail, sender(), utcnow(), current_app.jinja_env)
    # Through the one way into the outbox: the engine retries, signs (DKIM) and marks it like
    # every message, and the reader suppression list applies there too.
    enqueue(None, [Recipient(sub.email, payload=payload)], kind="service")
    return True


def _wants(sub: Subscriber, release: Release) -> bool:
    topic_ids = {t.id for t in release.topics}
    region_ids = {g.id for g in release.regions}
    return (any(o.id == release.office_id for o in sub.offices)
            or any(t.id in topic_ids for t in sub.topics)
            or any(g.id in region_ids for g in sub.regions)
            # exactly when the search page would show the release for the saved words
            or bool(sub.query and query_matches(sub.query, release)))


def subscribers_for(release: Release, frequency: str) -> list[Subscriber]:
    """Active subscribers of this frequency who follow the release's office, one of its topics
    or regions, or whose saved search matches it."""
    topic_ids = [t.id for t in release.topics] or [0]
    region_ids = [g.id for g in release.regions] or [0]
    candidates = db.session.scalars(
        select(Subscriber).where(
            Subscriber.status == SubscriberStatus.ACTIVE.value, Subscriber.frequency == frequency,
            or_(Subscriber.id.in_(select(subscriber_offices.c.subscriber_id)
                                  .where(subscriber_offices.c.office_id == release.office_id)),
                Subscriber.id.in_(select(subscriber_topics.c.subscriber_id)
                                  .where(subscriber_topics.c.topic_id.in_(topic_ids))),
                Subscriber.id.in_(select(subscriber_regions.c.subscriber_id)
                                  .where(subscriber_regions.c.region_id.in_(region_ids))),
                Subscriber.query != ""))
        .order_by(Subscriber.id))
    return [s for s in candidates if _wants(s, release)]


def alert_mail(version: ReleaseVersion, now: datetime | None = None) -> bytes:
    """The shared reader alert of a version, from its one presentation. Dated now (it is made
    when the release becomes public; the engine dates each message when it sends it)."""
    links = render.Links(subscribe_url=external_url("subscriptions.subscribe"))
    return render.render_alert(present(version), sender(), links, now or utcnow(),
                               current_app.jinja_env)


def digest_mail(sub: Subscriber, releases: list[Release], now: datetime) -> bytes:
    """One reader's digest of ``releases`` (their latest versions), with their own links."""
    links = render.Links(subscribe_url=external_url("subscriptions.subscribe"),
                         manage_url=manage_url(sub), unsubscribe_url=unsubscribe_url(sub))
    items = [present(r.versions[-1]) for r in releases]
    return render.render_digest(items, sender(), links, now, current_app.jinja_env)


def _is_public(release: Release) -> bool:
    return db.session.scalar(select(func.count()).select_from(Release)
                             .where(Release.id == release.id, portal.visible())) == 1


def queue_instant_alerts(version_id: int) -> int:
    """Queue one reader alert per matching instant subscriber, once per version, only when the
    release is public (never before an embargo ends). Returns the number queued."""
    version = db.session.get(ReleaseVersion, version_id)
    if version is None or db.session.scalar(select(AlertRun.id).where(
            AlertRun.version_id == version_id)) is not None:
        return 0
    release = version.release
    if not _is_public(release):
        log.info("release %s is not public yet; no alerts", release.id)
        return 0
    recipients = [Recipient(email=s.email, name="", unsubscribe_url=unsubscribe_url(s))
                  for s in subscribers_for(release, Frequency.INSTANT.value)]
    if version.reader_mail_bytes is None:
        version.reader_mail_bytes = alert_mail(version)
    db.session.add(AlertRun(version_id=version_id, recipients=len(recipients)))
    try:
        db.session.flush()
    except IntegrityError:  # another worker got there first
        db.rollback()
        return 0
    enqueue(version, recipients, kind="reader")
    # Deliberate: the sweep queues several versions in one task; each one's alerts stand alone.
    db.commit()
    return len(recipients)


def _public_since() -> ColumnElement[datetime]:
    return public_time_column()  # the one public time, as SQL


def sweep_alerts(hours: int = 48) -> list[int]:
    """Queue alerts a lost wake-up missed: first versions of releases that went public lately
    and have no alert run."""
    since = utcnow() - timedelta(hours=hours)
    ids = list(db.session.scalars(
        select(ReleaseVersion.id).join(Release, ReleaseVersion.release_id == Release.id)
        .where(portal.visible(), ReleaseVersion.kind == "publish", _public_since() >= since,
               ~ReleaseVersion.id.in_(select(AlertRun.version_id)))))
    db.rollback()  # a read only
    for vid in ids:
        queue_instant_alerts(vid)
    return ids


def queue_digests(now: datetime | None = None) -> int:
    """One digest per daily subscriber with news since their last digest. Returns rows queued."""
    now = now or utcnow()
    queued = 0
    sub_ids = list(db.session.scalars(
        select(Subscriber.id).where(Subscriber.status == SubscriberStatus.ACTIVE.value,
                                    Subscriber.frequency == Frequency.DAILY.value)))
    for sub_id in sub_ids:
        queued += _queue_digest(sub_id, now)
    return queued


def _queue_digest(sub_id: int, now: datetime) -> int:
    sub = db.session.get(Subscriber, sub_id)
    if sub is None or sub.confirmed_at is None:
        return 0
    since = sub.last_digest_at or sub.confirmed_at
    releases = [r for r in db.session.scalars(
        portal.public_releases().where(_public_since() > since, _public_since() <= now))
        if _wants(sub, r)]
    # Compare-and-set: a second beat run for the same window changes nothing.
    unchanged = (Subscriber.last_digest_at.is_(None) if sub.last_digest_at is None
                 else Subscriber.last_digest_at == sub.last_digest_at)
    result = db.session.execute(
        update(Subscriber).where(Subscriber.id == sub.id, unchanged)
        .values(last_digest_at=now).execution_options(synchronize_session=False))
    assert isinstance(result, CursorResult)  # an UPDATE's result counts its rows
    moved = result.rowcount
    if moved != 1 or not releases:
        db.commit()  # deliberate: one subscriber's window at a time (the beat task loops)
        return 0
    payload = digest_mail(sub, releases, now)
    newest = releases[0].versions[-1]
    # Through the one way into the outbox: the reader suppression list applies, the engine sends.
    enqueue(newest, [Recipient(sub.email, unsubscribe_url=unsubscribe_url(sub), payload=payload)],
            kind="digest", now=now)
    db.commit()  # deliberate: one subscriber's digest at a time
    return 1
