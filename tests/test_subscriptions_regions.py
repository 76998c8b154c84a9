"""Readers subscribe to regions, and every office, topic and region page offers "Per E-Mail
abonnieren" with that choice ticked."""

import re

from sqlalchemy import select

from pressdesk.extensions import db
from pressdesk.releases.models import Region, Topic
from pressdesk.subscriptions import services as alerts
from pressdesk.subscriptions.models import Subscriber
from tests.feeds_support import publish, vocab
from tests.helpers import csrf_token, office


def _ticked(html: str, name: str) -> list[str]:
    return re.findall(rf'name="{name}" value="(\d+)" id="[a-z]+-\d+"\s+checked', html)


def _follow_subscribe_link(client, page: str) -> str:  # type: ignore[no-untyped-def]
    html = client.get(page).get_data(as_text=True)
    link = re.search(r'<a class="button" id="subscribe-link" href="([^"]+)">'
                     r"Per E-Mail abonnieren</a>", html)
    assert link, page
    resp = client.get(link.group(1).replace("&amp;", "&"))
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def test_office_topic_and_region_pages_link_to_a_prefilled_form(app, demo):
    publish(topics=("verkehr",), regions=("rheiderland",))
    # The same topic name at a second office: the topic page lists both, so both are ticked.
    emsland_topic = vocab(Topic, "landkreis-emsland", "verkehr", "Verkehr")
    leer, client = office("landkreis-leer"), app.test_client()
    html = _follow_subscribe_link(client, "/presse/landkreis-leer")
    assert _ticked(html, "offices") == [str(leer.id)] and not _ticked(html, "topics")
    html = _follow_subscribe_link(client, "/thema/verkehr")
    leer_topic = db.session.scalar(select(Topic).where(Topic.office_id == leer.id,
                                                       Topic.slug == "verkehr"))
    assert sorted(_ticked(html, "topics")) == sorted([str(leer_topic.id), str(emsland_topic.id)])
    assert not _ticked(html, "offices") and not _ticked(html, "regions")
    html = _follow_subscribe_link(client, "/region/rheiderland")
    region = db.session.scalar(select(Region).where(Region.slug == "rheiderland"))
    assert _ticked(html, "regions") == [str(region.id)] and not _ticked(html, "offices")
    assert "Region Rheiderland" in html


def test_a_reader_subscribed_to_a_region_gets_its_releases_only(app, demo):
    region = vocab(Region, "landkreis-leer", "rheiderland", "Rheiderland")
    client = app.test_client()
    html = client.get("/benachrichtigungen?region=rheiderland").get_data(as_text=True)
    resp = client.post("/benachrichtigungen", data={
        "csrf_token": csrf_token(html), "email": "leserin@example.org", "frequency": "instant",
        "consent": "y", "regions": [str(region.id)]})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:2000]
    db.session.remove()
    sub = db.session.scalar(select(Subscriber).where(Subscriber.email == "leserin@example.org"))
    assert [g.slug for g in sub.regions] == ["rheiderland"] and not sub.offices
    assert "Region: Rheiderland" in alerts.describe(sub)
    sub.status = "active"
    db.session.commit()
    inside = publish("Radweg im Rheiderland", regions=("rheiderland",)).release
    outside = publish("Hafenfest in Leer").release
    assert [s.email for s in alerts.subscribers_for(inside, "instant")] == ["leserin@example.org"]
    assert alerts.subscribers_for(outside, "instant") == []


def test_unknown_region_is_refused_with_a_clear_error(app, demo):
    client = app.test_client()
    html = client.get("/benachrichtigungen").get_data(as_text=True)
    resp = client.post("/benachrichtigungen", data={
        "csrf_token": csrf_token(html), "email": "x@example.org", "frequency": "instant",
        "consent": "y", "regions": ["999999"]})
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert "eine Region gibt es nicht" in page and 'value="x@example.org"' in page
