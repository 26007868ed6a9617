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
from digest.types import Casualties, Corroboration, Digest, Location, Rendered, StoryView
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


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def summary_line(digest: Digest) -> str:
    """The day at a glance: how many stories, where most, how many early warnings."""
    lang = digest.language
    if not digest.items_considered:
        return say(
            "No reports were received in this window: check that the sources are being read.",
            lang,
        )
    if not digest.story_count and not digest.early_warning:
        return say("Quiet day: no incident above the profile's threshold was reported.", lang)
    parts = []
    if digest.story_count:
        busiest = max(
            (d for g in digest.governorates for d in g.districts if d.name),
            key=lambda d: len(d.stories),
            default=None,
        )
        text = count("1 incident", "{count} incidents", digest.story_count, lang)
        if busiest is not None and len(busiest.stories) > 1:
            text += say(
                ", {count} in {place}", lang, count=len(busiest.stories), place=busiest.name
            )
            usual = digest.baseline.get(busiest.pcode or "")
            text += _against_baseline(len(busiest.stories), usual, lang)
        parts.append(text)
    if digest.early_warning:
        text = count("1 early warning", "{count} early warnings", len(digest.early_warning), lang)
        evacuations = list(
            dict.fromkeys(
                where(v.story.primary)
                for v in digest.early_warning
                if "evacuation" in v.story.categories and v.story.primary
            )
        )
        if evacuations:
            places = say(" and ", lang).join(evacuations[:3])
            text += say(", evacuation in {places}", lang, places=places)
        parts.append(text)
    return ("؛ " if lang == "ar" else "; ").join(parts) + "."


def _against_baseline(today: int, daily: float | None, language: str) -> str:
    """Today's count against the daily average before: "(3x its 7-day average)" when well
    above it, "(none in the 7 days before)" when there was none."""
    days = briefing.BASELINE_DAYS
    if not daily:
        return say(" (none in the {days} days before)", language, days=days)
    ratio = today / daily
    if ratio < 1.5:
        return ""
    times = f"{ratio:.1f}".removesuffix(".0")
    return say(" ({times}x its {days}-day average)", language, times=times, days=days)


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

    return {
        "lang": lang,
        "rtl": lang == "ar",
        "_": words,
        "sources_count": sources,
        "corroborated": corroborated,
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
