"""The office's logo: checked by its bytes and re-encoded with Pillow, stored in the media
folder the release images use (``releases.images``), served at one address per office.

Only JPEG and PNG are taken (an SVG can carry script); whatever comes in is decoded and written
anew as a PNG of at most ``MAX_BOX`` pixels, so nothing of the uploaded file but its pixels is
ever served. A new upload gets a new public id (a new folder); the old folder goes once the
change is committed.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from flask_babel import gettext as _
from PIL import Image

from pressdesk.accounts.models import User
from pressdesk.audit.services import record
from pressdesk.db import after_commit
from pressdesk.extensions import db
from pressdesk.offices.models import Office
from pressdesk.portal.pages import office_changed
from pressdesk.urls import external_url

MAX_BYTES = 2 * 1024 * 1024
MAX_BOX = (600, 240)  # wide logos stay sharp at about 60 px height on a high-density screen


class LogoError(ValueError):
    """An upload that is not a usable logo; the message is shown as is."""


def logo_path(logo_id: str) -> Path:
    from pressdesk.releases.images import media_dir

    return media_dir() / logo_id / "logo.png"


def logo_url(office: Office) -> str:
    """The public address of the office's logo ("" without one). The address is the office's
    for good; ``v`` names the stored file, so a browser asks again after a change."""
    if not office.logo_id:
        return ""
    return external_url("portal.office_logo", office_slug=office.slug, v=office.logo_id[:12])


def reencode(data: bytes) -> tuple[bytes, int, int]:
    """The upload as a PNG within ``MAX_BOX`` (transparency kept), with its size."""
    from pressdesk.releases.images import ImageError, inspect

    if len(data) > MAX_BYTES:
        raise LogoError(_("Das Logo ist zu groß (höchstens 2 MB)."))
    try:
        inspect(data)  # the release images' check: real content, pixel cap before decoding
    except ImageError as exc:
        raise LogoError(_("Das Logo muss ein PNG- oder JPEG-Bild sein (kein SVG, kein PDF). "
                          "Bitte eine andere Datei wählen.")) from exc
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            has_alpha = "A" in im.getbands() or "transparency" in im.info
            out = im.convert("RGBA" if has_alpha else "RGB")
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise LogoError(_("Die Datei ist beschädigt und kann nicht als Logo gelesen werden.")
                        ) from exc
    out.thumbnail(MAX_BOX, Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    out.save(buf, "PNG", optimize=True)
    return buf.getvalue(), out.width, out.height


def _remove_after_commit(logo_id: str) -> None:
    if logo_id:
        after_commit(db.session(), lambda: shutil.rmtree(logo_path(logo_id).parent,
                                                         ignore_errors=True))


def set_logo(office: Office, user: User | None, data: bytes) -> None:
    """Check, re-encode and store a new logo for ``office`` (the caller's transaction)."""
    from pressdesk.releases.models import new_public_id

    png, width, height = reencode(data)
    new_id = new_public_id()
    target = logo_path(new_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(png)
    _remove_after_commit(office.logo_id)
    office.logo_id, office.logo_width, office.logo_height = new_id, width, height
    office_changed()
    record(office.id, user, "office.settings", "office", office.id, "Logo")


def remove_logo(office: Office, user: User | None) -> None:
    if not office.logo_id:
        return
    _remove_after_commit(office.logo_id)
    office.logo_id, office.logo_width, office.logo_height = "", 0, 0
    office_changed()
    record(office.id, user, "office.settings", "office", office.id, "Logo entfernt")
