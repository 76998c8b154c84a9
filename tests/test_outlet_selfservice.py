"""The outlets' own press list: sign-up (closed office, bad input, double sign-up, throttle,
expired and forged confirm links), the office's decision (scoped to its own sign-ups), the
preference page (bad input loses nothing), topic/region filtering, text only, pause, digest,
hard bounces and the yearly check marking outlets for review."""

from __future__ import annotations

import email
from datetime import datetime, time, timedelta
from email import policy

import pytest
from sqlalchemy import func, select

from pressdesk import tokens
from pressdesk.delivery import bounces
from pressdesk.delivery.models import Delivery, DeliveryState
from pressdesk.extensions import db
from pressdesk.media import digest, links, selfservice, signup
from pressdesk.media.models import HeldRelease, Outlet, OutletSettings, Signup
from pressdesk.releases.models import Region, Topic
from pressdesk.text import BERLIN
from tests.feeds_support import publish, vocab
from tests.helpers import csrf_token, logged_in, office, post

pytestmark = pytest.mark.usefixtures("no_wakeups")
ADDRESS = "redaktion@emszeitung.example"


def _service_mails() -> list[email.message.EmailMessage]:
    db.session.remove()
    rows = db.session.scalars(select(Delivery).where(Delivery.kind == "service")
                              .order_by(Delivery.id)).all()
    return [email.message_from_bytes(r.payload or b"", policy=policy.default) for r in rows]


def _sign_up(client, slug: str = "landkreis-leer", **fields):  # type: ignore[no-untyped-def]
    page = client.get(f"/verteiler/anmelden/{slug}")
    data = {"csrf_token": csrf_token(page.get_data(as_text=True)), "outlet_name": "Ems-Zeitung",
            "person_name": "Eva Ems", "role": "Redaktion", "email": ADDRESS, "consent": "y",
            **fields}
    return client.post(f"/verteiler/anmelden/{slug}", data=data)


def _confirm_link(mail) -> str:  # type: ignore[no-untyped-def]
    text = mail.get_body(("plain",)).get_content()
    return next(w for w in text.split() if "/verteiler/bestaetigen/" in w)


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_sign_up_records_consent_and_sends_an_expiring_opt_in(app, demo):
    client = app.test_client()
    resp = _sign_up(client)
    assert resp.status_code == 200 and "Postfach" in resp.get_data(as_text=True)
    s = db.session.scalar(select(Signup))
    assert s.status == "pending" and s.email == ADDRESS
    assert s.consent_text == signup.consent_text(office("landkreis-leer"))
    (mail,) = _service_mails()
    assert "bestätigen" in mail["Subject"] and "48 Stunden" in mail.get_content()
    link = _path(_confirm_link(mail))
    page = client.get(link)  # GET shows a button only
    assert page.status_code == 200
    db.session.remove()
    assert db.session.scalar(select(Signup.status)) == "pending"
    done = client.post(link, data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert done.status_code == 200 and "bestätigt" in done.get_data(as_text=True)
    db.session.remove()
    assert db.session.scalar(select(Signup.status)) == "confirmed"
    again = client.post(link, data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert again.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Signup)) == 1


def test_an_office_that_takes_no_sign_ups_says_so(app, demo):
    db.session.add(OutletSettings(office_id=office("landkreis-leer").id, signups_open=False,
                                  yearly_check=False))
    db.session.commit()
    client = app.test_client()
    page = client.get("/verteiler/anmelden/landkreis-leer")
    assert page.status_code == 403 and "keine Anmeldungen" in page.get_data(as_text=True)
    token = client.get("/verteiler/anmelden/stadt-lingen").get_data(as_text=True)
    resp = client.post("/verteiler/anmelden/landkreis-leer", data={
        "csrf_token": csrf_token(token), "outlet_name": "X", "person_name": "Y", "email": ADDRESS,
        "consent": "y"})
    assert resp.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Signup)) == 0
    assert client.get("/verteiler/anmelden/gibt-es-nicht").status_code == 404


def test_bad_sign_up_input_is_refused_and_kept(app, demo):
    client = app.test_client()
    resp = _sign_up(client, email="kein-at-zeichen")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "gültige E-Mail-Adresse" in page
    assert 'value="Ems-Zeitung"' in page and 'value="kein-at-zeichen"' in page
    resp = _sign_up(client, consent="")
    assert resp.status_code == 400 and "stimmen Sie zu" in resp.get_data(as_text=True)
    other = vocab(Topic, "stadt-lingen", "kultur", "Kultur")  # another office's topic
    resp = _sign_up(client, topics=[str(other.id)])
    assert resp.status_code == 400 and "Unbekannte Themen" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Signup)) == 0


def test_double_sign_up_makes_one_request_and_reveals_nothing(app, demo):
    client = app.test_client()
    assert _sign_up(client).status_code == 200
    assert _sign_up(client, outlet_name="Ems-Zeitung Leer").status_code == 200
    rows = db.session.scalars(select(Signup)).all()
    assert len(rows) == 1 and rows[0].outlet_name == "Ems-Zeitung Leer"
    assert len(_service_mails()) == 2  # a fresh opt-in link
    # Already an outlet of the office: the same answer on the page, a "you are on the list" mail.
    known = db.session.scalar(select(Outlet).where(Outlet.office_id == office("landkreis-leer").id))
    resp = _sign_up(client, email=known.email)
    assert resp.status_code == 200 and "Postfach" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Signup)) == 1
    known_mail = _service_mails()[-1]
    assert "Ihre Anmeldung" in known_mail["Subject"]
    link = next(w for w in known_mail.get_content().split() if "/verteiler/" in w)
    assert links.outlet_id_for(link.rsplit("/", 1)[1]) == known.id  # its own settings link
    # More than three requests for the same address within a day are throttled.
    assert _sign_up(client).status_code == 200
    resp = _sign_up(client)
    assert resp.status_code == 429 and "Zu viele" in resp.get_data(as_text=True)


def test_expired_and_forged_confirm_links_are_refused(app, demo, monkeypatch):
    client = app.test_client()
    _sign_up(client)
    link = _path(_confirm_link(_service_mails()[0]))
    monkeypatch.setattr(tokens, "OUTLET_SIGNUP",
                        tokens.Purpose("pressdesk.outlet.signup", max_age=-1))
    expired = client.get(link)
    assert expired.status_code == 400 and "abgelaufen" in expired.get_data(as_text=True)
    monkeypatch.undo()
    for forged in (link[:-4], link.replace("bestaetigen/", "bestaetigen/x"),
                   "/verteiler/bestaetigen/" + tokens.dumps(tokens.OUTLET_LINK, {"s": 1})):
        resp = client.get(forged)
        assert resp.status_code == 400 and "nicht gültig" in resp.get_data(as_text=True)
    db.session.remove()
    assert db.session.scalar(select(Signup.status)) == "pending"


def _confirmed(client) -> Signup:  # type: ignore[no-untyped-def]
    _sign_up(client)
    s = db.session.scalar(select(Signup))
    signup.confirm(s)
    db.session.commit()
    return s


def test_the_office_decides_its_own_sign_ups_only(app, demo):
    s = _confirmed(app.test_client())
    sid = s.id
    leer = office("landkreis-leer")
    from pressdesk.media.models import DistributionList

    default = db.session.scalar(select(DistributionList).where(
        DistributionList.office_id == leer.id, DistributionList.is_default.is_(True)))
    lingen = logged_in(app, slug="stadt-lingen")
    page = lingen.get("/desk/media/signups").get_data(as_text=True)
    assert "Ems-Zeitung" not in page
    resp = post(lingen, f"/desk/media/signups/{sid}/accept", {"lists": [str(default.id)]},
                page="/desk/media/signups")
    assert resp.status_code == 404
    client = logged_in(app)
    assert "Ems-Zeitung" in client.get("/desk/media/signups").get_data(as_text=True)
    resp = post(client, f"/desk/media/signups/{sid}/accept", {"lists": []},
                page="/desk/media/signups")
    assert resp.status_code == 302  # refused with a message: no list chosen
    db.session.remove()
    assert db.session.get(Signup, sid).status == "confirmed"
    resp = post(client, f"/desk/media/signups/{sid}/accept", {"lists": [str(default.id)]},
                page="/desk/media/signups")
    assert resp.status_code == 302
    db.session.remove()
    s = db.session.get(Signup, sid)
    assert s.status == "accepted" and s.decided_by_id is not None and s.outlet_id
    outlet = db.session.get(Outlet, s.outlet_id)
    assert outlet.email == ADDRESS and default.id in {dl.id for dl in db.session.scalars(
        select(DistributionList).where(DistributionList.outlets.any(Outlet.id == outlet.id)))}
    assert "im Presseverteiler" in _service_mails()[-1]["Subject"]
    again = post(client, f"/desk/media/signups/{sid}/decline", page="/desk/media/signups")
    assert again.status_code == 302
    db.session.remove()
    assert db.session.get(Signup, sid).status == "accepted"


def _prefs(client, outlet: Outlet, **fields):  # type: ignore[no-untyped-def]
    token = links.outlet_link_token(outlet)
    page = client.get(f"/verteiler/{token}")
    assert page.status_code == 200
    data = {"csrf_token": csrf_token(page.get_data(as_text=True)), "format": "html",
            "images": "links", "max_attachment_kb": "10240", "timing": "instant",
            "digest_hour": "7", "pause_digest": "digest", **fields}
    return client.post(f"/verteiler/{token}", data=data)


def _oz() -> Outlet:
    return db.session.scalar(select(Outlet).where(Outlet.name == "Ostfriesen-Zeitung",
                                                  Outlet.office_id == office("landkreis-leer").id))


def test_bad_preferences_are_refused_and_nothing_is_saved(app, demo):
    client = app.test_client()
    oz = _oz()
    resp = _prefs(client, oz, pause_from="2026-12-20", pause_until="2026-12-10")
    assert resp.status_code == 400 and "vor ihrem Beginn" in resp.get_data(as_text=True)
    resp = _prefs(client, oz, pause_from="2026-12-20")
    assert resp.status_code == 400 and "Beginn und Ende" in resp.get_data(as_text=True)
    other = vocab(Topic, "stadt-lingen", "kultur", "Kultur")
    resp = _prefs(client, oz, topics=[str(other.id)])
    assert resp.status_code == 400 and "Unbekannte Themen" in resp.get_data(as_text=True)
    resp = _prefs(client, oz, max_attachment_kb="-5")
    assert resp.status_code == 400
    db.session.remove()
    oz = _oz()
    assert oz.pause_from is None and oz.topics == [] and oz.max_attachment_kb == 10240


def test_topics_and_regions_filter_and_text_only_gets_the_text_part(app, demo):
    verkehr = vocab(Topic, "landkreis-leer", "verkehr", "Verkehr")
    vocab(Region, "landkreis-leer", "rheiderland", "Rheiderland")
    client = app.test_client()
    oz = _oz()
    assert _prefs(client, oz, topics=[str(verkehr.id)], format="text").status_code == 303
    other = publish("Schulbau beginnt", topics=("bildung",))
    assert _oz().id not in {r.outlet_id for r in db.session.scalars(
        select(Delivery).where(Delivery.version_id == other.id))}
    mine = publish("Neue Ampel", topics=("verkehr",), regions=("rheiderland",))
    row = db.session.scalar(select(Delivery).where(Delivery.version_id == mine.id,
                                                   Delivery.outlet_id == _oz().id))
    assert row is not None and row.variant == "text"
    from pressdesk.delivery.engine import message_as_sent

    msg = email.message_from_bytes(message_as_sent(row), policy=policy.default)
    assert msg.get_content_type() == "text/plain"
    assert links.preferences_url(row.link_token) in msg.get_content()
    assert msg["List-Unsubscribe"].startswith(f"<{links.leave_url(row.link_token)}>")


def test_a_pause_holds_or_drops_and_the_digest_follows_it(app, demo):
    client = app.test_client()
    today = datetime.now(BERLIN).date()
    oz = _oz()
    resp = _prefs(client, oz, pause_from=today.isoformat(),
                  pause_until=(today + timedelta(days=3)).isoformat(), pause_digest="drop")
    assert resp.status_code == 303
    first = publish("Während der Pause verworfen")
    assert _oz().id not in {r.outlet_id for r in db.session.scalars(
        select(Delivery).where(Delivery.version_id == first.id))}
    assert db.session.scalar(select(func.count()).select_from(HeldRelease)) == 0
    resp = _prefs(client, _oz(), pause_from=today.isoformat(),
                  pause_until=(today + timedelta(days=3)).isoformat(), pause_digest="digest")
    second = publish("Während der Pause gehalten")
    held = db.session.scalars(select(HeldRelease)).all()
    assert [h.release_id for h in held] == [second.release_id]
    during = datetime.combine(today + timedelta(days=2), time(12), tzinfo=BERLIN)
    assert digest.send_due(during) == 0  # still paused
    after = datetime.combine(today + timedelta(days=4), time(8), tzinfo=BERLIN)
    assert digest.send_due(after) == 1
    db.session.commit()
    (row,) = db.session.scalars(select(Delivery).where(Delivery.kind == "outlet_digest")).all()
    assert row.outlet_id == _oz().id and row.link_token and row.unsubscribe_url
    assert b"Pause gehalten" in (row.payload or b"").replace(b"=\r\n", b"")
    assert digest.send_due(after) == 0


def test_a_withdrawn_release_is_left_out_of_the_digest(app, demo):
    from pressdesk.accounts.services import find_user
    from pressdesk.releases import workflow
    from tests.helpers import PUBLISHER

    client = app.test_client()
    assert _prefs(client, _oz(), timing="digest", digest_hour="6").status_code == 303
    gone = publish("Wird zurückgezogen")
    kept = publish("Bleibt stehen")
    workflow.withdraw(gone.release, find_user(PUBLISHER), "Falsch")
    db.commit()
    at = datetime.combine(datetime.now(BERLIN).date() + timedelta(days=1), time(6, 1),
                          tzinfo=BERLIN)
    assert digest.send_due(at) == 1
    db.session.commit()
    row = db.session.scalar(select(Delivery).where(Delivery.kind == "outlet_digest"))
    payload = (row.payload or b"").replace(b"=\r\n", b"")
    assert b"Bleibt stehen" in payload and b"zur=C3=BCckgezogen" not in payload
    assert row.version_id == kept.id


def test_a_hard_bounce_puts_the_outlet_on_the_review_page(app, demo):
    version = publish("Bounce-Test")
    row = db.session.scalar(select(Delivery).where(Delivery.version_id == version.id,
                                                   Delivery.outlet_id == _oz().id))
    db.session.execute(Delivery.__table__.update().where(Delivery.id == row.id).values(
        state=DeliveryState.SENT.value))
    db.session.commit()
    assert bounces.apply(bounces.Bounce(row.id, "5.1.1", "failed", "user unknown"))
    db.session.remove()
    assert _oz().review_reason == "bounce"
    page = logged_in(app).get("/desk/media/review").get_data(as_text=True)
    assert "Ostfriesen-Zeitung" in page and "Unzustellbar" in page
    other = logged_in(app, slug="stadt-lingen").get("/desk/media/review").get_data(as_text=True)
    assert "Ostfriesen-Zeitung" not in other  # scoped to the office


def test_the_yearly_check_asks_once_and_marks_silence_for_review(app, demo):
    leer = office("landkreis-leer")
    db.session.add(OutletSettings(office_id=leer.id, signups_open=True, yearly_check=True))
    old = datetime.now(BERLIN) - timedelta(days=800)
    for o in db.session.scalars(select(Outlet).where(Outlet.office_id == leer.id)):
        o.created_at = old
    db.session.commit()
    n = db.session.scalar(select(func.count()).select_from(Outlet).where(
        Outlet.office_id == leer.id, Outlet.active.is_(True)))
    assert selfservice.yearly_checks() == n
    db.session.commit()
    mails = _service_mails()
    assert len(mails) == n and "richtige Ansprechperson" in mails[0]["Subject"]
    assert selfservice.yearly_checks() == 0  # once a year
    db.session.commit()
    # One answers through its link; the others stay silent for a month.
    oz = _oz()
    client = app.test_client()
    token = links.outlet_link_token(oz)
    page = client.get(f"/verteiler/{token}").get_data(as_text=True)
    assert "noch die richtige Ansprechperson" in page
    resp = client.post(f"/verteiler/{token}/noch-richtig", data={"csrf_token": csrf_token(page)})
    assert resp.status_code == 200
    later = datetime.now(BERLIN) + timedelta(days=31)
    selfservice.yearly_checks(later)
    db.session.commit()
    db.session.remove()
    marked = {o.name for o in db.session.scalars(select(Outlet).where(
        Outlet.office_id == leer.id, Outlet.review_reason == "yearly"))}
    assert "Ostfriesen-Zeitung" not in marked and len(marked) == n - 1
    # Nothing about the other office.
    assert db.session.scalar(select(func.count()).select_from(Outlet).where(
        Outlet.office_id != leer.id, Outlet.review_reason != "")) == 0


def test_no_tracking_in_outlet_mail(app, demo):
    version = publish("Ohne Zählpixel")
    row = db.session.scalar(select(Delivery).where(Delivery.version_id == version.id))
    from pressdesk.delivery.engine import message_as_sent

    raw = message_as_sent(row).replace(b"=\r\n", b"").decode("utf-8", "replace")
    assert "<img" not in raw
    hrefs = [h for h in raw.split('href=3D"')[1:]]
    assert all("/verteiler/" in h or "/presse/" in h or "/echt" in h or "mailto:" in h
               or "/bilder/" in h or "/dateien/" in h for h in hrefs)
