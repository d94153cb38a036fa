"""Reading, writing and watching the keyring file.

Writes are atomic (temporary file, fsync, rename) and serialised with a lock file, so a crash or two
concurrent ``sspf keys`` commands can never leave a half-written or stale keyring: losing the
keyring means losing every encrypted value. Running processes notice a changed file within
``check_interval`` seconds, so ``sspf keys activate`` takes effect without a restart.
"""

from __future__ import annotations

import fcntl
import logging
import os
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from sspf.crypto.errors import KeyringError
from sspf.crypto.keyring import Keyring, generate_keyring
from sspf.fsutil import fsync_dir

logger = logging.getLogger("sspf.crypto")

ENV_VAR = "SSPF_KEYRING"


def read_keyring_file(path: str | os.PathLike[str]) -> Keyring:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise KeyringError(f"keyring file {path} does not exist (create one with `sspf keys init`)") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        logger.warning("keyring file %s is readable by group or others; it should have mode 0600", path)
    return Keyring.from_json(text)


def _write_new_file(directory: Path, text: str) -> Path:
    """Write ``text`` to a fresh 0600 temporary file in ``directory`` and fsync it."""
    fd, tmp = tempfile.mkstemp(prefix=".keyring-", suffix=".tmp", dir=directory)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        os.unlink(tmp)
        raise
    return Path(tmp)



def write_keyring_file(path: str | os.PathLike[str], keyring: Keyring) -> None:
    """Replace the keyring file atomically (temp file + rename), mode 0600."""
    path = Path(path)
    tmp = _write_new_file(path.parent, keyring.to_json())
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def create_keyring_file(path: str | os.PathLike[str]) -> Keyring:
    """Create a new keyring file with fresh random keys; refuse to overwrite an existing file.

    The file is written completely under a temporary name and then hard-linked into place, so the
    refusal is race-free and a crash never leaves a truncated keyring behind.
    """
    path = Path(path)
    keyring = generate_keyring()
    tmp = _write_new_file(path.parent, keyring.to_json())
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise KeyringError(f"keyring file {path} already exists; refusing to overwrite it") from None
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)
    return keyring


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    lock_path = path.with_name(path.name + ".lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def update_keyring_file(path: str | os.PathLike[str], change: Callable[[Keyring], Keyring]) -> Keyring:
    """Read-modify-write the keyring file under an exclusive lock; returns the new keyring."""
    path = Path(path)
    with _locked(path):
        keyring = change(read_keyring_file(path))
        write_keyring_file(path, keyring)
    return keyring


class KeyringProvider:
    """Hands out the current :class:`Keyring`, re-reading the file when it changes.

    Calling the provider is cheap (a clock read, and at most one ``stat`` per ``check_interval``).
    A keyring given as JSON (environment) never changes and has no ``path``.
    """

    def __init__(self, keyring: Keyring, *, path: str | os.PathLike[str] | None = None, check_interval: float = 5.0):
        self._keyring = keyring
        self.path = Path(path) if path is not None else None
        self.check_interval = check_interval
        self._signature = self._stat() if self.path else None
        self._checked_at = time.monotonic()
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], *, check_interval: float = 5.0) -> KeyringProvider:
        return cls(read_keyring_file(path), path=path, check_interval=check_interval)

    def _stat(self) -> tuple[int, int, int] | None:
        assert self.path is not None
        try:
            st = self.path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def __call__(self) -> Keyring:
        if self.path is not None and time.monotonic() - self._checked_at >= self.check_interval:
            self.reload()
        return self._keyring

    def reload(self) -> Keyring:
        """Re-read the file if it changed; keep the old keyring (and log) if the new one is broken."""
        if self.path is None:
            return self._keyring
        with self._lock:
            self._checked_at = time.monotonic()
            signature = self._stat()
            if signature != self._signature:
                try:
                    self._keyring = read_keyring_file(self.path)
                    self._signature = signature
                    logger.info("keyring reloaded from %s", self.path)
                except KeyringError as exc:
                    logger.error("keyring file changed but cannot be read, keeping the old one: %s", exc)
        return self._keyring


def provider_from_config(config: Mapping[str, object]) -> KeyringProvider:
    """Build the provider from app config: ``SSPF_KEYRING_FILE``, else ``SSPF_KEYRING`` (config or env).

    With ``SSPF_KEYRING_AUTOCREATE`` (development and demo only) a missing file is created.
    """
    interval = float(config.get("SSPF_KEYRING_RELOAD_SECONDS", 5.0))  # type: ignore[arg-type]
    path = config.get("SSPF_KEYRING_FILE")
    if path:
        path = Path(str(path))
        if config.get("SSPF_KEYRING_AUTOCREATE") and not path.exists():
            create_keyring_file(path)
            logger.warning("created a new keyring file %s (SSPF_KEYRING_AUTOCREATE)", path)
        return KeyringProvider.from_file(path, check_interval=interval)
    text = config.get("SSPF_KEYRING") or os.environ.get(ENV_VAR)
    if text:
        return KeyringProvider(Keyring.from_json(str(text)))
    raise KeyringError("no keyring configured: set SSPF_KEYRING_FILE or SSPF_KEYRING")
