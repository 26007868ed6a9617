"""Whole-word phrase matching over folded text with one Aho-Corasick automaton.

A pattern matches whole words of the folded text. A trailing ``*`` lets its last word continue
(``evacuat*``). Arabic patterns also match after clitic prefixes (و ف ب ك ل and the article ال,
so ``غارة`` finds ``والغارة``). Each pattern carries any number of payloads (what it means).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import ahocorasick

from digest.text import ARABIC_CLITICS, Folded, fold_plain, is_arabic, word_end

P = TypeVar("P")
CLITIC_MAX = max(len(prefix) for prefix in ARABIC_CLITICS)


@dataclass(frozen=True, slots=True)
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


class PhraseMatcher(Generic[P]):
    def __init__(self, entries: Iterable[tuple[str, P]]) -> None:
        payloads: dict[tuple[str, bool], list[P]] = {}
        for term, payload in entries:
            key = compile_pattern(term)
            if key[0]:
                payloads.setdefault(key, []).append(payload)
        self._automaton = ahocorasick.Automaton()
        grouped: dict[str, list[tuple[bool, tuple[P, ...]]]] = {}
        for (word, prefix), values in payloads.items():
            grouped.setdefault(word, []).append((prefix, tuple(dict.fromkeys(values))))
        for word, variants in grouped.items():
            entry = (word, len(word), is_arabic(word[0]), tuple(variants))
            self._automaton.add_word(word, entry)
        self.size = len(grouped)
        if grouped:
            self._automaton.make_automaton()

    def find(self, folded: Folded) -> list[Match[P]]:
        if not self.size:
            return []
        text = folded.text
        size = len(text)
        found: list[Match[P]] = []
        # the hot loop of classification: boundary tests are inlined
        for last, (key, length, arabic, variants) in self._automaton.iter(text):
            start = last - length + 1
            if start and text[start - 1].isalnum() and not (arabic and _clitic(text, start)):
                continue
            end = last + 1
            closed = end == size or not text[end].isalnum()
            for prefix, payloads in variants:
                if closed or prefix:
                    found.append(
                        Match(start, end if closed else word_end(text, end), payloads, key)
                    )
        return found


class MultiMatcher:
    """Phrases of several kinds matched in one pass; find() returns the matches of each kind."""

    def __init__(self, kinds: Mapping[str, Iterable[tuple[str, object]]]) -> None:
        self._matcher: PhraseMatcher[tuple[str, object]] = PhraseMatcher(
            (phrase, (kind, meaning))
            for kind, entries in kinds.items()
            for phrase, meaning in entries
        )
        self.kinds = tuple(kinds)

    def find(self, folded: Folded) -> dict[str, list[Match[Any]]]:
        found: dict[str, list[Match[Any]]] = {kind: [] for kind in self.kinds}
        for match in self._matcher.find(folded):
            meanings: dict[str, list[object]] = {}
            for kind, meaning in match.payloads:
                meanings.setdefault(kind, []).append(meaning)
            for kind, values in meanings.items():
                found[kind].append(Match(match.start, match.end, tuple(values), match.pattern))
        return found


def _clitic(text: str, start: int) -> bool:
    """Whether the letters joined before `start` are Arabic clitic prefixes (و ف ب ك ل ال)."""
    begin = start
    while begin > 0 and text[begin - 1].isalnum():
        begin -= 1
        if start - begin > CLITIC_MAX:
            return False
    return text[begin:start] in ARABIC_CLITICS


def longest_first(matches: list[Match[P]]) -> list[Match[P]]:
    """Non-overlapping matches, preferring the longest at each place."""
    chosen: list[Match[P]] = []
    taken: list[tuple[int, int]] = []
    for match in sorted(matches, key=lambda m: (-(m.end - m.start), m.start)):
        if all(match.end <= s or match.start >= e for s, e in taken):
            chosen.append(match)
            taken.append((match.start, match.end))
    return sorted(chosen, key=lambda m: m.start)


def overlaps(a: Match[P] | tuple[int, int], spans: Iterable[tuple[int, int]]) -> bool:
    start, end = (a.start, a.end) if isinstance(a, Match) else a
    return any(start < e and s < end for s, e in spans)
