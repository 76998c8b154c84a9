"""The CSV reader: encodings Excel writes, sniffed delimiters, and files that are not CSV."""

import codecs

import pytest

from pressdesk.media import csvio

HEADER = "Name;Art;E-Mail;Region\r\n"
ROWS = "Ostfriesen-Zeitung;Tageszeitung;redaktion@oz.example;Ostfriesland\r\n" \
       "Münsterländer Bürgerblatt;Wochenblatt;büro@example.org;Süd\r\n"


@pytest.fixture(autouse=True)
def _ctx(app):  # gettext needs an app context
    with app.test_request_context():
        yield


def _names(rows):
    return [r.name for r in rows]


def test_utf8_without_bom():
    rows = csvio.parse((HEADER + ROWS).encode("utf-8"))
    assert _names(rows) == ["Ostfriesen-Zeitung", "Münsterländer Bürgerblatt"]
    assert rows[1].kind == "weekly" and rows[1].region == "Süd"
    assert [r.line for r in rows] == [2, 3]


def test_utf8_with_bom_keeps_the_first_header():
    rows = csvio.parse(codecs.BOM_UTF8 + (HEADER + ROWS).encode("utf-8"))
    assert rows[0].name == "Ostfriesen-Zeitung"  # "\ufeffName" would lose the name column


def test_windows_1252_as_excel_writes_it():
    data = (HEADER + ROWS).encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    rows = csvio.parse(data)
    assert rows[1].name == "Münsterländer Bürgerblatt" and rows[1].email == "büro@example.org"


def test_comma_and_quotes_are_sniffed():
    data = (b'name,kind,email\r\n"Zeitung, die Gute",daily,a@example.org\r\n'
            b'"Radio ""Welle""",radio,b@example.org\r\n')
    rows = csvio.parse(data)
    assert _names(rows) == ["Zeitung, die Gute", 'Radio "Welle"']
    assert rows[1].kind == "radio"


def test_utf16_tab_separated_unicode_text():
    data = ("Name\tE-Mail\r\nEms-Vechte-Welle\tnachrichten@evw.example\r\n").encode("utf-16")
    rows = csvio.parse(data)
    assert rows[0].name == "Ems-Vechte-Welle" and rows[0].email == "nachrichten@evw.example"


def test_row_problems_are_reported_per_line():
    data = (b"Name;Art;E-Mail;Bilder;Aktiv\n"
            b";Tageszeitung;a@example.org;Link;ja\n"
            b"Zeitung B;Blog;b@example.org;Link;ja\n"
            b"Zeitung C;Tageszeitung;;Link;ja\n"
            b"Zeitung D;;d@example.org;Fax;vielleicht\n")
    rows = csvio.parse(data)
    assert [r.line for r in rows] == [2, 3, 4, 5]
    assert "Name fehlt" in rows[0].problems
    assert rows[1].problems == ["Unbekannte Art „Blog“"]
    assert rows[2].problems == ["E-Mail-Adresse fehlt"]
    assert len(rows[3].problems) == 2 and rows[3].kind == "daily"


@pytest.mark.parametrize(("data", "needle"), [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "JPEG"),
    (b"PK\x03\x04\x14\x00\x06\x00xl/workbook.xml", "Excel"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "xls"),
    (b"\x00\x01\x02\x03binary\x00\xff" * 20, "Binärdaten"),
    (b"Name;E-Mail\n\x81\x8d\x8f\x90\x9d;x@example.org\n", "Zeichenkodierung"),
    (b"", "leer"),
    (b"   \r\n\r\n", "leer"),
    (b"Name;E-Mail\r\n", "nur die Kopfzeile"),
    (b"Zeitung;Adresse-fehlt\r\nOZ;kein-header\r\n", "Spaltenüberschriften"),
    (b"Name;E-Mail\x07\r\nA;b@example.org\r\n", "Binärdaten"),
])
def test_files_that_are_not_csv_get_a_clear_message(data, needle):
    with pytest.raises(csvio.CsvError) as err:
        csvio.parse(data)
    assert needle in str(err.value)


def test_too_many_rows_is_refused(monkeypatch):
    monkeypatch.setattr(csvio, "MAX_ROWS", 3)
    data = ("Name;E-Mail\n" + "".join(f"Z{i};z{i}@example.org\n" for i in range(4))).encode()
    with pytest.raises(csvio.CsvError, match="mehr als 3 Zeilen"):
        csvio.parse(data)


class _O:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def test_export_is_utf8_bom_semicolons_and_round_trips():
    outlet = _O(name="Münsterländer Bürgerblatt", kind="weekly", email="büro@example.org",
                extra_list=["lokal@example.org"], region="Süd", prefers_attachments=True,
                max_attachment_kb=5000, active=False)
    evil = _O(name="=HYPERLINK(\"http://x\")", kind="daily", email="e@example.org", extra_list=[],
              region="", prefers_attachments=False, max_attachment_kb=10240, active=True)
    data = csvio.write([outlet, evil])
    assert data.startswith(codecs.BOM_UTF8)
    text = data[3:].decode("utf-8")
    assert text.splitlines()[0] == ";".join(csvio.COLUMNS)
    assert ("Münsterländer Bürgerblatt;Wochenblatt;büro@example.org;lokal@example.org;Süd;"
            "Anhang;5000;nein") in text
    assert "'=HYPERLINK" in text  # no formula runs when Excel opens the export
    back = csvio.parse(data)
    assert back[0].name == outlet.name and back[0].extra == ["lokal@example.org"]
    assert back[0].prefers_attachments and back[0].max_attachment_kb == 5000 and not back[0].active
    assert back[1].name == evil.name and back[1].ok


def test_every_exported_cell_is_formula_escaped():
    evil = _O(name="Blatt", kind="daily", email="e@example.org",
              extra_list=["=1+1@example.org", "b@example.org"], region="+Süd",
              prefers_attachments=False, max_attachment_kb=10240, active=True)
    text = csvio.write([evil])[3:].decode("utf-8")
    row = text.splitlines()[1].split(";")
    assert row[3] == "'=1+1@example.org b@example.org"  # "Weitere Adressen"
    assert row[4] == "'+Süd"
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)
    back = csvio.parse(csvio.write([evil]))
    assert back[0].extra == ["=1+1@example.org", "b@example.org"] and back[0].region == "+Süd"
