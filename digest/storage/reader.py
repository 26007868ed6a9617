"""What the web archive reads, over a read-only connection: search with filters, the stories of a
digest, incident counts per governorate."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from digest.storage.search import MAX_OFFSET, SearchFilters, match_expression
from digest.storage.sqlite import (
    _ASSESSED_COLUMNS,
    SqliteStorage,
    _assessment,
    _item,
    iso,
)
from digest.types import Assessment, Item

_STORY_BATCH = 200
_STORY_BATCHES = 20


@dataclass(frozen=True, slots=True)
class Hit:
    """One item found, with its assessment (None until assessed) and its story, if any."""

    key: int
    item: Item
    assessment: Assessment | None
    story_id: str | None


@dataclass(frozen=True, slots=True)
class Found:
    """A page of results; `next_before` / `next_offset` continue it, None when it is the last."""

    hits: tuple[Hit, ...]
    next_before: int | None
    next_offset: int | None


class ArchiveReader(SqliteStorage):
    def __init__(self, path: Path, timezone: str = "UTC") -> None:
        """`timezone`: the one search dates are days of."""
        super().__init__(path, read_only=True)
        self.timezone = timezone

    def search(self, filters: SearchFilters, limit: int, evidence: bool = True) -> Found:
        """Items matching the filters, newest first (or best first), `limit` at most; without
        their evidence unless asked."""
        keys = self._keys(filters, limit + 1)
        hits = self._hits(keys[:limit], evidence)
        more = len(keys) > limit
        if filters.sort == "relevance":
            further = more and filters.offset + limit <= MAX_OFFSET
            return Found(hits, None, filters.offset + limit if further else None)
        return Found(hits, hits[-1].key if more and hits else None, None)

    def search_stories(self, filters: SearchFilters, limit: int) -> tuple[list[str], int | None]:
        """Ids of the stories of matching items, the latest match first, and the key to continue
        from (None at the end). Items are read in batches until `limit` stories are found; a
        story with a match at or above the incoming cursor was on an earlier page."""
        found: dict[str, None] = {}
        earlier: set[str] = set()
        batch = filters.model_copy(update={"sort": "newest", "offset": 0})
        for _ in range(_STORY_BATCHES):
            keys = self._keys(batch, _STORY_BATCH)
            if not keys:
                return list(found), None
            for key, story_id in self._story_of(keys):
                if story_id is None or story_id in found or story_id in earlier:
                    continue
                if filters.before is not None and self._matches_from(
                    filters, story_id, filters.before
                ):
                    earlier.add(story_id)
                    continue
                found[story_id] = None
                if len(found) == limit:
                    return list(found), key
            batch = batch.model_copy(update={"before": keys[-1]})
        return list(found), batch.before

    def _matches_from(self, filters: SearchFilters, story_id: str, key: int) -> bool:
        """Whether the story has an item matching the filters at or above `key`."""
        above = filters.model_copy(update={"before": None, "sort": "newest", "offset": 0})
        return bool(self._keys(above, 1, story_id, key))

    def _keys(
        self, f: SearchFilters, limit: int, story: str | None = None, at_least: int | None = None
    ) -> list[int]:
        """Keys of matching items, in the order asked; only of `story`'s items, and only from
        `at_least` up, if given."""
        low, high = f.key_range(self.timezone)
        if at_least is not None:
            low = max(low, at_least)
        where: list[str] = []
        params: list[Any] = []
        words = match_expression(f.q) if f.q.strip() else None
        region = f.region
        if story is not None:  # a story's few items, each checked
            source = "story_items si JOIN search_docs d ON d.item_id = si.item_id"
            where += ["si.story_id = ?", "d.key BETWEEN ? AND ?"]
            params += [story, low, high]
            order = "d.key DESC"
        elif words is not None:
            source = "search_text t JOIN search_docs d ON d.key = t.rowid"
            where += ["search_text MATCH ?", "t.rowid BETWEEN ? AND ?"]
            params += [words, low, high]
            order = "t.rank, t.rowid DESC" if f.sort == "relevance" else "t.rowid DESC"
            words = None
        elif region:
            source = "search_places p JOIN search_docs d ON d.key = p.key"
            where += ["p.code = ?", "p.key BETWEEN ? AND ?"]
            params += [region, low, high]
            order = "p.key DESC"
            region = None
        else:
            source = "search_docs d"
            where.append("d.key BETWEEN ? AND ?")
            params += [low, high]
            order = "d.key DESC"
        if words is not None:
            where.append(
                "EXISTS (SELECT 1 FROM search_text WHERE search_text MATCH ? AND rowid = d.key)"
            )
            params.append(words)
        if region:
            where.append(
                "EXISTS (SELECT 1 FROM search_places p WHERE p.code = ? AND p.key = d.key)"
            )
            params.append(region)
        if f.severity is not None:
            where.append("d.severity >= ?")
            params.append(f.severity)
        if f.lang:
            where.append("d.lang = ?")
            params.append(f.lang)
        if f.category:
            where.append("instr(d.categories, ?) > 0")
            params.append(f" {f.category} ")
        if f.risk:
            where.append("d.risk = 1")
        if f.source:
            where.append("d.source_id = (SELECT id FROM sources WHERE name = ?)")
            params.append(f.source)
        sql = f"SELECT d.key FROM {source} WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ?"
        params.append(limit)
        if f.sort == "relevance":
            sql += " OFFSET ?"
            params.append(f.offset)
        return [row[0] for row in self._query(sql, params)]

    def _hits(self, keys: list[int], evidence: bool) -> tuple[Hit, ...]:
        if not keys:
            return ()
        marks = ",".join("?" * len(keys))
        rows = self._query(
            f"""SELECT d.key AS search_key, si.story_id, a.item_id AS assessed, {_ASSESSED_COLUMNS}
                FROM search_docs d JOIN items i ON i.id = d.item_id
                JOIN sources s ON s.id = i.source_id
                LEFT JOIN assessments a ON a.item_id = i.id
                LEFT JOIN story_items si ON si.item_id = i.id
                WHERE d.key IN ({marks})""",
            keys,
        )
        by_key = {
            row["search_key"]: Hit(
                row["search_key"],
                _item(row),
                _assessment(row, evidence) if row["assessed"] is not None else None,
                row["story_id"],
            )
            for row in rows
        }
        return tuple(by_key[key] for key in keys if key in by_key)

    def _story_of(self, keys: list[int]) -> list[tuple[int, str | None]]:
        marks = ",".join("?" * len(keys))
        rows = self._query(
            f"""SELECT d.key, si.story_id FROM search_docs d
                LEFT JOIN story_items si ON si.item_id = d.item_id WHERE d.key IN ({marks})""",
            keys,
        )
        story = {row[0]: row[1] for row in rows}
        return [(key, story.get(key)) for key in keys]

    def digest_story_ids(self, digest_id: int) -> list[str]:
        rows = self._query(
            "SELECT story_id FROM digest_stories WHERE digest_id = ? ORDER BY position",
            (digest_id,),
        )
        return list(dict.fromkeys(row[0] for row in rows))

    def digests_with_story(self, story_id: str) -> list[tuple[str, str]]:
        """(profile, day) of every digest that showed the story."""
        rows = self._query(
            """SELECT g.profile, g.day FROM digest_stories ds JOIN digests g ON g.id = ds.digest_id
               WHERE ds.story_id = ? ORDER BY g.day, g.profile""",
            (story_id,),
        )
        return [(row[0], row[1]) for row in rows]

    def incidents_per_day(self, start: datetime, end: datetime) -> list[tuple[date, str, int]]:
        """Stories first seen in [start, end) per UTC day and governorate P-code ('' unknown)."""
        rows = self._query(
            """SELECT substr(first_seen, 1, 10), coalesce(admin1_pcode, ''), count(*)
               FROM stories WHERE first_seen >= ? AND first_seen < ? GROUP BY 1, 2 ORDER BY 1, 2""",
            (iso(start), iso(end)),
        )
        return [(date.fromisoformat(row[0]), row[1], row[2]) for row in rows]

    def story_kinds(self, start: datetime, end: datetime) -> list[str]:
        """The distinct category lists (as stored, JSON) of the stories first seen in
        [start, end)."""
        rows = self._query(
            "SELECT DISTINCT categories FROM stories WHERE first_seen >= ? AND first_seen < ?",
            (iso(start), iso(end)),
        )
        return [row[0] for row in rows]

    def incidents_counted(
        self,
        start: datetime,
        end: datetime,
        min_severity: int,
        kinds: list[str],
        zone: str | None = None,
        leaving_out: list[str] | None = None,
    ) -> list[tuple[datetime, str | None, str, int]]:
        """Stories first seen in [start, end) in a district, at least this severe, of these
        category lists (`story_kinds`), but those of `leaving_out`, counted per day in `zone`
        (or per UTC hour without one) and district: (the day's local midnight or the hour,
        governorate and district P-codes, count). Counted in SQL: a year of a busy archive is a
        few thousand rows, not every story."""
        if zone is None:
            bucket = "substr(first_seen, 1, 13)"
        else:
            bucket = f"date(first_seen, {_local_shift(start, end, zone)})"
        rows = self._query(
            f"""SELECT {bucket}, admin1_pcode, admin2_pcode, count(*)
               FROM stories WHERE first_seen >= ? AND first_seen < ? AND severity >= ?
                 AND admin2_pcode IS NOT NULL
                 AND categories IN (SELECT value FROM json_each(?))
                 AND id NOT IN (SELECT value FROM json_each(?))
               GROUP BY 1, 2, 3""",
            (iso(start), iso(end), min_severity, json.dumps(kinds), json.dumps(leaving_out or [])),
        )
        return [(_bucket_start(row[0], zone), row[1], row[2], row[3]) for row in rows]

    def latest_story_day(self) -> date | None:
        rows = self._query("SELECT max(first_seen) FROM stories")
        return date.fromisoformat(rows[0][0][:10]) if rows[0][0] else None

    def all_story_ids(self) -> list[str]:
        return [row[0] for row in self._query("SELECT id FROM stories ORDER BY first_seen, id")]

    def source_names(self) -> list[str]:
        return [row[0] for row in self._query("SELECT name FROM sources ORDER BY name")]


def _bucket_start(text: str, zone: str | None) -> datetime:
    if zone is None:
        return datetime.fromisoformat(f"{text}:00:00+00:00")
    return datetime.combine(date.fromisoformat(text), time(), ZoneInfo(zone))


def _local_shift(start: datetime, end: datetime, zone: str) -> str:
    """An SQL expression: the SQLite modifier ('+120 minutes') that turns a stored UTC time in
    [start, end) into local time in `zone`, with each change of its UTC offset (daylight
    saving) in the period, found to the quarter hour (some zones change on the half hour)."""
    tz = ZoneInfo(zone)
    moment = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    step = timedelta(minutes=15)
    changes: list[tuple[datetime, int]] = []
    while moment < end:
        offset = moment.astimezone(tz).utcoffset()
        minutes = int(offset.total_seconds() // 60) if offset is not None else 0
        if not changes or changes[-1][1] != minutes:
            changes.append((moment, minutes))
        moment += step
    if not changes:
        return "'+0 minutes'"
    cases = " ".join(
        f"WHEN first_seen < '{iso(at)}' THEN '{before:+d} minutes'"
        for (_, before), (at, _) in pairwise(changes)
    )
    last = f"'{changes[-1][1]:+d} minutes'"
    return f"CASE {cases} ELSE {last} END" if cases else last
