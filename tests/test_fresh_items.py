"""An independent check of the signal engine: 120 items in English, French and Arabic written for
the project without looking at the lexicons or the development set (tests/data/fresh_items.jsonl,
with their labels). Measured when written: risk macro-F1 0.924, recall 0.955, false-positive rate
0.111, first category 56/63, governorate 61/63. The floors below catch regressions without
inviting tuning to this set: improve the engine in general, never item by item."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from digest.jsonl import classify_lines
from digest.signals.classify import Classifier

ITEMS = Path(__file__).parent / "data" / "fresh_items.jsonl"


@pytest.fixture(scope="module")
def scored() -> list[tuple[dict, dict]]:
    items = [json.loads(line) for line in ITEMS.read_text(encoding="utf-8").splitlines()]
    outputs = list(
        classify_lines(
            (json.dumps(i, ensure_ascii=False) for i in items), Classifier.from_signals()
        )
    )
    return list(zip(items, outputs, strict=True))


def test_risk_is_found_and_ordinary_news_left_out(scored: list[tuple[dict, dict]]) -> None:
    tp = sum(o["risk"] and i["label_risk"] for i, o in scored)
    fp = sum(o["risk"] and not i["label_risk"] for i, o in scored)
    fn = sum(not o["risk"] and i["label_risk"] for i, o in scored)
    tn = sum(not o["risk"] and not i["label_risk"] for i, o in scored)
    macro_f1 = (2 * tp / (2 * tp + fp + fn) + 2 * tn / (2 * tn + fp + fn)) / 2
    assert tp / (tp + fn) >= 0.90
    assert macro_f1 >= 0.85
    assert fp / (fp + tn) <= 0.15


def test_first_category_and_governorate(scored: list[tuple[dict, dict]]) -> None:
    flagged = [(i, o) for i, o in scored if i["label_risk"] and o["risk"]]
    right = sum(o["categories"][0] in i["categories"] for i, o in flagged)
    assert right / len(flagged) >= 0.80
    placed = [(i, o) for i, o in scored if i["admin1_pcode"]]
    on_target = sum(
        bool(o["locations"]) and o["locations"][0]["admin1_pcode"] == i["admin1_pcode"]
        for i, o in placed
    )
    assert on_target / len(placed) >= 0.90
