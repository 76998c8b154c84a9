"""Returning with a comment, and the workflow mail to publishers and authors (switchable)."""

from __future__ import annotations

import email
from email import policy

from sqlalchemy import select

from pressdesk.accounts.services import find_user
from pressdesk.delivery.models import Delivery
from pressdesk.extensions import db
from tests.desk_helpers import actions_logged, default_lists, fresh, write
from tests.helpers import ADMIN, EDITOR, PUBLISHER, logged_in, post


def _mails() -> dict[str, list[tuple[str, str]]]:
    """Service mail queued so far: address -> [(subject, text)]."""
    db.session.remove()
    found: dict[str, list[tuple[str, str]]] = {}
    for row in db.session.scalars(select(Delivery).where(Delivery.kind == "service")
                                  .order_by(Delivery.id)):
        msg = email.message_from_bytes(row.payload, policy=policy.default)
        found.setdefault(row.email, []).append(
            (str(msg["Subject"]), msg.get_body(("plain",)).get_content()))
    return found


def _submitted(app) -> int:  # type: ignore[no-untyped-def]
    editor = logged_in(app, EDITOR)
    rid = write(editor)
    assert post(editor, f"/desk/releases/{rid}/submit").status_code == 302
    return rid


def test_submitting_mails_everyone_who_may_approve_but_not_the_submitter(app, demo):
    rid = _submitted(app)
    mails = _mails()
    assert set(mails) == {PUBLISHER, ADMIN}
    subject, text = mails[PUBLISHER][0]
    assert subject == "Zur Freigabe: Kreisstraße 12 ab Montag gesperrt"
    assert "Hanna Janssen hat eine Mitteilung" in text
    assert f"/desk/releases/{rid}" in text and "/desk/account/" in text


def test_returning_needs_a_comment_the_author_sees_and_gets(app, demo):
    rid = _submitted(app)
    publisher = logged_in(app, PUBLISHER)
    empty = post(publisher, f"/desk/releases/{rid}/reject", {"comment": "  "})
    assert empty.status_code == 400 and "was geändert werden soll" in empty.get_data(as_text=True)
    assert fresh(rid).status == "in_review"
    too_long = post(publisher, f"/desk/releases/{rid}/reject", {"comment": "x" * 2001})
    assert too_long.status_code == 400 and "x" * 2001 in too_long.get_data(as_text=True)
    comment = "Bitte die Umleitung über Boen genauer beschreiben.\nUnd die Dauer nennen."
    assert post(publisher, f"/desk/releases/{rid}/reject", {"comment": comment}
                ).status_code == 302
    assert fresh(rid).status == "draft" and fresh(rid).return_comment == comment
    page = logged_in(app, EDITOR).get(f"/desk/releases/{rid}").get_data(as_text=True)
    assert 'id="return-comment-banner"' in page and "Gerd Oltmanns" in page
    assert "Bitte die Umleitung über Boen genauer beschreiben." in page
    subject, text = _mails()[EDITOR][-1]
    assert subject == "Zur Überarbeitung zurück: Kreisstraße 12 ab Montag gesperrt"
    assert "Gerd Oltmanns hat Ihre Mitteilung" in text and "Und die Dauer nennen." in text
    assert actions_logged(rid)[-1] == "release.returned"
    # Submitted again: the comment is done with.
    post(logged_in(app, EDITOR), f"/desk/releases/{rid}/submit")
    assert fresh(rid).return_comment == ""
    page = logged_in(app, EDITOR).get(f"/desk/releases/{rid}").get_data(as_text=True)
    assert 'id="return-comment-banner"' not in page


def test_the_author_hears_of_approval_and_publication(app, demo):
    rid = _submitted(app)
    publisher = logged_in(app, PUBLISHER)
    post(publisher, f"/desk/releases/{rid}/approve")
    assert post(publisher, f"/desk/releases/{rid}/publish",
                {"lists": default_lists(), "when": "now"}).status_code == 302
    subjects = [s for s, _t in _mails()[EDITOR]]
    assert subjects == ["Freigegeben: Kreisstraße 12 ab Montag gesperrt",
                        "Veröffentlicht: Kreisstraße 12 ab Montag gesperrt"]
    assert [s for s, _t in _mails()[PUBLISHER]] == ["Zur Freigabe: Kreisstraße 12 ab Montag "
                                                    "gesperrt"]


def test_each_kind_of_mail_can_be_switched_off(app, demo):
    editor_user = find_user(EDITOR)
    editor_user.notify_approved = False
    find_user(PUBLISHER).notify_submitted = False
    db.session.commit()
    rid = _submitted(app)
    publisher = logged_in(app, PUBLISHER)
    post(publisher, f"/desk/releases/{rid}/approve")
    post(publisher, f"/desk/releases/{rid}/publish", {"lists": default_lists(), "when": "now"})
    mails = _mails()
    assert PUBLISHER not in mails
    assert [s for s, _t in mails[EDITOR]] == ["Veröffentlicht: Kreisstraße 12 ab Montag gesperrt"]
