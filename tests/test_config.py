"""Start-up configuration: production refuses to run without its secrets; development makes its own."""

from __future__ import annotations

import stat

import pytest

from config import ProductionConfig, TestConfig
from sspf import create_app
from sspf.bootstrap import ConfigurationError


def test_production_refuses_to_start_without_secrets(tmp_path, monkeypatch):
    monkeypatch.delenv("SSPF_KEYRING", raising=False)
    with pytest.raises(ConfigurationError) as err:
        create_app(ProductionConfig, {"SECRET_KEY": None, "SQLALCHEMY_DATABASE_URI": None, "INSTANCE_DIR": tmp_path})
    message = str(err.value)
    for name in ("SSPF_SECRET_KEY", "SSPF_DATABASE_URL", "SSPF_KEYRING_FILE", "SSPF_AUDIT_KEY_FILE"):
        assert name in message
    assert not any(tmp_path.iterdir()), "production must not generate secrets"


def test_production_refuses_a_key_file_that_does_not_exist(tmp_path):
    overrides = {"SECRET_KEY": "x" * 64, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db'}",
                 "SSPF_KEYRING_FILE": str(tmp_path / "missing.json"), "SSPF_AUDIT_KEY_FILE": "a",
                 "SSPF_AUDIT_SIGNING_KEY_FILE": "b", "SSPF_CHECKPOINT_DIR": str(tmp_path)}
    with pytest.raises(ConfigurationError, match="no file"):
        create_app(ProductionConfig, overrides)


def test_development_generates_private_independent_secrets(tmp_path):
    app = create_app(TestConfig, {"INSTANCE_DIR": tmp_path,
                                  "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db'}"})
    files = [tmp_path / "secret_key", tmp_path / "keys" / "keyring.json", tmp_path / "keys" / "audit_hmac.json",
             tmp_path / "keys" / "audit_signing.pem"]
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    secret = (tmp_path / "secret_key").read_text().strip()
    assert app.config["SECRET_KEY"] == secret
    for path in files[1:]:
        assert secret not in path.read_text()
    again = create_app(TestConfig, {"INSTANCE_DIR": tmp_path,
                                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db'}"})
    assert again.config["SECRET_KEY"] == secret  # kept, not regenerated


def test_production_cookies_and_hsts():
    assert ProductionConfig.SESSION_COOKIE_SECURE is True and ProductionConfig.HSTS is True
