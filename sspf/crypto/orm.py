"""ORM session hooks that encrypt on flush and decrypt on load.

Why hooks and not just a column type: the associated data binds every ciphertext to its row id,
and a TypeDecorator never sees the row. So:

* ``before_flush`` fills blind indexes from the plaintext, then replaces each new or changed
  plaintext with a :class:`~sspf.crypto.types.Ciphertext` bound to (table, column, id);
* the column types pass only such wrappers to the database (anything else raises);
* ``after_flush_postexec`` puts the plaintext back as the committed value, so after a flush the
  object looks exactly as the application left it (and a failed flush restores it too);
* the instance ``load``/``refresh`` events decrypt with ``set_committed_value`` semantics, so
  loading never marks an object dirty. A value that fails to decrypt is logged and becomes an
  :class:`~sspf.crypto.errors.UnreadableValue`; it is never replaced by wrong data.
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass
from itertools import chain
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Mapper, Session, object_session
from sqlalchemy.orm.attributes import PASSIVE_NO_INITIALIZE, instance_state, set_attribute, set_committed_value

from sspf.crypto.aead import decrypt, encrypt, row_part
from sspf.crypto.blind_index import compute_blind_index
from sspf.crypto.context import (
    ProviderLike,
    as_provider,
    get_keyring,
    register_provider,
    reload_keyring,
    session_class_of,
)
from sspf.crypto.errors import (
    UNREADABLE_TEXT,
    CryptoError,
    DecryptionError,
    UnknownKeyIdError,
    UnreadableValue,
    UnreadableWriteError,
)
from sspf.crypto.keyring import Keyring
from sspf.crypto.types import BlindIndex, Ciphertext, _Encrypted

logger = logging.getLogger("sspf.crypto")

_PENDING = "sspf_crypto_pending"
_KEYRING = "sspf_crypto_keyring"
_SPEC = "sspf_crypto_spec"
_SEEN = "sspf_crypto_seen"


@dataclass(frozen=True)
class EncryptedAttr:
    key: str  #: attribute name on the class
    table: str  #: table and column names go into the associated data (renaming them needs re-encryption)
    column: str
    as_text: bool


@dataclass(frozen=True)
class BlindIndexAttr:
    key: str
    source_key: str
    purpose: str
    normalizer: Any


@dataclass(frozen=True)
class MapperSpec:
    pk_key: str
    encrypted: tuple[EncryptedAttr, ...]
    blind: tuple[BlindIndexAttr, ...]


def mapper_spec(mapper: Mapper) -> MapperSpec | None:
    """What a mapper encrypts and indexes (cached; None for the many mappers that do neither)."""
    info = mapper.class_manager.info
    if _SPEC in info:
        return info[_SPEC]
    encrypted, blind = [], []
    for prop in mapper.column_attrs:
        col = prop.columns[0]
        if isinstance(col.type, _Encrypted):
            encrypted.append(EncryptedAttr(prop.key, col.table.name, col.name, col.type.plaintext_kind == "text"))
        elif isinstance(col.type, BlindIndex):
            if col.type.source not in mapper.column_attrs:
                raise CryptoError(f"BlindIndex {mapper.class_.__name__}.{prop.key}: no attribute {col.type.source!r}")
            purpose = col.type.purpose_for(col.table.name)
            blind.append(BlindIndexAttr(prop.key, col.type.source, purpose, col.type.normalizer))
    spec = None
    if encrypted or blind:
        if len(mapper.primary_key) != 1:
            raise CryptoError(f"{mapper.class_.__name__}: encrypted columns need a single-column primary key")
        pk_key = mapper.get_property_by_column(mapper.primary_key[0]).key
        spec = MapperSpec(pk_key, tuple(encrypted), tuple(blind))
    info[_SPEC] = spec
    return spec


# -- flush ---------------------------------------------------------------------------------------


def _changed(state: Any, key: str, is_new: bool) -> tuple[bool, Any]:
    if is_new:
        return (key in state.dict, state.dict.get(key))
    hist = state.manager[key].impl.get_history(state, state.dict, PASSIVE_NO_INITIALIZE)
    return (bool(hist.added), hist.added[0] if hist.added else None)


def _plaintext_bytes(value: Any, attr: EncryptedAttr, owner: str) -> bytes:
    if isinstance(value, UnreadableValue) or (isinstance(value, str) and value == UNREADABLE_TEXT):
        # The text too: a form that echoed the marker back must not overwrite the damaged value.
        raise UnreadableWriteError(f"refusing to write the unreadable-value marker to {owner}.{attr.key}")
    if isinstance(value, Ciphertext):
        raise TypeError(f"{owner}.{attr.key}: assign plaintext, not a Ciphertext")
    if attr.as_text:
        if not isinstance(value, str):
            raise TypeError(f"{owner}.{attr.key} is EncryptedText and needs str, got {type(value).__name__}")
        return value.encode("utf-8")
    if not isinstance(value, bytes | bytearray | memoryview):
        raise TypeError(f"{owner}.{attr.key} is EncryptedBytes and needs bytes, got {type(value).__name__}")
    return bytes(value)


def _prepare(obj: Any, spec: MapperSpec, keyring: Keyring, pending: list) -> None:
    state = instance_state(obj)
    is_new = state.key is None
    owner = type(obj).__name__
    row_id = state.dict.get(spec.pk_key)
    if is_new and row_id is None:
        row_id = uuid.uuid4()
        set_attribute(obj, spec.pk_key, row_id)
    elif not is_new and _changed(state, spec.pk_key, False)[0]:
        raise CryptoError(f"{owner}: the id of a row with encrypted values cannot change")
    for b in spec.blind:  # before encryption: the index is computed from the plaintext
        changed, value = _changed(state, b.source_key, is_new)
        if changed:
            if isinstance(value, UnreadableValue):
                raise UnreadableWriteError(f"refusing to index the unreadable-value marker of {owner}.{b.source_key}")
            index = None if value is None else compute_blind_index(keyring, b.purpose, b.normalizer(value))
            set_attribute(obj, b.key, index)
    for e in spec.encrypted:
        changed, value = _changed(state, e.key, is_new)
        if not changed or value is None:
            continue
        plaintext = _plaintext_bytes(value, e, owner)
        ct = Ciphertext(encrypt(keyring, e.table, e.column, row_id, plaintext))
        pending.append((obj, e.key, value if e.as_text else plaintext))
        set_attribute(obj, e.key, ct)


def encrypt_value(session: Session, attribute: Any, row_id: Any, value: Any) -> Ciphertext | None:
    """The ciphertext the flush hook would write for ``value`` in ``attribute`` (e.g. ``Contact.note``)
    of row ``row_id``, for a Core INSERT on a path where the unit of work costs more than the write."""
    col = attribute.property.columns[0]
    if not isinstance(col.type, _Encrypted):
        raise CryptoError(f"{attribute} is not an encrypted column")
    if value is None:
        return None
    attr = EncryptedAttr(attribute.key, col.table.name, col.name, col.type.plaintext_kind == "text")
    plaintext = _plaintext_bytes(value, attr, attribute.class_.__name__)
    return Ciphertext(encrypt(get_keyring(session), attr.table, attr.column, row_id, plaintext))


def _restore(pending: list) -> None:
    """Put plaintext back where the flush left ciphertext (after a failed flush)."""
    for obj, key, plaintext in pending:
        state = instance_state(obj)
        if isinstance(state.dict.get(key), Ciphertext):
            state.dict[key] = plaintext


def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    # Installed on both a Session class and a subclass, the hook runs twice per flush: once only.
    if flush_context.attributes.get(_SEEN):
        return
    flush_context.attributes[_SEEN] = True
    pending: list = session.info.setdefault(_PENDING, [])
    keyring = None
    try:
        for obj in chain(session.new, session.dirty):
            spec = mapper_spec(instance_state(obj).mapper)
            if spec is None:
                continue
            keyring = keyring or get_keyring(session)
            _prepare(obj, spec, keyring, pending)
    except BaseException:
        _restore(session.info.pop(_PENDING, []))
        raise


def _after_flush_postexec(session: Session, flush_context: Any) -> None:
    for obj, key, plaintext in session.info.pop(_PENDING, []):
        if isinstance(instance_state(obj).dict.get(key), Ciphertext):
            set_committed_value(obj, key, plaintext)


def _after_soft_rollback(session: Session, previous_transaction: Any) -> None:
    _restore(session.info.pop(_PENDING, []))


# -- load ----------------------------------------------------------------------------------------


def _decrypt_attr(
    session: Session | None, keyring: Keyring, attr: EncryptedAttr, row_id: Any, row: bytes, blob: bytes
) -> str | bytes:
    try:
        try:
            plaintext = decrypt(keyring, attr.table, attr.column, row_id, blob, row=row)
        except UnknownKeyIdError:
            plaintext = decrypt(reload_keyring(session), attr.table, attr.column, row_id, blob, row=row)
        return plaintext.decode("utf-8") if attr.as_text else plaintext
    except UnicodeDecodeError:
        logger.error("cannot decrypt %s.%s of row %s: plaintext is not UTF-8", attr.table, attr.column, row_id)
    except DecryptionError as exc:
        logger.error("%s", exc)
    return UnreadableValue()


def decrypt_instance(obj: Any, session: Session | None = None, cache: dict | None = None) -> None:
    """Replace every loaded :class:`Ciphertext` on ``obj`` with its plaintext, as committed state.

    ``cache`` (the query context's attributes) keeps one keyring lookup per query, not per row.
    """
    state = instance_state(obj)
    spec = mapper_spec(state.mapper)
    if spec is None:
        return
    d = state.dict
    keyring = row = None
    for e in spec.encrypted:
        value = d.get(e.key)
        if type(value) is Ciphertext:
            if keyring is None:
                keyring = cache.get(_KEYRING) if cache is not None else None
                if keyring is None:
                    keyring = get_keyring(session)
                    if cache is not None:
                        cache[_KEYRING] = keyring
                row_id = d.get(spec.pk_key)
                row = row_part(row_id)
            # Freshly loaded, so not in committed_state: writing the dict is set_committed_value.
            d[e.key] = _decrypt_attr(session, keyring, e, row_id, row, value.data)


def _on_load(target: Any, context: Any) -> None:
    decrypt_instance(target, context.session, context.attributes)


def _on_refresh(target: Any, context: Any, attrs: Any) -> None:
    # An ORM-enabled UPDATE that synchronises loaded rows ("fetch") refreshes them without a query context.
    if context is None:
        decrypt_instance(target, object_session(target), None)
    else:
        decrypt_instance(target, context.session, context.attributes)


_install_lock = threading.Lock()
_INSTALLED = "_sspf_crypto_hooks"
_SESSION_EVENTS = (
    ("before_flush", _before_flush),
    ("after_flush_postexec", _after_flush_postexec),
    ("after_soft_rollback", _after_soft_rollback),
)


def install(target: Any, keyring: Keyring | ProviderLike | None = None) -> None:
    """Install the hooks on a Session class, ``sessionmaker``, ``scoped_session`` or Session.

    Idempotent. ``keyring`` (a :class:`Keyring` or a callable returning one) is used for sessions
    made by ``target``; without it the keyring of the current Flask app is used.
    """
    if keyring is not None:
        register_provider(target, as_provider(keyring))
    with _install_lock:
        # A marker on the class (or session) itself, not event.contains(): SQLAlchemy keys class-level
        # listeners by id(), and a garbage-collected sessionmaker class's id can be reused by a new one,
        # which event.contains() then reports as already hooked: its flushes went out unencrypted and
        # were refused (a flaky PlaintextWriteError in the tests).
        owner = target if isinstance(target, Session) else session_class_of(target)
        marks = owner.info if isinstance(owner, Session) else vars(owner)
        if not marks.get(_INSTALLED):
            for name, fn in _SESSION_EVENTS:
                event.listen(target, name, fn)
            if isinstance(owner, Session):
                owner.info[_INSTALLED] = True
            else:
                setattr(owner, _INSTALLED, True)
        # Instance events on Mapper apply to every mapped class, now and later.
        if not event.contains(Mapper, "load", _on_load):
            event.listen(Mapper, "load", _on_load)
            event.listen(Mapper, "refresh", _on_refresh)
