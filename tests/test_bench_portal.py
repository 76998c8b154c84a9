"""bench/portal.py: the target lines it prints and the database it creates when missing."""

import importlib.util
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _bench():
    spec = importlib.util.spec_from_file_location("bench_portal", ROOT / "bench" / "portal.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_portal"] = module
    spec.loader.exec_module(module)
    return module


def _run(rps: float, p95: float = 10.0, p99: float = 20.0) -> dict:
    return {"rps": rps, "p50_ms": 1.0, "p95_ms": p95, "p99_ms": p99}


def test_one_figure_per_target_from_both_connection_counts():
    bench = _bench()
    results = {}
    for conns in (8, 1):
        for name in ("hello", "feed304", "home", "office", "release", "search1", "search2",
                     "prefix"):
            results[f"{name}_c{conns}"] = _run(1000.0 if name == "hello" else 400.0 / conns,
                                               p99=30.0 if conns == 1 else 99.0)
    figures = bench.targets(results, 8)
    assert tuple(figures) == bench.TARGETS
    assert figures["home_over_hello"] == 0.05  # 50 rps at 8 connections / hello's 1000
    assert figures["home_p99_ms_c1"] == 30.0  # taken at one connection, not at eight
    assert figures["search1_rps_c8"] == 50.0
    results["hello_c8"] = _run(0.0)
    assert bench.targets(results, 8)["home_over_hello"] != bench.targets(results, 8)[
        "home_over_hello"]  # nan: a hello run that answered nothing is no ratio


@pytest.mark.skipif(not os.environ.get("PRESSDESK_DATABASE_URL", "").startswith("postgresql"),
                    reason="creates a PostgreSQL database; the PostgreSQL run covers it")
def test_the_benchmark_database_is_created_when_missing():
    import psycopg
    from sqlalchemy.engine import make_url

    bench = _bench()
    url = make_url(os.environ["PRESSDESK_DATABASE_URL"]).set(database="pressdesk_bench_probe")
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS pressdesk_bench_probe")
    try:
        bench.ensure_database(url.render_as_string(hide_password=False))
        bench.ensure_database(url.render_as_string(hide_password=False))  # exists: no error
        with psycopg.connect(admin, autocommit=True) as conn:
            assert conn.execute("SELECT 1 FROM pg_database WHERE datname = "
                                "'pressdesk_bench_probe'").fetchone()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS pressdesk_bench_probe")
