"""Outlets and distribution lists in the desk: validation, roles, office scoping, audit."""

import re

from sqlalchemy import select

from pressdesk.accounts.models import Role
from pressdesk.extensions import db
from pressdesk.media import services
from pressdesk.media.models import DistributionList, Outlet
from tests.helpers import logged_in, office, token_of
from tests.media_support import audit_actions, member


def _outlet_form(token, **kw):
    data = {"csrf_token": token, "name": "Emder Zeitung", "kind": "daily",
            "email": "  Redaktion@Emder-Zeitung.EXAMPLE ", "extra_emails": "",
            "region": "Ostfriesland", "images": "links", "max_attachment_kb": "10240",
            "active": "y"}
    data.update(kw)
    return data


def _outlets(slug):
    db.session.remove()
    return db.session.scalars(select(Outlet).where(Outlet.office_id == office(slug).id)).all()


def test_admin_creates_outlet_with_normalised_addresses(app, demo):
    client = logged_in(app)
    token = token_of(client, "/desk/media/outlets/new")
    resp = client.post("/desk/media/outlets/new", data=_outlet_form(
        token, extra_emails="lokal@Emder-Zeitung.example\nfoto@emder-zeitung.example",
        images="attachments", max_attachment_kb="4096", attach_format="newsml"))
    assert resp.status_code == 302
    o = next(o for o in _outlets("landkreis-leer") if o.name == "Emder Zeitung")
    # Domain lower-cased by email-validator; the local part is kept as typed.
    assert o.email == "Redaktion@emder-zeitung.example"
    assert o.extra_list == ["lokal@emder-zeitung.example", "foto@emder-zeitung.example"]
    assert o.prefers_attachments and o.max_attachment_kb == 4096
    assert o.attach_format == "newsml"
    edit = client.get(f"/desk/media/outlets/{o.id}").get_data(as_text=True)
    assert '<option selected value="newsml">' in edit or '<option value="newsml" selected>' in edit
    refused = client.post(f"/desk/media/outlets/{o.id}", data=_outlet_form(
        token_of(client, f"/desk/media/outlets/{o.id}"), attach_format="pdf"))
    assert refused.status_code == 422 and db.session.get(type(o), o.id).attach_format == "newsml"
    assert "outlet.created" in audit_actions("landkreis-leer")
    page = client.get("/desk/media/").get_data(as_text=True)
    assert "Emder Zeitung" in page and "foto@emder-zeitung.example" in page


def test_bad_and_duplicate_addresses_are_refused_and_the_form_keeps_input(app, demo):
    client = logged_in(app)
    token = token_of(client, "/desk/media/outlets/new")
    before = len(_outlets("landkreis-leer"))
    resp = client.post("/desk/media/outlets/new", data=_outlet_form(token, email="kein-at-zeichen"))
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "Ungültige E-Mail-Adresse" in html and 'value="Emder Zeitung"' in html
    # The OZ's address, in other letter case, is already in Leer's list.
    resp = client.post("/desk/media/outlets/new", data=_outlet_form(
        token, email="REDAKTION@ostfriesen-zeitung.example"))
    assert resp.status_code == 422
    assert "schon bei „Ostfriesen-Zeitung“ eingetragen" in resp.get_data(as_text=True)
    # An extra address can't duplicate either.
    resp = client.post("/desk/media/outlets/new", data=_outlet_form(
        token, extra_emails="redaktion@general-anzeiger.example"))
    assert resp.status_code == 422
    assert len(_outlets("landkreis-leer")) == before


def test_same_address_is_fine_in_another_office(app, demo):
    leer = office("landkreis-leer")
    o = services.create_outlet(office("stadt-lingen"), None, services.OutletData(
        name="OZ", kind="daily", email="redaktion@ostfriesen-zeitung.example", extra=[]))
    db.session.commit()
    assert o.office_id != leer.id


def test_edit_and_delete_outlet(app, demo):
    client = logged_in(app)
    oz = next(o for o in _outlets("landkreis-leer") if o.name == "Ostfriesen-Zeitung")
    token = token_of(client, f"/desk/media/outlets/{oz.id}")
    resp = client.post(f"/desk/media/outlets/{oz.id}", data=_outlet_form(
        token, name="Ostfriesen-Zeitung (Leer)", email="redaktion@ostfriesen-zeitung.example",
        active=""))
    assert resp.status_code == 302
    db.session.remove()
    oz = db.session.get(Outlet, oz.id)
    assert oz.name == "Ostfriesen-Zeitung (Leer)" and oz.active is False
    assert client.post(f"/desk/media/outlets/{oz.id}/delete", data={"csrf_token": token}
                       ).status_code == 302
    db.session.remove()
    assert db.session.get(Outlet, oz.id) is None
    assert audit_actions("landkreis-leer")[-2:] == ["outlet.updated", "outlet.deleted"]


def test_publisher_may_view_but_not_change_editor_sees_nothing(app, demo):
    publisher = logged_in(app, member("landkreis-leer", Role.PUBLISHER))
    assert publisher.get("/desk/media/").status_code == 200
    assert publisher.get("/desk/media/lists").status_code == 200
    assert publisher.get("/desk/media/export.csv").status_code == 200
    assert publisher.get("/desk/media/outlets/new").status_code == 403
    assert publisher.get("/desk/media/import").status_code == 403
    token = token_of(publisher, "/desk/media/lists")
    assert publisher.post("/desk/media/lists", data={"csrf_token": token, "name": "X"}
                          ).status_code == 403
    editor = logged_in(app, "redaktion.leer@pressdesk.example")
    for path in ("/desk/media/", "/desk/media/lists", "/desk/media/export.csv"):
        assert editor.get(path).status_code == 403
    nav = editor.get("/desk/").get_data(as_text=True)
    assert "/desk/media/" not in nav


def test_another_office_cannot_see_or_touch_outlets_and_lists(app, demo):
    leer_outlet = _outlets("landkreis-leer")[0]
    leer_list = db.session.scalar(select(DistributionList).where(
        DistributionList.office_id == office("landkreis-leer").id))
    lingen_admin = logged_in(app, member("stadt-lingen", Role.ADMIN))
    page = lingen_admin.get("/desk/media/").get_data(as_text=True)
    assert "Ostfriesen-Zeitung" not in page and "Lingener Tagespost" in page
    assert lingen_admin.get(f"/desk/media/outlets/{leer_outlet.id}").status_code == 404
    token = token_of(lingen_admin, "/desk/media/lists")
    assert lingen_admin.post(f"/desk/media/outlets/{leer_outlet.id}/delete",
                             data={"csrf_token": token}).status_code == 404
    assert lingen_admin.get(f"/desk/media/lists/{leer_list.id}").status_code == 404
    assert lingen_admin.post(f"/desk/media/lists/{leer_list.id}/delete",
                             data={"csrf_token": token}).status_code == 404
    # Nor can a Lingen list take in a Leer outlet.
    lingen_list = db.session.scalar(select(DistributionList).where(
        DistributionList.office_id == office("stadt-lingen").id))
    resp = lingen_admin.post(f"/desk/media/lists/{lingen_list.id}", data={
        "csrf_token": token, "name": lingen_list.name, "outlets": [leer_outlet.id]})
    assert resp.status_code == 200 and "Unbekanntes Medium" in resp.get_data(as_text=True)
    db.session.remove()
    assert leer_outlet.id not in {o.id for o in db.session.get(DistributionList, lingen_list.id).outlets}
    assert len(_outlets("landkreis-leer")) == 9


def test_lists_create_rename_default_add_remove(app, demo):
    client = logged_in(app)
    token = token_of(client, "/desk/media/lists")
    resp = client.post("/desk/media/lists", data={"csrf_token": token, "name": "Wochenblätter"})
    assert resp.status_code == 302
    db.session.remove()
    leer = office("landkreis-leer")
    new = db.session.scalar(select(DistributionList).where(
        DistributionList.office_id == leer.id, DistributionList.name == "Wochenblätter"))
    assert new is not None and not new.is_default
    weekly = [o.id for o in _outlets("landkreis-leer") if o.kind == "weekly"]
    resp = client.post(f"/desk/media/lists/{new.id}", data={
        "csrf_token": token, "name": "Wochenblätter Leer", "is_default": "y", "outlets": weekly})
    assert resp.status_code == 302
    db.session.remove()
    lists = db.session.scalars(select(DistributionList).where(
        DistributionList.office_id == leer.id)).all()
    assert [dl.name for dl in lists if dl.is_default] == ["Wochenblätter Leer"]
    new = next(dl for dl in lists if dl.id == new.id)
    assert sorted(o.id for o in new.outlets) == sorted(weekly) and len(weekly) == 3
    # Remove one again.
    client.post(f"/desk/media/lists/{new.id}", data={
        "csrf_token": token, "name": "Wochenblätter Leer", "outlets": weekly[:2]})
    db.session.remove()
    assert len(db.session.get(DistributionList, new.id).outlets) == 2
    # A duplicate name is refused; the default list cannot be deleted.
    resp = client.post("/desk/media/lists", data={"csrf_token": token,
                                                  "name": "regionale medien"})
    assert resp.status_code == 200 and "gibt es schon" in resp.get_data(as_text=True)
    resp = client.post(f"/desk/media/lists/{new.id}/delete", data={"csrf_token": token},
                       follow_redirects=True)
    assert "Standardverteiler kann nicht gelöscht" in resp.get_data(as_text=True)
    assert db.session.get(DistributionList, new.id) is not None
    assert audit_actions("landkreis-leer").count("list.updated") == 2


def test_recipients_include_extra_addresses_of_active_outlets(app, demo):
    leer = office("landkreis-leer")
    o = services.create_outlet(leer, None, services.OutletData(
        name="Emder Zeitung", kind="daily", email="a@emder.example",
        extra=["b@emder.example"]))
    services.create_outlet(leer, None, services.OutletData(
        name="Ruhend", kind="daily", email="r@emder.example", extra=[], active=False))
    dl = services.create_list(leer, None, "Emden")
    services.update_list(leer, None, dl, "Emden", [o.id] + [
        x.id for x in _outlets_in_session(leer) if x.name == "Ruhend"], False)
    db.session.commit()
    got = services.recipients(leer, [dl.id])
    assert [(r.email, r.outlet_id) for r in got] == [("a@emder.example", o.id),
                                                      ("b@emder.example", o.id)]


def _outlets_in_session(office_):
    return db.session.scalars(select(Outlet).where(Outlet.office_id == office_.id)).all()


def test_a_concurrent_duplicate_caught_by_the_database_gets_a_clear_message(app, demo,
                                                                            monkeypatch):
    # As if another admin saved the same address between our check and our commit.
    monkeypatch.setattr(services, "office_addresses", lambda office, exclude_outlet_id=None: {})
    client = logged_in(app)
    token = token_of(client, "/desk/media/outlets/new")
    before = len(_outlets("landkreis-leer"))
    resp = client.post("/desk/media/outlets/new", data=_outlet_form(
        token, email="redaktion@ostfriesen-zeitung.example"))
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "gerade von jemand anderem eingetragen" in html and 'value="Emder Zeitung"' in html
    assert len(_outlets("landkreis-leer")) == before


def test_the_lists_page_counts_in_the_database_without_loading_outlets(app, demo):
    """The lists page shows each list's outlets and active outlets; it counts them in the
    database: a national list holds 100,000 outlets, and loading them to count them took
    seconds per page."""
    from sqlalchemy import event

    leer = office("landkreis-leer")
    default = db.session.scalar(select(DistributionList).where(
        DistributionList.office_id == leer.id, DistributionList.is_default.is_(True)))
    assert default is not None
    total = len(default.outlets)
    assert total >= 2
    default.outlets[0].active = False
    db.session.commit()
    name = default.name
    db.session.remove()

    loaded: list[int] = []

    def on_load(target, _context):  # type: ignore[no-untyped-def]
        loaded.append(target.id)

    event.listen(Outlet, "load", on_load)
    try:
        html = logged_in(app).get("/desk/media/lists").get_data(as_text=True)
    finally:
        event.remove(Outlet, "load", on_load)
    row = re.search(rf">{re.escape(name)}</a></td>\s*<td>(\d+)</td>\s*<td>(\d+)</td>", html)
    assert row is not None, html
    assert (int(row[1]), int(row[2])) == (total, total - 1)
    assert loaded == []


def test_the_outlets_page_names_the_lists_each_outlet_is_on(app, demo):
    leer = office("landkreis-leer")
    default = db.session.scalar(select(DistributionList).where(
        DistributionList.office_id == leer.id, DistributionList.is_default.is_(True)))
    assert default is not None
    on_list = {o.name for o in default.outlets}
    resp = logged_in(app).get("/desk/media/")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    rows = {m[1]: m[2] for m in re.finditer(
        r'<tr class="[^"]*">\s*<td>(?:<a [^>]*>)?([^<]+).*?<td class="small">([^<]*)</td>',
        html, re.S)}
    assert on_list and all(default.name in rows[name] for name in on_list), rows
    assert all(default.name not in lists for name, lists in rows.items() if name not in on_list)
