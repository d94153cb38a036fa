"""Exceptions and the marker for values that could not be decrypted.

Every failure in this package is loud and specific, so that a caller can tell "the key is missing"
from "the ciphertext was tampered with" from "someone tried to write plaintext". Messages name the
table, column and row but never contain a plaintext or a ciphertext.
"""

from __future__ import annotations

from typing import Any

#: Text shown in place of a value that could not be decrypted (user-facing, Swedish).
UNREADABLE_TEXT = "[värdet kunde inte läsas]"


class CryptoError(Exception):
    """Base class of every error raised by :mod:`sspf.crypto`."""


class KeyringError(CryptoError):
    """The keyring is missing, malformed, or a requested change to it is not allowed."""


class DecryptionError(CryptoError):
    """A ciphertext could not be authenticated or decoded.

    Raised for any modification of the stored bytes, for a ciphertext copied to another row,
    column or table, and for a header naming a key that is not in the keyring.
    """

    def __init__(self, table: str, column: str, row_id: Any, reason: str) -> None:
        self.table = table
        self.column = column
        self.row_id = row_id
        self.reason = reason
        super().__init__(f"cannot decrypt {table}.{column} of row {row_id}: {reason}")


class UnknownKeyIdError(DecryptionError):
    """The ciphertext header names a key id that the keyring does not hold.

    A subclass so that the ORM layer can reload the keyring once (a key may have been added by
    ``sspf keys add`` after this process started) before giving up.
    """


class PlaintextWriteError(CryptoError):
    """Something other than a ciphertext reached an encrypted column on its way to the database.

    This is the safety net of :class:`~sspf.crypto.types.EncryptedText`: a Core ``insert()``, a
    bulk ORM statement or any other path that skips the flush hook must fail instead of storing
    plaintext.
    """


class UnreadableWriteError(CryptoError):
    """An :class:`UnreadableValue` marker was about to be written back to the database.

    Re-encrypting the marker would replace a damaged (but perhaps recoverable) ciphertext with the
    marker's text and make the loss permanent and invisible.
    """


class UnreadableValue(str):
    """Placeholder returned by the ORM for a value that failed to decrypt.

    It is a ``str`` so that templates render it without special cases (the page shows "the value
    could not be read" instead of failing with a 500), and it carries ``unreadable = True`` so that
    code and templates can tell it apart from real data.
    """

    __slots__ = ()
    unreadable = True

    def __new__(cls) -> UnreadableValue:
        return super().__new__(cls, UNREADABLE_TEXT)

    def __repr__(self) -> str:
        return "UnreadableValue()"


def is_unreadable(value: object) -> bool:
    """True for the :class:`UnreadableValue` marker (handy in templates and services)."""
    return getattr(value, "unreadable", False) is True
