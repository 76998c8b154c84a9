"""The ``pressdesk`` command: a Flask CLI group (db, demo, create-user, dev, worker, beat)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext


def _create_app() -> Flask:
    from pressdesk.app import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True,
             add_version_option=False)
def main() -> None:
    """pressdesk: press release distribution."""


def register_cli(app: Flask) -> None:
    app.cli.add_command(db_group)
    app.cli.add_command(demo_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(dev_command)
    from pressdesk.delivery.cli import bounces_command

    app.cli.add_command(bounces_command)
    from pressdesk.formats.cli import register as register_formats_commands

    register_formats_commands(app.cli)


@click.group("db")
def db_group() -> None:
    """Database migrations (Alembic)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    from pressdesk import migrate

    migrate.upgrade(revision)
    click.echo("database is up to date")


@db_group.command("check")
@with_appcontext
def db_check() -> None:
    from pressdesk import migrate

    migrate.check()
    click.echo("models and migrations agree")


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str) -> None:
    from pressdesk import migrate

    migrate.revision(message)


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the demo offices, media lists, users and releases (idempotent)."""
    from pressdesk.demo.loader import DEMO_PASSWORD, load_demo

    report = load_demo()
    click.echo(report)
    click.echo(f"demo password for every demo login: {DEMO_PASSWORD}")


@click.command("create-user")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--office", "office_slug", required=True, help="slug of the press office")
@click.option("--role", type=click.Choice(["editor", "publisher", "admin"]), default="editor")
@click.password_option()
@with_appcontext
def create_user_command(email: str, name: str, office_slug: str, role: str, password: str) -> None:
    from pressdesk import addresses
    from pressdesk.accounts.models import Role
    from pressdesk.accounts.services import PasswordRejected, check_password, create_user, find_user
    from pressdesk.extensions import db
    from pressdesk.portal.services import office_by_slug

    try:
        email = addresses.key(email)
    except addresses.InvalidAddress as exc:
        raise click.BadParameter(exc.reason) from exc
    office = office_by_slug(office_slug)
    if office is None:
        raise click.BadParameter(f"no press office with slug {office_slug!r}")
    if find_user(email):
        raise click.BadParameter(f"a user {email} exists already")
    try:
        check_password(password, email, name)
    except PasswordRejected as exc:
        raise click.BadParameter(str(exc), param_hint="password") from exc
    create_user(email, name, password, office, Role(role))
    db.commit()  # a CLI command is its own unit of work
    click.echo(f"created {email} as {role} of {office.name}")


def _wait_for_port(host: str, port: int, timeout: float) -> None:
    """Print the banner once the desk answers, so it is not buried in the workers' start-up."""
    import socket

    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                time.sleep(1.0)  # let the worker finish its banner too
                return
        time.sleep(0.2)


RESTARTED = ("worker", "beat")  # the web process ending ends the session
RESTART_PAUSE = 2.0  # seconds between a crash and its restart, so a crash loop cannot spin


def supervise(procs: dict[str, subprocess.Popen[bytes]], commands: dict[str, list[str]],
              env: dict[str, str], started: dict[str, float]) -> bool:
    """One look at the processes of ``pressdesk dev``: a worker or beat that died is started
    again (a broker restart, an out-of-memory kill); False when the web process ended."""
    for name, proc in procs.items():
        if proc.poll() is None:
            continue
        if name not in RESTARTED:
            click.echo(f"{name} exited with {proc.returncode}; stopping the rest", err=True)
            return False
        if time.monotonic() - started[name] < RESTART_PAUSE:
            continue
        click.echo(f"{name} exited with {proc.returncode}; starting it again", err=True)
        procs[name] = subprocess.Popen(commands[name], env=env)
        started[name] = time.monotonic()
    return True


@click.command("dev")
@click.option("--port", default=lambda: int(os.environ.get("PORT", "5000")), type=int)
@click.option("--host", default="127.0.0.1")
@with_appcontext
def dev_command(port: int, host: str) -> None:
    """Run the desk, a Celery worker and Celery beat together; a worker or beat that dies is
    started again; Ctrl-C stops all three."""
    from pressdesk.config import settings
    from pressdesk.demo.loader import demo_logins

    s = settings()
    env = dict(os.environ)
    env.setdefault("PRESSDESK_BASE_URL", f"http://{host}:{port}")
    py = sys.executable
    schedule = str(Path(s.instance_dir) / "celerybeat-schedule")
    commands = {
        "web": [py, "-m", "flask", "--app", "pressdesk.app:create_app", "run", "--host", host,
                "--port", str(port), "--no-reload", "--with-threads"],
        "worker": [py, "-m", "celery", "-A", "workers.celery_app", "worker", "--loglevel",
                   "INFO", "--concurrency", "2", "--hostname", "pressdesk-dev@%h"],
        "beat": [py, "-m", "celery", "-A", "workers.celery_app", "beat", "--loglevel", "WARNING",
                 "--schedule", schedule],
    }
    procs = {name: subprocess.Popen(cmd, env=env) for name, cmd in commands.items()}
    started = dict.fromkeys(procs, time.monotonic())
    _wait_for_port(host, port, timeout=30)
    click.echo("")
    click.echo(f"  pressdesk runs at  http://{host}:{port}/   (desk: http://{host}:{port}/desk/)")
    click.echo(f"  mail outbox        {s.smtp_url or s.outbox_dir}")
    click.echo("  demo logins:")
    for line in demo_logins():
        click.echo(f"    {line}")
    click.echo("  Ctrl-C stops web, worker and beat.\n")

    stopping = False

    def _stop(_sig: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        while not stopping:
            stopping = not supervise(procs, commands, env, started)
            time.sleep(0.3)
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.time() + 15
        for p in procs.values():
            try:
                p.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                p.kill()
        click.echo("stopped")
