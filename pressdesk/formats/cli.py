"""``pressdesk verify`` and ``pressdesk signing-keys`` (registered by pressdesk.cli)."""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import click
from flask.cli import with_appcontext

from pressdesk.formats import verify as checker

EXIT_WITHDRAWN = 3


def _get(url: str) -> bytes:
    if urlsplit(url).scheme not in ("http", "https"):
        raise click.UsageError(f"not an http(s) URL: {url}")
    with urllib.request.urlopen(url, timeout=20) as resp:  # noqa: S310  (scheme checked above)
        data: bytes = resp.read()
        return data


def _signed_url(url: str) -> str:
    """The ``signed.json`` beside a permalink or any of its formats."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    for name in ("/signed.json", "/ninjs.json", "/ninjs-2.2.json", "/newsml.xml", "/nitf.xml",
                 "/ninjs.jws"):
        if path.endswith(name):
            path = path[: -len(name)]
            break
    return urlunsplit((parts.scheme, parts.netloc, path + "/signed.json", "", ""))


def _current(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The release's current ninjs from its permalink (online only)."""
    permalink = next((a["value"] for a in doc.get("altIds", []) if a.get("role") == "permalink"),
                     "")
    if not permalink:
        return None
    current: dict[str, Any] = json.loads(_get(_signed_url(permalink)))["ninjs"]
    return current


@click.command("verify")
@click.argument("source")
@click.option("--keys", "keys_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A saved JWKS (/.well-known/pressdesk-keys.json): checks offline.")
@click.option("--signature", "signature_file",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The .jws beside a bare ninjs file.")
@click.option("--online/--offline", default=None,
              help="Also ask the portal whether the release was corrected or withdrawn since "
                   "(default: online for a URL, offline for a file).")
def verify_command(source: str, keys_file: Path | None, signature_file: Path | None,
                   online: bool | None) -> None:
    """Check that FILE-or-URL (a signed.json, or a ninjs file with its .jws) is what the
    office published, with the published keys.

    Exit status: 0 verified, 1 not verified, 2 unreadable, 3 verified but withdrawn."""
    is_url = source.startswith(("http://", "https://"))
    try:
        if is_url:
            data = _get(_signed_url(source))
            sig = None
        else:
            path = Path(source)
            data = path.read_bytes()
            sig_path = signature_file or (path.with_suffix(".jws")
                                          if path.with_suffix(".jws").exists() else None)
            sig = sig_path.read_text() if sig_path else None
        doc, token = checker.load_signed(data, sig)
    except (OSError, ValueError) as exc:
        click.echo(f"NOT VERIFIED: cannot read {source}: {exc}")
        sys.exit(2)
    if keys_file is not None:
        keyset = json.loads(keys_file.read_text())
    elif is_url:
        parts = urlsplit(source)
        keyset = json.loads(_get(f"{parts.scheme}://{parts.netloc}"
                                 "/.well-known/pressdesk-keys.json"))
    else:
        raise click.UsageError("give --keys (a saved pressdesk-keys.json) to check a file")
    verdict = checker.check(doc, token, keyset)
    for line in verdict.lines:
        click.echo(line)
    if not verdict.ok:
        sys.exit(1)
    withdrawn = verdict.pub_status == "canceled"
    if online if online is not None else is_url:
        current = _current(doc)
        if current is not None and current.get("version") != doc.get("version"):
            click.echo(f"Since then: version {current.get('version')} of "
                       f"{current.get('versionCreated')}.")
        if current is not None and current.get("pubStatus") == "canceled" and not withdrawn:
            click.echo("WITHDRAWN since: the office withdrew this release; do not use it.")
            withdrawn = True
    if withdrawn:
        sys.exit(EXIT_WITHDRAWN)


@click.group("signing-keys")
def keys_group() -> None:
    """The offices' Ed25519 signing keys."""


@keys_group.command("list")
@with_appcontext
def list_keys() -> None:
    from pressdesk.formats.keys import jwks

    for k in jwks()["keys"]:
        state = f"retired {k['retired']}" if k.get("retired") else "active"
        click.echo(f"{k['kid']}\t{k['office']}\tcreated {k['created']}\t{state}")


@keys_group.command("rotate")
@click.argument("office_slug")
@with_appcontext
def rotate_key(office_slug: str) -> None:
    """Retire OFFICE_SLUG's key (kept published) and create a new one."""
    from sqlalchemy import select

    from pressdesk.extensions import db
    from pressdesk.formats.keys import rotate
    from pressdesk.offices.models import Office

    if db.session.scalar(select(Office.id).where(Office.slug == office_slug)) is None:
        raise click.UsageError(f"no office {office_slug!r}")
    click.echo(f"new key {rotate(office_slug)}")


def register(cli: click.Group) -> None:
    cli.add_command(verify_command)
    cli.add_command(keys_group)
