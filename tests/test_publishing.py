"""Publishing: version, delivery rows and wake-up in one transaction; bad input refused."""

import pytest
from sqlalchemy import func, select

from pressdesk.delivery.models import Delivery
from pressdesk.extensions import db
from pressdesk.releases import services, workflow
from pressdesk.releases.models import Release, ReleaseVersion
from tests.helpers import draft


def test_publish_writes_version_and_one_row_per_outlet(app, demo):
    release = draft()
    version = services.publish_release(release, None)  # flushed, not committed: no wake-up yet
    rows = db.session.scalars(select(Delivery).where(Delivery.version_id == version.id)).all()
    assert len(rows) == 9
    assert len({r.email for r in rows}) == 9
    assert all(r.state == "queued" and r.message_id.startswith("<pm.") for r in rows)
    assert len({r.message_id for r in rows}) == 9
    assert version.mail_bytes and b"\r\n" in version.mail_bytes
    fresh = db.session.get(Release, release.id)
    assert fresh.status == "published" and fresh.number == 1 and fresh.reference.startswith("PM 1/")


def test_running_number_counts_per_office(app, demo):
    a = services.publish_release(draft(), None)
    db.commit()
    b = services.publish_release(draft(headline="Zweite Mitteilung"), None)
    db.commit()
    c = services.publish_release(draft("stadt-lingen"), None)
    db.commit()
    assert (a.release.number, b.release.number, c.release.number) == (1, 2, 1)


def test_double_publish_makes_one_set_of_deliveries(app, demo):
    release = draft()
    services.publish_release(release, None)
    db.commit()
    with pytest.raises(services.ReleaseError):
        services.publish_release(release, None)
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 9
    assert db.session.scalar(select(func.count()).select_from(ReleaseVersion)) == 1


def test_rollback_leaves_nothing_and_wakes_nobody(app, demo, monkeypatch):
    woken = []
    monkeypatch.setattr("pressdesk.delivery.queue.send_task", lambda *a: woken.append(a))
    release = draft()
    monkeypatch.setattr(workflow, "render_message",
                        lambda *a: (_ for _ in ()).throw(RuntimeError("render failed")))
    with pytest.raises(RuntimeError):
        services.publish_release(release, None)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 0
    assert woken == []


def test_wake_up_happens_only_after_commit(app, demo, monkeypatch):
    seen = []

    def fake_send(name, version_id):
        # At wake-up time the rows must already be visible to another connection.
        with db.engine.connect() as conn:
            n = conn.execute(select(func.count()).select_from(Delivery)
                             .where(Delivery.version_id == version_id)).scalar()
        seen.append(n)

    monkeypatch.setattr("pressdesk.delivery.queue.send_task", fake_send)
    services.publish_release(draft(), None)
    db.commit()
    assert seen == [9]


@pytest.mark.parametrize("field", ["headline", "subline", "dateline_place"])
@pytest.mark.parametrize("payload", ["Titel\r\nBcc: victim@example.org", "Titel\nX: y",
                                     "Titel\u2028Zeile"])
def test_line_breaks_in_one_line_fields_are_refused(app, demo, field, payload):
    with pytest.raises(services.ReleaseError, match="Zeilenumbruch"):
        draft(**{field: payload})


def test_headline_required_and_length_limited(app, demo):
    with pytest.raises(services.ReleaseError, match="Überschrift"):
        draft(headline="  ")
    with pytest.raises(services.ReleaseError, match="zu lang"):
        draft(headline="x" * 301)


def test_inactive_outlets_get_nothing(app, demo):
    from pressdesk.media.models import Outlet

    outlet = db.session.scalar(select(Outlet).where(Outlet.name == "Borkum Aktuell"))
    outlet.active = False
    db.session.commit()
    version = services.publish_release(draft(), None)
    db.commit()
    emails = set(db.session.scalars(select(Delivery.email)
                                    .where(Delivery.version_id == version.id)))
    assert len(emails) == 8 and "redaktion@borkum-aktuell.example" not in emails


def test_extra_outlet_addresses_get_their_own_message(app, demo):
    from pressdesk.media.models import Outlet

    outlet = db.session.scalar(select(Outlet).where(Outlet.name == "Ostfriesen-Zeitung"))
    outlet.extra_emails = "lokales@ostfriesen-zeitung.example"
    db.session.commit()
    version = services.publish_release(draft(), None)
    db.commit()
    rows = db.session.scalars(select(Delivery).where(Delivery.version_id == version.id)).all()
    oz = sorted(r.email for r in rows if r.outlet_id == outlet.id)
    assert oz == ["lokales@ostfriesen-zeitung.example", "redaktion@ostfriesen-zeitung.example"]
    assert len(rows) == 10
