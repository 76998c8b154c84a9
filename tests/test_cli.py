"""The pressdesk command: migrations, demo, create-user with validation."""

from sqlalchemy import select

from pressdesk.accounts.models import User
from pressdesk.cli import create_user_command, db_group, demo_command
from pressdesk.extensions import db


def test_demo_and_create_user(app):
    runner = app.test_cli_runner()
    out = runner.invoke(db_group, ["upgrade"])
    assert out.exit_code == 0 and "up to date" in out.output
    out = runner.invoke(demo_command)
    assert out.exit_code == 0 and "Landkreis Leer: published PM 1/" in out.output
    out = runner.invoke(create_user_command, ["Neu@Landkreis-Leer.example", "--name", "Neue Kollegin",
                                              "--office", "landkreis-leer", "--role", "publisher",
                                              "--password", "ein-langes-passwort"])
    assert out.exit_code == 0, out.output
    db.session.remove()
    user = db.session.scalar(select(User).where(User.email == "neu@landkreis-leer.example"))
    assert user is not None and user.memberships[0].role == "publisher"


def test_create_user_rejects_bad_input(app):
    runner = app.test_cli_runner()
    runner.invoke(demo_command)
    bad_email = runner.invoke(create_user_command, ["not-an-address", "--name", "X", "--office",
                                                    "landkreis-leer", "--password", "pw"])
    assert bad_email.exit_code != 0 and "@-sign" in bad_email.output
    bad_office = runner.invoke(create_user_command, ["x@example.org", "--name", "X", "--office",
                                                     "nowhere", "--password", "pw"])
    assert bad_office.exit_code != 0 and "nowhere" in bad_office.output
