"""The embedded default transport: .eml files in the outbox folder."""

import email
from email import policy

from pressdesk.delivery.transport import OutboxTransport, Outcome


def test_outbox_writes_one_file_per_message(tmp_path):
    tp = OutboxTransport(tmp_path / "outbox")
    tp.open()
    data = b"To: a@example.org\r\nMessage-ID: <x.1@pd.example>\r\nSubject: Test\r\n\r\nHallo\r\n"
    result = tp.send("presse@pd.example", "a@example.org", data)
    assert result.outcome is Outcome.SENT
    files = list((tmp_path / "outbox").iterdir())
    assert [f.name for f in files] == ["x.1_pd.example.eml"]
    msg = email.message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert msg["X-Envelope-To"] == "a@example.org" and msg["Subject"] == "Test"


def test_outbox_failure_is_temporary(tmp_path):
    blocker = tmp_path / "outbox"
    blocker.write_text("not a folder")
    tp = OutboxTransport(blocker)
    result = tp.send("presse@pd.example", "a@example.org", b"Message-ID: <y@z>\r\n\r\nx")
    assert result.outcome is Outcome.TEMPORARY
