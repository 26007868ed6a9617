"""An item's assessment as digest stores it: the classifier's, with the evacuation order the
report gives and the places it orders evacuated first."""

from __future__ import annotations

from dataclasses import replace

from digest.signals.classify import Classifier, Text
from digest.signals.evacuation import extract_order
from digest.types import Assessment, EvacuationOrder, Item


def assessment_of(engine: Classifier, item: Item) -> Assessment:
    found = engine.classify(Text(item.id, item.title, item.text, item.lang_hint)).assessment
    order = extract_order(item, found, engine.gazetteer)
    return with_order(found, order) if order else found


def with_order(assessment: Assessment, order: EvacuationOrder) -> Assessment:
    """The assessment with its order, the places ordered evacuated first: they are where the
    event is, not the region the warning addresses ("to the residents of South Lebanon")."""
    first = [place for place in order.places if place in assessment.locations]
    rest = [place for place in assessment.locations if place not in first]
    return replace(assessment, order=order, locations=(*first, *rest))
