"""The formats beside each permalink, and the published keys."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from pressdesk.config import settings
from pressdesk.extensions import db
from pressdesk.formats import checking, matching, pictures, services
from pressdesk.formats import keys as signing_keys
from pressdesk.formats.forms import MAX_EML_BYTES, MAX_IMAGE_BYTES, CheckForm
from pressdesk.formats.matching import Finding
from pressdesk.offices.models import Office
from pressdesk.releases.models import Region, Topic
from pressdesk.releases.presenter import PublicRelease
from pressdesk.security import public
from pressdesk.throttle import client_network
from pressdesk.urls import external_url

bp = Blueprint("formats", __name__)

_BASE = "/presse/<office_slug>/<int:year>/<int:number>-<slug>"


@public
def item(office_slug: str, year: int, number: int, slug: str, fmt: str,
         version: int | None = None) -> ResponseReturnValue:
    release = services.find(office_slug, year, number) or abort(404)
    if slug != release.slug:
        extra: dict[str, Any] = {"version": version} if version is not None else {}
        return redirect(url_for(services.endpoint(fmt, version is not None),
                                office_slug=office_slug, year=year, number=number,
                                slug=release.slug, **extra), 301)
    v = services.version_of(release, version) or abort(404)
    return services.response(services.presented(v), fmt)


for _fmt, (_mime, _filename) in services.FORMATS.items():
    bp.add_url_rule(f"{_BASE}/{_filename}", services.endpoint(_fmt).split(".")[1], item,
                    defaults={"fmt": _fmt})
    bp.add_url_rule(f"{_BASE}/version/<int:version>/{_filename}",
                    services.endpoint(_fmt, True).split(".")[1], item, defaults={"fmt": _fmt})


@bp.app_template_global("format_links")
def format_links(p: PublicRelease) -> dict[str, str]:
    """The release page's links to the newsroom formats."""
    return services.links(p)


@bp.route("/.well-known/pressdesk-keys.json")
@public
def keys() -> ResponseReturnValue:
    """The offices' public signing keys (JWKS), retired ones included."""
    resp = jsonify(signing_keys.jwks())
    resp.headers["Cache-Control"] = "public, max-age=300"
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp


@bp.route("/vokabular/<office_slug>/<any(thema, region):kind>/<slug>")
@public
def concept(office_slug: str, kind: str, slug: str) -> ResponseReturnValue:
    """A subject URI of the formats resolves to the portal's listing of that topic/region."""
    model = Topic if kind == "thema" else Region
    found = db.session.scalar(select(model.id).join(Office, Office.id == model.office_id)
                              .where(Office.slug == office_slug, model.slug == slug))
    if found is None:
        abort(404)
    return redirect(url_for("portal.topic" if kind == "thema" else "portal.region", slug=slug))


@bp.route("/echt", methods=["GET", "POST"])
@public
def check() -> ResponseReturnValue:
    """Ist diese Meldung echt? A pasted text, a URL of this portal or a saved mail."""
    form = CheckForm()
    finding: Finding | None = None
    asked = request.method == "POST" or bool(request.args.get("url"))
    if request.method == "GET" and asked:  # the verification link in the newspaper mail
        form.url.data = request.args.get("url", "")[:2000]
    if asked and (request.method == "GET" or form.validate_on_submit()):
        client = client_network(request.remote_addr)
        if checking.CHECKS.blocked(client):
            return _check_page(form, None, 429, _("Zu viele Prüfungen in kurzer Zeit. Bitte "
                                                 "versuchen Sie es später noch einmal."))
        finding = _answer(form)
        if finding is not None:
            checking.CHECKS.hit(client)
    failed = any(f.errors for f in form)
    return _check_page(form, finding, 400 if failed else 200)


def _answer(form: CheckForm) -> Finding | None:
    text = (form.text.data or "").strip()
    url = (form.url.data or "").strip()
    upload, signed = _upload(form.eml.data), _upload(form.signed.data)
    photo = _upload(form.image.data)
    if photo is not None:
        data = photo.read(MAX_IMAGE_BYTES + 1)
        if len(data) > MAX_IMAGE_BYTES:
            form.image.errors = [_("Das Foto ist zu groß (höchstens 40 MB).")]
            return None
        try:
            return pictures.check_image(data)
        except pictures.NotAnImage:
            form.image.errors = [_("Diese Datei ist kein Foto im Format JPG oder PNG.")]
            return None
    if signed is not None:
        data = signed.read(MAX_EML_BYTES + 1)
        if len(data) > MAX_EML_BYTES:
            form.signed.errors = [_("Die Datei ist zu groß (höchstens 2 MB).")]
            return None
        return checking.check_signed(data)
    if url:
        try:
            return checking.check_url(url)
        except checking.NotThisPortal:
            form.url.errors = [_("Hier lassen sich nur Adressen dieses Portals (%(host)s) "
                                 "prüfen. Andere Seiten rufen wir nicht auf: Bitte fügen Sie "
                                 "stattdessen den Text ein.", host=checking.portal_host())]
            return None
    if upload is not None:
        data = upload.read(MAX_EML_BYTES + 1)
        if len(data) > MAX_EML_BYTES:
            form.eml.errors = [_("Die Datei ist zu groß (höchstens 2 MB).")]
            return None
        text = checking.text_of_mail(data).strip()
        if not text:
            form.eml.errors = [_("In dieser Datei steht kein lesbarer Text. Bitte eine "
                                 "gespeicherte E-Mail (.eml) wählen.")]
            return None
    if not text:
        form.text.errors = [_("Bitte fügen Sie den Text ein, geben Sie eine Adresse an oder "
                              "wählen Sie eine E-Mail-Datei.")]
        return None
    return matching.find(text)


def _upload(data: object) -> FileStorage | None:
    return data if isinstance(data, FileStorage) and data.filename else None


def _check_page(form: CheckForm, finding: Finding | None, status: int,
                error: str = "") -> ResponseReturnValue:
    return render_template("formats/check.html", form=form, finding=finding, error=error,
                           portal_base=settings().base_url.rstrip("/")), status


@bp.app_template_global("verify_url")
def verify_url(permalink: str) -> str:
    """The check page for a release's permalink (the verification line in the mail)."""
    return external_url("formats.check", url=permalink) if permalink else ""
