"""Portal benchmark: gunicorn on loopback, load from wrk, bounded in time.

1. (unless --skip-data) ``--releases`` (default 100,000; 1,000,000 takes a few minutes) across
   20 offices into PostgreSQL (database ``pressdesk_portal_bench``, created when missing;
   bench/portal_data.py, COPY). ``--baseline 100000`` measures that size first as well.
2. gunicorn with the same settings for every endpoint (default: 4 workers, gthread, 2 threads).
3. wrk against: a minimal "hello" endpoint of the same app, the all-offices feed answered with
   304 (If-None-Match), the home page, an office page, search with one- and two-word German
   queries, a release page. Each run is ``--seconds`` long, at ``--connections`` and at 1.
4. Writes JSON to --out and prints, last, one ``name value`` line per target (``*_over_hello``:
   req/s divided by hello's at ``--connections``; ``*_c1``: at one connection).

    python bench/portal.py --releases 1000000 --baseline 100000

Targets: home/office/release >= 0.5 of hello, feed 304 >= 0.8; home and office p99 < 25 ms at
one connection; search p95 < 50 ms (one and two words), prefix < 100 ms; search >= 150 rps.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/pressdesk_portal_bench"

ONE_WORD = ["Zeitung", "Radweg", "Kreistag", "Hafen", "Netzwerk", "Feuerwehr", "Schulen",
            "Glasfaser", "Hochwasser", "Bürgerbeteiligung", "Sanierung", "Museum"]
TWO_WORDS = ["Radweg Ausbau", "Kreistag Haushalt", "Schule Sanierung", "Hafen Fähre",
             "Netzwerk Software", "Feuerwehr Sporthalle", "Zeitung Bürger", "Glasfaser Breitband",
             "Windpark Naturschutz", "Bahnhof Umleitung", "Museum Ausstellung", "Pflege Senioren"]

LUA_REPORT = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT {\"requests\": %d, \"seconds\": %.3f, \"rps\": %.1f, \"p50_ms\": %.2f, "
    .. "\"p95_ms\": %.2f, \"p99_ms\": %.2f, \"max_ms\": %.2f, \"non2xx3xx_or_errors\": %d}\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, e.status + e.connect + e.read + e.write + e.timeout))
end
"""


def lua_paths(paths: list[str]) -> str:
    items = ", ".join(json.dumps(p) for p in paths)
    return ("local paths = {" + items + "}\nlocal i = 0\n"
            "request = function()\n  i = i % #paths + 1\n"
            "  return wrk.format(\"GET\", paths[i])\nend\n") + LUA_REPORT


def quote(q: str) -> str:
    return urllib.parse.quote(q)


def wrk(url: str, script: str, seconds: int, connections: int, threads: int,
        headers: list[str] | None = None) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s",
           "-s", f.name]
    for h in headers or []:
        cmd += ["-H", h]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=seconds + 30)
    os.unlink(f.name)
    line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(out.stdout + out.stderr)
    return json.loads(line[len("RESULT "):])


def wait_up(base: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/_bench/hello", timeout=2) as r:  # noqa: S310
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("gunicorn did not come up")


def settle(base: str, url: str, timeout: float = 120) -> float:
    """Wait until the previous run's work has drained: wrk stops sending at its deadline, but
    gunicorn's threads and PostgreSQL's backends still work off what was queued (seconds of
    search requests at 8 connections), and a run started then measures that backlog, not its
    own page (it made "hello" look 7 times slower than it is). Returns the seconds waited."""
    import psycopg

    started = time.monotonic()
    deadline = started + timeout
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        quiet = 0
        while time.monotonic() < deadline and quiet < 3:
            busy = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state = 'active' AND pid <> pg_backend_pid()").fetchone()
            t = time.perf_counter()
            try:
                with urllib.request.urlopen(base + "/_bench/hello", timeout=5) as r:  # noqa: S310
                    ok = r.status == 200
            except OSError:
                ok = False
            fast = ok and time.perf_counter() - t < 0.01
            quiet = quiet + 1 if fast and busy is not None and busy[0] == 0 else 0
            time.sleep(0.2)
    return time.monotonic() - started


def machine() -> dict[str, str]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text()
                .splitlines() if line.startswith("model name")), "?")
    mem = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.splitlines()[1]
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "memory": " ".join(mem.split()[:2])}


TARGETS = ("home_over_hello", "office_over_hello", "release_over_hello", "feed304_over_hello",
           "home_p99_ms_c1", "office_p99_ms_c1", "search1_p95_ms_c1", "search2_p95_ms_c1",
           "prefix_p95_ms_c1", "search1_rps_c8")


def ensure_wrk() -> bool:
    """wrk on the PATH; installed from Debian's packages when missing and running as root."""
    if shutil.which("wrk"):
        return True
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk (apt-get)", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, check=False)
    return shutil.which("wrk") is not None


def ensure_database(url: str) -> None:
    """Create the benchmark's database when it is missing (a fresh machine has none)."""
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    u = make_url(url)
    name = u.database or "pressdesk_portal_bench"
    admin = u.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        print(f"created database {name}", flush=True)


def release_path(url: str) -> str:
    """The permalink of the newest release (the generator makes every release public)."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        row = conn.execute(
            "SELECT o.slug, r.year, r.number, r.slug FROM releases r JOIN offices o "
            "ON o.id = r.office_id WHERE r.status = 'published' "
            "ORDER BY r.published_at DESC LIMIT 1").fetchone()
    if row is None:
        raise RuntimeError("no published release in the benchmark database")
    return f"/presse/{row[0]}/{row[1]}/{row[2]}-{row[3]}"


def has_current_schema(url: str) -> bool:
    """Does the benchmark database have the search's current columns? (The schema is one
    migration revision, edited in place: an existing database is not upgraded.)"""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        return conn.execute("SELECT 1 FROM information_schema.columns WHERE table_name = "
                            "'search_documents' AND column_name = 'fts_words'").fetchone() \
            is not None


def measure(args: argparse.Namespace, releases: int, with_data: bool) -> dict[str, dict]:
    """Data (unless skipped), gunicorn, and every run at ``--connections`` and at 1."""
    env = dict(os.environ, PRESSDESK_DATABASE_URL=args.db,
               PRESSDESK_BASE_URL=f"http://127.0.0.1:{args.port}",
               PRESSDESK_SECRET_KEY="bench-secret-key-0123456789",
               PRESSDESK_INSTANCE_DIR=tempfile.mkdtemp(prefix="pressdesk-bench-"),
               PYTHONPATH=str(ROOT))
    py = sys.executable
    cli = str(Path(py).parent / "pressdesk")
    ensure_database(args.db)
    subprocess.run([cli, "db", "upgrade"], env=env, check=True, cwd=ROOT)
    if with_data:
        subprocess.run([py, str(ROOT / "bench" / "portal_data.py"), args.db, str(releases)],
                       env=env, check=True, cwd=ROOT)
    elif not has_current_schema(args.db):
        raise SystemExit("the benchmark database was made by an older schema (search_documents "
                         "has no fts_words): run once without --skip-data")
    permalink = release_path(args.db)

    gunicorn = [py, "-m", "gunicorn", "-w", str(args.workers), "-k", "gthread", "--threads",
                str(args.threads), "-b", f"127.0.0.1:{args.port}", "--log-level", "warning",
                "bench.portal_app:app"]
    server = subprocess.Popen(gunicorn, env=env, cwd=ROOT, start_new_session=True)
    base = f"http://127.0.0.1:{args.port}"
    results: dict[str, dict] = {}
    try:
        wait_up(base)
        with urllib.request.urlopen(base + "/feed.atom") as r:  # noqa: S310
            etag = r.headers["ETag"]
        with urllib.request.urlopen(base + "/api/v1/offices") as r:  # noqa: S310
            office = json.load(r)["items"][0]["id"]
        runs = {
            "hello": (["/_bench/hello"], []),
            "feed304": (["/feed.atom"], [f"If-None-Match: {etag}"]),
            "feed200": (["/feed.atom"], []),
            "home": (["/"], []),
            "office": ([f"/presse/{office}"], []),
            "release": ([permalink], []),
            "search1": ([f"/suche?q={quote(q)}" for q in ONE_WORD], []),
            "search2": ([f"/suche?q={quote(q)}" for q in TWO_WORDS], []),
            "prefix": ([f"/suche?q={quote(q[:5])}&wortanfang=1" for q in ONE_WORD], []),
            "api1": ([f"/api/v1/releases?q={quote(q)}" for q in ONE_WORD], []),
        }
        # warm every worker's caches and connections once
        wrk(base, lua_paths(["/", f"/presse/{office}", permalink] + runs["search1"][0]),
            args.warmup, args.connections, args.wrk_threads)
        for conns in (args.connections, 1):
            for name, (paths, headers) in runs.items():
                key = f"{name}_c{conns}"
                settle(base, args.db)
                # One path: wrk's own fixed request (a Lua request() per request costs wrk
                # itself a quarter of its rate at "hello"'s speed); several: rotated in Lua.
                url, script = ((base + paths[0], LUA_REPORT) if len(paths) == 1
                               else (base, lua_paths(paths)))
                results[key] = r = wrk(url, script, args.seconds, conns,
                                       min(args.wrk_threads, conns), headers)
                print(f"{releases:>8} {key:<14} {r['rps']:>8.1f} rps  p50 {r['p50_ms']:>7.2f}"
                      f"  p95 {r['p95_ms']:>7.2f}  p99 {r['p99_ms']:>7.2f} ms"
                      f"  errors {r['non2xx3xx_or_errors']}", flush=True)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
    return results


def targets(results: dict[str, dict], conns: int) -> dict[str, float]:
    hello = results[f"hello_c{conns}"]["rps"]

    def over(name: str) -> float:
        rps = results[f"{name}_c{conns}"]["rps"]
        return round(rps / hello, 3) if hello else float("nan")

    return {
        "home_over_hello": over("home"), "office_over_hello": over("office"),
        "release_over_hello": over("release"), "feed304_over_hello": over("feed304"),
        "home_p99_ms_c1": results["home_c1"]["p99_ms"],
        "office_p99_ms_c1": results["office_c1"]["p99_ms"],
        "search1_p95_ms_c1": results["search1_c1"]["p95_ms"],
        "search2_p95_ms_c1": results["search2_c1"]["p95_ms"],
        "prefix_p95_ms_c1": results["prefix_c1"]["p95_ms"],
        "search1_rps_c8": results[f"search1_c{conns}"]["rps"],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--db", default=DEFAULT_DB)
    ap.add_argument("--releases", type=int, default=100_000)
    ap.add_argument("--baseline", type=int, default=0, metavar="N",
                    help="measure at N releases first (e.g. 100000) and print both sizes")
    ap.add_argument("--skip-data", action="store_true")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2, help="gthread threads per worker")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3, help="seconds of warm-up load")
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--wrk-threads", type=int, default=2)
    ap.add_argument("--port", type=int, default=18085)
    ap.add_argument("--out", default=str(ROOT / "bench" / "portal-results.json"))
    args = ap.parse_args()
    if not ensure_wrk():
        print("wrk is missing: apt-get install wrk", file=sys.stderr)
        return 2

    sizes = ([args.baseline] if args.baseline else []) + [args.releases]
    by_size: dict[int, dict[str, dict]] = {}
    for n in sizes:
        by_size[n] = measure(args, n, with_data=not args.skip_data)
    figures = {n: targets(res, args.connections) for n, res in by_size.items()}
    summary = {
        "machine": machine(),
        "load_average": os.getloadavg(),
        "settings": {"gunicorn": f"{args.workers} workers, gthread, {args.threads} threads",
                     "wrk": f"{args.wrk_threads} threads, {args.connections} and 1 connections, "
                            f"{args.seconds} s per run", "sizes": sizes},
        "results": {str(n): res for n, res in by_size.items()},
        "targets": {str(n): f for n, f in figures.items()},
    }
    Path(args.out).write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    # Last: one "name value" line per target; the baseline size beside it as name_<N>.
    for name in TARGETS:
        print(f"{name} {figures[args.releases][name]}")
        if args.baseline:
            print(f"{name}_{args.baseline} {figures[args.baseline][name]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
