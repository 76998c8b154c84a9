"""Labels exist once: every audit action that is recorded has a label, and no label is left
for an action that nothing records; roles have one name everywhere."""

import re
from pathlib import Path

from flask_babel import LazyString

import pressdesk
from pressdesk import labels
from pressdesk.accounts import members
from pressdesk.accounts.models import Role

SOURCE = Path(pressdesk.__file__).parent
# record(office_id, user, "<action>", ...): the action is the first string argument.
RECORD = re.compile(r"\brecord\(\s*[^\"']*?(f?)\"([^\"]+)\"", re.S)


def _recorded() -> tuple[set[str], set[str]]:
    """Literal actions, and f-string actions as patterns ({...} matching one name)."""
    literal: set[str] = set()
    patterns: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        if path.name == "labels.py":
            continue
        text = path.read_text("utf-8")
        for is_f, action in RECORD.findall(text):
            # a conditional literal: record(..., "a" if x else "b", ...)
            line = text[text.index(action) - 1:].split("\n", 1)[0]
            for extra in re.findall(r'else "([a-z_]+\.[a-z_]+)"', line):
                literal.add(extra)
            if not re.fullmatch(r"[a-z_{}]+\.[a-z_{}]+", action):
                continue  # not an action name: a variable was passed (and is checked by its literal)
            if is_f:
                patterns.add("^" + re.sub(r"\\\{[^}]*\\\}", "[a-z_]+", re.escape(action)) + "$")
            else:
                literal.add(action)
    return literal, patterns


def test_every_recorded_action_has_a_label_and_every_label_is_recorded():
    literal, patterns = _recorded()
    assert "release.published" in literal and "member.deactivated" in literal  # the scan works
    known = set(labels.AUDIT_ACTION_LABELS)
    assert literal - known == set(), "recorded without a label"
    for pattern in patterns:
        assert any(re.match(pattern, k) for k in known), f"no label matches {pattern}"
    unused = {k for k in known
              if k not in literal and not any(re.match(p, k) for p in patterns)}
    assert unused == set(), "labels for actions nothing records"


def test_labels_are_lazy_and_one_home():
    for table in (labels.STATUS_LABELS, labels.ROLE_LABELS, labels.FIELD_LABELS,
                  labels.OFFICE_FIELD_LABELS, labels.DELIVERY_STATE_LABELS,
                  labels.AUDIT_ACTION_LABELS):
        assert all(isinstance(v, LazyString) for v in table.values())
    assert "ROLE_LABELS = " not in Path(members.__file__).read_text("utf-8")
    assert labels.role_label(Role.PUBLISHER) == "Veröffentlichung"
    for path in SOURCE.rglob("*.py"):
        if path.name == "labels.py":
            continue
        text = path.read_text("utf-8")
        for name in ("STATUS_LABELS", "ROLE_LABELS", "ACTION_LABELS", "STATE_LABELS"):
            assert not re.search(rf"^{name} = \{{", text, re.M), f"{name} defined in {path}"


def test_the_403_text_names_the_publisher_role_as_the_ui_does(app, demo):
    from tests.desk_helpers import default_lists, write
    from tests.helpers import EDITOR, logged_in, post

    editor = logged_in(app, EDITOR)
    rid = write(editor)
    resp = post(editor, f"/desk/releases/{rid}/publish", {"lists": default_lists(), "when": "now"})
    assert resp.status_code == 403
    text = resp.get_data(as_text=True)
    assert "„Veröffentlichung“" in text and "„Freigabe“" not in text
