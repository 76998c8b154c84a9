"""The public side of invitations: the calendar feeds (per office, all offices; ETag/304), the
single .ics, the "Termine" page, the JSON API. Only appointments of visible releases show, as
last sent."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from pressdesk.db import utcnow
from tests.desk_helpers import berlin_input, default_lists, write
from tests.helpers import LINGEN_PUBLISHER, PUBLISHER, logged_in, post
from tests.invitation_support import (
    HEADLINE,
    appointment_form,
    parse_both,
    publish,
    start_in,
    write_invitation,
)


def _uids(ics: bytes) -> list[str]:
    cal, vcal = parse_both(ics)
    from_icalendar = [str(e["UID"]) for e in cal.walk("VEVENT")]
    from_vobject = [e.uid.value for e in vcal.vevent_list] if hasattr(vcal, "vevent_list") else []
    assert sorted(from_icalendar) == sorted(from_vobject)
    return from_icalendar


def test_feeds_page_and_api_show_published_appointments(app, demo):
    publisher = logged_in(app, PUBLISHER)
    start = start_in(10)
    rid = write_invitation(publisher, start)
    draft_only = write_invitation(publisher, start_in(12))  # never published
    publish(publisher, rid)
    lingen = logged_in(app, LINGEN_PUBLISHER, "stadt-lingen")
    other = write_invitation(lingen, start_in(4))
    post(lingen, f"/desk/releases/{other}/publish",
         {"lists": default_lists("stadt-lingen"), "when": "now"})
    web = app.test_client()

    everything = web.get("/termine/kalender.ics")
    assert everything.status_code == 200
    assert everything.headers["Content-Type"].startswith("text/calendar")
    cal, _v = parse_both(everything.data)
    assert str(cal["METHOD"]) == "PUBLISH"
    assert len(_uids(everything.data)) == 2
    mine = web.get("/termine/landkreis-leer/kalender.ics")
    assert len(_uids(mine.data)) == 1
    assert HEADLINE in mine.get_data(as_text=True).replace("\r\n ", "")
    etag = mine.headers["ETag"]
    again = web.get("/termine/landkreis-leer/kalender.ics", headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.data
    assert web.get("/termine/niemand/kalender.ics").status_code == 404

    page = web.get("/termine/landkreis-leer").get_data(as_text=True)
    assert HEADLINE in page and "webcal://" in page
    assert "Kreishaus Leer, Sitzungssaal" in page
    home = web.get("/termine").get_data(as_text=True)
    assert home.count('data-appointment="') == 2

    api = web.get("/api/v1/appointments?stelle=landkreis-leer").get_json()
    assert api["total"] == 1
    item = api["items"][0]
    assert item["title"] == HEADLINE and item["sequence"] == 0 and item["cancelled"] is False
    assert item["place"]["latitude"] == 53.2308
    assert web.get(urlsplit(item["links"]["ical"]).path).status_code == 200
    detail = web.get(f"/api/v1/appointments/{item['id']}")
    assert detail.status_code == 200 and detail.get_json()["uid"] == item["uid"]
    from tests.desk_helpers import fresh

    release = web.get(f"/api/v1/releases/{fresh(rid).public_id}").get_json()
    assert release["appointment"]["id"] == item["id"]
    # a draft's appointment is nowhere public
    from pressdesk.invitations.services import invitation_of

    hidden = invitation_of(fresh(draft_only))
    assert hidden is not None
    assert web.get(f"/termine/{hidden.public_id}.ics").status_code == 404
    assert web.get(f"/api/v1/appointments/{hidden.public_id}").status_code == 404


def test_an_embargoed_invitation_is_public_only_after_the_embargo(app, demo):
    publisher = logged_in(app, PUBLISHER)
    rid = write_invitation(publisher, start_in(10))
    embargo = utcnow() + timedelta(days=1)
    resp = post(publisher, f"/desk/releases/{rid}/publish",
                {"lists": default_lists(), "when": "now", "embargo_until": berlin_input(embargo)})
    assert resp.status_code == 302
    web = app.test_client()
    assert _uids(web.get("/termine/kalender.ics").data) == []
    assert web.get("/api/v1/appointments").get_json()["total"] == 0


def test_a_cancelled_appointment_stays_in_the_feed_as_cancelled(app, demo):
    publisher = logged_in(app, PUBLISHER)
    rid = write_invitation(publisher, start_in(10))
    publish(publisher, rid)
    web = app.test_client()
    before = web.get("/termine/kalender.ics")
    assert post(publisher, f"/desk/releases/{rid}/termin/absagen", {}).status_code == 302
    after = web.get("/termine/kalender.ics", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200  # changed: the ETag no longer matches
    ev = parse_both(after.data)[0].walk("VEVENT")[0]
    assert str(ev["STATUS"]) == "CANCELLED" and int(ev["SEQUENCE"]) == 1
    assert "abgesagt" in web.get("/termine").get_data(as_text=True)
    assert web.get("/api/v1/appointments").get_json()["items"][0]["cancelled"] is True


def test_a_past_appointment_leaves_the_page(app, demo):
    publisher = logged_in(app, PUBLISHER)
    rid = write(publisher)
    start = utcnow() + timedelta(hours=1)
    form = appointment_form(start, rsvp_until="", accreditation_until="")
    assert post(publisher, f"/desk/releases/{rid}/termin", form).status_code == 302
    publish(publisher, rid)
    web = app.test_client()
    assert 'data-appointment="' in web.get("/termine").get_data(as_text=True)
    from pressdesk.invitations import listing

    assert listing.upcoming(since=start + timedelta(hours=2)) == []
    assert len(listing.upcoming(since=start)) == 1


def test_the_release_feeds_carry_the_appointment_line(app, demo):
    import feedparser

    publisher = logged_in(app, PUBLISHER)
    start = start_in(10)
    rid = write_invitation(publisher, start)
    publish(publisher, rid)
    from pressdesk.text import german_datetime

    feed = feedparser.parse(app.test_client().get("/presse/landkreis-leer/feed.atom").data)
    content = feed.entries[0].content[0].value
    assert f"Termin: {german_datetime(start)} – Kreishaus Leer, Sitzungssaal" in content
    assert rid
