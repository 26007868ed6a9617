"""SQLite implementation of Storage: WAL mode, foreign keys, numbered migrations.

Only the storage package imports sqlite3; every sqlite3 error leaves it as a StorageError.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from digest.alerts.fire import Firing
from digest.errors import StorageError
from digest.storage.base import (
    AlertEvent,
    Delivery,
    DigestRecord,
    FiredReport,
    Mail,
    NewSource,
    Notice,
    ReviewAction,
    ReviewDraft,
    SourceRecord,
    StoredItems,
    WebhookSend,
)
from digest.storage.indexing import index_assessment, index_item, reindex_all
from digest.storage.migrations import LATEST, MIGRATIONS, REINDEX_AFTER
from digest.types import (
    AssessedItem,
    Assessment,
    Casualties,
    EvacuationOrder,
    Evidence,
    Item,
    Location,
    OrderLine,
    Rendered,
    Story,
    StoryMember,
)

# a reader maps the file into memory instead of copying pages into its own cache
READ_MMAP_BYTES = 1 << 30
IDS_PER_QUERY = 10_000  # below SQLite's bound on the parameters of one statement (32,766)


def iso(moment: datetime) -> str:
    """UTC ISO 8601 with a Z, sortable as text."""
    # not strftime("%Y"), which writes the year 999 as "999", a text no parser reads back
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_iso(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _alert_event(row: sqlite3.Row) -> AlertEvent:
    return AlertEvent(
        id=row["id"],
        rule=row["rule"],
        story_id=row["story_id"],
        item_id=row["item_id"],
        kind=row["kind"],
        severity=row["severity"],
        reasons=tuple(json.loads(row["reasons"])),
        created_at=_required_time(row["created_at"]),
        status=row["status"],
        notice_id=row["notice_id"],
    )


def _digest(row: sqlite3.Row) -> DigestRecord:
    return DigestRecord(
        id=row["id"],
        profile=row["profile"],
        day=row["day"],
        window_start=_required_time(row["window_start"]),
        window_end=_required_time(row["window_end"]),
        built_at=_required_time(row["built_at"]),
        subject=row["subject"],
        html=row["html"],
        text=row["text"],
        story_count=row["story_count"],
        language=row["language"],
    )


def _insert_notice(
    db: sqlite3.Connection,
    rule: str,
    rendered: Rendered,
    mails: Sequence[tuple[str, str]],
    now: datetime,
) -> int:
    """A notice and its emails (recipient, message id), queued; its id."""
    cursor = db.execute(
        "INSERT INTO alert_notices (rule, created_at, subject, html, text) VALUES (?, ?, ?, ?, ?)",
        (rule, iso(now), rendered.subject, rendered.html, rendered.text),
    )
    notice_id = int(cursor.lastrowid or 0)
    db.executemany(
        """INSERT INTO deliveries (notice_id, recipient, message_id, created_at)
           VALUES (?, ?, ?, ?)""",
        [(notice_id, recipient, message_id, iso(now)) for recipient, message_id in mails],
    )
    return notice_id


def _draft(row: sqlite3.Row) -> ReviewDraft:
    return ReviewDraft(
        profile=row["profile"],
        day=row["day"],
        due_at=_required_time(row["due_at"]),
        built_at=_required_time(row["built_at"]),
        early=tuple(json.loads(row["early"])),
        incidents=tuple(json.loads(row["incidents"])),
        closed_at=parse_iso(row["closed_at"]),
        reviewers_told=row["notice_id"] is not None,
    )


def _mail(row: sqlite3.Row) -> Mail:
    if row["notice_id"] is None:
        kind, name, label = "digest", row["profile"], f"{row['profile']} {row['day']}"
    else:
        kind, name, label = "alert", row["rule"], f"alert {row['rule']} #{row['notice_id']}"
    return Mail(kind, name, label, row["subject"], row["html"], row["text"])


def _required_time(text: str) -> datetime:
    moment = parse_iso(text)
    assert moment is not None
    return moment


class SqliteStorage:
    def __init__(self, path: Path, read_only: bool = False) -> None:
        """`read_only`: a connection that cannot write (the web archive's), to a database
        that must already be at this digest's schema."""
        self.path = path
        try:
            if read_only:
                self._db = sqlite3.connect(
                    f"{path.resolve().as_uri()}?mode=ro",
                    uri=True,
                    isolation_level=None,
                    check_same_thread=False,
                )
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA busy_timeout = 10000")
            if read_only:
                self._db.execute("PRAGMA query_only = ON")
                self._db.execute(f"PRAGMA mmap_size = {READ_MMAP_BYTES}")
                self._check_version()
            else:
                self._db.execute("PRAGMA journal_mode = WAL")
                self._db.execute("PRAGMA foreign_keys = ON")
                self._db.execute("PRAGMA synchronous = NORMAL")
                self._migrate()
        except (sqlite3.Error, OSError) as exc:
            raise StorageError(f"cannot open database {path}: {exc}") from None

    def close(self) -> None:
        self._db.close()

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _check_version(self) -> None:
        if self.schema_version != LATEST:
            raise StorageError(
                f"database {self.path} has schema {self.schema_version}, this digest reads "
                f"schema {LATEST}; open it once with the same digest (`digest check` does) to "
                "upgrade it"
            )

    def _migrate(self) -> None:
        # The version is read inside the write transaction, so two processes opening a new
        # database at once cannot both migrate it.
        with self._transaction() as db:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version > LATEST:
                raise StorageError(
                    f"database {self.path} has schema {version}, newer than this digest knows "
                    f"({LATEST}); upgrade digest"
                )
            for number in range(version + 1, LATEST + 1):
                for statement in _statements(MIGRATIONS[number]):
                    db.execute(statement)
                if number == REINDEX_AFTER:
                    reindex_all(db)
                db.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StorageError(f"database {self.path}: {exc}") from None

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StorageError(f"database {self.path}: {exc}") from None

    # sources

    def sync_sources(self, sources: Sequence[NewSource], origin: str) -> None:
        """Make the sources of one origin match the given list, keeping their history."""
        now = iso(datetime.now(UTC))
        with self._transaction() as db:
            for source in sources:
                db.execute(
                    """UPDATE sources SET url = ?, configured_url = ?, etag = NULL,
                           last_modified = NULL, next_check_at = NULL, gone_at = NULL,
                           consecutive_failures = 0, failing_since = NULL
                       WHERE name = ? AND coalesce(configured_url, '') != ?""",
                    (source.url, source.url, source.name, source.url),
                )
                db.execute(
                    _INSERT_SOURCE
                    + """ ON CONFLICT(name) DO UPDATE SET kind = excluded.kind,
                           language = excluded.language, interval_s = excluded.interval_s,
                           origin = excluded.origin,
                           enabled = excluded.enabled AND sources.gone_at IS NULL""",
                    _source_row(source, origin, now),
                )
            names = [s.name for s in sources]
            marks = ",".join("?" * len(names))
            db.execute(
                f"UPDATE sources SET enabled = 0 WHERE origin = ? AND name NOT IN ({marks})",
                (origin, *names),
            )

    def add_sources(self, sources: Sequence[NewSource], origin: str) -> list[tuple[str, str]]:
        """Add sources whose name and URL are both new. Returns each source's name with what
        happened: "added", "known" (this URL is already a source) or "name taken" (another URL
        already has this name)."""
        now = iso(datetime.now(UTC))
        outcome = []
        with self._transaction() as db:
            for source in sources:
                if db.execute("SELECT 1 FROM sources WHERE url = ?", (source.url,)).fetchone():
                    outcome.append((source.name, "known"))
                    continue
                if db.execute("SELECT 1 FROM sources WHERE name = ?", (source.name,)).fetchone():
                    outcome.append((source.name, "name taken"))
                    continue
                db.execute(_INSERT_SOURCE, _source_row(source, origin, now))
                outcome.append((source.name, "added"))
        return outcome

    def sources(self) -> list[SourceRecord]:
        rows = self._query(
            """SELECT s.*, (SELECT count(*) FROM items i WHERE i.source_id = s.id) AS items
               FROM sources s ORDER BY s.name"""
        )
        return [_source(row) for row in rows]

    def source(self, name: str) -> SourceRecord:
        for record in self.sources():
            if record.name == name:
                return record
        raise StorageError(f"no source named {name!r}")

    def due_sources(self, now: datetime) -> list[SourceRecord]:
        return [
            s
            for s in self.sources()
            if s.enabled and (s.next_check_at is None or s.next_check_at <= now)
        ]

    def record_success(
        self,
        source_id: int,
        now: datetime,
        next_check: datetime,
        etag: str | None,
        last_modified: str | None,
        new_url: str | None = None,
        latency_ms: int | None = None,
        warning: str | None = None,
    ) -> int:
        """A successful fetch; `warning` records a problem that lost nothing (or not all).
        Returns the failures in a row it ended."""
        with self._transaction() as db:
            row = db.execute(
                "SELECT consecutive_failures FROM sources WHERE id = ?", (source_id,)
            ).fetchone()
            if warning:
                db.execute(
                    "UPDATE sources SET last_error = ?, last_error_at = ? WHERE id = ?",
                    (warning, iso(now), source_id),
                )
            db.execute(
                """UPDATE sources SET last_fetch_at = ?, last_success_at = ?, next_check_at = ?,
                       etag = coalesce(?, etag), last_modified = coalesce(?, last_modified),
                       url = coalesce(?, url), consecutive_failures = 0, failing_since = NULL,
                       gone_at = NULL,
                       last_latency_ms = coalesce(?, last_latency_ms)
                   WHERE id = ?""",
                (
                    iso(now),
                    iso(now),
                    iso(next_check),
                    etag,
                    last_modified,
                    new_url,
                    latency_ms,
                    source_id,
                ),
            )
        return int(row[0]) if row else 0

    def record_failure(
        self,
        source_id: int,
        now: datetime,
        next_check: datetime,
        error: str,
        latency_ms: int | None = None,
        disable: bool = False,
    ) -> tuple[int, bool]:
        """A failed fetch; `disable` when the source is gone for good (HTTP 410): it stays
        disabled until its configured URL changes. Returns the failures in a row, and whether
        it is newly gone."""
        with self._transaction() as db:
            found = db.execute(
                """SELECT gone_at FROM sources WHERE id = ?""", (source_id,)
            ).fetchone()
            row = db.execute(
                """UPDATE sources SET last_fetch_at = :now, last_error = :error,
                       last_error_at = :now, next_check_at = :next,
                       consecutive_failures = consecutive_failures + 1,
                       failing_since = coalesce(failing_since, :now),
                       last_latency_ms = coalesce(:latency, last_latency_ms),
                       enabled = CASE WHEN :gone THEN 0 ELSE enabled END,
                       gone_at = CASE WHEN :gone THEN coalesce(gone_at, :now) ELSE gone_at END
                   WHERE id = :id
                   RETURNING consecutive_failures""",
                {
                    "now": iso(now),
                    "error": error,
                    "next": iso(next_check),
                    "latency": latency_ms,
                    "gone": int(disable),
                    "id": source_id,
                },
            ).fetchone()
        newly_gone = disable and (found is None or found["gone_at"] is None)
        return (int(row[0]) if row else 0), newly_gone

    # items

    def store_items(self, source_id: int, items: Iterable[Item]) -> StoredItems:
        new: list[str] = []
        changed: list[str] = []
        unchanged = 0
        latest_new: datetime | None = None
        with self._transaction() as db:
            for item in items:
                row = db.execute(
                    "SELECT content_hash FROM items WHERE id = ?", (item.id,)
                ).fetchone()
                if row is not None and row["content_hash"] == item.content_hash:
                    unchanged += 1
                    continue
                values = (
                    item.title,
                    item.text,
                    item.summary_html,
                    item.lang_hint,
                    iso(item.published),
                    iso(item.fetched),
                    item.content_hash,
                )
                if row is None:
                    db.execute(
                        """INSERT INTO items (id, source_id, guid, url, title, text, summary_html,
                               lang_hint, published_at, fetched_at, content_hash, updated_at)
                           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                        (item.id, source_id, item.guid, item.url, *values, iso(item.fetched)),
                    )
                    index_item(db, item.id, source_id, item.published, item.title, item.text)
                    db.execute("INSERT INTO pending_assessment VALUES (?)", (item.id,))
                    new.append(item.id)
                    latest_new = max(latest_new or item.fetched, item.fetched)
                else:
                    db.execute(
                        """UPDATE items SET title = ?, text = ?, summary_html = ?, lang_hint = ?,
                               published_at = ?, fetched_at = ?, content_hash = ?, updated_at = ?
                           WHERE id = ?""",
                        (*values, iso(item.fetched), item.id),
                    )
                    # a corrected report is assessed and clustered again
                    db.execute("DELETE FROM assessments WHERE item_id = ?", (item.id,))
                    db.execute("DELETE FROM story_items WHERE item_id = ?", (item.id,))
                    db.execute("DELETE FROM pending_clustering WHERE item_id = ?", (item.id,))
                    db.execute("INSERT OR IGNORE INTO pending_assessment VALUES (?)", (item.id,))
                    index_item(db, item.id, source_id, item.published, item.title, item.text)
                    changed.append(item.id)
            if latest_new is not None:
                db.execute(
                    "UPDATE sources SET last_new_at = ? WHERE id = ?", (iso(latest_new), source_id)
                )
        return StoredItems(tuple(new), tuple(changed), unchanged)

    def items(self, ids: Iterable[str]) -> list[Item]:
        wanted = list(ids)
        by_id: dict[str, Item] = {}
        for start in range(0, len(wanted), IDS_PER_QUERY):  # SQLite bounds a query's parameters
            part = wanted[start : start + IDS_PER_QUERY]
            rows = self._query(
                f"""SELECT i.*, s.name AS source FROM items i JOIN sources s ON s.id = i.source_id
                    WHERE i.id IN ({",".join("?" * len(part))})""",
                part,
            )
            by_id |= {row["id"]: _item(row) for row in rows}
        return [by_id[i] for i in wanted if i in by_id]

    def unassessed_items(self) -> list[Item]:
        rows = self._query(
            # CROSS JOIN: the few waiting first (SQLite keeps that order), not every item
            """SELECT i.*, s.name AS source FROM pending_assessment p
               CROSS JOIN items i ON i.id = p.item_id JOIN sources s ON s.id = i.source_id
               ORDER BY i.published_at, i.id"""
        )
        return [_item(row) for row in rows]

    def save_assessments(
        self,
        assessments: Iterable[Assessment],
        engine: str,
        now: datetime,
        versions: Mapping[str, str] | None = None,
    ) -> int:
        """Stores the assessments; how many. `versions`: the content hash each was made on,
        when the reports were read a while before (by worker processes during a poll): one of
        a report deleted since is dropped, one of a report changed since is dropped and the
        report stays waiting, to be assessed as it is now."""
        saved = 0
        with self._transaction() as db:
            for a in assessments:
                if versions is not None:
                    row = db.execute(
                        "SELECT content_hash FROM items WHERE id = ?", (a.item_id,)
                    ).fetchone()
                    if row is None or row[0] != versions.get(a.item_id):
                        continue
                saved += 1
                primary = a.primary
                db.execute(
                    """INSERT OR REPLACE INTO assessments (item_id, engine, lang, risk, severity,
                           categories, locations, evidence, killed, injured, admin1_pcode,
                           admin2_pcode, assessed_at, evacuation_order)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (
                        a.item_id,
                        engine,
                        a.lang,
                        int(a.risk),
                        a.severity,
                        json.dumps(list(a.categories)),
                        json.dumps([loc.as_dict() for loc in a.locations], ensure_ascii=False),
                        json.dumps([e.as_dict() for e in a.evidence], ensure_ascii=False),
                        a.casualties.killed,
                        a.casualties.injured,
                        primary.admin1_pcode if primary else None,
                        primary.admin2_pcode if primary else None,
                        iso(now),
                        _order_json(a.order),
                    ),
                )
                index_assessment(db, a)
                db.execute("DELETE FROM pending_assessment WHERE item_id = ?", (a.item_id,))
                if a.risk:
                    db.execute(
                        """INSERT OR IGNORE INTO pending_clustering SELECT ? WHERE NOT EXISTS
                           (SELECT 1 FROM story_items WHERE item_id = ?)""",
                        (a.item_id, a.item_id),
                    )
                else:
                    db.execute("DELETE FROM pending_clustering WHERE item_id = ?", (a.item_id,))
        return saved

    def assessed_items(self, start: datetime, end: datetime) -> list[AssessedItem]:
        rows = self._query(
            f"""SELECT {_ASSESSED_COLUMNS}
               FROM items i JOIN sources s ON s.id = i.source_id
               JOIN assessments a ON a.item_id = i.id
               WHERE i.published_at >= ? AND i.published_at < ?
               ORDER BY i.published_at, i.id""",
            (iso(start), iso(end)),
        )
        return [AssessedItem(_item(row), _assessment(row)) for row in rows]

    # stories

    def open_stories(self, since: datetime) -> list[tuple[Story, list[AssessedItem]]]:
        """Stories updated since `since`, with all their items: candidates for new reports."""
        ids = [
            row["id"]
            for row in self._query(
                "SELECT id FROM stories WHERE last_updated >= ? ORDER BY first_seen, id",
                (iso(since),),
            )
        ]
        return self._stories(ids, until=None)

    def story_ids(self, names: Iterable[str]) -> set[str]:
        """Stored story ids that are one of `names` or a numbered variant of one ("name-2")."""
        found: set[str] = set()
        for name in names:
            rows = self._query(
                "SELECT id FROM stories WHERE id = ? OR substr(id, 1, ?) = ?",
                (name, len(name) + 1, f"{name}-"),
            )
            found.update(row["id"] for row in rows)
        return found

    def stories(self, ids: Iterable[str]) -> list[tuple[Story, list[AssessedItem]]]:
        """The stories of these ids that exist, with all their items."""
        present = [
            story_id
            for story_id in dict.fromkeys(ids)
            if self._query("SELECT 1 FROM stories WHERE id = ?", (story_id,))
        ]
        return self._stories(present, until=None)

    def stories_by_prefix(self, prefix: str) -> list[tuple[Story, list[AssessedItem]]]:
        """Stories whose id starts with `prefix` (an exact id first), with all their items."""
        ids = [
            row["id"]
            for row in self._query(
                "SELECT id FROM stories WHERE substr(id, 1, ?) = ? ORDER BY id LIMIT 20",
                (len(prefix), prefix),
            )
        ]
        if prefix in ids:
            ids = [prefix]
        return self._stories(ids, until=None)

    def stories_between(
        self, start: datetime, end: datetime
    ) -> list[tuple[Story, list[AssessedItem]]]:
        """Stories with a report published in [start, end), or fetched then (a report that
        arrived late, dated before `start`), with their items before end."""
        ids = [
            row["story_id"]
            for row in self._query(
                f"""SELECT DISTINCT si.story_id FROM story_items si
               JOIN items i ON i.id = si.item_id WHERE {_IN_WINDOW} ORDER BY si.story_id""",
                (iso(start), iso(end), iso(start), iso(end), iso(end)),
            )
        ]
        return self._stories(ids, until=end)

    def stories_first_seen(self, start: datetime, end: datetime) -> list[Story]:
        """The stories first seen in [start, end), as stored, without their members."""
        rows = self._query(
            "SELECT * FROM stories WHERE first_seen >= ? AND first_seen < ? ORDER BY first_seen",
            (iso(start), iso(end)),
        )
        return [_story_row(row, ()) for row in rows]

    def story_sources(
        self, start: datetime, end: datetime, severity: int | None = None
    ) -> dict[str, tuple[str, ...]]:
        """The sources of each story first seen in [start, end) (of this severity only, when
        given), in no order."""
        rows = self._query(
            """SELECT DISTINCT st.id, s.name FROM stories st
               JOIN story_items si ON si.story_id = st.id
               JOIN items i ON i.id = si.item_id JOIN sources s ON s.id = i.source_id
               WHERE st.first_seen >= ? AND st.first_seen < ? AND (? IS NULL OR st.severity = ?)""",
            (iso(start), iso(end), severity, severity),
        )
        found: dict[str, tuple[str, ...]] = {}
        for story_id, source in rows:
            found[story_id] = (*found.get(story_id, ()), source)
        return found

    def orders_published(
        self, start: datetime, end: datetime
    ) -> list[tuple[str | None, AssessedItem]]:
        """The reports giving an evacuation order of the stories with one published in
        [start, end) (all of them, whenever published: an order is issued when its first report
        was), and those in no story published then; each with its story's id (None when in
        none), earliest first."""
        rows = self._query(
            f"""WITH hit AS (
                   SELECT i.id AS item_id, si.story_id FROM items i
                   JOIN assessments a ON a.item_id = i.id
                   LEFT JOIN story_items si ON si.item_id = i.id
                   WHERE a.evacuation_order IS NOT NULL AND i.published_at >= ?
                     AND i.published_at < ?),
               chosen AS (
                   SELECT si.item_id, si.story_id FROM story_items si
                   WHERE si.story_id IN (SELECT story_id FROM hit WHERE story_id IS NOT NULL)
                   UNION ALL
                   SELECT item_id, NULL FROM hit WHERE story_id IS NULL)
               SELECT c.story_id, {_ASSESSED_COLUMNS} FROM chosen c
               JOIN items i ON i.id = c.item_id JOIN sources s ON s.id = i.source_id
               JOIN assessments a ON a.item_id = i.id
               WHERE a.evacuation_order IS NOT NULL
               ORDER BY i.published_at, i.id""",
            (iso(start), iso(end)),
        )
        return [(row["story_id"], AssessedItem(_item(row), _assessment(row))) for row in rows]

    def reading_since(self) -> datetime | None:
        """When the first source was added: how far back the absence of stories means
        something."""
        return parse_iso(self._query("SELECT min(created_at) FROM sources")[0][0])

    def unclustered_items(self) -> list[AssessedItem]:
        rows = self._query(
            f"""SELECT {_ASSESSED_COLUMNS} FROM pending_clustering p
               CROSS JOIN assessments a ON a.item_id = p.item_id
               CROSS JOIN items i ON i.id = p.item_id JOIN sources s ON s.id = i.source_id
               WHERE a.risk = 1
               ORDER BY i.published_at, i.id"""
        )
        return [AssessedItem(_item(row), _assessment(row)) for row in rows]

    def count_items(self, start: datetime, end: datetime) -> int:
        rows = self._query(
            f"SELECT count(*) FROM items i WHERE {_IN_WINDOW}",
            (iso(start), iso(end), iso(start), iso(end), iso(end)),
        )
        return int(rows[0][0])

    def _stories(
        self, ids: list[str], until: datetime | None
    ) -> list[tuple[Story, list[AssessedItem]]]:
        result = []
        for story_id in ids:
            row = self._query("SELECT * FROM stories WHERE id = ?", (story_id,))[0]
            members = self._query(
                f"""SELECT si.reason, {_ASSESSED_COLUMNS}
                   FROM story_items si JOIN items i ON i.id = si.item_id
                   JOIN sources s ON s.id = i.source_id
                   JOIN assessments a ON a.item_id = i.id
                   WHERE si.story_id = ? AND i.published_at < ?
                   ORDER BY i.published_at, si.joined_at, si.item_id""",
                (story_id, iso(until) if until else "9999"),
            )
            if not members:
                continue
            story = _story_row(row, tuple(StoryMember(m["id"], m["reason"]) for m in members))
            result.append((story, [AssessedItem(_item(m), _assessment(m)) for m in members]))
        return result

    def save_stories(
        self, stories: Sequence[Story], absorbed: Mapping[str, str], now: datetime
    ) -> None:
        """Stories as they are now, and the stories merged into them (absorbed id -> the id it
        went into), in one transaction; an absorbed story's alert levels pass to its new story."""
        with self._transaction() as db:
            for story in stories:
                self._save_story(db, story, now)
            for gone, into in absorbed.items():
                db.execute(
                    """INSERT INTO alert_state (rule, story_id, severity, fired_at)
                       SELECT rule, ?, severity, fired_at FROM alert_state WHERE story_id = ?
                       ON CONFLICT(rule, story_id) DO UPDATE
                       SET severity = max(severity, excluded.severity)""",
                    (into, gone),
                )
                db.execute("DELETE FROM alert_state WHERE story_id = ?", (gone,))
                db.execute(
                    "UPDATE digest_stories SET story_id = ? WHERE story_id = ?", (into, gone)
                )
                db.execute("DELETE FROM stories WHERE id = ?", (gone,))

    # alerts

    def alert_levels(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """The severity each (rule, story) last fired at, for those that fired."""
        wanted = set(keys)
        stories = sorted({story_id for _, story_id in wanted})
        marks = ",".join("?" * len(stories))
        rows = self._query(
            f"SELECT rule, story_id, severity FROM alert_state WHERE story_id IN ({marks})",
            stories,
        )
        found = {(row["rule"], row["story_id"]): int(row["severity"]) for row in rows}
        return {key: level for key, level in found.items() if key in wanted}

    def record_firings(self, firings: Sequence[Firing], now: datetime) -> None:
        """The firings, pending until a notice carries them, and the new alert levels."""
        with self._transaction() as db:
            for firing in firings:
                db.execute(
                    """INSERT INTO alert_state (rule, story_id, severity, fired_at)
                       VALUES (?, ?, ?, ?) ON CONFLICT(rule, story_id) DO UPDATE
                       SET severity = excluded.severity, fired_at = excluded.fired_at""",
                    (firing.rule, firing.story.id, firing.story.severity, iso(now)),
                )
                db.execute(
                    """INSERT INTO alert_events (rule, story_id, item_id, kind, severity,
                           reasons, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)""",
                    (
                        firing.rule,
                        firing.story.id,
                        firing.entry.item.id,
                        firing.kind,
                        firing.story.severity,
                        json.dumps(list(firing.reasons), ensure_ascii=False),
                        iso(now),
                    ),
                )

    def pending_reports(self, rule: str) -> list[FiredReport]:
        """The rule's firings no notice has carried yet, oldest first."""
        return self._fired_reports("e.rule = ? AND e.status = 'pending'", (rule,))

    def notice_times(self, rule: str, since: datetime) -> list[datetime]:
        rows = self._query(
            "SELECT created_at FROM alert_notices WHERE rule = ? AND created_at >= ?",
            (rule, iso(since)),
        )
        return [_required_time(row[0]) for row in rows]

    def save_notice(
        self,
        rule: str,
        event_ids: Sequence[int],
        rendered: Rendered,
        mails: Sequence[tuple[str, str]],
        webhooks: Sequence[str],
        now: datetime,
    ) -> int:
        """A notice carrying the firings, queued at once for its recipients (recipient,
        message id) and webhooks: the firings are no longer pending."""
        with self._transaction() as db:
            notice_id = _insert_notice(db, rule, rendered, mails, now)
            db.executemany(
                "UPDATE alert_events SET status = 'notified', notice_id = ? WHERE id = ?",
                [(notice_id, event_id) for event_id in event_ids],
            )
            db.executemany(
                "INSERT INTO alert_sends (notice_id, target, created_at) VALUES (?, ?, ?)",
                [(notice_id, target, iso(now)) for target in dict.fromkeys(webhooks)],
            )
        return notice_id

    def save_review_notice(
        self,
        profile: str,
        day: str,
        rule: str,
        rendered: Rendered,
        mails: Sequence[tuple[str, str]],
        now: datetime,
    ) -> bool:
        """The reviewers' email (on the outbox's list `rule`) for an open draft, queued with the
        mark that it was, in one step: once per draft, whatever stops in between; False when
        it was already."""
        with self._transaction() as db:
            row = db.execute(
                """SELECT notice_id FROM review_drafts
                   WHERE profile = ? AND day = ? AND closed_at IS NULL""",
                (profile, day),
            ).fetchone()
            if row is None or row["notice_id"] is not None:
                return False
            notice_id = _insert_notice(db, rule, rendered, mails, now)
            db.execute(
                "UPDATE review_drafts SET notice_id = ? WHERE profile = ? AND day = ?",
                (notice_id, profile, day),
            )
        return True

    def notices(self, rule: str | None = None) -> list[Notice]:
        where, params = ("WHERE rule = ?", (rule,)) if rule else ("", ())
        rows = self._query(f"SELECT * FROM alert_notices {where} ORDER BY id", params)
        return self._notices(rows)

    def _notices(self, rows: Sequence[sqlite3.Row]) -> list[Notice]:
        ids = [row["id"] for row in rows]
        reports: dict[int, list[FiredReport]] = {notice_id: [] for notice_id in ids}
        marks = ",".join("?" * len(ids))
        for report in self._fired_reports(f"e.notice_id IN ({marks})", ids):
            reports[report.event.notice_id or 0].append(report)
        return [
            Notice(
                id=row["id"],
                rule=row["rule"],
                created_at=_required_time(row["created_at"]),
                reports=tuple(reports[row["id"]]),
            )
            for row in rows
        ]

    def _fired_reports(self, where: str, params: Sequence[Any]) -> list[FiredReport]:
        rows = self._query(
            f"""SELECT e.*, i.title AS item_title, i.url AS item_url, src.name AS source_name
                FROM alert_events e JOIN items i ON i.id = e.item_id
                JOIN sources src ON src.id = i.source_id
                WHERE {where} ORDER BY e.id""",
            params,
        )
        return [
            FiredReport(
                event=_alert_event(row),
                title=row["item_title"],
                url=row["item_url"],
                source=row["source_name"],
            )
            for row in rows
        ]

    def due_sends(self, now: datetime) -> list[WebhookSend]:
        rows = self._query(
            """SELECT s.id AS send_id, s.target, s.attempts, s.created_at AS queued_at,
                      s.notice_id
               FROM alert_sends s
               WHERE s.status = 'pending'
                 AND (s.next_attempt_at IS NULL OR s.next_attempt_at <= ?)
               ORDER BY s.id""",
            (iso(now),),
        )
        ids = sorted({row["notice_id"] for row in rows})
        marks = ",".join("?" * len(ids))
        found = self._query(f"SELECT * FROM alert_notices WHERE id IN ({marks})", ids)
        notices = {notice.id: notice for notice in self._notices(found)}
        return [
            WebhookSend(
                id=row["send_id"],
                target=row["target"],
                attempts=row["attempts"],
                created_at=_required_time(row["queued_at"]),
                notice=notices[row["notice_id"]],
            )
            for row in rows
        ]

    def record_send(
        self,
        send_id: int,
        status: str,
        reply: str,
        now: datetime,
        next_attempt_at: datetime | None = None,
    ) -> None:
        with self._transaction() as db:
            db.execute(
                """UPDATE alert_sends SET status = ?, attempts = attempts + 1, last_reply = ?,
                       next_attempt_at = ? WHERE id = ?""",
                (status, reply, iso(next_attempt_at) if next_attempt_at else None, send_id),
            )

    def alert_events(self) -> list[AlertEvent]:
        rows = self._query("SELECT * FROM alert_events ORDER BY id")
        return [_alert_event(row) for row in rows]

    def _save_story(self, db: sqlite3.Connection, story: Story, now: datetime) -> None:
        primary = story.primary
        db.execute(
            """INSERT INTO stories (id, first_seen, last_updated, severity, categories,
                   primary_location, admin1_pcode, admin2_pcode)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(id) DO UPDATE SET first_seen = excluded.first_seen,
                   last_updated = excluded.last_updated, severity = excluded.severity,
                   categories = excluded.categories,
                   primary_location = excluded.primary_location,
                   admin1_pcode = excluded.admin1_pcode,
                   admin2_pcode = excluded.admin2_pcode""",
            (
                story.id,
                iso(story.first_seen),
                iso(story.last_updated),
                story.severity,
                json.dumps(list(story.categories)),
                json.dumps(primary.as_dict(), ensure_ascii=False) if primary else None,
                primary.admin1_pcode if primary else None,
                primary.admin2_pcode if primary else None,
            ),
        )
        joined = iso(now)
        db.executemany(
            """INSERT INTO story_items (item_id, story_id, reason, joined_at)
               VALUES (?, ?, ?, ?)
               ON CONFLICT(item_id) DO UPDATE SET story_id = excluded.story_id,
                   reason = excluded.reason
               WHERE story_id IS NOT excluded.story_id OR reason IS NOT excluded.reason""",
            [(member.item_id, story.id, member.reason, joined) for member in story.members],
        )
        db.executemany(
            "DELETE FROM pending_clustering WHERE item_id = ?",
            [(member.item_id,) for member in story.members],
        )

    # digests

    def save_digest(  # a digest already in the outbox stays as it was queued
        self,
        profile: str,
        day: str,
        window: tuple[datetime, datetime],
        built_at: datetime,
        subject: str,
        html: str,
        text: str,
        story_ids: Sequence[str],
        language: str = "en",
    ) -> int:
        """Save a day's digest and the stories it shows, in order, unless it is already queued."""
        with self._transaction() as db:
            saved = db.execute(
                """INSERT INTO digests (profile, day, window_start, window_end, built_at, subject,
                       html, text, story_count, language) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(profile, day) DO UPDATE SET window_start = excluded.window_start,
                       window_end = excluded.window_end, built_at = excluded.built_at,
                       subject = excluded.subject, html = excluded.html, text = excluded.text,
                       story_count = excluded.story_count, language = excluded.language
                   WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.digest_id = digests.id)""",
                (
                    profile,
                    day,
                    iso(window[0]),
                    iso(window[1]),
                    iso(built_at),
                    subject,
                    html,
                    text,
                    len(story_ids),
                    language,
                ),
            ).rowcount
            row = db.execute(
                "SELECT id FROM digests WHERE profile = ? AND day = ?", (profile, day)
            ).fetchone()
            if saved:
                db.execute("DELETE FROM digest_stories WHERE digest_id = ?", (row["id"],))
                db.executemany(
                    "INSERT INTO digest_stories (digest_id, position, story_id) VALUES (?, ?, ?)",
                    [(row["id"], n, story_id) for n, story_id in enumerate(story_ids)],
                )
        return int(row["id"])

    def profiles_arrived(self, names: Sequence[str], now: datetime) -> dict[str, datetime]:
        """When each profile of a configuration arrived: those not known yet arrive `now`,
        those no longer in it leave (to arrive again if they come back)."""
        with self._transaction() as db:
            wanted = json.dumps(list(names))
            db.execute(
                """DELETE FROM profile_arrivals
                   WHERE profile NOT IN (SELECT value FROM json_each(?))""",
                (wanted,),
            )
            db.execute(
                """INSERT OR IGNORE INTO profile_arrivals (profile, arrived_at)
                   SELECT value, ? FROM json_each(?)""",
                (iso(now), wanted),
            )
            rows = db.execute("SELECT profile, arrived_at FROM profile_arrivals").fetchall()
        return {profile: _required_time(at) for profile, at in rows}

    def digests(self) -> list[DigestRecord]:
        """Every digest but drafts still under review (published once they go)."""
        rows = self._query(
            """SELECT * FROM digests g WHERE NOT EXISTS (
                   SELECT 1 FROM review_drafts r
                   WHERE r.profile = g.profile AND r.day = g.day AND r.closed_at IS NULL)
               ORDER BY day DESC, profile"""
        )
        return [_digest(row) for row in rows]

    def digest(self, profile: str, day: str) -> DigestRecord | None:
        rows = self._query("SELECT * FROM digests WHERE profile = ? AND day = ?", (profile, day))
        return _digest(rows[0]) if rows else None

    def last_sent_until(self, profile: str, before_day: str) -> datetime | None:
        """Where the window of the latest digest sent to the profile (to one recipient at least)
        before `before_day` ended."""
        rows = self._query(
            """SELECT max(g.window_end) FROM digests g
               WHERE g.profile = ? AND g.day < ? AND EXISTS (
                   SELECT 1 FROM deliveries d WHERE d.digest_id = g.id AND d.status = 'sent')""",
            (profile, before_day),
        )
        return _required_time(rows[0][0]) if rows and rows[0][0] else None

    # the reviewer's desk

    def save_draft(
        self,
        profile: str,
        day: str,
        due: datetime,
        early: Sequence[str],
        incidents: Sequence[str],
        now: datetime,
    ) -> None:
        """The stories of a reviewed digest as assembled, before review (a closed review
        stays closed)."""
        with self._transaction() as db:
            db.execute(
                """INSERT INTO review_drafts (profile, day, due_at, built_at, early, incidents)
                   VALUES (?, ?, ?, ?, ?, ?)
                   ON CONFLICT(profile, day) DO UPDATE SET due_at = excluded.due_at,
                       built_at = excluded.built_at, early = excluded.early,
                       incidents = excluded.incidents
                   WHERE review_drafts.closed_at IS NULL""",
                (
                    profile,
                    day,
                    iso(due),
                    iso(now),
                    json.dumps(list(early)),
                    json.dumps(list(incidents)),
                ),
            )

    def close_review(self, profile: str, day: str, due: datetime, now: datetime) -> None:
        """No more review of this digest: it goes into the outbox. Kept from the first close."""
        with self._transaction() as db:
            db.execute(
                """INSERT INTO review_drafts (profile, day, due_at, built_at, early, incidents,
                       closed_at) VALUES (?, ?, ?, ?, '[]', '[]', ?)
                   ON CONFLICT(profile, day) DO UPDATE
                       SET closed_at = coalesce(closed_at, excluded.closed_at)""",
                (profile, day, iso(due), iso(now), iso(now)),
            )

    def review_draft(self, profile: str, day: str) -> ReviewDraft | None:
        rows = self._query(
            "SELECT * FROM review_drafts WHERE profile = ? AND day = ?", (profile, day)
        )
        return _draft(rows[0]) if rows else None

    def open_reviews(self) -> list[ReviewDraft]:
        """Drafts still open to review, the soonest due first."""
        rows = self._query(
            "SELECT * FROM review_drafts WHERE closed_at IS NULL ORDER BY due_at, profile"
        )
        return [_draft(row) for row in rows]

    def add_review_action(self, profile: str, day: str, action: ReviewAction) -> bool:
        """Append an action to the trail of an open draft; False (nothing kept) when there is
        no such draft or its review is closed. One statement: a review that closes meanwhile
        either sees the action or refuses it."""
        with self._transaction() as db:
            added = db.execute(
                """INSERT INTO review_actions (profile, day, story_id, action, value, note,
                       actor, at) SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (
                       SELECT 1 FROM review_drafts
                       WHERE profile = ? AND day = ? AND closed_at IS NULL)""",
                (
                    profile,
                    day,
                    action.story_id,
                    action.action,
                    action.value,
                    action.note,
                    action.actor,
                    iso(action.at),
                    profile,
                    day,
                ),
            ).rowcount
        return bool(added)

    def review_actions(self, profile: str, day: str) -> list[ReviewAction]:
        """The audit trail of a digest, in the order the actions were taken."""
        rows = self._query(
            "SELECT * FROM review_actions WHERE profile = ? AND day = ? ORDER BY id",
            (profile, day),
        )
        return [
            ReviewAction(
                story_id=row["story_id"],
                action=row["action"],
                value=row["value"],
                note=row["note"],
                actor=row["actor"],
                at=_required_time(row["at"]),
                id=row["id"],
            )
            for row in rows
        ]

    # the outbox

    def enqueue(self, digest_id: int, messages: Sequence[tuple[str, str]], now: datetime) -> int:
        """Pending deliveries of a digest, one per (recipient, message id); a recipient already
        in the outbox for this digest keeps its row and its message id. Returns how many were
        added."""
        with self._transaction() as db:
            added = 0
            for recipient, message_id in messages:
                cursor = db.execute(
                    """INSERT INTO deliveries (digest_id, recipient, message_id, created_at)
                       VALUES (?, ?, ?, ?) ON CONFLICT(digest_id, recipient) DO NOTHING""",
                    (digest_id, recipient, message_id, iso(now)),
                )
                added += cursor.rowcount
        return added

    def outbox_backlog(self) -> tuple[int, int]:
        """Messages and webhook posts waiting to go (pending, including those awaiting retry)."""
        mail = self._query("SELECT count(*) FROM deliveries WHERE status = 'pending'")[0][0]
        hooks = self._query("SELECT count(*) FROM alert_sends WHERE status = 'pending'")[0][0]
        return int(mail), int(hooks)

    # upkeep

    def prune(self, before: datetime, limit: int) -> int:
        """Delete up to `limit` reports published before `before` that belong to no story
        (stories, their reports and digests are kept), with their search index; returns how
        many went."""
        with self._transaction() as db:
            doomed = [
                (row[0],)
                for row in db.execute(
                    """SELECT i.id FROM items i WHERE i.published_at < ? AND NOT EXISTS
                       (SELECT 1 FROM story_items si WHERE si.item_id = i.id) LIMIT ?""",
                    (iso(before), limit),
                )
            ]
            keys = "SELECT key FROM search_docs WHERE item_id = ?"
            db.executemany(f"DELETE FROM search_text WHERE rowid IN ({keys})", doomed)
            db.executemany(f"DELETE FROM search_places WHERE key IN ({keys})", doomed)
            db.executemany("DELETE FROM items WHERE id = ?", doomed)
            return len(doomed)

    def maintain(self) -> None:
        """Fold the write-ahead log into the database and refresh the planner's statistics."""
        try:
            self._db.execute("PRAGMA optimize")
            # PASSIVE: never waits on the archive's readers
            self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as exc:
            raise StorageError(f"database {self.path}: {exc}") from None

    def backup(self, target: Path) -> None:
        """A consistent copy of the database while it is in use (SQLite's online backup)."""
        try:
            copy = sqlite3.connect(target)
            try:
                self._db.backup(copy)
            finally:
                copy.close()
        except sqlite3.Error as exc:
            raise StorageError(f"cannot back up {self.path} to {target}: {exc}") from None

    def unsubscribe(self, kind: str, list_name: str, recipient: str, now: datetime) -> None:
        with self._transaction() as db:
            db.execute(
                """INSERT INTO unsubscribed (kind, list_name, recipient, at) VALUES (?, ?, ?, ?)
                   ON CONFLICT DO NOTHING""",
                (kind, list_name, recipient.lower(), iso(now)),
            )

    def unsubscribed(self) -> set[tuple[str, str, str]]:
        """(kind, list name, recipient in lower case) of everyone who unsubscribed."""
        rows = self._query("SELECT kind, list_name, recipient FROM unsubscribed")
        return {(row[0], row[1], row[2]) for row in rows}

    def secret(self, name: str) -> str:
        return str(self._query("SELECT value FROM secrets WHERE name = ?", (name,))[0][0])

    def deliveries(self, digest_id: int) -> list[Delivery]:
        return self._deliveries("d.digest_id = ?", (digest_id,))

    def due_deliveries(self, now: datetime) -> list[Delivery]:
        return self._deliveries(
            "d.status = 'pending' AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= ?)",
            (iso(now),),
        )

    def _deliveries(self, where: str, params: Sequence[Any]) -> list[Delivery]:
        rows = self._query(
            f"""SELECT d.id AS delivery_id, d.recipient, d.message_id, d.status, d.attempts,
                       d.last_reply, d.created_at AS queued_at, d.notice_id,
                       g.profile, g.day, n.rule,
                       coalesce(g.subject, n.subject) AS subject,
                       coalesce(g.html, n.html) AS html, coalesce(g.text, n.text) AS text
                FROM deliveries d LEFT JOIN digests g ON g.id = d.digest_id
                LEFT JOIN alert_notices n ON n.id = d.notice_id
                WHERE {where} ORDER BY d.id""",
            params,
        )
        return [
            Delivery(
                id=row["delivery_id"],
                mail=_mail(row),
                recipient=row["recipient"],
                message_id=row["message_id"],
                status=row["status"],
                attempts=row["attempts"],
                last_reply=row["last_reply"],
                created_at=_required_time(row["queued_at"]),
            )
            for row in rows
        ]

    def record_attempt(
        self,
        delivery_id: int,
        status: str,
        reply: str,
        now: datetime,
        next_attempt_at: datetime | None = None,
    ) -> None:
        with self._transaction() as db:
            db.execute(
                """UPDATE deliveries SET status = ?, attempts = attempts + 1, last_reply = ?,
                       sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END,
                       next_attempt_at = ?
                   WHERE id = ?""",
                (
                    status,
                    reply,
                    status,
                    iso(now),
                    iso(next_attempt_at) if next_attempt_at else None,
                    delivery_id,
                ),
            )


# an item belongs to a window when published in it, or fetched in it when it was dated earlier
_IN_WINDOW = """((i.published_at >= ? AND i.published_at < ?)
    OR (i.fetched_at >= ? AND i.fetched_at < ? AND i.published_at < ?))"""

_INSERT_SOURCE = """INSERT INTO sources (name, url, configured_url, kind, language, interval_s,
    origin, enabled, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"""


def _source_row(source: NewSource, origin: str, now: str) -> tuple[Any, ...]:
    return (
        source.name,
        source.url,
        source.url,
        source.kind,
        source.language,
        source.interval_s,
        origin,
        int(source.enabled),
        now,
    )


_ASSESSED_COLUMNS = """i.*, s.name AS source, a.lang, a.risk, a.severity, a.categories, a.locations,
    a.evidence, a.killed, a.injured, a.evacuation_order"""


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (no semicolons inside our literals)."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]


def _source(row: sqlite3.Row) -> SourceRecord:
    return SourceRecord(
        id=row["id"],
        name=row["name"],
        url=row["url"],
        kind=row["kind"],
        language=row["language"],
        interval_s=row["interval_s"],
        origin=row["origin"],
        enabled=bool(row["enabled"]),
        etag=row["etag"],
        last_modified=row["last_modified"],
        last_fetch_at=parse_iso(row["last_fetch_at"]),
        last_success_at=parse_iso(row["last_success_at"]),
        last_error=row["last_error"],
        last_error_at=parse_iso(row["last_error_at"]),
        consecutive_failures=row["consecutive_failures"],
        next_check_at=parse_iso(row["next_check_at"]),
        last_latency_ms=row["last_latency_ms"],
        items=row["items"],
        added_at=parse_iso(row["created_at"]),
        failing_since=parse_iso(row["failing_since"]),
        gone_at=parse_iso(row["gone_at"]),
        last_new_at=parse_iso(row["last_new_at"]),
    )


def _story_row(row: sqlite3.Row, members: tuple[StoryMember, ...]) -> Story:
    return Story(
        id=row["id"],
        members=members,
        first_seen=_required_time(row["first_seen"]),
        last_updated=_required_time(row["last_updated"]),
        severity=row["severity"],
        categories=tuple(json.loads(row["categories"])),
        primary=_location(json.loads(row["primary_location"])) if row["primary_location"] else None,
    )


def _item(row: sqlite3.Row) -> Item:
    return Item(
        id=row["id"],
        source=row["source"],
        guid=row["guid"],
        url=row["url"],
        title=row["title"],
        text=row["text"],
        summary_html=row["summary_html"],
        lang_hint=row["lang_hint"],
        published=_required_time(row["published_at"]),
        fetched=_required_time(row["fetched_at"]),
        content_hash=row["content_hash"],
    )


def _location(data: dict[str, Any]) -> Location:
    return Location(**data)


def _assessment(row: sqlite3.Row, evidence: bool = True) -> Assessment:
    """`evidence`: False leaves it out (a list of results does not show it)."""
    return Assessment(
        item_id=row["id"],
        lang=row["lang"],
        risk=bool(row["risk"]),
        severity=row["severity"],
        categories=tuple(json.loads(row["categories"])),
        locations=tuple(_location(d) for d in json.loads(row["locations"])),
        evidence=tuple(Evidence(**e) for e in json.loads(row["evidence"])) if evidence else (),
        casualties=Casualties(killed=row["killed"], injured=row["injured"]),
        order=_order(row) if row["evacuation_order"] else None,
    )


def _order_json(order: EvacuationOrder | None) -> str | None:
    if order is None:
        return None
    record = {
        "issuer": order.issuer,
        "places": [place.as_dict() for place in order.places],
        "lines": [[line.direction, line.feature, line.text] for line in order.lines],
        "radius_m": order.radius_m,
        "evidence": [e.as_dict() for e in order.evidence],
    }
    return json.dumps(record, ensure_ascii=False)


def _order(row: sqlite3.Row) -> EvacuationOrder:
    """The order of an assessed row (issued when the report was published)."""
    record = json.loads(row["evacuation_order"])
    return EvacuationOrder(
        item_id=row["id"],
        issuer=record["issuer"],
        issued=_required_time(row["published_at"]),
        places=tuple(_location(place) for place in record["places"]),
        lines=tuple(OrderLine(*line) for line in record["lines"]),
        radius_m=record["radius_m"],
        evidence=tuple(Evidence(**e) for e in record["evidence"]),
    )
