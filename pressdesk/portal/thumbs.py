"""The lead image of each release on one listing page, for the list's thumbnails."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from pressdesk.extensions import db
from pressdesk.releases.models import Release, ReleaseImage


def lead_images(releases: Sequence[Release]) -> dict[int, ReleaseImage]:
    """release id -> its first image, for the page's releases only: one query."""
    ids = [r.id for r in releases]
    if not ids:
        return {}
    found: dict[int, ReleaseImage] = {}
    for img in db.session.scalars(select(ReleaseImage).where(ReleaseImage.release_id.in_(ids))
                                  .order_by(ReleaseImage.release_id, ReleaseImage.position)):
        found.setdefault(img.release_id, img)
    return found
