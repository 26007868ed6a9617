"""B-cubed precision, recall and F1 of a clustering against labelled stories: the measure
`benchmarks/stories.py` reports and the story tests hold the clusterer to."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import NamedTuple


class Scores(NamedTuple):
    precision: float
    recall: float
    f1: float


def bcubed(predicted: Mapping[str, str], gold: Mapping[str, str]) -> Scores:
    """For each labelled item, the share of its predicted cluster that is of its story
    (precision) and the share of its story found in its cluster (recall), averaged."""
    clusters: dict[str, set[str]] = defaultdict(set)
    stories: dict[str, set[str]] = defaultdict(set)
    for item, cluster in predicted.items():
        clusters[cluster].add(item)
    for item, story in gold.items():
        stories[story].add(item)
    precision = recall = 0.0
    for item in gold:
        mine, truth = clusters[predicted[item]], stories[gold[item]]
        both = len(mine & truth)
        precision += both / len(mine)
        recall += both / len(truth)
    precision, recall = precision / len(gold), recall / len(gold)
    return Scores(precision, recall, 2 * precision * recall / (precision + recall))
