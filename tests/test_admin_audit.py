"""The audit log page: newest first, paginated, per office, readable."""

from datetime import timedelta

from pressdesk.accounts.models import Role
from pressdesk.audit import views
from pressdesk.audit.services import record
from pressdesk.db import utcnow
from pressdesk.extensions import db
from pressdesk.releases import services as releases
from tests.helpers import draft, logged_in, office
from tests.media_support import member


def test_publishing_shows_up_with_who_and_when(app, demo):
    release = draft("landkreis-leer", headline="Kreistag tagt in Weener")
    releases.publish_release(release, None)
    db.commit()
    client = logged_in(app)
    html = client.get("/desk/audit/").get_data(as_text=True)
    assert "Veröffentlicht" in html and "Kreistag tagt in Weener" in html
    assert f"/desk/releases/{release.id}" in html


def test_newest_first_and_paginated(app, demo, monkeypatch):
    monkeypatch.setattr(views, "PER_PAGE", 5)
    leer = office("landkreis-leer")
    start = utcnow() - timedelta(hours=2)
    for i in range(12):
        e = record(leer.id, None, "outlet.created", "outlet", i, f"Eintrag Nummer {i:02d}")
        e.at = start + timedelta(minutes=i)
    record(office("stadt-lingen").id, None, "outlet.created", "outlet", 99, "Lingener Geheimnis")
    db.session.commit()
    client = logged_in(app)
    first = client.get("/desk/audit/").get_data(as_text=True)
    assert first.index("Eintrag Nummer 11") < first.index("Eintrag Nummer 07")
    assert "Eintrag Nummer 06" not in first and "Seite 1 von 3" in first
    assert "Medium angelegt" in first
    third = client.get("/desk/audit/?seite=3").get_data(as_text=True)
    assert "Eintrag Nummer 01" in third and "Eintrag Nummer 00" in third
    assert "Eintrag Nummer 02" not in third
    assert client.get("/desk/audit/?seite=4").status_code == 404
    assert all("Lingener Geheimnis" not in p for p in (first, third))
    # German date and time in Europe/Berlin.
    assert " Uhr" in first


def test_editors_do_not_see_the_audit_log(app, demo):
    assert logged_in(app, "redaktion.leer@pressdesk.example").get("/desk/audit/").status_code == 403
    assert logged_in(app, member("landkreis-leer", Role.PUBLISHER)).get("/desk/audit/"
                                                                      ).status_code == 200
