"""Helpers for the feeds and alerts tests: releases with topics, regions and a lead image."""

from __future__ import annotations

from sqlalchemy import select

from pressdesk.extensions import db
from pressdesk.releases import services
from pressdesk.releases.images import placeholder_jpeg, store
from pressdesk.releases.models import Region, ReleaseImage, ReleaseVersion, Topic
from tests.helpers import draft, office


def vocab(model: type[Topic] | type[Region], office_slug: str, slug: str, name: str):  # type: ignore[no-untyped-def]
    o = office(office_slug)
    row = db.session.scalar(select(model).where(model.office_id == o.id, model.slug == slug))
    if row is None:
        row = model(office_id=o.id, slug=slug, name=name)
        db.session.add(row)
        db.session.commit()
    return row


def publish(headline: str = "Neue Radwege im Rheiderland", office_slug: str = "landkreis-leer",
            topics: tuple[str, ...] = (), regions: tuple[str, ...] = (), image: bool = False,
            **fields: str) -> ReleaseVersion:
    release = draft(office_slug, headline=headline, **fields)
    for t in topics:
        release.topics.append(vocab(Topic, office_slug, t, t.capitalize()))
    for r in regions:
        release.regions.append(vocab(Region, office_slug, r, r.capitalize()))
    if image:
        img = ReleaseImage(release_id=release.id, position=0, filename="bild.jpg",
                           caption="V.l. Anna und Bernd", credit="Foto: Landkreis Leer",
                           alt="Zwei Menschen vor dem Kreishaus")
        store(img, placeholder_jpeg("Testbild", (1300, 900)))
        release.images.append(img)
    db.session.commit()
    published = services.publish_release(release, None)
    db.commit()
    return published
