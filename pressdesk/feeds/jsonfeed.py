"""A checker for the required fields and types of JSON Feed 1.1 (https://jsonfeed.org/version/1.1).

No maintained validator library exists on PyPI for JSON Feed; the spec's rules are few, so they are
listed here once and used by the tests on every JSON document we serve.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from pressdesk.feeds.builder import JSON_FEED_VERSION


def _is_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _is_rfc3339(value: Any) -> bool:
    if not isinstance(value, str) or "T" not in value:
        return False
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return parsed.tzinfo is not None


def validate(doc: Any) -> list[str]:
    """Problems found in a parsed JSON Feed document; an empty list means valid."""
    if not isinstance(doc, dict):
        return ["top level must be an object"]
    errors: list[str] = []
    if doc.get("version") != JSON_FEED_VERSION:
        errors.append(f"version must be {JSON_FEED_VERSION}")
    if not isinstance(doc.get("title"), str) or not doc["title"]:
        errors.append("title is required (string)")
    for key in ("home_page_url", "feed_url", "next_url", "icon", "favicon"):
        if key in doc and not _is_url(doc[key]):
            errors.append(f"{key} must be an absolute URL")
    for hub in doc.get("hubs", []):
        if not isinstance(hub, dict) or not isinstance(hub.get("type"), str) or not _is_url(
                hub.get("url")):
            errors.append("hubs need type and url")
    items = doc.get("items")
    if not isinstance(items, list):
        return errors + ["items is required (array)"]
    seen: set[str] = set()
    for i, item in enumerate(items):
        where = f"items[{i}]"
        if not isinstance(item, dict):
            errors.append(f"{where} must be an object")
            continue
        if not isinstance(item.get("id"), str) or not item["id"]:
            errors.append(f"{where}.id is required (string)")
        elif item["id"] in seen:
            errors.append(f"{where}.id is not unique")
        else:
            seen.add(item["id"])
        if not (isinstance(item.get("content_html"), str) or isinstance(item.get("content_text"),
                                                                          str)):
            errors.append(f"{where} needs content_html or content_text")
        for key in ("url", "external_url", "image", "banner_image"):
            if key in item and not _is_url(item[key]):
                errors.append(f"{where}.{key} must be an absolute URL")
        for key in ("date_published", "date_modified"):
            if key in item and not _is_rfc3339(item[key]):
                errors.append(f"{where}.{key} must be RFC 3339 with a zone")
        for author in item.get("authors", []):
            if not isinstance(author, dict) or not any(k in author for k in ("name", "url",
                                                                             "avatar")):
                errors.append(f"{where}.authors need name, url or avatar")
        for j, att in enumerate(item.get("attachments", [])):
            if not isinstance(att, dict) or not _is_url(att.get("url")) or not isinstance(
                    att.get("mime_type"), str):
                errors.append(f"{where}.attachments[{j}] needs url and mime_type")
            elif "size_in_bytes" in att and not isinstance(att["size_in_bytes"], int):
                errors.append(f"{where}.attachments[{j}].size_in_bytes must be a number")
    return errors
