"""Bulk test data for the portal benchmark: N public releases across 20 offices in PostgreSQL.

Written with COPY (psycopg), straight into the tables the app reads, including the search
documents with their compound heads and both tsvectors (``search.index.tsvectors``); the secondary
indexes are dropped for the load and built once after it. Deterministic (seeded), so runs
compare. Every size spreads over about three years (a million releases: one every 95 seconds).

    python bench/portal_data.py postgresql://postgres@127.0.0.1:5432/pressdesk_portal_bench 100000
"""

from __future__ import annotations

import itertools
import random
import sys
import threading
import time
import uuid
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from queue import Queue

import psycopg

from pressdesk.search.compounds import word_parts
from pressdesk.search.index import vectors_of
from pressdesk.search.text import fold, sequence, stem
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


# One draw per word over filler (40 % of the words, uniform) and the vocabulary (60 %, Zipf).
POPULATION = FILLER + WORDS
_ZIPF = [1 / (i + 1) for i in range(len(WORDS))]
CUM_WEIGHTS = list(itertools.accumulate(
    [0.4 / len(FILLER)] * len(FILLER) + [0.6 * w / sum(_ZIPF) for w in _ZIPF]))
# The compound heads of every word (the search documents' ``parts``), worked out once.
PARTS = {w: word_parts(fold(w)) for w in set(POPULATION + NOUNS) if word_parts(fold(w))}
# ... and the stem (or stop-word gap) of every word: the documents' vectors are built from these
# without running the tokenizer over each text (the same sequence ``search.text.sequence`` gives).
SEQ = {w: sequence(w) for w in set(POPULATION)}
assert all(len(v) == 1 for v in SEQ.values())
STEM = {w: v[0] for w, v in SEQ.items()}
SPAN = timedelta(days=3 * 365)  # every size spreads over about three years, newest last


def words(rng: random.Random, n: int) -> list[str]:
    return rng.choices(POPULATION, cum_weights=CUM_WEIGHTS, k=n)


def sentence(ws: list[str]) -> str:
    return " ".join(ws).capitalize() + "."


def headline(rng: random.Random) -> tuple[str, list[str]]:
    nouns = [rng.choice(NOUNS), rng.choice(NOUNS)]
    return (f"{nouns[0]} {rng.choice(VERBS)} {rng.choice(ADJ)} {nouns[1]} in "
            f"{rng.choice(PLACES)}", nouns)


def copy_rows(cur: psycopg.Cursor, table: str, cols: list[str], rows: list[tuple]) -> None:
    with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


TABLES = ("offices", "releases", "release_versions", "search_documents", "topics", "regions",
          "release_topics", "release_regions")


def drop_indexes(cur: psycopg.Cursor) -> list[str]:
    """Drop the secondary indexes of the bulk tables (not those behind a constraint) and return
    their definitions: building them once after the load is much faster than keeping them up.
    The definitions are kept in a table until they are built again, so a load that was stopped
    halfway leaves them for the next one."""
    cur.execute("CREATE TABLE IF NOT EXISTS bench_dropped_indexes (definition text PRIMARY KEY)")
    cur.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' "
        "AND i.tablename = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
        "WHERE c.conname = i.indexname)", (list(TABLES),))
    found = cur.fetchall()
    for name, definition in found:
        cur.execute("INSERT INTO bench_dropped_indexes VALUES (%s) ON CONFLICT DO NOTHING",
                    (definition,))
        cur.execute(f'DROP INDEX "{name}"')
    cur.execute("SELECT definition FROM bench_dropped_indexes")
    return [definition for (definition,) in cur.fetchall()]


BATCH = 10_000
# Releases with texts of their own; beyond that, the generator repeats these texts with new ids,
# times and numbers inside PostgreSQL (a million releases in minutes, not an hour of Python).
# Posting lists, vector sizes and word frequencies grow exactly as with new texts.
UNIQUE = 100_000


def make_batch(task: tuple[int, int, int, datetime, int, int]) -> list[list[tuple]]:
    """The rows of releases ``start``..``stop`` (release numbers are filled in later, in order)."""
    start, stop, n, now, offices, seed = task
    rng = random.Random(seed * 1_000_003 + start)
    step = SPAN / n
    rel, ver, doc, rt, rr = [], [], [], [], []
    for rid in range(start, stop + 1):
        office = rng.randint(1, offices)
        when = now - (n - rid) * step - timedelta(seconds=rng.randint(0, 59))
        head, head_nouns = headline(rng)
        lead_words = words(rng, rng.randint(18, 30))
        body_words = [words(rng, rng.randint(15, 30)) for _ in range(rng.randint(3, 6))]
        lead = sentence(lead_words)
        body = "\n\n".join(sentence(ws) for ws in body_words)
        parts: dict[str, None] = {}
        for w in itertools.chain(head_nouns, lead_words, *body_words):
            for part in PARTS.get(w, ()):
                parts[part] = None
        place = PLACES[(office - 1) % len(PLACES)]
        rel.append((rid, office, uuid.UUID(int=rng.getrandbits(128)).hex, when.year, 0,
                    slugify(head), "published", head, "", place, lead, body, 1, when, when, when,
                    when))
        ver.append((rid, rid, 1, "publish", head, "", dateline(place, when), lead, body, when))
        # the body is plain text here; document_text() would give the same, slower
        content = f"{lead} {' '.join(body.split())}"
        stems = [STEM[w] for w in itertools.chain(lead_words, *body_words)]
        match, lexemes, rank = vectors_of(sequence(head), stems, [stem(p) for p in parts])
        doc.append((rid, rid, head, content, " ".join(parts), match, lexemes, rank, when, when))
        base = (office - 1) * len(TOPICS)
        for t in rng.sample(range(len(TOPICS)), rng.randint(1, 2)):
            rt.append((rid, base + t + 1))
        rr.append((rid, (office - 1) * len(REGIONS) + rng.randrange(len(REGIONS)) + 1))
    return [rel, ver, doc, rt, rr]


def _numbered(rows: list[list[tuple]], numbers: dict[tuple[int, int], int]
              ) -> tuple[int, list[list[tuple]]]:
    """Release numbers per office and year, counted in id order."""
    rel = rows[0]
    for i, r in enumerate(rel):
        key = (r[1], r[3])
        numbers[key] = numbers.get(key, 0) + 1
        rel[i] = (*r[:4], numbers[key], *r[5:])
    return rel[-1][0], rows


def replicate(cur: psycopg.Cursor, shift: int, count: int, n: int, now: datetime) -> None:
    """Releases ``shift + 1 .. shift + count`` as copies of releases 1..count made inside
    PostgreSQL (no text travels): same texts, vectors, office, topics and region; their own
    ids, public ids, times (the same spacing as the generated ones) and numbers (the id)."""
    args = {"shift": shift, "count": count, "n": n, "now": now,
            "step": SPAN.total_seconds() / n}
    when = ("(%(now)s::timestamptz AT TIME ZONE 'UTC') - ((%(n)s - (r.id + %(shift)s)) * "
            "%(step)s) * interval '1 second'")
    cur.execute(
        "INSERT INTO releases (id, office_id, public_id, year, number, slug, status, headline, "
        "subline, dateline_place, lead, body, version, published_at, went_public_at, created_at, "
        f"updated_at) SELECT r.id + %(shift)s, r.office_id, md5((r.id + %(shift)s)::text), "
        f"extract(year FROM {when})::int, r.id + %(shift)s, r.slug, r.status, r.headline, "
        f"r.subline, r.dateline_place, r.lead, r.body, r.version, {when}, {when}, {when}, "
        f"{when} FROM releases r WHERE r.id <= %(count)s", args)
    cur.execute(
        "INSERT INTO release_versions (id, release_id, version, kind, headline, subline, "
        "dateline, lead, body, created_at) SELECT v.id + %(shift)s, v.release_id + %(shift)s, "
        "v.version, v.kind, v.headline, v.subline, v.dateline, v.lead, v.body, "
        f"{when.replace('r.id', 'v.release_id')} FROM release_versions v "
        "WHERE v.release_id <= %(count)s", args)
    cur.execute(
        "INSERT INTO search_documents (release_id, version_id, headline, content, parts, "
        "fts_vector, fts_words, fts_rank, published_at, updated_at) SELECT "
        "d.release_id + %(shift)s, d.version_id + %(shift)s, d.headline, d.content, d.parts, "
        "d.fts_vector, d.fts_words, d.fts_rank, "
        f"{when.replace('r.id', 'd.release_id')}, {when.replace('r.id', 'd.release_id')} "
        "FROM search_documents d WHERE d.release_id <= %(count)s", args)
    for table, col in (("release_topics", "topic_id"), ("release_regions", "region_id")):
        cur.execute(f"INSERT INTO {table} (release_id, {col}) SELECT release_id + %(shift)s, "
                    f"{col} FROM {table} WHERE release_id <= %(count)s", args)


def generate(url: str, n: int, offices: int = 20, seed: int = 5, processes: int = 2,
             unique: int = UNIQUE) -> dict[str, float]:
    t0 = time.monotonic()
    now = datetime.now(UTC)
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        cur = conn.cursor()
        # Bulk load: no per-row foreign-key checks (the rows are consistent by construction),
        # no WAL flush per batch, indexes built once at the end.
        cur.execute("SET session_replication_role = replica")
        cur.execute("SET synchronous_commit = off")
        cur.execute("TRUNCATE " + ", ".join(TABLES) + " RESTART IDENTITY CASCADE")
        indexes = drop_indexes(cur)
        conn.commit()
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

        conn.commit()

        def write(queue: Queue[tuple[int, list[list[tuple]]] | None]) -> None:
            """COPY each batch while the next one is generated (PostgreSQL works in its own
            process meanwhile, so both cores are busy)."""
            while (item := queue.get()) is not None:
                done, (rel, ver, doc, rt, rr) = item
                copy_rows(cur, "releases", ["id", "office_id", "public_id", "year", "number",
                                            "slug", "status", "headline", "subline",
                                            "dateline_place", "lead", "body", "version",
                                            "published_at", "went_public_at", "created_at",
                                            "updated_at"], rel)
                copy_rows(cur, "release_versions", ["id", "release_id", "version", "kind",
                                                    "headline", "subline", "dateline", "lead",
                                                    "body", "created_at"], ver)
                copy_rows(cur, "search_documents", ["release_id", "version_id", "headline",
                                                    "content", "parts", "fts_vector", "fts_words",
                                                    "fts_rank",
                                                    "published_at", "updated_at"], doc)
                copy_rows(cur, "release_topics", ["release_id", "topic_id"], rt)
                copy_rows(cur, "release_regions", ["release_id", "region_id"], rr)
                conn.commit()
                print(f"  {done:>7} releases  {time.monotonic() - t0:6.1f} s", flush=True)

        queue: Queue[tuple[int, list[list[tuple]]] | None] = Queue(maxsize=2)
        writer = threading.Thread(target=write, args=(queue,))
        writer.start()
        numbers: dict[tuple[int, int], int] = {}
        unique = min(n, unique)
        tasks = [(start, min(unique, start + BATCH - 1), n, now, offices, seed)
                 for start in range(1, unique + 1, BATCH)]
        # Batches are generated in worker processes (each seeded by its first id, so the data
        # does not depend on the number of processes), in order, a few ahead of the COPY.
        with ProcessPoolExecutor(processes, mp_context=get_context("fork")) as pool:
            pending: deque[Future[list[list[tuple]]]] = deque()
            for task in tasks:
                pending.append(pool.submit(make_batch, task))
                if len(pending) > 2 * processes:
                    done = _numbered(pending.popleft().result(), numbers)
                    queue.put(done)
                    if not writer.is_alive():
                        raise RuntimeError("the COPY thread stopped")
            while pending:
                queue.put(_numbered(pending.popleft().result(), numbers))
        queue.put(None)
        writer.join()
        for shift in range(unique, n, unique):
            replicate(cur, shift, min(unique, n - shift), n, now)
            conn.commit()
            print(f"  {shift + min(unique, n - shift):>7} releases  {time.monotonic() - t0:6.1f} s"
                  "  (texts repeated)", flush=True)
        for table in ("offices", "topics", "regions", "releases", "release_versions"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))")
        cur.execute("SET maintenance_work_mem = '512MB'")
        for definition in indexes:
            cur.execute(definition)
        cur.execute("DROP TABLE bench_dropped_indexes")
        conn.commit()
        print(f"  {len(indexes)} indexes built  {time.monotonic() - t0:6.1f} s", flush=True)
    conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    conn.execute("VACUUM ANALYZE")
    conn.close()
    return {"releases": n, "seconds": round(time.monotonic() - t0, 1)}


if __name__ == "__main__":
    print(generate(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 100_000,
                   unique=int(sys.argv[3]) if len(sys.argv) > 3 else UNIQUE))
