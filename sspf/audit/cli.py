"""``sspf audit``: seal, checkpoint and export the audit trail for the independent verifier."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from sspf.audit import AuditAction, chain, record
from sspf.audit.models import AuditEvent, AuditSeal
from sspf.audit.sealing import event_dict, first_seq_since, seal_pending, write_checkpoint
from sspf.db import utcnow
from sspf.extensions import db

audit_cli = AppGroup("audit", help="Seal, checkpoint and export the audit trail.")


def _parse_since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(value), datetime.min.time())
        except ValueError:
            raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD) or ISO time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@audit_cli.command("seal")
def seal() -> None:
    """Seal events that are committed but not yet in the chain (normally done after each request)."""
    click.echo(f"sealed {seal_pending(wait=True)} events")


@audit_cli.command("checkpoint")
def checkpoint() -> None:
    """Seal, then sign the chain head into the checkpoint directory. Run it every minute from a timer."""
    seal_pending(wait=True)
    path = write_checkpoint()
    click.echo(f"checkpoint written: {path}" if path else "no events yet: nothing to checkpoint")


@audit_cli.command("export")
@click.option("--since", help="First day (YYYY-MM-DD) or time (ISO 8601, UTC if no zone) to export.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True, path_type=Path))
def export(since: str | None, out: Path) -> None:
    """Write the sealed events as JSON lines, with a fresh checkpoint, for `python -m audit verify`."""
    since_at = _parse_since(since)
    record(AuditAction.AUDIT_EXPORTED, detail={"since": since or "", "file": out.name})
    db.session.commit()
    seal_pending(wait=True)
    checkpoint_path = write_checkpoint()
    first = first_seq_since(since_at) if since_at else 1
    if first is None:
        raise click.ClickException("no events since that time")
    prev = "0" * 64
    if first > 1:
        prev = db.session.scalar(select(AuditSeal.mac).where(AuditSeal.seq == first - 1))
    key = current_app.extensions["sspf_audit"].key
    header = chain.export_header(first_seq=first, prev_mac=prev, exported_at=utcnow(), key_id=key.key_id)
    rows = db.session.execute(
        select(AuditEvent, AuditSeal.seq, AuditSeal.mac).join(AuditSeal, AuditSeal.event_pk == AuditEvent.id)
        .where(AuditSeal.seq >= first).order_by(AuditSeal.seq).execution_options(yield_per=2000)
    )
    tmp = out.with_name(out.name + ".part")
    count = 0
    with open(tmp, "wb") as fh:
        for line in chain.export_lines(header, ((event_dict(ev, seq), mac) for ev, seq, mac in rows)):
            fh.write(line)
            count += 1
    os.replace(tmp, out)
    click.echo(f"exported {count - 1} events (from seq {first}) to {out}")
    if checkpoint_path:
        click.echo(f"checkpoints: {checkpoint_path.parent}")


@audit_cli.command("grants")
@click.argument("role")
def grants(role: str) -> None:
    """Print the PostgreSQL GRANTs for the app's database ROLE (audit tables: INSERT and SELECT only)."""
    from sspf.audit.grants import grant_statements

    try:
        statements = grant_statements(role)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    for statement in statements:
        click.echo(statement + ";")
