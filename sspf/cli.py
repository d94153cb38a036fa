"""The ``sspf`` command: every administrative task (run, db, seed-demo, users, keys, audit)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from sspf.audit.sealing import commit_and_seal


def _create_app() -> Flask:
    from sspf import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False, load_dotenv=False)
def main() -> None:
    """sspf: samverkan skola, socialtjänst, polis och fritid."""


@main.command("seed-demo")
@click.option("--password", envvar="SSPF_DEMO_PASSWORD", help="Password for every demo account.")
@click.option("--if-empty", is_flag=True, help="Do nothing if the database already has users.")
@with_appcontext
def seed_demo(password: str | None, if_empty: bool) -> None:
    """Create a believable demo municipality (districts, agencies, one user per agency and district)."""
    from sspf.demo import DemoAlreadyLoaded, seed

    try:
        result = seed(password=password)
    except DemoAlreadyLoaded:
        if if_empty:
            click.echo("The database already has users; demo data not loaded again.")
            return
        raise click.ClickException("the database already has users; demo data only goes into an empty one") from None
    commit_and_seal()
    click.echo(f"Demo data loaded: {len(result.usernames)} accounts in {len(result.districts)} districts.")
    click.echo("Accounts: " + ", ".join(result.usernames))
    click.echo(f"Password for every demo account: {result.password}")


def _register_subgroups() -> None:
    from sspf.audit.cli import audit_cli
    from sspf.auth.cli import users_cli
    from sspf.crypto.cli import keys_cli

    main.add_command(users_cli)
    main.add_command(keys_cli)
    main.add_command(audit_cli)


_register_subgroups()
