"""Flask wiring: load the keyring at start-up and hook the app's database session."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import Flask
from sqlalchemy.orm import Session

from sspf.crypto.context import EXTENSION_KEY, CryptoState
from sspf.crypto.keyfile import provider_from_config
from sspf.crypto.orm import install


def init_app(
    app: Flask,
    *,
    session_factory: Callable[[], Session] | None = None,
    models: Iterable[type] | None = None,
) -> CryptoState:
    """Load the keyring from the app config and install the hooks (idempotent).

    Fails at start-up (:class:`~sspf.crypto.errors.KeyringError`) if no keyring is configured, so a
    misconfigured server never starts rather than failing on the first page with personal data.
    ``session_factory`` (default ``db.session``) and ``models`` (default: every class in
    ``sspf.db.Base.registry``) exist for tests that bring their own session and tables.
    """
    provider = provider_from_config(app.config)
    if session_factory is None:
        from sspf.extensions import db

        session_factory = db.session
    install(session_factory)
    state = CryptoState(provider=provider, session_factory=session_factory, models=models)
    app.extensions[EXTENSION_KEY] = state
    return state
