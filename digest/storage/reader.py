"""What the web archive reads, over a read-only connection: search with filters, the stories of a
digest, incident counts per governorate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from digest.storage.search import SearchFilters, match_expression
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
    def __init__(self, path: Path) -> None:
        super().__init__(path, read_only=True)

    def search(self, filters: SearchFilters, limit: int) -> Found:
        """Items matching the filters, newest first (or best first), `limit` at most."""
        keys = self._keys(filters, limit + 1)
        hits = self._hits(keys[:limit])
        more = len(keys) > limit
        if filters.sort == "relevance":
            return Found(hits, None, filters.offset + limit if more else None)
        return Found(hits, hits[-1].key if more and hits else None, None)

    def search_stories(self, filters: SearchFilters, limit: int) -> tuple[list[str], int | None]:
        """Ids of the stories of matching items, the latest match first, and the key to continue
        from (None at the end). Items are read in batches until `limit` stories are found."""
        found: dict[str, None] = {}
        batch = filters.model_copy(update={"sort": "newest", "offset": 0})
        for _ in range(_STORY_BATCHES):
            keys = self._keys(batch, _STORY_BATCH)
            if not keys:
                return list(found), None
            for key, story_id in self._story_of(keys):
                if story_id is not None:
                    found.setdefault(story_id)
                if len(found) == limit:
                    return list(found), key
            batch = batch.model_copy(update={"before": keys[-1]})
        return list(found), batch.before

    def _keys(self, f: SearchFilters, limit: int) -> list[int]:
        low, high = f.key_range()
        where: list[str] = []
        params: list[Any] = []
        if f.q.strip():
            source = "search_text t JOIN search_docs d ON d.key = t.rowid"
            where += ["search_text MATCH ?", "t.rowid BETWEEN ? AND ?"]
            params += [match_expression(f.q), low, high]
            order = "t.rank" if f.sort == "relevance" else "t.rowid DESC"
            place_join = True
        elif f.region:
            source = "search_places p JOIN search_docs d ON d.key = p.key"
            where += ["p.code = ?", "p.key BETWEEN ? AND ?"]
            params += [f.region, low, high]
            order = "p.key DESC"
            place_join = False
        else:
            source = "search_docs d"
            where.append("d.key BETWEEN ? AND ?")
            params += [low, high]
            order = "d.key DESC"
            place_join = False
        if f.region and place_join:
            where.append(
                "EXISTS (SELECT 1 FROM search_places p WHERE p.code = ? AND p.key = d.key)"
            )
            params.append(f.region)
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

    def _hits(self, keys: list[int]) -> tuple[Hit, ...]:
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
                _assessment(row) if row["assessed"] is not None else None,
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

    def latest_story_day(self) -> date | None:
        rows = self._query("SELECT max(first_seen) FROM stories")
        return date.fromisoformat(rows[0][0][:10]) if rows[0][0] else None

    def all_story_ids(self) -> list[str]:
        return [row[0] for row in self._query("SELECT id FROM stories ORDER BY first_seen, id")]

    def source_names(self) -> list[str]:
        return [row[0] for row in self._query("SELECT name FROM sources ORDER BY name")]
