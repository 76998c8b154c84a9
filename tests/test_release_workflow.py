"""Roles and the 4-eyes rule, enforced on the server (403) and reflected in the buttons shown."""

from sqlalchemy import select

from pressdesk.extensions import db
from pressdesk.releases.models import Region, Topic
from tests.desk_helpers import actions_logged, default_lists, four_eyes, fresh, write
from tests.helpers import ADMIN, EDITOR, LINGEN_EDITOR, LINGEN_PUBLISHER, PUBLISHER, logged_in, office, post


def _page(client, rid):  # type: ignore[no-untyped-def]
    return client.get(f"/desk/releases/{rid}").get_data(as_text=True)


def test_editor_writes_and_submits_but_may_not_approve_or_publish(app, demo):
    editor = logged_in(app, EDITOR)
    rid = write(editor)
    page = _page(editor, rid)
    assert 'id="submit-button"' in page
    assert 'id="approve-button"' not in page and 'id="publish-button"' not in page
    assert post(editor, f"/desk/releases/{rid}/submit").status_code == 302
    assert fresh(rid).status == "in_review"

    page = _page(editor, rid)
    assert 'id="approve-button"' not in page and 'id="publish-button"' not in page
    for action in ("approve", "publish", "withdraw", "reject"):
        resp = post(editor, f"/desk/releases/{rid}/{action}")
        assert resp.status_code == 403, action
        assert "Berechtigung" in resp.get_data(as_text=True)
    release = fresh(rid)
    assert release.status == "in_review" and release.versions == []
    assert actions_logged(rid) == ["release.created", "release.submitted"]


def test_publisher_approves_and_publishes_with_audit_trail(app, demo):
    rid = write(logged_in(app, EDITOR))
    post(logged_in(app, EDITOR), f"/desk/releases/{rid}/submit")
    publisher = logged_in(app, PUBLISHER)
    page = _page(publisher, rid)
    assert 'id="approve-button"' in page and 'id="reject-button"' in page
    assert post(publisher, f"/desk/releases/{rid}/approve").status_code == 302
    release = fresh(rid)
    assert release.status == "approved" and release.approved_by_id is not None
    assert 'id="publish-button"' in _page(publisher, rid)

    resp = post(publisher, f"/desk/releases/{rid}/publish", {"lists": default_lists(), "when": "now"})
    assert resp.status_code == 302 and "/deliveries" in resp.headers["Location"]
    release = fresh(rid)
    assert release.status == "published" and len(release.versions) == 1
    assert release.went_public_at is not None
    assert actions_logged(rid) == ["release.created", "release.submitted", "release.approved",
                                   "release.published"]


def test_four_eyes_author_cannot_approve_own_release(app, demo):
    four_eyes(True)
    publisher = logged_in(app, PUBLISHER)
    rid = write(publisher, headline="Eigene Mitteilung der Leitung")
    # nothing is published before a second person approved it
    assert post(publisher, f"/desk/releases/{rid}/publish", {"lists": default_lists(),
                                                             "when": "now"}).status_code == 403
    post(publisher, f"/desk/releases/{rid}/submit")
    page = _page(publisher, rid)
    assert 'id="approve-button"' not in page and 'id="publish-button"' not in page
    assert "zweite Person" in page
    resp = post(publisher, f"/desk/releases/{rid}/approve")
    assert resp.status_code == 403 and "Vier-Augen-Prinzip" in resp.get_data(as_text=True)
    assert post(publisher, f"/desk/releases/{rid}/publish", {"lists": default_lists(),
                                                             "when": "now"}).status_code == 403
    assert fresh(rid).status == "in_review"

    admin = logged_in(app, ADMIN)  # member of every office: work in Leer
    assert post(admin, "/desk/office", {"office_id": office("landkreis-leer").id}).status_code == 302
    assert post(admin, f"/desk/releases/{rid}/approve").status_code == 302
    assert fresh(rid).status == "approved"
    assert post(publisher, f"/desk/releases/{rid}/publish", {"lists": default_lists(),
                                                             "when": "now"}).status_code == 302
    assert fresh(rid).status == "published"


def test_without_four_eyes_a_publisher_publishes_a_draft_directly(app, demo):
    four_eyes(False)
    publisher = logged_in(app, PUBLISHER)
    rid = write(publisher)
    assert 'id="publish-button"' in _page(publisher, rid)
    assert post(publisher, f"/desk/releases/{rid}/publish", {"lists": default_lists(),
                                                             "when": "now"}).status_code == 302
    release = fresh(rid)
    assert release.status == "published" and release.approved_by_id == release.created_by_id


def test_editing_an_approved_release_voids_the_approval(app, demo):
    editor = logged_in(app, EDITOR)
    rid = write(editor)
    post(editor, f"/desk/releases/{rid}/submit")
    post(logged_in(app, PUBLISHER), f"/desk/releases/{rid}/approve")
    assert fresh(rid).status == "approved"
    resp = post(editor, f"/desk/releases/{rid}/edit", {
        "headline": "Kreisstraße 12 erst ab Dienstag gesperrt", "dateline_place": "Leer",
        "body": "Neuer Termin."})
    assert resp.status_code == 302
    release = fresh(rid)
    assert release.status == "in_review" and release.approved_by_id is None
    assert release.headline == "Kreisstraße 12 erst ab Dienstag gesperrt"
    assert "release.approval_voided" in actions_logged(rid)


def test_returning_to_the_desk_and_a_second_click_changes_nothing(app, demo):
    editor = logged_in(app, EDITOR)
    rid = write(editor)
    post(editor, f"/desk/releases/{rid}/submit")
    publisher = logged_in(app, PUBLISHER)
    assert post(publisher, f"/desk/releases/{rid}/approve").status_code == 302
    again = post(publisher, f"/desk/releases/{rid}/approve", follow_redirects=True)
    assert "nicht möglich" in again.get_data(as_text=True)
    assert actions_logged(rid).count("release.approved") == 1
    post(publisher, f"/desk/releases/{rid}/reject", {"comment": "Bitte die Umleitung nennen."})
    assert fresh(rid).status == "draft" and fresh(rid).approved_by_id is None


def test_other_office_can_neither_see_nor_act(app, demo):
    editor = logged_in(app, EDITOR)
    rid = write(editor)
    post(editor, f"/desk/releases/{rid}/submit")
    for email in (LINGEN_EDITOR, LINGEN_PUBLISHER):
        other = logged_in(app, email)
        assert other.get(f"/desk/releases/{rid}").status_code == 404
        assert other.get(f"/desk/releases/{rid}/preview/email").status_code == 404
        for action in ("submit", "approve", "reject", "publish", "withdraw", "unschedule",
                       "test-mail"):
            assert post(other, f"/desk/releases/{rid}/{action}").status_code == 404, action
    assert fresh(rid).status == "in_review"


def test_topics_regions_and_contact_are_saved_only_from_the_own_office(app, demo):
    leer, lingen = office("landkreis-leer"), office("stadt-lingen")
    wirtschaft = Topic(office_id=leer.id, slug="wirtschaft", name="Wirtschaft")
    verkehr = Topic(office_id=leer.id, slug="verkehr", name="Verkehr")
    borkum = Region(office_id=leer.id, slug="borkum", name="Borkum")
    foreign = Topic(office_id=lingen.id, slug="kultur", name="Kultur in Lingen")
    db.session.add_all([wirtschaft, verkehr, borkum, foreign])
    db.session.commit()
    ids = {t.name: t.id for t in db.session.scalars(select(Topic))}
    region_id = borkum.id

    editor = logged_in(app, EDITOR)
    form = editor.get("/desk/releases/new").get_data(as_text=True)
    assert "Wirtschaft" in form and "Borkum" in form and "Kultur in Lingen" not in form
    assert "pressestelle@landkreis-leer.example" in form  # contact defaults from the office
    rid = write(editor, topics=[ids["Verkehr"]], regions=[region_id])
    release = fresh(rid)
    assert [t.name for t in release.topics] == ["Verkehr"]
    assert [r.name for r in release.regions] == ["Borkum"]
    assert release.contact_name == "Anna Eilers"

    resp = post(editor, "/desk/releases/new", {"headline": "Mit fremdem Thema",
                                               "topics": [ids["Kultur in Lingen"]]})
    assert resp.status_code == 400
    assert "Mit fremdem Thema" in resp.get_data(as_text=True)  # the text typed is still there
    db.session.remove()
    from pressdesk.releases.models import Release

    assert db.session.scalar(select(Release).where(Release.headline == "Mit fremdem Thema")) is None


def test_bad_contact_email_is_refused_and_nothing_is_lost(app, demo):
    editor = logged_in(app, EDITOR)
    resp = post(editor, "/desk/releases/new", {"headline": "Kontakt kaputt", "body": "Langer Text",
                                               "contact_email": "kein-at-zeichen"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "E-Mail-Adresse des Kontakts ist ungültig" in page
    assert "Langer Text" in page
