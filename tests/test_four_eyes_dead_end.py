"""4-eyes without a dead end: the desk says who may approve, an admin of the office approves
what the only publisher wrote (never the writer), and a short-handed office is warned."""

from pressdesk.accounts.models import Membership
from pressdesk.accounts.services import find_user
from pressdesk.extensions import db
from pressdesk.releases import services
from tests.desk_helpers import four_eyes
from tests.helpers import ADMIN, PUBLISHER, draft, logged_in, office, post


def _publisher_writes() -> int:
    release = services.create_release(office("landkreis-leer"), find_user(PUBLISHER), {
        "headline": "Kreishaus am Freitag geschlossen", "lead": "Wegen einer Betriebsversammlung.",
        "body": "Ab Montag wieder geöffnet.", "dateline_place": "Leer"})
    release.status = "in_review"
    db.session.commit()
    return release.id


def test_the_release_page_names_who_may_approve_and_the_writer_is_not_one(app, demo):
    four_eyes(True)
    rid = _publisher_writes()
    page = logged_in(app, PUBLISHER).get(f"/desk/releases/{rid}").get_data(as_text=True)
    assert 'id="approve-button"' not in page
    assert "Freigeben können: Demo-Administration" in page
    assert "Gerd Oltmanns" not in page.split('id="approvers"')[1].split("</p>")[0]


def test_an_admin_of_the_office_approves_what_the_only_publisher_wrote(app, demo):
    four_eyes(True)
    rid = _publisher_writes()
    admin = logged_in(app, ADMIN, "landkreis-leer")
    assert 'id="approve-button"' in admin.get(f"/desk/releases/{rid}").get_data(as_text=True)
    resp = post(admin, f"/desk/releases/{rid}/approve", page=f"/desk/releases/{rid}")
    assert resp.status_code == 302
    db.session.remove()
    assert services.office_release(office("landkreis-leer"), rid).status == "approved"


def test_the_writer_still_cannot_approve(app, demo):
    four_eyes(True)
    rid = _publisher_writes()
    publisher = logged_in(app, PUBLISHER)
    resp = post(publisher, f"/desk/releases/{rid}/approve", page=f"/desk/releases/{rid}")
    assert resp.status_code == 403


def _set_membership(email: str, **values: object) -> None:
    db.session.execute(
        Membership.__table__.update()
        .where(Membership.user_id == find_user(email).id,
               Membership.office_id == office("landkreis-leer").id)
        .values(**values))
    db.session.commit()


def _only_one_approver() -> None:
    _set_membership(ADMIN, role="editor")


def test_settings_and_release_page_warn_when_fewer_than_two_may_approve(app, demo):
    four_eyes(True)
    rid = draft().id
    db.session.commit()
    admin = logged_in(app, ADMIN, "landkreis-leer")
    assert 'id="four-eyes-short"' not in admin.get("/desk/settings/").get_data(as_text=True)
    assert 'id="four-eyes-short"' not in admin.get(f"/desk/releases/{rid}").get_data(as_text=True)
    _set_membership(PUBLISHER, active=False)  # the publisher left: the admin alone approves
    settings_page = admin.get("/desk/settings/").get_data(as_text=True)
    assert 'id="four-eyes-short"' in settings_page
    assert "Weniger als zwei Personen dürfen hier freigeben (Demo-Administration)" in settings_page
    assert 'id="four-eyes-short"' in admin.get(f"/desk/releases/{rid}").get_data(as_text=True)


def test_nobody_left_to_approve_is_said_on_the_release_page(app, demo):
    four_eyes(True)
    rid = _publisher_writes()
    _only_one_approver()
    page = logged_in(app, PUBLISHER).get(f"/desk/releases/{rid}").get_data(as_text=True)
    assert 'id="four-eyes-short"' in page
    assert "Niemand kann diese Mitteilung freigeben" in page


def test_no_warning_without_four_eyes(app, demo):
    four_eyes(False)
    _only_one_approver()
    rid = _publisher_writes()
    page = logged_in(app, PUBLISHER).get(f"/desk/releases/{rid}").get_data(as_text=True)
    assert 'id="four-eyes-short"' not in page
    assert "Freigeben können: Gerd Oltmanns" in page
