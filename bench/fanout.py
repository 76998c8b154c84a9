#!/usr/bin/env python3
"""Fan-out benchmark: one release to N recipients through the real worker path into smtp-sink.

    python bench/fanout.py [--recipients 10000] [--database-url URL] [--broker-url URL]

Default is the embedded setup (SQLite + kombu's SQLAlchemy transport) in a temporary folder.
With --database-url the database's ``public`` schema is DROPPED and recreated: give it a
database of its own. With a Redis broker the bench's queue keys on that Redis db are deleted.

It starts Postfix's ``smtp-sink`` on a free loopback port, real Celery worker processes
(``celery -A workers.celery_app worker``), publishes one release to N outlets through
``publish_release`` (rows written in the publishing transaction, wake-ups after commit), and
prints: msg/s from publish to the last row marked sent, the latency from publish to the first
message accepted by the sink (the row's ``sent_at``: it is marked right after the sink's 250),
the workers' peak RSS (VmHWM), and the raw limit: the same bytes pushed by bare smtplib loops
(one connection, and one connection per core in parallel processes; the better counts). The last
line is ``ratio <pressdesk msg/s / raw msg/s>``.
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
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUEUE = "pressdesk-bench"


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


def peak_rss_mb(pgid: int) -> tuple[float, float]:
    """(largest single process, sum) of VmHWM over the process group, in MB."""
    out = subprocess.run(["ps", "-o", "pid=", "-g", str(pgid)], capture_output=True, text=True).stdout
    peaks = []
    for pid in out.split():
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        except OSError:
            continue
    return (max(peaks) if peaks else 0.0, sum(peaks))


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
    ap.add_argument("--recipients", type=int, default=10_000)
    ap.add_argument("--database-url", default="")
    ap.add_argument("--broker-url", default="")
    ap.add_argument("--processes", type=int, default=1, help="worker processes (celery worker commands)")
    ap.add_argument("--concurrency", type=int, default=2 * (os.cpu_count() or 1),
                    help="pool processes per worker (default: 2 per core; sending mostly waits)")
    ap.add_argument("--raw-count", type=int, default=5000, help="messages for each raw smtplib run")
    ap.add_argument("--timeout", type=float, default=900)
    args = ap.parse_args()
    n = args.recipients

    tmp = Path(tempfile.mkdtemp(prefix="pressdesk-bench-"))
    port = free_port()
    env = {
        "PRESSDESK_INSTANCE_DIR": str(tmp), "PRESSDESK_SMTP_URL": f"smtp://127.0.0.1:{port}",
        "PRESSDESK_SECRET_KEY": "bench-secret-key-0123456789", "PRESSDESK_QUEUE": QUEUE,
        "PRESSDESK_FANOUT_TASKS": str(args.processes * args.concurrency),
    }
    if args.database_url:
        env["PRESSDESK_DATABASE_URL"] = args.database_url
    if args.broker_url:
        env["PRESSDESK_BROKER_URL"] = args.broker_url
    os.environ.update(env)

    sink = subprocess.Popen(["/usr/sbin/smtp-sink", "-u", "root", f"127.0.0.1:{port}", "1000"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list[subprocess.Popen] = []
    try:
        wait_port(port)
        from pressdesk import create_app

        app = create_app()
        with app.app_context():
            version_id, publish_s, t0, data = _prepare_and_publish(app, args, workers, tmp, n)
            sent_first, sent_last = _wait_done(version_id, n, t0, args.timeout)
            rss_max, rss_sum = 0.0, 0.0
            for w in workers:
                a, b = peak_rss_mb(w.pid)
                rss_max, rss_sum = max(rss_max, a), rss_sum + b
        for w in workers:  # all rows are sent; stop the workers before the raw runs
            os.killpg(w.pid, signal.SIGKILL)
            w.wait(10)
        workers.clear()
        single, parallel = raw_limit(port, data, min(args.raw_count, max(n, 1000)))
    finally:
        for w in workers:
            os.killpg(w.pid, signal.SIGKILL)
        sink.terminate()
        sink.wait(5)

    rate = n / (sent_last - t0)
    raw = max(single, parallel)
    s_db = "PostgreSQL" if args.database_url.startswith("postgresql") else "SQLite"
    s_broker = "Redis" if args.broker_url.startswith("redis") else "SQLite broker"
    print(f"setup                {s_db} + {s_broker}, {args.processes} worker x {args.concurrency} "
          f"processes, {os.cpu_count()} cores")
    print(f"recipients           {n}")
    print(f"message size         {len(data)} bytes")
    print(f"publish transaction  {publish_s:.2f} s (version, rendering, {n} rows, commit)")
    print(f"first message        {sent_first - t0:.3f} s after publish started "
          f"({sent_first - t0 - publish_s:.3f} s after its commit)")
    print(f"last row sent        {sent_last - t0:.2f} s after publish started")
    print(f"pressdesk            {rate:.0f} msg/s (publish to last row marked sent)")
    print(f"worker peak RSS      {rss_max:.0f} MB largest process, {rss_sum:.0f} MB all worker processes")
    print(f"raw smtplib          {single:.0f} msg/s one connection, {parallel:.0f} msg/s "
          f"{os.cpu_count()} connections in parallel")
    print(f"ratio {rate / raw:.2f}")


def _prepare_and_publish(app, args, workers, tmp: Path, n: int):  # type: ignore[no-untyped-def]
    from sqlalchemy import insert

    from pressdesk import migrate
    from pressdesk.db import utcnow
    from pressdesk.delivery.render import personalise
    from pressdesk.demo.loader import _leer_release_text, load_offices_and_users
    from pressdesk.extensions import db
    from pressdesk.media.models import DistributionList, Outlet, list_outlets
    from pressdesk.releases import services

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
    first_id = None
    chunk = 5000
    for start in range(0, n, chunk):
        rows = [{"office_id": office.id, "name": f"Redaktion {i:06d}", "kind": "daily",
                 "email": f"redaktion{i:06d}@bench.example", "region": "",
                 "prefers_attachments": False, "max_attachment_kb": 10240, "active": True,
                 "created_at": now} for i in range(start, min(n, start + chunk))]
        ids = db.session.execute(insert(Outlet).returning(Outlet.id), rows).scalars().all()
        first_id = first_id or ids[0]
        db.session.execute(insert(list_outlets), [{"list_id": dl.id, "outlet_id": i} for i in ids])
    db.session.commit()
    text_ = _leer_release_text()
    text_["body"] = "\n\n".join([text_["body"]] * 3)  # about 20 KB on the wire, text + HTML
    release = services.create_release(office, None, text_)
    db.session.commit()

    for i in range(args.processes):
        log = open(tmp / f"worker{i}.log", "wb")  # noqa: SIM115
        workers.append(subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", "-Q", QUEUE,
             "--concurrency", str(args.concurrency), "--pool", "prefork", "--loglevel", "INFO",
             "--hostname", f"bench{i}@%h", "--without-mingle", "--without-gossip"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
    deadline = time.monotonic() + 60
    while not all(b"ready." in (tmp / f"worker{i}.log").read_bytes() for i in range(args.processes)):
        if time.monotonic() > deadline:
            raise SystemExit("workers did not start; see " + str(tmp))
        time.sleep(0.2)
    time.sleep(1.0)  # let the pool children settle

    t0 = time.time()
    version = services.publish_release(release, None, [dl.id])
    db.commit()
    publish_s = time.time() - t0
    data = personalise(version.mail_bytes, "Redaktion", "raw@bench.example", "<raw.1@bench.example>")
    return version.id, publish_s, t0, data


def _wait_done(version_id: int, n: int, t0: float, timeout: float) -> tuple[float, float]:
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
