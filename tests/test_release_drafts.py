"""Copies, templates, deleting a draft, moving or lifting a Sperrfrist after sending, editing a
scheduled release, German date input."""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta
from email import policy

from sqlalchemy import select

from pressdesk.db import utcnow
from pressdesk.delivery.models import Delivery
from pressdesk.extensions import db
from pressdesk.releases.models import Release, ReleaseTemplate
from pressdesk.text import BERLIN
from tests.conftest import wait_for
from tests.desk_helpers import (
    actions_logged,
    berlin_input,
    default_lists,
    four_eyes,
    fresh,
    sent_rows,
    write,
)
from tests.formats_support import PDF
from tests.helpers import ADMIN, EDITOR, PUBLISHER, logged_in, post


def _upload_image(client, rid: int) -> None:  # type: ignore[no-untyped-def]
    import io

    from pressdesk.releases.images import placeholder_jpeg

    resp = post(client, f"/desk/releases/{rid}/images",
                {"file": (io.BytesIO(placeholder_jpeg("Foto")), "foto.jpg"), "alt": "Eine Brücke",
                 "caption": "Die Brücke", "credit": "Foto: Landkreis", "rights": "frei"},
                page=f"/desk/releases/{rid}", content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)


def test_a_release_is_copied_into_a_new_draft_with_its_files(app, demo):
    import io

    editor = logged_in(app, EDITOR)
    rid = write(editor)
    _upload_image(editor, rid)
    post(editor, f"/desk/releases/{rid}/attachments", {"file": (io.BytesIO(PDF), "Plan.pdf")},
         page=f"/desk/releases/{rid}", content_type="multipart/form-data")
    resp = post(editor, f"/desk/releases/{rid}/duplicate", page=f"/desk/releases/{rid}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/edit")
    copy_id = int(resp.headers["Location"].split("/")[-2])
    original, copy = fresh(rid), db.session.get(Release, copy_id)
    assert copy.id != original.id and copy.status == "draft"
    assert (copy.headline, copy.body) == (original.headline, original.body)
    assert [i.caption for i in copy.images] == ["Die Brücke"]
    assert copy.images[0].public_id != original.images[0].public_id
    assert [a.filename for a in copy.attachments] == ["Plan.pdf"]
    assert editor.get(f"/desk/images/{copy.images[0].public_id}/web.jpg").status_code == 200
    assert actions_logged(copy_id) == ["release.created", "release.duplicated"]


def test_a_draft_is_deleted_after_a_question_and_audited(app, demo):
    editor = logged_in(app, EDITOR)
    rid = write(editor)
    _upload_image(editor, rid)
    from pressdesk.releases.images import image_path

    folder = image_path(fresh(rid).images[0], "original").parent
    assert folder.exists()
    page = editor.get(f"/desk/releases/{rid}")
    assert 'id="delete-link"' in page.get_data(as_text=True)
    ask = editor.get(f"/desk/releases/{rid}/delete")
    assert ask.status_code == 200 and "endgültig löschen" in ask.get_data(as_text=True)
    assert db.session.get(Release, rid) is not None  # asking deletes nothing
    resp = post(editor, f"/desk/releases/{rid}/delete", page=f"/desk/releases/{rid}/delete")
    assert resp.status_code == 302
    db.session.remove()
    assert db.session.get(Release, rid) is None and not folder.exists()
    assert actions_logged(rid)[-1] == "release.deleted"
    assert editor.get(f"/desk/releases/{rid}").status_code == 404


def test_only_a_never_published_draft_can_be_deleted(app, demo):
    publisher = logged_in(app, PUBLISHER)
    rid = write(publisher)
    post(publisher, f"/desk/releases/{rid}/publish", {"lists": default_lists(), "when": "now"})
    assert 'id="delete-link"' not in publisher.get(f"/desk/releases/{rid}").get_data(as_text=True)
    resp = post(publisher, f"/desk/releases/{rid}/delete")
    assert resp.status_code == 302 and db.session.get(Release, rid) is not None
    editor = logged_in(app, EDITOR)
    submitted = write(editor)
    post(editor, f"/desk/releases/{submitted}/submit")
    post(editor, f"/desk/releases/{submitted}/delete")
    assert fresh(submitted).status == "in_review"


def test_office_templates_and_the_built_in_ones_start_a_release(app, demo):
    editor = logged_in(app, EDITOR)
    new = editor.get("/desk/releases/new").get_data(as_text=True)
    assert "Einladung zum Pressetermin" in new and "Verkehrsmeldung" in new
    filled = editor.get("/desk/releases/new?vorlage=b-pressetermin").get_data(as_text=True)
    assert "Einladung zum Pressetermin: …" in filled and "**Termin:**" in filled
    rid = write(editor, headline="Sprechstunde des Landrats", body="Jeden **Dienstag**.")
    resp = post(editor, f"/desk/releases/{rid}/as-template", {"name": "Sprechstunde"},
                page=f"/desk/releases/{rid}")
    assert resp.status_code == 302
    row = db.session.scalar(select(ReleaseTemplate).where(ReleaseTemplate.name == "Sprechstunde"))
    filled = editor.get(f"/desk/releases/new?vorlage={row.id}").get_data(as_text=True)
    assert "Sprechstunde des Landrats" in filled and "Jeden **Dienstag**." in filled
    twice = post(editor, f"/desk/releases/{rid}/as-template", {"name": "Sprechstunde"},
                 page=f"/desk/releases/{rid}")
    assert twice.status_code == 400 and "gibt es schon" in twice.get_data(as_text=True)
    # another office cannot use it
    other = logged_in(app, "redaktion.lingen@pressdesk.example")
    assert "Sprechstunde des Landrats" not in other.get(
        f"/desk/releases/new?vorlage={row.id}").get_data(as_text=True)
    listing = editor.get("/desk/vorlagen/").get_data(as_text=True)
    assert "Sprechstunde" in listing
    post(editor, f"/desk/vorlagen/{row.id}/delete", page="/desk/vorlagen/")
    db.session.remove()
    assert db.session.get(ReleaseTemplate, row.id) is None


def _office_template(name: str = "Sprechstunde") -> ReleaseTemplate:
    from tests.helpers import office

    row = ReleaseTemplate(office_id=office("landkreis-leer").id, name=name,
                          headline="Sprechstunde des Landrats", subline="", lead="Vorspann",
                          body="Jeden **Dienstag**.")
    db.session.add(row)
    db.session.commit()
    return row


def _template_audit(template_id: int) -> list[tuple[str, str]]:
    from pressdesk.audit.models import AuditEntry

    db.session.remove()
    return [(e.action, e.detail) for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.target_type == "template",
                                 AuditEntry.target_id == template_id).order_by(AuditEntry.id))]


def test_an_office_template_is_edited_checked_and_audited(app, demo):
    row = _office_template()
    _office_template("Baustelle")
    tid = row.id
    editor = logged_in(app, EDITOR)
    listing = editor.get("/desk/vorlagen/").get_data(as_text=True)
    assert f'href="/desk/vorlagen/{tid}/edit"' in listing
    page = editor.get(f"/desk/vorlagen/{tid}/edit")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'value="Sprechstunde des Landrats"' in html and "Jeden **Dienstag**." in html
    edit = f"/desk/vorlagen/{tid}/edit"
    data = {"name": "Bürgersprechstunde", "headline": "Sprechstunde der Landrätin",
            "subline": "im Kreishaus", "lead": "Vorspann", "body": "Jeden **Mittwoch**."}
    # without the CSRF token nothing changes
    assert editor.post(edit, data=data).status_code == 400
    resp = post(editor, edit, data, page=edit)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"#vorlage-{tid}")
    db.session.remove()
    saved = db.session.get(ReleaseTemplate, tid)
    assert (saved.name, saved.headline, saved.subline, saved.body) == (
        "Bürgersprechstunde", "Sprechstunde der Landrätin", "im Kreishaus", "Jeden **Mittwoch**.")
    filled = editor.get(f"/desk/releases/new?vorlage={tid}").get_data(as_text=True)
    assert "Sprechstunde der Landrätin" in filled and "Jeden **Mittwoch**." in filled
    [(action, detail)] = _template_audit(tid)
    assert action == "template.updated"
    assert detail.startswith("Sprechstunde → Bürgersprechstunde:") and "Überschrift" in detail
    assert "Vorspann" not in detail  # unchanged fields are not named
    log = logged_in(app, ADMIN).get("/desk/audit/").get_data(as_text=True)
    assert "Vorlage geändert" in log and "template.updated" not in log
    # the same form again changes nothing and writes nothing
    post(editor, edit, data, page=edit)
    assert len(_template_audit(tid)) == 1
    # checked as a release's text: no line break in a one-line field, a name not taken
    broken = post(editor, edit, {**data, "headline": "Zwei\nZeilen"}, page=edit)
    assert broken.status_code == 400 and "Zeilenumbruch" in broken.get_data(as_text=True)
    taken = post(editor, edit, {**data, "name": "Baustelle"}, page=edit)
    assert taken.status_code == 400 and "gibt es schon" in taken.get_data(as_text=True)
    builtin = post(editor, edit, {**data, "name": "Verkehrsmeldung"}, page=edit)
    assert builtin.status_code == 400
    db.session.remove()
    assert db.session.get(ReleaseTemplate, tid).name == "Bürgersprechstunde"
    # another office's member finds no such template, and cannot change it
    other = logged_in(app, "redaktion.lingen@pressdesk.example")
    assert other.get(edit).status_code == 404
    assert post(other, edit, {**data, "name": "Übernommen"}).status_code == 404
    db.session.remove()
    assert db.session.get(ReleaseTemplate, tid).name == "Bürgersprechstunde"
    assert len(_template_audit(tid)) == 1


REFUSED = "redaktion@borkum-aktuell.example"


def _published_with_embargo(app, smtp):  # type: ignore[no-untyped-def]
    """A release sent with a Sperrfrist, its mail delivered to the outlets (the notices go to
    the outlets that got it, so the test waits until the worker has sent it)."""
    publisher = logged_in(app, PUBLISHER)
    rid = write(publisher)
    embargo = (utcnow() + timedelta(hours=2)).replace(second=0, microsecond=0)
    assert post(publisher, f"/desk/releases/{rid}/publish", {
        "lists": default_lists(), "when": "now", "embargo_until": berlin_input(embargo)}
    ).status_code == 302
    version_id = fresh(rid).versions[0].id
    outlets = {r.email for r in db.session.scalars(select(Delivery).where(
        Delivery.version_id == version_id, Delivery.kind == "outlet"))}
    assert len(outlets) == 9
    wait_for(lambda: sum(1 for r in sent_rows(version_id) if r.kind == "outlet")
             == 9 - (REFUSED in smtp.rcpt_replies), timeout=30)
    wait_for(lambda: len(smtp.messages) == 9 - (REFUSED in smtp.rcpt_replies), timeout=30)
    threads = {email.message_from_bytes(m.data, policy=policy.default)["References"]
               for m in smtp.messages}
    assert len(threads) == 1 and None not in threads
    originals.clear()
    originals["thread"] = threads.pop()
    smtp.messages.clear()
    return publisher, rid, embargo, outlets


originals: dict = {}  # "thread": the References of the release's mail as the outlets got it


def _in_the_thread(notices: dict) -> None:  # type: ignore[type-arg]
    """Each notice answers the release's mail (In-Reply-To), and names its thread (References),
    as corrections do."""
    for msg in notices.values():
        assert msg["In-Reply-To"] == originals["thread"]
        assert originals["thread"] in msg["References"].split()
        assert msg["Message-ID"] != originals["thread"]


def _notices(smtp, count: int) -> dict[str, email.message.EmailMessage]:
    """The notice mails as the outlets received them, by recipient."""
    wait_for(lambda: len(smtp.messages) >= count, timeout=30)
    out = {}
    for m in smtp.messages:
        msg = email.message_from_bytes(m.data, policy=policy.default)
        out[m.rcpt_tos[0]] = msg
    assert len(out) == len(smtp.messages) == count
    return out


def _text(msg) -> str:  # type: ignore[no-untyped-def]
    return msg.get_body(("plain",)).get_content()


def test_the_sperrfrist_is_moved_after_sending_and_the_outlets_are_told(app, demo, smtp,
                                                                         celery_worker):
    publisher, rid, embargo, outlets = _published_with_embargo(app, smtp)
    assert 'id="embargo-form"' in publisher.get(f"/desk/releases/{rid}").get_data(as_text=True)
    later = embargo + timedelta(days=1)
    german = later.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M")
    resp = post(publisher, f"/desk/releases/{rid}/embargo", {"embargo_until": german},
                page=f"/desk/releases/{rid}")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    assert fresh(rid).embargo_until == later and fresh(rid).went_public_at is None
    notices = _notices(smtp, 9)
    assert set(notices) == outlets
    assert all(str(n["Subject"]).startswith("SPERRFRIST GEÄNDERT:") for n in notices.values())
    _in_the_thread(notices)
    text = _text(next(iter(notices.values())))
    assert german.replace(" ", ", ") in text or german[:10] in text
    assert actions_logged(rid)[-1] == "release.embargo_moved"
    past = post(publisher, f"/desk/releases/{rid}/embargo",
                {"embargo_until": "01.01.2020 10:00"}, page=f"/desk/releases/{rid}")
    assert past.status_code == 400 and "in der Zukunft" in past.get_data(as_text=True)


def test_the_sperrfrist_is_lifted_and_the_release_is_public_at_once(app, demo, smtp,
                                                                    celery_worker):
    # one outlet refused the release (550): it never got it, so it gets no notice either
    smtp.rcpt_replies[REFUSED] = "550 5.1.1 unknown user"
    publisher, rid, _embargo, outlets = _published_with_embargo(app, smtp)
    release = fresh(rid)
    permalink = f"/presse/landkreis-leer/{release.year}/{release.number}-{release.slug}"
    assert app.test_client().get(permalink).status_code == 404
    resp = post(publisher, f"/desk/releases/{rid}/embargo", {"lift": "1", "embargo_until": ""},
                page=f"/desk/releases/{rid}")
    assert resp.status_code == 302
    assert fresh(rid).went_public_at is not None
    assert app.test_client().get(permalink).status_code == 200
    notices = _notices(smtp, 8)
    assert set(notices) == outlets - {REFUSED}
    assert all(str(n["Subject"]).startswith("SPERRFRIST AUFGEHOBEN:") for n in notices.values())
    _in_the_thread(notices)
    assert "release.embargo_lifted" in actions_logged(rid)
    assert 'id="embargo-form"' not in publisher.get(f"/desk/releases/{rid}").get_data(as_text=True)


def _scheduled(app):  # type: ignore[no-untyped-def]
    publisher = logged_in(app, PUBLISHER)
    rid = write(publisher)
    at = (utcnow() + timedelta(hours=3)).replace(second=0, microsecond=0)
    assert post(publisher, f"/desk/releases/{rid}/publish", {
        "lists": default_lists(), "when": "later", "scheduled_at": berlin_input(at)}
    ).status_code == 302
    return publisher, rid, at


def test_a_scheduled_release_is_edited_and_stays_scheduled(app, demo):
    publisher, rid, at = _scheduled(app)
    page = publisher.get(f"/desk/releases/{rid}/edit")
    assert page.status_code == 200

    data = {"headline": "Kreisstraße 12 erst ab Dienstag gesperrt", "lead": "Neu.",
            "body": "Text", "dateline_place": "Leer"}
    resp = post(publisher, f"/desk/releases/{rid}/edit", data, page=f"/desk/releases/{rid}/edit")
    assert resp.status_code == 302
    release = fresh(rid)
    assert release.status == "scheduled" and release.scheduled_at == at
    assert release.headline == "Kreisstraße 12 erst ab Dienstag gesperrt"
    assert "Bleibt geplant" in publisher.get(f"/desk/releases/{rid}").get_data(as_text=True)
    # an editor may not change what a publisher scheduled
    editor = logged_in(app, EDITOR)
    assert editor.get(f"/desk/releases/{rid}/edit").status_code == 302
    assert fresh(rid).headline == "Kreisstraße 12 erst ab Dienstag gesperrt"


def test_under_four_eyes_editing_a_scheduled_release_asks_for_a_new_approval(app, demo):
    editor = logged_in(app, EDITOR)
    rid = write(editor)
    post(editor, f"/desk/releases/{rid}/submit")
    four_eyes(True)
    publisher = logged_in(app, PUBLISHER)
    post(publisher, f"/desk/releases/{rid}/approve")
    at = utcnow() + timedelta(hours=3)
    post(publisher, f"/desk/releases/{rid}/publish", {
        "lists": default_lists(), "when": "later", "scheduled_at": berlin_input(at)})
    assert fresh(rid).status == "scheduled"
    post(publisher, f"/desk/releases/{rid}/edit", {"headline": "Geändert", "lead": "x",
                                                    "body": "y", "dateline_place": "Leer"},
         page=f"/desk/releases/{rid}/edit")
    release = fresh(rid)
    assert release.status == "in_review" and release.scheduled_at is None


def test_dates_are_typed_in_german_form(app, demo):
    publisher = logged_in(app, PUBLISHER)
    rid = write(publisher)
    page = publisher.get(f"/desk/releases/{rid}").get_data(as_text=True)
    assert 'placeholder="TT.MM.JJJJ HH:MM"' in page and 'type="datetime-local"' not in page
    assert 'data-picker-for="scheduled_at" hidden' in page  # desk.js shows it
    at = (utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)
    german = at.astimezone(BERLIN).strftime("%d.%m.%Y, %H.%M Uhr")
    resp = post(publisher, f"/desk/releases/{rid}/publish",
                {"lists": default_lists(), "when": "later", "scheduled_at": german})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    assert fresh(rid).scheduled_at == at
    rid2 = write(publisher)
    bad = post(publisher, f"/desk/releases/{rid2}/publish/confirm",
               {"lists": default_lists(), "when": "later", "scheduled_at": "31.02.2027 10:00"},
               page=f"/desk/releases/{rid2}")
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert "TT.MM.JJJJ HH:MM" in html and 'value="31.02.2027 10:00"' in html  # kept as typed
    iso = post(publisher, f"/desk/releases/{rid2}/publish/confirm",
               {"lists": default_lists(), "when": "later", "scheduled_at": berlin_input(at)},
               page=f"/desk/releases/{rid2}")
    assert iso.status_code == 200


def test_the_server_reads_german_and_iso_dates_in_german_time(app):
    import pytest

    from pressdesk.releases.workflow import WorkflowError, parse_berlin

    winter = datetime(2026, 11, 24, 8, 30, tzinfo=UTC)  # 09:30 in Leer (CET)
    for typed in ("24.11.2026 09:30", "24.11.2026, 9.30 Uhr", "24.11.2026 um 9:30",
                  " 24.11.2026 09:30 ", "2026-11-24T09:30", "2026-11-24T09:30:00",
                  "2026-11-24 09:30", "2026-11-24T08:30Z"):
        assert parse_berlin(typed) == winter, typed
    # summer time: the same wall clock is another UTC hour
    assert parse_berlin("24.06.2026 09:30") == datetime(2026, 6, 24, 7, 30, tzinfo=UTC)
    assert parse_berlin("2026-06-24T09:30") == datetime(2026, 6, 24, 7, 30, tzinfo=UTC)
    assert parse_berlin("") is None and parse_berlin(None) is None
    # a date alone would be midnight without a word: refused, as are impossible dates
    for typed in ("2026-11-24", "24.11.2026", "31.02.2027 10:00", "2027-02-31T10:00",
                  "20261124T0930", "morgen 10 Uhr", "24.11.2026 25:00"):
        with pytest.raises(WorkflowError, match="TT.MM.JJJJ HH:MM"):
            parse_berlin(typed)
