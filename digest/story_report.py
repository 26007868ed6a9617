"""A story as `digest stories list` and `digest stories show` print it: text for a terminal,
or JSON for scripts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from digest.render import SEVERITY_LABELS, toll, where
from digest.signals.categories import LABELS
from digest.types import StoryView


def _moment(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")


def story_line(view: StoryView) -> str:
    """One line per story: id, severity, last update, reports, place, headline."""
    story = view.story
    place = where(story.primary) if story.primary else "-"
    return (
        f"{story.id}  sev {story.severity}  {_moment(story.last_updated)}  "
        f"{len(view.items):>3} report(s)  {place}  {view.lead.item.title}"
    )


def story_text(view: StoryView) -> str:
    """The story record, then every report in order with why it joined."""
    story = view.story
    reasons = {member.item_id: member.reason for member in story.members}
    facts = [", ".join(LABELS.get(c, c) for c in story.categories) or "no category"]
    if story.primary:
        facts.append(where(story.primary))
    facts.append(f"severity {story.severity} ({SEVERITY_LABELS.get(story.severity, '?')})")
    if view.casualties.killed or view.casualties.injured:
        facts.append(toll(view.casualties))
    lines = [
        f"Story {story.id}",
        f"  {view.lead.item.title}",
        "  " + " | ".join(facts),
        f"  first seen {_moment(story.first_seen)}, last updated {_moment(story.last_updated)}",
        f"  {len(view.items)} report(s) from {len(view.sources)} source(s) "
        f"({', '.join(view.sources)}) in {', '.join(view.languages)}",
        "",
    ]
    for entry in sorted(view.items, key=lambda e: e.item.published):
        item, assessment = entry.item, entry.assessment
        lines.append(
            f"  {_moment(item.published)}  {item.source}  {assessment.lang}  "
            f"sev {assessment.severity}  {item.title}"
        )
        lines.append(f"      why: {reasons.get(item.id, '?')}")
        if item.url:
            lines.append(f"      {item.url}")
    return "\n".join(lines) + "\n"


def story_json(view: StoryView) -> dict[str, Any]:
    story = view.story
    reasons = {member.item_id: member.reason for member in story.members}
    return {
        "id": story.id,
        "headline": view.lead.item.title,
        "first_seen": story.first_seen.isoformat(),
        "last_updated": story.last_updated.isoformat(),
        "severity": story.severity,
        "categories": list(story.categories),
        "primary": story.primary.as_dict() if story.primary else None,
        "casualties": {"killed": view.casualties.killed, "injured": view.casualties.injured},
        "sources": list(view.sources),
        "languages": list(view.languages),
        "items": [
            {
                "id": e.item.id,
                "published": e.item.published.isoformat(),
                "source": e.item.source,
                "lang": e.assessment.lang,
                "severity": e.assessment.severity,
                "title": e.item.title,
                "url": e.item.url,
                "reason": reasons.get(e.item.id),
            }
            for e in sorted(view.items, key=lambda e: e.item.published)
        ],
    }
