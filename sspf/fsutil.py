"""Small file-system helpers shared by the key files and the audit checkpoints."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_dir(directory: Path) -> None:
    """Make a new or renamed directory entry durable: a crash must not lose a key file or a checkpoint."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
