"""JSON lines in and out for `digest classify` and `digest cluster` (CONTRACTS sections 1 and 2).

A malformed line yields ``{"id": ..., "error": ...}`` (id null when unknown) and processing goes on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from digest.assessing import attempted
from digest.signals.classify import Classifier, Explained
from digest.sources.dates import EARLIEST_YEAR
from digest.sources.normalise import canonical_url, content_hash
from digest.stories import Clusterer, Vocabulary, collector_paused
from digest.text import whole
from digest.types import AssessedItem, Item, Unreadable

M = TypeVar("M", bound=BaseModel)
LATEST_YEAR = 2999  # a later date is a typing error, and overflows arithmetic


class ClassifyLine(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    text: str
    title: str | None = None
    url: str | None = None
    published: datetime | None = None
    lang: str | None = None
    source: str | None = None

    @field_validator("text", "title", "source", "lang", "url")
    @classmethod
    def _no_lone_surrogates(cls, value: str | None) -> str | None:
        # "\ud800" is valid JSON but not text; it would fail every step after this one
        return whole(value) if value else value

    @field_validator("published", mode="before")
    @classmethod
    def _blank_is_unknown(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _has_content(self) -> ClassifyLine:
        if not self.text and not self.title:
            raise ValueError("text is empty and there is no title")
        return self


class ClusterLine(ClassifyLine):
    source: str = "unknown"

    @field_validator("published")
    @classmethod
    def _plausible(cls, value: datetime | None) -> datetime | None:
        if value is not None and not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
            raise ValueError(f"a date between {EARLIEST_YEAR} and {LATEST_YEAR} is expected")
        return value


UNDATED = datetime(1970, 1, 1, tzinfo=UTC)


def assessment_json(explained: Explained) -> dict[str, Any]:
    a = explained.assessment
    return {
        "id": a.item_id,
        "lang": a.lang,
        "risk": a.risk,
        "severity": a.severity,
        "categories": list(a.categories),
        "locations": [loc.as_dict() for loc in a.locations],
        "evidence": [e.as_dict() for e in a.evidence],
        "casualties": {"killed": a.casualties.killed, "injured": a.casualties.injured},
        "notes": list(explained.notes),
    }


def unreadable_json(answer: Unreadable) -> dict[str, Any]:
    return {
        "id": answer.item_id,
        "error": f"could not classify (a fault of digest's): {answer.problem}",
    }


def _error(line: str, problem: str) -> dict[str, Any]:
    ident = None
    try:
        data = json.loads(line)
        if isinstance(data, dict) and isinstance(data.get("id"), str | int):
            ident = str(data["id"])
    except json.JSONDecodeError:
        pass
    return {"id": ident, "error": problem}


def _read(raw: str | bytes, model: type[M]) -> M | dict[str, Any]:
    if isinstance(raw, bytes):
        try:
            line = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            return {"id": None, "error": f"not UTF-8: byte {exc.start} of the line"}
    else:
        line = raw.removeprefix("\ufeff")
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return _error(line, f"invalid JSON: {exc.msg} at column {exc.colno}")
    if not isinstance(data, dict):
        return _error(line, "a line must hold a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            message = err["msg"].removeprefix("Value error, ")
            problems.append(f"{where}: {message}" if where else message)
        return _error(line, "; ".join(problems))


def _item(line: ClassifyLine) -> Item:
    """The line as a report, assessed as a stored one is (the places of an order it gives
    first); without a time it is taken as published before every dated one."""
    published = line.published or UNDATED
    if published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    return Item(
        id=line.id,
        source=line.source or "unknown",
        guid=None,
        url=canonical_url(line.url) if line.url else None,
        title=line.title or "",
        text=line.text,
        summary_html="",
        lang_hint=line.lang,
        published=published,
        fetched=published,
        content_hash=content_hash(line.title or "", line.text),
    )


def classify_lines(
    lines: Iterable[str | bytes], classifier: Classifier
) -> Iterator[dict[str, Any]]:
    for line in lines:
        if not line.strip():
            continue
        parsed = _read(line, ClassifyLine)
        if isinstance(parsed, dict):
            yield parsed
            continue
        answer = attempted(classifier, _item(parsed))
        yield unreadable_json(answer) if isinstance(answer, Unreadable) else assessment_json(answer)


def cluster_lines(lines: Iterable[str | bytes], classifier: Classifier) -> list[dict[str, Any]]:
    """Every item's story; the clustering sees items in order of publication. Items without a
    `published` time are taken as published together, before every dated one."""
    results: list[dict[str, Any]] = []
    entries: list[tuple[int, AssessedItem]] = []
    lines_of: dict[str, int] = {}  # item id -> its line of output
    for line in lines:
        if not line.strip():
            continue
        parsed = _read(line, ClusterLine)
        if isinstance(parsed, dict):
            results.append(parsed)
            continue
        if parsed.id in lines_of:
            problem = f"duplicate id: the same as output line {lines_of[parsed.id]}"
            results.append({"id": parsed.id, "error": problem})
            continue
        item = _item(parsed)
        answer = attempted(classifier, item)
        if isinstance(answer, Unreadable):
            results.append(unreadable_json(answer))
            continue
        lines_of[parsed.id] = len(results) + 1
        results.append({"id": parsed.id, "story": None})
        entries.append((len(results) - 1, AssessedItem(item, answer.assessment)))
    with collector_paused():
        clusterer = Clusterer(Vocabulary(entry for _, entry in entries))
        for _, entry in sorted(entries, key=lambda e: (e[1].item.published, e[0])):
            clusterer.add(entry)
        clusterer.merge()
    for index, entry in entries:
        story, reason = clusterer.story_of(entry.item.id)
        results[index] = {"id": entry.item.id, "story": story, "reason": reason}
    return results
