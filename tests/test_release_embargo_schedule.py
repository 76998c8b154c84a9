"""Embargo (Sperrfrist) and scheduled publication, through the desk, a real Celery worker and
the aiosmtpd server: outlets get SPERRFRIST mail at once, the public only after the embargo."""

from datetime import timedelta

import feedparser
from sqlalchemy import select

from pressdesk.celery_app import EMBARGO_ENDED_TASK, PUBLISH_DUE_TASK
from pressdesk.db import utcnow
from pressdesk.delivery.models import Delivery
from pressdesk.extensions import db
from pressdesk.releases import workflow
from pressdesk.releases.models import Release
from pressdesk.signals import release_changed, release_public
from pressdesk.text import german_datetime
from tests.conftest import wait_for
from tests.desk_helpers import (
    actions_logged,
    berlin_input,
    default_lists,
    fresh,
    parsed,
    sent_rows,
    text_part,
    write,
)
from tests.helpers import EDITOR, PUBLISHER, logged_in, post

HEADLINE = "Neues Gewerbegebiet in Westoverledingen"


def _permalink(release: Release) -> str:
    return f"/presse/landkreis-leer/{release.year}/{release.number}-{release.slug}"


def _in_feeds(client, headline: str) -> bool:  # type: ignore[no-untyped-def]
    found = []
    for url in ("/feed.rss", "/feed.atom", "/presse/landkreis-leer/feed.atom"):
        feed = feedparser.parse(client.get(url).data)
        assert not feed.bozo, feed.get("bozo_exception")
        found.append(any(e.title == headline for e in feed.entries))
    assert len(set(found)) == 1, found  # all feeds agree
    return found[0]


def test_embargo_mails_outlets_at_once_and_shows_the_public_only_afterwards(
        app, demo, smtp, celery_worker):
    publisher = logged_in(app, PUBLISHER)
    rid = write(publisher, headline=HEADLINE)
    embargo = (utcnow() + timedelta(hours=2)).replace(second=0, microsecond=0)
    resp = post(publisher, f"/desk/releases/{rid}/publish",
                {"lists": default_lists(), "when": "now", "embargo_until": berlin_input(embargo)})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    release = fresh(rid)
    assert release.status == "published" and release.embargo_until == embargo
    assert release.went_public_at is None

    wait_for(lambda: len(sent_rows(release.versions[0].id)) == 9, timeout=30)
    # the session's worker may still be finishing an earlier test's mail: count this release's
    mine = [m for m in smtp.messages if HEADLINE in str(parsed(m)["Subject"])]
    assert len(mine) == 9
    stamp = german_datetime(embargo)
    for m in mine:
        assert parsed(m)["Subject"].startswith(f"SPERRFRIST: {stamp} – {HEADLINE}")
        assert text_part(m).startswith(f"SPERRFRIST: {stamp}")

    public = app.test_client()
    assert public.get(_permalink(release)).status_code == 404
    assert HEADLINE not in public.get("/").get_data(as_text=True)
    assert HEADLINE not in public.get("/presse/landkreis-leer").get_data(as_text=True)
    assert not _in_feeds(public, HEADLINE)
    desk = publisher.get(f"/desk/releases/{rid}").get_data(as_text=True)
    assert "SPERRFRIST" in desk

    # nothing happens while the embargo runs
    assert workflow.end_embargoes() == []

    events: list[tuple[str, dict]] = []

    def on_public(sender, **kw):  # type: ignore[no-untyped-def]
        events.append(("public", kw))

    def on_changed(sender, **kw):  # type: ignore[no-untyped-def]
        events.append(("changed", kw))

    release_public.connect(on_public)
    release_changed.connect(on_changed)
    try:
        release = fresh(rid)
        release.embargo_until = utcnow() - timedelta(seconds=1)  # the embargo ends
        db.session.commit()
        assert workflow.end_embargoes() == [rid]
        db.commit()
        assert workflow.end_embargoes() == []  # once only
    finally:
        release_public.disconnect(on_public)
        release_changed.disconnect(on_changed)
    assert ("public", {"release_id": rid, "version_id": release.versions[0].id}) in events
    assert any(kind == "changed" and kw["release_id"] == rid for kind, kw in events)
    assert fresh(rid).went_public_at is not None
    assert "release.embargo_ended" in actions_logged(rid)

    page = public.get(_permalink(release))
    assert page.status_code == 200 and HEADLINE in page.get_data(as_text=True)
    assert HEADLINE in public.get("/").get_data(as_text=True)
    assert _in_feeds(public, HEADLINE)
    assert len(smtp.messages) == 9  # the outlets are not mailed again


def test_embargo_task_runs_in_the_worker(app, demo, smtp, celery_worker):
    publisher = logged_in(app, PUBLISHER)
    rid = write(publisher, headline=HEADLINE)
    post(publisher, f"/desk/releases/{rid}/publish",
         {"lists": default_lists(),
          "when": "now", "embargo_until": berlin_input(utcnow() + timedelta(hours=1))})
    release = fresh(rid)
    release.embargo_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    app.extensions["celery"].send_task(EMBARGO_ENDED_TASK)
    wait_for(lambda: fresh(rid).went_public_at is not None, timeout=30)


def test_embargo_in_the_past_is_refused_and_nothing_is_sent(app, demo):
    publisher = logged_in(app, PUBLISHER)
    rid = write(publisher, headline=HEADLINE)
    resp = post(publisher, f"/desk/releases/{rid}/publish",
                {"lists": default_lists(),
                 "when": "now", "embargo_until": berlin_input(utcnow() - timedelta(hours=1))})
    assert resp.status_code == 400
    assert "Sperrfrist muss nach dem Veröffentlichungszeitpunkt" in resp.get_data(as_text=True)
    release = fresh(rid)
    assert release.status == "draft" and release.versions == [] and release.embargo_until is None


def test_scheduled_release_is_published_by_the_beat_task(app, demo, smtp, celery_worker):
    publisher = logged_in(app, PUBLISHER)
    rid = write(publisher, headline=HEADLINE)
    at = (utcnow() + timedelta(hours=3)).replace(second=0, microsecond=0)
    resp = post(publisher, f"/desk/releases/{rid}/publish",
                {"lists": default_lists(), "when": "later", "scheduled_at": berlin_input(at)})
    assert resp.status_code == 302
    release = fresh(rid)
    assert release.status == "scheduled" and release.scheduled_at == at
    assert release.versions == [] and db.session.scalar(select(Delivery.id)) is None
    page = publisher.get(f"/desk/releases/{rid}").get_data(as_text=True)
    assert german_datetime(at) in page and 'id="unschedule-button"' in page
    assert "release.scheduled" in actions_logged(rid)

    assert workflow.publish_due() == []  # not yet
    assert fresh(rid).status == "scheduled"

    # the time comes: beat's task (run by the real worker) publishes it
    release = fresh(rid)
    release.scheduled_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    app.extensions["celery"].send_task(PUBLISH_DUE_TASK)
    wait_for(lambda: fresh(rid).status == "published", timeout=30)
    release = fresh(rid)
    wait_for(lambda: len(sent_rows(release.versions[0].id)) == 9, timeout=30)
    assert len(release.versions) == 1 and release.went_public_at is not None
    assert workflow.publish_due() == []  # nothing twice


def test_beat_schedule_holds_the_desk_tasks(app):
    schedule = app.extensions["celery"].conf.beat_schedule
    tasks = {entry["task"] for entry in schedule.values()}
    assert {PUBLISH_DUE_TASK, EMBARGO_ENDED_TASK} <= tasks


def test_schedule_in_the_past_or_embargo_before_it_is_refused(app, demo):
    publisher = logged_in(app, PUBLISHER)
    rid = write(publisher, headline=HEADLINE)
    resp = post(publisher, f"/desk/releases/{rid}/publish",
                {"lists": default_lists(),
                 "when": "later", "scheduled_at": berlin_input(utcnow() - timedelta(hours=1))})
    assert resp.status_code == 400 and "in der Zukunft" in resp.get_data(as_text=True)
    at = utcnow() + timedelta(hours=5)
    resp = post(publisher, f"/desk/releases/{rid}/publish",
                {"lists": default_lists(), "when": "later", "scheduled_at": berlin_input(at),
                 "embargo_until": berlin_input(at - timedelta(hours=1))})
    assert resp.status_code == 400 and "Sperrfrist muss nach" in resp.get_data(as_text=True)
    resp = post(publisher, f"/desk/releases/{rid}/publish", {"lists": default_lists(),
                                                             "when": "later", "scheduled_at": ""})
    assert resp.status_code == 400 and "Veröffentlichungszeitpunkt angeben" in resp.get_data(as_text=True)
    assert fresh(rid).status == "draft"


def test_unschedule_and_editor_may_not_schedule(app, demo):
    editor = logged_in(app, EDITOR)
    rid = write(editor, headline=HEADLINE)
    at = berlin_input(utcnow() + timedelta(hours=3))
    assert post(editor, f"/desk/releases/{rid}/publish",
                {"lists": default_lists(), "when": "later", "scheduled_at": at}).status_code == 403
    publisher = logged_in(app, PUBLISHER)
    post(publisher, f"/desk/releases/{rid}/publish", {"lists": default_lists(),
                                                      "when": "later", "scheduled_at": at})
    assert fresh(rid).status == "scheduled"
    assert post(editor, f"/desk/releases/{rid}/unschedule").status_code == 403
    assert post(publisher, f"/desk/releases/{rid}/unschedule").status_code == 302
    release = fresh(rid)
    assert release.status == "approved" and release.scheduled_at is None


def test_outlets_can_fetch_images_and_attachments_during_the_embargo(app, demo):
    import email
    import re
    from email import policy

    from pressdesk.accounts.services import find_user
    from pressdesk.releases import attachments, images, services
    from tests.helpers import draft
    from tests.test_release_uploads import PDF, jpeg

    release = draft(headline=HEADLINE)
    rid = release.id
    images.add_image(release, "foto.jpg", jpeg(), "V.l. Anna Eilers", "Foto: LK Leer",
                     "Spatenstich im Gewerbegebiet", images.DEFAULT_RIGHTS)
    attachments.add_attachment(release, "Lageplan Gewerbegebiet.pdf", PDF)
    release.embargo_until = utcnow() + timedelta(hours=3)
    db.session.commit()
    version = services.publish_release(release, None)
    db.commit()
    msg = email.message_from_bytes(version.mail_bytes, policy=policy.default)
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    urls = re.findall(r"http://\S+", text)
    image_url = next(u for u in urls if "/redaktionen/bilder/" in u)
    file_url = next(u for u in urls if "/redaktionen/anhaenge/" in u)
    assert "Anhang 1: Lageplan Gewerbegebiet.pdf" in text and file_url.split("/")[-1] in html

    public = app.test_client()
    path = image_url.split(str(app.extensions["pressdesk.settings"].base_url))[1]
    pid = fresh(rid).images[0].public_id
    assert public.get(f"/bilder/{pid}/original.jpg").status_code == 404
    got = public.get(path)
    assert got.status_code == 200 and got.mimetype == "image/jpeg"
    got = public.get(file_url.split(str(app.extensions["pressdesk.settings"].base_url))[1])
    assert got.status_code == 200 and got.data == PDF
    # a forged token, or a withdrawn release: nothing
    token = path.split("/")[3]
    assert public.get(path.replace(token, token[:-2] + "xx")).status_code == 404
    workflow.withdraw(fresh(rid), find_user(PUBLISHER), "")
    db.commit()
    assert public.get(path).status_code == 404
