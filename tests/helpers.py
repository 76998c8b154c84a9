"""Test helpers that build data through the real services."""

from __future__ import annotations

from sqlalchemy import select

from pressdesk.accounts.services import find_user
from pressdesk.extensions import db
from pressdesk.offices.models import Office
from pressdesk.releases import services
from pressdesk.releases.models import Release


def office(slug: str) -> Office:
    return db.session.scalar(select(Office).where(Office.slug == slug))


def draft(slug: str = "landkreis-leer", **fields: str) -> Release:
    data = {"headline": "Neue Radwege im Rheiderland", "subline": "Kreistag beschließt Ausbau",
            "dateline_place": "Leer", "lead": "Der Landkreis baut zwölf Kilometer Radwege.",
            "body": "Die Arbeiten beginnen im **Frühjahr**.\n\n- Bunde\n- Weener"}
    data.update(fields)
    office_ = office(slug)
    author = find_user(f"redaktion.{slug.split('-')[-1]}@pressdesk.example")
    release = services.create_release(office_, author, data)
    db.session.commit()
    return release
