"""Whole-word phrase matching over folded text with one Aho-Corasick automaton.

A pattern matches whole words of the folded text. A trailing ``*`` lets its last word continue
(``evacuat*``). Arabic patterns also match after clitic prefixes (و ف ب ك ل and the article ال,
so ``غارة`` finds ``والغارة``). Each pattern carries any number of payloads (what it means).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

import ahocorasick

from digest.text import ARABIC_CLITICS, Folded, fold_plain, is_arabic, is_word_char, word_end

P = TypeVar("P")


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
            self._automaton.add_word(word, (word, tuple(variants)))
        self.size = len(grouped)
        if grouped:
            self._automaton.make_automaton()

    def find(self, folded: Folded) -> list[Match[P]]:
        if not self.size:
            return []
        text = folded.text
        found: list[Match[P]] = []
        for last, (key, variants) in self._automaton.iter(text):
            start = last - len(key) + 1
            if not _left_boundary(text, start, key):
                continue
            end = last + 1
            closed = end == len(text) or not is_word_char(text[end])
            for prefix, payloads in variants:
                if closed or prefix:
                    found.append(Match(start, word_end(text, end), payloads, key))
        return found


def _left_boundary(text: str, start: int, key: str) -> bool:
    if start == 0 or not is_word_char(text[start - 1]):
        return True
    if not is_arabic(key[0]):
        return False
    begin = start
    while begin > 0 and is_word_char(text[begin - 1]):
        begin -= 1
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
