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
