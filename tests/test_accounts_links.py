"""Password links ("Passwort vergessen", invitations) and the second factor (TOTP)."""

from __future__ import annotations

import email
import re
import time
from email import policy

import pyotp
import pytest
from sqlalchemy import select

from pressdesk.accounts.models import User
from pressdesk.accounts.services import find_user
from pressdesk.delivery.models import Delivery
from pressdesk.extensions import db
from tests.helpers import EDITOR, PASSWORD, csrf_token, logged_in, login, office, token_of
from tests.media_support import audit_actions

NEW_PASSWORD = "Krokus-Deich-Lotsenboot-7"


def _service_mails(to: str) -> list[str]:
    """The text of every service mail queued for ``to``, oldest first."""
    db.session.remove()
    rows = db.session.scalars(select(Delivery).where(Delivery.kind == "service",
                                                     Delivery.email == to)
                              .order_by(Delivery.id)).all()
    return [email.message_from_bytes(r.payload, policy=policy.default).get_body(("plain",))
            .get_content() for r in rows]


def _link(text: str, path: str) -> str:
    match = re.search(r"http://[^\s]+" + re.escape(path) + r"[^\s]+", text)
    assert match, text
    return match.group(0).split("127.0.0.1", 1)[1].split(":", 1)[1].split("/", 1)[1]


def _path(text: str, path: str) -> str:
    return "/" + _link(text, path)


def _forgot(client, address: str, remote: str = "127.0.0.1"):  # type: ignore[no-untyped-def]
    page = client.get("/passwort-vergessen", environ_base={"REMOTE_ADDR": remote})
    return client.post("/passwort-vergessen", environ_base={"REMOTE_ADDR": remote}, data={
        "email": address, "csrf_token": csrf_token(page.get_data(as_text=True))})


def _set(client, path: str, new: str = NEW_PASSWORD, repeat: str | None = None):  # type: ignore[no-untyped-def]
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    return client.post(path, data={"new": new, "repeat": new if repeat is None else repeat,
                                   "csrf_token": csrf_token(page.get_data(as_text=True))})


def test_the_login_page_offers_a_way_back_in(app, demo):
    html = app.test_client().get("/login").get_data(as_text=True)
    assert 'href="/passwort-vergessen"' in html


def test_forgotten_password_link_works_once(app, demo):
    client = app.test_client()
    resp = _forgot(client, EDITOR)
    assert resp.status_code == 302
    assert "Link zum Festlegen" in client.get("/login").get_data(as_text=True)
    [mail] = _service_mails(EDITOR)
    assert "gilt 60 Minuten und nur einmal" in mail
    path = _path(mail, "/passwort/neu/")
    weak = _set(client, path, "aaaaaaaaaaaa")
    assert weak.status_code == 422 and "zu leicht zu erraten" in weak.get_data(as_text=True)
    assert login(app.test_client(), EDITOR).status_code == 302  # the old one still works
    assert _set(client, path).status_code == 302
    assert login(app.test_client(), EDITOR).status_code == 401
    assert login(app.test_client(), EDITOR, NEW_PASSWORD).status_code == 302
    used = client.get(path)
    assert used.status_code == 404 and "schon benutzt" in used.get_data(as_text=True)
    assert "account.password_reset" in audit_actions("landkreis-leer")


def test_setting_a_password_by_link_ends_every_session(app, demo):
    elsewhere = app.test_client()
    assert login(elsewhere, EDITOR).status_code == 302
    _forgot(app.test_client(), EDITOR)
    [mail] = _service_mails(EDITOR)
    assert _set(app.test_client(), _path(mail, "/passwort/neu/")).status_code == 302
    assert elsewhere.get("/desk/").status_code == 302


def test_an_expired_link_says_so(app, demo, monkeypatch):
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() - 3700)
    _forgot(app.test_client(), EDITOR)
    monkeypatch.setattr(time, "time", real)
    [mail] = _service_mails(EDITOR)
    resp = app.test_client().get(_path(mail, "/passwort/neu/"))
    assert resp.status_code == 410 and "abgelaufen" in resp.get_data(as_text=True)


def test_a_forged_link_is_refused(app, demo):
    assert app.test_client().get("/passwort/neu/abc.def.ghi").status_code == 404
    # an invitation token is no reset token
    from pressdesk import tokens
    from pressdesk.accounts.services import password_link_token

    token = password_link_token(tokens.ACCOUNT_INVITE, find_user(EDITOR))
    assert app.test_client().get(f"/passwort/neu/{token}").status_code == 404


def test_unknown_addresses_get_the_same_answer_and_no_mail(app, demo):
    resp = _forgot(app.test_client(), "niemand@example.org")
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"
    assert _service_mails("niemand@example.org") == []


def test_reset_requests_are_throttled_without_locking_the_owner_out(app, demo):
    for _ in range(3):
        assert _forgot(app.test_client(), EDITOR, "203.0.113.9").status_code == 302
    assert _forgot(app.test_client(), EDITOR, "203.0.113.9").status_code == 429
    assert len(_service_mails(EDITOR)) == 3
    # The owner, from their own client, still gets a link.
    assert _forgot(app.test_client(), EDITOR, "198.51.100.4").status_code == 302
    assert len(_service_mails(EDITOR)) == 4


def _invite(client, address: str = "neu.person@landkreis-leer.example"):  # type: ignore[no-untyped-def]
    return client.post("/desk/members/", data={
        "csrf_token": token_of(client, "/desk/members/"), "email": address,
        "name": "Jörg Müller", "role": "editor", "password": ""})


def test_a_new_member_is_invited_and_chooses_a_password(app, demo):
    admin = logged_in(app)
    resp = _invite(admin)
    assert resp.status_code == 302
    members_page = admin.get("/desk/members/").get_data(as_text=True)
    assert "eingeladen" in members_page and "Einladung erneut senden" in members_page
    address = "neu.person@landkreis-leer.example"
    [mail] = _service_mails(address)
    assert "Demo-Administration hat Sie in den Desk der Pressestelle Landkreis Leer" in mail
    assert "7 Tage" in mail
    assert login(app.test_client(), address, "").status_code != 302
    path = _path(mail, "/einladung/")
    page = app.test_client().get(path).get_data(as_text=True)
    assert "Willkommen, Jörg Müller" in page
    assert _set(app.test_client(), path).status_code == 302
    assert login(app.test_client(), address, NEW_PASSWORD).status_code == 302
    assert app.test_client().get(path).status_code == 404  # once
    actions = audit_actions("landkreis-leer")
    assert {"member.created", "member.invited", "account.invitation_accepted"} <= set(actions)
    assert "eingeladen" not in admin.get("/desk/members/").get_data(as_text=True)


def test_an_invitation_can_be_sent_again_and_the_old_link_still_works_until_used(app, demo):
    admin = logged_in(app)
    _invite(admin)
    address = "neu.person@landkreis-leer.example"
    user = find_user(address)
    membership = next(m for m in user.memberships)
    resp = admin.post(f"/desk/members/{membership.id}/invite",
                      data={"csrf_token": token_of(admin, "/desk/members/")})
    assert resp.status_code == 302
    first, second = _service_mails(address)
    assert _set(app.test_client(), _path(second, "/einladung/")).status_code == 302
    assert app.test_client().get(_path(first, "/einladung/")).status_code == 404


def test_an_invited_account_cannot_log_in_before_choosing_a_password(app, demo):
    admin = logged_in(app)
    _invite(admin)
    user = db.session.scalar(select(User).where(User.email == "neu.person@landkreis-leer.example"))
    assert not user.has_password
    for guess in (user.password_hash, "", "!invited-"):
        assert login(app.test_client(), user.email, guess or "x").status_code == 401


# --- second factor -----------------------------------------------------------------------------


def _enable_totp(client) -> str:  # type: ignore[no-untyped-def]
    page = client.get("/desk/account/zweiter-faktor")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<svg" in html and "QR-Code für die Authenticator-App" in html
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', html).group(1)
    wrong = client.post("/desk/account/zweiter-faktor", data={
        "code": "000000", "csrf_token": csrf_token(html)})
    if pyotp.TOTP(secret).now() != "000000":
        assert wrong.status_code == 422 and "Code stimmt nicht" in wrong.get_data(as_text=True)
    # The secret stays the same across a failed attempt (the person scanned it already).
    html = client.get("/desk/account/zweiter-faktor").get_data(as_text=True) \
        if wrong.status_code != 422 else wrong.get_data(as_text=True)
    assert secret in html
    resp = client.post("/desk/account/zweiter-faktor", data={
        "code": pyotp.TOTP(secret).at(time.time() - 30), "csrf_token": csrf_token(html)})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return secret


def _login_with_code(app, address: str, code: str, remote: str = "127.0.0.1"):  # type: ignore[no-untyped-def]
    client = app.test_client()
    page = client.get("/login", environ_base={"REMOTE_ADDR": remote})
    first = client.post("/login", environ_base={"REMOTE_ADDR": remote}, data={
        "email": address, "password": PASSWORD,
        "csrf_token": csrf_token(page.get_data(as_text=True))})
    assert first.status_code == 302 and first.headers["Location"] == "/login/code"
    assert client.get("/desk/").status_code == 302  # not logged in yet
    page = client.get("/login/code", environ_base={"REMOTE_ADDR": remote})
    resp = client.post("/login/code", environ_base={"REMOTE_ADDR": remote}, data={
        "code": code, "csrf_token": csrf_token(page.get_data(as_text=True))})
    return client, resp


def test_a_second_factor_is_asked_after_the_password(app, demo):
    client = logged_in(app, EDITOR)
    secret = _enable_totp(client)
    assert "eingerichtet" in client.get("/desk/account/").get_data(as_text=True)
    totp = pyotp.TOTP(secret)
    _c, wrong = _login_with_code(app, EDITOR, "123456" if totp.now() != "123456" else "654321")
    assert wrong.status_code == 401 and "Code stimmt nicht" in wrong.get_data(as_text=True)
    code = totp.now()
    ok_client, ok = _login_with_code(app, EDITOR, code)
    assert ok.status_code == 302 and ok.headers["Location"] == "/desk/"
    assert ok_client.get("/desk/").status_code == 200
    _c, replay = _login_with_code(app, EDITOR, code)
    assert replay.status_code == 401  # a code works once
    assert "account.two_factor_on" in audit_actions("landkreis-leer")


def test_the_code_step_does_not_wait_forever(app, demo, monkeypatch):
    client = logged_in(app, EDITOR)
    secret = _enable_totp(client)
    c = app.test_client()
    page = c.get("/login")
    c.post("/login", data={"email": EDITOR, "password": PASSWORD,
                           "csrf_token": csrf_token(page.get_data(as_text=True))})
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 301)
    resp = c.get("/login/code")
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"
    monkeypatch.setattr(time, "time", real)
    assert pyotp.TOTP(secret).now()


def test_wrong_codes_cannot_lock_the_owner_out(app, demo):
    client = logged_in(app, EDITOR)
    secret = _enable_totp(client)
    totp = pyotp.TOTP(secret)
    bad = "111111" if totp.now() != "111111" else "222222"
    for _ in range(5):
        _c, resp = _login_with_code(app, EDITOR, bad, "203.0.113.9")
        assert resp.status_code == 401
    _c, blocked = _login_with_code(app, EDITOR, totp.now(), "203.0.113.9")
    assert blocked.status_code == 429  # the stranger's client, even with the right code
    owner, resp = _login_with_code(app, EDITOR, totp.now(), "198.51.100.4")
    assert resp.status_code == 302 and owner.get("/desk/").status_code == 200


def test_an_office_can_require_a_second_factor(app, demo):
    admin = logged_in(app)
    html = admin.get("/desk/settings/").get_data(as_text=True)
    assert 'name="require_two_factor"' in html
    o = office("landkreis-leer")
    o.require_two_factor = True
    db.session.commit()
    editor = logged_in(app, EDITOR)
    resp = editor.get("/desk/")
    assert resp.status_code == 302 and resp.headers["Location"] == "/desk/account/zweiter-faktor"
    assert editor.get("/").status_code == 200  # the portal stays readable
    assert editor.get("/desk/account/password").status_code == 200
    _enable_totp(editor)
    assert editor.get("/desk/").status_code == 200
    off = editor.post("/desk/account/zweiter-faktor/aus",
                      data={"csrf_token": token_of(editor, "/desk/account/")})
    assert off.status_code == 302
    assert find_user(EDITOR).has_totp  # required: it stays on


def test_an_admin_resets_a_lost_second_factor(app, demo):
    editor = logged_in(app, EDITOR)
    _enable_totp(editor)
    admin = logged_in(app)
    page = admin.get("/desk/members/").get_data(as_text=True)
    assert "Zweiten Faktor zurücksetzen" in page
    user = find_user(EDITOR)
    membership = next(m for m in user.memberships if m.office_id == office("landkreis-leer").id)
    resp = admin.post(f"/desk/members/{membership.id}/two-factor/reset",
                      data={"csrf_token": token_of(admin, "/desk/members/")})
    assert resp.status_code == 302
    assert not find_user(EDITOR).has_totp
    assert editor.get("/desk/").status_code == 302  # logged out everywhere
    assert login(app.test_client(), EDITOR).headers["Location"] == "/desk/"
    assert "member.two_factor_reset" in audit_actions("landkreis-leer")


def test_switching_the_second_factor_off_needs_the_form(app, demo):
    editor = logged_in(app, EDITOR)
    _enable_totp(editor)
    assert editor.post("/desk/account/zweiter-faktor/aus").status_code == 400
    resp = editor.post("/desk/account/zweiter-faktor/aus",
                       data={"csrf_token": token_of(editor, "/desk/account/")})
    assert resp.status_code == 302 and not find_user(EDITOR).has_totp


@pytest.mark.parametrize("field", ["notify_submitted", "notify_published"])
def test_notifications_are_switched_on_the_own_account_page(app, demo, field):
    editor = logged_in(app, EDITOR)
    data = {f: "y" for f in ("notify_submitted", "notify_returned", "notify_approved",
                             "notify_published") if f != field}
    resp = editor.post("/desk/account/", data={"csrf_token": token_of(editor, "/desk/account/"),
                                               **data})
    assert resp.status_code == 302
    user = find_user(EDITOR)
    assert getattr(user, field) is False
    assert all(getattr(user, f) for f in data)
