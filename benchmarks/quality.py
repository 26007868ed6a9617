"""Score `digest classify` on the labelled development set (CONTRACTS section 2).

    python benchmarks/quality.py ../shared/data/devset [--config PATH] [--misses]

The data stays outside the repository; this script reads it by path. Figures and their
definitions follow the dev set's README; goals are those of the signal-engine issue.
Items go through the same path as the CLI (JSON lines in, JSON out).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from digest import config as configuration
from digest.jsonl import classify_lines
from digest.signals.classify import Classifier

ACCEPTED = {
    "Air/drone strike": {"airstrike"},
    "Shelling/artillery/missile attack": {"shelling"},
    "Armed clash": {"armed_clash"},
    "Remote explosive/landmine/IED": {"explosion", "uxo"},
    "Grenade": {"explosion"},
    "Suicide bomb": {"explosion"},
    "Peaceful protest": {"protest"},
    "Protest with intervention": {"protest", "riot"},
    "Violent demonstration": {"protest", "riot"},
    "Excessive force against protesters": {"protest", "riot", "attack_on_civilians"},
    "Mob violence": {"riot", "attack_on_civilians", "crime"},
    "Attack": {"attack_on_civilians", "crime", "armed_clash"},
    "Abduction/forced disappearance": {"kidnapping"},
    "Sexual violence": {"attack_on_civilians"},
    "Disrupted weapons use": {"uxo", "explosion", "shelling", "airstrike", "arrest"},
    "Looting/property destruction": {"crime", "riot"},
    "Arrests": {"arrest"},
}
ADMIN1 = {
    "Beirut": "LB1",
    "Bekaa": "LB2",
    "Mount Lebanon": "LB3",
    "Al Nabatieh": "LB4",
    "North": "LB5",
    "South": "LB6",
    "Akkar": "LB7",
    "Baalbek-Hermel": "LB8",
}
ADMIN2 = {
    "Beirut": "LB11",
    "Rashayya": "LB23",
    "West Bekaa": "LB24",
    "Zahle": "LB25",
    "Aley": "LB31",
    "Baabda": "LB32",
    "Chouf": "LB33",
    "Jubayl": "LB34",
    "Keserwan": "LB35",
    "Al Matn": "LB36",
    "Bint Jbeil": "LB41",
    "Hasbeiya": "LB42",
    "Marjayoun": "LB43",
    "Al Nabatieh": "LB44",
    "Al Batroun": "LB52",
    "Bsharri": "LB53",
    "Al Kura": "LB54",
    "Al Miniyeh Al Danniyeh": "LB55",
    "Tripoli": "LB56",
    "Zgharta": "LB57",
    "Sayda": "LB61",
    "Jezzine": "LB62",
    "Tyr": "LB63",
    "Akkar": "LB51",
    "Baalbek": "LB21",
    "Al Hermel": "LB22",
}
LABELLED = ("aljazeera_labelled.jsonl", "arfr_labelled.jsonl", "telegram_labelled.jsonl")
GOALS = {
    "events risk recall": 0.97,
    "events first category": 0.85,
    "events admin1": 0.92,
    "events admin2": 0.85,
    "feed items macro-F1": 0.90,
    "feed items admin1": 0.85,
    "ar/fr recall": 0.90,
    "ar/fr macro-F1": 0.85,
}
MAX_FPR = 0.05


def rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def run(classifier: Classifier, items: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    lines = [
        json.dumps({"id": r["id"], "title": r.get("title") or "", "text": r["text"]}) for r in items
    ]
    return {out["id"]: out for out in classify_lines(lines, classifier)}


def primary(out: dict[str, Any], key: str) -> str | None:
    return out["locations"][0][key] if out["locations"] else None


def macro_f1(pairs: list[tuple[bool, bool]]) -> tuple[float, float, float]:
    tp = sum(p and y for p, y in pairs)
    fp = sum(p and not y for p, y in pairs)
    fn = sum(y and not p for p, y in pairs)
    tn = sum(not p and not y for p, y in pairs)
    f1_pos = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    f1_neg = 2 * tn / (2 * tn + fp + fn) if tn else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return (f1_pos + f1_neg) / 2, recall, (tp / (tp + fp) if tp + fp else 0.0)


def score(data: Path, classifier: Classifier, misses: bool) -> dict[str, float]:
    figures: dict[str, float] = {}
    events = rows(data / "events_lb.jsonl")
    outs = run(classifier, events)
    scored = [e for e in events if e["sub_event_type"] in ACCEPTED]
    risky = [e for e in scored if e["sub_event_type"] != "Arrests"]
    figures["events risk recall"] = sum(outs[e["id"]]["risk"] for e in risky) / len(risky)
    figures["events first category"] = sum(
        bool(outs[e["id"]]["categories"])
        and outs[e["id"]]["categories"][0] in ACCEPTED[e["sub_event_type"]]
        for e in scored
    ) / len(scored)
    figures["events admin1"] = sum(
        primary(outs[e["id"]], "admin1_pcode") == ADMIN1.get(e["admin1"]) for e in events
    ) / len(events)
    figures["events admin2"] = sum(
        primary(outs[e["id"]], "admin2_pcode") == ADMIN2.get(e["admin2"]) for e in events
    ) / len(events)
    if misses:
        for e in risky:
            out = outs[e["id"]]
            if not out["risk"] or out["categories"][0] not in ACCEPTED[e["sub_event_type"]]:
                print(f"EVENT {e['sub_event_type']}: {out['categories']} | {e['text'][:160]}")
    for name in ("negatives.jsonl", "arabic_french.jsonl"):
        negatives = rows(data / name)
        outs = run(classifier, negatives)
        flagged = [n for n in negatives if outs[n["id"]]["risk"]]
        figures[f"FPR {name.removesuffix('.jsonl')}"] = len(flagged) / len(negatives)
        if misses:
            for n in flagged:
                print(f"FP {name}: {outs[n['id']]['categories']} | {n['text'][:160]!r}")
    feed: list[tuple[bool, bool]] = []
    arfr: list[tuple[bool, bool]] = []
    admin_hits = admin_total = 0
    for name in LABELLED:
        labelled = [r for r in rows(data / name) if not r.get("ambiguous")]
        outs = run(classifier, labelled)
        for r in labelled:
            out = outs[r["id"]]
            pair = (bool(out["risk"]), bool(r["label_risk"]))
            (feed if name.startswith("aljazeera") else arfr).append(pair)
            if name.startswith("aljazeera") and r.get("admin1_pcode"):
                admin_total += 1
                admin_hits += primary(out, "admin1_pcode") == r["admin1_pcode"]
            if misses and pair[0] != pair[1]:
                text = f"{r.get('title') or ''} | {r['text']}"[:160]
                print(f"LABELLED {name} label={r['label_risk']} got={out['categories']} | {text}")
    figures["feed items macro-F1"], figures["feed items recall"], _ = macro_f1(feed)
    figures["feed items admin1"] = admin_hits / admin_total if admin_total else 0.0
    figures["ar/fr macro-F1"], figures["ar/fr recall"], _ = macro_f1(arfr)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="the devset folder (../shared/data/devset)")
    parser.add_argument("--config", type=Path, help="config whose [signals] to use")
    parser.add_argument("--misses", action="store_true", help="print every miss")
    args = parser.parse_args(argv)
    config = configuration.load(args.config) if args.config else configuration.DigestConfig()
    signals = config.signals
    classifier = Classifier.from_signals(signals)
    started = time.perf_counter()
    figures = score(args.data, classifier, args.misses)
    print(f"{'figure':<26} {'value':>6}  goal")
    for name, value in figures.items():
        if name.startswith("FPR"):
            goal, ok = f"<= {MAX_FPR:.2f}", value <= MAX_FPR
        elif name in GOALS:
            goal, ok = f">= {GOALS[name]:.2f}", value >= GOALS[name]
        else:
            goal, ok = "", True
        print(f"{name:<26} {value:6.3f}  {goal:<8} {'' if ok else 'MISSED'}")
    print(f"({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
