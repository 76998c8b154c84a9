"""Message variants of a release version, rendered on the release side before queueing.

The delivery engine sends what it finds: the version's shared bytes or a stored
``MessageVariant``. Which outlet gets which variant is decided here, once per version.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from pressdesk.delivery.models import MessageVariant
from pressdesk.delivery.queue import Recipient
from pressdesk.delivery.render import Attachment, with_attachments
from pressdesk.extensions import db
from pressdesk.media.models import Outlet
from pressdesk.releases.images import image_path
from pressdesk.releases.models import ReleaseVersion

ATTACHMENTS = "attachments"  # the variant with the release's images attached


def with_variants(version: ReleaseVersion, recipients: list[Recipient]) -> list[Recipient]:
    """The recipients, each with the variant it gets.

    Outlets that prefer attachments get the images attached (rendered once, stored as the
    "attachments" variant) when the message fits their size cap; everyone else gets the links.
    """
    ids = [r.outlet_id for r in recipients if r.outlet_id is not None]
    images = list(version.release.images)
    if not ids or not images or not version.mail_bytes:
        return recipients
    wanting = db.session.execute(
        select(Outlet.id, Outlet.max_attachment_kb)
        .where(Outlet.id.in_(ids), Outlet.prefers_attachments.is_(True))
    ).all()
    if not wanting:
        return recipients
    files = []
    for img in images:
        path = image_path(img, "original")
        if path.is_file():
            files.append(Attachment(img.filename, img.content_type or "image/jpeg", path.read_bytes()))
    if not files:
        return recipients
    data = with_attachments(version.mail_bytes, files)
    fits = {oid for oid, cap_kb in wanting if len(data) <= cap_kb * 1024}
    if not fits:
        return recipients
    db.session.add(MessageVariant(version_id=version.id, name=ATTACHMENTS, mail_bytes=data))
    return [replace(r, variant=ATTACHMENTS) if r.outlet_id in fits else r for r in recipients]
