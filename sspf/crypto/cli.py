"""``sspf keys``: create, add, activate, rotate, retire and inspect keys.

The keyring file is the only place keys live; every change rewrites it atomically (see
:mod:`sspf.crypto.keyfile`). Running servers re-read it within ``SSPF_KEYRING_RELOAD_SECONDS``.
Safe order for a rotation: ``add`` → ``activate`` → wait for the reload → ``rotate`` → ``retire``.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from sspf.crypto.context import EXTENSION_KEY, CryptoState
from sspf.crypto.errors import KeyringError
from sspf.crypto.keyfile import create_keyring_file, update_keyring_file
from sspf.crypto.keyring import Keyring, KeySet
from sspf.crypto.rotation import count_under_key, rotate, status

keys_cli = AppGroup("keys", help="Manage the encryption keyring (kept outside the database).")

blind_index_option = click.option(
    "--blind-index", "blind_index", is_flag=True, help="Act on the blind-index keys instead of the data keys."
)


def _state() -> CryptoState:
    state = current_app.extensions.get(EXTENSION_KEY)
    if state is None:
        raise click.ClickException("sspf.crypto is not initialised on this app (crypto.init_app)")
    return state


def _path() -> Path:
    path = _state().provider.path
    if path is None:
        raise click.ClickException(
            "the keyring comes from the SSPF_KEYRING variable and cannot be changed from here; "
            "use a keyring file (SSPF_KEYRING_FILE) to manage keys"
        )
    return path


def _kind(blind_index: bool) -> KeySet:
    return KeySet.BLIND_INDEX if blind_index else KeySet.DATA


def _audit(operation: str, **detail: object) -> None:
    """Record a key change in the audit trail (an admin change like any other), flagged for log review."""
    if "sspf_audit" not in current_app.extensions:
        return  # an app without the audit trail (the crypto package's own tests)
    from sspf.audit import AuditAction, record
    from sspf.audit.sealing import commit_and_seal

    record(AuditAction.KEYS_CHANGED, target_type="keyring", flagged=True, detail={"operation": operation, **detail})
    commit_and_seal()


def _fresh_keyring() -> Keyring:
    state = _state()
    return state.provider.reload()


@keys_cli.command("init", with_appcontext=False)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), envvar="SSPF_KEYRING_FILE")
def init_command(path: Path) -> None:
    """Create a new keyring file with fresh keys (development and first installation)."""
    try:
        create_keyring_file(path)
    except KeyringError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created keyring {path} (mode 0600); back it up separately from the database")


@keys_cli.command("add")
@blind_index_option
def add_command(blind_index: bool) -> None:
    """Add a new random key; it is not active until `sspf keys activate`."""
    kind = _kind(blind_index)
    new_id: list[str] = []

    def change(keyring: Keyring) -> Keyring:
        keyring, key_id = keyring.with_new_key(kind)
        new_id.append(key_id)
        return keyring

    update_keyring_file(_path(), change)
    _fresh_keyring()
    _audit("add", kind=str(kind), key_id=new_id[0])
    click.echo(f"added {kind} key {new_id[0]} (not active)")


@keys_cli.command("activate")
@click.argument("key_id")
@blind_index_option
def activate_command(key_id: str, blind_index: bool) -> None:
    """Make KEY_ID the key that new values are written under."""
    kind = _kind(blind_index)
    try:
        update_keyring_file(_path(), lambda k: k.with_active(kind, key_id))
    except KeyringError as exc:
        raise click.ClickException(str(exc)) from None
    _fresh_keyring()
    _audit("activate", kind=str(kind), key_id=key_id)
    wait = _state().provider.check_interval
    click.echo(f"{kind} key {key_id} is active; servers pick it up within {wait:g} s, then run `sspf keys rotate`")


@keys_cli.command("rotate")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(min=1))
@click.option("--rebuild-blind-index", is_flag=True, help="Recompute every blind index (after a normalizer change).")
def rotate_command(batch_size: int, rebuild_blind_index: bool) -> None:
    """Re-encrypt all values and rebuild blind indexes under the active keys (restartable)."""
    state = _state()
    keyring = _fresh_keyring()
    session = state.session_factory()

    def progress(report) -> None:
        click.echo(f"  batch {report.batches}: {report.reencrypted} re-encrypted, {report.reindexed} re-indexed")

    report = rotate(
        session, keyring, models=state.models, batch_size=batch_size,
        rebuild_blind_index=rebuild_blind_index, on_batch=progress,
    )
    old = [r for r in status(session, models=state.models) if r.key_id != keyring.active(r.kind)]
    session.commit()
    _audit("rotate", reencrypted=report.reencrypted, reindexed=report.reindexed, failed=len(report.failed))
    click.echo(f"rotation done: {report.reencrypted} values re-encrypted, {report.reindexed} indexes rebuilt")
    click.echo(f"values under old keys: {sum(r.count for r in old)}")
    if report.failed:
        raise click.ClickException(
            f"{len(report.failed)} values could not be decrypted and stay under their old key "
            f"(see the sspf.crypto log): {', '.join(report.failed[:10])}"
        )


@keys_cli.command("retire")
@click.argument("key_id")
@blind_index_option
def retire_command(key_id: str, blind_index: bool) -> None:
    """Delete KEY_ID from the keyring; refused while any value still uses it."""
    kind = _kind(blind_index)
    state = _state()
    keyring = _fresh_keyring()
    if key_id not in keyring.keys(kind):
        raise click.ClickException(f"no {kind} key {key_id!r} in the keyring")
    if key_id == keyring.active(kind):
        raise click.ClickException(f"{key_id} is the active {kind} key; activate another key and rotate first")
    session = state.session_factory()
    remaining = count_under_key(session, kind, key_id, models=state.models)
    session.rollback()
    if remaining:
        detail = ", ".join(f"{col}: {n}" for col, n in remaining.items())
        raise click.ClickException(
            f"refusing to retire {key_id}: {sum(remaining.values())} values still use it ({detail}); "
            "run `sspf keys rotate` first"
        )
    try:
        update_keyring_file(_path(), lambda k: k.without_key(kind, key_id))
    except KeyringError as exc:
        raise click.ClickException(str(exc)) from None
    _fresh_keyring()
    _audit("retire", kind=str(kind), key_id=key_id)
    click.echo(f"retired {kind} key {key_id}; values and backups encrypted under it can no longer be read")


@keys_cli.command("status")
def status_command() -> None:
    """Show the keys and how many values each one protects, per column."""
    state = _state()
    keyring = _fresh_keyring()
    for kind in KeySet:
        for key_id, entry in sorted(keyring.keys(kind).items()):
            mark = " (active)" if key_id == keyring.active(kind) else ""
            click.echo(f"{kind:<12} {key_id}{mark}  created {entry.created_at}")
    session = state.session_factory()
    rows = status(session, models=state.models)
    session.rollback()
    for r in rows:
        mark = "" if r.key_id == keyring.active(r.kind) else "  <- old key"
        click.echo(f"{r.table + '.' + r.column:<48} {r.key_id:<20} {r.count:>9}{mark}")
    old = sum(r.count for r in rows if r.key_id != keyring.active(r.kind))
    click.echo(f"values under old keys: {old}")
