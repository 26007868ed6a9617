"""What every archive page needs: the database (one read-only connection per thread), the
templates, the regions and categories the filters offer, and links that work both served and
exported as static files."""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment
from markupsafe import Markup

from digest.config import DigestConfig
from digest.pipeline import region_parents
from digest.render import environment, reader_context
from digest.signals.categories import LABELS
from digest.signals.gazetteer import Gazetteer
from digest.storage.reader import ArchiveReader
from digest.types import SourceTier

COUNTRY_NAMES = {
    "LB": "Lebanon",
    "SY": "Syria",
    "IL": "Israel",
    "PS": "Palestine",
    "JO": "Jordan",
    "IQ": "Iraq",
    "CY": "Cyprus",
}


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str
    depth: int  # 0 country, 1 governorate, 2 district


@dataclass(frozen=True, slots=True)
class Links:
    """URLs of the archive's pages. Served: absolute from `root` ("/"). Exported: relative to
    the page's folder ("../"), with ".html" files."""

    root: str = "/"
    static_site: bool = False

    def _page(self, path: str) -> str:
        return f"{self.root}{path}{'.html' if self.static_site else ''}"

    def index(self) -> str:
        return f"{self.root}index.html" if self.static_site else self.root

    def digest(self, profile: str, day: str) -> str:
        return self._page(f"digests/{quote(profile, safe='')}/{day}")

    def email(self, profile: str, day: str) -> str:
        return self._page(f"digests/{quote(profile, safe='')}/{day}/email")

    def review(self, profile: str, day: str) -> str:
        """The reviewers' desk (served only: it takes forms)."""
        return f"{self.root}review/{quote(profile, safe='')}/{day}"

    def story(self, story_id: str) -> str:
        return self._page(f"stories/{quote(story_id, safe='')}")

    def overview(self) -> str:
        return self._page("overview")

    def orders(self) -> str:
        return self._page("orders")

    def trends(self) -> str:
        return self._page("trends")

    def search(self, params: dict[str, str] | None = None, fmt: str = "") -> str:
        query = f"?{urlencode(params)}" if params else ""
        return f"{self.root}search{fmt}{query}"

    def static(self, name: str) -> str:
        return f"{self.root}static/{name}"

    def digests_feed(self) -> str:
        return f"{self.root}digests.atom"


def regions(gazetteer: Gazetteer) -> list[Region]:
    """The filter's region tree: each country, Lebanon's governorates and districts under it."""
    units = sorted(
        (p for p in gazetteer.by_pcode.values() if p.country == "LB"),
        key=lambda p: p.admin2_pcode or p.admin1_pcode or "",
    )
    tree = [Region("LB", COUNTRY_NAMES["LB"], 0)]
    for unit in units:
        if unit.level == "admin1" and unit.admin1_pcode:
            tree.append(Region(unit.admin1_pcode, unit.name, 1))
        elif unit.admin2_pcode:
            tree.append(Region(unit.admin2_pcode, unit.name, 2))
    tree += [Region(code, name, 0) for code, name in COUNTRY_NAMES.items() if code != "LB"]
    return tree


@dataclass(frozen=True, slots=True)
class Choices:
    """The options of a <select>, escaped once: each value's markup, selected and not."""

    options: tuple[tuple[str, Markup, Markup], ...]

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, str]]) -> Choices:
        chosen = Markup('<option value="{}" selected>{}</option>')
        other = Markup('<option value="{}">{}</option>')
        return cls(
            tuple((v, chosen.format(v, label), other.format(v, label)) for v, label in pairs)
        )

    def html(self, selected: object) -> Markup:
        return Markup("").join(on if value == selected else off for value, on, off in self.options)


SOURCES_FRESH_S = 60.0  # the source list of the search form is read again this often


class Site:
    def __init__(
        self,
        database: Path,
        env: Environment,
        gazetteer: Gazetteer,
        timezone: str = "Asia/Beirut",
        page_size: int = 25,
        base_url: str | None = None,
        language: str = "en",
        tiers: Mapping[str, SourceTier] | None = None,
    ) -> None:
        """`language`: where a story has reports in several, its headline is taken from one in
        this language; `tiers`: the sources' tiers, for corroboration."""
        self.tiers = tiers
        self.database = database
        self.base_url = base_url
        self.language = language
        self.env = env
        self.timezone = timezone
        self.page_size = page_size
        self.regions = regions(gazetteer)
        self.region_names = {r.code: r.name for r in self.regions}
        self.parents = region_parents(gazetteer)
        self.region_choices = Choices.of(
            (r.code, f"{chr(160) * 2 * r.depth}{r.name} ({r.code})") for r in self.regions
        )
        self.category_choices = Choices.of(sorted(LABELS.items(), key=lambda pair: pair[1]))
        self._sources: tuple[float, Choices] | None = None
        self._local = threading.local()
        # a reader closes with its thread (the pool ends idle threads); these are the living
        self._opened: weakref.WeakSet[ArchiveReader] = weakref.WeakSet()
        self._lock = threading.Lock()

    @classmethod
    def configured(cls, config: DigestConfig) -> Site:
        web = config.web
        return cls(
            config.storage.database,
            environment(),
            Gazetteer.load(),
            web.timezone,
            web.page_size,
            web.base_url,
            web.language,
            config.source_tiers(),
        )

    @property
    def reader(self) -> ArchiveReader:
        """This thread's read-only connection, opened on first use."""
        reader: ArchiveReader | None = getattr(self._local, "reader", None)
        if reader is None:
            reader = ArchiveReader(self.database, self.timezone)
            self._local.reader = reader
            with self._lock:
                self._opened.add(reader)
        return reader

    def source_choices(self) -> Choices:
        """The sources to filter on, read at most every SOURCES_FRESH_S."""
        now = time.monotonic()
        if self._sources is None or now - self._sources[0] > SOURCES_FRESH_S:
            names = self.reader.source_names()
            self._sources = (now, Choices.of((name, name) for name in names))
        return self._sources[1]

    def close(self) -> None:
        with self._lock:
            for reader in list(self._opened):
                reader.close()
            self._opened = weakref.WeakSet()

    def render(self, template: str, links: Links, **values: Any) -> str:
        return self.env.get_template(template).render(
            **reader_context("en", self.timezone),
            links=links,
            **values,
        )
