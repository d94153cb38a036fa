"""Secrets at start-up: production demands them, development and test may create them.

Generated secrets are written under the instance folder with mode 0600, never into the
database, and each is drawn fresh from the OS's random source, never derived from another.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask


class ConfigurationError(RuntimeError):
    """A setting production needs is missing; the message names it and says how to fix it."""


def _write_private(path: Path, data: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(data)


def prepare_secrets(app: Flask) -> None:
    cfg = app.config
    if not cfg.get("GENERATE_MISSING_SECRETS"):
        missing = [name for name in cfg.get("REQUIRED", ()) if not cfg.get(name)]
        if "SSPF_KEYRING_FILE" in missing and os.environ.get("SSPF_KEYRING"):
            missing.remove("SSPF_KEYRING_FILE")
        if missing:
            names = ", ".join("SSPF_" + n.removeprefix("SSPF_").replace("SQLALCHEMY_DATABASE_URI", "DATABASE_URL")
                              for n in missing)
            raise ConfigurationError(f"sspf cannot start in production without: {names}. See README, 'Production'.")
        for name in ("SSPF_KEYRING_FILE", "SSPF_AUDIT_KEY_FILE", "SSPF_AUDIT_SIGNING_KEY_FILE"):
            if cfg.get(name) and not Path(cfg[name]).is_file():
                raise ConfigurationError(f"SSPF_{name.removeprefix('SSPF_')}: no file at the configured path")
        return

    instance = Path(cfg["INSTANCE_DIR"])
    keys = instance / "keys"
    if not cfg.get("SECRET_KEY"):
        path = instance / "secret_key"
        if not path.exists():
            _write_private(path, secrets.token_hex(32))
        cfg["SECRET_KEY"] = path.read_text().strip()
    if not cfg.get("SSPF_KEYRING_FILE") and not os.environ.get("SSPF_KEYRING"):
        from sspf.crypto import create_keyring_file

        path = keys / "keyring.json"
        if not path.exists():
            keys.mkdir(parents=True, exist_ok=True, mode=0o700)
            create_keyring_file(path)
        cfg["SSPF_KEYRING_FILE"] = str(path)
    if not cfg.get("SSPF_AUDIT_KEY_FILE") or not cfg.get("SSPF_AUDIT_SIGNING_KEY_FILE"):
        from sspf.audit.chain import generate_audit_keys

        if not (keys / "audit_hmac.json").exists():
            keys.mkdir(parents=True, exist_ok=True, mode=0o700)
            generate_audit_keys(keys)
        cfg.setdefault("SSPF_AUDIT_KEY_FILE", None)
        cfg["SSPF_AUDIT_KEY_FILE"] = cfg["SSPF_AUDIT_KEY_FILE"] or str(keys / "audit_hmac.json")
        cfg["SSPF_AUDIT_SIGNING_KEY_FILE"] = cfg["SSPF_AUDIT_SIGNING_KEY_FILE"] or str(keys / "audit_signing.pem")
    if not cfg.get("SSPF_CHECKPOINT_DIR"):
        cfg["SSPF_CHECKPOINT_DIR"] = str(instance / "audit-checkpoints")
