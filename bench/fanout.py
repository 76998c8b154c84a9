#!/usr/bin/env python3
"""Fan-out benchmark: one release to N recipients through the real worker path into smtp-sink.

    python bench/fanout.py [--recipients 10000] [--nodes 1|2] [--durable-marks on|off]
                           [--database-url URL] [--broker-url URL]

Default is the embedded setup (SQLite + kombu's SQLAlchemy transport) in a temporary folder.
With --database-url the database is created when missing and its ``public`` schema is DROPPED
and recreated: give it a database of its own. With a Redis broker the bench's queue keys on
that Redis db are deleted.

It starts Postfix's ``smtp-sink`` on a free loopback port (``make bench`` installs it), real
Celery worker nodes (``celery -A workers.celery_app worker``, each with its own node name),
publishes one release to N outlets through ``publish_release`` and measures from the publish
click: msg/s to the last row marked sent, the first message accepted by the sink (the row's
``sent_at``: it is marked right after the sink's 250), the publishing transaction, and the
pool's memory (sum of the proportional set size of every worker process, sampled during the
send: pages shared after fork counted once; the VmHWM sum is printed beside it). With
``--nodes 2`` the same release is sent again by two nodes and both figures are printed side by
side (on one machine both nodes share its cores). The raw limit: the same bytes pushed by bare
smtplib loops (one connection, and one connection per core in parallel processes; the better
counts). The last lines are ``name value`` figures, ``ratio`` (pressdesk msg/s with one node /
raw msg/s) last.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUEUE = "pressdesk-bench"
SMTP_SINK = "/usr/sbin/smtp-sink"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on port {port}")


def _group_pids(pgid: int) -> list[str]:
    out = subprocess.run(["ps", "-o", "pid=", "-g", str(pgid)], capture_output=True, text=True).stdout
    return out.split()


def peak_rss_mb(pgid: int) -> tuple[float, float]:
    """(largest single process, sum) of VmHWM over the process group, in MB."""
    peaks = []
    for pid in _group_pids(pgid):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        except OSError:
            continue
    return (max(peaks) if peaks else 0.0, sum(peaks))


def pss_mb(pgids: list[int]) -> float:
    """Memory the worker processes use now: the sum of their Pss (shared pages divided among
    the processes sharing them), in MB."""
    total = 0
    for pgid in pgids:
        for pid in _group_pids(pgid):
            try:
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
            except OSError:
                continue
    return total / 1024


class MemorySampler(threading.Thread):
    """The pool's peak Pss sum while it sends (every 0.2 s)."""

    def __init__(self, pgids: list[int]) -> None:
        super().__init__(daemon=True)
        self.pgids, self.peak = pgids, 0.0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.2):
            self.peak = max(self.peak, pss_mb(self.pgids))


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database of ``url`` when it does not exist yet."""
    if not url.startswith("postgresql"):
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    name = target.database or ""
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}) is None:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")
    admin.dispose()


def _raw_worker(args: tuple[int, int, bytes]) -> int:
    port, count, data = args
    conn = smtplib.SMTP("127.0.0.1", port)
    for i in range(count):
        conn.sendmail("presse@pressdesk.example", [f"raw{i}@bench.example"], data)
    conn.quit()
    return count


def raw_limit(port: int, data: bytes, count: int) -> tuple[float, float]:
    """msg/s of bare smtplib: one connection; one connection per core in parallel."""
    t = time.perf_counter()
    _raw_worker((port, count, data))
    single = count / (time.perf_counter() - t)
    cores = os.cpu_count() or 1
    per = max(1, count // cores)
    with multiprocessing.get_context("fork").Pool(cores) as pool:
        t = time.perf_counter()
        done = sum(pool.map(_raw_worker, [(port, per, data)] * cores))
        parallel = done / (time.perf_counter() - t)
    return single, parallel


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--recipients", type=int, default=10_000, help="outlets on the list (default 10000)")
    ap.add_argument("--database-url", default="",
                    help="PostgreSQL URL (default: SQLite in a temporary folder)")
    ap.add_argument("--broker-url", default="", help="redis://... (default: the SQLite broker)")
    ap.add_argument("--nodes", type=int, default=1, choices=(1, 2),
                    help="2: send once with one worker node, then again with two nodes, side by side")
    ap.add_argument("--concurrency", type=int, default=2 * (os.cpu_count() or 1),
                    help="pool processes per node (default: 2 per core; sending mostly waits)")
    ap.add_argument("--durable-marks", choices=("on", "off"), default="on",
                    help="PRESSDESK_DURABLE_MARKS: marks wait for the WAL flush (on, the default) "
                         "or not (off); PostgreSQL only")
    ap.add_argument("--raw-count", type=int, default=5000, help="messages for each raw smtplib run")
    ap.add_argument("--timeout", type=float, default=900, help="seconds to wait for the last row")
    ap.add_argument("--suite", action="store_true",
                    help="the issue's whole set in one go (needs --database-url and --broker-url): "
                         "PostgreSQL + Redis 10,000 x3, embedded 10,000, PostgreSQL + Redis 100,000, "
                         "10,000 with --nodes 2, 10,000 with --durable-marks off; summary last")
    ap.add_argument("--suite-scale", type=float, default=1.0,
                    help="--suite with every recipient count times this (e.g. 0.1 for a dry run)")
    args = ap.parse_args()
    if args.suite:
        suite(args)
        return
    n = args.recipients
    if not Path(SMTP_SINK).exists():
        raise SystemExit(f"{SMTP_SINK} missing: run `make bench` (installs postfix as root) or "
                         "apt-get install postfix ('No configuration')")
    if args.database_url:
        ensure_database(args.database_url)

    tmp = Path(tempfile.mkdtemp(prefix="pressdesk-bench-"))
    port = free_port()
    env = {
        "PRESSDESK_INSTANCE_DIR": str(tmp), "PRESSDESK_SMTP_URL": f"smtp://127.0.0.1:{port}",
        "PRESSDESK_SECRET_KEY": "bench-secret-key-0123456789", "PRESSDESK_QUEUE": QUEUE,
        "PRESSDESK_DURABLE_MARKS": "true" if args.durable_marks == "on" else "false",
    }
    if args.database_url:
        env["PRESSDESK_DATABASE_URL"] = args.database_url
    if args.broker_url:
        env["PRESSDESK_BROKER_URL"] = args.broker_url
    os.environ.update(env)

    sink = subprocess.Popen([SMTP_SINK, "-u", "root", f"127.0.0.1:{port}", "1000"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list[subprocess.Popen] = []
    runs: list[dict[str, float]] = []
    try:
        wait_port(port)
        from pressdesk import create_app

        app = create_app()
        with app.app_context():
            office, dl = _prepare(app, n)
            for nodes in range(1, args.nodes + 1):
                run, data = _publish_and_send(app, args, workers, tmp, office, dl, n, nodes)
                runs.append(run)
                for w in workers:  # all rows are sent; stop the workers
                    os.killpg(w.pid, signal.SIGKILL)
                    w.wait(10)
                workers.clear()
        single, parallel = raw_limit(port, data, min(args.raw_count, max(n, 1000)))
    finally:
        for w in workers:
            os.killpg(w.pid, signal.SIGKILL)
        sink.terminate()
        sink.wait(5)

    raw = max(single, parallel)
    one = runs[0]
    s_db = "PostgreSQL" if args.database_url.startswith("postgresql") else "SQLite"
    s_broker = "Redis" if args.broker_url.startswith("redis") else "SQLite broker"
    print(f"setup                {s_db} + {s_broker}, {args.concurrency} processes per node, "
          f"{os.cpu_count()} cores, durable marks {args.durable_marks}")
    print(f"recipients           {n}")
    print(f"message size         {len(data)} bytes")
    for run in runs:
        print(f"--- {run['nodes']:.0f} node(s)")
        print(f"publish transaction  {run['publish_s']:.3f} s (version, rendering, {n} recipients, commit)")
        print(f"first message        {run['first_message_s']:.3f} s after the publish click")
        print(f"last row sent        {run['last_s']:.2f} s after the publish click")
        print(f"pressdesk            {run['rate']:.0f} msg/s (publish click to last row marked sent)")
        print(f"worker memory        {run['pool_pss']:.0f} MB pool (Pss sum, peak), VmHWM: "
              f"{run['hwm_max']:.0f} MB largest process, {run['hwm_sum']:.0f} MB summed")
    print(f"raw smtplib          {single:.0f} msg/s one connection, {parallel:.0f} msg/s "
          f"{os.cpu_count()} connections in parallel")
    print(f"publish_s {one['publish_s']:.3f}")
    print(f"first_message_s {one['first_message_s']:.3f}")
    print(f"pool_rss_mb {one['pool_pss']:.0f}")
    print(f"msg_per_s_1_node {one['rate']:.0f}")
    if len(runs) > 1:
        print(f"msg_per_s_2_nodes {runs[1]['rate']:.0f}")
        print(f"pool_rss_mb_2_nodes {runs[1]['pool_pss']:.0f}")
        print(f"ratio_2_nodes {runs[1]['rate'] / raw:.2f}")
    print(f"ratio {one['rate'] / raw:.2f}")


def suite(args: argparse.Namespace) -> None:
    """Each run a fresh process of this script; their figures collected, a summary printed last."""
    if not (args.database_url.startswith("postgresql") and args.broker_url.startswith("redis")):
        raise SystemExit("--suite needs --database-url postgresql+psycopg://... and --broker-url redis://...")
    pg = ["--database-url", args.database_url, "--broker-url", args.broker_url]
    ten, hundred = (str(max(100, int(k * args.suite_scale))) for k in (10_000, 100_000))
    runs = [("pg-redis-10k-1", [*pg, "--recipients", ten]),
            ("pg-redis-10k-2", [*pg, "--recipients", ten]),
            ("pg-redis-10k-3", [*pg, "--recipients", ten]),
            ("embedded-10k", ["--recipients", ten]),
            ("pg-redis-100k", [*pg, "--recipients", hundred]),
            ("pg-redis-10k-nodes2", [*pg, "--recipients", ten, "--nodes", "2"]),
            ("pg-redis-10k-marks-off", [*pg, "--recipients", ten, "--durable-marks", "off"])]
    results: dict[str, dict[str, str]] = {}
    started = time.monotonic()
    for name, extra in runs:
        print(f"=== {name}: python bench/fanout.py {' '.join(extra)}", flush=True)
        t = time.monotonic()
        out = subprocess.run([sys.executable, __file__, *extra, "--concurrency", str(args.concurrency)],
                             capture_output=True, text=True, cwd=ROOT)
        print(out.stdout, end="", flush=True)
        if out.returncode != 0:
            print(out.stderr[-3000:], flush=True)
            results[name] = {"failed": f"exit {out.returncode}"}
            continue
        figures = {}
        for line in out.stdout.splitlines():
            key, _, value = line.partition(" ")
            if key.islower() and "_" in key or key == "ratio":
                figures[key] = value.strip()
        results[name] = figures
        print(f"({time.monotonic() - t:.0f} s)", flush=True)
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"=== summary ({time.monotonic() - started:.0f} s in all, load average now {' '.join(load)})")
    for name, figures in results.items():
        print(f"{name:24s} " + "  ".join(f"{k} {v}" for k, v in figures.items()))


def _prepare(app, n: int):  # type: ignore[no-untyped-def]
    from sqlalchemy import insert

    from pressdesk import migrate
    from pressdesk.db import utcnow
    from pressdesk.demo.loader import load_offices_and_users
    from pressdesk.extensions import db
    from pressdesk.media.models import DistributionList, Outlet, list_outlets

    migrate.recreate()
    s = app.extensions["pressdesk.settings"]
    if s.broker_url.startswith("redis"):
        import redis

        r = redis.Redis.from_url(s.broker_url)
        r.delete(QUEUE, "unacked", "unacked_index", "_kombu.binding.pressdesk-bench")
    offices, _ = load_offices_and_users()
    office = offices["landkreis-leer"]
    dl = DistributionList(office_id=office.id, name="Benchmark")
    db.session.add(dl)
    db.session.flush()
    now = utcnow()
    chunk = 5000
    for start in range(0, n, chunk):
        rows = [{"office_id": office.id, "name": f"Redaktion {i:06d}", "kind": "daily",
                 "email": f"redaktion{i:06d}@bench.example", "region": "",
                 "prefers_attachments": False, "max_attachment_kb": 10240, "active": True,
                 "created_at": now} for i in range(start, min(n, start + chunk))]
        ids = db.session.execute(insert(Outlet).returning(Outlet.id), rows).scalars().all()
        db.session.execute(insert(list_outlets), [{"list_id": dl.id, "outlet_id": i} for i in ids])
    db.session.commit()
    return office, dl


def _publish_and_send(app, args, workers, tmp: Path, office, dl, n: int, nodes: int):  # type: ignore[no-untyped-def]
    from pressdesk.delivery.render import personalise
    from pressdesk.demo.loader import _leer_release_text
    from pressdesk.extensions import db
    from pressdesk.releases import services

    text_ = _leer_release_text()
    text_["headline"] = f"{text_['headline']} ({nodes})"
    text_["body"] = "\n\n".join([text_["body"]] * 3)  # about 20 KB on the wire, text + HTML
    release = services.create_release(office, None, text_)
    db.session.commit()

    env = dict(os.environ, PRESSDESK_FANOUT_TASKS=str(nodes * args.concurrency))
    logs = []
    for i in range(nodes):
        log_path = tmp / f"run{nodes}-node{i}.log"
        logs.append(log_path)
        log = open(log_path, "wb")  # noqa: SIM115
        workers.append(subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", "-Q", QUEUE,
             "--concurrency", str(args.concurrency), "--pool", "prefork", "--loglevel", "INFO",
             "--hostname", f"bench{i}@%h", "--without-mingle", "--without-gossip"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
    deadline = time.monotonic() + 60
    while not all(b"ready." in p.read_bytes() for p in logs):
        if time.monotonic() > deadline:
            raise SystemExit("workers did not start; see " + str(tmp))
        time.sleep(0.2)
    time.sleep(1.0)  # let the pool children settle
    # The desk process publishes: the wake-ups go to as many tasks as there are pool processes.
    app.extensions["pressdesk.settings"] = _with(app, fanout_tasks=nodes * args.concurrency)
    sampler = MemorySampler([w.pid for w in workers])
    sampler.start()

    t0 = time.time()
    version = services.publish_release(release, None, [dl.id])
    db.commit()
    publish_s = time.time() - t0
    data = personalise(version.mail_bytes, "Redaktion", "raw@bench.example", "<raw.1@bench.example>")
    first, last = _wait_done(version.id, n, args.timeout)
    sampler.stopped.set()
    sampler.join(2)
    hwm_max, hwm_sum = 0.0, 0.0
    for w in workers:
        a, b = peak_rss_mb(w.pid)
        hwm_max, hwm_sum = max(hwm_max, a), hwm_sum + b
    return {"nodes": nodes, "publish_s": publish_s, "first_message_s": first - t0,
            "last_s": last - t0, "rate": n / (last - t0), "pool_pss": sampler.peak,
            "hwm_max": hwm_max, "hwm_sum": hwm_sum}, data


def _with(app, **changes):  # type: ignore[no-untyped-def]
    import dataclasses

    return dataclasses.replace(app.extensions["pressdesk.settings"], **changes)


def _wait_done(version_id: int, n: int, timeout: float) -> tuple[float, float]:
    from sqlalchemy import func, select

    from pressdesk.delivery.models import Delivery
    from pressdesk.extensions import db

    deadline = time.monotonic() + timeout
    while True:
        db.session.remove()
        sent = db.session.scalar(select(func.count()).where(Delivery.version_id == version_id,
                                                            Delivery.state == "sent"))
        if sent >= n:
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"only {sent} of {n} sent within {timeout}s")
        time.sleep(0.25)
    first, last = db.session.execute(
        select(func.min(Delivery.sent_at), func.max(Delivery.sent_at))
        .where(Delivery.version_id == version_id)).one()
    return first.timestamp(), last.timestamp()


if __name__ == "__main__":
    main()
