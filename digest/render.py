"""Rendering digests with jinja2: HTML and plain text from templates users may override.

A template in the user's folder replaces the default of the same name; the default stays
reachable as ``default:NAME`` so an override can extend it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import css_inline
from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    select_autoescape,
)

from digest import briefing
from digest.resources import templates_dir
from digest.signals.categories import LABELS
from digest.types import (
    WEEK,
    Casualties,
    Change,
    Corroboration,
    Digest,
    DistrictTrend,
    Lapse,
    Location,
    OrderLine,
    OrderRecord,
    Rendered,
    StoryView,
)
from digest.wording import count, date_text, say

MAX_HTML_BYTES = 95_000
_INLINER = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)
SEVERITY_LABELS = {0: "none", 1: "low", 2: "moderate", 3: "high", 4: "critical"}
SNIPPET_CHARS = 160


@dataclass(frozen=True, slots=True)
class Snippet:
    before: str
    match: str
    after: str

    def __str__(self) -> str:
        return f"{self.before}{self.match}{self.after}"


def environment(user_templates: Path | None = None) -> Environment:
    default = FileSystemLoader(templates_dir())
    loaders = [FileSystemLoader(user_templates)] if user_templates else []
    env = Environment(
        loader=ChoiceLoader([*loaders, default, PrefixLoader({"default": default}, delimiter=":")]),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["label"] = label
    env.filters["severity_label"] = severity_label
    env.filters["snippet"] = snippet
    env.filters["where"] = where
    env.filters["toll"] = toll
    return env


def local(moment: datetime, zone: str, fmt: str = "%d %b %H:%M", language: str = "en") -> str:
    return date_text(moment.astimezone(ZoneInfo(zone)), fmt, language)


def label(code: str, language: str = "en") -> str:
    return say(LABELS.get(code, code), language)


def severity_label(level: int, language: str = "en") -> str:
    return say(SEVERITY_LABELS.get(level, str(level)), language)


def snippet(view: StoryView) -> Snippet:
    """One line of the lead item's text around its first category evidence; the title is shown
    anyway, so evidence in the body is preferred."""
    lead = view.lead
    text = lead.item.analysed_text
    body_start = len(lead.item.title) + 1
    spans = [e for e in lead.assessment.evidence if e.kind == "category" and e.start >= body_start]
    if not spans:
        line = lead.item.text.split("\n", 1)[0] or lead.item.title
        return Snippet(_shorten(line, SNIPPET_CHARS), "", "")
    first = spans[0]
    line_start = text.rfind("\n", 0, first.start) + 1
    line_end = text.find("\n", first.end)
    line_end = len(text) if line_end < 0 else line_end
    before = text[line_start : first.start]
    after = text[first.end : line_end]
    room = max(20, (SNIPPET_CHARS - (first.end - first.start)) // 2)
    if len(before) > room:
        before = "…" + before[-room:].split(" ", 1)[-1]
    if len(after) > room:
        after = after[:room].rsplit(" ", 1)[0] + "…"
    return Snippet(before, text[first.start : first.end], after)


def toll(casualties: Casualties, language: str = "en") -> str:
    """ "3 killed, 4 injured", leaving out a figure no report gives."""
    parts = []
    if casualties.killed:
        parts.append(say("{count} killed", language, count=casualties.killed))
    if casualties.injured:
        parts.append(say("{count} injured", language, count=casualties.injured))
    return ("، " if language == "ar" else ", ").join(parts)


def where(location: Location) -> str:
    """A place with the unit around it: "Harouf, El Nabatieh"; "Tripoli" alone when the place
    is its own district."""
    around = next((u for u in (location.admin2, location.admin1) if u and u != location.name), None)
    return f"{location.name}, {around}" if around else location.name


LINES = {
    "north": "north of the {feature}",
    "south": "south of the {feature}",
    "east": "east of the {feature}",
    "west": "west of the {feature}",
}


def order_places(record: OrderRecord) -> list[tuple[str, str | None, list[str]]]:
    """The places of an order by district: (district, its P-code, the places' names); a
    district or governorate ordered as a whole stands as its own name."""
    groups: dict[tuple[str, str | None], list[str]] = {}
    for place in record.places:
        if place.precision == "locality":
            key = (place.admin2 or place.admin1 or "", place.admin2_pcode or place.admin1_pcode)
        else:
            key = ("", place.admin2_pcode or place.admin1_pcode)
        groups.setdefault(key, []).append(place.name)
    return [(district, pcode, names) for (district, pcode), names in groups.items()]


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def summary_line(digest: Digest) -> str:
    """The day at a glance: evacuation orders issued, how many stories, where most against its
    usual, which districts are newly affected or quiet after activity, how many early warnings,
    orders expired."""
    lang = digest.language
    joined = "؛ " if lang == "ar" else "; "
    issued, expired = _orders_issued(digest), _orders_expired(digest)
    if not digest.items_considered or not (digest.views or digest.orders):
        head = say(
            "No reports were received in this window: check that the sources are being read."
            if not digest.items_considered
            else "Quiet day: no incident above the profile's threshold was reported.",
            lang,
        )
        return f"{head} {joined.join(issued + expired)}." if issued or expired else head
    parts = issued + _incidents(digest) + _warnings(digest) + expired
    return joined.join(parts) + "."


def _orders_issued(digest: Digest) -> list[str]:
    if not digest.orders:
        return []
    lang = digest.language
    text = count("1 evacuation order", "{count} evacuation orders", len(digest.orders), lang)
    names = [name for r in digest.orders for _, _, found in order_places(r) for name in found]
    return [text + say(": {places}", lang, places=_listed(list(dict.fromkeys(names)), lang))]


def _orders_expired(digest: Digest) -> list[str]:
    if not digest.expired:
        return []
    number = len(digest.expired)
    return [count("1 order expired", "{count} orders expired", number, digest.language)]


def _incidents(digest: Digest) -> list[str]:
    """How many, where most against its usual, districts newly affected and quiet."""
    lang = digest.language
    parts = []
    busiest = max(digest.trends.districts, key=lambda d: d.today, default=None)
    if digest.story_count:
        text = count("1 incident", "{count} incidents", digest.story_count, lang)
        if busiest is not None and busiest.today > 1:
            text += say(", {count} in {place}", lang, count=busiest.today, place=busiest.district)
            text += _against_week(busiest, lang)
        parts.append(text)
    newly = [d.district for d in digest.trends.having("new") if d is not busiest]
    if newly:
        parts.append(say("newly affected: {places}", lang, places=_listed(newly, lang)))
    quiet = [d.district for d in digest.trends.having("quiet")]
    if quiet:
        parts.append(say("quiet after activity: {places}", lang, places=_listed(quiet, lang)))
    return parts


def _warnings(digest: Digest) -> list[str]:
    """How many early warnings, and where evacuations are reported (when no order names
    them)."""
    if not digest.early_warning:
        return []
    lang = digest.language
    text = count("1 early warning", "{count} early warnings", len(digest.early_warning), lang)
    evacuations = list(
        dict.fromkeys(
            where(v.story.primary)
            for v in digest.early_warning
            if "evacuation" in v.story.categories and v.story.primary
        )
    )
    if evacuations and not digest.orders:
        text += say(", evacuation in {places}", lang, places=_listed(evacuations, lang))
    return [text]


CHANGES: dict[Change, str] = {
    "new": "newly affected",
    "quiet": "quiet after activity",
    "up": "rising",
}
LISTED = 3  # places named in the top line; more are counted


def _listed(places: list[str], language: str) -> str:
    shown = say(" and ", language).join(places[:LISTED])
    if len(places) > LISTED:
        shown += say(" and {count} more", language, count=len(places) - LISTED)
    return shown


def _against_week(district: DistrictTrend, language: str) -> str:
    """The window's count against the daily average of the week before: "(3x its 7-day
    average)" when well above it, "(none in the 7 days before)" when there was none."""
    if district.week is None:
        return ""
    if not district.week:
        return say(" (none in the {days} days before)", language, days=WEEK)
    ratio = district.today / district.days / district.week
    if ratio < 1.5:
        return ""
    times = f"{ratio:.1f}".removesuffix(".0")
    return say(" ({times}x its {days}-day average)", language, times=times, days=WEEK)


def subject(digest: Digest) -> str:
    day = local(digest.window_end, digest.timezone, "%a %d %b %Y", digest.language)
    summary = summary_line(digest).rstrip(".")
    return say(
        "Security digest {profile}, {day}: {summary}",
        digest.language,
        profile=digest.profile,
        day=day,
        summary=summary,
    )


def reader_context(lang: str, zone: str) -> dict[str, Any]:
    """What every template needs to speak the reader's language in the reader's time zone."""

    def when(moment: datetime, fmt: str = "%d %b %H:%M") -> str:
        return local(moment, zone, fmt, lang)

    def words(text: str, **values: object) -> str:
        return say(text, lang, **values)

    def sources(number: int) -> str:
        return count("1 source", "{count} sources", number, lang)

    def corroborated(found: Corroboration) -> str:
        """ "confirmed by 4 independent sources, best tier 1" or "single source, tier 3"."""
        if found.independent > 1:
            return say(
                "confirmed by {count} independent sources, best tier {tier}",
                lang,
                count=found.independent,
                tier=found.best_tier,
            )
        return say("single source, tier {tier}", lang, tier=found.best_tier)

    def lapsed(lapse: Lapse) -> str:
        """ "NNA: silent since 25 Nov 06:10", "NNA: failing since … (HTTP 500, 7 attempts)"."""
        since = when(lapse.since) if lapse.since else None
        if lapse.state == "gone":
            return say(
                "{source}: no longer read ({reason})",
                lang,
                source=lapse.source,
                reason=lapse.reason,
            )
        if lapse.state == "failing":
            return say(
                "{source}: failing since {since} ({reason}; {count} attempts)",
                lang,
                source=lapse.source,
                since=since,
                reason=lapse.reason,
                count=lapse.failures,
            )
        if since is None:
            return say("{source}: no report yet", lang, source=lapse.source)
        return say("{source}: silent since {since}", lang, source=lapse.source, since=since)

    def line_text(line: OrderLine) -> str:
        """ "north of the Awali" ("au nord de l'Awali", "شمال Awali")."""
        return say(
            LINES.get(line.direction, "{direction} of the {feature}"),
            lang,
            direction=line.direction,
            feature=line.feature,
        )

    def radius_text(metres: int) -> str:
        distance = f"{metres / 1000:g} km" if metres >= 1000 else f"{metres} m"
        return say("keep at least {distance} away", lang, distance=distance)

    def changed(change: Change) -> str:
        return say(CHANGES[change], lang) if change else ""

    def average(daily: float | None) -> str:
        """ "0.4" a day; "–" before anything was read."""
        return "–" if daily is None else f"{daily:.1f}"

    return {
        "lang": lang,
        "rtl": lang == "ar",
        "changed": changed,
        "line_text": line_text,
        "radius_text": radius_text,
        "order_places": order_places,
        "average": average,
        "_": words,
        "sources_count": sources,
        "corroborated": corroborated,
        "lapsed": lapsed,
        "when": when,
        "tzname": zone,
    }


def context(digest: Digest, **extra: Any) -> dict[str, Any]:
    return {
        **reader_context(digest.language, digest.timezone),
        "digest": digest,
        "subject": subject(digest),
        "summary": summary_line(digest),
        **extra,
    }


def inline_css(html: str) -> str:
    """The stylesheet moved into style attributes: mail clients drop <style>."""
    return _INLINER.inline(html)


def render(digest: Digest, env: Environment, **extra: Any) -> Rendered:
    """HTML with its stylesheet inlined (mail clients drop <style>), and text. A digest whose
    HTML would pass MAX_HTML_BYTES (Gmail clips messages past about 100 KB) keeps its most
    severe and recent stories and says how many more the archive has."""
    rendered = _render(digest, env, digest, **extra)
    if len(rendered.html.encode()) <= MAX_HTML_BYTES:
        return rendered
    total = digest.story_count + len(digest.early_warning)
    fits, low, high = None, 0, total - 1
    while low <= high:
        keep = (low + high) // 2
        attempt = _render(briefing.trimmed(digest, keep), env, digest, **extra)
        if len(attempt.html.encode()) <= MAX_HTML_BYTES:
            fits, low = attempt, keep + 1
        else:
            high = keep - 1
    return fits or _render(briefing.trimmed(digest, 0), env, digest, **extra)


def _render(shown: Digest, env: Environment, whole: Digest, **extra: Any) -> Rendered:
    """`shown` as rendered, with the subject and top line of the `whole` day."""
    values = context(shown, **extra)
    values["subject"], values["summary"] = subject(whole), summary_line(whole)
    html = inline_css(env.get_template("digest.html.j2").render(values))
    text = env.get_template("digest.txt.j2").render(values)
    return Rendered(subject=values["subject"], text=tidy_text(text), html=html)


def tidy_text(text: str) -> str:
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
