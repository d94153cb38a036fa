"""Which tables and columns hold encrypted values and blind indexes.

Rotation, status and retirement work table by table with Core statements (fast, and free of ORM
hooks), so they need the physical tables and columns behind the mapped classes. The classes come
from a declarative registry (by default the application's, ``sspf.db.Base``) so that tests can pass
their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import Column, Table, inspect

from sspf.crypto.errors import CryptoError
from sspf.crypto.types import BlindIndex, _Encrypted


@dataclass(frozen=True)
class BlindIndexColumn:
    column: Column
    source: Column
    source_encrypted: bool
    purpose: str
    normalizer: Callable[[str], str]


@dataclass
class TableInventory:
    table: Table
    pk: Column
    encrypted: list[Column] = field(default_factory=list)
    blind: list[BlindIndexColumn] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.table.name


def default_models() -> list[type]:
    from sspf.db import Base

    return [m.class_ for m in Base.registry.mappers]


def inventory(models: Iterable[type] | None = None) -> list[TableInventory]:
    """Every table that has encrypted or blind-index columns among ``models``, sorted by name."""
    tables: dict[str, TableInventory] = {}
    for cls in default_models() if models is None else models:
        mapper = inspect(cls)
        for prop in mapper.column_attrs:
            col = prop.columns[0]
            if not isinstance(col.type, _Encrypted | BlindIndex) or not isinstance(col.table, Table):
                continue
            inv = tables.get(col.table.name)
            if inv is None:
                pks = list(col.table.primary_key.columns)
                if len(pks) != 1:
                    raise CryptoError(f"table {col.table.name}: encrypted columns need a single-column primary key")
                inv = tables[col.table.name] = TableInventory(col.table, pks[0])
            if isinstance(col.type, _Encrypted):
                if col not in inv.encrypted:
                    inv.encrypted.append(col)
            elif all(b.column is not col for b in inv.blind):
                source = mapper.column_attrs[col.type.source].columns[0]
                if source.table is not col.table:
                    raise CryptoError(f"{col.table.name}.{col.name}: the blind-index source must be in the same table")
                inv.blind.append(
                    BlindIndexColumn(
                        col, source, isinstance(source.type, _Encrypted), col.type.purpose_for(col.table.name),
                        col.type.normalizer,
                    )
                )
    return [tables[name] for name in sorted(tables)]
