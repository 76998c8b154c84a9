"""OPML 2.0 list of every feed (all offices, each office, its topics and regions), built with
ElementTree so it is always well-formed XML."""

from __future__ import annotations

from email.utils import format_datetime
from xml.etree import ElementTree as ET

from pressdesk.db import utcnow
from pressdesk.feeds import services


def build_opml() -> bytes:
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = "pressdesk: alle Feeds"
    ET.SubElement(head, "dateCreated").text = format_datetime(utcnow(), usegmt=True)
    body = ET.SubElement(root, "body")

    def outline(parent: ET.Element, scope: services.Scope) -> None:
        ET.SubElement(parent, "outline", type="rss", text=scope.title, title=scope.title,
                      xmlUrl=scope.url("rss"), htmlUrl=scope.home_url, language="de")

    outline(body, services.scope_all())
    for label, scopes in services.shared_scopes():
        group = ET.SubElement(body, "outline", text=label, title=label)
        for scope in scopes:
            outline(group, scope)
    for office, scopes in services.all_scopes():
        group = ET.SubElement(body, "outline", text=office.name, title=office.name)
        for scope in scopes:
            outline(group, scope)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
