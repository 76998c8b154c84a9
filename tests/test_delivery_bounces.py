"""Bounces arriving later: DSNs in a Maildir map to their rows by VERP (or the quoted Message-ID);
hard bounces mark the row bounced and suppress the address; ``pressdesk bounces`` reports."""

from __future__ import annotations

import mailbox

import pytest

from pressdesk.delivery import relays
from pressdesk.delivery.bounces import parse_dsn, process_maildir
from pressdesk.delivery.models import Suppression
from pressdesk.delivery.queue import Recipient
from pressdesk.extensions import db
from tests.delivery_support import OwnSMTP, drive, publish_to, recipients, rows, states

pytestmark = pytest.mark.usefixtures("no_wakeups")


def dsn(to: str, recipient: str, status: str = "5.1.1", action: str = "failed",
        original_message_id: str = "<x@y>") -> bytes:
    return f"""From: MAILER-DAEMON@mx.zeitung.example
To: {to}
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.zeitung.example

Final-Recipient: rfc822; {recipient}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: Recipient address rejected

--B
Content-Type: text/rfc822-headers

From: presse@pressdesk.example
To: {recipient}
Message-ID: {original_message_id}
Subject: Neue Radwege

--B--
""".replace("\n", "\r\n").encode()


def _sent_version(n: int = 4):
    version = publish_to(recipients(n))
    with OwnSMTP() as server:
        drive(version.id, server.transport, lambda: states(version.id) == {"sent": n})
        senders = {m.rcpt_tos[0]: m.mail_from for m in server.handler.messages}
    return version, senders


def test_maildir_bounces_mark_rows_and_suppress(app, demo, tmp_path):
    version, senders = _sent_version()
    r0, r1, r2, r3 = rows(version.id)
    box = mailbox.Maildir(str(tmp_path / "bounces"), create=True)
    box.add(dsn(senders[r0.email], r0.email))  # by VERP
    box.add(dsn("postmaster@pressdesk.example", r1.email, original_message_id=r1.message_id))
    box.add(dsn(senders[r2.email], r2.email, status="4.2.2", action="delayed"))  # soft: ignored
    box.add(b"From: someone@example.org\r\nSubject: Hallo\r\n\r\nkein Bounce\r\n")
    forged = senders[r3.email].replace(f"bounce+{r3.id}-", f"bounce+{r3.id}-0")
    box.add(dsn(forged, r3.email))  # a forged token matches nothing

    report = process_maildir(tmp_path / "bounces")
    assert (report.read, report.bounced, report.ignored, report.unmatched) == (5, 2, 1, 2)
    by_id = {r.id: r for r in rows(version.id)}
    assert by_id[r0.id].state == "bounced" and "5.1.1" in by_id[r0.id].last_error
    assert by_id[r1.id].state == "bounced"
    assert by_id[r2.id].state == "sent" and by_id[r3.id].state == "sent"
    assert {s.email for s in db.session.query(Suppression)} == {r0.email, r1.email}
    assert {s.source for s in db.session.query(Suppression)} == {"bounce"}
    # Processed messages leave the inbox (kept in .processed); a second run finds nothing.
    assert len(mailbox.Maildir(str(tmp_path / "bounces"), create=False)) == 0
    assert process_maildir(tmp_path / "bounces").read == 0
    # The next release does not go to the bounced addresses.
    second = publish_to(recipients(4), headline="Zweite")
    assert states(second.id) == {"queued": 2, "suppressed": 2}


def test_parse_dsn_refuses_non_dsn_and_reads_status(app, demo):
    assert parse_dsn(b"Subject: hi\r\n\r\nbody\r\n") is None
    b = parse_dsn(dsn("nobody@example.org", "x@zeitung.example"))
    assert b is not None and b.status == "5.1.1" and b.permanent and b.delivery_id is None


def test_bounces_command(app, demo, tmp_path):
    version, senders = _sent_version(2)
    r0 = rows(version.id)[0]
    box = mailbox.Maildir(str(tmp_path / "in"), create=True)
    box.add(dsn(senders[r0.email], r0.email))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["bounces", "--maildir", str(tmp_path / "in")])
    assert result.exit_code == 0, result.output
    assert "1 bounced" in result.output
    assert rows(version.id)[0].state == "bounced"
    missing = runner.invoke(args=["bounces", "--maildir", str(tmp_path / "nope")])
    assert missing.exit_code != 0 and "cannot read Maildir" in missing.output
    none = runner.invoke(args=["bounces"])
    assert none.exit_code != 0 and "no mailbox" in none.output
    assert relays.row_for_verp(senders[r0.email]) == r0.id


def _auto_reply(to: str, text: str, subject: str = "Automatische Antwort: Neue Radwege") -> bytes:
    return (f"From: Redaktion <redaktion00000@zeitung.example>\r\nTo: {to}\r\n"
            f"Subject: {subject}\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            f"{text}\r\n").encode()


def test_an_automatic_reply_that_the_person_left_marks_the_outlet_for_review(app, demo,
                                                                           tmp_path):
    from pressdesk.media.models import Outlet
    from pressdesk.offices.models import Office

    office = db.session.query(Office).filter_by(slug="landkreis-leer").one()
    left, away = (Outlet(office_id=office.id, name=f"Redaktion {i}",
                         email=f"redaktion{i:05d}@zeitung.example") for i in range(2))
    db.session.add_all([left, away])
    db.session.commit()
    version = publish_to([Recipient(o.email, o.name, outlet_id=o.id) for o in (left, away)])
    with OwnSMTP() as server:
        drive(version.id, server.transport, lambda: states(version.id) == {"sent": 2})
        senders = {m.rcpt_tos[0]: m.mail_from for m in server.handler.messages}
    box = mailbox.Maildir(str(tmp_path / "bounces"), create=True)
    box.add(_auto_reply(senders[left.email], "Frau Meyer ist nicht mehr für die Ostfriesen-"
                        "Zeitung tätig. Bitte schreiben Sie an redaktion@oz.example."))
    box.add(_auto_reply(senders[away.email], "Ich bin bis zum 5. Januar nicht im Büro.",
                        subject="Abwesenheitsnotiz"))

    report = process_maildir(tmp_path / "bounces")
    assert (report.read, report.left, report.bounced, report.unmatched) == (2, 1, 0, 1)
    db.session.expire_all()
    marked = db.session.get(Outlet, left.id)
    assert marked.review_reason == "left" and "redaktion@oz.example" in marked.review_note
    assert db.session.get(Outlet, away.id).review_reason == ""
    # The address is not suppressed: it may reach the successor.
    assert db.session.query(Suppression).count() == 0
