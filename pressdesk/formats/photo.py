"""IPTC photo metadata in every image file the portal serves (print original and web
rendition): caption, credit line, creator, copyright notice, usage terms, alt text and the
release's permalink, in IPTC IIM (JPEG) and XMP, written with exiftool.

The upload's own metadata is kept, except GPS positions and camera/lens serial numbers, which
are removed (they tell where a photographer was and which camera they own) unless the office
chose to keep them (``Office.strip_photo_locations``). The tagged copy is
made once per file and metadata (the name holds a hash of both) beside the stored rendition, so
a changed caption gives a new copy, and removing the image removes its copies with its folder.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path

from pressdesk.formats import common
from pressdesk.releases.models import ReleaseImage
from pressdesk.releases.presenter import PublicImage, PublicRelease, present

log = logging.getLogger(__name__)
EXIFTOOL = "exiftool"
_CREDIT_PREFIX = re.compile(r"^(foto|fotos|bild|bilder|grafik|photo)\s*:\s*", re.IGNORECASE)
# What goes, whatever the upload carried.
STRIP = ("-gps:all=", "-xmp:gps*=", "-*serialnumber*=")


def metadata(p: PublicRelease, img: PublicImage) -> dict[str, str]:
    """The values written into the file (IPTC Photo Metadata names)."""
    creator = _CREDIT_PREFIX.sub("", img.credit).strip() or p.office.name
    return {
        "description": img.caption,
        "credit": img.credit or p.office.name,
        "creator": creator,
        "copyright": f"© {p.published.year} {creator}",
        "usage_terms": img.rights or common.USAGE_TERMS,
        "alt": img.alt,
        "source": p.office.name,
        "permalink": p.permalink,
    }


def _arguments(meta: dict[str, str], with_iim: bool, strip: bool = True) -> list[str]:
    args = ["-q", "-m", *(STRIP if strip else ()),
            f"-XMP-dc:Description={meta['description']}",
            f"-XMP-dc:Creator={meta['creator']}",
            f"-XMP-dc:Rights={meta['copyright']}",
            f"-XMP-photoshop:Credit={meta['credit']}",
            f"-XMP-photoshop:Source={meta['source']}",
            f"-XMP-xmpRights:UsageTerms={meta['usage_terms']}",
            f"-XMP-xmpRights:WebStatement={meta['permalink']}",
            f"-XMP-iptcCore:AltTextAccessibility={meta['alt']}"]
    if with_iim:  # IIM has no fields for alt text or a URL: usage terms and permalink share one
        args += ["-charset", "iptc=UTF8", "-IPTC:CodedCharacterSet=UTF8",
                 f"-IPTC:Caption-Abstract={meta['description']}",
                 f"-IPTC:Credit={meta['credit']}",
                 f"-IPTC:By-line={meta['creator']}",
                 f"-IPTC:CopyrightNotice={meta['copyright']}",
                 f"-IPTC:Source={meta['source']}",
                 f"-IPTC:SpecialInstructions={meta['usage_terms']} {meta['permalink']}".strip()]
    return args


def tagged(img: ReleaseImage, rendition: str, path: Path) -> Path:
    """The file to send for ``path`` (the stored rendition): its tagged copy, made on first
    use; ``path`` itself for a draft's image, or when exiftool is missing or fails (the photo
    is still served: metadata is an extra, not a condition)."""
    published = img.release.versions  # none for a draft (the desk's preview)
    exiftool = shutil.which(EXIFTOOL)
    if not published or exiftool is None:
        if exiftool is None:
            log.warning("exiftool not found: images are served without IPTC metadata")
        return path
    p = present(published[-1])
    public = next((i for i in p.images if i.id == img.public_id), None)
    if public is None:
        return path
    meta = metadata(p, public)
    strip = img.release.office.strip_photo_locations
    stat = path.stat()
    key = hashlib.sha256(json.dumps([meta, strip, stat.st_size, stat.st_mtime_ns],
                                    sort_keys=True).encode()).hexdigest()[:16]
    target = path.parent / "tagged" / f"{rendition}-{key}{path.suffix}"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.stem}-{uuid.uuid4().hex}{target.suffix}")  # per request
    cmd = [exiftool, *_arguments(meta, with_iim=path.suffix.lower() in (".jpg", ".jpeg"),
                                 strip=strip),
           "-o", str(tmp), str(path)]
    try:
        subprocess.run(cmd, check=True, capture_output=True, timeout=30)
        os.replace(tmp, target)
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("exiftool failed on %s: %s", path, exc)
        tmp.unlink(missing_ok=True)
        return path
    return target


def served_size(img: ReleaseImage, rendition: str = "original") -> int:
    """The size of the file the portal sends for this rendition (with its metadata), for a
    feed's enclosure length."""
    from pressdesk.releases.images import image_path

    path = image_path(img, rendition)
    if not path.exists():
        return img.size_bytes
    return tagged(img, rendition, path).stat().st_size
