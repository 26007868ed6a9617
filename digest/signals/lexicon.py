"""Category lexicons: data files per language, merged with the user's terms from config.

Each ``lexicons/<lang>.toml`` has one table per category code (``terms``, ``exclude``, and
``near`` rules: two word lists that mean the category when they stand close together), and the
tables ``_exclude`` (global traps), ``_context`` (registers such as sport that make a term
unreliable), ``_actors`` (armed and security actors of the region), ``_casualties`` (words for
the killed, injured and missing, and idioms to ``exclude`` such as "dead end"), ``_numbers``
(number words), ``_implied_counts`` (words that carry a count: Arabic duals) and ``_targets``
(civilians, aid workers, the UN, journalists, health care, homes: what raises severity) and
``_hedges`` (fears and possibilities: "fearing further shelling" is not shelling). All
languages share one automaton: folding makes the scripts disjoint, and mixed-language posts are
common.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from digest.errors import ConfigError
from digest.resources import package_data
from digest.signals.categories import CATEGORY_CODES
from digest.text import fold_plain

GLOBAL = "*"
LEXICON_DIR = package_data("signals", "lexicons")
DEFAULT_WITHIN = 4


@dataclass(frozen=True, slots=True)
class NearRule:
    """Two word lists that mean a category when a word of each stands within `within` words of
    the other, in either order: a weapon and a verb of attack ("drone ... targeted a car")."""

    category: str
    within: int


@dataclass(frozen=True, slots=True)
class NearSide:
    rule: int
    side: str  # "a" or "b"


Entries = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Lexicon:
    """The phrases of every kind, as (phrase, meaning) pairs; the classifier matches all kinds,
    and the gazetteer's names, in one pass over a text."""

    terms: Entries
    near_words: tuple[tuple[str, NearSide], ...]
    near_rules: tuple[NearRule, ...]
    excludes: Entries
    context: Entries
    actors: Entries
    casualties: Entries
    targets: Entries
    hedges: Entries
    numbers: Mapping[str, int]
    implied_counts: Mapping[str, int]

    def kinds(self) -> dict[str, tuple[tuple[str, object], ...]]:
        return {
            "terms": self.terms,
            "near": self.near_words,
            "excludes": self.excludes,
            "context": self.context,
            "actors": self.actors,
            "casualties": self.casualties,
            "targets": self.targets,
            "hedges": self.hedges,
        }


def load_lexicon(
    extra_terms: Mapping[str, Iterable[str]] | None = None,
    extra_excludes: Iterable[str] = (),
    directory: Path = LEXICON_DIR,
) -> Lexicon:
    tables = [_read(path) for path in sorted(directory.glob("*.toml"))]
    if not tables:
        raise ConfigError([f"no lexicon files in {directory}"])
    terms: list[tuple[str, str]] = []
    near_words: list[tuple[str, NearSide]] = []
    near_rules: list[NearRule] = []
    excludes: list[tuple[str, str]] = [(phrase, GLOBAL) for phrase in extra_excludes]
    context: list[tuple[str, str]] = []
    actors: list[tuple[str, str]] = []
    casualties: list[tuple[str, str]] = []
    targets: list[tuple[str, str]] = []
    hedges: list[tuple[str, str]] = []
    numbers: dict[str, int] = {}
    implied: dict[str, int] = {}
    for table in tables:
        for code in CATEGORY_CODES:
            section = table.get(code, {})
            terms += [(term, code) for term in section.get("terms", [])]
            excludes += [(term, code) for term in section.get("exclude", [])]
            for rule in section.get("near", []):
                number = len(near_rules)
                near_rules.append(NearRule(code, int(rule.get("within", DEFAULT_WITHIN))))
                near_words += [(word, NearSide(number, "a")) for word in rule["a"]]
                near_words += [(word, NearSide(number, "b")) for word in rule["b"]]
        excludes += [(p, GLOBAL) for p in table.get("_exclude", {}).get("phrases", [])]
        for register, words in table.get("_context", {}).items():
            context += [(word, register) for word in words]
        actors += [(term, "actor") for term in table.get("_actors", {}).get("terms", [])]
        for kind, words in table.get("_casualties", {}).items():
            casualties += [(word, kind) for word in words]
        for kind, words in table.get("_targets", {}).items():
            targets += [(word, kind) for word in words]
        hedges += [(word, "hedge") for word in table.get("_hedges", {}).get("words", [])]
        for word, value in table.get("_numbers", {}).items():
            numbers[fold_plain(word)] = int(value)
        for word, value in table.get("_implied_counts", {}).items():
            implied[fold_plain(word)] = int(value)
    for code, extra in (extra_terms or {}).items():
        terms += [(term, code) for term in extra]
    return Lexicon(
        terms=tuple(terms),
        near_words=tuple(near_words),
        near_rules=tuple(near_rules),
        excludes=tuple(excludes),
        context=tuple(context),
        actors=tuple(actors),
        casualties=tuple(casualties),
        targets=tuple(targets),
        hedges=tuple(hedges),
        numbers=numbers,
        implied_counts=implied,
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError([f"lexicon {path.name}: {exc}"]) from None
