"""Whole-word phrase matching over folded text with one Aho-Corasick automaton.

A pattern matches whole words of the folded text. A trailing ``*`` lets its last word continue
(``evacuat*``). Arabic patterns also match after clitic prefixes (و ف ب ك ل and the article ال,
so ``غارة`` finds ``والغارة``). Each pattern carries any number of payloads (what it means).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import ahocorasick

from digest.text import ARABIC_CLITICS, Folded, fold_plain, is_arabic, word_end

P = TypeVar("P")


class Span(Protocol):
    @property
    def start(self) -> int: ...

    @property
    def end(self) -> int: ...


S = TypeVar("S", bound=Span)
CLITIC_MAX = max(len(prefix) for prefix in ARABIC_CLITICS)


# not frozen: a frozen dataclass is x3 slower to create, and a text has dozens of matches
@dataclass(slots=True)
class Match(Generic[P]):
    start: int  # folded offsets
    end: int
    payloads: tuple[P, ...]
    pattern: str


def compile_pattern(term: str) -> tuple[str, bool]:
    """The folded key of a term and whether it is a prefix pattern."""
    term = " ".join(term.split())
    prefix = term.endswith("*")
    return fold_plain(term.rstrip("*").strip()), prefix


class MultiMatcher:
    """Phrases of several kinds matched in one pass; find() returns the matches of each kind."""

    def __init__(self, kinds: Mapping[str, Iterable[tuple[str, object]]]) -> None:
        # folded word -> whether a prefix pattern -> kind -> meanings
        meanings: dict[str, dict[bool, dict[str, dict[object, None]]]] = {}
        for kind, entries in kinds.items():
            for phrase, meaning in entries:
                word, prefix = compile_pattern(phrase)
                if word:
                    by_kind = meanings.setdefault(word, {}).setdefault(prefix, {})
                    by_kind.setdefault(kind, {})[meaning] = None
        self._automaton = ahocorasick.Automaton()
        for word, variants in meanings.items():
            # what the word means where it ends a word, and where a word goes on past it
            closed = tuple(
                (kind, tuple(values))
                for by_kind in variants.values()
                for kind, values in by_kind.items()
            )
            open_ = tuple(
                (kind, tuple(values))
                for prefix, by_kind in variants.items()
                if prefix
                for kind, values in by_kind.items()
            )
            value = (word, len(word), is_arabic(word[0]), closed, open_)
            self._automaton.add_word(word, value)
        self.size = len(meanings)
        if meanings:
            self._automaton.make_automaton()
        self.kinds = tuple(kinds)

    def find(self, folded: Folded) -> dict[str, list[Match[Any]]]:
        found: dict[str, list[Match[Any]]] = {kind: [] for kind in self.kinds}
        if not self.size:
            return found
        text = folded.text
        size = len(text)
        # the hot loop of classification: boundary tests are inlined
        for last, (key, length, arabic, closed, open_) in self._automaton.iter(text):
            start = last - length + 1
            if start and text[start - 1].isalnum() and not (arabic and _clitic(text, start)):
                continue
            end = last + 1
            if end == size or not text[end].isalnum():
                for kind, payloads in closed:
                    found[kind].append(Match(start, end, payloads, key))
            elif open_:
                stop = word_end(text, end)
                for kind, payloads in open_:
                    found[kind].append(Match(start, stop, payloads, key))
        return found


def _clitic(text: str, start: int) -> bool:
    """Whether the letters joined before `start` are Arabic clitic prefixes (و ف ب ك ل ال)."""
    begin = start
    while begin > 0 and text[begin - 1].isalnum():
        begin -= 1
        if start - begin > CLITIC_MAX:
            return False
    return text[begin:start] in ARABIC_CLITICS


def longest_first(matches: list[S]) -> list[S]:
    """Non-overlapping matches, preferring the longest at each place."""
    chosen: list[S] = []  # by start; disjoint, so by end too
    starts: list[int] = []
    for match in sorted(matches, key=lambda m: (-(m.end - m.start), m.start)):
        # of the chosen starting before this match ends, the last ends last
        before = bisect_left(starts, match.end)
        if not before or chosen[before - 1].end <= match.start:
            chosen.insert(before, match)
            starts.insert(before, match.start)
    return chosen


def overlaps(a: Match[P] | tuple[int, int], spans: Iterable[tuple[int, int]]) -> bool:
    start, end = (a.start, a.end) if isinstance(a, Match) else a
    return any(start < e and s < end for s, e in spans)
