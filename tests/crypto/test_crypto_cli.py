"""The `keys` command group and `init_app`, on a minimal Flask app with the test tables."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.orm import sessionmaker

from sspf.crypto import CryptoState, KeyringError, KeySet, create_keyring_file, init_app, read_keyring_file
from sspf.crypto.cli import keys_cli
from sspf.crypto.orm import _before_flush


@pytest.fixture
def keyring_path(tmp_path: Path) -> Path:
    path = tmp_path / "keyring.json"
    create_keyring_file(path)
    return path


@pytest.fixture
def app(engine, keyring_path: Path, m) -> Flask:
    app = Flask("crypto_cli_test")
    app.config.update(SSPF_KEYRING_FILE=str(keyring_path), SSPF_KEYRING_RELOAD_SECONDS=0)
    factory = sessionmaker(engine)
    init_app(app, session_factory=factory, models=m.models)
    app.cli.add_command(keys_cli)
    with app.app_context(), factory() as s:
        s.add_all([m.Person(name=f"p{i}", personnummer=f"19900101-{i:04d}") for i in range(7)])
        s.add(m.Note(body="n"))
        s.commit()
    return app


def _run(app: Flask, *args: str, ok: bool = True):
    result = app.test_cli_runner().invoke(args=["keys", *args])
    assert (result.exit_code == 0) is ok, result.output
    return result


def test_init_app_state_and_idempotence(app: Flask, keyring_path: Path, m) -> None:
    state = app.extensions["sspf_crypto"]
    assert isinstance(state, CryptoState) and state.provider.path == keyring_path
    init_app(app, session_factory=state.session_factory, models=m.models)
    assert event.contains(state.session_factory, "before_flush", _before_flush)
    # the listeners find the keyring through current_app
    with app.app_context(), state.session_factory() as s:
        assert sorted(p.name for p in s.execute(select(m.Person)).scalars())[0] == "p0"
    # and without an app (and no keyring installed on the session) a write fails loudly
    with state.session_factory() as s:
        s.add(m.Person(name="x"))
        with pytest.raises(KeyringError):
            s.flush()


def test_init_app_without_keyring_fails_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSPF_KEYRING", raising=False)
    app = Flask("no_keyring")
    app.config["SECRET_KEY"] = "x"
    with pytest.raises(KeyringError):
        init_app(app, session_factory=sessionmaker())


def test_full_rotation_through_the_cli(app: Flask, keyring_path: Path, m) -> None:
    old = read_keyring_file(keyring_path)
    out = _run(app, "add").output
    new_id = out.split()[3]
    keyring = read_keyring_file(keyring_path)
    assert new_id in keyring.data_keys and keyring.active_data_key == old.active_data_key
    assert stat.S_IMODE(keyring_path.stat().st_mode) == 0o600
    assert "no data key 'nope'" in _run(app, "activate", "nope", ok=False).output
    _run(app, "activate", new_id)
    assert read_keyring_file(keyring_path).active_data_key == new_id
    refused = _run(app, "retire", old.active_data_key, ok=False).output
    assert "refusing to retire" in refused and "crypto_test_people.name: 7" in refused
    assert "is the active" in _run(app, "retire", new_id, ok=False).output
    status = _run(app, "status").output
    assert "<- old key" in status and "values under old keys: 15" in status
    rotated = _run(app, "rotate", "--batch-size", "3").output
    assert "15 values re-encrypted" in rotated and "values under old keys: 0" in rotated
    _run(app, "retire", old.active_data_key)
    assert old.active_data_key not in read_keyring_file(keyring_path).data_keys
    with app.app_context(), app.extensions["sspf_crypto"].session_factory() as s:
        assert sorted(p.name for p in s.execute(select(m.Person)).scalars()) == [f"p{i}" for i in range(7)]


def test_blind_index_keys_through_the_cli(app: Flask, keyring_path: Path, m) -> None:
    from sspf.crypto import blind_index_match

    old_id = read_keyring_file(keyring_path).active_blind_index_key
    new_id = _run(app, "add", "--blind-index").output.split()[3]
    _run(app, "activate", "--blind-index", new_id)
    assert "refusing" in _run(app, "retire", "--blind-index", old_id, ok=False).output
    assert "7 indexes rebuilt" in _run(app, "rotate").output
    _run(app, "retire", "--blind-index", old_id)
    keyring = read_keyring_file(keyring_path)
    assert list(keyring.blind_index_keys) == [new_id]
    assert keyring.keys(KeySet.DATA) == read_keyring_file(keyring_path).data_keys
    with app.app_context(), app.extensions["sspf_crypto"].session_factory() as s:
        where = blind_index_match(m.Person.personnummer_bidx, "199001010004")
        assert s.execute(select(m.Person).where(where)).scalar_one().name == "p4"


def test_env_keyring_cannot_be_changed(engine, m, monkeypatch: pytest.MonkeyPatch, keyring) -> None:
    app = Flask("env_keyring")
    monkeypatch.setenv("SSPF_KEYRING", keyring.to_json())
    init_app(app, session_factory=sessionmaker(engine), models=m.models)
    app.cli.add_command(keys_cli)
    assert "SSPF_KEYRING variable" in _run(app, "add", ok=False).output
    assert "values under old keys: 0" in _run(app, "status").output


def test_init_command(tmp_path: Path) -> None:
    app = Flask("init")
    app.cli.add_command(keys_cli)
    path = tmp_path / "new.json"
    assert "created keyring" in _run(app, "init", str(path)).output
    assert json.loads(path.read_text())["format"] == "sspf-keyring/1"
    assert "already exists" in _run(app, "init", str(path), ok=False).output
