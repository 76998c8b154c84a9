"""Time the CSV import of a large media list: parse + check (step 1), confirm (step 2), export.

Runs on a throw-away SQLite instance (or PRESSDESK_DATABASE_URL). Usage:
    .venv/bin/python bench/import_csv.py [rows]
"""

from __future__ import annotations

import sys
import tempfile
import time

from sqlalchemy import func, select


def main(rows: int = 5000) -> None:
    from pressdesk import create_app, migrate
    from pressdesk.extensions import db
    from pressdesk.media import services
    from pressdesk.media.models import Outlet
    from pressdesk.offices.models import Office

    with tempfile.TemporaryDirectory() as inst:
        app = create_app({"instance_dir": inst, "secret_key": "bench-secret-key-0123456789"})
        with app.test_request_context():
            migrate.upgrade()
            office = Office(slug="bench", name="Landkreis Büchenbach", tag="LK B",
                            sender_name="Pressestelle")
            db.session.add(office)
            db.session.commit()
            lines = ["Name;Art;E-Mail;Weitere Adressen;Region;Bilder;Aktiv"]
            for i in range(rows):
                lines.append(f"Zeitung Nr. {i} für Süd;Tageszeitung;redaktion{i}@zeitung-{i % 97}"
                             f".example;lokal{i}@zeitung-{i % 97}.example;Ostfriesland;Link;ja")
            data = "\r\n".join(lines).encode("cp1252")

            t0 = time.perf_counter()
            pending = services.prepare_import(office, None, "bench.csv", data)
            t1 = time.perf_counter()
            count, _skipped = services.confirm_import(office, None, pending)
            db.session.commit()
            t2 = time.perf_counter()
            out = services.export_csv(office)
            t3 = time.perf_counter()
            stored = db.session.scalar(select(func.count()).select_from(Outlet))
            assert count == rows == stored, (count, rows, stored)
            print(f"rows: {rows} ({len(data) / 1024:.0f} KB Windows-1252, 2 addresses each)")
            print(f"step 1 parse+check: {t1 - t0:.2f} s ({rows / (t1 - t0):.0f} rows/s)")
            print(f"step 2 confirm (re-check + insert + commit): {t2 - t1:.2f} s "
                  f"({rows / (t2 - t1):.0f} rows/s)")
            print(f"export: {t3 - t2:.2f} s ({len(out) / 1024:.0f} KB)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
