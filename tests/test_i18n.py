"""Language: German by default (the msgids), English from the catalogue via the footer switch."""

import ast
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from pressdesk import app as app_module
from pressdesk import i18n, labels, templating
from pressdesk.offices import services as office_services
from tests.helpers import csrf_token, logged_in

CATALOGUE = Path(app_module.PACKAGE_DIR) / "translations" / "en" / "LC_MESSAGES"


def _switch(client, code):
    page = client.get("/desk/media/")
    return client.post(f"/lang/{code}", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                              "next": "/desk/media/"})


def test_default_is_german(app, demo):
    client = logged_in(app)
    html = client.get("/desk/media/").get_data(as_text=True)
    assert '<html lang="de">' in html
    assert "Neues Medium" in html and "Tageszeitung" in html and ">English<" in html
    assert "New outlet" not in html


def test_footer_switch_gives_english_and_back(app, demo):
    client = logged_in(app)
    resp = _switch(client, "en")
    assert resp.status_code == 302 and resp.location.endswith("/desk/media/")
    html = client.get("/desk/media/").get_data(as_text=True)
    assert '<html lang="en">' in html
    for text in ("New outlet", "Daily newspaper", "Export CSV", "Distribution lists", "Sign out",
                 "Audit log", ">Deutsch<"):
        assert text in html, text
    assert "Neues Medium" not in html
    # Plurals, flashed messages and error pages too.
    assert "9 outlets" in html
    assert "Not found" in client.get("/desk/media/outlets/999999").get_data(as_text=True)
    _switch(client, "de")
    assert "Neues Medium" in client.get("/desk/media/").get_data(as_text=True)


def test_dates_stay_german_in_berlin_time_in_english_ui(app, demo):
    from pressdesk.audit.services import record
    from pressdesk.extensions import db
    from tests.helpers import office

    e = record(office("landkreis-leer").id, None, "outlet.created", "outlet", 1, "Zeitstempel")
    from datetime import UTC, datetime
    e.at = datetime(2026, 7, 1, 10, 5, tzinfo=UTC)
    db.session.commit()
    client = logged_in(app)
    _switch(client, "en")
    html = client.get("/desk/audit/").get_data(as_text=True)
    assert "01.07.2026, 12:05 Uhr" in html  # CEST = UTC+2


def test_catalogue_is_complete_and_compiled():
    with open(CATALOGUE / "messages.po", "rb") as f:
        po = read_po(f, locale="en")
    untranslated = [m.id for m in po if m.id and not (all(m.string) if isinstance(m.string, tuple)
                                                      else m.string)]
    assert not untranslated, f"translate these (make translations): {untranslated}"
    assert not [m.id for m in po if m.id and m.fuzzy]
    with open(CATALOGUE / "messages.mo", "rb") as f:
        mo = read_mo(f)
    def key(value):
        return tuple(value) if isinstance(value, list | tuple) else value

    compiled = {key(m.id): key(m.string) for m in mo if m.id}
    source = {key(m.id): key(m.string) for m in po if m.id}
    assert compiled == source, "messages.mo is stale: run `make translations`"


def _dict_literal_values(path: Path, name: str) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            values: set[str] = set()
            for v in ast.walk(node.value):
                if isinstance(v, ast.Constant) and isinstance(v.value, str):
                    values.add(v.value)
            return values
    raise AssertionError(f"{name} not found in {path}")


def test_runtime_labels_are_marked_for_extraction():
    marked = set(i18n.RUNTIME_MSGIDS)
    states = {str(v) for v in labels.STATE_LABELS.values()}
    assert states <= marked
    errors = {s for pair in app_module.ERRORS.values() for s in pair}
    assert errors <= marked
    assert {str(labels.OFFICE_FIELD_LABELS[k]) for k in office_services.SETTINGS_FIELDS} <= marked
    # The same literals are what the source holds (guards against the dicts being computed).
    assert (_dict_literal_values(Path(labels.__file__), "STATUS_LABELS")
            | _dict_literal_values(Path(labels.__file__), "DELIVERY_STATE_LABELS")) >= states
    assert templating.STATE_LABELS is labels.STATE_LABELS  # one home
