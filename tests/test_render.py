"""Golden files: the demo digest as rendered today, reviewed as a diff when it changes.

Regenerate after an intended change with: DIGEST_UPDATE_GOLDEN=1 pytest tests/test_render.py
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from digest import render
from digest.briefing import assemble, window
from digest.config import ProfileConfig
from digest.demo import run_demo
from digest.sources.normalise import content_hash
from digest.trends import district_trends, incidents_of
from digest.types import (
    AssessedItem,
    Assessment,
    Digest,
    Item,
    Location,
    SourceTier,
    Story,
    StoryMember,
    StoryView,
)

GOLDEN = Path(__file__).parent / "golden"


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("DIGEST_UPDATE_GOLDEN"):
        path.write_text(actual, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{name} differs from its golden file; review the diff"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    run_demo(out)
    return out


@pytest.mark.parametrize("suffix", ["txt", "html"])
def test_demo_digest_matches_golden(demo: Path, suffix: str) -> None:
    actual = (demo / f"digest-beirut-office-2026-03-24.{suffix}").read_text(encoding="utf-8")
    check_golden(f"demo-digest.{suffix}", actual)


def test_demo_digest_is_small_and_links_every_story(demo: Path) -> None:
    html = (demo / "digest-beirut-office-2026-03-24.html").read_bytes()
    assert len(html) < 100_000
    # the lead report links from its headline and is not repeated among the other sources
    assert html.count(b"relief-updates.example/lebanon/updates/2026-03-24-flash-05") == 1
    text = (demo / "digest-beirut-office-2026-03-24.txt").read_text(encoding="utf-8")
    assert text.count("https://") >= 10
    for ordinary in ("box office", "derby", "exchange rate", "سعر صرف", "Festival", "teachers"):
        assert ordinary not in text, ordinary


def test_quiet_day_says_so() -> None:
    profile = ProfileConfig(name="quiet")
    span = window(profile, date(2026, 3, 24))
    digest = assemble(profile, span, [], 12)
    rendered = render.render(digest, render.environment())
    assert rendered.subject.startswith("Security digest quiet, Tue 24 Mar 2026: Quiet day")
    assert "Quiet days are worth knowing too" in rendered.html
    assert "Nothing above this profile's threshold" in rendered.text


def test_user_templates_override_defaults_and_can_extend_them(tmp_path: Path) -> None:
    (tmp_path / "digest.txt.j2").write_text(
        'OFFICE COPY\n{% include "default:digest.txt.j2" %}', encoding="utf-8"
    )
    digest = Digest(
        "p",
        "Asia/Beirut",
        datetime(2026, 3, 23, 4, 30, tzinfo=UTC),
        datetime(2026, 3, 24, 4, 30, tzinfo=UTC),
        (),
        (),
        0,
    )
    rendered = render.render(digest, render.environment(tmp_path))
    assert rendered.text.startswith("OFFICE COPY\nSECURITY DIGEST - p")


def test_a_huge_day_keeps_the_most_severe_stories_under_the_size_limit() -> None:
    profile = ProfileConfig(name="busy", min_severity=1)
    span = window(profile, date(2026, 3, 24))
    place = Location("Tyre", "Tyre", "LB", "South", "LB6", "Tyre", "LB63", 33.27, 35.2, "district")
    views = []
    for number in range(600):
        severity = 4 if number % 100 == 0 else 1 + number % 3
        title = f"Shelling reported near village {number} " + "long words " * 20
        when = span[0].astimezone(UTC).replace(minute=number % 60)
        item = Item(
            f"i{number}",
            "Wire",
            None,
            f"https://wire.example/{number}",
            title,
            title,
            "",
            None,
            when,
            when,
            content_hash(title, ""),
        )
        assessment = Assessment(f"i{number}", "en", True, severity, ("shelling",), (place,), ())
        story = Story(
            f"s{number}",
            (StoryMember(f"i{number}", "first report"),),
            when,
            when,
            severity,
            ("shelling",),
            place,
        )
        views.append(StoryView(story, (AssessedItem(item, assessment),)))
    digest = assemble(profile, span, views, 600)
    rendered = render.render(digest, render.environment())
    assert len(rendered.html.encode()) <= render.MAX_HTML_BYTES
    assert "did not fit in this email" in rendered.html and "did not fit" in rendered.text
    shown = [v for v in views if f"village {v.story.id[1:]} " in rendered.html]
    assert 50 < len(shown) < 600
    assert (
        all(v.story.severity == 4 for v in views[::100] if v in shown)
        and len([v for v in views[::100] if v in shown]) == 6
    )  # every critical story kept
    assert min(v.story.severity for v in shown) >= max(
        v.story.severity for v in views if v not in shown
    )


def views_in(
    pcode: str, count: int, categories: tuple[str, ...] = ("shelling",)
) -> list[StoryView]:
    place = Location("X", "X", "LB", "South", "LB6", "Tyre", pcode, None, None, "district")
    span = window(ProfileConfig(name="p"), date(2026, 3, 24))
    views = []
    for number in range(count):
        when = span[0]
        item = Item(f"{pcode}{number}", "W", None, None, "t", "t", "", None, when, when, "h")
        assessment = Assessment(item.id, "en", True, 3, categories, (place,), ())
        story = Story(
            item.id, (StoryMember(item.id, "first report"),), when, when, 3, categories, place
        )
        views.append(StoryView(story, (AssessedItem(item, assessment),)))
    return views


@pytest.mark.parametrize(
    ("before", "expected"),
    [
        (7, "3 incidents, 3 in Tyre (3x its 7-day average)"),
        (0, "3 incidents, 3 in Tyre (none in the 7 days before)"),
        (14, "3 incidents, 3 in Tyre (1.5x its 7-day average)"),
        (21, "3 incidents, 3 in Tyre."),
    ],
)
def test_the_top_line_compares_the_busiest_district_with_its_week(
    before: int, expected: str
) -> None:

    profile = ProfileConfig(name="p", min_severity=1)
    span = window(profile, date(2026, 3, 24))
    today = views_in("LB63", 3)
    earlier = [
        replace(view.story, id=f"e{number}", first_seen=span[0] - timedelta(days=3))
        for number, view in enumerate(views_in("LB63", before))
    ]
    stories = [v.story for v in today] + earlier
    changes = district_trends(
        span, incidents_of(stories, profile, {}), span[0] - timedelta(days=60)
    )
    digest = assemble(profile, span, today, 10, None, changes)
    assert render.summary_line(digest).startswith(expected)


def test_the_top_line_names_where_evacuations_were_ordered() -> None:
    profile = ProfileConfig(name="p", min_severity=1)
    span = window(profile, date(2026, 3, 24))
    digest = assemble(profile, span, views_in("LB63", 1, ("evacuation",)), 10)
    assert render.summary_line(digest) == "1 early warning, evacuation in X, Tyre."


@pytest.mark.parametrize(
    ("language", "words", "english"),
    [
        (
            "fr",
            ["Alerte précoce", "signalé le", "mardi 24 mars 2026", "Bulletin de sécurité"],
            ["Early warning", "first seen", "Tuesday"],
        ),
        (
            "ar",
            ["إنذار مبكر", "أول ظهور", "الثلاثاء 24 آذار 2026", "النشرة الأمنية"],
            ["Early warning", "first seen", "Tuesday"],
        ),
    ],
)
def test_headings_come_in_the_profiles_language(
    demo: Path, language: str, words: list[str], english: list[str]
) -> None:
    from digest.pipeline import build_digest, region_parents
    from digest.signals.gazetteer import Gazetteer
    from digest.storage.sqlite import SqliteStorage

    storage = SqliteStorage(demo / "digest.sqlite3")
    profile = ProfileConfig(name="office", language=language, min_severity=2)
    now = datetime(2026, 3, 24, 5, 0, tzinfo=UTC)
    parents = region_parents(Gazetteer.load())
    _, rendered = build_digest(
        storage, profile, date(2026, 3, 24), render.environment(), parents, now
    )
    storage.close()
    for text in (rendered.html.casefold(), rendered.text.casefold()):
        for word in words:
            assert word.casefold() in text, word
        for word in english:
            assert word.casefold() not in text, word
    assert f'<html lang="{language}"' in rendered.html
    assert ('dir="rtl"' in rendered.html.split(">", 3)[1]) == (language == "ar")
    assert words[-1] in rendered.subject


def test_even_early_warnings_are_trimmed_when_there_are_too_many() -> None:
    profile = ProfileConfig(name="busy", min_severity=1)
    span = window(profile, date(2026, 3, 24))
    warnings = views_in("LB63", 400, ("evacuation",))
    digest = assemble(profile, span, warnings, 400)
    assert len(digest.early_warning) == 400
    rendered = render.render(digest, render.environment())
    assert len(rendered.html.encode()) <= render.MAX_HTML_BYTES
    assert "did not fit in this email" in rendered.text
    assert "400 early warnings" in rendered.subject


def test_an_unconfirmed_social_post_counts_a_level_lower_until_another_source_confirms() -> None:
    profile = ProfileConfig(name="p", min_severity=3)
    span = window(profile, date(2026, 3, 24))
    (view,) = views_in("LB63", 1)  # severity 3, its one report from source "W"
    social = {"W": SourceTier(tier=4), "NNA": SourceTier(tier=1)}
    alone = replace(view, tiers=social)
    assert alone.severity == 2 and assemble(profile, span, [alone], 10).story_count == 0
    entry = view.items[0]
    confirmed = replace(
        alone, items=(entry, replace(entry, item=replace(entry.item, id="n1", source="NNA")))
    )
    assert confirmed.severity == 3 and assemble(profile, span, [confirmed], 10).story_count == 1
    rated = replace(view, tiers={"W": SourceTier(tier=3)})
    assert rated.severity == 3  # a local outlet is not discounted
    assert replace(view, tiers=None).severity == 3  # nor a story read without tiers
