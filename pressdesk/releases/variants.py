"""Message variants of a release version, rendered on the release side before queueing.

The delivery engine sends what it finds: the version's shared bytes or a stored
``MessageVariant``. Which outlet gets which variant is decided here, once per version: images
attached (for outlets that prefer attachments, within their size cap) and/or a newsroom format
attached (NewsML-G2, ninjs or NITF, for outlets whose editorial system ingests it), and for
an invitation its iCalendar file for every outlet (``ical``). Each distinct combination is
rendered once and stored under a name such as ``attachments``, ``attachments+newsml`` or
``ical``.
"""

from __future__ import annotations

from email import message_from_bytes
from email.policy import SMTP

from sqlalchemy import select

from pressdesk.delivery.models import MessageVariant
from pressdesk.delivery.queue import Recipient
from pressdesk.delivery.render import Attachment, header_blocks, with_attachments
from pressdesk.extensions import db
from pressdesk.media.models import ATTACH_FORMATS, Outlet
from pressdesk.releases.images import image_path
from pressdesk.releases.models import ReleaseVersion

ATTACHMENTS = "attachments"  # the variant with the release's images attached
TEXT = "text"  # the text part only (outlets that chose "text only"); combines with the others


def text_only(shared: bytes) -> bytes:
    """The shared message with its text/plain part alone (no HTML alternative). The headers
    are kept byte for byte; the text part's bytes too (the link-token mark stays findable)."""
    head, _sep, _body = shared.partition(b"\r\n\r\n")
    kept = [b for b in header_blocks(head)
            if b.split(b":", 1)[0].strip().lower() not in (b"content-type",
                                                           b"content-transfer-encoding")]
    msg = message_from_bytes(shared, policy=SMTP)
    plain = msg.get_body(("plain",)) if msg.is_multipart() else msg
    if plain is None:
        return shared
    return b"\r\n".join(kept) + b"\r\n" + plain.as_bytes(policy=SMTP)
CALENDAR = "ical"  # an invitation's calendar file attached


def _image_files(version: ReleaseVersion) -> list[Attachment]:
    files = []
    for img in version.release.images:
        path = image_path(img, "original")
        if path.is_file():
            files.append(Attachment(img.filename, img.content_type or "image/jpeg", path.read_bytes()))
    return files


def _format_file(version: ReleaseVersion, fmt: str) -> Attachment:
    from pressdesk.formats import services as formats  # formats reads the presenter too
    from pressdesk.releases.presenter import present

    media_type, filename = formats.FORMATS[fmt]
    return Attachment(filename, media_type, formats.render(present(version), fmt))


def _calendar_file(version: ReleaseVersion) -> Attachment | None:
    """The invitation's iCalendar (REQUEST, or CANCEL once called off) for this version."""
    from pressdesk.invitations import ical
    from pressdesk.releases.presenter import present

    if getattr(version, "appointment_snapshot", None) is None:  # not an invitation
        return None
    appointment = present(version).appointment
    if appointment is None:
        return None
    return Attachment(ical.FILENAME, ical.CONTENT_TYPE, ical.invitation(appointment),
                      params=(("method", ical.method_for(appointment)), ("charset", "utf-8")))


def with_variants(version: ReleaseVersion, recipients: list[Recipient]) -> list[Recipient]:
    """The recipients, each with the variant it gets (everyone else gets the shared message
    with image links). An invitation's calendar file goes to every outlet, in every variant."""
    ids = [r.outlet_id for r in recipients if r.outlet_id is not None]
    if not recipients or not version.mail_bytes:
        return recipients
    calendar = _calendar_file(version)
    # The office's outlets with a wish (few), matched here: an IN over every recipient's id
    # would take one bind parameter each (PostgreSQL refuses more than 65,535).
    wanted = set(ids)
    wishes = [w for w in db.session.execute(
        select(Outlet.id, Outlet.prefers_attachments, Outlet.max_attachment_kb, Outlet.attach_format,
               Outlet.text_only)
        .where(Outlet.office_id == version.release.office_id,
               (Outlet.prefers_attachments.is_(True)) | (Outlet.attach_format != "")
               | Outlet.text_only.is_(True))
    ).all() if w.id in wanted] if ids else []
    if not wishes and calendar is None:
        return recipients
    images = _image_files(version) if any(w.prefers_attachments for w in wishes) else []
    rendered: dict[str, bytes] = {}  # variant name -> message

    def variant(with_images: bool, fmt: str, text: bool = False) -> str:
        name = "+".join(part for part in (TEXT if text else "", ATTACHMENTS if with_images else "",
                                          fmt, CALENDAR if calendar else "") if part)
        if name not in rendered:
            files = ((images if with_images else []) + ([_format_file(version, fmt)] if fmt else [])
                     + ([calendar] if calendar else []))
            base = text_only(version.mail_bytes or b"") if text else version.mail_bytes or b""
            rendered[name] = with_attachments(base, files) if files else base
        return name

    default = variant(False, "") if calendar else ""
    chosen: dict[int, str] = {}
    for w in wishes:
        fmt = w.attach_format if w.attach_format in ATTACH_FORMATS else ""
        name = ""
        text = bool(w.text_only)
        if w.prefers_attachments and images:
            name = variant(True, fmt, text)
            if len(rendered[name]) > w.max_attachment_kb * 1024:  # too large: links instead
                name = ""
        if not name and (fmt or text):
            name = variant(False, fmt, text)
        if name:
            chosen[w.id] = name
    for name in set(chosen.values()) | ({default} if default else set()):
        db.session.add(MessageVariant(version_id=version.id, name=name, mail_bytes=rendered[name]))
    return [r._replace(variant=chosen[r.outlet_id]) if r.outlet_id in chosen
            else r._replace(variant=default) if default else r
            for r in recipients]
