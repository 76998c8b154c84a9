"""Outlets and distribution lists of one office: validation, CRUD, CSV import and export.

Every function takes the office explicitly and only ever touches that office's rows.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import Select, exists, func, select

from pressdesk import addresses
from pressdesk.accounts.models import User
from pressdesk.audit.services import record
from pressdesk.config import settings
from pressdesk.db import utcnow
from pressdesk.delivery.queue import Recipient, gc_paused
from pressdesk.delivery.render import LINK_TOKEN_MARK
from pressdesk.extensions import db
from pressdesk.media import csvio, links
from pressdesk.media.models import (
    ATTACH_FORMATS,
    DistributionList,
    Outlet,
    OutletKind,
    list_outlets,
    outlet_regions,
    outlet_topics,
)
from pressdesk.offices.models import Office
from pressdesk.releases.models import Release, ReleaseVersion
from pressdesk.text import BERLIN, one_line


class MediaError(ValueError):
    """A change was refused; the message is shown to the user as is."""


# --- addresses ---------------------------------------------------------------------------------


def normalise_address(address: str) -> str:
    """Validate an address (syntax only, no DNS) and return its normalised form."""
    try:
        return addresses.normalise(address)
    except addresses.InvalidAddress as exc:
        raise MediaError(_("Ungültige E-Mail-Adresse „{address}“: {reason}").format(
            address=exc.address, reason=exc.reason)) from exc


def office_addresses(office: Office, exclude_outlet_id: int | None = None) -> dict[str, str]:
    """Every address in use in the office (lower-cased) -> the outlet's name."""
    q = select(Outlet).where(Outlet.office_id == office.id)
    if exclude_outlet_id is not None:
        q = q.where(Outlet.id != exclude_outlet_id)
    taken: dict[str, str] = {}
    for o in db.session.scalars(q):
        for a in o.addresses:
            taken[a.lower()] = o.name
    return taken


# --- outlets -----------------------------------------------------------------------------------


@dataclass
class OutletData:
    name: str
    kind: str
    email: str
    extra: list[str]
    region: str = ""
    prefers_attachments: bool = False
    max_attachment_kb: int = 10240
    active: bool = True
    attach_format: str = ""


def outlets(office: Office) -> list[Outlet]:
    return list(db.session.scalars(
        select(Outlet).where(Outlet.office_id == office.id).order_by(func.lower(Outlet.name))))


def list_counts(list_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Outlets on each list and how many of them are active, counted in the database (a
    national list holds 100,000: loading them to count them took seconds)."""
    if not list_ids:
        return {}
    rows = db.session.execute(
        select(list_outlets.c.list_id, func.count(),
               func.count().filter(Outlet.active.is_(True)))
        .join(Outlet, Outlet.id == list_outlets.c.outlet_id)
        .where(list_outlets.c.list_id.in_(list_ids))
        .group_by(list_outlets.c.list_id)).all()
    return {i: (0, 0) for i in list_ids} | {int(i): (int(n), int(a)) for i, n, a in rows}


def list_names_by_outlet(office: Office) -> dict[int, list[str]]:
    """The names of the lists each outlet of the office is on, from the link table alone."""
    rows = db.session.execute(
        select(list_outlets.c.outlet_id, DistributionList.name)
        .join(DistributionList, DistributionList.id == list_outlets.c.list_id)
        .where(DistributionList.office_id == office.id)
        .order_by(DistributionList.is_default.desc(), func.lower(DistributionList.name))).all()
    names: dict[int, list[str]] = {}
    for outlet_id, name in rows:
        names.setdefault(int(outlet_id), []).append(name)
    return names


def list_sizes(list_ids: list[int]) -> dict[int, int]:
    """Outlets on each list."""
    return {i: n for i, (n, _active) in list_counts(list_ids).items()}


def unlisted_count(office_id: int) -> int:
    """Active outlets of the office on none of its lists: no release reaches them, which the
    publish form says (an imported outlet left on no list once received nothing unnoticed)."""
    on_a_list = exists().where(list_outlets.c.outlet_id == Outlet.id)
    return db.session.scalar(select(func.count()).select_from(Outlet).where(
        Outlet.office_id == office_id, Outlet.active.is_(True), ~on_a_list)) or 0


def office_outlet(office: Office, outlet_id: int) -> Outlet | None:
    return db.session.scalar(
        select(Outlet).where(Outlet.office_id == office.id, Outlet.id == outlet_id))


def _clean(office: Office, data: OutletData, outlet_id: int | None) -> OutletData:
    name = one_line(data.name)[:200]
    if not name:
        raise MediaError(_("Bitte einen Namen angeben."))
    if data.kind not in {k.value for k in OutletKind}:
        raise MediaError(_("Unbekannte Art des Mediums."))
    primary = normalise_address(data.email)
    extra: list[str] = []
    for a in data.extra:
        n = normalise_address(a)
        if n.lower() != primary.lower() and n.lower() not in {e.lower() for e in extra}:
            extra.append(n)
    taken = office_addresses(office, exclude_outlet_id=outlet_id)
    for a in (primary, *extra):
        if a.lower() in taken:
            raise MediaError(_("Die Adresse {address} ist schon bei „{outlet}“ eingetragen.").format(
                address=a, outlet=taken[a.lower()]))
    if not 1 <= data.max_attachment_kb <= 102400:
        raise MediaError(_("Die Anhang-Grenze muss zwischen 1 und 102400 KB liegen."))
    if data.attach_format and data.attach_format not in ATTACH_FORMATS:
        raise MediaError(_("Unbekanntes Agenturformat."))
    return OutletData(name=name, kind=data.kind, email=primary, extra=extra,
                      region=one_line(data.region)[:120],
                      prefers_attachments=data.prefers_attachments,
                      max_attachment_kb=data.max_attachment_kb, active=data.active,
                      attach_format=data.attach_format)


def _apply(outlet: Outlet, data: OutletData) -> None:
    outlet.name, outlet.kind, outlet.email = data.name, data.kind, data.email
    outlet.extra_emails = "\n".join(data.extra)
    outlet.region = data.region
    outlet.prefers_attachments = data.prefers_attachments
    outlet.max_attachment_kb = data.max_attachment_kb
    outlet.active = data.active
    outlet.attach_format = data.attach_format


def create_outlet(office: Office, user: User | None, data: OutletData) -> Outlet:
    clean = _clean(office, data, None)
    outlet = Outlet(office_id=office.id)
    _apply(outlet, clean)
    db.session.add(outlet)
    db.session.flush()
    record(office.id, user, "outlet.created", "outlet", outlet.id, f"{outlet.name} <{outlet.email}>")
    return outlet


def update_outlet(office: Office, user: User | None, outlet: Outlet, data: OutletData) -> Outlet:
    if outlet.office_id != office.id:
        raise MediaError(_("Dieses Medium gehört nicht zu Ihrer Pressestelle."))
    clean = _clean(office, data, outlet.id)
    _apply(outlet, clean)
    record(office.id, user, "outlet.updated", "outlet", outlet.id, f"{outlet.name} <{outlet.email}>")
    db.session.flush()  # a unique violation surfaces here, where the view can answer it
    return outlet


def delete_outlet(office: Office, user: User | None, outlet: Outlet) -> None:
    if outlet.office_id != office.id:
        raise MediaError(_("Dieses Medium gehört nicht zu Ihrer Pressestelle."))
    record(office.id, user, "outlet.deleted", "outlet", outlet.id, f"{outlet.name} <{outlet.email}>")
    db.session.delete(outlet)


# --- distribution lists ------------------------------------------------------------------------


def lists(office: Office) -> list[DistributionList]:
    """The office's lists (their outlets load when asked for; ``list_counts`` counts them)."""
    return list(db.session.scalars(
        select(DistributionList).where(DistributionList.office_id == office.id)
        .order_by(DistributionList.is_default.desc(), func.lower(DistributionList.name))))


def office_list(office: Office, list_id: int) -> DistributionList | None:
    return db.session.scalar(select(DistributionList).where(
        DistributionList.office_id == office.id, DistributionList.id == list_id))


def _list_name(office: Office, name: str, list_id: int | None) -> str:
    name = one_line(name)[:200]
    if not name:
        raise MediaError(_("Bitte einen Namen für den Verteiler angeben."))
    q = select(DistributionList.id).where(DistributionList.office_id == office.id,
                                          func.lower(DistributionList.name) == name.lower())
    if list_id is not None:
        q = q.where(DistributionList.id != list_id)
    if db.session.scalar(q) is not None:
        raise MediaError(_("Einen Verteiler „{name}“ gibt es schon.").format(name=name))
    return name


def _make_default(office: Office, dl: DistributionList) -> None:
    for other in lists(office):
        other.is_default = other.id == dl.id


def create_list(office: Office, user: User | None, name: str, default: bool = False
                ) -> DistributionList:
    dl = DistributionList(office_id=office.id, name=_list_name(office, name, None),
                          is_default=False)
    db.session.add(dl)
    db.session.flush()
    # The first list of an office is its default: publishing must always find one.
    if default or len(lists(office)) == 1:
        _make_default(office, dl)
    record(office.id, user, "list.created", "list", dl.id, dl.name)
    return dl


def update_list(office: Office, user: User | None, dl: DistributionList, name: str,
                outlet_ids: list[int], default: bool) -> DistributionList:
    if dl.office_id != office.id:
        raise MediaError(_("Dieser Verteiler gehört nicht zu Ihrer Pressestelle."))
    old_name = dl.name
    dl.name = _list_name(office, name, dl.id)
    wanted = set(outlet_ids)
    chosen = [o for o in outlets(office) if o.id in wanted]
    if len(chosen) != len(wanted):
        raise MediaError(_("Unbekanntes Medium ausgewählt."))
    before = {o.id for o in dl.outlets}
    dl.outlets = chosen
    if default and not dl.is_default:
        _make_default(office, dl)
    added = len(wanted - before)
    removed = len(before - wanted)
    detail = dl.name if old_name == dl.name else f"{old_name} → {dl.name}"
    record(office.id, user, "list.updated", "list", dl.id,
           f"{detail}: +{added} / −{removed} Medien, {len(chosen)} insgesamt")
    return dl


def delete_list(office: Office, user: User | None, dl: DistributionList) -> None:
    if dl.office_id != office.id:
        raise MediaError(_("Dieser Verteiler gehört nicht zu Ihrer Pressestelle."))
    if dl.is_default:
        raise MediaError(_("Der Standardverteiler kann nicht gelöscht werden. Machen Sie zuerst "
                           "einen anderen Verteiler zum Standard."))
    record(office.id, user, "list.deleted", "list", dl.id, dl.name)
    db.session.delete(dl)


def recipients(office: Office, list_ids: list[int] | None, release: Release | None = None,
               version: ReleaseVersion | None = None, defer_links: bool = False
               ) -> list[Recipient]:
    """Active outlets of the chosen lists (default list when none), every address of each,
    each with its link token and one-click leave URL.

    With a ``release``: only outlets whose chosen topics and regions (none chosen: all) meet
    the release's. With the published ``version`` too: outlets on a daily digest, or pausing
    with "send what I missed afterwards", get the release held for their digest instead (and
    are not returned); pausing outlets without that get nothing.

    ``defer_links``: the link tokens are not signed here; each recipient is marked
    ``sign_link`` and its leave URL carries ``LINK_TOKEN_MARK`` where the token goes, and the
    outbox signs them as it writes the rows (a long list: chunk by chunk, in the senders).

    One Core query over the list memberships on the session's connection (plain tuples, no
    ORM objects or rows); the address dedupe and the order work on tuples, and a
    ``Recipient`` is built once per address.
    """
    if version is not None and release is None:
        release = version.release
    lists = select(DistributionList.id).where(DistributionList.office_id == office.id)
    lists = lists.where(DistributionList.id.in_(list_ids)) if list_ids else lists.where(
        DistributionList.is_default.is_(True))
    query = (
        select(Outlet.id, Outlet.name, Outlet.email, Outlet.extra_emails, Outlet.digest_hour,
               Outlet.pause_from, Outlet.pause_until, Outlet.pause_digest)
        .join(list_outlets, list_outlets.c.outlet_id == Outlet.id)
        .where(list_outlets.c.list_id.in_(lists.scalar_subquery()),
               Outlet.active.is_(True), Outlet.office_id == office.id)
    )
    if release is not None:
        for link, column, ids in (
                (outlet_topics, outlet_topics.c.topic_id, [t.id for t in release.topics]),
                (outlet_regions, outlet_regions.c.region_id, [r.id for r in release.regions])):
            chose_any = exists().where(link.c.outlet_id == Outlet.id)
            chose_this = exists().where(link.c.outlet_id == Outlet.id, column.in_(ids))
            query = query.where(~chose_any | chose_this)
    with gc_paused():
        return _recipients(_tuples(cast(Select[Any], query)), version, defer_links)


def _recipients(rows: list[Any], version: ReleaseVersion | None, defer_links: bool
                ) -> list[Recipient]:
    today = utcnow().astimezone(BERLIN).date()
    held: list[int] = []
    # address (lower-cased) -> (sort key, address, outlet name, outlet id); the first wins
    seen: dict[str, tuple[tuple[str, str], str, str, int]] = {}
    for oid, name, email, extra, digest_hour, pause_from, pause_until, pause_digest in rows:
        if pause_from is not None and pause_until is not None and pause_from <= today <= pause_until:
            if not pause_digest:
                continue
            held.append(oid)
            if version is not None:
                continue
        elif digest_hour is not None:
            held.append(oid)
            if version is not None:
                continue
        lowered = name.lower()
        for address in (email, *extra.split()) if extra else (email,):
            key = address.lower()
            if key not in seen:
                seen[key] = ((lowered, address), address, name, oid)
    if version is not None and held:
        from pressdesk.media.digest import hold

        hold(held, version)
    ordered = sorted(seen.values())
    head, tail = links.leave_url_maker()
    if defer_links:
        template = f"{head}{LINK_TOKEN_MARK}{tail}"
        make = Recipient._make  # positional, without the keyword constructor: 100,000 of them
        return [make((address, name, oid, template, "", None, "", True))
                for _key, address, name, oid in ordered]
    tokens = links.link_tokens([oid for *_rest, oid in ordered])
    return [Recipient(email=address, name=name, outlet_id=oid, link_token=tokens[oid],
                      unsubscribe_url=f"{head}{tokens[oid]}{tail}")
            for _key, address, name, oid in ordered]


def _tuples(query: Select[Any]) -> list[Any]:
    """The rows of a query of plain columns on the session's connection. PostgreSQL: straight
    through the driver's cursor (SQLAlchemy's result rows cost four times the query itself at
    100,000 rows); the query's values are integers and booleans, rendered inline."""
    conn = db.session.connection()
    if db.dialect != "postgresql":  # SQLite's dates come back as text: the Core result types them
        return [tuple(row) for row in conn.execute(query)]
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    with conn.connection.driver_connection.cursor() as cur:  # type: ignore[union-attr]
        cur.execute(sql)
        return list(cur.fetchall())


def with_links(recipients: list[Recipient]) -> list[Recipient]:
    """Follow-up recipients (corrections, withdrawals) with their outlet's link token and
    one-click leave URL; outlets that left the list are dropped."""
    ids = {r.outlet_id for r in recipients if r.outlet_id is not None}
    if not ids:
        return recipients
    left = set(db.session.scalars(select(Outlet.id).where(Outlet.id.in_(ids),
                                                          Outlet.left_at.is_not(None))))
    tokens = links.link_tokens(sorted(ids - left))
    head, tail = links.leave_url_maker()
    kept = []
    for r in recipients:
        if r.outlet_id is None:
            kept.append(r)
        elif r.outlet_id not in left:
            token = tokens[r.outlet_id]
            kept.append(r._replace(link_token=token, unsubscribe_url=f"{head}{token}{tail}"))
    return kept


# --- CSV import --------------------------------------------------------------------------------

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


PENDING_MAX_AGE = 24 * 3600  # seconds an unconfirmed upload is kept


def _import_dir() -> Path:
    path = Path(settings().instance_dir) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _prune_pending(directory: Path) -> None:
    # Abandoned uploads hold addresses: drop them after a day.
    cutoff = time.time() - PENDING_MAX_AGE
    for old in directory.glob("*.json"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink(missing_ok=True)
        except OSError:
            pass


def check_rows(office: Office, rows: list[csvio.Row]) -> list[csvio.Row]:
    """Validate and normalise addresses; mark duplicates in the file and in the office."""
    taken = office_addresses(office)
    in_file: dict[str, int] = {}
    for row in rows:
        addresses: list[str] = []
        for raw in [row.email, *row.extra] if row.email else row.extra:
            try:
                addresses.append(normalise_address(raw))
            except MediaError:
                row.problems.append(_("Ungültige E-Mail-Adresse „{address}“").format(address=raw))
        if row.problems:
            continue
        row.email, row.extra = addresses[0], addresses[1:]
        for a in addresses:
            key = a.lower()
            if key in taken:
                row.problems.append(_("Schon vorhanden: {address} ist bei „{outlet}“ eingetragen"
                                      ).format(address=a, outlet=taken[key]))
            elif key in in_file:
                row.problems.append(_("Doppelt in der Datei: {address} steht schon in Zeile {line}"
                                      ).format(address=a, line=in_file[key]))
        if not row.problems:
            for a in addresses:
                in_file[a.lower()] = row.line
    return rows


@dataclass
class PendingImport:
    token: str
    office_id: int
    user_id: int | None
    filename: str
    rows: list[csvio.Row]

    @property
    def valid(self) -> list[csvio.Row]:
        return [r for r in self.rows if r.ok]

    @property
    def invalid(self) -> list[csvio.Row]:
        return [r for r in self.rows if not r.ok]


def prepare_import(office: Office, user: User | None, filename: str, data: bytes) -> PendingImport:
    """Step 1: parse and check the upload, keep it server-side under a random token.

    Nothing is written to the database. Raises ``csvio.CsvError`` for an unreadable file.
    """
    rows = check_rows(office, csvio.parse(data))
    token = secrets.token_urlsafe(24)
    pending = PendingImport(token=token, office_id=office.id,
                            user_id=getattr(user, "id", None), filename=filename[:200], rows=rows)
    payload = {"office_id": office.id, "user_id": pending.user_id, "filename": pending.filename,
               "created": utcnow().isoformat(), "rows": [r.to_dict() for r in rows]}
    directory = _import_dir()
    _prune_pending(directory)
    (directory / f"{token}.json").write_text(json.dumps(payload, ensure_ascii=False), "utf-8")
    return pending


def load_import(office: Office, token: str) -> PendingImport | None:
    """The pending upload, only for the office that made it."""
    if not _TOKEN.match(token or ""):
        return None
    path = _import_dir() / f"{token}.json"
    try:
        payload = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if payload.get("office_id") != office.id:
        return None
    return PendingImport(token=token, office_id=office.id, user_id=payload.get("user_id"),
                         filename=payload.get("filename", ""),
                         rows=[csvio.Row.from_dict(r) for r in payload["rows"]])


def discard_import(token: str) -> None:
    if _TOKEN.match(token or ""):
        (_import_dir() / f"{token}.json").unlink(missing_ok=True)


def confirm_import(office: Office, user: User | None, pending: PendingImport,
                   list_id: int | None = None) -> tuple[int, list[csvio.Row]]:
    """Step 2: write the valid rows (checked again: the office may have changed meanwhile).

    Returns the number imported and the rows skipped now. Optionally adds them to a list.
    """
    target = office_list(office, list_id) if list_id else None
    if list_id and target is None:
        raise MediaError(_("Unbekannter Verteiler."))
    fresh = [csvio.Row.from_dict({**r.to_dict(), "problems": []}) for r in pending.valid]
    check_rows(office, fresh)
    created: list[Outlet] = []
    for row in fresh:
        if not row.ok:
            continue
        outlet = Outlet(office_id=office.id, name=row.name, kind=row.kind, email=row.email,
                        extra_emails="\n".join(row.extra), region=row.region,
                        prefers_attachments=row.prefers_attachments,
                        max_attachment_kb=row.max_attachment_kb, active=row.active)
        db.session.add(outlet)
        created.append(outlet)
    db.session.flush()
    if target is not None:
        target.outlets = [*target.outlets, *created]
    skipped = [r for r in fresh if not r.ok]
    # Audit details are stored in German, whatever language the admin's desk shows.
    detail = f"{len(created)} Medien aus „{pending.filename}“ importiert"
    if target is not None:
        detail += " → " + target.name
    record(office.id, user, "outlets.imported", "import", None,
           detail + (f"; {len(pending.invalid) + len(skipped)} Zeilen übersprungen"
                     if pending.invalid or skipped else ""))
    return len(created), skipped


def export_csv(office: Office) -> bytes:
    return csvio.write(outlets(office))
