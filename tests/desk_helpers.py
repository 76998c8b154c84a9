"""Helpers for the desk workflow tests: writing a release through the form, reading back."""

from __future__ import annotations

from sqlalchemy import select

from pressdesk.audit.models import AuditEntry
from pressdesk.extensions import db
from pressdesk.releases.models import Release
from tests.helpers import post


def write(client, **fields: str) -> int:  # type: ignore[no-untyped-def]
    data = {"headline": "Kreisstraße 12 ab Montag gesperrt",
            "subline": "Sanierung zwischen Bunde und Weener", "dateline_place": "Leer",
            "lead": "Die Kreisstraße 12 wird ab Montag für drei Wochen voll gesperrt.",
            "body": "Eine Umleitung über **Boen** ist ausgeschildert.",
            "contact_name": "Anna Eilers", "contact_phone": "0491 926-1180",
            "contact_email": "anna.eilers@landkreis-leer.example"}
    data.update(fields)
    resp = post(client, "/desk/releases/new", data)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return int(resp.headers["Location"].rstrip("/").split("/")[-1])


def default_lists(slug: str = "landkreis-leer") -> list[int]:
    """The lists the publish form ticks by default (the desk never widens an empty choice)."""
    from pressdesk.media.models import DistributionList
    from tests.helpers import office

    return list(db.session.scalars(select(DistributionList.id).where(
        DistributionList.office_id == office(slug).id, DistributionList.is_default.is_(True))))


def fresh(release_id: int) -> Release:
    db.session.remove()
    release = db.session.get(Release, release_id)
    assert release is not None
    return release


def actions_logged(release_id: int) -> list[str]:
    db.session.remove()
    return list(db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.target_type == "release",
                                        AuditEntry.target_id == release_id)
        .order_by(AuditEntry.id)))


def four_eyes(on: bool = True, slug: str = "landkreis-leer") -> None:
    from tests.helpers import office

    o = office(slug)
    o.require_four_eyes = on
    db.session.commit()


def berlin_input(dt) -> str:  # type: ignore[no-untyped-def]
    """A datetime as the browser's datetime-local field sends it, in German time."""
    from pressdesk.text import BERLIN

    return dt.astimezone(BERLIN).strftime("%Y-%m-%dT%H:%M")


def parsed(received):  # type: ignore[no-untyped-def]
    import email
    from email import policy

    return email.message_from_bytes(received.data, policy=policy.default)


def text_part(received) -> str:  # type: ignore[no-untyped-def]
    return parsed(received).get_body(("plain",)).get_content()


def html_part(received) -> str:  # type: ignore[no-untyped-def]
    return parsed(received).get_body(("html",)).get_content()


def sent_rows(version_id: int):  # type: ignore[no-untyped-def]
    from pressdesk.delivery.models import Delivery

    db.session.remove()
    return db.session.scalars(select(Delivery).where(Delivery.version_id == version_id,
                                                     Delivery.state == "sent")).all()
