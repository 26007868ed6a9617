from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digest.errors import StorageError
from digest.sources.feed import parse_feed
from digest.sources.normalise import normalise
from digest.storage import sqlite as sqlite_storage
from digest.storage.base import NewSource
from digest.storage.migrations import LATEST
from digest.storage.sqlite import SqliteStorage
from digest.types import Assessment, Item, Story, StoryMember

from .conftest import DEMO_FEEDS, database_at

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


def test_what_waits_for_assessment_and_clustering_is_what_their_definitions_say(
    tmp_path: Path,
) -> None:
    """A poll finds the reports waiting for the signal engine and for the clusterer in queues
    kept with each write, not by reading every item: through new, assessed, clustered, changed,
    re-assessed and pruned reports they hold what a full read finds, and the migration fills
    them for a database that had none."""
    path = tmp_path / "d.sqlite3"
    storage = SqliteStorage(path)
    storage.sync_sources([NewSource("Cedar", "https://cedar.example/rss")], "config")
    source = storage.source("Cedar").id
    stored = items()
    storage.store_items(source, stored)

    def by_definition() -> tuple[list[str], list[str]]:
        unassessed = """SELECT id FROM items i WHERE NOT EXISTS
            (SELECT 1 FROM assessments a WHERE a.item_id = i.id) ORDER BY published_at, id"""
        unclustered = """SELECT i.id FROM items i JOIN assessments a ON a.item_id = i.id
            WHERE a.risk = 1 AND NOT EXISTS (SELECT 1 FROM story_items s WHERE s.item_id = i.id)
            ORDER BY published_at, i.id"""
        return [r[0] for r in storage._query(unassessed)], [
            r[0] for r in storage._query(unclustered)
        ]

    def found() -> tuple[list[str], list[str]]:
        waiting = [item.id for item in storage.unassessed_items()]
        return waiting, [entry.item.id for entry in storage.unclustered_items()]

    def assessed(item: Item, risk: bool) -> Assessment:
        return Assessment(item.id, "en", risk, 2 if risk else 0, ("airstrike",) * risk, (), ())

    assert found() == by_definition() and len(found()[0]) == 14
    storage.save_assessments([assessed(i, n % 2 == 0) for n, i in enumerate(stored)], "t", NOW)
    assert found() == by_definition() and found()[0] == []
    assert set(found()[1]) == {i.id for i in stored[::2]}
    first, second = stored[0], stored[2]
    story = Story(
        "s1",
        (StoryMember(first.id, "first report"), StoryMember(second.id, "near")),
        NOW,
        NOW,
        2,
        ("airstrike",),
        None,
    )
    storage.save_stories([story], {}, NOW)
    assert found() == by_definition() and first.id not in found()[1]
    edited = replace(first, text=first.text + " Updated toll.", content_hash="x")
    storage.store_items(source, [edited])  # changed: assessed and clustered again
    assert found() == by_definition() == ([first.id], found()[1])
    storage.save_assessments([assessed(first, False)], "t", NOW)
    assert found() == by_definition() and first.id not in found()[1]
    storage.save_assessments([assessed(first, True)], "t", NOW)
    assert found() == by_definition() and first.id in found()[1]
    assert storage.prune(NOW + timedelta(days=400), 100) == 13  # all but the story's report
    assert found() == by_definition() == ([], [])
    storage.store_items(source, stored[5:8])  # stored again, new
    storage.close()
    db = sqlite3.connect(path)  # as a database of schema 11 had no queues
    db.executescript(
        "DROP TABLE pending_assessment; DROP TABLE pending_clustering; "
        "ALTER TABLE review_drafts DROP COLUMN notice_id; DROP TABLE profile_arrivals; "
        "PRAGMA user_version = 11;"
    )
    db.close()
    storage = SqliteStorage(path)
    assert found() == by_definition() and len(found()[0]) == 3
    storage.close()


def test_profiles_arrive_leave_and_arrive_again_and_the_migration_knows_the_old_ones(
    tmp_path: Path,
) -> None:
    path = tmp_path / "d.sqlite3"
    db = database_at(path, 12)
    db.execute(
        """INSERT INTO digests (profile, day, window_start, window_end, built_at, subject, html,
           text, story_count) VALUES ('beirut', '2026-03-20', '2026-03-19T04:30:00Z',
           '2026-03-20T04:30:00Z', '2026-03-20T04:30:00Z', 's', 'h', 't', 0)"""
    )
    db.execute("PRAGMA user_version = 12")
    db.commit()
    db.close()
    storage = SqliteStorage(path)  # migrated: beirut was there by its first digest
    first = datetime(2026, 3, 19, 4, 30, tzinfo=UTC)
    assert storage.profiles_arrived(["beirut", "south"], NOW) == {"beirut": first, "south": NOW}
    later = NOW + timedelta(days=1)
    assert storage.profiles_arrived(["south"], later) == {"south": NOW}  # beirut left
    again = NOW + timedelta(days=2)
    assert storage.profiles_arrived(["beirut", "south"], again) == {"beirut": again, "south": NOW}
    storage.close()


def test_items_are_read_by_any_number_of_ids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A poll may ask for tens of thousands of items at once, more than SQLite takes parameters
    in one statement: they are read in parts, in the order asked, unknown ids left out."""
    monkeypatch.setattr(sqlite_storage, "IDS_PER_QUERY", 3)
    storage = SqliteStorage(tmp_path / "d.sqlite3")
    storage.sync_sources([NewSource("Cedar", "https://cedar.example/rss")], "config")
    stored = items()
    storage.store_items(storage.source("Cedar").id, stored)
    wanted = [item.id for item in reversed(stored)] + ["unknown"]
    assert [item.id for item in storage.items(wanted)] == wanted[:-1]
    storage.close()


def test_times_are_written_in_a_form_they_are_read_back_from_whatever_the_year() -> None:
    for moment in (datetime(999, 1, 1, tzinfo=UTC), datetime(2026, 3, 24, 9, 0, 5, 7, UTC)):
        written = sqlite_storage.iso(moment)
        assert sqlite_storage.parse_iso(written) == moment.replace(microsecond=0)
    assert sqlite_storage.iso(datetime(999, 1, 1, tzinfo=UTC)) == "0999-01-01T00:00:00Z"
