"""Where the current keyring comes from: an explicit provider on the session, else the Flask app.

Listeners are registered once per session class, while apps (and tests) come and go; looking the
keyring up at call time, instead of capturing it when the listener is installed, keeps both right.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from sspf.crypto.errors import KeyringError
from sspf.crypto.keyfile import KeyringProvider
from sspf.crypto.keyring import Keyring

#: Key of the :class:`CryptoState` in ``app.extensions``.
EXTENSION_KEY = "sspf_crypto"
#: Key of an explicit provider in ``Session.info``.
INFO_KEY = "sspf_crypto_provider"

ProviderLike = Callable[[], Keyring]

_class_providers: weakref.WeakKeyDictionary[type, ProviderLike] = weakref.WeakKeyDictionary()


@dataclass
class CryptoState:
    """What :func:`sspf.crypto.init_app` stores in ``app.extensions["sspf_crypto"]``."""

    provider: KeyringProvider
    #: Returns the session that ``sspf keys`` uses (default: Flask-SQLAlchemy's ``db.session``).
    session_factory: Callable[[], Session]
    #: Mapped classes that ``sspf keys`` scans (None: every class in ``sspf.db.Base.registry``).
    models: Iterable[type] | None = None


def as_provider(keyring_or_provider: Keyring | ProviderLike) -> ProviderLike:
    if isinstance(keyring_or_provider, Keyring):
        keyring = keyring_or_provider
        return lambda: keyring
    return keyring_or_provider


def register_provider(target: Any, provider: ProviderLike) -> None:
    """Remember ``provider`` for a Session instance, or for every session a class/factory makes."""
    if isinstance(target, Session):
        target.info[INFO_KEY] = provider
    else:
        _class_providers[session_class_of(target)] = provider


def session_class_of(target: Any) -> type:
    """The Session subclass behind a class, ``sessionmaker`` or ``scoped_session``."""
    factory = getattr(target, "session_factory", target)  # scoped_session -> sessionmaker
    return getattr(factory, "class_", factory)  # sessionmaker -> its generated class


def flask_state() -> CryptoState | None:
    if has_app_context():
        return current_app.extensions.get(EXTENSION_KEY)
    return None


def get_keyring(session: Session | None = None) -> Keyring:
    """The keyring for ``session`` (or for the current app); :class:`KeyringError` if there is none."""
    if session is not None:
        provider = session.info.get(INFO_KEY)
        if provider is None:
            for klass in type(session).__mro__:
                provider = _class_providers.get(klass)
                if provider is not None:
                    break
        if provider is not None:
            return provider()
    state = flask_state()
    if state is None:
        raise KeyringError("no keyring: call sspf.crypto.init_app(app) or sspf.crypto.install(session, keyring)")
    return state.provider()


def reload_keyring(session: Session | None = None) -> Keyring:
    """Force a re-read of a file-backed keyring (a key may have been added since start-up)."""
    provider = session.info.get(INFO_KEY) if session is not None else None
    if provider is None and session is not None:
        provider = next((_class_providers[k] for k in type(session).__mro__ if k in _class_providers), None)
    if provider is None and (state := flask_state()) is not None:
        provider = state.provider
    if isinstance(provider, KeyringProvider):
        return provider.reload()
    return get_keyring(session)
