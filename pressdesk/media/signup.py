"""Journalists ask to be put on an office's press list: the form on the office's portal page,
double opt-in by mail (an expiring link), then the office decides (accreditation is the
office's call). The sign-up row is the consent record: what was asked for, the exact text
shown, when the address was confirmed, who accepted. An accepted sign-up becomes an outlet
on the lists the office picks."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import delete, select

from pressdesk import addresses, tokens
from pressdesk.accounts.models import User
from pressdesk.audit.services import record
from pressdesk.db import utcnow
from pressdesk.delivery.models import Suppression
from pressdesk.extensions import db
from pressdesk.media import links, mails
from pressdesk.media.models import (
    DistributionList,
    Outlet,
    OutletSettings,
    Signup,
    SignupStatus,
)
from pressdesk.offices.models import Office
from pressdesk.releases.models import Region, Topic
from pressdesk.text import one_line
from pressdesk.throttle import Throttle, client_network
from pressdesk.urls import external_url

# Per address: a handful of requests a day; per client network: enough for a newsroom.
SIGNUP_MAILBOX = Throttle("outlet-signup-mailbox", limit=3, window=24 * 3600)
SIGNUP_CLIENT = Throttle("outlet-signup-client", limit=10, window=3600)


class SignupError(ValueError):
    """A sign-up was refused; the message is shown as is."""


class SignupsClosed(SignupError):
    """The office does not take sign-ups."""


class Throttled(SignupError):
    pass


@dataclass(frozen=True)
class SignupData:
    outlet_name: str
    person_name: str
    role: str
    email: str
    topic_ids: list[int]
    region_ids: list[int]


def office_settings(office: Office) -> OutletSettings:
    row = db.session.get(OutletSettings, office.id)
    return row if row is not None else OutletSettings(office_id=office.id, signups_open=True,
                                                      yearly_check=False)


def save_settings(office: Office, user: User, signups_open: bool, yearly_check: bool) -> None:
    row = db.session.get(OutletSettings, office.id)
    if row is None:
        row = OutletSettings(office_id=office.id)
        db.session.add(row)
    row.signups_open, row.yearly_check = signups_open, yearly_check
    record(office.id, user, "outlets.settings", "office", office.id,
           f"signups_open={signups_open} yearly_check={yearly_check}")
    db.session.flush()


def consent_text(office: Office) -> str:
    """The text the form shows and the consent record keeps, word for word."""
    return (f"Ich bitte darum, in den Presseverteiler von {office.name} aufgenommen zu werden. "
            f"{office.name} speichert dafür meine Angaben aus diesem Formular und sendet mir "
            "Pressemitteilungen per E-Mail. Die Pressestelle entscheidet über die Aufnahme. "
            "Ich kann mich jederzeit über den Link in jeder E-Mail austragen; pressdesk "
            "verwendet keine Zählpixel und keine verfolgten Links.")


def _ids(model: type[Topic] | type[Region], office: Office, ids: list[int]) -> list[int]:
    wanted = sorted(set(ids))
    found = list(db.session.scalars(select(model.id).where(model.id.in_(wanted),
                                                           model.office_id == office.id)))
    if len(found) != len(wanted):
        raise SignupError(_("Unbekannte Themen oder Regionen gewählt."))
    return wanted


def request_signup(office: Office, data: SignupData, shown_text: str, client: str) -> None:
    """Record a sign-up and send the double opt-in mail. The answer is the same whether the
    address is new, pending or already on the list (the page reveals nothing)."""
    if not office_settings(office).signups_open:
        raise SignupsClosed(_("Diese Pressestelle nimmt keine Anmeldungen zum Presseverteiler "
                              "über das Portal an. Bitte wenden Sie sich direkt an die "
                              "Pressestelle."))
    try:
        email = addresses.normalise(data.email)
    except addresses.InvalidAddress as exc:
        raise SignupError(_("Bitte eine gültige E-Mail-Adresse angeben.")) from exc
    fields = {"outlet_name": one_line(data.outlet_name), "person_name": one_line(data.person_name),
              "role": one_line(data.role)}
    if not fields["outlet_name"] or not fields["person_name"]:
        raise SignupError(_("Bitte Medium und Namen angeben."))
    topics = _ids(Topic, office, data.topic_ids)
    regions = _ids(Region, office, data.region_ids)
    net = client_network(client, 24)
    if SIGNUP_CLIENT.blocked(net) or SIGNUP_MAILBOX.blocked(addresses.key(email)):
        raise Throttled(_("Zu viele Anmeldungen in kurzer Zeit. Bitte versuchen Sie es später "
                          "noch einmal."))
    SIGNUP_CLIENT.hit(net)
    SIGNUP_MAILBOX.hit(addresses.key(email))
    outlet = _outlet_with(office, email)
    if outlet is not None and outlet.left_at is None and outlet.active:
        # The mail goes to the address itself: its own settings link is safe to send.
        mails.send("known", office, email,
                   preferences_url=links.preferences_url(links.outlet_link_token(outlet)))
        return
    open_one = db.session.scalar(select(Signup).where(
        Signup.office_id == office.id, Signup.email == email,
        Signup.status.in_((SignupStatus.PENDING.value, SignupStatus.CONFIRMED.value))))
    if open_one is not None and open_one.status == SignupStatus.CONFIRMED.value:
        mails.send("known", office, email, preferences_url="")
        return
    if open_one is None:
        open_one = Signup(office_id=office.id, email=email, **fields, consent_text=shown_text,
                          topic_ids=" ".join(map(str, topics)),
                          region_ids=" ".join(map(str, regions)), requested_at=utcnow())
        db.session.add(open_one)
    else:  # asked again before confirming: the newest wishes and text count
        open_one.outlet_name, open_one.person_name = fields["outlet_name"], fields["person_name"]
        open_one.role, open_one.consent_text = fields["role"], shown_text
        open_one.topic_ids = " ".join(map(str, topics))
        open_one.region_ids = " ".join(map(str, regions))
        open_one.requested_at = utcnow()
    db.session.flush()
    token = tokens.dumps(tokens.OUTLET_SIGNUP, {"s": open_one.id})
    lifetime = tokens.OUTLET_SIGNUP.lifetime() or 0
    mails.send("confirm", office, email, open_one.person_name,
               outlet_name=open_one.outlet_name, hours=lifetime // 3600,
               confirm_url=external_url("outlet_links.confirm_signup", token=token))


def _outlet_with(office: Office, email: str) -> Outlet | None:
    return db.session.scalar(select(Outlet).where(Outlet.office_id == office.id,
                                                  Outlet.email == email))


def signup_for_token(token: str) -> Signup:
    try:
        value = tokens.loads(tokens.OUTLET_SIGNUP, token)
    except tokens.TokenExpired as exc:
        raise SignupError(_("Dieser Bestätigungslink ist abgelaufen. Bitte melden Sie sich "
                            "erneut an.")) from exc
    except tokens.TokenInvalid as exc:
        raise SignupError(_("Dieser Bestätigungslink ist nicht gültig.")) from exc
    signup = db.session.get(Signup, value.get("s") if isinstance(value, dict) else None)
    if signup is None:
        raise SignupError(_("Dieser Bestätigungslink ist nicht gültig."))
    return signup


def confirm(signup: Signup) -> bool:
    """The address is confirmed; the office decides next. True if it changed (twice: no)."""
    if signup.status != SignupStatus.PENDING.value:
        return False
    signup.status, signup.confirmed_at = SignupStatus.CONFIRMED.value, utcnow()
    record(signup.office_id, None, "signup.confirmed", "signup", signup.id,
           f"{signup.outlet_name}: {signup.email}")
    db.session.flush()
    return True


def office_signups(office: Office) -> list[Signup]:
    """Confirmed sign-ups waiting for the office, oldest first."""
    return list(db.session.scalars(select(Signup).where(
        Signup.office_id == office.id, Signup.status == SignupStatus.CONFIRMED.value)
        .order_by(Signup.confirmed_at, Signup.id)))


def office_signup(office: Office, signup_id: int) -> Signup | None:
    return db.session.scalar(select(Signup).where(Signup.id == signup_id,
                                                  Signup.office_id == office.id))


def accept(office: Office, signup: Signup, user: User, list_ids: list[int]) -> Outlet:
    """The office accepts: the journalist becomes an outlet on the chosen lists (an outlet
    that left before comes back, with its own consent now)."""
    if signup.office_id != office.id or signup.status != SignupStatus.CONFIRMED.value:
        raise SignupError(_("Diese Anmeldung ist schon entschieden oder noch nicht bestätigt."))
    lists = list(db.session.scalars(select(DistributionList).where(
        DistributionList.office_id == office.id, DistributionList.id.in_(list_ids))))
    if not lists or len(lists) != len(set(list_ids)):
        raise SignupError(_("Bitte mindestens einen Verteiler dieser Pressestelle wählen."))
    outlet = _outlet_with(office, signup.email)
    if outlet is None:
        outlet = Outlet(office_id=office.id, name=signup.outlet_name, email=signup.email)
        db.session.add(outlet)
    outlet.name, outlet.person_name, outlet.person_role = (
        signup.outlet_name, signup.person_name, signup.role)
    outlet.active, outlet.left_at = True, None
    outlet.review_reason, outlet.review_note, outlet.review_at = "", "", None
    outlet.confirmed_at = signup.confirmed_at
    outlet.topics = list(db.session.scalars(select(Topic).where(
        Topic.id.in_(signup.topic_list), Topic.office_id == office.id)))
    outlet.regions = list(db.session.scalars(select(Region).where(
        Region.id.in_(signup.region_list), Region.office_id == office.id)))
    db.session.flush()
    for lst in lists:
        if outlet not in lst.outlets:
            lst.outlets.append(outlet)
    # Asked for again, with consent: an earlier "left" or bounce no longer stands in the way.
    db.session.execute(delete(Suppression).where(
        Suppression.office_id == office.id, Suppression.email == signup.email.lower()))
    signup.status, signup.decided_at = SignupStatus.ACCEPTED.value, utcnow()
    signup.decided_by_id, signup.decided_by_name = user.id, user.name
    signup.outlet_id = outlet.id
    record(office.id, user, "signup.accepted", "outlet", outlet.id,
           f"{signup.outlet_name}: {signup.email} → {', '.join(lst.name for lst in lists)}")
    db.session.flush()
    mails.send("accepted", office, signup.email, signup.person_name,
               outlet_name=signup.outlet_name,
               preferences_url=links.preferences_url(links.outlet_link_token(outlet)))
    return outlet


def decline(office: Office, signup: Signup, user: User) -> None:
    if signup.office_id != office.id or signup.status != SignupStatus.CONFIRMED.value:
        raise SignupError(_("Diese Anmeldung ist schon entschieden oder noch nicht bestätigt."))
    signup.status, signup.decided_at = SignupStatus.DECLINED.value, utcnow()
    signup.decided_by_id, signup.decided_by_name = user.id, user.name
    record(office.id, user, "signup.declined", "signup", signup.id,
           f"{signup.outlet_name}: {signup.email}")
    db.session.flush()
    mails.send("declined", office, signup.email, signup.person_name)
