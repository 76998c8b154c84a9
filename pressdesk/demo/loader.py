"""Demo data from the real seed texts: four offices, their media lists, users, two releases.

The seed releases are published through the normal publishing path, so the worker mails them
to the outlets like any release. Loading again changes nothing and sends nothing.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import select

from pressdesk import addresses
from pressdesk.accounts.models import Membership, Role
from pressdesk.accounts.services import create_user, find_user
from pressdesk.extensions import db
from pressdesk.media.models import DistributionList, Outlet
from pressdesk.offices.models import Office
from pressdesk.releases import services as releases
from pressdesk.releases.images import placeholder_jpeg, store
from pressdesk.releases.models import Region, Release, ReleaseImage, Topic

SEEDS = Path(__file__).parent / "seeds"
DEMO_PASSWORD = "pressdesk-demo"  # noqa: S105 - demo data, printed by `make run`
ADMIN_EMAIL = "admin@pressdesk.example"

OFFICES: list[dict[str, Any]] = [
    {"slug": "landkreis-leer", "name": "Landkreis Leer", "tag": "LK Leer",
     "sender_name": "Pressestelle Landkreis Leer", "default_place": "Leer",
     "contact_name": "Pressestelle Landkreis Leer", "contact_phone": "0491 926-0",
     "contact_email": "pressestelle@landkreis-leer.example",
     "description": "Pressemitteilungen des Landkreises Leer (Ostfriesland).",
     "imprint": "Landkreis Leer, Bergmannstraße 37, 26789 Leer. Vertreten durch den Landrat."},
    {"slug": "landkreis-emsland", "name": "Landkreis Emsland", "tag": "LK Emsland",
     "sender_name": "Pressestelle Landkreis Emsland", "default_place": "Meppen",
     "contact_name": "Pressestelle Landkreis Emsland", "contact_phone": "05931 44-0",
     "contact_email": "presse@emsland.example",
     "description": "Der Landkreis Emsland hat einen breit gefächerten Mix aus Branchen.",
     "imprint": "Landkreis Emsland, Ordeniederung 1, 49716 Meppen."},
    {"slug": "stadt-lingen", "name": "Stadt Lingen (Ems)", "tag": "Lingen",
     "sender_name": "Pressestelle Stadt Lingen (Ems)", "default_place": "Lingen (Ems)",
     "contact_name": "Pressestelle Stadt Lingen", "contact_phone": "0591 9144-0",
     "contact_email": "presse@lingen.example",
     "description": "Anbahnen, vermitteln, vernetzen, ermöglichen: die Stadt Lingen (Ems).",
     "imprint": "Stadt Lingen (Ems), Elisabethstraße 14–16, 49808 Lingen (Ems)."},
    {"slug": "it-achse", "name": "IT-Achse", "tag": "IT-Achse",
     "sender_name": "IT-Achse – Kompetenznetzwerk IT der Ems-Achse", "default_place": "Leer",
     "contact_name": "Thomas Dreesmann, Cluster-Manager", "contact_phone": "0491 926-1234",
     "contact_email": "it-achse@landkreis-leer.example",
     "description": "Das Kompetenznetzwerk IT aus dem Emsland, der Grafschaft Bentheim und "
                    "Ostfriesland, getragen vom Landkreis Emsland, dem Landkreis Leer und der "
                    "Stadt Lingen.",
     "imprint": "IT-Achse, ein Netzwerk der Wachstumsregion Ems-Achse e.V. Träger: Landkreis "
                "Emsland, Landkreis Leer, Stadt Lingen (Ems).",
     # desk: the network's carriers want a second person to approve (4-eyes) before sending.
     "require_four_eyes": True},
]

# Landkreis Leer's media list, grouped as on the seed's sidebar.
OUTLETS = {
    "landkreis-leer": [
        ("Borkumer Zeitung", "daily", "redaktion@borkumer-zeitung.example"),
        ("General-Anzeiger", "daily", "redaktion@general-anzeiger.example"),
        ("Ostfriesen-Zeitung", "daily", "redaktion@ostfriesen-zeitung.example"),
        ("Rheiderland-Zeitung", "daily", "redaktion@rheiderland-zeitung.example"),
        ("Der Leeraner", "weekly", "redaktion@der-leeraner.example"),
        ("leer aktuell", "weekly", "redaktion@leer-aktuell.example"),
        ("Leeraner Bürgerzeitung", "weekly", "redaktion@leeraner-buergerzeitung.example"),
        ("Ostfriesland-Magazin", "monthly", "redaktion@ostfriesland-magazin.example"),
        ("Borkum Aktuell", "monthly", "redaktion@borkum-aktuell.example"),
    ],
    "landkreis-emsland": [
        ("Meppener Tagespost", "daily", "redaktion@meppener-tagespost.example"),
        ("Ems-Zeitung", "daily", "redaktion@ems-zeitung.example"),
        ("Emsland-Kurier", "weekly", "redaktion@emsland-kurier.example"),
    ],
    "stadt-lingen": [
        ("Lingener Tagespost", "daily", "redaktion@lingener-tagespost.example"),
        ("Ems-Vechte-Welle", "radio", "nachrichten@ems-vechte-welle.example"),
    ],
    "it-achse": [
        ("Ostfriesen-Zeitung", "daily", "wirtschaft@ostfriesen-zeitung.example"),
        ("Lingener Tagespost", "daily", "wirtschaft@lingener-tagespost.example"),
        ("Wirtschaftsspiegel Ems-Achse", "monthly", "redaktion@wirtschaftsspiegel.example"),
    ],
}

USERS = [
    ("redaktion.leer@pressdesk.example", "Hanna Janssen", "landkreis-leer"),
    ("redaktion.emsland@pressdesk.example", "Jan Schulte", "landkreis-emsland"),
    ("redaktion.lingen@pressdesk.example", "Maria Thien", "stadt-lingen"),
    ("redaktion.it-achse@pressdesk.example", "Thomas Dreesmann", "it-achse"),
]

LEER_HEADLINE = "Thomas Dreesmann ist neuer Cluster-Manager für das IT-Kompetenzzentrum"
LEER_CAPTION = (
    "Bei der Vorstellung des neuen IT-Kompetenzzentrums: V.l. Bernd Hillbrands, Vorsitzender des "
    "Software-Netzwerks Leer, Vorstandsmitglied der Ems-Achse und Orgadata-Vorstand, "
    "Cluster-Manager Thomas Dreesmann, Landrat und stellvertretender Vorsitzender der Ems-Achse "
    "Bernhard Bramlage, Harald Krebs, Leiter der Wirtschaftsförderung des Landkreises Leer."
)
IT_ACHSE_HEADLINE = "Die IT-Achse: das Kompetenznetzwerk IT der Ems-Achse und seine Träger"
RIGHTS = "Abdruck honorarfrei mit Quellenangabe, nur im Zusammenhang mit dieser Meldung."


# desk: one publisher (role "publisher": approves and publishes) per office, so the 4-eyes
# workflow can be shown with the editors above.
PUBLISHERS = [
    ("leitung.leer@pressdesk.example", "Gerd Oltmanns", "landkreis-leer"),
    ("leitung.emsland@pressdesk.example", "Anke Többen", "landkreis-emsland"),
    ("leitung.lingen@pressdesk.example", "Stefan Wessels", "stadt-lingen"),
    ("leitung.it-achse@pressdesk.example", "Heike Buss", "it-achse"),
]


def demo_logins() -> list[str]:
    lines = [f"{ADMIN_EMAIL}  (Administrator aller Pressestellen)"]
    lines += [f"{email}  ({name}, {slug})" for email, name, slug in USERS]
    lines += [f"{email}  ({name}, {slug}, Veröffentlichung)" for email, name, slug in PUBLISHERS]
    lines.append(f"password for all: {DEMO_PASSWORD}")
    return lines


def _leer_release_text() -> dict[str, str]:
    lines = (SEEDS / "landkreis-leer-it-kompetenzzentrum.txt").read_text("utf-8").splitlines()
    end = lines.index("Insgesamt hat sich die Spezialisierung der Wirtschaftsförderung bewährt. "
                      "Das zeigen insbesondere die Erfolge der maßgeblich vom Landkreis Leer "
                      "getragenen MARIKO GmbH, aber auch die starken Unternehmensnetzwerke MeMa "
                      "und Kunststoff. Wegen dieser Erfolge und des bereits in Leer ansässigen "
                      "Software-Netzwerkes hat der Landkreis Leer nun auch die Aufgabe eines "
                      "Kompetenzzentrums IT übernommen.")
    text = lines[: end + 1]
    lead = text[0]
    body: list[str] = []
    for line in text[1:]:
        if line.startswith("- "):
            body.append(line)
        elif line.endswith(":") and len(line) < 60:
            body.append(f"\n### {line.rstrip(':')}\n")
        else:
            body.append(f"\n{line}\n")
    body_text = re.sub(r"\n{3,}", "\n\n", "\n".join(body)).strip()
    return {
        "headline": LEER_HEADLINE,
        "subline": "Landkreis Leer ist Standort eines neuen IT-Kompetenzzentrums der "
                   "Wachstumsregion Ems-Achse",
        "dateline_place": "Leer", "lead": lead, "body": body_text,
    }


def _it_achse_text() -> dict[str, str]:
    paras = (SEEDS / "it-achse-netzwerk.txt").read_text("utf-8").splitlines()
    body: list[str] = []
    for line in paras[1:]:
        if len(line) < 40:
            body.append(f"\n### {line}\n")
        else:
            body.append(f"\n{line}\n")
    body_text = re.sub(r"\n{3,}", "\n\n", "\n".join(body)).strip()
    return {"headline": IT_ACHSE_HEADLINE,
            "subline": "Ein Netzwerk der Wachstumsregion Ems-Achse e.V.",
            "dateline_place": "Leer", "lead": paras[0], "body": body_text}


def _office(data: dict[str, Any]) -> tuple[Office, bool]:
    office = db.session.scalar(select(Office).where(Office.slug == data["slug"]))
    if office:
        return office, False
    office = Office(**data)
    db.session.add(office)
    db.session.flush()
    return office, True


def _media(office: Office) -> None:
    if db.session.scalar(select(DistributionList).where(DistributionList.office_id == office.id)):
        return
    dl = DistributionList(office_id=office.id, name="Regionale Medien", is_default=True)
    for name, kind, email in OUTLETS[office.slug]:
        normalized = addresses.normalise(email)
        outlet = Outlet(office_id=office.id, name=name, kind=kind, email=normalized,
                        region="Ostfriesland" if office.slug == "landkreis-leer" else "Emsland")
        db.session.add(outlet)
        dl.outlets.append(outlet)
    db.session.add(dl)
    db.session.flush()


def _publish_once(office: Office, headline: str, text: dict[str, str],
                  caption: str | None = None) -> str:
    existing = db.session.scalar(
        select(Release).where(Release.office_id == office.id, Release.headline == headline))
    if existing is not None:
        return f"{office.name}: release already there ({existing.status})"
    author = find_user(next(e for e, _n, slug in USERS if slug == office.slug))
    release = releases.create_release(office, author, text)
    if caption:
        img = ReleaseImage(release_id=release.id, position=0, filename="it-kompetenzzentrum.jpg",
                           caption=caption, credit="Foto: Landkreis Leer",
                           alt="Vier Männer stehen nebeneinander bei der Vorstellung des "
                               "IT-Kompetenzzentrums im Kreishaus Leer.", rights=RIGHTS)
        store(img, placeholder_jpeg("IT-Kompetenzzentrum Leer – Platzhalterbild"))
        release.images.append(img)
    db.session.flush()
    version = releases.publish_release(release, author)
    return f"{office.name}: published {release.reference} (version {version.version})"


def load_offices_and_users() -> tuple[dict[str, Office], list[str]]:
    report: list[str] = []
    offices: dict[str, Office] = {}
    for data in OFFICES:
        office, created = _office(data)
        offices[office.slug] = office
        _media(office)
        report.append(f"{office.name}: {'created' if created else 'exists'}")
    admin = find_user(ADMIN_EMAIL) or create_user(ADMIN_EMAIL, "Demo-Administration",
                                                  DEMO_PASSWORD)
    for office in offices.values():
        if admin.role_in(office.id) is None:
            admin.memberships.append(Membership(office=office, role=Role.ADMIN.value))
    for email, name, slug in USERS:
        if find_user(email) is None:
            create_user(email, name, DEMO_PASSWORD, offices[slug], Role.EDITOR)
    for email, name, slug in PUBLISHERS:
        if find_user(email) is None:
            create_user(email, name, DEMO_PASSWORD, offices[slug], Role.PUBLISHER)
    db.commit()
    return offices, report


def load_demo() -> str:
    offices, report = load_offices_and_users()
    report.append(_publish_once(offices["landkreis-leer"], LEER_HEADLINE, _leer_release_text(),
                                LEER_CAPTION))
    report.append(_publish_once(offices["it-achse"], IT_ACHSE_HEADLINE, _it_achse_text()))
    report.append(_tag_demo_releases(offices))
    return "\n".join(report)


# --- Topics and regions for the portal ----------------------------------------

TOPICS = {
    "landkreis-leer": [("wirtschaft", "Wirtschaft"), ("digitalisierung", "Digitalisierung"),
                       ("verkehr", "Verkehr"), ("kreistag", "Kreistag")],
    "landkreis-emsland": [("wirtschaft", "Wirtschaft"), ("bildung", "Bildung")],
    "stadt-lingen": [("wirtschaft", "Wirtschaft"), ("kultur", "Kultur")],
    "it-achse": [("wirtschaft", "Wirtschaft"), ("digitalisierung", "Digitalisierung")],
}
REGIONS = {
    "landkreis-leer": [("ostfriesland", "Ostfriesland"), ("rheiderland", "Rheiderland"),
                       ("borkum", "Borkum")],
    "landkreis-emsland": [("emsland", "Emsland")],
    "stadt-lingen": [("emsland", "Emsland")],
    "it-achse": [("ems-achse", "Ems-Achse"), ("ostfriesland", "Ostfriesland"),
                 ("emsland", "Emsland")],
}
DEMO_TAGS = {  # headline -> (topic slugs, region slugs)
    LEER_HEADLINE: (["wirtschaft", "digitalisierung"], ["ostfriesland"]),
    IT_ACHSE_HEADLINE: (["digitalisierung", "wirtschaft"], ["ems-achse", "emsland", "ostfriesland"]),
}


def _vocabulary(office: Office) -> tuple[dict[str, Topic], dict[str, Region]]:
    topics = {t.slug: t for t in db.session.scalars(select(Topic).where(Topic.office_id == office.id))}
    regions = {r.slug: r for r in db.session.scalars(select(Region).where(Region.office_id == office.id))}
    for slug, name in TOPICS.get(office.slug, []):
        if slug not in topics:
            topics[slug] = Topic(office_id=office.id, slug=slug, name=name)
            db.session.add(topics[slug])
    for slug, name in REGIONS.get(office.slug, []):
        if slug not in regions:
            regions[slug] = Region(office_id=office.id, slug=slug, name=name)
            db.session.add(regions[slug])
    return topics, regions


def _tag_demo_releases(offices: dict[str, Office]) -> str:
    """Give every office its topics and regions, and tag the demo releases (idempotent)."""
    tagged = 0
    for office in offices.values():
        topics, regions = _vocabulary(office)
        db.session.flush()
        for release in db.session.scalars(select(Release).where(
                Release.office_id == office.id, Release.headline.in_(list(DEMO_TAGS)))):
            topic_slugs, region_slugs = DEMO_TAGS[release.headline]
            if not release.topics and not release.regions:
                release.topics = [topics[s] for s in topic_slugs if s in topics]
                release.regions = [regions[s] for s in region_slugs if s in regions]
                tagged += 1
    db.commit()
    return f"topics and regions: {tagged} demo release(s) tagged"
