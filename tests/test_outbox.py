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


def test_a_full_outbox_folder_leaves_no_temporary_files(tmp_path, monkeypatch):
    import errno
    import os

    tp = OutboxTransport(tmp_path / "outbox")
    tp.open()

    def disk_full(src, dst):  # the data did not fit: the rename never happens
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    result = tp.send("presse@pd.example", "a@example.org", b"Message-ID: <f@pd.example>\r\n\r\nx")
    assert result.outcome is Outcome.TEMPORARY and "No space" in result.detail
    assert list((tmp_path / "outbox").iterdir()) == []


def test_a_read_only_outbox_folder_leaves_no_temporary_files(tmp_path, monkeypatch):
    import errno
    import os

    tp = OutboxTransport(tmp_path / "outbox")
    tp.open()
    real_fdopen = os.fdopen

    class ShortWrite:
        def __init__(self, fd, mode):  # type: ignore[no-untyped-def]
            self.fh = real_fdopen(fd, mode)

        def __enter__(self):  # type: ignore[no-untyped-def]
            return self

        def __exit__(self, *exc):  # type: ignore[no-untyped-def]
            self.fh.close()

        def write(self, data):  # type: ignore[no-untyped-def]
            raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(os, "fdopen", ShortWrite)
    result = tp.send("presse@pd.example", "a@example.org", b"Message-ID: <r@pd.example>\r\n\r\nx")
    assert result.outcome is Outcome.TEMPORARY
    assert list((tmp_path / "outbox").iterdir()) == []
