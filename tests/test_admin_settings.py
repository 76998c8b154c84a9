"""Office settings and the topic/region vocabularies: admins only, scoped, audited."""

from sqlalchemy import select

from pressdesk.accounts.models import Role
from pressdesk.extensions import db
from pressdesk.offices.models import Office
from pressdesk.releases.models import Region, Topic
from tests.helpers import logged_in, office, token_of
from tests.media_support import audit_actions, member

FIELDS = {"sender_name": "Pressestelle Landkreis Leer", "contact_name": "Dieter Bäumer",
          "contact_phone": "0491 926-1100", "contact_email": "Presse@Landkreis-Leer.example",
          "default_place": "Leer (Ostfriesland)", "description": "Neue Beschreibung.",
          "imprint": "Landkreis Leer\nBergmannstraße 37\n26789 Leer", "require_four_eyes": "y"}


def _office(slug):
    db.session.remove()
    return db.session.scalar(select(Office).where(Office.slug == slug))


def test_admin_saves_settings_and_the_change_is_logged(app, demo):
    client = logged_in(app)
    token = token_of(client, "/desk/settings/")
    resp = client.post("/desk/settings/", data={"csrf_token": token, **FIELDS})
    assert resp.status_code == 302
    o = _office("landkreis-leer")
    assert o.contact_name == "Dieter Bäumer" and o.default_place == "Leer (Ostfriesland)"
    assert o.contact_email == "Presse@landkreis-leer.example"  # normalised domain
    assert o.imprint.count("\n") == 2  # multi-line text stays multi-line
    assert o.require_four_eyes is True
    # The photo checkbox was not ticked in this post: the office now keeps GPS and serials.
    assert o.strip_photo_locations is False
    assert audit_actions("landkreis-leer")[-1] == "office.settings"
    page = client.get("/desk/settings/").get_data(as_text=True)
    assert 'value="Dieter Bäumer"' in page


def test_header_fields_refuse_line_breaks_and_keep_the_input(app, demo):
    client = logged_in(app)
    token = token_of(client, "/desk/settings/")
    resp = client.post("/desk/settings/", data={
        "csrf_token": token, **FIELDS, "sender_name": "Presse\r\nBcc: alle@example.org"})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "Zeilenumbrüche sind in „Absendername“ nicht erlaubt." in html
    assert "Dieter Bäumer" in html  # the rest of the input is not lost
    assert _office("landkreis-leer").sender_name == "Pressestelle Landkreis Leer"
    resp = client.post("/desk/settings/", data={"csrf_token": token, **FIELDS,
                                                "contact_email": "keine-adresse"})
    assert resp.status_code == 422
    assert _office("landkreis-leer").contact_name == "Pressestelle Landkreis Leer"


def test_topics_and_regions_crud(app, demo):
    client = logged_in(app)
    token = token_of(client, "/desk/settings/")
    for name in ("Wirtschaft", "Straßenbau & Verkehr"):
        assert client.post("/desk/settings/topic/new", data={"csrf_token": token, "name": name}
                           ).status_code == 302
    client.post("/desk/settings/region/new", data={"csrf_token": token, "name": "Rheiderland"})
    leer = office("landkreis-leer")
    topics = db.session.scalars(select(Topic).where(Topic.office_id == leer.id)
                                .order_by(Topic.name)).all()
    assert [(t.name, t.slug) for t in topics] == [("Straßenbau & Verkehr", "strassenbau-verkehr"),
                                                  ("Wirtschaft", "wirtschaft")]
    verkehr = topics[0].id
    resp = client.post("/desk/settings/topic/new", data={"csrf_token": token, "name": "wirtschaft"},
                       follow_redirects=True)
    assert "„wirtschaft“ gibt es schon." in resp.get_data(as_text=True)
    client.post(f"/desk/settings/topic/{verkehr}", data={"csrf_token": token, "name": "Verkehr"})
    db.session.remove()
    renamed = db.session.get(Topic, verkehr)
    assert renamed.name == "Verkehr" and renamed.slug == "strassenbau-verkehr"
    client.post(f"/desk/settings/topic/{verkehr}/delete", data={"csrf_token": token})
    db.session.remove()
    assert db.session.get(Topic, verkehr) is None
    assert db.session.scalar(select(Region.name).where(
        Region.office_id == office("landkreis-leer").id)) == "Rheiderland"
    assert audit_actions("landkreis-leer")[-5:] == ["topic.created", "topic.created",
                                                   "region.created", "topic.renamed",
                                                   "topic.deleted"]
    page = client.get("/desk/settings/").get_data(as_text=True)
    assert "Rheiderland" in page and "Wirtschaft" in page


def test_settings_are_admin_only_and_scoped(app, demo):
    leer = office("landkreis-leer")
    topic = Topic(office_id=leer.id, slug="kultur", name="Kultur")
    db.session.add(topic)
    db.session.commit()
    publisher = logged_in(app, member("landkreis-leer", Role.PUBLISHER))
    assert publisher.get("/desk/settings/").status_code == 403
    lingen = logged_in(app, member("stadt-lingen", Role.ADMIN))
    page = lingen.get("/desk/settings/").get_data(as_text=True)
    assert "Stadt Lingen" in page and "Kultur" not in page
    token = token_of(lingen, "/desk/settings/")
    assert lingen.post(f"/desk/settings/topic/{topic.id}", data={
        "csrf_token": token, "name": "Gekapert"}).status_code == 404
    assert lingen.post(f"/desk/settings/topic/{topic.id}/delete",
                       data={"csrf_token": token}).status_code == 404
    assert lingen.post("/desk/settings/unknown/new", data={"csrf_token": token,
                                                          "name": "X"}).status_code == 404
    db.session.remove()
    assert db.session.get(Topic, topic.id).name == "Kultur"


def test_sender_name_cannot_impersonate_an_address(app, demo):
    client = logged_in(app)
    token = token_of(client, "/desk/settings/")
    for evil in ("Landrat <landrat@evil.example>", "landrat@evil.example", "Landrat <x"):
        resp = client.post("/desk/settings/", data={"csrf_token": token, **FIELDS,
                                                    "sender_name": evil})
        assert resp.status_code == 422, evil
        assert "keine Adresse" in resp.get_data(as_text=True)
        assert _office("landkreis-leer").sender_name == "Pressestelle Landkreis Leer"
