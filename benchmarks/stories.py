"""Story clustering: B-cubed precision, recall and F1 on the labelled stories of the dev set, and
the time to cluster 10k, 30k and 100k items (linear growth expected).

    python benchmarks/stories.py [DEVSET] [--sizes 10000 30000 100000] [--no-speed]

DEVSET defaults to ../shared/data/devset beside the repository.

Quality: `stories.jsonl` holds UCI News Aggregator headlines (Google News story ids) and ECB+
articles (each topic two different incidents of the same kind). Each data set is clustered on its
own through `digest cluster`'s code path (classification included) with the one configuration in
digest/stories.py. The stories are split in two halves by a hash of their id: "dev" is the half
the thresholds were chosen on, "held-out" the half they were not; both are printed, and the whole.
A title-Jaccard deduplication (join an earlier item whose title shares >= 50% of its words, the
way simple feed aggregators dedupe) is scored in the same run as the reference.

Speed: the data set's items, classified once, are repeated with ids made unique and times moved
by 26 weeks per copy (the data spans 15, so copies never meet) up to each size; the time is that
of the clustering alone (word weights, joins, merges), on one core.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from digest.jsonl import UNDATED, cluster_lines
from digest.scoring import bcubed
from digest.signals.classify import Classifier, Text
from digest.sources.normalise import content_hash
from digest.stories import Clusterer, Vocabulary, collector_paused
from digest.text import fold_plain
from digest.types import AssessedItem, Item

Row = dict[str, str]
DEVSET = Path(__file__).resolve().parents[2] / "shared" / "data" / "devset"


def half(row: Row) -> str:
    """The half a row belongs to: by story, or for ECB+ by topic, so that both incidents of a
    topic (the look-alikes that must stay apart) fall in the same half."""
    key = row["story"].rsplit("-", 1)[0] if row["dataset"] == "ecbplus" else row["story"]
    return "dev" if int(hashlib.sha256(key.encode()).hexdigest(), 16) % 2 == 0 else "held-out"


def title_jaccard(rows: list[Row], threshold: float = 0.5) -> dict[str, str]:
    """Reference: each item joins the story of the first earlier item whose title words overlap
    by Jaccard >= threshold (the text's first line when there is no title)."""
    words = re.compile(r"\w+")
    seen: list[tuple[set[str], str]] = []
    result = {}
    for row in sorted(rows, key=lambda r: r.get("published") or ""):
        title = row.get("title") or row["text"].strip().split("\n")[0]
        mine = set(words.findall(fold_plain(title)))
        story = row["id"]
        for theirs, other in seen:
            if mine and len(mine & theirs) / len(mine | theirs) >= threshold:
                story = other
                break
        seen.append((mine, story))
        result[row["id"]] = story
    return result


def score(rows: list[Row], predicted: Mapping[str, str]) -> str:
    p, r, f = bcubed(predicted, {row["id"]: row["story"] for row in rows})
    return f"P {p:.3f} R {r:.3f} F1 {f:.3f}"


def quality(rows: list[Row], classifier: Classifier) -> None:
    """Each data set, and each half of it, clustered on its own."""
    for dataset in sorted({row["dataset"] for row in rows}):
        chosen = [row for row in rows if row["dataset"] == dataset]
        stories = len({row["story"] for row in chosen})
        print(f"{dataset}: {len(chosen)} items, {stories} stories")
        for part in ("dev", "held-out", None):
            subset = [row for row in chosen if part is None or half(row) == part]
            started = time.perf_counter()
            results = cluster_lines([json.dumps(row) for row in subset], classifier)
            seconds = time.perf_counter() - started
            ours = score(subset, {r["id"]: r["story"] for r in results})
            reference = score(subset, title_jaccard(subset))
            print(
                f"  {part or 'all':<8} {len(subset):>5} items: digest cluster {ours} "
                f"({seconds:.1f} s, classification included) | title Jaccard >= 0.5 {reference}"
            )


def assessed(rows: list[Row], classifier: Classifier) -> list[AssessedItem]:
    entries = []
    for row in rows:
        title, text = row.get("title") or "", row["text"]
        published = row.get("published")
        when = datetime.fromisoformat(published) if published else UNDATED
        item = Item(
            id=row["id"],
            source=row.get("publisher") or "unknown",
            guid=None,
            url=None,
            title=title,
            text=text,
            summary_html="",
            lang_hint=row.get("lang"),
            published=when,
            fetched=when,
            content_hash=content_hash(title, text),
        )
        assessment = classifier.classify(Text(row["id"], title, text, row.get("lang"))).assessment
        entries.append(AssessedItem(item, assessment))
    return entries


def copies(base: list[AssessedItem], size: int) -> list[AssessedItem]:
    entries = []
    for number in range(size):
        copy, index = divmod(number, len(base))
        entry = base[index]
        shifted = entry.item.published + timedelta(weeks=26 * copy)
        item = replace(
            entry.item,
            id=f"{entry.item.id}~{copy}",
            published=shifted,
            content_hash=f"{entry.item.content_hash}~{copy}",
        )
        entries.append(AssessedItem(item, entry.assessment))
    return entries


def cluster_seconds(entries: list[AssessedItem]) -> tuple[float, int]:
    started = time.perf_counter()
    with collector_paused():  # as `digest cluster` does
        clusterer = Clusterer(Vocabulary(entries))
        for entry in sorted(entries, key=lambda e: e.item.published):
            clusterer.add(entry)
        clusterer.merge()
    return time.perf_counter() - started, len(clusterer.stories())


def speed(rows: list[Row], classifier: Classifier, sizes: list[int]) -> None:
    base = assessed(rows, classifier)
    print(f"clustering alone, one core ({len(base)} distinct items repeated):")
    first = None
    for size in sizes:
        seconds, stories = cluster_seconds(copies(base, size))
        rate = seconds / size
        first = first or rate
        print(
            f"  {size:>7,} items: {seconds:6.2f} s, {stories:,} stories, "
            f"{size / seconds:,.0f} items/s, time per item x{rate / first:.2f} of the smallest"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("devset", nargs="?", default=DEVSET, type=Path)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    parser.add_argument("--no-speed", action="store_true")
    args = parser.parse_args()
    path = args.devset / "stories.jsonl"
    with path.open(encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines if line.strip()]
    classifier = Classifier.from_signals()
    quality(rows, classifier)
    if not args.no_speed:
        speed(rows, classifier, args.sizes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
