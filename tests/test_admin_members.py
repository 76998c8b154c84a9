"""Users and roles: office admins add, promote, deactivate; never the last admin."""

from sqlalchemy import select

from pressdesk.accounts import members
from pressdesk.accounts.models import Membership, Role, User
from pressdesk.accounts.services import find_user
from pressdesk.extensions import db
from tests.helpers import PASSWORD, logged_in, login, office, token_of
from tests.media_support import audit_actions, member


def _membership(email, slug):
    db.session.remove()
    return db.session.scalar(select(Membership).join(User).where(
        User.email == email, Membership.office_id == office(slug).id))


def test_admin_creates_a_new_user_who_can_log_in(app, demo):
    client = logged_in(app)
    token = token_of(client, "/desk/members/")
    resp = client.post("/desk/members/", data={
        "csrf_token": token, "email": "Neu.Person@Landkreis-Leer.example", "name": "Jörg Müller",
        "role": "publisher", "password": "ein-langes-passwort"})
    assert resp.status_code == 302
    m = _membership("neu.person@landkreis-leer.example", "landkreis-leer")
    assert m.role == "publisher" and m.user.name == "Jörg Müller"
    assert audit_actions("landkreis-leer")[-1] == "member.created"
    fresh = app.test_client()
    assert login(fresh, "neu.person@landkreis-leer.example", "ein-langes-passwort").status_code == 302
    assert fresh.get("/desk/media/").status_code == 200  # publishers may view the media


def test_new_user_needs_name_and_a_long_password(app, demo):
    client = logged_in(app)
    token = token_of(client, "/desk/members/")
    resp = client.post("/desk/members/", data={"csrf_token": token, "email": "kurz@example.org",
                                               "name": "Kurz", "role": "editor",
                                               "password": "kurz"})
    assert resp.status_code == 422 and "mindestens 12 Zeichen" in resp.get_data(as_text=True)
    resp = client.post("/desk/members/", data={"csrf_token": token, "email": "kaputt@",
                                               "name": "X", "role": "editor",
                                               "password": "x" * 20})
    assert resp.status_code == 422 and "Ungültige E-Mail-Adresse" in resp.get_data(as_text=True)
    assert find_user("kurz@example.org") is None


def test_existing_user_of_another_office_is_added_without_password(app, demo):
    client = logged_in(app)
    token = token_of(client, "/desk/members/")
    resp = client.post("/desk/members/", data={
        "csrf_token": token, "email": "redaktion.lingen@pressdesk.example", "role": "editor"})
    assert resp.status_code == 302
    assert _membership("redaktion.lingen@pressdesk.example", "landkreis-leer").role == "editor"
    assert _membership("redaktion.lingen@pressdesk.example", "stadt-lingen") is not None
    resp = client.post("/desk/members/", data={
        "csrf_token": token, "email": "redaktion.lingen@pressdesk.example", "role": "editor"})
    assert resp.status_code == 422 and "gehört schon" in resp.get_data(as_text=True)


def test_change_role_and_deactivate(app, demo):
    client = logged_in(app)
    m = _membership("redaktion.leer@pressdesk.example", "landkreis-leer")
    token = token_of(client, "/desk/members/")
    assert client.post(f"/desk/members/{m.id}/role", data={"csrf_token": token,
                                                           "role": "publisher"}).status_code == 302
    assert _membership("redaktion.leer@pressdesk.example", "landkreis-leer").role == "publisher"
    editor = logged_in(app, "redaktion.leer@pressdesk.example")
    assert editor.get("/desk/").status_code == 200
    assert client.post(f"/desk/members/{m.id}/deactivate",
                       data={"csrf_token": token}).status_code == 302
    assert _membership("redaktion.leer@pressdesk.example", "landkreis-leer").active is False
    # The running session ends at once (no office is left); a new login gets no desk either.
    assert editor.get("/desk/").status_code == 302
    again = logged_in(app, "redaktion.leer@pressdesk.example")
    assert again.get("/desk/").status_code == 403
    assert again.get("/").status_code == 200  # the public portal still works for them
    assert client.post(f"/desk/members/{m.id}/activate",
                       data={"csrf_token": token}).status_code == 302
    assert again.get("/desk/").status_code == 200
    assert audit_actions("landkreis-leer")[-3:] == ["member.role", "member.deactivated",
                                                   "member.activated"]


def test_the_last_admin_cannot_be_demoted_or_deactivated(app, demo):
    admin_m = _membership("admin@pressdesk.example", "landkreis-leer")
    client = logged_in(app)
    token = token_of(client, "/desk/members/")
    resp = client.post(f"/desk/members/{admin_m.id}/role",
                       data={"csrf_token": token, "role": "editor"}, follow_redirects=True)
    assert "einzige Administration" in resp.get_data(as_text=True)
    resp = client.post(f"/desk/members/{admin_m.id}/deactivate", data={"csrf_token": token},
                       follow_redirects=True)
    assert "einzige Administration" in resp.get_data(as_text=True)
    m = _membership("admin@pressdesk.example", "landkreis-leer")
    assert m.role == "admin" and m.active
    # With a second admin, the first may step down.
    second = member("landkreis-leer", Role.ADMIN)
    assert client.post(f"/desk/members/{admin_m.id}/role",
                       data={"csrf_token": token, "role": "publisher"}).status_code == 302
    assert _membership("admin@pressdesk.example", "landkreis-leer").role == "publisher"
    other = _membership(second, "landkreis-leer")
    try:
        members.set_active(office("landkreis-leer"), None, other, False)
    except members.MemberError as exc:
        assert "einzige Administration" in str(exc)
    else:
        raise AssertionError("last admin deactivated")


def test_members_are_scoped_to_the_office(app, demo):
    leer_editor = _membership("redaktion.leer@pressdesk.example", "landkreis-leer")
    lingen_admin = logged_in(app, member("stadt-lingen", Role.ADMIN, "chef@lingen.example"))
    page = lingen_admin.get("/desk/members/").get_data(as_text=True)
    assert "redaktion.leer@pressdesk.example" not in page and "chef@lingen.example" in page
    token = token_of(lingen_admin, "/desk/members/")
    assert lingen_admin.post(f"/desk/members/{leer_editor.id}/role",
                             data={"csrf_token": token, "role": "admin"}).status_code == 404
    assert lingen_admin.post(f"/desk/members/{leer_editor.id}/deactivate",
                             data={"csrf_token": token}).status_code == 404
    m = _membership("redaktion.leer@pressdesk.example", "landkreis-leer")
    assert m.role == "editor" and m.active


def test_only_admins_manage_members(app, demo):
    editor = logged_in(app, "redaktion.leer@pressdesk.example")
    assert editor.get("/desk/members/").status_code == 403
    publisher = logged_in(app, member("landkreis-leer", Role.PUBLISHER))
    assert publisher.get("/desk/members/").status_code == 403
    token = token_of(publisher, "/desk/")
    m = _membership("redaktion.leer@pressdesk.example", "landkreis-leer")
    assert publisher.post(f"/desk/members/{m.id}/role",
                          data={"csrf_token": token, "role": "admin"}).status_code == 403
    assert PASSWORD  # the demo password logs in everyone above


def test_new_user_with_a_common_password_is_refused(app, demo):
    client = logged_in(app)
    token = token_of(client, "/desk/members/")
    for weak in ("aaaaaaaaaaaa", "passwort1234", "landkreisleer1"):
        resp = client.post("/desk/members/", data={"csrf_token": token, "email": "neu@example.org",
                                                   "name": "Neu", "role": "editor",
                                                   "password": weak})
        assert resp.status_code == 422 and "zu leicht zu erraten" in resp.get_data(as_text=True)
    assert find_user("neu@example.org") is None


def test_deactivating_the_last_office_ends_the_running_sessions(app, demo):
    admin = logged_in(app)
    m = _membership("redaktion.leer@pressdesk.example", "landkreis-leer")
    editor = logged_in(app, "redaktion.leer@pressdesk.example")
    assert editor.get("/desk/").status_code == 200
    assert admin.post(f"/desk/members/{m.id}/deactivate",
                      data={"csrf_token": token_of(admin, "/desk/members/")}).status_code == 302
    resp = editor.get("/desk/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_pages_with_several_forms_have_unique_ids(app, demo):
    import re

    client = logged_in(app)
    outlet_page = client.get("/desk/media/").get_data(as_text=True)
    first_outlet = re.search(r'href="(/desk/media/outlets/\d+)"', outlet_page)
    first_list = re.search(r'href="(/desk/media/lists/\d+)"',
                           client.get("/desk/media/lists").get_data(as_text=True))
    assert first_outlet and first_list
    for path in ("/desk/members/", "/desk/settings/", first_outlet.group(1), first_list.group(1)):
        html = client.get(path).get_data(as_text=True)
        ids = re.findall(r'\bid="([^"]+)"', html)
        assert 'name="csrf_token"' in html, path
        assert len(ids) == len(set(ids)), (path, sorted(i for i in ids if ids.count(i) > 1))


def test_field_errors_are_tied_to_their_field(app, demo):
    import re

    client = logged_in(app)
    resp = client.post("/desk/members/", data={"csrf_token": token_of(client, "/desk/members/"),
                                               "email": "", "name": "X", "role": "editor"})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    field = re.search(r'<input[^>]*name="email"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in field
    described = re.search(r'aria-describedby="([^"]+)"', field).group(1)
    assert re.search(rf'<p class="field-error" id="{described}">[^<]+</p>', html)
