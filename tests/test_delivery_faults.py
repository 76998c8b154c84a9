"""Bad servers: 421/451 then recovery, 550 for some addresses, a connection dropped mid-DATA,
the server down when sending starts; plus suppression, pause/cancel, auto-pause, rate limit.

These call the engine (``deliver_version``) in the test process against SMTP servers of the
test's own, with the broker wake-ups switched off so the shared worker cannot interfere.
"""

from __future__ import annotations

import time

import pytest

from pressdesk.delivery import controls, engine, suppressions
from pressdesk.delivery.models import Suppression
from pressdesk.delivery.transport import SMTPTransport
from pressdesk.extensions import db
from tests.delivery_support import (
    DroppingSMTP,
    OwnSMTP,
    drive,
    parse,
    publish_to,
    received_by_address,
    recipients,
    rows,
    states,
)

pytestmark = pytest.mark.usefixtures("no_wakeups")


@pytest.mark.parametrize("pipelining", [True, False])
def test_451_then_recovery_delivers_all_and_records_attempts(app, demo, pipelining):
    with OwnSMTP(pipelining=pipelining) as server:
        version = publish_to(recipients(12))
        server.handler.data_reply = "451 4.3.0 try again later"
        tp = server.transport()
        engine.deliver_version(version.id, transport=tp)
        assert tp.conn is not None and tp.conn.has_extn("pipelining") is pipelining
        tp.close()
        assert states(version.id) == {"retrying": 12}
        assert all(r.attempts == 1 and r.last_error.startswith("451") for r in rows(version.id))
        assert server.handler.messages == []

        server.handler.data_reply = None  # the relay recovers
        drive(version.id, server.transport, lambda: states(version.id) == {"sent": 12})
        got = received_by_address(server.handler.messages)
        assert len(got) == 12 and set(got.values()) == {1}
        assert all(r.attempts >= 2 for r in rows(version.id))


@pytest.mark.parametrize("pipelining", [True, False])
def test_421_closes_the_connection_and_hands_the_batch_back(app, demo, pipelining):
    with OwnSMTP(pipelining=pipelining) as server:
        version = publish_to(recipients(10))
        server.handler.data_reply = "421 4.7.0 too busy, closing"
        tp = server.transport()
        engine.deliver_version(version.id, transport=tp)
        tp.close()
        got = rows(version.id)
        # The first row counts an attempt (after a few prompt retries on fresh connections);
        # the rest were handed back unsent: no attempt, no error, still queued.
        assert [r.attempts for r in got] == [1] + [0] * 9
        assert [r.state for r in got] == ["retrying"] + ["queued"] * 9
        assert got[0].last_error.startswith("421") and {r.last_error for r in got[1:]} == {""}
        server.handler.data_reply = None
        drive(version.id, server.transport, lambda: states(version.id) == {"sent": 10})
        assert set(received_by_address(server.handler.messages).values()) == {1}


@pytest.mark.parametrize("pipelining", [True, False])
def test_550_fails_those_at_once_suppresses_them_and_delivers_the_rest(app, demo, pipelining):
    rcpts = recipients(8)
    bad = {rcpts[2].email, rcpts[5].email}
    with OwnSMTP(pipelining=pipelining) as server:
        for addr in bad:
            server.handler.rcpt_replies[addr] = "550 5.1.1 no such user"
        version = publish_to(rcpts)
        tp = server.transport()
        engine.deliver_version(version.id, transport=tp)
        tp.close()
        by_email = {r.email: r for r in rows(version.id)}
        assert {e for e, r in by_email.items() if r.state == "failed"} == bad
        assert all(by_email[e].attempts == 1 and "550" in by_email[e].last_error for e in bad)
        assert states(version.id) == {"sent": 6, "failed": 2}
        assert set(received_by_address(server.handler.messages)) == {r.email for r in rcpts} - bad
        suppressed = {s.email for s in db.session.query(Suppression).all()}
        assert suppressed == bad

        # The next release skips them: rows in state "suppressed", nothing sent to them.
        server.handler.messages.clear()
        server.handler.rcpt_replies.clear()
        second = publish_to(rcpts, headline="Zweite Mitteilung")
        assert states(second.id) == {"queued": 6, "suppressed": 2}
        drive(second.id, server.transport, lambda: states(second.id) == {"sent": 6, "suppressed": 2})
        assert not bad & set(received_by_address(server.handler.messages))

        # "retry failed" does not resend to a still-suppressed address ...
        assert controls.retry_failed(version.id) == 0
        # ... but does once an admin lifted the suppression.
        s = db.session.query(Suppression).filter_by(email=sorted(bad)[0]).one()
        suppressions.lift_suppression(s.office_id, s.id)
        db.session.commit()
        assert controls.retry_failed(version.id) == 1
        db.session.commit()
        drive(version.id, server.transport, lambda: states(version.id) == {"sent": 7, "failed": 1})


@pytest.mark.parametrize("pipelining", [False, True])
def test_connection_dropped_mid_data_is_retried_without_loss(app, demo, pipelining):
    with DroppingSMTP(pipelining) as server:
        version = publish_to(recipients(6))
        tp = server.transport()
        engine.deliver_version(version.id, transport=tp)
        tp.close()
        # The one message was tried again at once on fresh connections, then the task backed off.
        assert server.dropped == 1 + engine.QUICK_RETRIES
        got = rows(version.id)
        assert got[0].state == "retrying" and "connection" in got[0].last_error.lower()
        assert all(r.state == "queued" and r.last_error == "" for r in got[1:])
        server.drop_in_data = False
        drive(version.id, server.transport, lambda: states(version.id) == {"sent": 6})
        addrs = sorted(r[0][0] for r in server.messages)
        assert addrs == sorted(r.email for r in got)  # each exactly once, none missing


def test_server_down_when_sending_starts(app, demo):
    server = OwnSMTP()  # not started yet: connections are refused
    version = publish_to(recipients(5))
    tp = SMTPTransport(server.url, timeout=2)
    engine.deliver_version(version.id, transport=tp)
    tp.close()
    got = rows(version.id)
    assert [r.state for r in got] == ["retrying"] + ["queued"] * 4
    assert "connect" in got[0].last_error
    assert sum(r.attempts for r in got) == 1  # one attempt counted, the rest handed back
    with server:
        drive(version.id, server.transport, lambda: states(version.id) == {"sent": 5})
        assert set(received_by_address(server.handler.messages).values()) == {1}


def test_auto_pause_after_a_run_of_errors_against_one_relay(app, demo, monkeypatch, settings_override):
    settings_override(auto_pause_errors=4)
    with OwnSMTP() as server:
        server.handler.data_reply = "451 4.3.0 overloaded"
        version = publish_to(recipients(10))
        tp = server.transport()
        engine.deliver_version(version.id, transport=tp)
        tp.close()
        assert controls.control_state(version.id) == "paused"
        assert states(version.id) == {"retrying": 4, "queued": 6}
        server.handler.data_reply = None
        time.sleep(1.3)
        tp = server.transport()
        assert engine.deliver_version(version.id, transport=tp) == 0  # paused: nothing sent
        tp.close()
        assert engine.sweep() == []  # and the sweeper leaves it alone
        controls.resume(version.id)
        db.session.commit()
        drive(version.id, server.transport, lambda: states(version.id) == {"sent": 10})


def test_pause_in_the_middle_hands_rows_back_and_cancel_is_final(app, demo, monkeypatch, settings_override):
    settings_override(rate_limit_per_second=20.0)
    with OwnSMTP() as server:
        version = publish_to(recipients(60))
        import threading

        def pause_soon():
            time.sleep(0.8)
            with app.app_context():
                controls.pause(version.id, "test")
                db.session.commit()

        t = threading.Thread(target=pause_soon)
        t.start()
        tp = server.transport()
        sent = engine.deliver_version(version.id, transport=tp)
        tp.close()
        t.join()
        st = states(version.id)
        assert 5 <= sent < 60 and st["sent"] == sent and st["queued"] == 60 - sent
        assert "sending" not in st
        controls.cancel(version.id, "test")
        db.session.commit()
        assert states(version.id) == {"sent": sent, "cancelled": 60 - sent}
        controls.resume(version.id)  # a cancelled version cannot be resumed
        db.session.commit()
        assert controls.control_state(version.id) == "cancelled"
        assert len(server.handler.messages) == sent


def test_rate_limit_is_shared_per_relay(app, demo, monkeypatch, settings_override):
    settings_override(rate_limit_per_second=25.0)
    with OwnSMTP() as server:
        a = publish_to(recipients(25, "a.example"))
        b = publish_to(recipients(25, "b.example"), headline="Zweite")
        started = time.monotonic()
        import threading

        def run(vid):
            with app.app_context():
                tp = server.transport()
                engine.deliver_version(vid, transport=tp)
                tp.close()

        threads = [threading.Thread(target=run, args=(v.id,)) for v in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        assert states(a.id) == {"sent": 25} and states(b.id) == {"sent": 25}
        # 50 messages at 25/s through one relay take about two seconds, whichever worker sends.
        assert elapsed >= 1.6, elapsed


def test_expired_claim_is_taken_over_and_a_stale_worker_cannot_mark(app, demo, monkeypatch):
    version = publish_to(recipients(3))
    first = engine.claim_batch(version.id, 10)
    assert len(first) == 3 and engine.claim_batch(version.id, 10) == []
    # The worker holding them "dies": the claim runs out, another worker takes them over.
    from datetime import timedelta

    from sqlalchemy import update

    from pressdesk.db import utcnow
    from pressdesk.delivery.models import Delivery

    db.session.execute(update(Delivery).values(claimed_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    second = engine.claim_batch(version.id, 10)
    assert [r.id for r in second] == [r.id for r in first]
    assert engine.extend_claims(first) == set()  # the first worker sees it lost them
    engine.mark_sent(first[0], "250")  # and its late mark changes nothing
    assert rows(version.id)[0].state == "sending"
    assert engine.extend_claims(second) == {r.id for r in second}


def test_published_twice_quickly_gives_one_set_of_deliveries(app, demo):
    from pressdesk.releases import services
    from pressdesk.releases.services import ReleaseError
    from tests.helpers import draft

    release = draft()
    services.publish_release(release, None)
    db.commit()
    with pytest.raises(ReleaseError):
        services.publish_release(release, None)
    assert len({r.email for r in rows(release.versions[0].id)}) == 9
    assert len(rows(release.versions[0].id)) == 9


def test_header_injection_through_recipient_name_is_impossible(app, demo):
    from pressdesk.delivery.queue import Recipient

    with OwnSMTP() as server:
        version = publish_to([Recipient("opfer@zeitung.example",
                                        "Redaktion\r\nBcc: spion@evil.example\r\nX-Evil: 1")])
        drive(version.id, server.transport, lambda: states(version.id) == {"sent": 1})
        (m,) = server.handler.messages
        assert m.rcpt_tos == ["opfer@zeitung.example"]
        msg = parse(m.data)
        assert msg["Bcc"] is None and msg["X-Evil"] is None
        assert msg["To"].addresses[0].addr_spec == "opfer@zeitung.example"
