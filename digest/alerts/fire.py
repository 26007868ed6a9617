"""Firing alerts after a fetch: every rule against the stories that just took reports.

A story fires a rule once; it fires again only when its severity rises above the level it last
fired at (a follow-up, not a repeat): the same incident reported by five more sources stays
quiet. A rule's `min_severity` is compared with the story's severity. Each firing is recorded
with the report that matched and why, for the channels to deliver.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from digest.alerts.match import Prepared, matches
from digest.alerts.rules import Rule, parse
from digest.config import AlertConfig
from digest.types import AssessedItem, Story, StoryView


@dataclass(frozen=True, slots=True)
class Firing:
    rule: str
    story: Story
    entry: AssessedItem  # the report that matched (the latest that does)
    reasons: tuple[str, ...]
    kind: str  # "new", or "rise" when the story's severity rose since it last fired

    @property
    def key(self) -> tuple[str, str]:
        return self.rule, self.story.id


def compiled(alerts: Sequence[AlertConfig]) -> list[tuple[AlertConfig, Rule]]:
    return [(alert, parse(alert.query)) for alert in alerts]


def evaluate(
    rules: Sequence[tuple[AlertConfig, Rule]],
    stories: Sequence[StoryView],
    fired: Mapping[tuple[str, str], int],
) -> list[Firing]:
    """The firings due: `fired` holds the severity each (rule, story) last fired at."""
    prepared = {
        view.story.id: [
            Prepared(entry)
            for entry in sorted(view.items, key=lambda e: e.item.published, reverse=True)
        ]
        for view in stories
    }
    firings = []
    for alert, rule in rules:
        for view in stories:
            story = view.story
            if story.severity < alert.min_severity:
                continue
            previous = fired.get((alert.name, story.id))
            if previous is not None and story.severity <= previous:
                continue
            for report in prepared[story.id]:  # the latest report that matches speaks
                reasons = matches(rule, report)
                if reasons is not None:
                    kind = "new" if previous is None else "rise"
                    firings.append(Firing(alert.name, story, report.entry, tuple(reasons), kind))
                    break
    return firings
