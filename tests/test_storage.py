from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digest.errors import StorageError
from digest.sources.feed import parse_feed
from digest.sources.normalise import normalise
from digest.storage.base import NewSource
from digest.storage.migrations import LATEST
from digest.storage.sqlite import SqliteStorage

from .conftest import DEMO_FEEDS

NOW = datetime(2026, 3, 24, 4, 30, tzinfo=UTC)


def items(name: str = "cedar-wire.rss.xml", source: str = "Cedar") -> list:
    feed = parse_feed((DEMO_FEEDS / name).read_bytes())
    return [normalise(raw, source, NOW, None) for raw in feed.items]


def test_schema_is_migrated_and_in_wal_mode(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "d.sqlite3")
    assert storage.schema_version == LATEST
    storage.close()
    db = sqlite3.connect(tmp_path / "d.sqlite3")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"sources", "items", "assessments", "stories", "digests", "deliveries"} <= tables


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "d.sqlite3"
    SqliteStorage(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {LATEST + 1}")
    db.close()
    with pytest.raises(StorageError, match="newer than this digest knows"):
        SqliteStorage(path)


def test_ingesting_the_same_feed_twice_stores_nothing_twice(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "d.sqlite3")
    storage.sync_sources([NewSource("Cedar", "https://cedar.example/rss")], "config")
    source = storage.source("Cedar")
    first = storage.store_items(source.id, items())
    second = storage.store_items(source.id, items())
    assert len(first.new) == 14 and not first.changed
    assert second.new == () and second.changed == () and second.unchanged == 14
    assert storage.source("Cedar").items == 14


def test_a_changed_item_is_updated_not_duplicated(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "d.sqlite3")
    storage.sync_sources([NewSource("Cedar", "https://cedar.example/rss")], "config")
    source = storage.source("Cedar")
    original = items()
    storage.store_items(source.id, original)
    edited = replace(original[0], text=original[0].text + " Updated toll.", content_hash="x")
    result = storage.store_items(source.id, [edited])
    assert result.changed == (edited.id,) and result.new == ()
    assert storage.items([edited.id])[0].text.endswith("Updated toll.")
    assert storage.source("Cedar").items == 14


def test_source_sync_and_health(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "d.sqlite3")
    storage.sync_sources(
        [NewSource("A", "https://a.example/"), NewSource("B", "https://b.example/")], "config"
    )
    a = storage.source("A")
    storage.record_failure(a.id, NOW, NOW + timedelta(minutes=5), "HTTP 503")
    storage.record_failure(a.id, NOW, NOW + timedelta(minutes=10), "HTTP 503")
    failing = storage.source("A")
    assert failing.consecutive_failures == 2 and failing.last_error == "HTTP 503"
    assert [s.name for s in storage.due_sources(NOW)] == ["B"]
    storage.record_success(
        a.id, NOW, NOW + timedelta(minutes=15), '"e1"', None, "https://a2.example/"
    )
    healed = storage.source("A")
    assert healed.consecutive_failures == 0 and healed.etag == '"e1"'
    assert healed.url == "https://a2.example/"
    storage.sync_sources([NewSource("B", "https://b.example/")], "config")
    assert not storage.source("A").enabled
    added = storage.add_sources(
        [
            NewSource("B", "https://x.example/"),
            NewSource("C", "https://c.example/"),
            NewSource("D", "https://b.example/"),
        ],
        "opml",
    )
    assert added == [("B", "name taken"), ("C", "added"), ("D", "known")]


def test_a_new_url_in_the_config_resets_validators_but_a_redirect_is_kept(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "d.sqlite3")
    storage.sync_sources([NewSource("A", "https://a.example/rss")], "config")
    a = storage.source("A")
    storage.record_success(a.id, NOW, NOW, '"v1"', "Mon", "https://moved.example/rss")
    storage.sync_sources([NewSource("A", "https://a.example/rss")], "config")
    kept = storage.source("A")
    assert kept.url == "https://moved.example/rss" and kept.etag == '"v1"'
    storage.sync_sources([NewSource("A", "https://other.example/feed")], "config")
    changed = storage.source("A")
    assert changed.url == "https://other.example/feed"
    assert changed.etag is None and changed.last_modified is None and changed.next_check_at is None


def test_a_database_of_schema_1_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    from digest.storage.migrations import MIGRATIONS
    from digest.storage.sqlite import _statements

    for statement in _statements(MIGRATIONS[1]):
        db.execute(statement)
    db.execute(
        "INSERT INTO sources (name, url, created_at) "
        "VALUES ('A', 'https://a/', '2026-01-01T00:00:00+00:00')"
    )
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    storage = SqliteStorage(path)
    assert storage.schema_version == LATEST
    storage.sync_sources([NewSource("A", "https://a/")], "config")
    assert storage.source("A").url == "https://a/"


def test_a_report_that_arrives_late_belongs_to_the_window_it_arrived_in(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "d.sqlite3")
    storage.sync_sources([NewSource("Cedar", "https://cedar.example/rss")], "config")
    late = [replace(i, published=NOW - timedelta(days=3)) for i in items()[:2]]  # dated earlier
    storage.store_items(storage.source("Cedar").id, late)  # fetched at NOW
    assert storage.count_items(NOW - timedelta(hours=1), NOW + timedelta(hours=1)) == 2
    assert storage.count_items(NOW - timedelta(days=4), NOW - timedelta(days=2)) == 2
    assert storage.count_items(NOW + timedelta(hours=1), NOW + timedelta(hours=2)) == 0
    storage.close()
