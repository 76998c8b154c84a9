"""Every desk query is scoped to the user's office: Leer cannot see or touch Lingen's work."""

from sqlalchemy import select

from pressdesk.delivery.models import Delivery
from pressdesk.extensions import db
from pressdesk.releases import services
from pressdesk.releases.models import Release
from tests.helpers import csrf_token, draft, login

LEER = "redaktion.leer@pressdesk.example"


def _lingen_release(published: bool = False) -> tuple[int, int | None]:
    release = draft("stadt-lingen", headline="Geheimer Entwurf aus Lingen")
    version_id = None
    if published:
        version_id = services.publish_release(release, None).id
        db.commit()
    return release.id, version_id


def test_leer_editor_cannot_see_lingen_drafts(app, demo):
    rid, _ = _lingen_release()
    client = app.test_client()
    login(client, LEER)
    index = client.get("/desk/").get_data(as_text=True)
    assert "Geheimer Entwurf" not in index
    assert client.get(f"/desk/releases/{rid}").status_code == 404
    assert client.get(f"/desk/releases/{rid}/edit").status_code == 404
    assert client.get(f"/desk/releases/{rid}/preview").status_code == 404


def test_leer_editor_cannot_edit_or_publish_lingen_release(app, demo):
    rid, _ = _lingen_release()
    client = app.test_client()
    login(client, LEER)
    token = csrf_token(client.get("/desk/").get_data(as_text=True))
    resp = client.post(f"/desk/releases/{rid}/edit",
                       data={"headline": "Übernommen", "csrf_token": token})
    assert resp.status_code == 404
    resp = client.post(f"/desk/releases/{rid}/publish", data={"csrf_token": token})
    assert resp.status_code == 404
    db.session.remove()
    release = db.session.get(Release, rid)
    assert release.headline == "Geheimer Entwurf aus Lingen" and release.status == "draft"


def test_leer_editor_cannot_see_lingen_deliveries(app, demo):
    _rid, vid = _lingen_release(published=True)
    delivery_id = db.session.scalar(select(Delivery.id).where(Delivery.version_id == vid))
    client = app.test_client()
    login(client, LEER)
    assert client.get(f"/desk/versions/{vid}/deliveries").status_code == 404
    assert client.get(f"/desk/versions/{vid}/progress.json").status_code == 404
    assert client.get(f"/desk/deliveries/{delivery_id}.eml").status_code == 404


def test_switching_to_an_office_without_membership_is_forbidden(app, demo):
    from pressdesk.offices.models import Office

    lingen = db.session.scalar(select(Office.id).where(Office.slug == "stadt-lingen"))
    client = app.test_client()
    login(client, LEER)
    token = csrf_token(client.get("/desk/").get_data(as_text=True))
    assert client.post("/desk/office", data={"office_id": lingen, "csrf_token": token}
                       ).status_code == 403
