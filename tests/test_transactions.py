"""One owner of the transaction: a request commits once when its answer is below 400 and rolls back
otherwise; a Celery task commits after it ran and rolls back when it raised; work committed on
purpose (``db.commit()``) stays."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask, abort
from sqlalchemy import text

from pressdesk.db import init_request_transactions
from pressdesk.extensions import db


@pytest.fixture
def probe(app) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """A scratch table outside the models, so the test needs no domain rows."""
    assert db.engine is not None
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS tx_probe"))
        conn.execute(text("CREATE TABLE tx_probe (n INTEGER NOT NULL UNIQUE)"))
    yield
    db.session.remove()
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE tx_probe"))


def committed() -> list[int]:
    """What another connection sees: only committed rows."""
    assert db.engine is not None
    with db.engine.connect() as conn:
        return sorted(conn.execute(text("SELECT n FROM tx_probe")).scalars())


def insert(n: int) -> None:
    db.session.execute(text("INSERT INTO tx_probe (n) VALUES (:n)"), {"n": n})


@pytest.fixture
def web(app, probe) -> Flask:  # type: ignore[no-untyped-def]
    """A bare Flask app with the same request wrapper the real app installs."""
    web = Flask("tx-test")
    init_request_transactions(web)

    @web.teardown_appcontext
    def _remove(_exc: BaseException | None) -> None:
        db.session.remove()

    @web.post("/ok")
    def ok() -> tuple[str, int]:
        insert(1)
        return "ok", 200

    @web.post("/redirect")
    def redirect() -> tuple[str, int, dict[str, str]]:
        insert(2)
        return "", 302, {"Location": "/"}

    @web.post("/refused")
    def refused() -> str:
        insert(3)
        abort(403)

    @web.post("/form-error")
    def form_error() -> tuple[str, int]:
        insert(4)
        return "invalid", 422

    @web.post("/boom")
    def boom() -> str:
        insert(5)
        raise RuntimeError("view failed")

    @web.post("/counted-then-refused")
    def counted_then_refused() -> tuple[str, int]:
        insert(6)
        db.commit()  # e.g. a failed login that the throttle must count
        insert(7)
        return "refused", 401

    @web.post("/duplicate")
    def duplicate() -> tuple[str, int]:
        insert(8)
        insert(8)  # the unique violation surfaces at the flush/commit
        return "looks fine", 200

    return web


def test_a_successful_answer_commits(web: Flask) -> None:
    assert web.test_client().post("/ok").status_code == 200
    assert committed() == [1]
    assert web.test_client().post("/redirect").status_code == 302
    assert committed() == [1, 2]


@pytest.mark.parametrize("path,status", [("/refused", 403), ("/form-error", 422)])
def test_an_error_answer_rolls_back(web: Flask, path: str, status: int) -> None:
    assert web.test_client().post(path).status_code == status
    assert committed() == []


def test_an_exception_rolls_back(web: Flask) -> None:
    web.config["PROPAGATE_EXCEPTIONS"] = False
    assert web.test_client().post("/boom").status_code == 500
    assert committed() == []


def test_a_deliberate_commit_stays_and_the_rest_rolls_back(web: Flask) -> None:
    assert web.test_client().post("/counted-then-refused").status_code == 401
    assert committed() == [6]


def test_a_failing_commit_answers_500_not_the_success_page(web: Flask) -> None:
    web.config["PROPAGATE_EXCEPTIONS"] = False
    response = web.test_client().post("/duplicate")
    assert response.status_code == 500
    assert b"looks fine" not in response.data
    assert committed() == []


def test_the_app_installs_the_wrapper(app, probe) -> None:  # type: ignore[no-untyped-def]
    names = [f.__name__ for f in app.after_request_funcs[None]]
    # Registered first, so it runs last (Flask calls after_request functions in reverse).
    assert names[0] == "_end_unit_of_work"


def test_a_task_commits_after_it_ran_and_rolls_back_when_it_raised(app, probe) -> None:  # type: ignore[no-untyped-def]
    celery = app.extensions["celery"]

    @celery.task(name="tests.tx_probe_ok", shared=False)
    def ok(n: int) -> int:
        insert(n)
        return n

    @celery.task(name="tests.tx_probe_fails", shared=False)
    def fails(n: int) -> None:
        insert(n)
        raise RuntimeError("task failed")

    assert ok(10) == 10
    assert committed() == [10]
    with pytest.raises(RuntimeError):
        fails(11)
    assert committed() == [10]


def test_an_error_answer_that_wrote_nothing_leaves_loaded_objects_readable(app, demo) -> None:  # type: ignore[no-untyped-def]
    from pressdesk.offices.models import Office

    office = db.session.query(Office).filter_by(slug="landkreis-leer").one()
    assert app.test_client().get("/presse/no-such-office").status_code == 404
    assert office.name == "Landkreis Leer"  # not expired and detached by a needless rollback


def test_an_error_answer_rolls_back_core_statements_too(web: Flask) -> None:
    @web.post("/core-dml")
    def core_dml() -> tuple[str, int]:
        db.session.execute(text("INSERT INTO tx_probe (n) VALUES (9)"))
        db.commit()
        db.session.execute(text("UPDATE tx_probe SET n = 90 WHERE n = 9"))
        return "refused", 409

    assert web.test_client().post("/core-dml").status_code == 409
    assert committed() == [9]


def test_deliberate_commits_have_one_spelling() -> None:
    """Services flush; the request or task wrapper commits. A deliberate commit is db.commit(),
    so every one of them can be found and reviewed; session.commit() lives in pressdesk/db.py."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    offenders = [
        f"{path.relative_to(root)}:{n}"
        for base in ("pressdesk", "workers") for path in sorted((root / base).rglob("*.py"))
        if path != root / "pressdesk" / "db.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\bsession(\(\))?\.commit\(", line)
    ]
    assert offenders == []
