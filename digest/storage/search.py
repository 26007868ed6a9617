"""The archive's full-text index: what is stored for each item, and how a reader's query becomes
an FTS5 expression over it.

Both sides fold text as the signal engine does (case, accents, Arabic letter forms, tashkeel,
tatweel, Arabic-Indic digits), so "Nabatiyé", "nabatiye" and "النبطيّة"/"النبطيه" meet. Arabic
words written with a clitic prefix ("وبالضاحية") are also indexed without it, in a second column,
so a search for "الضاحية" or "ضاحية" finds them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator

from digest.errors import DigestError
from digest.text import ARABIC_CLITICS, fold_plain, is_arabic

# FTS5's unicode61 tokenizer: runs of letters and digits (underscore separates).
_TOKEN = re.compile(r"[^\W_]+")
_CLITICS = sorted(ARABIC_CLITICS, key=len, reverse=True)
_SHORTEST_STEM = 2
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class QueryError(DigestError):
    """A search query that asks for nothing that can be searched."""


def tokens(folded: str) -> list[str]:
    return _TOKEN.findall(folded)


def _stems(token: str) -> tuple[str, ...]:
    return tuple(
        token[len(prefix) :]
        for prefix in _CLITICS
        if token.startswith(prefix) and len(token) - len(prefix) >= _SHORTEST_STEM
    )


class _Stems(dict[str, tuple[str, ...]]):
    """An Arabic word -> its stems without clitic prefixes, each worked out once (a poll indexes
    thousands of reports sharing most of their words)."""

    def __missing__(self, token: str) -> tuple[str, ...]:
        if len(self) > _STEMS_KEPT:  # a service runs for months: the cache starts again
            self.clear()
        stems = self[token] = _stems(token)
        return stems


_STEMS_OF = _Stems()
_STEMS_KEPT = 200_000


def document(title: str, text: str) -> tuple[str, str]:
    """The two indexed columns of an item: its folded words, and its Arabic words without their
    clitic prefixes."""
    body = fold_plain(f"{title}\n{text}")
    arabic = [token for token in set(tokens(body)) if is_arabic(token[0])]
    stems = {stem for token in arabic for stem in _STEMS_OF[token]}
    return body, " ".join(sorted(stems))


def time_key(published: datetime) -> int:
    """Microseconds since 1970: the index's row key, so that newest-first is the index order and
    a date range is a key range. Two items published in the same microsecond take the next free
    key."""
    delta = published.astimezone(UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def categories_field(codes: tuple[str, ...] | list[str]) -> str:
    """Category codes as one searchable field: " airstrike shelling "."""
    return f" {' '.join(codes)} " if codes else " "


_QUERY_PART = re.compile(r'(-?)"([^"]*)"?|(\S+)')


@dataclass(frozen=True, slots=True)
class _Term:
    words: list[str]  # folded
    prefix: bool  # the last word may go on (word*)
    excluded: bool  # -word


def _read(query: str) -> Iterator[_Term | None]:
    """The terms a reader typed, in order; None for an OR between two of them."""
    for match in _QUERY_PART.finditer(query):
        negated, phrase, word = match.group(1), match.group(2), match.group(3)
        if word == "OR":
            yield None
            continue
        if word is not None:
            negated = "-" if word.startswith("-") and len(word) > 1 else ""
            phrase = word[1:] if negated else word
        words = tokens(fold_plain(phrase))
        if words:
            yield _Term(words, phrase.endswith("*"), bool(negated))


def match_expression(query: str) -> str:
    """An FTS5 expression for what a reader types: words (all must appear), "a phrase",
    prefix* , `OR` between two terms, -word to leave out. Anything else is literal text, so no
    input is an FTS5 syntax error."""
    groups: list[list[str]] = []
    excluded: list[str] = []
    join_next = False
    for term in _read(query):
        if term is None:
            join_next = bool(groups)
            continue
        fts = '"' + " ".join(term.words) + '"' + ("*" if term.prefix else "")
        if term.excluded:
            excluded.append(fts)
        elif join_next:
            groups[-1].append(fts)
        else:
            groups.append([fts])
        join_next = False
    if not groups:
        raise QueryError(
            "nothing to search for: give at least one word that is not left out with -"
            if excluded
            else "nothing to search for: the query has no letters or digits"
        )
    wanted = " AND ".join(
        group[0] if len(group) == 1 else "(" + " OR ".join(group) + ")" for group in groups
    )
    return wanted + "".join(f" NOT {term}" for term in excluded)


def query_words(query: str) -> list[str]:
    """The folded words a query looks for (not those it leaves out), for highlighting."""
    return [word for term in _read(query) if term and not term.excluded for word in term.words]


FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9000, 12, 31)
LOWEST_KEY, HIGHEST_KEY = -(2**63), 2**63 - 1
MAX_OFFSET = 10_000


class SearchFilters(BaseModel):
    """What the archive's search, its API and its exports filter on (all optional)."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    q: str = Field(default="", max_length=500)
    # days, inclusive, in the archive's time zone
    start: date | None = Field(default=None, alias="from", ge=FIRST_DAY, le=LAST_DAY)
    end: date | None = Field(default=None, alias="to", ge=FIRST_DAY, le=LAST_DAY)
    region: str | None = Field(default=None, pattern=r"^[A-Z]{2}[0-9A-Z]{0,10}$")
    category: str | None = Field(default=None, pattern=r"^[a-z_]{2,40}$")
    severity: int | None = Field(default=None, ge=0, le=4)  # at least
    lang: str | None = Field(default=None, pattern=r"^[a-z]{2,3}$")
    source: str | None = Field(default=None, max_length=200)
    risk: bool = False  # only items that matter for staff safety
    sort: Literal["newest", "relevance"] = "newest"
    before: int | None = None  # newest: continue below this key
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)  # relevance: skip this many

    @model_validator(mode="after")
    def _sensible(self) -> SearchFilters:
        if self.start and self.end and self.end < self.start:
            raise ValueError("the end date is before the start date")
        if self.sort == "relevance" and not self.q.strip():
            raise ValueError("sorting by relevance needs words to search for")
        return self

    def key_range(self, zone: str = "UTC") -> tuple[int, int]:
        """The index keys the dates (days in `zone`) and the cursor allow, inclusive."""
        tz = ZoneInfo(zone)
        low = time_key(datetime.combine(self.start, time(), tz)) if self.start else LOWEST_KEY
        high = (
            time_key(datetime.combine(self.end + timedelta(days=1), time(), tz)) - 1
            if self.end
            else HIGHEST_KEY
        )
        if self.before is not None:
            high = min(high, self.before - 1)
        return low, high

    def as_params(self, **changes: object) -> dict[str, str]:
        """The filters as query parameters (for links to the next page, feeds, exports)."""
        values = self.model_dump(by_alias=True, exclude_defaults=True) | changes
        return {
            name: str(value).lower() if isinstance(value, bool) else str(value)
            for name, value in values.items()
            if value not in (None, "", False)
        }
