"""Portal benchmark: gunicorn on loopback, load from wrk, bounded in time.

1. (unless --skip-data) 100,000 releases across 20 offices into PostgreSQL
   (database ``pressdesk_portal_bench``; bench/portal_data.py, COPY).
2. gunicorn with the same settings for every endpoint (default: 4 workers, gthread, 2 threads).
3. wrk against: a minimal "hello" endpoint of the same app, the all-offices feed answered with
   304 (If-None-Match), the home page, an office page, search with one- and two-word German
   queries. Each run is ``--seconds`` long; every run uses the same connections and threads.
4. Prints a Markdown table (and writes JSON to --out).

    python bench/portal.py --skip-data --seconds 10 --connections 8

Targets (issue 5): feed 304 >= half the hello rps; home and office p99 < 50 ms;
search p95 < 100 ms.
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


def wait_up(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/_bench/hello", timeout=2) as r:  # noqa: S310
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("gunicorn did not come up")


def machine() -> dict[str, str]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text()
                .splitlines() if line.startswith("model name")), "?")
    mem = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.splitlines()[1]
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "memory": " ".join(mem.split()[:2])}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--db", default=DEFAULT_DB)
    ap.add_argument("--releases", type=int, default=100_000)
    ap.add_argument("--skip-data", action="store_true")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2, help="gthread threads per worker")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--wrk-threads", type=int, default=2)
    ap.add_argument("--port", type=int, default=18085)
    ap.add_argument("--out", default=str(ROOT / "bench" / "portal-results.json"))
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install wrk", file=sys.stderr)
        return 2

    env = dict(os.environ, PRESSDESK_DATABASE_URL=args.db,
               PRESSDESK_BASE_URL=f"http://127.0.0.1:{args.port}",
               PRESSDESK_SECRET_KEY="bench-secret-key-0123456789",
               PRESSDESK_INSTANCE_DIR=tempfile.mkdtemp(prefix="pressdesk-bench-"),
               PYTHONPATH=str(ROOT))
    py = sys.executable
    cli = str(Path(py).parent / "pressdesk")
    subprocess.run([cli, "db", "upgrade"], env=env, check=True, cwd=ROOT)
    if not args.skip_data:
        subprocess.run([py, str(ROOT / "bench" / "portal_data.py"), args.db, str(args.releases)],
                       env=env, check=True, cwd=ROOT)

    gunicorn = [py, "-m", "gunicorn", "-w", str(args.workers), "-k", "gthread", "--threads",
                str(args.threads), "-b", f"127.0.0.1:{args.port}", "--log-level", "warning",
                "bench.portal_app:app"]
    server = subprocess.Popen(gunicorn, env=env, cwd=ROOT, start_new_session=True)
    base = f"http://127.0.0.1:{args.port}"
    results: dict[str, dict[str, float]] = {}
    try:
        wait_up(base)
        with urllib.request.urlopen(base + "/feed.atom") as r:  # noqa: S310
            etag = r.headers["ETag"]
        with urllib.request.urlopen(base + "/api/v1/offices") as r:  # noqa: S310
            office = json.load(r)["items"][0]["id"]
        runs = {
            "hello (minimal endpoint)": (["/_bench/hello"], []),
            "feed /feed.atom, 304 (If-None-Match)": (["/feed.atom"], [f"If-None-Match: {etag}"]),
            "feed /feed.atom, 200 (full build)": (["/feed.atom"], []),
            "home page /": (["/"], []),
            f"office page /presse/{office}": ([f"/presse/{office}"], []),
            "search, one word (12 queries)": ([f"/suche?q={quote(q)}" for q in ONE_WORD], []),
            "search, two words (12 queries)": ([f"/suche?q={quote(q)}" for q in TWO_WORDS], []),
            "search, one word, prefix": ([f"/suche?q={quote(q[:5])}&wortanfang=1"
                                          for q in ONE_WORD], []),
            "API /api/v1/releases?q= (one word)": ([f"/api/v1/releases?q={quote(q)}"
                                                    for q in ONE_WORD], []),
        }
        # warm every worker's caches and connections once
        wrk(base, lua_paths(["/", f"/presse/{office}"] + runs["search, one word (12 queries)"][0]),
            3, args.connections, args.wrk_threads)
        for name, (paths, headers) in runs.items():
            results[name] = wrk(base, lua_paths(paths), args.seconds, args.connections,
                                args.wrk_threads, headers)
            r = results[name]
            print(f"{name:<42} {r['rps']:>8.1f} rps  p50 {r['p50_ms']:>7.2f}  p95 {r['p95_ms']:>7.2f}"
                  f"  p99 {r['p99_ms']:>7.2f} ms  errors {r['non2xx3xx_or_errors']}", flush=True)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    hello = results["hello (minimal endpoint)"]["rps"]
    feed = results["feed /feed.atom, 304 (If-None-Match)"]["rps"]
    summary = {
        "machine": machine(),
        "settings": {"gunicorn": f"{args.workers} workers, gthread, {args.threads} threads",
                     "wrk": f"{args.wrk_threads} threads, {args.connections} connections, "
                            f"{args.seconds} s per run", "releases": args.releases},
        "results": results,
        "checks": {
            "feed 304 / hello": round(feed / hello, 4),
            "home p99 ms": results["home page /"]["p99_ms"],
            "office p99 ms": next(v["p99_ms"] for k, v in results.items() if k.startswith("office")),
            "search one word p95 ms": results["search, one word (12 queries)"]["p95_ms"],
            "search two words p95 ms": results["search, two words (12 queries)"]["p95_ms"],
        },
    }
    Path(args.out).write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    print(json.dumps(summary["checks"], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
