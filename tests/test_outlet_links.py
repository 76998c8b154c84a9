"""The per-outlet link in every outlet mail: the token in the body (quoted-printable safe),
List-Unsubscribe/-Post (RFC 8058) to the one-click leave, DKIM over a per-recipient body,
leaving at once (queued mail cancelled, follow-ups skipped), forged and foreign tokens."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import dkim
import pytest
from sqlalchemy import select

from pressdesk import tokens
from pressdesk.accounts.services import find_user
from pressdesk.audit.models import AuditEntry
from pressdesk.delivery import render
from pressdesk.extensions import db
from pressdesk.media import links
from pressdesk.media.models import Outlet
from pressdesk.releases import services, workflow
from pressdesk.releases.models import Release
from tests.delivery_support import OwnSMTP, drive, parse, rows, states
from tests.helpers import PUBLISHER, draft, office

pytestmark = pytest.mark.usefixtures("no_wakeups")


def _outlet(name: str, slug: str = "landkreis-leer") -> Outlet:
    return db.session.scalar(select(Outlet).where(Outlet.name == name,
                                                  Outlet.office_id == office(slug).id))


def _publish(**fields: str):  # type: ignore[no-untyped-def]
    version = services.publish_release(draft(**fields), None)
    db.commit()
    return version


def _path(url: str) -> str:
    return urlsplit(url).path


def test_every_outlet_gets_its_own_link_and_one_click_leave(app, demo):
    version = _publish(headline="Kreistag tagt im Rheiderland")
    sent = rows(version.id)
    assert sent and all(r.link_token and r.unsubscribe_url for r in sent)
    with OwnSMTP() as server:
        drive(version.id, server.transport, lambda: states(version.id) == {"sent": len(sent)})
        messages = list(server.handler.messages)
    assert len(messages) == len(sent)
    by_address = {r.email.lower(): r for r in sent}
    for m in messages:
        row = by_address[m.rcpt_tos[0].lower()]
        assert render.LINK_TOKEN_MARK.encode() not in m.data
        # The token's quoted-printable lines stay within 76 characters (RFC 2045).
        body = m.data.split(b"\r\n\r\n", 1)[1]
        token_lines = [line for line in body.split(b"\r\n") if row.link_token[:8].encode() in line]
        assert len(token_lines) == 2  # the text part and the HTML part
        assert max(len(line) for line in token_lines) <= 76
        msg = parse(m.data)
        own = links.preferences_url(row.link_token)
        assert own in msg.get_body(("plain",)).get_content()
        assert f'href="{own}"' in msg.get_body(("html",)).get_content()
        assert links.outlet_id_for(row.link_token) == row.outlet_id
        assert msg["List-Unsubscribe"].startswith(f"<{links.leave_url(row.link_token)}>")
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_row_without_a_token_keeps_the_shared_bytes_untouched():
    shared = b"Subject: x\r\n\r\nLink: https://x.example/verteiler/PDLINKTOKENMARK0\r\n"
    plain = render.personalise(shared, "A", "a@example.org", "<1@x>")
    assert plain.endswith(shared)
    filled = render.personalise(shared, "A", "a@example.org", "<1@x>", link_token="abc.def-_")
    assert b"PDLINKTOKENMARK0" not in filled
    assert b"verteiler/=\r\nabc.def-_=\r\n" in filled


def test_dkim_verifies_over_each_outlets_own_body(app, demo, dkim_key, settings_override):
    key, record = dkim_key
    settings_override(dkim_key_file=str(key), dkim_selector="pd2026")
    version = _publish(headline="Signiert mit eigenem Link")
    n = len(rows(version.id))
    with OwnSMTP() as server:
        drive(version.id, server.transport, lambda: states(version.id) == {"sent": n})
        messages = list(server.handler.messages)

    def dns(name, timeout=5):  # type: ignore[no-untyped-def]
        return record

    for m in messages:
        assert dkim.verify(m.data, dnsfunc=dns), "signature must verify"
        signature = re.search(rb"DKIM-Signature:.*?\r\n(?=\S)", m.data, re.S).group(0)
        assert b"list-unsubscribe" in signature.lower()
    assert not dkim.verify(messages[0].data.replace(b"verteiler/", b"verteiler/x", 1),
                           dnsfunc=dns)


@pytest.fixture
def dkim_key(tmp_path):  # type: ignore[no-untyped-def]
    import base64
    import subprocess

    key = tmp_path / "dkim.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
    pub = subprocess.run(["openssl", "rsa", "-in", str(key), "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    return key, b"v=DKIM1; k=rsa; p=" + base64.b64encode(pub)


def test_one_click_leave_takes_effect_at_once(app, demo):
    oz = _outlet("Ostfriesen-Zeitung")
    version = _publish(headline="Noch nicht versandt")
    queued = [r for r in rows(version.id) if r.outlet_id == oz.id]
    assert queued and all(r.state == "queued" for r in queued)
    token = queued[0].link_token
    client = app.test_client()
    # What a mail client sends (RFC 8058): no session, no CSRF token.
    resp = client.post(_path(links.leave_url(token)), data={"List-Unsubscribe": "One-Click"})
    assert resp.status_code == 200
    assert "ausgetragen" in resp.get_data(as_text=True)
    db.session.remove()
    oz = _outlet("Ostfriesen-Zeitung")
    assert oz.left_at is not None and not oz.active
    assert {r.state for r in rows(version.id) if r.outlet_id == oz.id} == {"cancelled"}
    assert {r.state for r in rows(version.id) if r.outlet_id != oz.id} == {"queued"}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "outlet.left"))
    assert entry is not None and "RFC 8058" in entry.detail
    # Leaving twice: a clear answer, nothing changes.
    again = client.post(_path(links.leave_url(token)), data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200 and "bereits" in again.get_data(as_text=True)
    # The next release and the withdrawal of this one skip the outlet.
    nxt = _publish(headline="Danach")
    assert rows(nxt.id) and oz.id not in {r.outlet_id for r in rows(nxt.id)}
    release = db.session.get(Release, version.release_id)
    follow_up = workflow.withdraw(release, find_user(PUBLISHER), "Falsche Zahlen")
    db.commit()
    followers = rows(follow_up.id)
    assert followers and oz.id not in {r.outlet_id for r in followers}
    assert all(r.link_token for r in followers)


def test_the_leave_page_asks_first_and_get_changes_nothing(app, demo):
    oz = _outlet("Ostfriesen-Zeitung")
    token = links.outlet_link_token(oz)
    client = app.test_client()
    page = client.get(_path(links.leave_url(token)))
    assert page.status_code == 200 and "Jetzt austragen" in page.get_data(as_text=True)
    db.session.remove()
    assert _outlet("Ostfriesen-Zeitung").left_at is None
    prefs = client.get(_path(links.preferences_url(token)))
    assert prefs.status_code == 200 and oz.email in prefs.get_data(as_text=True)


@pytest.mark.parametrize("forge", ["garbage", "swap-id", "other-purpose", "truncated"])
def test_forged_or_foreign_tokens_are_refused(app, demo, forge):
    oz = _outlet("Ostfriesen-Zeitung")
    genuine = links.outlet_link_token(oz)
    token = {
        "garbage": "eyJvIjoxfQ.abc.def",
        "swap-id": tokens.dumps(tokens.OUTLET_LINK, {"o": oz.id}).replace(
            genuine.split(".")[0], tokens.dumps(tokens.OUTLET_LINK, {"o": oz.id + 1}).split(".")[0]),
        "other-purpose": tokens.dumps(tokens.ALERT_MANAGE, {"o": oz.id}),
        "truncated": genuine[:-3],
    }[forge]
    client = app.test_client()
    for url in (links.preferences_url(token), links.leave_url(token)):
        assert client.get(_path(url)).status_code == 400
    resp = client.post(_path(links.leave_url(token)), data={"List-Unsubscribe": "One-Click"})
    assert resp.status_code == 400 and "nicht gültig" in resp.get_data(as_text=True)
    db.session.remove()
    assert _outlet("Ostfriesen-Zeitung").left_at is None


def test_a_token_for_a_deleted_outlet_is_refused(app, demo):
    token = tokens.dumps(tokens.OUTLET_LINK, {"o": 999999})
    assert app.test_client().get(_path(links.preferences_url(token))).status_code == 400


def test_many_tokens_at_once_equal_single_ones(app):
    many = links.link_tokens([3, 1, 2])
    for oid, token in many.items():
        assert links.outlet_id_for(token) == oid
