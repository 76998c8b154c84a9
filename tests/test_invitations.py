"""Press invitations: the appointment page, its iCalendar in the newspaper mail (REQUEST with
a fixed UID, SEQUENCE raised on a change, CANCEL on a cancellation), through the release's own
workflow (corrections, 4-eyes)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from pressdesk.extensions import db
from pressdesk.invitations.models import Invitation
from pressdesk.text import BERLIN
from tests.conftest import wait_for
from tests.desk_helpers import four_eyes, fresh, sent_rows, text_part
from tests.helpers import EDITOR, PUBLISHER, logged_in, post
from tests.invitation_support import (
    HEADLINE,
    appointment_form,
    calendar_of,
    parse_both,
    publish,
    start_in,
    write_invitation,
)


def _invitation(rid: int) -> Invitation:
    db.session.remove()
    inv = db.session.scalar(select(Invitation).where(Invitation.release_id == rid))
    assert inv is not None
    return inv


def _all_sent(smtp, version_id: int) -> int:  # type: ignore[no-untyped-def]
    """Wait until every row of the version is sent and at the sink; how many there are."""
    from pressdesk.delivery.models import Delivery

    db.session.remove()
    total = len(db.session.scalars(select(Delivery).where(
        Delivery.version_id == version_id, Delivery.state != "suppressed")).all())
    wait_for(lambda: len(sent_rows(version_id)) == total, timeout=60)
    wait_for(lambda: len(smtp.messages) >= total, timeout=30)
    return total


def test_published_invitation_mails_a_calendar_request(app, demo, smtp, celery_worker):
    publisher = logged_in(app, PUBLISHER)
    start = start_in(7)
    rid = write_invitation(publisher, start)
    v1 = publish(publisher, rid)
    wait_for(lambda: len(sent_rows(v1)) >= 8, timeout=30)
    wait_for(lambda: len(smtp.messages) >= 8, timeout=30)
    inv = _invitation(rid)
    uids = set()
    for m in smtp.messages:
        ics, ctype = calendar_of(m.data)
        assert "method=REQUEST" in ctype.replace('"', "")
        cal, vcal = parse_both(ics)
        assert str(cal["METHOD"]) == "REQUEST"
        ev = cal.walk("VEVENT")[0]
        assert str(ev["UID"]) == inv.uid
        assert int(ev["SEQUENCE"]) == 0
        assert ev.decoded("DTSTART") == start.astimezone(BERLIN)
        assert ev["DTSTART"].params["TZID"] == "Europe/Berlin"
        assert cal.walk("VTIMEZONE")[0]["TZID"] == "Europe/Berlin"
        assert "mailto:" in str(ev["ORGANIZER"])
        assert ev["ORGANIZER"].params["CN"] == "Landkreis Leer"
        assert str(ev["SUMMARY"]) == HEADLINE
        assert "Kreishaus Leer" in str(ev["LOCATION"])
        # the second parser reads the same event, the time included
        assert vcal.method.value == "REQUEST"
        assert vcal.vevent.uid.value == inv.uid
        assert vcal.vevent.dtstart.value == start.astimezone(BERLIN)
        assert vcal.vevent.dtstart.value.utcoffset() == start.astimezone(BERLIN).utcoffset()
        uids.add(vcal.vevent.uid.value)
        text = text_part(m)
        assert "TERMIN" in text and "Kreishaus Leer, Sitzungssaal" in text
        assert "Akkreditierung/Anmeldung erforderlich" in text
    assert uids == {inv.uid}


def test_moving_the_time_sends_an_update_and_cancelling_a_cancel(app, demo, smtp, celery_worker):
    publisher = logged_in(app, PUBLISHER)
    start = start_in(7)
    rid = write_invitation(publisher, start)
    v1 = publish(publisher, rid)
    total = _all_sent(smtp, v1)
    got_first = {m.rcpt_tos[0] for m in smtp.messages}
    assert len(got_first) == total
    smtp.messages.clear()

    later = start + timedelta(hours=3)
    resp = post(publisher, f"/desk/releases/{rid}/termin", appointment_form(later))
    assert resp.status_code == 302 and "/deliveries" in resp.headers["Location"]
    release = fresh(rid)
    assert [v.kind for v in release.versions] == ["publish", "correction"]
    assert "Termin geändert." in release.versions[1].change_summary
    wait_for(lambda: len(smtp.messages) >= len(got_first), timeout=30)
    assert {m.rcpt_tos[0] for m in smtp.messages} == got_first
    for m in smtp.messages:
        cal, vcal = parse_both(calendar_of(m.data)[0])
        ev = cal.walk("VEVENT")[0]
        assert str(cal["METHOD"]) == "REQUEST" and int(ev["SEQUENCE"]) == 1
        assert ev.decoded("DTSTART") == later.astimezone(BERLIN)
        assert int(vcal.vevent.sequence.value) == 1
        assert text_part(m).startswith("KORREKTUR")
    smtp.messages.clear()

    resp = post(publisher, f"/desk/releases/{rid}/termin/absagen", {})
    assert resp.status_code == 302 and "/deliveries" in resp.headers["Location"]
    wait_for(lambda: len(smtp.messages) >= len(got_first), timeout=30)
    inv = _invitation(rid)
    for m in smtp.messages:
        ics, ctype = calendar_of(m.data)
        assert "method=CANCEL" in ctype.replace('"', "")
        cal, vcal = parse_both(ics)
        ev = cal.walk("VEVENT")[0]
        assert str(cal["METHOD"]) == "CANCEL" and str(ev["STATUS"]) == "CANCELLED"
        assert int(ev["SEQUENCE"]) == 2 and str(ev["UID"]) == inv.uid
        assert vcal.method.value == "CANCEL"
        assert "ABGESAGT" in text_part(m)
    assert v1 is not None


def test_under_four_eyes_a_change_waits_for_a_second_person(app, demo, smtp, celery_worker):
    four_eyes(True)
    editor = logged_in(app, EDITOR)
    start = start_in(5)
    rid = write_invitation(editor, start)
    assert post(editor, f"/desk/releases/{rid}/submit", {}).status_code == 302
    publisher = logged_in(app, PUBLISHER)
    assert post(publisher, f"/desk/releases/{rid}/approve", {}).status_code == 302
    _all_sent(smtp, publish(publisher, rid))
    smtp.messages.clear()

    resp = post(publisher, f"/desk/releases/{rid}/termin", appointment_form(start + timedelta(days=1)))
    assert resp.status_code == 302
    release = fresh(rid)
    assert release.correction_pending_at is not None and len(release.versions) == 1
    inv = _invitation(rid)
    assert inv.current is not None and inv.current.starts_at == start  # public side unchanged
    # the publisher wrote the change: a second person approves it
    admin = logged_in(app)
    assert post(admin, f"/desk/releases/{rid}/correction/approve", {}).status_code == 302
    wait_for(lambda: len(smtp.messages) >= 8, timeout=30)
    ev = parse_both(calendar_of(smtp.messages[0].data)[0])[0].walk("VEVENT")[0]
    assert int(ev["SEQUENCE"]) == 1


def test_bad_appointment_input_is_refused_and_loses_nothing(app, demo):
    publisher = logged_in(app, PUBLISHER)
    from tests.desk_helpers import write

    rid = write(publisher)
    start = start_in(3)
    for changes, message in (
        ({"ends_at": appointment_form(start - timedelta(hours=2))["starts_at"]},
         "Das Ende des Termins muss nach dem Beginn liegen."),
        ({"starts_at": ""}, "Bitte Beginn und Ende des Termins angeben."),
        ({"place_name": ""}, "Bitte den Ort des Termins angeben."),
        ({"longitude": ""}, "Bitte Breiten- und Längengrad angeben"),
        ({"rsvp_until": appointment_form(start + timedelta(days=1))["starts_at"]},
         "muss vor dem Beginn des Termins liegen"),
        ({"place_name": "Saal\r\nBcc: x@example.org"}, "darf keinen Zeilenumbruch enthalten"),
    ):
        resp = post(publisher, f"/desk/releases/{rid}/termin", appointment_form(start, **changes))
        page = resp.get_data(as_text=True)
        assert resp.status_code == 400, changes
        assert message in page.replace("&#34;", '"').replace("&#39;", "'"), (changes, page[:3000])
    db.session.remove()
    assert db.session.scalar(select(Invitation).where(Invitation.release_id == rid)) is None


def test_appointment_times_are_german_text_fields_that_take_german_input(app, demo):
    """Whatever the browser's language: the times show as "TT.MM.JJJJ HH:MM" with the format
    beside them, and what is typed that way is saved."""
    publisher = logged_in(app, PUBLISHER)
    from tests.desk_helpers import write

    rid = write(publisher)
    start = start_in(5).astimezone(BERLIN).replace(hour=10, minute=30)
    german = dict(appointment_form(start))
    for name in ("starts_at", "ends_at", "accreditation_until", "rsvp_until"):
        iso = german[name]  # "2026-12-07T10:30" -> "07.12.2026 10:30"
        german[name] = f"{iso[8:10]}.{iso[5:7]}.{iso[0:4]} {iso[11:16]}"
    assert post(publisher, f"/desk/releases/{rid}/termin", german).status_code == 302
    db.session.remove()
    inv = db.session.scalar(select(Invitation).where(Invitation.release_id == rid))
    assert inv.starts_at == start
    page = publisher.get(f"/desk/releases/{rid}/termin").get_data(as_text=True)
    field = page.split('id="starts_at"')[0].rsplit("<input", 1)[1] + page.split('id="starts_at"')[1]
    assert 'type="text"' in field and f'value="{start.strftime("%d.%m.%Y %H:%M")}"' in field
    assert 'id="starts_at-format"' in page and "datetime-local" not in page


def test_another_office_cannot_open_the_appointment_page(app, demo):
    publisher = logged_in(app, PUBLISHER)
    rid = write_invitation(publisher)
    from tests.helpers import LINGEN_PUBLISHER

    lingen = logged_in(app, LINGEN_PUBLISHER)
    assert lingen.get(f"/desk/releases/{rid}/termin").status_code == 404
    resp = post(lingen, f"/desk/releases/{rid}/termin", appointment_form(start_in()))
    assert resp.status_code == 404
    assert post(lingen, f"/desk/releases/{rid}/termin/absagen", {}).status_code == 404
