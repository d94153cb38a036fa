"""``sspf users``: create, list and deactivate accounts from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from sspf.audit.sealing import commit_and_seal
from sspf.auth import services
from sspf.auth.models import User
from sspf.auth.passwords import password_problems
from sspf.auth.permissions import Role
from sspf.extensions import db
from sspf.org.models import Agency, District

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="Display name.")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--agency", required=True, help="Agency name, exactly as listed.")
@click.option("--district", "districts", multiple=True, help="District code (repeat for several).")
@click.password_option(envvar="SSPF_NEW_USER_PASSWORD", help="Temporary password (prompted if not given).")
def create(username: str, display_name: str, role: str, agency: str, districts: tuple[str, ...],
           password: str) -> None:
    """Create a user who must change the password at first login."""
    if services.find_user(username):
        raise click.ClickException(f"username {username!r} is taken")
    problems = password_problems(password, username=username)
    if problems:
        raise click.ClickException(" ".join(problems))
    agency_row = db.session.scalar(select(Agency).where(Agency.name == agency))
    if agency_row is None:
        names = ", ".join(db.session.scalars(select(Agency.name).order_by(Agency.name)))
        raise click.ClickException(f"no agency named {agency!r}; known: {names or '(none)'}")
    codes = [c.upper() for c in districts]
    rows = list(db.session.scalars(select(District).where(District.code.in_(codes)))) if codes else []
    unknown = set(codes) - {d.code for d in rows}
    if unknown:
        raise click.ClickException(f"unknown district code(s): {', '.join(sorted(unknown))}")
    user = services.user_create(actor=None, username=username, display_name=display_name, password=password,
                                role=Role(role), agency=agency_row, districts=rows)
    commit_and_seal()
    click.echo(f"created {user.username} ({user.role}, {agency_row.name})")


@users_cli.command("list")
def list_users() -> None:
    """List accounts: username, role, agency, districts, status."""
    for user in db.session.scalars(select(User).order_by(User.username)):
        status = "active" if user.active else "inactive"
        codes = ",".join(d.code for d in user.districts) or "-"
        click.echo(f"{user.username:28} {user.role:14} {user.agency.name:28} {codes:16} {status}")


@users_cli.command("deactivate")
@click.argument("username")
def deactivate(username: str) -> None:
    """Deactivate an account and end all its sessions at once."""
    user = services.find_user(username)
    if user is None:
        raise click.ClickException(f"no user {username!r}")
    services.user_set_active(actor=None, user=user, active=False)
    commit_and_seal()
    click.echo(f"deactivated {user.username}")
