"""Alert notices: the messages a rule sends, made from its pending firings.

Each firing becomes a notice of its own, at once, unless the rule holds it back:
- `max_per_hour`: at most that many notices in any hour. When more firings wait than notices
  are left, the last notice left carries all the rest (batched); when none is left, they wait
  for the next dispatch after the oldest notice of the hour has aged out.
- `quiet_hours` (local to the rule's `timezone`): firings wait until the quiet hours end, then
  go out together, except those of stories at `quiet_bypass_severity` or more, which go at once.
A story that fired twice before its notice went (new, then a rise) is shown once, as it is now.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from jinja2 import Environment

from digest.config import AlertConfig
from digest.render import inline_css, reader_context, severity_label, tidy_text
from digest.storage.base import FiredReport
from digest.types import Rendered, StoryView
from digest.wording import say

HOUR = timedelta(hours=1)


def quiet(alert: AlertConfig, now: datetime) -> bool:
    if alert.quiet_hours is None:
        return False
    return alert.quiet_hours.holds(now.astimezone(ZoneInfo(alert.timezone)).time())


def batches(
    alert: AlertConfig,
    pending: Sequence[FiredReport],
    sent: Sequence[datetime],
    now: datetime,
) -> list[list[FiredReport]]:
    """The notices to make now from the rule's pending firings (oldest first), given when its
    recent notices were made: each a list of the firings it carries."""
    stories: dict[str, list[FiredReport]] = {}
    for report in pending:
        stories.setdefault(report.event.story_id, []).append(report)
    due = list(stories.values())
    if quiet(alert, now):
        bypass = alert.quiet_bypass_severity
        due = [group for group in due if max(r.event.severity for r in group) >= bypass]
    if alert.max_per_hour is not None:
        left = alert.max_per_hour - sum(1 for moment in sent if moment > now - HOUR)
        if left <= 0:
            return []
        if len(due) > left:
            due = [*due[: left - 1], [report for group in due[left - 1 :] for report in group]]
    return due


def shown(reports: Sequence[FiredReport]) -> list[FiredReport]:
    """The latest firing of each story, most severe first: what a notice shows."""
    by_id = sorted(reports, key=lambda r: r.event.id)
    latest = {report.event.story_id: report for report in by_id}
    return sorted(latest.values(), key=lambda r: (-r.event.severity, r.event.id))


def render_notice(
    alert: AlertConfig,
    reports: Sequence[FiredReport],
    views: dict[str, StoryView],
    env: Environment,
) -> Rendered:
    """The email of a notice: each story as the digest shows it, with why the rule fired."""
    lang = alert.language
    listed = shown(reports)
    top = listed[0]
    if len(listed) == 1:
        subject = say("[alert {rule}] {title}", lang, rule=alert.name, title=top.title)
    else:
        subject = say(
            "[alert {rule}] {count} alerts, highest severity {level}",
            lang,
            rule=alert.name,
            count=len(listed),
            level=severity_label(top.event.severity, lang),
        )
    values = {
        **reader_context(lang, alert.timezone),
        "alert": alert,
        "subject": subject,
        "fired": [(report, views.get(report.event.story_id)) for report in listed],
    }
    html = inline_css(env.get_template("alert.html.j2").render(values))
    text = tidy_text(env.get_template("alert.txt.j2").render(values))
    return Rendered(subject=subject, text=text, html=html)
