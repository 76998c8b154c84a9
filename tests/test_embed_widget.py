"""The embeddable office list takes options: how many releases, and one topic of the office."""

from __future__ import annotations

import re

from pressdesk.releases.models import Topic
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
