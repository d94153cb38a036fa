"""Column types for encrypted values and blind indexes.

A :class:`~sqlalchemy.types.TypeDecorator` sees values but not rows, so it cannot know the row id
that each ciphertext is bound to. The work is therefore split: the ORM flush hook in
:mod:`sspf.crypto.orm` encrypts plaintext into a :class:`Ciphertext` wrapper, and these types only
pass such wrappers through. Anything else (a ``str`` from a Core ``insert()``, a bulk statement, a
copied ``bytes`` value) raises :class:`~sspf.crypto.errors.PlaintextWriteError`, so plaintext can
never reach the database by a path that skipped the hook.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import LargeBinary
from sqlalchemy.types import TypeDecorator

from sspf.crypto.aead import ciphertext_key_id
from sspf.crypto.errors import PlaintextWriteError


class Ciphertext:
    """Opaque wrapper around stored ciphertext bytes.

    A distinct type (not ``bytes``) so that plaintext bytes for :class:`EncryptedBytes` can never be
    mistaken for ciphertext, and so that a value that escaped decryption is obvious in a debugger.
    """

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = bytes(data)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ciphertext) and other.data == self.data

    def __hash__(self) -> int:
        return hash(self.data)

    def __repr__(self) -> str:
        return f"<Ciphertext key={ciphertext_key_id(self.data)!r} {len(self.data)} bytes>"


class _Encrypted(TypeDecorator[Any]):
    impl = LargeBinary
    cache_ok = True
    #: "text" or "bytes": what the ORM attribute holds in plaintext.
    plaintext_kind = "text"

    def process_bind_param(self, value: Any, dialect: Any) -> bytes | None:
        if value is None:
            return None
        if isinstance(value, Ciphertext):
            return value.data
        raise PlaintextWriteError(
            f"refusing to write a {type(value).__name__} to an encrypted column; values must be encrypted "
            "by the ORM flush hook (is sspf.crypto installed on this session?)"
        )

    def process_literal_param(self, value: Any, dialect: Any) -> str:
        raise PlaintextWriteError("encrypted values are never rendered as SQL literals")

    def process_result_value(self, value: Any, dialect: Any) -> Ciphertext | None:
        return None if value is None else Ciphertext(value)

    def coerce_compared_value(self, op: Any, value: Any) -> TypeDecorator[Any]:
        # Comparisons go through the same bind step, so `col == "plaintext"` fails loudly too.
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class EncryptedText(_Encrypted):
    """An encrypted ``str`` column (stored as binary ciphertext)."""

    plaintext_kind = "text"
    cache_ok = True

    @property
    def python_type(self) -> type:
        return str


class EncryptedBytes(_Encrypted):
    """An encrypted ``bytes`` column, e.g. a scanned consent form (stored as binary ciphertext)."""

    plaintext_kind = "bytes"
    cache_ok = True

    @property
    def python_type(self) -> type:
        return bytes


def _identity(value: str) -> str:
    return value


class BlindIndex(TypeDecorator[bytes]):
    """A keyed hash of another attribute, for exact-match search without decryption.

    The flush hook fills it from ``source`` (the attribute name of the plaintext on the same model)
    after applying ``normalizer``. ``purpose`` selects the HMAC subkey; it defaults to
    ``"<table>.<source>"`` so that indexes of different columns cannot be correlated. Give two
    columns the same ``purpose`` only when matching across them is intended.

    Stored value: version (0x01) || key-id length || key id || HMAC-SHA256 (32 bytes). The key id
    lets rotation find and rebuild the index values of a retired blind-index key.
    """

    impl = LargeBinary
    cache_ok = True

    def __init__(self, source: str, normalizer: Callable[[str], str] | None = None, purpose: str | None = None):
        super().__init__()
        self.source = source
        self.normalizer = normalizer or _identity
        self.purpose = purpose

    def purpose_for(self, table: str) -> str:
        return self.purpose or f"{table}.{self.source}"

    def process_bind_param(self, value: Any, dialect: Any) -> bytes | None:
        if value is None or isinstance(value, bytes):
            return value
        raise PlaintextWriteError(
            f"refusing to write or compare a {type(value).__name__} as a blind index; "
            "use sspf.crypto.blind_index_match() to search"
        )

    def process_literal_param(self, value: Any, dialect: Any) -> str:
        raise PlaintextWriteError("blind index values are never rendered as SQL literals")

    def coerce_compared_value(self, op: Any, value: Any) -> TypeDecorator[Any]:
        return self

    def __repr__(self) -> str:
        extra = f", purpose={self.purpose!r}" if self.purpose else ""
        return f"BlindIndex(source={self.source!r}{extra})"
