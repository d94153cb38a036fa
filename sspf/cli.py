"""The ``sspf`` command: every administrative task (run, db, seed-demo, users, keys, audit)."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from sspf.audit.sealing import commit_and_seal


def _create_app() -> Flask:
    from sspf import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False, load_dotenv=False)
def main() -> None:
    """sspf: samverkan skola, socialtjänst, polis och fritid."""


@click.command("seed-demo")
@click.option("--password", envvar="SSPF_DEMO_PASSWORD", help="Password for every demo account.")
@click.option("--if-empty", is_flag=True, help="Do nothing if the database already has users.")
@with_appcontext
def seed_demo(password: str | None, if_empty: bool) -> None:
    """Create a believable demo municipality (districts, agencies, one user per agency and district)."""
    from sspf.demo import DemoAlreadyLoaded, demo_password, seed

    try:
        result = seed(password=password or demo_password(current_app.config["INSTANCE_DIR"]))
    except DemoAlreadyLoaded:
        if not if_empty:
            raise click.ClickException("the database already has users; demo data only goes into an empty one") \
                from None
        click.echo("The database already has users; demo data not loaded again.")
        if not password:
            shown = demo_password(current_app.config["INSTANCE_DIR"])
            click.echo(f"Password of the demo accounts (unless changed since): {shown}")
        return
    commit_and_seal()
    click.echo(f"Demo data loaded: {len(result.usernames)} accounts in {len(result.districts)} districts.")
    click.echo("Accounts: " + ", ".join(result.usernames))
    click.echo(f"Password for every demo account: {result.password}")


def register_commands(app: Flask) -> None:
    """Attach every sspf command group to ``app.cli`` (the ``sspf`` command lists them from there)."""
    from sspf.audit.cli import audit_cli
    from sspf.auth.cli import users_cli
    from sspf.crypto.cli import keys_cli

    for command in (users_cli, keys_cli, audit_cli, seed_demo):
        app.cli.add_command(command)
