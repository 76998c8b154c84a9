"""Absolute URLs on the configured public base URL, with or without a request.

Emails, feeds and workers need absolute links; the request's host may be an internal one
(behind a proxy, or none at all in a worker), so links are always built on PRESSDESK_BASE_URL.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app

from pressdesk.config import settings


def external_url(endpoint: str, **values: Any) -> str:
    base = urlsplit(settings().base_url)
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path.rstrip("/") or "/",
                                       url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)
