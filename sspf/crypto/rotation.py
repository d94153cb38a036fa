"""Key rotation: re-encrypt values and rebuild blind indexes under the active keys.

Rotation works in batches, each committed on its own, and every batch selects only rows that still
have a value under another key. So it can be killed at any point and simply run again, and it ends
when no value remains under an old key; only then can the old key be retired. Each UPDATE compares
the old stored value (compare-and-swap), so a value that the application changed meanwhile is left
alone instead of being overwritten with stale data. Keys are never written to the database.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, ColumnElement, LargeBinary, Row, and_, bindparam, func, literal, or_, select, type_coerce
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from sspf.crypto.aead import ciphertext_key_id, decrypt, encrypt, key_header
from sspf.crypto.blind_index import blind_index_key_id, compute_blind_index
from sspf.crypto.errors import DecryptionError
from sspf.crypto.inventory import BlindIndexColumn, TableInventory, inventory
from sspf.crypto.keyring import Keyring, KeySet
from sspf.crypto.types import Ciphertext

logger = logging.getLogger("sspf.crypto")

_MAX_HEADER = 2 + 64


@dataclass
class RotationReport:
    #: values sent for re-encryption / index values sent for rewriting (a row that the application
    #: changed meanwhile is skipped by the compare-and-swap and picked up by the next run)
    reencrypted: int = 0
    reindexed: int = 0
    batches: int = 0
    #: "table.column row <id>" of values that could not be decrypted (and so stay under their key).
    failed: list[str] = field(default_factory=list)


def _prefix(col: Column, n: int) -> ColumnElement[bytes]:
    return type_coerce(func.substr(col, 1, n), LargeBinary)


def _under(col: Column, header: bytes) -> ColumnElement[bool]:
    return _prefix(col, len(header)) == literal(header, LargeBinary)


def _not_under(col: Column, header: bytes) -> ColumnElement[bool]:
    return and_(col.is_not(None), _prefix(col, len(header)) != literal(header, LargeBinary))


def _batches(
    session: Session, inv: TableInventory, cols: list[Column], where: ColumnElement[bool], size: int
) -> Iterator[list[Row]]:
    """Yield batches of rows (keyset pagination on the primary key, so failed rows are passed over)."""
    last = None
    while True:
        stmt = select(inv.pk, *cols).where(where)
        if last is not None:
            stmt = stmt.where(inv.pk > last)
        rows = session.execute(stmt.order_by(inv.pk).limit(size)).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _cas_update(
    session: Session, inv: TableInventory, col: Column, params: list[dict], guard: Column | None = None
) -> None:
    if not params:
        return
    where = [inv.pk == bindparam("b_id"), col.is_not_distinct_from(bindparam("b_old", type_=col.type))]
    if guard is not None:
        where.append(guard.is_not_distinct_from(bindparam("b_src", type_=guard.type)))
    session.execute(sql_update(inv.table).where(*where).values({col.name: bindparam("b_new", type_=col.type)}), params)


OnBatch = Callable[["RotationReport"], None] | None


def _rotate_data(
    session: Session, keyring: Keyring, inv: TableInventory, size: int, report: RotationReport, on_batch: OnBatch
) -> None:
    header = key_header(keyring.active_data_key)
    where = or_(*[_not_under(c, header) for c in inv.encrypted])
    for rows in _batches(session, inv, inv.encrypted, where, size):
        updates: dict[str, list[dict]] = {c.name: [] for c in inv.encrypted}
        for row_id, *values in rows:
            for col, value in zip(inv.encrypted, values, strict=True):
                if value is None or value.data.startswith(header):
                    continue
                try:
                    plaintext = decrypt(keyring, inv.name, col.name, row_id, value.data)
                except DecryptionError as exc:
                    logger.error("rotation: %s", exc)
                    report.failed.append(f"{inv.name}.{col.name} row {row_id}")
                    continue
                new = Ciphertext(encrypt(keyring, inv.name, col.name, row_id, plaintext))
                updates[col.name].append({"b_id": row_id, "b_old": value, "b_new": new})
        for col in inv.encrypted:
            _cas_update(session, inv, col, updates[col.name])
            report.reencrypted += len(updates[col.name])
        session.commit()
        report.batches += 1
        if on_batch:
            on_batch(report)


def _source_text(keyring: Keyring, inv: TableInventory, b: BlindIndexColumn, row_id: Any, value: Any) -> str:
    if b.source_encrypted:
        return decrypt(keyring, inv.name, b.source.name, row_id, value.data).decode("utf-8")
    return value


def _rebuild_blind(
    session: Session,
    keyring: Keyring,
    inv: TableInventory,
    size: int,
    report: RotationReport,
    on_batch: OnBatch,
    force: bool,
) -> None:
    header = key_header(keyring.active_blind_index_key)

    def needs(b: BlindIndexColumn) -> ColumnElement[bool]:
        if force:
            return b.source.is_not(None)
        return and_(b.source.is_not(None), or_(b.column.is_(None), _not_under(b.column, header)))

    cols = [c for b in inv.blind for c in (b.source, b.column)]
    for rows in _batches(session, inv, cols, or_(*[needs(b) for b in inv.blind]), size):
        updates: list[list[dict]] = [[] for _ in inv.blind]
        for row_id, *values in rows:
            for i, b in enumerate(inv.blind):
                source, old = values[2 * i], values[2 * i + 1]
                if source is None or (not force and old is not None and old.startswith(header)):
                    continue
                try:
                    text = _source_text(keyring, inv, b, row_id, source)
                except (DecryptionError, UnicodeDecodeError) as exc:
                    logger.error("blind-index rebuild: %s", exc)
                    report.failed.append(f"{inv.name}.{b.column.name} row {row_id}")
                    continue
                new = compute_blind_index(keyring, b.purpose, b.normalizer(text))
                if new != old:
                    updates[i].append({"b_id": row_id, "b_old": old, "b_new": new, "b_src": source})
        for b, params in zip(inv.blind, updates, strict=True):
            _cas_update(session, inv, b.column, params, guard=b.source)
            report.reindexed += len(params)
        session.commit()
        report.batches += 1
        if on_batch:
            on_batch(report)


def rotate(
    session: Session,
    keyring: Keyring,
    *,
    models: Iterable[type] | None = None,
    batch_size: int = 500,
    rebuild_blind_index: bool = False,
    on_batch: Callable[[RotationReport], None] | None = None,
) -> RotationReport:
    """Re-encrypt every value not under the active data key and rebuild every blind index not under
    the active blind-index key (all of them with ``rebuild_blind_index``, e.g. after a normalizer
    change). Commits after each batch; ``on_batch`` is called after each commit (progress, tests).
    """
    report = RotationReport()
    for inv in inventory(models):
        if inv.encrypted:
            _rotate_data(session, keyring, inv, batch_size, report, on_batch)
        if inv.blind:
            _rebuild_blind(session, keyring, inv, batch_size, report, on_batch, rebuild_blind_index)
    return report


@dataclass(frozen=True)
class StatusRow:
    kind: KeySet
    table: str
    column: str
    key_id: str  #: "?" for a value whose header names no readable key id
    count: int


def status(session: Session, *, models: Iterable[type] | None = None) -> list[StatusRow]:
    """How many values each key id protects, per column (reads only the headers)."""
    rows: list[StatusRow] = []
    for inv in inventory(models):
        columns = [(KeySet.DATA, c, ciphertext_key_id) for c in inv.encrypted]
        columns += [(KeySet.BLIND_INDEX, b.column, blind_index_key_id) for b in inv.blind]
        for kind, col, key_id_of in columns:
            stmt = select(_prefix(col, _MAX_HEADER)).where(col.is_not(None))
            counts = Counter(key_id_of(bytes(h)) or "?" for h in session.execute(stmt).scalars())
            rows += [StatusRow(kind, inv.name, col.name, k, n) for k, n in sorted(counts.items())]
    return rows


def count_under_key(
    session: Session, kind: KeySet, key_id: str, *, models: Iterable[type] | None = None
) -> dict[str, int]:
    """Values still under ``key_id``, per "table.column" (only columns with at least one)."""
    header = key_header(key_id)
    result: dict[str, int] = {}
    for inv in inventory(models):
        cols = inv.encrypted if kind is KeySet.DATA else [b.column for b in inv.blind]
        for col in cols:
            n = session.execute(select(func.count()).select_from(inv.table).where(_under(col, header))).scalar_one()
            if n:
                result[f"{inv.name}.{col.name}"] = n
    return result
