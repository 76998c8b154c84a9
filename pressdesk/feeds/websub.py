"""WebSub (W3C) publisher side: after a public change, ping the hub for every feed it touched.

The ``release_changed`` signal is sent after commit; its receiver frees the local feed cache and
wakes the ``pressdesk.websub_ping`` task, which POSTs ``hub.mode=publish`` / ``hub.url=<feed>``
for each touched feed URL and is retried with backoff by Celery when the hub fails.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode

from pressdesk.celery_app import send_task
from pressdesk.config import settings
from pressdesk.extensions import db
from pressdesk.feeds import services
from pressdesk.feeds.builder import FORMATS
from pressdesk.releases.models import Release
from pressdesk.signals import release_changed

log = logging.getLogger(__name__)
WEBSUB_TASK = "pressdesk.websub_ping"


class HubError(Exception):
    """The hub did not accept a ping (non-2xx or unreachable); the task retries."""


def on_release_changed(sender: Any, release_id: int, **_kw: Any) -> None:
    services.cache().clear()
    services.state_cache().clear()
    services.scope_cache().clear()
    if settings().websub_hub:
        send_task(WEBSUB_TASK, release_id)


def connect_receivers() -> None:
    release_changed.connect(on_release_changed, weak=False)


def feed_urls(release: Release) -> list[str]:
    """The first page of every feed (all formats) the release appears or appeared in."""
    return [scope.url(fmt) for scope in services.scopes_for_release(release) for fmt in FORMATS]


def ping(hub: str, url: str, timeout: float = 10.0) -> int:
    body = urlencode({"hub.mode": "publish", "hub.url": url}).encode()
    # The hub URL is validated as http(s) at start (config.validate).
    req = urllib.request.Request(hub, data=body, method="POST", headers={  # noqa: S310
        "Content-Type": "application/x-www-form-urlencoded", "User-Agent": "pressdesk-websub"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - configured URL
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        raise HubError(f"hub answered {exc.code} for {url}") from exc
    except OSError as exc:
        raise HubError(f"hub unreachable for {url}: {exc}") from exc


def ping_release(release_id: int) -> int:
    """Ping the hub for every feed of the release. Raises HubError (retry) on any failure.

    Only once the release has been public: a release published under embargo (or corrected
    before its embargo ends) changes no feed yet, and a ping would announce it early. The end of
    the embargo sends ``release_changed`` again, and that ping goes out."""
    hub = settings().websub_hub
    release = db.session.get(Release, release_id)
    if not hub or release is None or release.went_public_at is None:
        return 0
    urls = feed_urls(release)
    db.rollback()  # end the read; no connection is held while the hub answers
    for url in urls:
        ping(hub, url)
    log.info("websub: pinged %s for %d feeds", hub, len(urls))
    return len(urls)
