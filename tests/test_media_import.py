"""CSV import (upload -> per-row report -> confirm) and export, through the desk."""

import codecs
import io
import json
from pathlib import Path
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from pressdesk.accounts.models import Role
from pressdesk.config import settings
from pressdesk.extensions import db
from pressdesk.media.models import DistributionList, Outlet
from tests.helpers import logged_in, office, token_of
from tests.media_support import audit_actions, member

GOOD_AND_BAD = (
    "Name;Art;E-Mail;Weitere Adressen;Region;Bilder;Aktiv\r\n"
    "Emder Zeitung;Tageszeitung;redaktion@emder-zeitung.example;lokal@emder-zeitung.example;"
    "Emden;Anhang;ja\r\n"
    "Ostfriesischer Kurier;Tageszeitung;kurier@@example;;Norden;Link;ja\r\n"
    "Norder Wochenblatt;Wochenblatt;REDAKTION@emder-zeitung.example;;Norden;Link;ja\r\n"
    "Alte OZ;Tageszeitung;redaktion@ostfriesen-zeitung.example;;Leer;Link;ja\r\n"
    "Podcast Ems;Podcast;podcast@ems.example;;;Link;ja\r\n"
    ";Radio;ohne-name@radio.example;;;Link;ja\r\n"
    "Radio Ostfriesland;Radio;studio@radio-ostfriesland.example;;Aurich;Link;nein\r\n"
)


def _count(slug):
    db.session.remove()
    return len(db.session.scalars(select(Outlet).where(Outlet.office_id == office(slug).id)).all())


def _upload(client, data: bytes, filename="medien.csv"):
    token = token_of(client, "/desk/media/import")
    return client.post("/desk/media/import", data={
        "csrf_token": token, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data")


def test_upload_shows_a_report_per_row_and_writes_nothing(app, demo):
    client = logged_in(app)
    before = _count("landkreis-leer")
    resp = _upload(client, GOOD_AND_BAD.encode("cp1252"), "Medienliste Übersicht.csv")
    assert resp.status_code == 302 and "/desk/media/import/" in resp.location
    report = client.get(resp.location).get_data(as_text=True)
    assert _count("landkreis-leer") == before  # nothing written yet
    assert "Medienliste Übersicht.csv" in report
    assert '<b id="valid-count">2</b>' in report and '<b id="invalid-count">5</b>' in report
    problems = report.split('id="import-problems"')[1].split("</table>")[0]
    assert "<td>3</td>" in problems and "Ungültige E-Mail-Adresse „kurier@@example“" in problems
    assert "<td>4</td>" in problems and "Doppelt in der Datei" in problems and "Zeile 2" in problems
    assert "<td>5</td>" in problems and "Schon vorhanden" in problems and "Ostfriesen-Zeitung" in problems
    assert "<td>6</td>" in problems and "Unbekannte Art „Podcast“" in problems
    assert "<td>7</td>" in problems and "Name fehlt" in problems
    preview = report.split('id="import-preview"')[1].split("</table>")[0]
    assert "Emder Zeitung" in preview and "Radio Ostfriesland" in preview
    assert "Podcast" not in preview
    # Nothing in the audit log either.
    assert "outlets.imported" not in audit_actions("landkreis-leer")


def test_confirm_imports_only_valid_rows_into_a_list(app, demo):
    client = logged_in(app)
    before = _count("landkreis-leer")
    location = _upload(client, GOOD_AND_BAD.encode("utf-8-sig")).location
    token = token_of(client, location)
    leer_list = db.session.scalar(select(DistributionList).where(
        DistributionList.office_id == office("landkreis-leer").id))
    resp = client.post(location, data={"csrf_token": token, "action": "confirm",
                                       "list_id": leer_list.id}, follow_redirects=True)
    assert resp.status_code == 200
    assert "2 Medien importiert." in resp.get_data(as_text=True)
    assert _count("landkreis-leer") == before + 2
    emder = db.session.scalar(select(Outlet).where(Outlet.name == "Emder Zeitung"))
    assert emder.extra_list == ["lokal@emder-zeitung.example"] and emder.prefers_attachments
    radio = db.session.scalar(select(Outlet).where(Outlet.name == "Radio Ostfriesland"))
    assert radio.kind == "radio" and radio.active is False
    names = {o.name for o in db.session.get(DistributionList, leer_list.id).outlets}
    assert {"Emder Zeitung", "Radio Ostfriesland"} <= names
    assert audit_actions("landkreis-leer")[-1] == "outlets.imported"
    # The pending upload is gone: confirming twice imports nothing more.
    resp = client.post(location, data={"csrf_token": token, "action": "confirm"},
                       follow_redirects=True)
    assert "abgelaufen" in resp.get_data(as_text=True)
    assert _count("landkreis-leer") == before + 2


def test_confirm_rechecks_rows_that_became_duplicates(app, demo):
    client = logged_in(app)
    location = _upload(client, GOOD_AND_BAD.encode()).location
    token = token_of(client, location)
    # Meanwhile someone adds the Emder Zeitung by hand.
    client.post("/desk/media/outlets/new", data={
        "csrf_token": token, "name": "EZ", "kind": "daily",
        "email": "redaktion@emder-zeitung.example", "images": "links",
        "max_attachment_kb": "10240", "active": "y"})
    before = _count("landkreis-leer")
    resp = client.post(location, data={"csrf_token": token, "action": "confirm", "list_id": 0},
                       follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "1 Medien importiert." in html and "Zeile 2 nicht importiert" in html
    assert _count("landkreis-leer") == before + 1


def test_cancel_keeps_nothing(app, demo):
    client = logged_in(app)
    before = _count("landkreis-leer")
    location = _upload(client, GOOD_AND_BAD.encode()).location
    pending_dir = Path(settings().instance_dir) / "imports"
    tok = location.rsplit("/", 1)[1]
    assert (pending_dir / f"{tok}.json").exists()
    resp = client.post(location, data={"csrf_token": token_of(client, location),
                                       "action": "cancel"}, follow_redirects=True)
    assert "nichts gespeichert" in resp.get_data(as_text=True)
    assert not (pending_dir / f"{tok}.json").exists()
    assert _count("landkreis-leer") == before


@pytest.mark.parametrize(("data", "needle"), [
    (b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", "PDF-Dokument"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "Bild (PNG)"),
    (b"PK\x03\x04\x14\x00\x06\x00\x08\x00xl/workbook.xml", "Excel"),
    (bytes(range(256)) * 4, "Binärdaten"),
    (b"Name;E-Mail\n\x81\x8d\x8f;a@example.org\n", "Zeichenkodierung"),
    (b"", "leer"),
])
def test_bad_files_get_a_clear_german_message(app, demo, data, needle):
    client = logged_in(app)
    before = _count("landkreis-leer")
    resp = _upload(client, data, "bild.csv")
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "kann nicht importiert werden" in html and needle in html
    assert _count("landkreis-leer") == before


def test_missing_file_is_a_form_error(app, demo):
    client = logged_in(app)
    token = token_of(client, "/desk/media/import")
    resp = client.post("/desk/media/import", data={"csrf_token": token},
                       content_type="multipart/form-data")
    assert resp.status_code == 422 and "Bitte eine Datei auswählen." in resp.get_data(as_text=True)


def test_pending_import_is_bound_to_its_office(app, demo):
    client = logged_in(app)
    location = _upload(client, GOOD_AND_BAD.encode()).location
    lingen = logged_in(app, member("stadt-lingen", Role.ADMIN))
    resp = lingen.get(location, follow_redirects=True)
    assert "abgelaufen" in resp.get_data(as_text=True)
    token = token_of(lingen, "/desk/media/import")
    lingen.post(location, data={"csrf_token": token, "action": "confirm"})
    assert _count("stadt-lingen") == 2
    # A token that is not ours or is malformed never touches the file system.
    assert "abgelaufen" in lingen.get("/desk/media/import/..%2F..%2Fetc",
                                      follow_redirects=True).get_data(as_text=True)
    # The pending file holds no more than the parsed rows and its office.
    tok = location.rsplit("/", 1)[1]
    payload = json.loads((Path(settings().instance_dir) / "imports" / f"{tok}.json").read_text())
    assert payload["office_id"] == office("landkreis-leer").id and len(payload["rows"]) == 7


def test_export_for_excel(app, demo):
    office("landkreis-leer").name = "Landkreis Leer – Öffentlichkeitsarbeit"
    db.session.commit()
    client = logged_in(app)
    resp = client.get("/desk/media/export.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    disposition = resp.headers["Content-Disposition"]
    assert "attachment" in disposition
    # Umlauts in the file name (RFC 5987) with an ASCII fallback for old clients.
    assert "Medienliste Landkreis Leer – Öffentlichkeitsarbeit" in unquote(
        disposition.split("filename*=UTF-8''")[-1]), disposition
    assert 'filename="Medienliste Landkreis Leer' in disposition
    data = resp.get_data()
    assert data.startswith(codecs.BOM_UTF8)
    lines = data[3:].decode("utf-8").splitlines()
    assert lines[0].startswith("Name;Art;E-Mail;")
    assert "Leeraner Bürgerzeitung;Wochenblatt;redaktion@leeraner-buergerzeitung.example" \
        in data.decode("utf-8-sig")
    assert len(lines) == 1 + 9


def test_export_then_import_into_another_office(app, demo):
    leer = logged_in(app)
    data = leer.get("/desk/media/export.csv").get_data()
    lingen = logged_in(app, member("stadt-lingen", Role.ADMIN))
    location = _upload(lingen, data, "Medienliste Landkreis Leer.csv").location
    report = lingen.get(location).get_data(as_text=True)
    assert '<b id="valid-count">9</b>' in report and '<b id="invalid-count">0</b>' in report


def test_review_page_preselects_the_default_list(app, demo):
    client = logged_in(app)
    location = _upload(client, GOOD_AND_BAD.encode("utf-8-sig")).location
    default = db.session.scalar(select(DistributionList).where(
        DistributionList.office_id == office("landkreis-leer").id,
        DistributionList.is_default.is_(True)))
    page = client.get(location).get_data(as_text=True)
    select_html = page.split('id="list_id"')[1].split("</select>")[0]
    chosen = [opt for opt in select_html.split("<option")[1:] if "selected" in opt]
    assert len(chosen) == 1 and f'value="{default.id}"' in chosen[0]
