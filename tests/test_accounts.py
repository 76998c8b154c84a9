"""Login, throttle, CSRF, security headers, login required by default."""

from sqlalchemy import select

from pressdesk.accounts.models import User
from pressdesk.extensions import db
from tests.helpers import csrf_token, login

LEER = "redaktion.leer@pressdesk.example"


def test_desk_requires_login(app, demo):
    client = app.test_client()
    resp = client.get("/desk/")
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"]


def test_login_and_logout(app, demo):
    client = app.test_client()
    resp = login(client, LEER)
    assert resp.status_code == 302
    page = client.get("/desk/")
    assert page.status_code == 200
    assert "Landkreis Leer" in page.get_data(as_text=True)
    token = csrf_token(page.get_data(as_text=True))
    out = client.post("/logout", data={"csrf_token": token})
    assert out.status_code == 302, out.get_data(as_text=True)
    assert client.get("/desk/").status_code == 302


def test_password_is_argon2(app, demo):
    user = db.session.scalar(select(User).where(User.email == LEER))
    assert user.password_hash.startswith("$argon2id$")


def test_wrong_password_is_refused(app, demo):
    client = app.test_client()
    resp = login(client, LEER, "wrong")
    assert resp.status_code == 401
    assert "falsch" in resp.get_data(as_text=True)
    assert client.get("/desk/").status_code == 302


def test_login_throttle_blocks_even_the_right_password(app, demo):
    client = app.test_client()
    for _ in range(5):
        assert login(client, LEER, "wrong").status_code == 401
    resp = login(client, LEER)
    assert resp.status_code == 429
    assert "Zu viele" in resp.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(app, demo):
    client = app.test_client()
    resp = client.post("/login", data={"email": LEER, "password": "pressdesk-demo"})
    assert resp.status_code == 400
    assert client.get("/desk/").status_code == 302


def test_no_open_redirect_after_login(app, demo):
    client = app.test_client()
    page = client.get("/login")
    resp = client.post("/login?next=//evil.example/x", data={
        "email": LEER, "password": "pressdesk-demo",
        "csrf_token": csrf_token(page.get_data(as_text=True))})
    assert resp.headers["Location"] == "/desk/"


def test_security_headers(app):
    resp = app.test_client().get("/")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]


def _login_from(app, addr: str, email: str, password: str = "pressdesk-demo"):  # type: ignore[no-untyped-def]
    client = app.test_client()
    page = client.get("/login", environ_base={"REMOTE_ADDR": addr})
    return client.post("/login", environ_base={"REMOTE_ADDR": addr}, data={
        "email": email, "password": password,
        "csrf_token": csrf_token(page.get_data(as_text=True))})


def test_a_stranger_cannot_lock_the_owner_out(app, demo):
    for _ in range(5):
        assert _login_from(app, "203.0.113.9", LEER, "wrong").status_code == 401
    assert _login_from(app, "203.0.113.9", LEER).status_code == 429  # the attacker's client
    # The owner, from a client that has not failed, logs in at once.
    assert _login_from(app, "198.51.100.4", LEER).status_code == 302


def test_one_client_cannot_guess_across_many_accounts(app, demo):
    for i in range(20):
        assert _login_from(app, "203.0.113.9", f"nobody{i}@example.org", "x").status_code == 401
    assert _login_from(app, "203.0.113.9", LEER).status_code == 429
    assert _login_from(app, "198.51.100.4", LEER).status_code == 302


def _copy_session(app, client):  # type: ignore[no-untyped-def]
    """A second browser holding a copy of ``client``'s session cookie (a stolen cookie)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    other = app.test_client()
    other.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
    return other


def test_a_cookie_saved_before_logout_no_longer_opens_the_desk(app, demo):
    client = app.test_client()
    assert login(client, LEER).status_code == 302
    copy = _copy_session(app, client)
    assert copy.get("/desk/").status_code == 200  # the copy works while the session lives
    page = client.get("/desk/")
    assert client.post("/logout", data={"csrf_token": csrf_token(page.get_data(as_text=True))}
                       ).status_code == 302
    resp = copy.get("/desk/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def _change_password(client, current: str, new: str, repeat: str | None = None):  # type: ignore[no-untyped-def]
    page = client.get("/desk/account/password")
    assert page.status_code == 200
    return client.post("/desk/account/password", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "current": current, "new": new,
        "repeat": new if repeat is None else repeat})


def test_changing_the_password_logs_out_the_other_sessions(app, demo):
    here, elsewhere = app.test_client(), app.test_client()
    assert login(here, LEER).status_code == 302
    assert login(elsewhere, LEER).status_code == 302
    assert "/desk/account/" in here.get("/desk/").get_data(as_text=True)  # account menu
    assert "/desk/account/password" in here.get("/desk/account/").get_data(as_text=True)
    resp = _change_password(here, "pressdesk-demo", "Krokus-Deich-Lotsenboot-7")
    assert resp.status_code == 302
    assert here.get("/desk/").status_code == 200  # the session that changed it stays
    assert elsewhere.get("/desk/").status_code == 302
    assert login(app.test_client(), LEER).status_code == 401
    assert login(app.test_client(), LEER, "Krokus-Deich-Lotsenboot-7").status_code == 302


def test_password_change_needs_the_current_password_and_a_strong_new_one(app, demo):
    client = app.test_client()
    assert login(client, LEER).status_code == 302
    wrong = _change_password(client, "falsch-falsch", "Krokus-Deich-Lotsenboot-7")
    assert wrong.status_code == 422 and "bisherige Passwort ist falsch" in wrong.get_data(as_text=True)
    for weak in ("aaaaaaaaaaaa", "passwort1234", "123456789012", "qwertzuiopasdf",
                 "redaktion.leer2026"):
        resp = _change_password(client, "pressdesk-demo", weak)
        assert resp.status_code == 422, weak
        assert "zu leicht zu erraten" in resp.get_data(as_text=True), weak
    short = _change_password(client, "pressdesk-demo", "Kr0kus!")
    assert short.status_code == 422 and "mindestens 12 Zeichen" in short.get_data(as_text=True)
    mismatch = _change_password(client, "pressdesk-demo", "Krokus-Deich-Lotsenboot-7", "anders")
    assert mismatch.status_code == 422 and "stimmen nicht" in mismatch.get_data(as_text=True)
    assert login(app.test_client(), LEER).status_code == 302  # nothing was changed


def test_the_password_page_needs_a_login(app, demo):
    resp = app.test_client().get("/desk/account/password")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_a_refused_password_is_shown_at_its_field(app, demo):
    import re

    client = app.test_client()
    assert login(client, LEER).status_code == 302
    html = _change_password(client, "pressdesk-demo", "aaaaaaaaaaaa").get_data(as_text=True)
    field = re.search(r'<input[^>]*name="new"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in field and 'aria-describedby="new-error"' in field
    assert re.search(r'id="new-error">[^<]*zu leicht zu erraten', html)
    html = _change_password(client, "falsch-falsch", "Krokus-Deich-Lotsenboot-7").get_data(
        as_text=True)
    assert re.search(r'id="current-error">[^<]*bisherige Passwort ist falsch', html)
