"""Evacuation orders as a reader sees them: one record per story (the same warning relayed by
several sources is one order), with the places, lines and radius every report of it gives.

Pure: takes the reports that give orders (with the story each belongs to), returns records.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from digest.briefing import in_regions
from digest.config import ProfileConfig
from digest.types import AssessedItem, OrderRecord


def records(found: Iterable[tuple[str | None, AssessedItem]]) -> tuple[OrderRecord, ...]:
    """The reports giving orders (each with its story's id) as records, the latest first."""
    grouped: dict[tuple[str | None, str], list[AssessedItem]] = {}
    for story_id, report in found:
        if report.assessment.order is not None:
            key = (story_id, story_id or report.item.id)
            grouped.setdefault(key, []).append(report)
    made = [
        OrderRecord(story_id, tuple(sorted(reports, key=lambda r: (r.item.published, r.item.id))))
        for (story_id, _), reports in grouped.items()
    ]
    return tuple(sorted(made, key=lambda record: (record.issued, record.key), reverse=True))


def concerns(record: OrderRecord, profile: ProfileConfig, parents: dict[str, str]) -> bool:
    """The order names a place in the profile's regions (any place, without regions), and
    the profile reads evacuations. Its severity does not matter: an order always does."""
    if profile.categories and "evacuation" not in profile.categories:
        return False
    if not profile.regions:
        return True
    return any(in_regions(place, profile.regions, parents) for place in record.places)


@dataclass(frozen=True, slots=True)
class Standing:
    """A digest's orders: issued in its window, still in force (issued before it, less than
    `days` before its end), and expired during it."""

    issued: tuple[OrderRecord, ...]
    in_force: tuple[OrderRecord, ...]
    expired: tuple[OrderRecord, ...]


def standing(found: Iterable[OrderRecord], span: tuple[datetime, datetime], days: int) -> Standing:
    """`found`: the records of the reports published from `days` before the window's start."""
    start, end = span
    lasting = timedelta(days=days)
    found = list(found)
    return Standing(
        tuple(r for r in found if start <= r.issued < end),
        tuple(r for r in found if end - lasting <= r.issued < start),
        tuple(r for r in found if start - lasting <= r.issued < end - lasting),
    )
