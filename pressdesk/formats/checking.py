"""The page "Ist diese Meldung echt?": what a pasted text, a portal URL or a saved mail is."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from urllib.parse import urlsplit

from flask import current_app
from lxml import html as lxml_html
from werkzeug.exceptions import HTTPException

from pressdesk.config import settings
from pressdesk.formats import keys, services, verify
from pressdesk.formats.matching import Finding
from pressdesk.releases.presenter import present
from pressdesk.throttle import Throttle

# Each check runs a few searches and comparisons: enough for a newsroom, not for a scraper.
CHECKS = Throttle("verify-client", limit=60, window=3600)


class NotThisPortal(ValueError):
    """A URL of another site: the page never fetches what it is given."""


def portal_host() -> str:
    return urlsplit(settings().base_url).netloc


def check_url(url: str) -> Finding:
    """The release behind a URL of this portal (its permalink or one of its formats)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or parts.netloc.lower() != portal_host().lower():
        raise NotThisPortal(url)
    base = urlsplit(settings().base_url)
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path.rstrip("/") or "/")
    path = parts.path
    prefix = base.path.rstrip("/")
    if prefix and path.startswith(prefix):
        path = path[len(prefix):] or "/"
    try:
        _endpoint, args = adapter.match(path, method="GET")
    except HTTPException:
        return Finding("unknown")
    if not {"office_slug", "year", "number"} <= set(args):
        return Finding("unknown")
    release = services.find(args["office_slug"], args["year"], args["number"])
    if release is None:
        return Finding("unknown")
    texts = [v for v in release.versions if v.kind != "withdrawal"]
    wanted = args.get("version")
    version = next((v for v in texts if v.version == wanted), None) if wanted else texts[-1]
    if version is None:
        return Finding("unknown")
    return Finding("match", present(version), present(release.versions[-1]), score=1.0)


def text_of_mail(data: bytes) -> str:
    """The text of a saved mail (.eml): its plain text part, else its HTML as text."""
    msg = BytesParser(policy=policy.default).parsebytes(data)
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = str(part.get_content())
    if part.get_content_type() == "text/html":
        return str(lxml_html.fromstring(content).text_content()) if content.strip() else ""
    return content


def check_signed(data: bytes) -> Finding:
    """A saved ``signed.json``: the signature with the published keys (retired ones too),
    then the version it names."""
    try:
        doc, token = verify.load_signed(data)
    except ValueError:
        return Finding("bad_signature")
    if not verify.check(doc, token, keys.jwks()).ok:
        return Finding("bad_signature")
    public_id = str(doc.get("uri", "")).rpartition("/")[2]
    release = services.by_public_id(public_id)
    if release is None:
        return Finding("unknown")
    try:
        version = services.version_of(release, int(doc.get("version", "")))
    except ValueError:
        version = None
    if version is None:
        return Finding("unknown")
    return Finding("match", present(version), present(release.versions[-1]), score=1.0)
