"""Firing alerts after a fetch: every rule against the stories that just took reports.

A story fires a rule once; it fires again only when its severity rises above the level it last
fired at (a follow-up, not a repeat): the same incident reported by five more sources stays
quiet. A rule's `min_severity` is compared with the story's severity. Each firing is recorded
with the report that matched and why, for the channels to deliver.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from digest.alerts.match import Prepared, matches
from digest.alerts.rules import Rule, parse
from digest.config import AlertConfig
from digest.types import AssessedItem, SourceTier, Story, StoryView


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


class Watch:
    """The rules against stories that keep taking reports. A rule matches a report or not
    whatever story it is in, so each report is matched against the rules once, when its story
    is first seen with it, and each story keeps, per rule, the latest report that matched: a
    batch costs its new reports, not every report of every story it touched."""

    def __init__(
        self,
        rules: Sequence[tuple[AlertConfig, Rule]],
        tiers: Mapping[str, SourceTier] | None = None,
    ) -> None:
        """`tiers`: the sources' tiers, for rules on a story's corroboration."""
        self.rules = rules
        self.tiers = tiers or {}
        self._seen: dict[str, set[str]] = {}  # story id -> item ids matched already
        # story id -> rule name -> (the latest matching report, why)
        self._latest: dict[str, dict[str, tuple[AssessedItem, tuple[str, ...]]]] = {}

    def fire(
        self, stories: Sequence[StoryView], fired: Mapping[tuple[str, str], int]
    ) -> list[Firing]:
        """The firings due among these stories (as they are now)."""
        firings = []
        for view in stories:
            story = view.story
            latest = self._update(view)
            for alert, _ in self.rules:
                if story.severity < alert.min_severity or alert.name not in latest:
                    continue
                previous = fired.get((alert.name, story.id))
                if previous is not None and story.severity <= previous:
                    continue
                entry, reasons = latest[alert.name]
                kind = "new" if previous is None else "rise"
                firings.append(Firing(alert.name, story, entry, reasons, kind))
        return firings

    def _update(self, view: StoryView) -> dict[str, tuple[AssessedItem, tuple[str, ...]]]:
        seen = self._seen.setdefault(view.story.id, set())
        latest = self._latest.setdefault(view.story.id, {})
        story = replace(view, tiers=self.tiers).corroboration  # as the story is now
        for entry in view.items:
            if entry.item.id in seen:
                continue
            seen.add(entry.item.id)
            report = Prepared(entry, story)
            for alert, rule in self.rules:
                known = latest.get(alert.name)
                if known is not None and known[0].item.published >= entry.item.published:
                    continue  # a later report speaks already
                reasons = matches(rule, report)
                if reasons is not None:
                    latest[alert.name] = (entry, tuple(reasons))
        return latest
