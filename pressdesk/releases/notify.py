"""Workflow mail to the desk's own people: a release waits for approval, was returned, approved
or published. Each person switches each kind on their account page (``User.notify_<kind>``);
nobody gets mail about their own step. Queued as service mail through ``accounts.mail``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pressdesk.accounts.mail import send_desk_mail
from pressdesk.accounts.models import User
from pressdesk.extensions import db
from pressdesk.releases.models import Release

KINDS = ("submitted", "returned", "approved", "published")
_SUBJECTS = {
    "submitted": "Zur Freigabe: {headline}",
    "returned": "Zur Überarbeitung zurück: {headline}",
    "approved": "Freigegeben: {headline}",
    "published": "Veröffentlicht: {headline}",
}


def authors(release: Release) -> list[User]:
    """Who wrote the release and who submitted it (the people a decision is news for)."""
    ids = [i for i in (release.created_by_id, release.submitted_by_id) if i]
    return [u for i in dict.fromkeys(ids) if (u := db.session.get(User, i)) is not None]


def send(kind: str, release: Release, people: Iterable[User], by: User | None,
         **context: Any) -> list[str]:
    """Mail ``people`` (active members of the release's office who want this kind, never the
    person who acted) about ``kind``. Returns the addresses written to."""
    from pressdesk.urls import external_url

    assert kind in KINDS
    url = external_url("releases.show", release_id=release.id)
    sent = []
    for user in people:
        if (by is not None and user.id == by.id) or not user.active \
                or user.role_in(release.office_id) is None \
                or not getattr(user, f"notify_{kind}"):
            continue
        send_desk_mail(user.email, user.name,
                       _SUBJECTS[kind].format(headline=release.headline),
                       f"desk/mail/{kind}.txt", release=release, by=getattr(by, "name", ""),
                       office=release.office.name, url=url,
                       settings_url=external_url("accounts.account"), **context)
        sent.append(user.email)
    return sent
