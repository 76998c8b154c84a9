"""The body sanitiser (Markdown-it + nh3) against a list of XSS payloads: nothing executable
survives, while ordinary Markdown (tables, links, emphasis) still renders."""

from html.parser import HTMLParser

import pytest

from pressdesk.releases.markup import render_markdown

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<a href="#" onclick="alert(1)">klick</a>',
    "<body onload=alert(1)>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "[klick](javascript:alert(1))",
    "[klick](JaVaScRiPt:alert(1))",
    "[klick](java\tscript:alert(1))",
    "[klick](&#106;avascript:alert(1))",
    "[klick](&#x6A;&#x61;vascript:alert(1))",
    "[klick](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[klick](vbscript:msgbox(1))",
    "![bild](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    "<svg onload=alert(1)><circle r=5></circle></svg>",
    "<svg><script>alert(1)</script></svg>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:image/svg+xml,<svg onload=alert(1)>">',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    '<input autofocus onfocus=alert(1)>',
    '<details open ontoggle=alert(1)>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    "<style>@import 'javascript:alert(1)';</style>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<a href="http://ok.example" title="x" onmouseover="alert(1)">ok</a>',
    "| a | b |\n|---|---|\n| <img src=x onerror=alert(1)> | [x](javascript:alert(1)) |",
    '"><img src=x onerror=alert(1)>',
    "<!--<img src=x onerror=alert(1)>-->",
]

SAFE_TAGS = {"p", "br", "strong", "em", "b", "i", "u", "a", "ul", "ol", "li", "blockquote", "h2",
             "h3", "h4", "table", "thead", "tbody", "tr", "th", "td", "hr", "code", "pre", "sup",
             "sub"}
SAFE_SCHEMES = ("http:", "https:", "mailto:", "tel:")


class Elements(HTMLParser):
    """Collects the real elements and attributes a browser would build (escaped text is text)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        self.found.append((tag, attrs))

    handle_startendtag = handle_starttag


def _elements(html: str):  # type: ignore[no-untyped-def]
    parser = Elements()
    parser.feed(html)
    parser.close()
    return parser.found


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_payload_survives(payload):
    html = str(render_markdown(payload))
    for tag, attrs in _elements(html):
        assert tag in SAFE_TAGS, f"{payload!r} left a <{tag}> in {html!r}"
        for name, value in attrs:
            assert not name.startswith("on"), f"{payload!r} left {name}= in {html!r}"
            assert name not in ("style", "src", "srcdoc", "action", "formaction", "data")
            if name == "href":
                # the parser decodes entities, as the browser does: "&#106;avascript:" is caught
                target = "".join((value or "").split()).lower()
                assert ":" not in target.split("/")[0] or target.startswith(SAFE_SCHEMES), \
                    f"{payload!r} left href={value!r}"


def test_ordinary_markdown_still_renders():
    html = str(render_markdown(
        "### Termine\n\n**Fett** und *kursiv*, ein [Link](https://www.landkreis-leer.de).\n\n"
        "| Ort | Datum |\n|---|---|\n| Leer | 23.11. |\n\n- eins\n- zwei"))
    assert "<h3>Termine</h3>" in html
    assert "<strong>Fett</strong>" in html and "<em>kursiv</em>" in html
    assert 'href="https://www.landkreis-leer.de"' in html and 'rel="noopener noreferrer nofollow"' in html
    assert "<table>" in html and "<td>Leer</td>" in html
    assert "<li>eins</li>" in html


def test_raw_html_is_shown_as_text_not_markup():
    html = str(render_markdown("Vorher <b onclick=x>fett</b> nachher"))
    assert "<b" not in html and "&lt;b" in html
