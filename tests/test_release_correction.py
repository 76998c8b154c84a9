"""Corrections and withdrawals after publication: new versions, follow-up mail to the outlets
that received the release, the portal's current text, 410 and feed removal on withdrawal."""

import feedparser

from tests.conftest import wait_for
from tests.desk_helpers import (
    actions_logged,
    default_lists,
    fresh,
    html_part,
    parsed,
    sent_rows,
    text_part,
    write,
)
from tests.helpers import EDITOR, PUBLISHER, logged_in, post

REST = "\n\nDie Arbeiten dauern drei Wochen.\n\nAuskunft gibt das Straßenbauamt."
BODY = "Die Umleitung führt über **Boen**." + REST
NEW_BODY = "Die Umleitung führt über **Bunde**." + REST
REFUSED = "redaktion@borkum-aktuell.example"


def _published(app, smtp):  # type: ignore[no-untyped-def]
    """A release published by the publisher; one outlet refuses it (550) and so never got it."""
    smtp.rcpt_replies[REFUSED] = "550 5.1.1 unknown user"
    publisher = logged_in(app, PUBLISHER)
    rid = write(publisher, body=BODY)
    assert post(publisher, f"/desk/releases/{rid}/publish", {"lists": default_lists(),
                                                             "when": "now"}).status_code == 302
    v1 = fresh(rid).versions[0].id
    wait_for(lambda: len(sent_rows(v1)) == 8, timeout=30)
    wait_for(lambda: len(smtp.messages) == 8, timeout=30)
    originals.clear()
    originals.update({m.rcpt_tos[0]: parsed(m) for m in smtp.messages})
    smtp.messages.clear()
    return publisher, rid


originals: dict = {}  # recipient -> the original mail as received (by _published)


def _permalink(release) -> str:  # type: ignore[no-untyped-def]
    return f"/presse/landkreis-leer/{release.year}/{release.number}-{release.slug}"


def test_correction_mails_what_changed_to_the_outlets_that_got_it(app, demo, smtp, celery_worker):
    publisher, rid = _published(app, smtp)
    form = publisher.get(f"/desk/releases/{rid}/edit").get_data(as_text=True)
    assert "Korrektur veröffentlichen und versenden" in form
    resp = post(publisher, f"/desk/releases/{rid}/edit", {
        "headline": "Kreisstraße 12 ab Dienstag gesperrt", "dateline_place": "Leer",
        "subline": "Sanierung zwischen Bunde und Weener",
        "lead": "Die Kreisstraße 12 wird ab Montag für drei Wochen voll gesperrt.",
        "body": NEW_BODY, "contact_name": "Anna Eilers", "contact_phone": "0491 926-1180",
        "contact_email": "anna.eilers@landkreis-leer.example"})
    assert resp.status_code == 302 and "/deliveries" in resp.headers["Location"]
    release = fresh(rid)
    assert [v.kind for v in release.versions] == ["publish", "correction"]
    v2 = release.versions[1]
    assert v2.headline == "Kreisstraße 12 ab Dienstag gesperrt"
    wait_for(lambda: len(sent_rows(v2.id)) == 8, timeout=30)
    wait_for(lambda: len(smtp.messages) == 8, timeout=30)
    assert REFUSED not in {m.rcpt_tos[0] for m in smtp.messages}
    for m in smtp.messages:
        assert parsed(m)["Subject"].startswith("Korrektur: Kreisstraße 12 ab Dienstag gesperrt")
        text = text_part(m)
        assert text.startswith("KORREKTUR dieser Mitteilung.")
        assert "Geändert: Überschrift, Text." in text
        text = text.replace("\r\n", "\n")
        # Readable before/after paragraphs, no diff notation and no Markdown markers.
        assert ("Überschrift\nvorher: Kreisstraße 12 ab Montag gesperrt\n"
                "nachher: Kreisstraße 12 ab Dienstag gesperrt") in text
        assert ("Text, 1. Absatz\nvorher: Die Umleitung führt über Boen.\n"
                "nachher: Die Umleitung führt über Bunde.") in text
        head = text.split("Pressemitteilung")[0]
        assert "Die Arbeiten dauern" not in head  # unchanged: not repeated
        assert "@@" not in head and "\n+" not in head and "\n-" not in head and "**" not in head
        html = html_part(m)
        assert "<strong>vorher:</strong> Die Umleitung führt über Boen." in html
        assert "<strong>nachher:</strong> Die Umleitung führt über Bunde." in html
        assert "<pre" not in html
        # The correction threads with the original this outlet received.
        original, msg = originals[m.rcpt_tos[0]], parsed(m)
        assert original["References"] and original["In-Reply-To"] is None
        assert msg["In-Reply-To"] == original["References"]
        assert original["References"] in msg["References"].split()
        assert msg["Message-ID"] != original["Message-ID"]
    assert v2.change_summary.startswith("Geändert: Überschrift, Text.")
    assert "release.corrected" in actions_logged(rid)

    page = app.test_client().get(_permalink(release), follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "Kreisstraße 12 ab Dienstag gesperrt" in text and "<strong>Bunde</strong>" in text
    assert "<strong>Boen</strong>" not in text


def test_unchanged_correction_sends_nothing(app, demo, smtp, celery_worker):
    publisher, rid = _published(app, smtp)
    release = fresh(rid)
    resp = post(publisher, f"/desk/releases/{rid}/edit", {
        "headline": release.headline, "subline": release.subline,
        "dateline_place": release.dateline_place, "lead": release.lead, "body": release.body,
        "contact_name": release.contact_name, "contact_phone": release.contact_phone,
        "contact_email": release.contact_email})
    assert resp.status_code == 400 and "unverändert" in resp.get_data(as_text=True)
    assert len(fresh(rid).versions) == 1


def test_editor_may_not_correct_or_withdraw(app, demo, smtp, celery_worker):
    _publisher, rid = _published(app, smtp)
    editor = logged_in(app, EDITOR)
    assert editor.get(f"/desk/releases/{rid}/edit").status_code == 403
    assert post(editor, f"/desk/releases/{rid}/edit", {"headline": "Gekapert"}).status_code == 403
    assert post(editor, f"/desk/releases/{rid}/withdraw").status_code == 403
    page = editor.get(f"/desk/releases/{rid}").get_data(as_text=True)
    assert 'id="correct-button"' not in page and 'id="withdraw-button"' not in page
    release = fresh(rid)
    assert release.status == "published" and release.headline != "Gekapert"


def test_withdrawal_mails_outlets_and_takes_it_off_portal_and_feeds(app, demo, smtp, celery_worker):
    publisher, rid = _published(app, smtp)
    release = fresh(rid)
    public = app.test_client()
    assert public.get(_permalink(release)).status_code == 200
    assert 'id="withdraw-button"' in publisher.get(f"/desk/releases/{rid}").get_data(as_text=True)

    resp = post(publisher, f"/desk/releases/{rid}/withdraw",
                {"reason": "Der Termin wurde vom Straßenbauamt abgesagt."})
    assert resp.status_code == 302
    release = fresh(rid)
    assert release.status == "withdrawn" and release.withdrawn_at is not None
    v = release.versions[-1]
    assert v.kind == "withdrawal"
    wait_for(lambda: len(sent_rows(v.id)) == 8, timeout=30)
    wait_for(lambda: len(smtp.messages) == 8, timeout=30)
    for m in smtp.messages:
        assert parsed(m)["Subject"].startswith("Zurückgezogen: Kreisstraße 12")
        text = text_part(m)
        assert text.startswith("ZURÜCKGEZOGEN:")
        assert "Begründung: Der Termin wurde vom Straßenbauamt abgesagt." in text

    gone = public.get(_permalink(release))
    assert gone.status_code == 410 and "zurückgezogen" in gone.get_data(as_text=True)
    assert "Kreisstraße 12" not in public.get("/").get_data(as_text=True)
    for url in ("/feed.rss", "/feed.atom"):
        feed = feedparser.parse(public.get(url).data)
        assert all("Kreisstraße 12" not in e.title for e in feed.entries)
    assert "release.withdrawn" in actions_logged(rid)
    # a withdrawn release is final
    assert post(publisher, f"/desk/releases/{rid}/withdraw").status_code == 302
    assert len(fresh(rid).versions) == 2
    edit = publisher.get(f"/desk/releases/{rid}/edit", follow_redirects=True)
    assert "nicht möglich" in edit.get_data(as_text=True)


def test_withdrawn_under_embargo_was_never_public_and_answers_404(app, demo):
    from datetime import timedelta

    from pressdesk.accounts.services import find_user
    from pressdesk.db import utcnow
    from pressdesk.extensions import db
    from pressdesk.releases import services, workflow
    from tests.helpers import draft

    release = draft()
    release.embargo_until = utcnow() + timedelta(hours=4)
    db.session.commit()
    services.publish_release(release, None)
    db.commit()
    workflow.withdraw(release, find_user(PUBLISHER), "")
    db.commit()
    release = fresh(release.id)
    assert release.status == "withdrawn" and release.went_public_at is None
    assert app.test_client().get(_permalink(release)).status_code == 404
    assert app.test_client().get("/presse/landkreis-leer/2020/99-nichts").status_code == 404
