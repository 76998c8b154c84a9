"""The embeddable office list takes options: how many releases, and one topic of the office."""

from __future__ import annotations

import html
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from pressdesk.releases.models import Topic
from tests.browser import browser_page
from tests.conftest import free_port
from tests.feeds_support import publish, vocab


def _headlines(html: str) -> list[str]:
    return re.findall(r'<li><a href="[^"]+" target="_top">([^<]+)</a>', html)


def test_embed_takes_count_and_topic(app, demo):
    for n in range(4):
        publish(headline=f"Meldung {n}", topics=("verkehr",) if n % 2 else ())
    vocab(Topic, "landkreis-leer", "bildung", "Bildung")
    client = app.test_client()
    assert len(_headlines(client.get("/einbetten/landkreis-leer?anzahl=3").get_data(
        as_text=True))) == 3
    page = client.get("/einbetten/landkreis-leer?thema=verkehr&anzahl=20").get_data(as_text=True)
    assert _headlines(page) == ["Meldung 3", "Meldung 1"]
    assert ">Verkehr</a>" in page
    assert _headlines(client.get("/einbetten/landkreis-leer?thema=bildung").get_data(
        as_text=True)) == []
    assert client.get("/einbetten/landkreis-leer?thema=gibt-es-nicht").status_code == 404
    office = client.get("/presse/landkreis-leer").get_data(as_text=True)
    assert "?anzahl=3" in office


# --- The widget sizes its frame to its content (postMessage), on another site -----------------


@contextmanager
def _host_site(html: str) -> Iterator[str]:
    """Another site (another origin: its own port) whose page embeds the widget."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    body = html.encode()

    class Host(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server spelling
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Host)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/gemeinde.html"
    finally:
        server.shutdown()
        server.server_close()


def _snippet(app) -> str:  # type: ignore[no-untyped-def]
    page = app.test_client().get("/presse/landkreis-leer").get_data(as_text=True)
    found = re.search(r'<textarea id="embed-code"[^>]*>(.*?)</textarea>', page, re.S)
    assert found is not None
    return html.unescape(found.group(1))


def _sizes(page, items: int) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    """(iframe height on the host page, the widget's content height, its scrollable height),
    read once the widget lists ``items`` releases (Playwright keeps a cross-origin frame's
    first URL after its ``src`` changes, so the list tells which page is loaded)."""
    frame = next(f for f in page.frames if "/einbetten/" in f.url)
    shown = frame.evaluate("() => document.querySelectorAll('.embed-list li').length")
    if shown != items:
        raise LookupError(shown)
    outer = page.evaluate(
        "() => document.querySelector('iframe[data-pressdesk-embed]').getBoundingClientRect()"
        ".height")
    content = frame.evaluate(
        "() => { const m = document.querySelector('main');"
        " return [Math.ceil(m.getBoundingClientRect().bottom + window.scrollY),"
        " document.documentElement.scrollHeight]; }")
    return round(outer), content[0], content[1]


def _settled(page, check, items: int, timeout: float = 10.0):  # type: ignore[no-untyped-def]
    """The sizes once ``check`` holds (or at the timeout), read while the widget lists
    ``items`` releases (a navigation in between is read again)."""
    from playwright.sync_api import Error

    deadline = time.monotonic() + timeout
    while True:
        try:
            sizes = _sizes(page, items)
        except (Error, LookupError):
            if time.monotonic() > deadline:
                raise
        else:
            if check(sizes) or time.monotonic() > deadline:
                return sizes
        time.sleep(0.1)


@pytest.mark.browser
def test_the_widget_on_another_site_takes_the_height_of_its_content(app, demo, live_server):
    for n in range(6):
        publish(headline=f"Meldung Nummer {n} mit einer Überschrift, die umbrechen kann")
    snippet = _snippet(app)
    assert "data-pressdesk-embed" in snippet
    assert f'<script src="{live_server}/static/embed.js" async></script>' in snippet
    host = ("<!doctype html><html lang=\"de\"><head><meta charset=\"utf-8\"><title>Gemeinde"
            "</title></head><body><h1>Nachrichten aus dem Landkreis</h1><div style=\"width:360px\">"
            f"{snippet}</div><p id=\"after\">Fußzeile</p></body></html>")
    with _host_site(host) as url, browser_page() as page:
        assert not url.startswith(live_server)  # another origin
        page.goto(url)
        outer, content, scroll = _settled(page, lambda s: s[0] == s[1], 5)
        assert outer != 420, "the frame kept its default height"
        assert outer == content, (outer, content)
        assert scroll <= outer  # nothing scrolls inside the frame
        # Messages from anyone but the pressdesk origin are ignored: the host page's own, and
        # a frame of the host's origin dressed up as a widget.
        page.evaluate("() => window.postMessage({type: 'pressdesk-embed-height', height: 50},"
                      " '*')")
        page.evaluate("""() => { const f = document.createElement('iframe');
            f.id = 'impostor'; f.setAttribute('data-pressdesk-embed', ''); f.height = '100';
            f.srcdoc = '<script>setInterval(() => parent.postMessage('
              + '{type: "pressdesk-embed-height", height: 50}, "*"), 50)<' + '/script>';
            document.body.append(f); }""")
        time.sleep(0.5)
        assert _sizes(page, 5)[0] == outer
        assert page.evaluate("() => document.getElementById('impostor')"
                             ".clientHeight") == 100
        # Fewer releases: the frame shrinks to the new content.
        page.evaluate("src => { document.querySelector('iframe[data-pressdesk-embed]').src ="
                      " src; }", snippet.split('src="', 1)[1].split('"', 1)[0] + "?anzahl=1")
        small, content, scroll = _settled(page, lambda s: s[0] == s[1] and s[0] < outer,
                                          1)
        assert small < outer and small != 420
        assert small == content, (small, content)
        assert scroll <= small
        # More releases: it grows again; a wider host column: the headlines wrap less.
        page.evaluate("src => { document.querySelector('iframe[data-pressdesk-embed]').src ="
                      " src; }", snippet.split('src="', 1)[1].split('"', 1)[0] + "?anzahl=6")
        tall, content, _ = _settled(page, lambda s: s[0] == s[1] and s[0] > small, 6)
        assert tall == content and tall > small
        page.evaluate("() => { document.querySelector('div').style.width = '1000px'; }")
        wide, content, _ = _settled(page, lambda s: s[0] == s[1] and s[0] < tall, 6)
        assert wide == content and wide < tall
