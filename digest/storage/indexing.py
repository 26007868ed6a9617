"""Keeping the archive's search index (migration 8) in step with items and their assessments,
inside the storage's own transactions."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from digest.storage.search import categories_field, document, time_key
from digest.types import Assessment, Location

SECOND = 1_000_000  # keys are microseconds


def index_item(
    db: sqlite3.Connection,
    item_id: str,
    source_id: int,
    published: datetime,
    title: str,
    text: str,
) -> int:
    """(Re)index an item's words under a free key for its publication time; returns the key."""
    old = db.execute("SELECT key FROM search_docs WHERE item_id = ?", (item_id,)).fetchone()
    if old is not None:
        db.execute("DELETE FROM search_docs WHERE key = ?", (old[0],))
    base = time_key(published.replace(microsecond=0))  # stored times keep whole seconds
    # items of the same second (undated ones take their fetch time) follow each other
    taken = db.execute(
        "SELECT max(key) FROM search_docs WHERE key BETWEEN ? AND ?", (base, base + SECOND - 1)
    ).fetchone()[0]
    key = base if taken is None else taken + 1
    while db.execute("SELECT 1 FROM search_docs WHERE key = ?", (key,)).fetchone():
        key += 1
    # rows a deleted item left behind under this key must not be read as this item's
    db.execute("DELETE FROM search_text WHERE rowid = ?", (key,))
    db.execute("DELETE FROM search_places WHERE key = ?", (key,))
    if old is not None and old[0] != key:
        db.execute("DELETE FROM search_text WHERE rowid = ?", (old[0],))
        db.execute("DELETE FROM search_places WHERE key = ?", (old[0],))
    db.execute(
        "INSERT INTO search_docs (key, item_id, source_id) VALUES (?, ?, ?)",
        (key, item_id, source_id),
    )
    db.execute(
        "INSERT INTO search_text (rowid, body, stems) VALUES (?, ?, ?)",
        (key, *document(title, text)),
    )
    return key


def place_codes(locations: tuple[Location, ...] | list[Location]) -> set[str]:
    return {
        code
        for location in locations
        for code in (location.country, location.admin1_pcode, location.admin2_pcode)
        if code
    }


def index_assessment(db: sqlite3.Connection, assessment: Assessment) -> None:
    """Record what the filters read: language, risk, severity, categories and places."""
    row = db.execute(
        """UPDATE search_docs SET lang = ?, risk = ?, severity = ?, categories = ?
           WHERE item_id = ? RETURNING key""",
        (
            assessment.lang,
            int(assessment.risk),
            assessment.severity,
            categories_field(assessment.categories),
            assessment.item_id,
        ),
    ).fetchone()
    if row is None:
        return
    key = row[0]
    db.execute("DELETE FROM search_places WHERE key = ?", (key,))
    db.executemany(
        "INSERT INTO search_places (code, key) VALUES (?, ?)",
        [(code, key) for code in sorted(place_codes(assessment.locations))],
    )


def reindex_all(db: sqlite3.Connection) -> None:
    """Index every stored item and assessment (the migration that creates the index)."""
    items = db.execute(
        "SELECT id, source_id, published_at, title, text FROM items ORDER BY rowid"
    ).fetchall()
    for item_id, source_id, published, title, text in items:
        moment = datetime.fromisoformat(published.replace("Z", "+00:00"))
        index_item(db, item_id, source_id, moment, title, text)
    assessed = db.execute(
        "SELECT item_id, lang, risk, severity, categories, locations FROM assessments"
    ).fetchall()
    for item_id, lang, risk, severity, categories, locations in assessed:
        codes = tuple(json.loads(categories))
        places = tuple(Location(**data) for data in json.loads(locations))
        index_assessment(
            db, Assessment(item_id, lang, bool(risk), severity, codes, places, evidence=())
        )
