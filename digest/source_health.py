"""Source health: which sources a digest warns about, and the operators' email when one keeps
failing.

A digest is only as complete as its sources. Its footer lists each source that has been failing
for `failing_after_minutes`, that brought no new report for `silent_after_hours` (its own, or
the section's), or that the server said is gone (HTTP 410) while the configuration still wants
it. The operators get one email when a source fails `alert_after_failures` times in a row, one
when it is gone, and one when it works again after that.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from digest import outbox
from digest.config import SOURCE_HEALTH_LIST, DigestConfig
from digest.storage.base import SourceRecord, Storage
from digest.types import Lapse, LapseState, Rendered
from digest.wording import say

if TYPE_CHECKING:
    from jinja2 import Environment

Turn = Literal["failing", "gone", "recovered"]
ORDER: dict[LapseState, int] = {"gone": 0, "failing": 1, "silent": 2}


def lapses(
    records: Sequence[SourceRecord], config: DigestConfig, now: datetime
) -> tuple[Lapse, ...]:
    """The sources to warn about at `now`, the gone first, then the failing, then the silent."""
    health = config.source_health
    configured = {source.name: source for source in config.sources}
    found = []
    for record in records:
        wanted = configured.get(record.name)
        if not record.enabled:
            if record.gone_at is not None and wanted is not None and wanted.enabled:
                found.append(Lapse(record.name, "gone", record.gone_at, 0, record.last_error))
            continue
        failing = record.failing_since if record.consecutive_failures else None
        if failing is not None and now - failing >= timedelta(minutes=health.failing_after_minutes):
            found.append(
                Lapse(
                    record.name, "failing", failing, record.consecutive_failures, record.last_error
                )
            )
            continue
        hours = (wanted.silent_after_hours if wanted else None) or health.silent_after_hours
        heard = record.last_new_at or record.added_at
        if heard is not None and now - heard >= timedelta(hours=hours):
            found.append(Lapse(record.name, "silent", record.last_new_at))
    return tuple(sorted(found, key=lambda lapse: (ORDER[lapse.state], lapse.source)))


def turn(failures: int, ended: int, newly_gone: bool, config: DigestConfig) -> Turn | None:
    """What the operators are told of a fetch that left `failures` in a row (0: it worked,
    ending `ended` in a row): the source is newly gone, it reached the streak, it works again
    after reaching it; else nothing. The counts are those the database returned, so two
    processes polling at once do not both tell."""
    streak = config.source_health.alert_after_failures
    if not streak or not config.source_health.operators:
        return None
    if newly_gone:
        return "gone"
    if failures:
        return "failing" if failures == streak else None
    return "recovered" if ended >= streak else None


def notify(
    storage: Storage,
    config: DigestConfig,
    before: SourceRecord,
    change: Turn,
    failures: int,
    reason: str | None,
    env: Environment,
    now: datetime,
) -> None:
    """Queue the operators' email about `change` in the source `before` (as it was before
    this fetch; `failures` in a row, or those a recovery ended), with the other sources in
    trouble listed below it."""
    from digest.render import inline_css, reader_context, tidy_text  # jinja2: only to tell

    health = config.source_health
    lang = health.language
    subject = say(SUBJECTS[change], lang, source=before.name, count=failures, reason=reason)
    values = {
        **reader_context(lang, health.timezone),
        "subject": subject,
        "change": change,
        "source": before,
        "failures": failures,
        "reason": reason,
        "since": before.failing_since or now,
        "others": [
            lapse for lapse in lapses(storage.sources(), config, now) if lapse.source != before.name
        ],
    }
    rendered = Rendered(
        subject=subject,
        text=tidy_text(env.get_template("source_alert.txt.j2").render(values)),
        html=inline_css(env.get_template("source_alert.html.j2").render(values)),
    )
    mails = [(to, outbox.new_message_id(config.smtp.from_addr)) for to in health.operators]
    storage.save_notice(SOURCE_HEALTH_LIST, [], rendered, mails, [], now)


SUBJECTS: dict[Turn, str] = {
    "failing": "[source health] {source} failed {count} times in a row: {reason}",
    "gone": "[source health] {source} is gone and no longer read: {reason}",
    "recovered": "[source health] {source} works again",
}
