"""Bulk test data for the portal benchmark: N public releases across 20 offices in PostgreSQL.

Written with COPY (psycopg), straight into the tables the app reads, including the search
documents (PostgreSQL computes their tsvector column). Deterministic (seeded), so runs compare.

    python bench/portal_data.py postgresql://postgres@127.0.0.1:5432/pressdesk_portal_bench 100000
"""

from __future__ import annotations

import itertools
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg

from pressdesk.text import dateline, slugify

PLACES = ["Leer", "Meppen", "Lingen (Ems)", "Aurich", "Emden", "Papenburg", "Nordhorn", "Norden",
          "Weener", "Bunde", "Haren", "Sögel", "Wittmund", "Esens", "Borkum", "Westoverledingen",
          "Rhauderfehn", "Moormerland", "Uplengen", "Jemgum"]
TOPICS = [("wirtschaft", "Wirtschaft"), ("verkehr", "Verkehr"), ("bildung", "Bildung"),
          ("kultur", "Kultur"), ("gesundheit", "Gesundheit"), ("umwelt", "Umwelt"),
          ("digitalisierung", "Digitalisierung"), ("soziales", "Soziales")]
REGIONS = [("ostfriesland", "Ostfriesland"), ("emsland", "Emsland"),
           ("rheiderland", "Rheiderland"), ("grafschaft-bentheim", "Grafschaft Bentheim")]
NOUNS = ("Landkreis Kreistag Stadtrat Bürgermeister Landrat Zeitung Zeitungen Bürgerzeitung "
         "Netzwerk Netzwerkes Radweg Radwege Schule Schulen Kindergarten Krankenhaus Hafen "
         "Brücke Straße Straßen Haushalt Förderung Fördermittel Gewerbegebiet Unternehmen "
         "Wirtschaftsförderung Breitband Glasfaser Ausbau Sanierung Feuerwehr Rettungsdienst "
         "Impfaktion Bibliothek Museum Ausstellung Konzert Festival Sportverein Sporthalle "
         "Schwimmbad Klimaschutz Windpark Solarpark Deich Hochwasser Naturschutz Wanderweg "
         "Tourismus Fähre Bahnhof Bus Buslinie Baustelle Sperrung Umleitung Wahl Sitzung "
         "Ausschuss Bürgerbeteiligung Einwohner Bürger Bürgerinnen Jugend Senioren Pflege "
         "Ausbildung Fachkräfte Hochschule Forschung Kompetenzzentrum Cluster Software "
         "Verwaltung Onlinedienst Antrag Genehmigung Baugebiet Wohnungen Mieten Energie").split()
VERBS = ("beschließt eröffnet startet plant fördert saniert informiert lädt ein baut erweitert "
         "stellt vor begrüßt ehrt unterstützt verbessert sucht meldet erneuert bittet").split()
ADJ = ("neue neuen regionale öffentliche digitale schnelle sichere moderne große kleine "
       "gemeinsame erste zweite weitere ostfriesische emsländische").split()
FILLER = ("der die das und mit für im in am zum zur auf von bei nach über unter den dem des "
          "ein eine einen einer sowie auch noch bereits ab bis ab sofort heute morgen").split()
FIRST = ("Stadt Kreis Schul Rad Bürger Land Wirtschafts Verkehrs Bau Wasser Energie Sport "
         "Jugend Familien Kinder Gesundheits Kultur Umwelt Klima Natur Hafen Fähr Bahn Bus "
         "Feuerwehr Rettungs Pflege Senioren Gewerbe Handels Handwerks Touristen Ferien Strand "
         "Deich Moor Wald Garten Friedhofs Markt Rathaus Kreishaus Haushalts Steuer Förder "
         "Breitband Glasfaser Daten Software Netz Strom Wärme Abfall Müll Straßen Brücken").split()
SECOND = ("haus weg verwaltung zentrum plan projekt programm netz amt gebiet verein schule "
          "platz straße beirat konzept fonds bericht tag woche fest markt hafen park anlage "
          "gesetz verordnung satzung gebühr antrag stelle dienst leitung beauftragte").split()
# A vocabulary of about 2,400 words with Zipf-like weights (a few words are very common, most
# are rare, like real text); the words the benchmark searches for sit at varied ranks.
WORDS = NOUNS + VERBS + ADJ + [f + s for f in FIRST for s in SECOND]
random.Random(7).shuffle(WORDS)
CUM_WEIGHTS = list(itertools.accumulate(1 / (i + 1) for i in range(len(WORDS))))


def sentence(rng: random.Random, n: int) -> str:
    words = []
    for _ in range(n):
        words.append(rng.choice(FILLER) if rng.random() < 0.4 else
                     rng.choices(WORDS, cum_weights=CUM_WEIGHTS)[0])
    return " ".join(words).capitalize() + "."


def headline(rng: random.Random) -> str:
    return (f"{rng.choice(NOUNS)} {rng.choice(VERBS)} {rng.choice(ADJ)} "
            f"{rng.choice(NOUNS)} in {rng.choice(PLACES)}")


def copy_rows(cur: psycopg.Cursor, table: str, cols: list[str], rows: list[tuple]) -> None:
    with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def generate(url: str, n: int, offices: int = 20, seed: int = 5) -> dict[str, float]:
    rng = random.Random(seed)
    t0 = time.monotonic()
    now = datetime.now(UTC)
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        cur = conn.cursor()
        cur.execute("TRUNCATE offices, releases, release_versions, search_documents, topics, "
                    "regions, release_topics, release_regions RESTART IDENTITY CASCADE")
        office_rows, topic_rows, region_rows = [], [], []
        for i in range(1, offices + 1):
            place = PLACES[(i - 1) % len(PLACES)]
            office_rows.append((i, f"pressestelle-{i:02d}", f"Pressestelle {place} {i}", f"PS {i}",
                                f"Pressestelle {place}", f"Pressemitteilungen aus {place}.",
                                f"Impressum {place}", "Pressestelle", "0491 0000", f"presse{i}@example.org",
                                place, False, now))
            for j, (slug, name) in enumerate(TOPICS):
                topic_rows.append(((i - 1) * len(TOPICS) + j + 1, i, slug, name))
            for j, (slug, name) in enumerate(REGIONS):
                region_rows.append(((i - 1) * len(REGIONS) + j + 1, i, slug, name))
        copy_rows(cur, "offices", ["id", "slug", "name", "tag", "sender_name", "description",
                                   "imprint", "contact_name", "contact_phone", "contact_email",
                                   "default_place", "require_four_eyes", "created_at"], office_rows)
        copy_rows(cur, "topics", ["id", "office_id", "slug", "name"], topic_rows)
        copy_rows(cur, "regions", ["id", "office_id", "slug", "name"], region_rows)

        numbers: dict[tuple[int, int], int] = {}
        batch = 10_000
        for start in range(1, n + 1, batch):
            rel, ver, doc, rt, rr = [], [], [], [], []
            for rid in range(start, min(n, start + batch - 1) + 1):
                office = rng.randint(1, offices)
                # spread over about three years, newest last
                when = now - timedelta(minutes=(n - rid) * 15 + rng.randint(0, 10))
                key = (office, when.year)
                numbers[key] = numbers.get(key, 0) + 1
                head = headline(rng)
                lead = sentence(rng, rng.randint(18, 30))
                body = "\n\n".join(sentence(rng, rng.randint(15, 30)) for _ in range(rng.randint(3, 6)))
                place = PLACES[(office - 1) % len(PLACES)]
                rel.append((rid, office, uuid.UUID(int=rng.getrandbits(128)).hex, when.year,
                            numbers[key], slugify(head), "published", head, "", place, lead, body,
                            1, when, when, when, when))
                ver.append((rid, rid, 1, "publish", head, "", dateline(place, when), lead, body, when))
                # the body is plain text here; document_text() would give the same, slower
                doc.append((rid, rid, head, f"{lead} {' '.join(body.split())}", when, when))
                base = (office - 1) * len(TOPICS)
                for t in rng.sample(range(len(TOPICS)), rng.randint(1, 2)):
                    rt.append((rid, base + t + 1))
                rr.append((rid, (office - 1) * len(REGIONS) + rng.randrange(len(REGIONS)) + 1))
            copy_rows(cur, "releases", ["id", "office_id", "public_id", "year", "number", "slug",
                                        "status", "headline", "subline", "dateline_place", "lead",
                                        "body", "version", "published_at", "went_public_at",
                                        "created_at", "updated_at"], rel)
            copy_rows(cur, "release_versions", ["id", "release_id", "version", "kind", "headline",
                                                "subline", "dateline", "lead", "body", "created_at"],
                      ver)
            copy_rows(cur, "search_documents", ["release_id", "version_id", "headline", "content",
                                                "published_at", "updated_at"], doc)
            copy_rows(cur, "release_topics", ["release_id", "topic_id"], rt)
            copy_rows(cur, "release_regions", ["release_id", "region_id"], rr)
            conn.commit()
            print(f"  {min(n, start + batch - 1):>7} releases  {time.monotonic() - t0:6.1f} s",
                  flush=True)
        for table in ("offices", "topics", "regions", "releases", "release_versions"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))")
        conn.commit()
    conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    conn.execute("VACUUM ANALYZE")
    conn.close()
    return {"releases": n, "seconds": round(time.monotonic() - t0, 1)}


if __name__ == "__main__":
    print(generate(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 100_000))
