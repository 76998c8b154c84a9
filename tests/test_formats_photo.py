"""IPTC photo metadata in the served image files, read back with exiftool; GPS and serial
numbers of the upload removed, its other metadata kept."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from pressdesk.extensions import db
from pressdesk.releases import services
from pressdesk.releases.images import add_image
from tests.formats_support import jpeg, permalink_path
from tests.helpers import draft

EXIFTOOL = shutil.which("exiftool")
pytestmark = pytest.mark.skipif(EXIFTOOL is None, reason="exiftool (libimage-exiftool-perl) "
                                "is needed to read the metadata back")


def _camera_jpeg(tmp_path: Path) -> bytes:
    """A JPEG as a camera writes it: GPS position, body and lens serial, make, artist."""
    path = tmp_path / "camera.jpg"
    path.write_bytes(jpeg())
    subprocess.run([EXIFTOOL, "-q", "-overwrite_original", "-GPSLatitude=53.2",
                    "-GPSLatitudeRef=N", "-GPSLongitude=7.4", "-GPSLongitudeRef=E",
                    "-SerialNumber=BODY123", "-LensSerialNumber=LENS999", "-Make=Canon",
                    "-Model=EOS R5", str(path)], check=True)
    return path.read_bytes()


def _read(data: bytes, tmp_path: Path, name: str) -> dict[str, str]:
    path = tmp_path / name
    path.write_bytes(data)
    out = subprocess.run([EXIFTOOL, "-j", "-a", "-G1", str(path)], check=True,
                         capture_output=True, text=True).stdout
    tags: dict[str, str] = json.loads(out)[0]
    return tags


def test_served_files_carry_iptc_and_xmp_without_gps_and_serials(app, demo, tmp_path):
    r = draft(headline="Hafenfest in Leer")
    add_image(r, "hafen.jpg", _camera_jpeg(tmp_path), "Das Hafenfest am Samstag",
              "Foto: Maria Meyer", "Menschen an der Hafenkante bei Sonnenschein",
              "Abdruck honorarfrei mit Quellenangabe, nur im Zusammenhang mit dieser Meldung")
    db.session.commit()
    services.publish_release(r, None)
    db.session.commit()
    img = r.images[0]
    client = app.test_client()
    permalink = app.extensions["pressdesk.settings"].base_url + permalink_path(r)
    for rendition in ("original", "web"):
        resp = client.get(f"/bilder/{img.public_id}/{rendition}.jpg")
        assert resp.status_code == 200
        tags = _read(resp.data, tmp_path, f"{rendition}.jpg")
        assert tags["IPTC:Caption-Abstract"] == "Das Hafenfest am Samstag"
        assert tags["IPTC:Credit"] == "Foto: Maria Meyer"
        assert tags["IPTC:By-line"] == "Maria Meyer"
        assert tags["IPTC:CopyrightNotice"].endswith("Maria Meyer")
        assert permalink in tags["IPTC:SpecialInstructions"]
        assert tags["XMP-dc:Description"] == "Das Hafenfest am Samstag"
        assert tags["XMP-photoshop:Credit"] == "Foto: Maria Meyer"
        assert tags["XMP-xmpRights:UsageTerms"].startswith("Abdruck honorarfrei")
        assert tags["XMP-xmpRights:WebStatement"] == permalink
        assert tags["XMP-iptcCore:AltTextAccessibility"] == (
            "Menschen an der Hafenkante bei Sonnenschein")
        assert not [k for k in tags if "GPS" in k or "SerialNumber" in k], tags
    original = _read(client.get(f"/bilder/{img.public_id}/original.jpg").data, tmp_path, "o.jpg")
    assert original["IFD0:Make"] == "Canon"  # the upload's own metadata stays


def test_draft_images_on_the_desk_are_not_tagged(app, demo, tmp_path):
    from pressdesk.formats.photo import tagged
    from pressdesk.releases.images import image_path

    r = draft(headline="Entwurf mit Bild")
    img, _ = add_image(r, "a.jpg", jpeg(), "Bild", "Foto: X", "Ein Bild", "")
    db.session.commit()
    path = image_path(img, "original")
    assert tagged(img, "original", path) == path


def test_png_original_carries_xmp(app, demo, tmp_path):
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (1800, 1200), (9, 9, 9)).save(buf, "PNG")
    r = draft(headline="Lageplan")
    add_image(r, "plan.png", buf.getvalue(), "Der Lageplan", "Grafik: Landkreis Leer",
              "Ein Lageplan des Radwegs", "")
    db.session.commit()
    services.publish_release(r, None)
    db.session.commit()
    url = urlsplit(f"/bilder/{r.images[0].public_id}/original.png").path
    tags = _read(app.test_client().get(url).data, tmp_path, "plan.png")
    assert tags["XMP-dc:Description"] == "Der Lageplan"
    assert tags["XMP-iptcCore:AltTextAccessibility"] == "Ein Lageplan des Radwegs"


def test_an_office_can_keep_gps_and_serial_numbers_on_purpose(app, demo, tmp_path):
    """The default strips them (above); an office that turns the setting off serves the camera's
    GPS position and serials, and turning it back on strips them again at once."""
    r = draft(headline="Luftbild vom Hafen")
    add_image(r, "hafen.jpg", _camera_jpeg(tmp_path), "Der Hafen von oben", "Foto: Drohne",
              "Der Hafen", "Abdruck honorarfrei")
    r.office.strip_photo_locations = False
    db.session.commit()
    services.publish_release(r, None)
    db.session.commit()
    url = f"/bilder/{r.images[0].public_id}/original.jpg"
    kept = _read(app.test_client().get(url).data, tmp_path, "kept.jpg")
    assert any("GPSLatitude" in k for k in kept) and any("SerialNumber" in k for k in kept), kept
    assert kept["XMP-dc:Description"] == "Der Hafen von oben"
    office = db.session.get(type(r.office), r.office_id)
    office.strip_photo_locations = True
    db.session.commit()
    stripped = _read(app.test_client().get(url).data, tmp_path, "stripped.jpg")
    assert not [k for k in stripped if "GPS" in k or "SerialNumber" in k], stripped
