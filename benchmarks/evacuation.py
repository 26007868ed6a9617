"""Score the evacuation-order extractor (digest/signals/evacuation.py) on labelled fixtures.

    python benchmarks/evacuation.py [FILE.jsonl ...] [--misses]

Without files: tests/data/evacuation/dev.jsonl and heldout.jsonl, those present. Each item is
classified by the default classifier, then given to extract_order. Printed per file: items;
orders right and wrong (false positives, false negatives); micro precision, recall and F1 of the
place ids over all items (an item that is not an order has no places); and, over the labelled
orders, how often the issuer, the lines (as a set of direction and feature) and the radius are
exactly right; and the labelled orders the classifier gave no "evacuation" category (the
extractor is not asked about those).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from digest.signals.classify import Classifier, Text
from digest.signals.evacuation import EvacuationOrder, extract_order
from digest.types import Item, Location

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "data" / "evacuation"


def fixture_item(row: dict[str, Any]) -> Item:
    published = datetime.fromisoformat(row["published"])
    return Item(
        id=row["id"],
        source="fixture",
        guid=None,
        url=None,
        title=row["title"],
        text=row["text"],
        summary_html="",
        lang_hint=row.get("lang"),
        published=published,
        fetched=published,
        content_hash=row["id"],
    )


@dataclass
class Score:
    items: int = 0
    orders_right: int = 0
    false_orders: list[str] = field(default_factory=list)
    missed_orders: list[str] = field(default_factory=list)
    unclassified: list[str] = field(default_factory=list)  # orders without the category
    places_found: int = 0
    places_right: int = 0
    places_labelled: int = 0
    labelled_orders: int = 0
    issuers_right: int = 0
    lines_right: int = 0
    radii_right: int = 0
    misses: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, float]:
        precision = self.places_right / self.places_found if self.places_found else 1.0
        recall = self.places_right / self.places_labelled if self.places_labelled else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        orders = self.labelled_orders or 1
        return {
            "items": self.items,
            "orders right": self.orders_right,
            "orders wrong": len(self.false_orders) + len(self.missed_orders),
            "place precision": precision,
            "place recall": recall,
            "place F1": f1,
            "issuer accuracy": self.issuers_right / orders,
            "lines accuracy": self.lines_right / orders,
            "radius accuracy": self.radii_right / orders,
        }


def score(path: Path, classifier: Classifier) -> Score:
    ids = {place.location(): place.id for place in classifier.gazetteer.places.values()}
    result = Score()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        item = fixture_item(row)
        text = Text(item.id, item.title, item.text, item.lang_hint)
        assessment = classifier.classify(text).assessment
        if row["order"] and "evacuation" not in assessment.categories:
            result.unclassified.append(row["id"])
        _add(result, row, extract_order(item, assessment, classifier.gazetteer), ids)
    return result


def _add(
    result: Score, row: dict[str, Any], order: EvacuationOrder | None, ids: dict[Location, str]
) -> None:
    result.items += 1
    found = [ids.get(place, place.name) for place in order.places] if order else []
    labelled = row["places"] if row["order"] else []
    result.places_found += len(found)
    result.places_labelled += len(labelled)
    result.places_right += len(set(found) & set(labelled))
    if (order is not None) == row["order"]:
        result.orders_right += 1
    elif order is None:
        result.missed_orders.append(row["id"])
    else:
        result.false_orders.append(row["id"])
    if set(found) != set(labelled):
        result.misses.append(f"{row['id']}: places {found} labelled {labelled}")
    if not row["order"]:
        return
    result.labelled_orders += 1
    issuer = order.issuer if order else None
    lines = {(x.direction, x.feature) for x in order.lines} if order else set()
    radius = order.radius_m if order else None
    result.issuers_right += issuer == row["issuer"]
    result.lines_right += lines == {(x["direction"], x["feature"]) for x in row["lines"]}
    result.radii_right += radius == row["radius_m"]
    if issuer != row["issuer"]:
        result.misses.append(f"{row['id']}: issuer {issuer!r} labelled {row['issuer']!r}")
    if lines != {(x["direction"], x["feature"]) for x in row["lines"]}:
        result.misses.append(f"{row['id']}: lines {sorted(lines)} labelled {row['lines']}")
    if radius != row["radius_m"]:
        result.misses.append(f"{row['id']}: radius {radius} labelled {row['radius_m']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--misses", action="store_true", help="list every wrong item")
    args = parser.parse_args(argv)
    files = args.files or [
        path for name in ("dev", "heldout") if (path := FIXTURES / f"{name}.jsonl").is_file()
    ]
    classifier = Classifier.from_signals()
    for path in files:
        started = time.perf_counter()
        result = score(path, classifier)
        elapsed = time.perf_counter() - started
        print(f"{path.name} ({elapsed:.1f} s)")
        for name, value in result.figures().items():
            shown = f"{value:.3f}" if isinstance(value, float) else str(value)
            print(f"  {name:16} {shown}")
        print(f"  false orders     {', '.join(result.false_orders) or '-'}")
        print(f"  missed orders    {', '.join(result.missed_orders) or '-'}")
        print(f"  not evacuation   {', '.join(result.unclassified) or '-'}")
        if args.misses:
            for miss in result.misses:
                print(f"    {miss}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
