"""Reading and writing outlet CSV files. Pure: bytes in, rows and problems out (no database).

Press offices keep their media lists in Excel. Excel writes CSV in Windows-1252 with semicolons
(German locale), or UTF-8 with a BOM ("CSV UTF-8"), or UTF-16 ("Unicode-Text", tab-separated).
We accept all of these, sniff the delimiter, and say clearly when a file is not CSV at all.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from flask_babel import lazy_gettext as _l

from pressdesk.media.models import OutletKind

MAX_ROWS = 5000

# The columns we write, in this order; the import accepts these and a few synonyms.
COLUMNS = ("Name", "Art", "E-Mail", "Weitere Adressen", "Region", "Bilder", "Max. Anhang (KB)",
           "Aktiv")
_HEADER_ALIASES = {
    "name": "name", "medium": "name", "redaktion": "name", "outlet": "name",
    "art": "kind", "typ": "kind", "kind": "kind", "type": "kind",
    "e-mail": "email", "email": "email", "mail": "email", "e-mail-adresse": "email",
    "adresse": "email", "address": "email",
    "weitere adressen": "extra", "weitere e-mail-adressen": "extra", "extra": "extra",
    "cc": "extra",
    "region": "region", "gebiet": "region",
    "bilder": "format", "format": "format", "images": "format",
    "max. anhang (kb)": "max_kb", "max anhang kb": "max_kb", "max_kb": "max_kb",
    "aktiv": "active", "active": "active",
}

# German labels (what the desk shows and exports) and English values both map to the kind.
KIND_LABELS = {
    OutletKind.DAILY: "Tageszeitung", OutletKind.WEEKLY: "Wochenblatt",
    OutletKind.MONTHLY: "Magazin", OutletKind.ONLINE: "Online", OutletKind.RADIO: "Radio",
    OutletKind.TV: "Fernsehen", OutletKind.AGENCY: "Agentur",
}
_KIND_WORDS = {
    **{k.value: k for k in OutletKind}, **{v.lower(): k for k, v in KIND_LABELS.items()},
    "zeitung": OutletKind.DAILY, "tageszeitungen": OutletKind.DAILY,
    "wochenzeitung": OutletKind.WEEKLY, "anzeigenblatt": OutletKind.WEEKLY,
    "monatlich": OutletKind.MONTHLY, "monatsmagazin": OutletKind.MONTHLY,
    "zeitschrift": OutletKind.MONTHLY, "hörfunk": OutletKind.RADIO, "tv": OutletKind.TV,
    "nachrichtenagentur": OutletKind.AGENCY, "onlinemedium": OutletKind.ONLINE,
}
_YES = {"ja", "j", "yes", "y", "1", "x", "wahr", "true", "aktiv"}
_NO = {"nein", "n", "no", "0", "falsch", "false", "inaktiv"}
_ATTACH = {"anhang", "anhänge", "als anhang", "attachment", "attachments", "datei"}
_LINKS = {"link", "links", "als link", "verweis"}

# File signatures of things people upload by mistake.
_MAGIC = (
    (b"%PDF", _l("Die Datei ist ein PDF-Dokument, keine CSV-Datei.")),
    (b"\x89PNG", _l("Die Datei ist ein Bild (PNG), keine CSV-Datei.")),
    (b"\xff\xd8\xff", _l("Die Datei ist ein Bild (JPEG), keine CSV-Datei.")),
    (b"GIF8", _l("Die Datei ist ein Bild (GIF), keine CSV-Datei.")),
    (b"PK\x03\x04", _l("Die Datei ist eine Excel- oder ZIP-Datei. Bitte in Excel „Speichern unter“ → "
                       "„CSV UTF-8“ oder „CSV (Trennzeichen-getrennt)“ wählen.")),
    (b"\xd0\xcf\x11\xe0", _l("Die Datei ist eine alte Excel-Datei (.xls). Bitte in Excel als CSV "
                             "speichern.")),
)


class CsvError(ValueError):
    """The whole file cannot be read; the message is shown to the user as is."""


@dataclass
class Row:
    line: int
    name: str = ""
    kind: str = OutletKind.DAILY.value
    email: str = ""
    extra: list[str] = field(default_factory=list)
    region: str = ""
    prefers_attachments: bool = False
    max_attachment_kb: int = 10240
    active: bool = True
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, object]:
        return {"line": self.line, "name": self.name, "kind": self.kind, "email": self.email,
                "extra": self.extra, "region": self.region,
                "prefers_attachments": self.prefers_attachments,
                "max_attachment_kb": self.max_attachment_kb, "active": self.active,
                "problems": self.problems}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Row:  # read back from our own JSON
        return cls(**data)


def decode(data: bytes) -> str:
    """Bytes to text: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252."""
    if not data.strip():
        raise CsvError(str(_l("Die Datei ist leer.")))
    for magic, message in _MAGIC:
        if data.startswith(magic):
            raise CsvError(str(message))
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise CsvError(str(_l("Die Datei ist nicht lesbar (fehlerhaftes UTF-16)."))) from exc
    elif b"\x00" in data:
        raise CsvError(str(_l("Die Datei enthält Binärdaten und ist keine CSV-Datei.")))
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError as exc:
                raise CsvError(str(_l(
                    "Die Zeichenkodierung der Datei ist unbekannt. Bitte als „CSV UTF-8“ "
                    "speichern."))) from exc
    # Text files have no control characters besides tab and line ends.
    bad = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n")
    if bad:
        raise CsvError(str(_l("Die Datei enthält Binärdaten und ist keine CSV-Datei.")))
    return text


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=";,\t")
    except csv.Error:
        # One-column files or odd quoting: pick the most frequent delimiter of the header.
        header = text.splitlines()[0] if text.splitlines() else ""
        delim = max(";,\t", key=header.count)

        class Fallback(csv.excel):
            delimiter = delim

        return Fallback


def _header_map(header: list[str]) -> dict[str, int]:
    mapping: dict[str, int] = {}
    for i, cell in enumerate(header):
        key = _HEADER_ALIASES.get(" ".join(cell.strip().lower().split()))
        if key and key not in mapping:
            mapping[key] = i
    return mapping


def _unescape(value: str) -> str:
    # Our export prefixes formula-like cells with an apostrophe (CSV injection); undo it.
    value = value.strip()
    if value[:2] in ("'=", "'+", "'-", "'@"):
        return value[1:]
    return value


def parse(data: bytes) -> list[Row]:
    """Parse an uploaded outlet file into rows with per-row problems (addresses not yet checked)."""
    text = decode(data)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), _dialect(text))
        records = [(reader.line_num, rec) for rec in reader]
    except csv.Error as exc:
        raise CsvError(str(_l("Die Datei ist keine gültige CSV-Datei ({error}).")).format(
            error=exc)) from exc
    records = [(n, rec) for n, rec in records if any(c.strip() for c in rec)]
    if not records:
        raise CsvError(str(_l("Die Datei ist leer.")))
    header_line, header = records[0]
    cols = _header_map(header)
    if "name" not in cols or "email" not in cols:
        raise CsvError(str(_l(
            "Die erste Zeile muss die Spaltenüberschriften enthalten, mindestens „Name“ und "
            "„E-Mail“. Gefunden: {found}")).format(found=", ".join(h for h in header if h) or "–"))
    if len(records) - 1 > MAX_ROWS:
        raise CsvError(str(_l("Die Datei hat mehr als {n} Zeilen. Bitte teilen Sie sie auf.")
                           ).format(n=MAX_ROWS))

    def cell(rec: list[str], key: str) -> str:
        i = cols.get(key)
        return _unescape(rec[i]) if i is not None and i < len(rec) else ""

    rows: list[Row] = []
    for line, rec in records[1:]:
        row = Row(line=line)
        row.name = " ".join(cell(rec, "name").split())[:200]
        if not row.name:
            row.problems.append(str(_l("Name fehlt")))
        kind = cell(rec, "kind").lower()
        if kind:
            found = _KIND_WORDS.get(kind)
            if found is None:
                row.problems.append(str(_l("Unbekannte Art „{kind}“")).format(kind=cell(rec, "kind")))
            else:
                row.kind = found.value
        row.email = cell(rec, "email")
        if not row.email:
            row.problems.append(str(_l("E-Mail-Adresse fehlt")))
        row.extra = [a for a in cell(rec, "extra").replace(",", " ").replace(";", " ").split() if a]
        row.region = " ".join(cell(rec, "region").split())[:120]
        fmt = cell(rec, "format").lower()
        if fmt in _ATTACH:
            row.prefers_attachments = True
        elif fmt and fmt not in _LINKS:
            row.problems.append(str(_l("Unbekanntes Bildformat „{value}“ (Link oder Anhang)")
                                    ).format(value=cell(rec, "format")))
        max_kb = cell(rec, "max_kb").replace(".", "")
        if max_kb:
            if max_kb.isdigit() and 0 < int(max_kb) <= 102400:
                row.max_attachment_kb = int(max_kb)
            else:
                row.problems.append(str(_l("Ungültige Anhang-Grenze „{value}“")).format(
                    value=cell(rec, "max_kb")))
        active = cell(rec, "active").lower()
        if active in _NO:
            row.active = False
        elif active and active not in _YES:
            row.problems.append(str(_l("Ungültiger Wert für „Aktiv“: „{value}“")).format(
                value=cell(rec, "active")))
        rows.append(row)
    if not rows:
        raise CsvError(str(_l("Die Datei enthält nur die Kopfzeile, keine Medien.")))
    return rows


# A cell starting with one of these runs as a formula in Excel or LibreOffice (CSV injection,
# OWASP's list: tab and CR too, as a spreadsheet strips them before it looks).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


class ExportedOutlet(Protocol):
    """What the export reads of an outlet (read-only, so a model's properties qualify)."""

    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def email(self) -> str: ...
    @property
    def extra_list(self) -> list[str]: ...
    @property
    def region(self) -> str: ...
    @property
    def prefers_attachments(self) -> bool: ...
    @property
    def max_attachment_kb(self) -> int: ...
    @property
    def active(self) -> bool: ...


def write(outlets: Iterable[ExportedOutlet]) -> bytes:
    """UTF-8 with BOM and semicolons: Excel (German locale) opens it with umlauts intact.

    Every cell is escaped, not a chosen few: any of them may hold text an importer typed."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(COLUMNS)
    for o in outlets:
        kind = KIND_LABELS.get(OutletKind(o.kind), o.kind)
        w.writerow([_safe(str(cell)) for cell in (
            o.name, kind, o.email, " ".join(o.extra_list), o.region,
            "Anhang" if o.prefers_attachments else "Link", o.max_attachment_kb,
            "ja" if o.active else "nein")])
    return codecs.BOM_UTF8 + buf.getvalue().encode("utf-8")
