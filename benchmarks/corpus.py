"""Sample text for the benchmarks: sentences of the bundled demo feeds (English, Arabic, French,
written for the project), mixed at random with a fixed seed, each text in one language."""

from __future__ import annotations

import random
from pathlib import Path

from digest.sources.feed import parse_feed
from digest.sources.normalise import html_to_text

FEEDS = Path(__file__).resolve().parent.parent / "digest" / "demo" / "feeds"

Entry = tuple[str, list[str]]  # a title, and the sentences of its text


def feeds() -> list[list[Entry]]:
    """The entries of each demo feed (each feed is written in one language)."""
    found = []
    for path in sorted(FEEDS.glob("*.*")):
        if path.suffix == ".md":
            continue
        entries = []
        for item in parse_feed(path.read_bytes()).items:
            text = html_to_text(item.summary_html)
            parts = [s.strip() for s in text.replace("\n", " ").split(". ") if s.strip()]
            entries.append((item.title, parts or [item.title]))
        found.append(entries)
    return found


def sentences() -> list[Entry]:
    """(title, sentences of its text) for every demo item."""
    return [entry for feed in feeds() for entry in feed]


def items(count: int, size: int = 1000, seed: int = 7) -> list[tuple[str, str]]:
    """`count` (title, text) pairs, each text about `size` bytes: an item's title and sentences
    with sentences of other items of the same feed, as a real report keeps to one language."""
    rng = random.Random(seed)
    pool = [(feed, entry) for feed in feeds() for entry in feed]
    out = []
    for _ in range(count):
        feed, (title, parts) = rng.choice(pool)
        text = ""
        while len(text.encode()) < size:
            text += rng.choice(rng.choice(feed)[1] + parts) + ". "
        out.append((title, text))
    return out
