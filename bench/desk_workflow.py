"""How long the desk's publishing steps take for a large media list (embedded SQLite).

Measures, for N outlets: publishing (freeze the version, render the mail once, write N delivery
rows, one transaction), a correction (diff + render + N rows to the outlets that got it) and a
withdrawal. No SMTP: the sending itself is the delivery engine's benchmark (bench/fanout.py).

    .venv/bin/python bench/desk_workflow.py [N]
"""

from __future__ import annotations

import sys
import tempfile
import time

from pressdesk import create_app
from pressdesk.accounts.models import Role
from pressdesk.accounts.services import create_user
from pressdesk.extensions import db
from pressdesk.media.models import DistributionList, Outlet
from pressdesk.offices.models import Office


def main(n: int) -> None:
    inst = tempfile.mkdtemp(prefix="desk-bench-")
    app = create_app({"instance_dir": inst, "secret_key": "bench-secret-key-0123456789"})
    with app.app_context():
        from pressdesk import migrate
        from pressdesk.delivery.queue import enqueue
        from pressdesk.releases import services, workflow

        migrate.upgrade()
        office = Office(slug="bench", name="Landkreis Bench", tag="LK Bench",
                        sender_name="Pressestelle Bench", default_place="Leer",
                        contact_email="presse@bench.example")
        db.session.add(office)
        db.session.flush()
        dl = DistributionList(office_id=office.id, name="Alle", is_default=True)
        for i in range(n):
            o = Outlet(office_id=office.id, name=f"Zeitung {i}", kind="daily",
                       email=f"redaktion{i}@zeitung{i}.example")
            dl.outlets.append(o)
        db.session.add(dl)
        user = create_user("leitung@bench.example", "Leitung", "pw-bench-123", office,
                           Role.PUBLISHER)
        db.session.commit()
        assert enqueue  # noqa: S101 - imported for the reader: this is what is timed
        body = "\n\n".join(f"Absatz {i}: Die Arbeiten an der Kreisstraße dauern an." * 3
                           for i in range(30))
        release = services.create_release(office, user, {"headline": "Messung", "body": body})
        db.session.commit()

        t0 = time.perf_counter()
        workflow.publish(release, user, [dl.id])
        db.commit()
        t1 = time.perf_counter()
        data = {k: getattr(release, k) for k in services.LIMITS}
        data["body"] = body.replace("Absatz 7:", "Absatz sieben:")
        workflow.correct(release, user, data)
        db.commit()
        t2 = time.perf_counter()
        workflow.withdraw(release, user, "Messung beendet")
        db.commit()
        t3 = time.perf_counter()
    print(f"outlets: {n}")
    print(f"publish (version, render once, {n} rows): {(t1 - t0) * 1000:.0f} ms")
    print(f"correction (diff, render, {n} rows):      {(t2 - t1) * 1000:.0f} ms")
    print(f"withdrawal (render, {n} rows):            {(t3 - t2) * 1000:.0f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
