"""German number formatting on the desk ("10,0 MB") and labels, not keys, in the audit log."""

from sqlalchemy import select

from pressdesk.extensions import db
from pressdesk.media.models import Outlet
from pressdesk.text import file_size
from tests.desk_helpers import write
from tests.helpers import ADMIN, EDITOR, logged_in, office, post


def test_file_sizes_are_written_the_german_way(app):
    with app.test_request_context():
        assert file_size(10 * 1024 * 1024) == "10,0 MB"
        assert file_size(1536 * 1024) == "1,5 MB"
        assert file_size(312 * 1024) == "312 KB"
    assert file_size(12_345 * 1024 * 1024, "de") == "12.345,0 MB"
    assert file_size(10 * 1024 * 1024, "en") == "10.0 MB"


def test_the_media_list_writes_the_attachment_limit_in_german(app, demo):
    outlet = db.session.scalar(select(Outlet).where(Outlet.office_id == office("landkreis-leer").id))
    outlet.prefers_attachments, outlet.max_attachment_kb = True, 10 * 1024
    db.session.commit()
    page = logged_in(app, ADMIN).get("/desk/media/").get_data(as_text=True)
    assert "≤ 10,0 MB" in page and "10.0 MB" not in page


def test_the_audit_log_shows_a_label_not_the_key(app, demo, smtp):
    editor = logged_in(app, EDITOR)
    rid = write(editor)
    assert post(editor, f"/desk/releases/{rid}/test-mail").status_code == 302
    page = logged_in(app, ADMIN).get("/desk/audit/").get_data(as_text=True)
    assert "Testmail gesendet" in page and "release.test_sent" not in page
    show = editor.get(f"/desk/releases/{rid}").get_data(as_text=True)
    assert "Testmail gesendet" in show and "release.test_sent" not in show
