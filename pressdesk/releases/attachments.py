"""Release attachments (PDF, office documents): judged by content, kept with their own name.

The type comes from the file's bytes (``filetype`` reads the magic numbers and looks inside the
ZIP container of OOXML and OpenDocument files), never from the name or the browser's claim.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import filetype

from pressdesk.config import settings
from pressdesk.releases import images
from pressdesk.releases.images import media_dir
from pressdesk.releases.models import Release, ReleaseAttachment, new_public_id
from pressdesk.text import file_size

ALLOWED = {
    "application/pdf": "PDF",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word (docx)",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel (xlsx)",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation":
        "PowerPoint (pptx)",
    "application/vnd.oasis.opendocument.text": "OpenDocument-Text (odt)",
    "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument-Tabelle (ods)",
    "application/vnd.oasis.opendocument.presentation": "OpenDocument-Präsentation (odp)",
}
ALLOWED_TEXT = "PDF, docx, xlsx, pptx, odt, ods, odp"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class AttachmentError(ValueError):
    """An upload that cannot be attached; the message is for the user."""


def clean_filename(name: str) -> str:
    """The user's file name without any path, control characters or line breaks, umlauts kept.

    NFC so that "Ä" from a Mac (sent decomposed) and from Windows compare and display alike.
    """
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/")
    name = _CONTROL.sub("", PurePosixPath(name).name).strip().strip(".")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 190] + dot + ext) if dot and len(ext) <= 8 else name[:200]
    return name or "anhang"


def content_type_of(data: bytes) -> str:
    kind = filetype.guess(data)
    mime = kind.mime if kind else ""
    if mime not in ALLOWED:
        raise AttachmentError(
            f"Dieser Dateityp wird nicht angenommen. Erlaubt sind: {ALLOWED_TEXT} "
            "(geprüft wird der Inhalt der Datei, nicht ihr Name).")
    return mime


def attachment_path(att: ReleaseAttachment) -> Path:
    return media_dir() / "attachments" / att.public_id / "file"


def add_attachment(release: Release, filename: str, data: bytes) -> ReleaseAttachment:
    """Check size and content, write the file, add the row (caller commits)."""
    limit_mb = settings().max_attachment_mb
    if not data:
        raise AttachmentError("Die Datei ist leer.")
    if len(data) > limit_mb * 1024 * 1024:
        raise AttachmentError(
            f"Die Datei ist zu groß ({file_size(len(data))}). "
            f"Erlaubt sind höchstens {limit_mb} MB je Anhang.")
    content_type = content_type_of(data)
    att = ReleaseAttachment(public_id=new_public_id(), filename=clean_filename(filename),
                            content_type=content_type, size_bytes=len(data))
    path = attachment_path(att)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    release.attachments.append(att)
    return att


def remove_attachment(release: Release, att: ReleaseAttachment) -> None:
    path = attachment_path(att)
    release.attachments.remove(att)
    path.unlink(missing_ok=True)


def add_attachments(release: Release, files: list[tuple[str, bytes]]) -> int:
    """Several documents at once (the release page): each checked as by
    :func:`add_attachment`; a refusal names the file (when there are several), removes the
    files written before it and raises, so the caller's rollback keeps nothing."""
    import shutil

    stored: list[ReleaseAttachment] = []
    try:
        for name, data in files:
            stored.append(add_attachment(release, name, data))
    except AttachmentError as exc:
        for att in stored:
            shutil.rmtree(attachment_path(att).parent, ignore_errors=True)
        if len(files) > 1:
            raise AttachmentError(f"{clean_filename(name)}: {exc}") from exc
        raise
    return len(stored)


@dataclass
class Added:
    """What :func:`add_files` stored: counts, and a warning per photo too small for print."""

    images: int = 0
    attachments: int = 0
    notes: list[str] = field(default_factory=list)


def add_files(release: Release, files: list[tuple[str, bytes]], caption: str, credit: str,
              alt: str, rights: str) -> Added:
    """Several files at once, photos and documents mixed (the new-release form's drop zone):
    each is sorted by its content, never by its name: an image (JPEG, PNG; any other image
    type is refused as an image) becomes a release image with the given texts, everything else
    an attachment if its content is an allowed document. The first refusal raises
    (``ImageError`` or ``AttachmentError``); the files written before it are removed again,
    and the caller rolls back, so nothing is kept."""
    import shutil

    added = Added()
    written: list[Path] = []  # the folder of each stored image, the file of each attachment
    try:
        for name, data in files:
            kind = filetype.guess(data)
            if kind is not None and kind.mime.startswith("image/"):
                img, warning = images.add_image(release, name, data, caption, credit, alt,
                                                rights)
                written.append(images.image_path(img, "original").parent)
                added.images += 1
                if warning:
                    added.notes.append(f"{clean_filename(name)}: {warning}")
            else:
                try:
                    att = add_attachment(release, name, data)
                except AttachmentError as exc:
                    raise AttachmentError(f"{clean_filename(name)}: {exc}") from exc
                written.append(attachment_path(att).parent)
                added.attachments += 1
    except (images.ImageError, AttachmentError):
        for path in written:
            shutil.rmtree(path, ignore_errors=True)
        raise
    return added
