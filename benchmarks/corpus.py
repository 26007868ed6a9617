"""Sample text for the benchmarks: sentences of the bundled demo feeds (English, Arabic, French,
written for the project), mixed at random with a fixed seed."""

from __future__ import annotations

import random
from pathlib import Path

from digest.sources.feed import parse_feed
from digest.sources.normalise import html_to_text

FEEDS = Path(__file__).resolve().parent.parent / "digest" / "demo" / "feeds"


def sentences() -> list[tuple[str, list[str]]]:
    """(title, sentences of its text) for every demo item."""
    pool = []
    for path in sorted(FEEDS.glob("*.*")):
        if path.suffix == ".md":
            continue
        for item in parse_feed(path.read_bytes()).items:
            text = html_to_text(item.summary_html)
            parts = [s.strip() for s in text.replace("\n", " ").split(". ") if s.strip()]
            pool.append((item.title, parts or [item.title]))
    return pool


def items(count: int, size: int = 1000, seed: int = 7) -> list[tuple[str, str]]:
    """`count` (title, text) pairs, each text about `size` bytes."""
    rng = random.Random(seed)
    pool = sentences()
    out = []
    for _ in range(count):
        title, parts = rng.choice(pool)
        text = ""
        while len(text.encode()) < size:
            text += rng.choice(rng.choice(pool)[1] + parts) + ". "
        out.append((title, text))
    return out
