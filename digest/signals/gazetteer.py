"""The multilingual gazetteer: Lebanon's governorates, districts and localities with OCHA P-codes,
the neighbours' admin-1 units and main cities, and countries; built by scripts/build_gazetteer.py
from GeoNames and OCHA data (see gazetteer/README.md for sources and licences).
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from pathlib import Path

from digest.resources import package_data
from digest.signals.matcher import Match, longest_first
from digest.text import Folded, fold_plain
from digest.types import Location, Precision

GAZETTEER_DIR = package_data("signals", "gazetteer")
PRECISION_RANK: dict[str, int] = {"locality": 0, "admin2": 1, "admin1": 2, "country": 3}


@dataclass(frozen=True, slots=True)
class Place:
    id: str
    level: Precision
    name: str
    country: str
    admin1: str | None
    admin1_pcode: str | None
    admin2: str | None
    admin2_pcode: str | None
    lat: float | None
    lon: float | None
    population: int
    admin2_inferred: bool = False

    def location(self) -> Location:
        return Location(
            name=self.name,
            place=self.name if self.level == "locality" else None,
            country=self.country,
            admin1=self.admin1,
            admin1_pcode=self.admin1_pcode,
            admin2=self.admin2,
            admin2_pcode=self.admin2_pcode,
            lat=self.lat,
            lon=self.lon,
            precision=self.level,
        )

    @property
    def pcode(self) -> str | None:
        """The most precise P-code that contains this place."""
        return self.admin2_pcode or self.admin1_pcode


@dataclass(frozen=True, slots=True)
class Name:
    """A place under one of its names. The capital letters of a Latin name must be capitals in
    the text too (so "Hasbaya" matches, but the English word "sour" does not find Tyre, nor "the
    south" of a town the South governorate): `capitals` holds their positions in the name."""

    place: Place
    capitals: tuple[int, ...]

    @classmethod
    def of(cls, name: str, place: Place) -> Name:
        return cls(place, tuple(i for i, char in enumerate(name) if char.isupper()))


@dataclass(frozen=True, slots=True)
class Mention:
    start: int  # folded offsets
    end: int
    candidates: tuple[Place, ...]


class Gazetteer:
    def __init__(
        self,
        places: dict[str, Place],
        names: list[tuple[str, Place]],
        demonyms: Sequence[tuple[str, str]] = (),
        cues: Mapping[str, frozenset[str]] | None = None,
    ) -> None:
        self.places = places
        # matched by the classifier together with the lexicons, in one pass
        self.name_entries = tuple((name, Name.of(name, place)) for name, place in names)
        self.demonym_entries = tuple(demonyms)
        self._cues = dict(cues or {})
        self._spellings: dict[str, _Spellings] = {}  # by the folded phrase matched
        self.by_pcode = {p.id: p for p in places.values() if p.level in ("admin1", "admin2")}

    @classmethod
    def load(cls, directory: Path = GAZETTEER_DIR) -> Gazetteer:
        places: dict[str, Place] = {}
        names: list[tuple[str, Place]] = []
        for row in _rows(directory / "places.tsv"):
            place = Place(
                id=row["id"],
                level=_level(row["level"]),
                name=row["name"],
                country=row["country"],
                admin1=row["admin1"] or None,
                admin1_pcode=row["admin1_pcode"] or None,
                admin2=row["admin2"] or None,
                admin2_pcode=row["admin2_pcode"] or None,
                lat=float(row["lat"]) if row["lat"] else None,
                lon=float(row["lon"]) if row["lon"] else None,
                population=int(row["population"] or 0),
                admin2_inferred=row.get("admin2_inferred") == "1",
            )
            places[place.id] = place
            names += [(name, place) for name in row["names"].split("|") if name]
        for row in _rows(directory / "aliases.tsv"):
            target = places[row["target_id"]]
            names += [(name, target) for name in row["names"].split("|") if name]
        demonyms = [
            (name, row["country"])
            for row in _rows(directory / "demonyms.tsv")
            for name in row["names"].split("|")
            if name
        ]
        cues = {
            fold_plain(row["name"]): frozenset(fold_plain(c) for c in row["cues"].split("|"))
            for row in _rows(directory / "ambiguous.tsv")
        }
        return cls(places, names, demonyms, cues)

    def mentions(self, matches: list[Match[Name]], folded: Folded, original: str) -> list[Mention]:
        """The place names among matches of `name_entries`, each with every place it may name;
        a name that is also a common word (ambiguous.tsv) counts only after one of its cue
        words ("في صور")."""
        found: list[Mention] = []
        for match in matches:
            cues = self._cues.get(match.pattern)
            if cues is not None and not _cued(folded.text, match.start, cues):
                continue
            candidates = self._spelling(match).candidates(match, folded, original)
            if candidates:
                found.append(Mention(match.start, match.end, candidates))
        return longest_first(found)

    def _spelling(self, match: Match[Name]) -> _Spellings:
        spellings = self._spellings.get(match.pattern)
        if spellings is None or spellings.names is not match.payloads:
            spellings = self._spellings[match.pattern] = _Spellings.of(match.payloads)
        return spellings


@dataclass(frozen=True, slots=True)
class _Spellings:
    """The names a matched phrase may be, grouped by their capital letters (the names of a match
    share a few spellings), and the places they name when every spelling is capitalised."""

    names: tuple[Name, ...]
    capitals: tuple[tuple[int, ...], ...]
    spelling_of: tuple[int, ...]  # for each name, its index in `capitals`
    places: tuple[Place, ...]

    @classmethod
    def of(cls, names: tuple[Name, ...]) -> _Spellings:
        capitals = tuple(dict.fromkeys(name.capitals for name in names))
        spelling_of = tuple(capitals.index(name.capitals) for name in names)
        return cls(names, capitals, spelling_of, _places(names))

    def candidates(self, match: Match[Name], folded: Folded, original: str) -> tuple[Place, ...]:
        """The places named by the names whose capital letters are capitals in the original
        text too."""
        if self.capitals == ((),):  # no capital letter to check (Arabic names)
            return self.places
        written = [_capitalised(capitals, match, folded, original) for capitals in self.capitals]
        if all(written):
            return self.places
        return _places(
            tuple(n for n, s in zip(self.names, self.spelling_of, strict=True) if written[s])
        )


def _places(names: tuple[Name, ...]) -> tuple[Place, ...]:
    return tuple(dict.fromkeys(name.place for name in names))


def _capitalised(
    capitals: tuple[int, ...], match: Match[Name], folded: Folded, original: str
) -> bool:
    start, end = match.start, match.end
    return all(
        original[folded.original_index(start + i)].isupper() for i in capitals if start + i < end
    )


@lru_cache(maxsize=8192)
def _codes_of(places: tuple[Place, ...]) -> frozenset[str]:
    """The codes of the places and of the units they lie in."""
    return frozenset(
        code
        for place in places
        for code in (place.admin1_pcode, place.admin2_pcode, place.id)
        if code
    )


def resolve(mentions: list[Mention], scope: frozenset[str]) -> list[tuple[Mention, Place]]:
    """Choose one place per mention: the reading that shares a district (else a governorate)
    with the most other mentions ("Talya (Baalbek)"), else one in the region of interest, else
    the seat of a district or governorate of the same name, else the most populous."""
    mention_codes = [_codes_of(m.candidates) for m in mentions]
    mentions_with = Counter(chain.from_iterable(mention_codes))
    chosen = []
    for mention, codes in zip(mentions, mention_codes, strict=True):
        if len(mention.candidates) == 1:
            chosen.append((mention, mention.candidates[0]))
            continue

        def support(place: Place, codes: frozenset[str] = codes) -> tuple[int, int]:
            """How many other mentions may stand in the place's district, and governorate."""
            district, governorate = place.admin2_pcode, place.admin1_pcode
            return (
                mentions_with[district] - (district in codes) if district else 0,
                mentions_with[governorate] - (governorate in codes) if governorate else 0,
            )

        best = max(
            mention.candidates,
            key=lambda p: (
                support(p),
                "*" in scope or p.country in scope,
                p.country == "LB",
                p.level == "locality" and p.name in (p.admin2, p.admin1),
                -PRECISION_RANK[p.level],
                p.population,
            ),
        )
        chosen.append((mention, best))
    return chosen


def _cued(text: str, start: int, cues: frozenset[str]) -> bool:
    """The word before `start` is one of the cues, standing on its own ("في صور", not "بصور",
    which may as well be "with pictures")."""
    if start and text[start - 1].isalnum():
        return False
    words = text[max(0, start - 30) : start].split()
    return bool(words) and words[-1] in cues


def _level(value: str) -> Precision:
    if value not in PRECISION_RANK:
        raise ValueError(f"unknown gazetteer level {value!r}")
    return value  # type: ignore[return-value]


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
