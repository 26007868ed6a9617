"""An item's assessment as digest stores it: the classifier's, with the evacuation order the
report gives and the places it orders evacuated first."""

from __future__ import annotations

import logging
import traceback
from dataclasses import replace

from digest.signals.classify import Classifier, Explained, Text
from digest.signals.evacuation import extract_order
from digest.types import Assessment, EvacuationOrder, Item, Unreadable

log = logging.getLogger(__name__)


def explained_of(engine: Classifier, item: Item) -> Explained:
    """The classifier's decisions on the item, with the evacuation order it gives."""
    explained = engine.classify(Text(item.id, item.title, item.text, item.lang_hint))
    order = extract_order(item, explained.assessment, engine.gazetteer)
    if order is None:
        return explained
    return replace(explained, assessment=with_order(explained.assessment, order))


def attempted(engine: Classifier, item: Item, logged: bool = True) -> Explained | Unreadable:
    """The item's assessment, or why there is none: one report digest fails to read must not
    stop the others, nor every later poll that meets it again. Logged here unless not
    `logged` (a worker process, whose caller logs it in its own log's format)."""
    try:
        return explained_of(engine, item)
    except Exception as exc:
        if logged:
            log.exception("could not classify report %s", item.id)
        return Unreadable(item.id, f"{type(exc).__name__}: {exc}", traceback.format_exc())


def with_order(assessment: Assessment, order: EvacuationOrder) -> Assessment:
    """The assessment with its order, the places ordered evacuated first: they are where the
    event is, not the region the warning addresses ("to the residents of South Lebanon")."""
    first = [place for place in order.places if place in assessment.locations]
    rest = [place for place in assessment.locations if place not in first]
    return replace(assessment, order=order, locations=(*first, *rest))
