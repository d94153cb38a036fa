"""The keyring file: creation, format, validation, atomic updates, reloading, configuration."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from sspf.crypto import KeyringError, KeyringProvider, KeySet, create_keyring_file, generate_keyring, read_keyring_file
from sspf.crypto.keyfile import provider_from_config, update_keyring_file
from sspf.crypto.keyring import Keyring


def test_create_keyring_file(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    keyring = create_keyring_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    doc = json.loads(path.read_text())
    assert doc["format"] == "sspf-keyring/1"
    for section in ("data", "blind_index"):
        active = doc[section]["active"]
        assert len(base64.b64decode(doc[section]["keys"][active]["key"])) == 32
    assert read_keyring_file(path) == keyring
    assert keyring.active_data_key != keyring.active_blind_index_key
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keyring.json"]  # no temp file left


def test_create_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    path.write_text("precious")
    with pytest.raises(KeyringError, match="already exists"):
        create_keyring_file(path)
    assert path.read_text() == "precious"


def test_keys_are_random() -> None:
    a, b = generate_keyring(), generate_keyring()
    assert a.data_keys[a.active_data_key].key != b.data_keys[b.active_data_key].key


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(format="other"), "format"),
        (lambda d: d["data"].update(active="nope"), "active data key"),
        (lambda d: d.pop("blind_index"), "blind_index"),
        (lambda d: next(iter(d["data"]["keys"].values())).update(key="!!notbase64"), "base64"),
        (lambda d: next(iter(d["data"]["keys"].values())).update(key=base64.b64encode(b"short").decode()), "32 bytes"),
    ],
)
def test_malformed_keyrings_are_rejected_without_leaking_keys(mutate, message: str) -> None:
    doc = json.loads(generate_keyring().to_json())
    secrets_ = [e["key"] for s in ("data", "blind_index") if s in doc for e in doc[s]["keys"].values()]
    mutate(doc)
    with pytest.raises(KeyringError, match=message) as err:
        Keyring.from_json(json.dumps(doc))
    assert not any(s in str(err.value) for s in secrets_)


def test_not_json() -> None:
    with pytest.raises(KeyringError, match="not valid JSON"):
        Keyring.from_json("{")


def test_key_changes() -> None:
    keyring = generate_keyring()
    old = keyring.active_data_key
    keyring, new = keyring.with_new_key(KeySet.DATA)
    assert keyring.active_data_key == old and new in keyring.data_keys
    with pytest.raises(KeyringError, match="active"):
        keyring.without_key(KeySet.DATA, old)
    keyring = keyring.with_active(KeySet.DATA, new).without_key(KeySet.DATA, old)
    assert list(keyring.data_keys) == [new]
    with pytest.raises(KeyringError):
        keyring.with_active(KeySet.DATA, keyring.active_blind_index_key)  # sets are separate
    assert Keyring.from_json(keyring.to_json()) == keyring


def test_update_is_atomic_and_keeps_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    create_keyring_file(path)
    inode = path.stat().st_ino
    new = update_keyring_file(path, lambda k: k.with_new_key(KeySet.BLIND_INDEX)[0])
    assert read_keyring_file(path) == new and len(new.blind_index_keys) == 2
    assert path.stat().st_ino != inode  # replaced by rename, never rewritten in place
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_failed_update_leaves_file_untouched(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    create_keyring_file(path)
    before = path.read_bytes()

    def boom(k: Keyring) -> Keyring:
        raise KeyringError("no")

    with pytest.raises(KeyringError):
        update_keyring_file(path, boom)
    assert path.read_bytes() == before


def test_provider_reloads_changed_file(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    create_keyring_file(path)
    provider = KeyringProvider.from_file(path, check_interval=3600)
    first = provider()
    new = update_keyring_file(path, lambda k: k.with_new_key(KeySet.DATA)[0])
    assert provider() is first  # not yet checked
    assert provider.reload() == new
    provider.check_interval = 0
    path.write_text("broken")
    os.utime(path, ns=(1, 1))
    assert provider() == new  # a broken file is logged, the last good keyring stays


def test_provider_from_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSPF_KEYRING", raising=False)
    path = tmp_path / "k.json"
    with pytest.raises(KeyringError, match="no keyring"):
        provider_from_config({"SECRET_KEY": "never used for keys"})
    with pytest.raises(KeyringError, match="does not exist"):
        provider_from_config({"SSPF_KEYRING_FILE": str(path)})
    provider = provider_from_config({"SSPF_KEYRING_FILE": str(path), "SSPF_KEYRING_AUTOCREATE": True})
    assert provider.path == path and provider() == read_keyring_file(path)
    keyring = generate_keyring()
    assert provider_from_config({"SSPF_KEYRING": keyring.to_json()})() == keyring
    monkeypatch.setenv("SSPF_KEYRING", keyring.to_json())
    env_provider = provider_from_config({})
    assert env_provider() == keyring and env_provider.path is None


def test_world_readable_file_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "k.json"
    create_keyring_file(path)
    path.chmod(0o644)
    read_keyring_file(path)
    assert "mode 0600" in caplog.text
