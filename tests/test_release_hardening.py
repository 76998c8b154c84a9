"""Desk defects found in review: lost topic changes, widened list choice, header text from
user fields, one release blocking the beat, and the 4-eyes rule bypassed by one publisher."""

import email
from datetime import timedelta
from email import policy

from sqlalchemy import func, select

from pressdesk.accounts.services import find_user
from pressdesk.audit.models import AuditEntry
from pressdesk.db import utcnow
from pressdesk.delivery.models import Delivery
from pressdesk.extensions import db
from pressdesk.releases import services, workflow
from pressdesk.releases.models import Release, Topic
from tests.desk_helpers import actions_logged, default_lists, four_eyes, fresh, write
from tests.helpers import ADMIN, EDITOR, PUBLISHER, draft, logged_in, office, post

INJECTION = "X =?utf-8?q?x=0D=0ABcc=3A_a=40b.example?="


def _form(release: Release, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {k: getattr(release, k) for k in services.LIMITS}
    data["topics"] = [t.id for t in release.topics]
    data["regions"] = [g.id for g in release.regions]
    data.update(changes)
    return data


def _subject(raw: bytes) -> str:
    return str(email.message_from_bytes(raw, policy=policy.default)["Subject"])


def _in_leer(client):  # type: ignore[no-untyped-def]
    assert post(client, "/desk/office", {"office_id": office("landkreis-leer").id}).status_code \
        == 302
    return client


# --- a topics-only change to a published release ------------------------------------------------


def test_topics_only_change_of_a_published_release_is_saved_without_a_correction(app, demo):
    leer = office("landkreis-leer")
    verkehr = Topic(office_id=leer.id, slug="verkehr", name="Verkehr")
    db.session.add(verkehr)
    db.session.commit()
    publisher = logged_in(app, PUBLISHER)
    rid = write(publisher)
    assert post(publisher, f"/desk/releases/{rid}/publish",
                {"lists": default_lists(), "when": "now"}).status_code == 302
    release = fresh(rid)
    resp = post(publisher, f"/desk/releases/{rid}/edit", _form(release, topics=[verkehr.id]))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    release = fresh(rid)
    assert [t.slug for t in release.topics] == ["verkehr"]
    assert len(release.versions) == 1  # no "Korrektur:" mail for metadata
    assert "release.tagged" in actions_logged(rid)
    # the portal's topic page and feed see it
    page = app.test_client().get("/thema/verkehr")
    assert page.status_code == 200 and release.headline in page.get_data(as_text=True)
    feed = app.test_client().get("/feed.atom")
    assert b"Verkehr" in feed.data


# --- the list choice ----------------------------------------------------------------------------


def test_publishing_with_no_list_ticked_is_refused_not_widened(app, demo):
    publisher = logged_in(app, PUBLISHER)
    rid = write(publisher)
    resp = post(publisher, f"/desk/releases/{rid}/publish", {"when": "now"})
    assert resp.status_code == 400
    assert "mindestens einen Verteiler" in resp.get_data(as_text=True)
    assert fresh(rid).status == "draft"
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 0
    at = (utcnow() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    resp = post(publisher, f"/desk/releases/{rid}/publish", {"when": "later", "scheduled_at": at})
    assert resp.status_code == 400 and fresh(rid).status == "draft"


def test_the_publish_form_warns_about_active_outlets_on_no_list(app, demo):
    from pressdesk.media.models import DistributionList, Outlet

    publisher = logged_in(app, PUBLISHER)
    rid = write(publisher)
    page = publisher.get(f"/desk/releases/{rid}").get_data(as_text=True)
    assert 'id="unlisted-outlets"' not in page  # the demo's outlets are all on a list
    leer = office("landkreis-leer")
    imported = [Outlet(office_id=leer.id, name=f"Neu importiert {i}", email=f"neu{i}@example.org",
                       active=active) for i, active in ((1, True), (2, True), (3, False))]
    db.session.add_all(imported)
    db.session.add(Outlet(office_id=office("stadt-lingen").id, name="Anderes Amt",
                          email="lingen@example.org", active=True))
    db.commit()
    page = publisher.get(f"/desk/releases/{rid}").get_data(as_text=True)
    warning = page.split('id="unlisted-outlets"')[1].split("</p>")[0]
    assert "2 aktive Redaktionen stehen auf keinem Verteiler" in warning  # not the inactive one
    assert 'href="/desk/media/"' in warning
    default = db.session.scalar(select(DistributionList).where(
        DistributionList.office_id == leer.id, DistributionList.is_default.is_(True)))
    before = len(default.outlets)
    assert f"{default.name} ({before})" in page  # each list with its number of outlets
    default.outlets.extend(imported[:2])
    db.commit()
    page = publisher.get(f"/desk/releases/{rid}").get_data(as_text=True)
    assert 'id="unlisted-outlets"' not in page and f"{default.name} ({before + 2})" in page


# --- user text in headers -----------------------------------------------------------------------


def test_encoded_word_in_headline_is_literal_text_in_the_subject(app, demo, smtp):
    publisher = logged_in(app, PUBLISHER)
    rid = write(publisher, headline=INJECTION)
    resp = post(publisher, f"/desk/releases/{rid}/test-mail")
    assert resp.status_code == 302
    received = smtp.messages[-1]
    assert b"\r\nBcc:" not in received.data.split(b"\r\n\r\n", 1)[0]
    assert _subject(received.data) == f"[TEST] {INJECTION} (Landkreis Leer)"
    preview = publisher.get(f"/desk/releases/{rid}/preview/email")
    assert preview.status_code == 200

    resp = post(publisher, f"/desk/releases/{rid}/publish",
                {"lists": default_lists(), "when": "now"})
    assert resp.status_code == 302
    version = fresh(rid).versions[0]
    db.session.refresh(version)
    head = version.mail_bytes.split(b"\r\n\r\n", 1)[0]
    assert b"\r\nBcc:" not in head and not head.startswith(b"Bcc:")
    assert _subject(version.mail_bytes) == f"{INJECTION} (Landkreis Leer)"


def test_control_characters_never_reach_the_subject(app, demo):
    release = draft(headline="Radwege\x00 im\x1b Rheiderland\x7f", subline="a\x00b")
    assert release.headline == "Radwege im Rheiderland" and release.subline == "ab"
    version = services.publish_release(release, None)
    db.commit()
    head = version.mail_bytes.split(b"\r\n\r\n", 1)[0]
    assert b"\x00" not in head and b"\x1b" not in head
    assert _subject(version.mail_bytes) == "Radwege im Rheiderland (Landkreis Leer)"


def test_one_failing_scheduled_release_is_recorded_and_the_others_go_out(app, demo, monkeypatch):
    bad = draft(headline="Diese Mitteilung scheitert")
    good = draft("stadt-lingen", headline="Diese Mitteilung geht raus")
    for r in (bad, good):
        r.status, r.scheduled_at = "scheduled", utcnow() - timedelta(minutes=1)
    bad.scheduled_at = utcnow() - timedelta(minutes=2)  # first in the queue
    db.session.commit()
    bad_id, good_id = bad.id, good.id
    real = services.mail_for

    def failing(version, kind=None):  # type: ignore[no-untyped-def]
        if version.release_id == bad_id:
            raise ValueError("Header values may not contain linefeed")
        return real(version, kind)

    monkeypatch.setattr(workflow, "mail_for", failing)
    assert workflow.publish_due() == [good_id]
    db.session.remove()
    assert fresh(good_id).status == "published"
    bad = fresh(bad_id)
    assert bad.status == "scheduled" and bad.versions == []
    assert "linefeed" in bad.publish_error
    assert "release.publish_failed" in actions_logged(bad_id)
    assert workflow.publish_due() == []  # not retried on every beat run
    desk = logged_in(app, PUBLISHER)
    assert 'id="publish-error"' in desk.get(f"/desk/releases/{bad_id}").get_data(as_text=True)
    assert "Veröffentlichung fehlgeschlagen" in desk.get("/desk/").get_data(as_text=True)


# --- 4-eyes -------------------------------------------------------------------------------------


def test_a_publisher_who_rewrote_the_text_cannot_approve_it(app, demo):
    four_eyes(True)
    editor = logged_in(app, EDITOR)
    rid = write(editor)
    publisher = logged_in(app, PUBLISHER)
    release = fresh(rid)
    resp = post(publisher, f"/desk/releases/{rid}/edit",
                _form(release, body="Ganz anderer Text der Leitung."))
    assert resp.status_code == 302
    assert post(publisher, f"/desk/releases/{rid}/submit").status_code == 302
    resp = post(publisher, f"/desk/releases/{rid}/approve")
    assert resp.status_code == 403 and "Vier-Augen-Prinzip" in resp.get_data(as_text=True)
    assert fresh(rid).status == "in_review"
    assert post(publisher, f"/desk/releases/{rid}/publish",
                {"lists": default_lists(), "when": "now"}).status_code == 403
    admin = _in_leer(logged_in(app, ADMIN))
    assert post(admin, f"/desk/releases/{rid}/approve").status_code == 302
    assert fresh(rid).status == "approved"


def _published_under_four_eyes(app):  # type: ignore[no-untyped-def]
    four_eyes(False)
    publisher = logged_in(app, PUBLISHER)
    rid = write(publisher)
    assert post(publisher, f"/desk/releases/{rid}/publish",
                {"lists": default_lists(), "when": "now"}).status_code == 302
    four_eyes(True)
    return publisher, rid


def test_a_correction_under_four_eyes_waits_for_a_second_person(app, demo):
    publisher, rid = _published_under_four_eyes(app)
    resp = post(publisher, f"/desk/releases/{rid}/edit",
                _form(fresh(rid), headline="Kreisstraße 12 ab Dienstag gesperrt"))
    assert resp.status_code == 302
    release = fresh(rid)
    assert len(release.versions) == 1 and release.correction_pending_at is not None
    assert release.versions[0].headline == "Kreisstraße 12 ab Montag gesperrt"  # still public
    # the one who wrote the correction cannot send it
    assert post(publisher, f"/desk/releases/{rid}/correction/approve").status_code == 403
    assert len(fresh(rid).versions) == 1
    admin = _in_leer(logged_in(app, ADMIN))
    resp = post(admin, f"/desk/releases/{rid}/correction/approve")
    assert resp.status_code == 302 and "/deliveries" in resp.headers["Location"]
    release = fresh(rid)
    assert [v.kind for v in release.versions] == ["publish", "correction"]
    assert release.versions[1].headline == "Kreisstraße 12 ab Dienstag gesperrt"
    assert release.correction_pending_at is None
    assert actions_logged(rid)[-2:] == ["release.correction_requested", "release.corrected"]


def test_urgent_correction_only_where_the_office_allows_it_and_audited(app, demo):
    publisher, rid = _published_under_four_eyes(app)
    data = _form(fresh(rid), headline="Eilt: Kreisstraße 12 bleibt offen", urgent="y")
    assert post(publisher, f"/desk/releases/{rid}/edit", data).status_code == 302
    assert len(fresh(rid).versions) == 1  # not allowed: it waits like any correction
    post(publisher, f"/desk/releases/{rid}/correction/discard")
    assert fresh(rid).correction_pending_at is None

    o = office("landkreis-leer")
    o.allow_urgent_corrections = True
    db.session.commit()
    assert post(publisher, f"/desk/releases/{rid}/edit", data).status_code == 302
    release = fresh(rid)
    assert [v.kind for v in release.versions] == ["publish", "correction"]
    assert "release.corrected_urgent" in actions_logged(rid)
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "release.corrected_urgent"))
    assert entry.user_id == find_user(PUBLISHER).id


# --- refused steps speak the reader's language ---------------------------------------------------


def test_refused_step_is_a_403_page_in_english_for_the_english_desk(app, demo):
    editor = logged_in(app, EDITOR)
    rid = write(editor)
    page = editor.get("/desk/").get_data(as_text=True)
    from tests.helpers import csrf_token

    editor.post("/lang/en", data={"csrf_token": csrf_token(page), "next": "/desk/"})
    resp = post(editor, f"/desk/releases/{rid}/publish", {"lists": default_lists(), "when": "now"})
    assert resp.status_code == 403
    text = resp.get_data(as_text=True)
    assert "“Publisher”" in text and "Dafür fehlt Ihnen" not in text
    assert fresh(rid).status == "draft"
