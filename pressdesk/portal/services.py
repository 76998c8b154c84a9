"""What the public may see: published releases of every office."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, or_, select

from pressdesk.db import utcnow
from pressdesk.extensions import db
from pressdesk.offices.models import Office
from pressdesk.releases.models import Release, ReleaseStatus


def visible() -> ColumnElement[bool]:
    """The one rule for what the public sees: published, and any embargo over."""
    return and_(Release.status == ReleaseStatus.PUBLISHED.value,
                or_(Release.embargo_until.is_(None), Release.embargo_until <= utcnow()))


def public_releases(office_id: int | None = None) -> Select[tuple[Release]]:
    q = select(Release).where(visible())
    if office_id is not None:
        q = q.where(Release.office_id == office_id)
    return q.order_by(Release.published_at.desc(), Release.id.desc())


def latest(office_id: int | None = None, limit: int = 30) -> list[Release]:
    return list(db.session.scalars(public_releases(office_id).limit(limit)))


def office_by_slug(slug: str) -> Office | None:
    return db.session.scalar(select(Office).where(Office.slug == slug))


def public_release(office: Office, year: int, number: int) -> Release | None:
    return db.session.scalar(
        public_releases(office.id).where(Release.year == year, Release.number == number)
    )
