"""Field-level encryption for personal data: AES-256-GCM per value, key rotation, blind indexes.

Models declare encrypted columns with :class:`EncryptedText` / :class:`EncryptedBytes` (on tables
with the ``UuidPk`` mixin) and searchable ones with :class:`BlindIndex`; the app factory calls
:func:`init_app`; the ``sspf keys`` commands (:data:`keys_cli`) manage the keyring. See
:mod:`sspf.crypto.aead` for the ciphertext format and :mod:`sspf.crypto.keyring` for the keyring.
"""

from sspf.crypto.aead import decrypt, encrypt
from sspf.crypto.blind_index import blind_index, blind_index_match, digits_only, normalize_text
from sspf.crypto.context import CryptoState, get_keyring
from sspf.crypto.errors import (
    CryptoError,
    DecryptionError,
    KeyringError,
    PlaintextWriteError,
    UnknownKeyIdError,
    UnreadableValue,
    UnreadableWriteError,
    is_unreadable,
)
from sspf.crypto.extension import init_app
from sspf.crypto.keyfile import KeyringProvider, create_keyring_file, read_keyring_file
from sspf.crypto.keyring import Keyring, KeySet, generate_keyring
from sspf.crypto.orm import decrypt_instance, encrypt_value, install
from sspf.crypto.rotation import RotationReport, count_under_key, rotate, status
from sspf.crypto.types import BlindIndex, Ciphertext, EncryptedBytes, EncryptedText

__all__ = [
    "BlindIndex",
    "Ciphertext",
    "CryptoError",
    "CryptoState",
    "DecryptionError",
    "EncryptedBytes",
    "EncryptedText",
    "Keyring",
    "KeyringError",
    "KeyringProvider",
    "KeySet",
    "PlaintextWriteError",
    "RotationReport",
    "UnknownKeyIdError",
    "UnreadableValue",
    "UnreadableWriteError",
    "blind_index",
    "blind_index_match",
    "count_under_key",
    "create_keyring_file",
    "decrypt",
    "decrypt_instance",
    "digits_only",
    "encrypt",
    "encrypt_value",
    "generate_keyring",
    "get_keyring",
    "init_app",
    "install",
    "is_unreadable",
    "normalize_text",
    "read_keyring_file",
    "rotate",
    "status",
]
