"""Release images: check real content with Pillow, keep the original, make a web rendition."""

from __future__ import annotations

import io
from pathlib import Path

from flask import Response
from PIL import Image, UnidentifiedImageError

from pressdesk.config import settings
from pressdesk.releases.models import Release, ReleaseImage, new_public_id

ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}
WEB_WIDTH = 1200
PRINT_MIN = (1200, 800)


class ImageError(ValueError):
    """An upload that is not a usable JPEG or PNG."""


def media_dir() -> Path:
    return Path(settings().instance_dir) / "media"


def image_path(img: ReleaseImage, rendition: str) -> Path:
    ext = "png" if img.content_type == "image/png" and rendition == "original" else "jpg"
    return media_dir() / img.public_id / f"{rendition}.{ext}"


def _check_pixels(size: tuple[int, int]) -> None:
    """Our own cap, read from the header before anything is decoded: a 20 KB PNG can claim
    13000×13000 pixels and cost most of a gigabyte once decoded."""
    cap = settings().max_image_mpixels * 1_000_000
    if size[0] * size[1] > cap:
        raise ImageError(f"Das Bild ist mit {size[0]}×{size[1]} Pixeln zu groß (höchstens "
                         f"{settings().max_image_mpixels} Megapixel).")


def send_image(img: ReleaseImage | None, rendition: str, cache_control: str) -> Response:
    """The one image answer (portal, desk, outlets' signed links): 404 for an unknown image or
    rendition or a missing file; else the file under a readable name, cached as the caller says
    (public, members only, or the outlets' private links)."""
    from flask import abort, send_file

    if img is None or rendition not in ("web", "original"):
        abort(404)
    path = image_path(img, rendition)
    if not path.exists():
        abort(404)
    from pressdesk.formats.photo import tagged  # IPTC metadata in what is served

    path = tagged(img, rendition, path)
    from flask import request

    # ``?download=1`` (the mail's print-original links): saved as a file, not shown inline.
    resp = send_file(path, conditional=True, as_attachment=request.args.get("download") == "1",
                     download_name=f"{img.release.slug or 'bild'}-{img.position + 1}{path.suffix}")
    resp.headers["Cache-Control"] = cache_control
    return resp


def inspect(data: bytes) -> tuple[str, int, int]:
    """Content type and size of an upload, judged by its bytes, not its name."""
    try:
        with Image.open(io.BytesIO(data)) as im:  # reads the header only
            fmt = im.format or ""
            size = im.size
            _check_pixels(size)
            im.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ImageError("Die Datei ist kein lesbares JPEG- oder PNG-Bild.") from exc
    if fmt not in ALLOWED_FORMATS:
        raise ImageError(f"Bildformat {fmt or 'unbekannt'} wird nicht angenommen (nur JPEG, PNG).")
    return ALLOWED_FORMATS[fmt], size[0], size[1]


# Modes Image.reduce() works on; others are converted first (bounded by the pixel cap).
_REDUCIBLE = {"L", "LA", "RGB", "RGBA", "I", "F"}


def _reduced(im: Image.Image, factor: int, mode: str) -> Image.Image:
    """``im`` shrunk by a whole ``factor`` in ``mode``, converted band by band, so no full-size
    copy in the wider mode is ever made (a 1-bit scan stays 1 byte a pixel)."""
    width, height = im.size
    out = Image.new(mode, (-(-width // factor), -(-height // factor)))
    band = factor * max(1, 4_000_000 // (width * factor))  # rows per band: a few MB at a time
    for top in range(0, height, band):
        part = im.crop((0, top, width, min(height, top + band)))
        if part.mode != mode:
            part = part.convert(mode)
        out.paste(part.reduce(factor), (0, top // factor))
    return out


def web_rendition(data: bytes) -> bytes:
    """The web JPEG (at most WEB_WIDTH wide), made without a full-size RGB copy: JPEGs are
    decoded already scaled down (``draft``), others are shrunk by whole factors in their own
    mode (``reduce``) before the final resize and the conversion to RGB."""
    with Image.open(io.BytesIO(data)) as im:
        _check_pixels(im.size)
        width, height = im.size
        if width > WEB_WIDTH:
            im.draft("RGB", (WEB_WIDTH, max(1, height * WEB_WIDTH // width)))
        im.load()
        mode = im.mode if im.mode in _REDUCIBLE else (
            "L" if im.mode == "1" else
            "RGBA" if "transparency" in im.info or "A" in im.mode else "RGB")
        factor = im.width // WEB_WIDTH
        out = _reduced(im, factor, mode) if factor >= 2 else im.convert(mode)
        if out.width > WEB_WIDTH:
            out = out.resize((WEB_WIDTH, round(out.height * WEB_WIDTH / out.width)),
                             Image.Resampling.LANCZOS)
        out = out.convert("RGB")
        buf = io.BytesIO()
        out.save(buf, "JPEG", quality=85, optimize=True, progressive=True)
        return buf.getvalue()


def is_print_quality(width: int, height: int) -> bool:
    long_side, short_side = max(width, height), min(width, height)
    return long_side >= PRINT_MIN[0] and short_side >= PRINT_MIN[1]


def store(img: ReleaseImage, data: bytes) -> None:
    """Write the original and a web JPEG for an image row whose metadata is already set."""
    content_type, width, height = inspect(data)
    if not img.public_id:
        img.public_id = new_public_id()
    img.content_type, img.width, img.height, img.size_bytes = content_type, width, height, len(data)
    target = image_path(img, "original")
    target.parent.mkdir(parents=True, exist_ok=True)
    web = web_rendition(data)
    target.write_bytes(data)
    image_path(img, "web").write_bytes(web)


def placeholder_jpeg(text: str, size: tuple[int, int] = (1800, 1200)) -> bytes:
    """A generated stand-in photo for the demo data (print size, so no warning)."""
    from PIL import ImageDraw

    im = Image.new("RGB", size, (34, 86, 120))
    draw = ImageDraw.Draw(im)
    for i in range(0, size[0], 60):
        draw.line([(i, 0), (i - size[1] // 2, size[1])], fill=(44, 100, 138), width=18)
    draw.rectangle([(0, size[1] - 180), size], fill=(20, 50, 70))
    draw.text((60, size[1] - 130), text, fill=(255, 255, 255), font_size=64)
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=88)
    return buf.getvalue()


DEFAULT_RIGHTS = "Abdruck honorarfrei mit Quellenangabe, nur im Zusammenhang mit dieser Meldung."
TEXT_LIMITS = {"caption": 2000, "credit": 200, "alt": 300, "rights": 300}


def add_image(release: Release, filename: str, data: bytes, caption: str, credit: str, alt: str,
              rights: str) -> tuple[ReleaseImage, str]:
    """Check and store an uploaded photo for a release (caller commits).

    Returns the image and a warning for the editor when it is too small for print.
    """
    from pressdesk.text import one_line

    texts = {"caption": (caption or "").strip(), "credit": one_line(credit), "alt": one_line(alt),
             "rights": one_line(rights)}
    if not texts["alt"]:
        raise ImageError("Bitte einen Alternativtext eingeben: Er beschreibt das Bild für "
                         "Menschen, die es nicht sehen können.")
    for key, limit in TEXT_LIMITS.items():
        if len(texts[key]) > limit:
            raise ImageError(f"Der Text „{key}“ ist zu lang (höchstens {limit} Zeichen).")
    if not data:
        raise ImageError("Bitte eine Bilddatei auswählen.")
    from pressdesk.releases.attachments import clean_filename

    img = ReleaseImage(filename=clean_filename(filename), position=len(release.images), **texts)
    store(img, data)  # raises ImageError before anything is written for a non-image
    release.images.append(img)
    warning = ""
    if not is_print_quality(img.width, img.height):
        warning = (f"Das Bild hat nur {img.width}×{img.height} Pixel. Für den Druck werden "
                   f"mindestens {PRINT_MIN[0]}×{PRINT_MIN[1]} Pixel empfohlen.")
    return img, warning


def remove_image(release: Release, img: ReleaseImage) -> None:
    import shutil

    folder = image_path(img, "original").parent
    release.images.remove(img)
    for pos, other in enumerate(release.images):
        other.position = pos
    shutil.rmtree(folder, ignore_errors=True)


def update_texts(img: ReleaseImage, caption: str, credit: str, alt: str, rights: str) -> None:
    """Caption, credit, alt text and rights of an uploaded image, changed afterwards."""
    from pressdesk.text import one_line

    texts = {"caption": (caption or "").strip(), "credit": one_line(credit), "alt": one_line(alt),
             "rights": one_line(rights)}
    if not texts["alt"]:
        raise ImageError("Bitte einen Alternativtext eingeben: Er beschreibt das Bild für "
                         "Menschen, die es nicht sehen können.")
    for key, limit in TEXT_LIMITS.items():
        if len(texts[key]) > limit:
            raise ImageError(f"Der Text „{key}“ ist zu lang (höchstens {limit} Zeichen).")
    for key, value in texts.items():
        setattr(img, key, value)


def move(release: Release, img: ReleaseImage, to: int) -> None:
    """Put ``img`` at position ``to`` (0 is the lead image: first in the portal and the mail)."""
    order = sorted(release.images, key=lambda i: i.position)
    order.remove(img)
    order.insert(max(0, min(to, len(order))), img)
    for pos, other in enumerate(order):
        other.position = pos
    release.images.sort(key=lambda i: i.position)
