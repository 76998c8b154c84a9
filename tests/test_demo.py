"""The demo loader publishes the seed release through the normal path, once."""

from sqlalchemy import func, select

from pressdesk.delivery.models import Delivery
from pressdesk.demo.loader import LEER_CAPTION, LEER_HEADLINE, load_demo
from pressdesk.extensions import db
from pressdesk.media.models import Outlet
from pressdesk.offices.models import Office
from pressdesk.releases.models import Release


def test_demo_loads_offices_outlets_and_seed_release(app):
    load_demo()
    slugs = set(db.session.scalars(select(Office.slug)))
    assert slugs == {"landkreis-leer", "landkreis-emsland", "stadt-lingen", "it-achse"}
    leer = db.session.scalar(select(Office).where(Office.slug == "landkreis-leer"))
    names = set(db.session.scalars(select(Outlet.name).where(Outlet.office_id == leer.id)))
    assert names == {"Borkumer Zeitung", "General-Anzeiger", "Ostfriesen-Zeitung",
                     "Rheiderland-Zeitung", "Der Leeraner", "leer aktuell",
                     "Leeraner Bürgerzeitung", "Ostfriesland-Magazin", "Borkum Aktuell"}
    seed = db.session.scalar(select(Release).where(Release.headline == LEER_HEADLINE))
    assert seed.status == "published"
    assert seed.images[0].caption == LEER_CAPTION and seed.images[0].width >= 1200
    assert "Seit Mai ist der Landkreis Leer" in seed.lead
    rows = db.session.scalars(select(Delivery).where(Delivery.version_id == seed.versions[0].id)
                              ).all()
    assert len(rows) == 9 and {r.name for r in rows} == names


def test_loading_again_sends_nothing_again(app):
    load_demo()
    before = db.session.scalar(select(func.count()).select_from(Delivery))
    load_demo()
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == before
    assert db.session.scalar(select(func.count()).select_from(Office)) == 4
