"""Feed cache / 304 path vs a minimal "hello" endpoint of the same app, gunicorn + wrk on loopback.

Usage (PostgreSQL database that may be wiped):
    PRESSDESK_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/pressdesk_feeds \
        .venv/bin/python bench/feeds_bench.py [--releases 100000] [--offices 20] [--seconds 10]

Seeds releases with bulk INSERTs (not through publish_release: no mail rendering needed to
measure feeds), starts gunicorn (2 sync workers, one per core), runs wrk (bounded by --seconds)
against each endpoint and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def seed(n_releases: int, n_offices: int) -> None:
    from sqlalchemy import insert, text

    from pressdesk import create_app, migrate
    from pressdesk.extensions import db
    from pressdesk.offices.models import Office
    from pressdesk.releases.models import Release, ReleaseVersion

    app = create_app()
    with app.app_context():
        migrate.recreate()
        now = datetime.now(UTC)
        db.session.execute(insert(Office), [
            {"slug": f"amt-{i}", "name": f"Pressestelle {i}", "tag": f"A{i}",
             "sender_name": f"Pressestelle {i}", "description": "Benchmark", "imprint": "",
             "contact_name": "", "contact_phone": "", "contact_email": "", "default_place": "Leer",
             "require_four_eyes": False, "created_at": now} for i in range(n_offices)])
        db.session.commit()
        body = ("Der Landkreis baut Radwege und saniert Kreisstraßen. " * 40).strip()
        chunk = 5000
        for start in range(0, n_releases, chunk):
            rows, versions = [], []
            for i in range(start, min(start + chunk, n_releases)):
                at = now - timedelta(minutes=(n_releases - i) * 7)
                rows.append({
                    "id": i + 1, "office_id": i % n_offices + 1, "public_id": f"{i:032x}",
                    "year": at.year, "number": i // n_offices + 1, "slug": f"mitteilung-{i}",
                    "status": "published", "headline": f"Mitteilung {i}: Radwege im Rheiderland",
                    "subline": "Kreistag beschließt Ausbau", "dateline_place": "Leer",
                    "lead": "Der Landkreis baut zwölf Kilometer Radwege.", "body": body,
                    "version": 1, "published_at": at, "went_public_at": at, "created_at": at,
                    "updated_at": at})
                versions.append({
                    "release_id": i + 1, "version": 1, "kind": "publish",
                    "headline": f"Mitteilung {i}: Radwege im Rheiderland",
                    "subline": "Kreistag beschließt Ausbau", "dateline": "Leer, 23.11.2026",
                    "lead": "Der Landkreis baut zwölf Kilometer Radwege.", "body": body,
                    "created_at": at})
            db.session.execute(insert(Release), rows)
            db.session.execute(insert(ReleaseVersion), versions)
            db.session.commit()
        if db.dialect == "postgresql":
            db.session.execute(text("SELECT setval('releases_id_seq', :n)"), {"n": n_releases})
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))


def wrk(url: str, seconds: int, headers: list[str]) -> dict[str, float]:
    cmd = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", url]
    for h in headers:
        cmd[1:1] = ["-H", h]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def ms(label: str) -> float:
        m = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": ms("50"), "p99": ms("99"),
            "errors": float(non2xx.group(1)) if non2xx else 0.0}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--releases", type=int, default=100_000)
    ap.add_argument("--offices", type=int, default=20)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--no-seed", action="store_true")
    ap.add_argument("--port", type=int, default=18765)
    args = ap.parse_args()
    os.environ.setdefault("PRESSDESK_INSTANCE_DIR", "/tmp/pressdesk-feeds-bench")
    os.environ["PRESSDESK_BASE_URL"] = f"http://127.0.0.1:{args.port}"
    if not args.no_seed:
        t0 = time.monotonic()
        seed(args.releases, args.offices)
        print(f"seeded {args.releases} releases in {time.monotonic() - t0:.0f}s", file=sys.stderr)
    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-w", "2", "-b", f"127.0.0.1:{args.port}",
         "--log-level", "warning", "bench.feeds_wsgi:app"], cwd=ROOT, start_new_session=True)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/bench/hello", timeout=1)  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        etags = {}
        for path in ("/feed.atom", "/presse/amt-3/feed.atom"):
            with urllib.request.urlopen(base + path, timeout=30) as r:  # noqa: S310 - warm cache
                etags[path] = r.headers["ETag"]
        cases = [
            ("hello (minimal endpoint)", "/bench/hello", []),
            ("all-offices Atom, cached, gzip", "/feed.atom", ["Accept-Encoding: gzip"]),
            ("all-offices Atom, 304", "/feed.atom", [f"If-None-Match: {etags['/feed.atom']}"]),
            ("office Atom, cached, gzip", "/presse/amt-3/feed.atom", ["Accept-Encoding: gzip"]),
            ("office Atom, 304", "/presse/amt-3/feed.atom",
             [f"If-None-Match: {etags['/presse/amt-3/feed.atom']}"]),
        ]
        print("| endpoint | req/s | p50 ms | p99 ms | vs hello | non-2xx/3xx |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        hello = None
        for label, path, headers in cases:
            r = wrk(base + path, args.seconds, headers)
            hello = hello or r["rps"]
            print(f"| {label} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | "
                  f"{r['rps'] / hello:.2f} | {r['errors']:.0f} |", flush=True)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
