"""Storage behind a protocol; SQLite is the embedded default."""

from __future__ import annotations

from pathlib import Path

from digest.storage.base import Storage
from digest.storage.sqlite import SqliteStorage


def open_storage(path: Path) -> Storage:
    return SqliteStorage(path)


__all__ = ["Storage", "open_storage"]
