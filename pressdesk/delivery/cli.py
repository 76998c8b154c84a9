"""``pressdesk bounces``: read DSN bounces from the configured Maildir / IMAP mailbox."""

from __future__ import annotations

import mailbox

import click
from flask.cli import with_appcontext


@click.command("bounces")
@click.option("--maildir", default="", help="Maildir folder (default: PRESSDESK_BOUNCE_MAILDIR)")
@click.option("--imap", "imap_url", default="",
              help="imaps://user:pw@host/INBOX (default: PRESSDESK_BOUNCE_IMAP_URL)")
@with_appcontext
def bounces_command(maildir: str, imap_url: str) -> None:
    """Mark deliveries bounced (and suppress their addresses) from DSN bounce messages."""
    from pressdesk.config import settings
    from pressdesk.delivery.bounces import process_imap, process_maildir

    s = settings()
    maildir = maildir or s.bounce_maildir
    imap_url = imap_url or s.bounce_imap_url
    if not maildir and not imap_url:
        raise click.UsageError("no mailbox: give --maildir or --imap, or set "
                               "PRESSDESK_BOUNCE_MAILDIR / PRESSDESK_BOUNCE_IMAP_URL")
    if maildir:
        try:
            click.echo(f"{maildir}: {process_maildir(maildir)}")
        except (OSError, mailbox.Error) as exc:
            raise click.ClickException(f"cannot read Maildir {maildir}: {exc}") from exc
    if imap_url:
        click.echo(f"IMAP: {process_imap(imap_url)}")
