"""Is this photo the one an office published? A difference hash of the pixels (metadata and
re-compression do not change it, a retouch does), looked up first in the release the file's
own XMP names (``xmpRights:WebStatement``: the permalink the portal writes into every image
it serves), else among the most recent public photos."""

from __future__ import annotations

import io
import re
from pathlib import Path

from PIL import Image, UnidentifiedImageError
from sqlalchemy import select

from pressdesk.extensions import db
from pressdesk.formats import checking, services
from pressdesk.formats.matching import Finding
from pressdesk.releases.images import image_path
from pressdesk.releases.models import Release, ReleaseImage
from pressdesk.releases.presenter import present

SAME = 6  # differing bits (of 64) still counted as the same picture
RECENT = 300  # photos compared when the file names no release
_WEB_STATEMENT = re.compile(
    rb"xmpRights:WebStatement(?:>|=\")\s*(https?://[^<\"\s]+)")


class NotAnImage(ValueError):
    pass


def dhash(source: bytes | Path) -> int:
    """64-bit difference hash of the picture (9×8 grey, left-right gradients)."""
    try:
        with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as im:
            im.draft("L", (160, 160))  # JPEG: decode at a fraction of the size
            grey = im.convert("L").resize((9, 8), Image.Resampling.LANCZOS).tobytes()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise NotAnImage(str(exc)) from exc
    bits = 0
    for row in range(8):
        for col in range(8):
            bits = (bits << 1) | (grey[row * 9 + col] > grey[row * 9 + col + 1])
    return bits


def _distance(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def _same(img: ReleaseImage, h: int) -> bool:
    path = image_path(img, "web")
    try:
        return path.exists() and _distance(dhash(path), h) <= SAME
    except NotAnImage:
        return False


def _finding(release: Release, img: ReleaseImage, verdict: str) -> Finding:
    texts = [v for v in release.versions if v.kind != "withdrawal"]
    return Finding(verdict, present(texts[-1]), present(release.versions[-1]),
                   score=1.0 if verdict == "match" else 0.0, image_caption=img.caption or img.alt)


def check_image(data: bytes) -> Finding:
    h = dhash(data)  # NotAnImage for anything else
    named = _WEB_STATEMENT.search(data[:512 * 1024])
    if named:
        try:
            said = checking.check_url(named.group(1).decode("ascii", "replace"))
        except checking.NotThisPortal:
            said = Finding("unknown")
        if said.version is not None:
            release = services.by_public_id(said.version.id)
            if release is not None:
                for img in release.images:
                    if _same(img, h):
                        return _finding(release, img, "match")
                if release.images:  # the file names this release, but its pixels differ
                    return _finding(release, release.images[0], "image_differs")
    recent = db.session.scalars(
        select(ReleaseImage).join(Release).where(services.servable())
        .order_by(ReleaseImage.id.desc()).limit(RECENT))
    for img in recent:
        if _same(img, h):
            return _finding(img.release, img, "match")
    return Finding("unknown")
