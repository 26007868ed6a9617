"""Orchestration: poll sources, assess new items, cluster them into stories, build digests.

Only wiring lives here: each step calls a pure stage and the storage. Time is a parameter.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from digest import briefing, orders, outbox, review, source_health, trends
from digest.config import DigestConfig, ProfileConfig
from digest.courier import Courier
from digest.errors import DigestError, FetchError, StorageError
from digest.intake import Intake
from digest.sources.http import FetchPolicy, Gone, TransientError, fetch
from digest.storage.base import NewSource, SourceRecord, Storage
from digest.types import (
    MONTH,
    Digest,
    Fetched,
    NotModified,
    ParsedFeed,
    Rendered,
    StoryView,
    Trends,
)

# A poll imports what its sources' answers need: one whose every source answered 304 parses,
# classifies and renders nothing, and digest fetch runs every few minutes.
if TYPE_CHECKING:
    import httpx
    from jinja2 import Environment

    from digest.alerts.fire import Firing
    from digest.alerts.webhooks import SendOutcome
    from digest.signals.classify import Classifier
    from digest.signals.gazetteer import Gazetteer

log = logging.getLogger(__name__)
RETRY_AFTER_FAILURE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class SourceOutcome:
    name: str
    status: str  # updated | not-modified | failed | disabled
    new: int = 0
    changed: int = 0
    error: str | None = None
    failures: int = 0  # in a row, this one included (0 when it worked)
    ended: int = 0  # a success: the failures in a row it ended
    newly_gone: bool = False  # the server said it is gone, for the first time


@dataclass(frozen=True, slots=True)
class PollReport:
    outcomes: tuple[SourceOutcome, ...]
    assessed: int
    clustered: int  # stories that took reports
    firings: tuple[Firing, ...] = ()
    notices: int = 0  # alert messages made (a throttled rule's firings may wait)
    sends: tuple[SendOutcome, ...] = ()
    mails: tuple[outbox.Outcome, ...] = ()
    mail_problem: str | None = None  # why alert mail could not be tried (it stays queued)
    unreadable: tuple[str, ...] = ()  # reports the classifier failed on (they wait, logged)

    @property
    def new_items(self) -> int:
        return sum(o.new for o in self.outcomes)


def sync_config_sources(storage: Storage, config: DigestConfig) -> None:
    storage.sync_sources(
        [
            NewSource(s.name, s.url, s.kind, s.language, s.interval_s, s.enabled)
            for s in config.sources
        ],
        origin="config",
    )


async def poll(
    storage: Storage,
    config: DigestConfig,
    classifier: Callable[[], Classifier],
    client: httpx.AsyncClient,
    now: datetime,
    everything: bool = False,
    progress: Callable[[SourceOutcome], None] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> PollReport:
    """Poll the due sources (or all). `clock`: the time each source's items are stored at
    (default: `now`, the poll's start); a digest built while a poll runs takes a report
    fetched after its window ended into the next digest, never into neither."""
    sync_config_sources(storage, config)
    sources = (
        [s for s in storage.sources() if s.enabled] if everything else storage.due_sources(now)
    )
    gate = asyncio.Semaphore(config.fetch.concurrency)
    hosts: dict[str, asyncio.Semaphore] = defaultdict(
        lambda: asyncio.Semaphore(config.fetch.per_host)
    )
    policy = FetchPolicy.from_config(config.fetch)

    async def one(source: SourceRecord) -> Attempt:
        async with gate, hosts[_host(source.url)]:
            started = time.perf_counter()
            try:
                result: Fetched | NotModified | DigestError = await _getter(source.kind)(
                    client, source.url, source.etag, source.last_modified, policy
                )
            except DigestError as exc:
                result = exc
            except Exception as exc:  # a fault of digest's or of a library: this source only
                log.exception("fetching %s failed unexpectedly", source.url)
                result = FetchError(f"unexpected error: {type(exc).__name__}: {exc}")
            return Attempt(source, result, round((time.perf_counter() - started) * 1000))

    outcomes = []
    env = cache(_environment)
    intake = Intake(storage, config, classifier, env, now)
    fetches = [asyncio.ensure_future(one(s)) for s in sources]
    try:
        async with Courier(storage, config, now) as courier:
            await courier.send()  # retries due from earlier polls
            for task in asyncio.as_completed(fetches):
                attempt = await task
                moment = clock() if clock else now
                outcome, stored = _store(storage, config, attempt, moment)
                outcomes.append(outcome)
                if progress:
                    progress(outcome)
                told = _tell_operators(storage, config, attempt.source, outcome, env, moment)
                if intake.take(stored) or told:
                    await courier.send()
            if await intake.finish():
                await courier.send()
    finally:  # a poll cut short (the service stopping) leaves no fetch or process running
        for fetch_task in fetches:
            fetch_task.cancel()
        intake.close()
    outcomes.sort(key=lambda o: o.name)
    return PollReport(
        tuple(outcomes),
        intake.assessed,
        len(intake.changed),
        tuple(intake.firings),
        intake.notices,
        tuple(courier.sends),
        tuple(courier.mails),
        courier.problem,
        tuple(sorted(intake.unreadable)),
    )


def _host(url: str) -> str:
    """The host whose limit a source's fetches count against; "" for a URL whose host cannot
    be read (its fetch fails with its own reason: one source, not the poll)."""
    try:
        return urlsplit(url).hostname or ""
    except ValueError:  # "http://feeds.example]/rss": httpx takes it, urlsplit does not
        return ""


def _getter(kind: str) -> Callable[..., Awaitable[Fetched | NotModified]]:
    if kind == "reliefweb":
        from digest.sources.reliefweb import fetch_reliefweb

        return fetch_reliefweb
    return fetch


def _environment() -> Environment:
    from digest.render import environment

    return environment()


@dataclass(frozen=True, slots=True)
class Attempt:
    source: SourceRecord
    result: Fetched | NotModified | DigestError
    latency_ms: int


def _store(
    storage: Storage, config: DigestConfig, attempt: Attempt, now: datetime
) -> tuple[SourceOutcome, tuple[str, ...]]:
    """Store a source's items and its health; the outcome, and the ids of the items that are
    new or changed."""
    source, result, latency = attempt.source, attempt.result, attempt.latency_ms
    interval = timedelta(seconds=source.interval_s or config.fetch.interval_s)
    next_check = now + interval + timedelta(seconds=random.uniform(0, interval.seconds / 10))
    if isinstance(result, NotModified):
        ended = storage.record_success(source.id, now, next_check, None, None, None, latency)
        return SourceOutcome(source.name, "not-modified", ended=ended), ()
    try:
        if isinstance(result, DigestError):
            raise result
        from digest.sources.normalise import identity_keys, normalise

        parsed = _parse(source.kind, result)
        keys = identity_keys(list(parsed.items))
        items = [
            normalise(raw, source.name, now, source.language, key)
            for raw, key in zip(parsed.items, keys, strict=True)
        ]
        stored = storage.store_items(source.id, items)
    except StorageError:
        raise
    except Exception as exc:  # one bad source must never stop the others
        reason = str(exc) if isinstance(exc, DigestError) else f"unexpected {exc!r}"
        unexpected = not isinstance(exc, DigestError)
        level = logging.WARNING if unexpected else logging.INFO
        log.log(level, "source %s failed: %s", source.name, reason, exc_info=unexpected)
        backoff = RETRY_AFTER_FAILURE * 2 ** min(source.consecutive_failures, 6)
        retry = min(backoff, interval * 4)
        if isinstance(exc, TransientError) and exc.retry_after:
            retry = max(retry, timedelta(seconds=exc.retry_after))
        gone = isinstance(exc, Gone)
        failures, newly_gone = storage.record_failure(
            source.id, now, now + retry, reason, latency, disable=gone
        )
        status = "disabled" if gone else "failed"
        return SourceOutcome(source.name, status, 0, 0, reason, failures, 0, newly_gone), ()
    new_url = result.final_url if result.permanent_redirect else None
    ended = storage.record_success(
        source.id,
        now,
        next_check,
        result.etag,
        result.last_modified,
        new_url,
        latency,
        warning=parsed.problem,
    )
    outcome = SourceOutcome(
        source.name, "updated", len(stored.new), len(stored.changed), ended=ended
    )
    return outcome, stored.new + stored.changed


def _parse(kind: str, fetched: Fetched) -> ParsedFeed:
    if kind == "reliefweb":
        from digest.sources.reliefweb import parse_reliefweb

        return parse_reliefweb(fetched.content)
    from digest.sources.feed import parse_feed

    return parse_feed(fetched.content, fetched.content_type)


def _tell_operators(
    storage: Storage,
    config: DigestConfig,
    before: SourceRecord,
    outcome: SourceOutcome,
    env: Callable[[], Environment],
    now: datetime,
) -> bool:
    """Queue the operators' email when this fetch made the source reach its failure streak,
    showed it gone, or ended such a streak; whether one was queued."""
    change = source_health.turn(outcome.failures, outcome.ended, outcome.newly_gone, config)
    if change is None:
        return False
    failures = outcome.ended if change == "recovered" else outcome.failures
    source_health.notify(storage, config, before, change, failures, outcome.error, env(), now)
    return True


def region_parents(gazetteer: Gazetteer) -> dict[str, str]:
    return {
        code: place.admin1_pcode
        for code, place in gazetteer.by_pcode.items()
        if place.level == "admin2" and place.admin1_pcode
    }


def build_digest(
    storage: Storage,
    profile: ProfileConfig,
    day: date,
    env: Environment,
    parents: dict[str, str],
    now: datetime,
    late: tuple[datetime, datetime] | None = None,
    config: DigestConfig | None = None,
) -> tuple[Digest, Rendered]:
    """`late`: (when it was due, when it goes), said at its top, for a digest sent late;
    `config`: what the digest says of its sources (their tiers, for corroboration, and those
    failing or silent)."""
    span = briefing.window(profile, day, storage.last_sent_until(profile.name, day.isoformat()))
    tiers = config.source_tiers() if config else None
    views = [
        StoryView(story, tuple(entries), profile.language, span[0], tiers)
        for story, entries in storage.stories_between(*span)
    ]
    history_start = span[0] - timedelta(days=MONTH)
    history = storage.stories_first_seen(history_start, span[1])
    since = storage.reading_since()
    # counted as the digest lists them: a story of one unverified channel a level lower
    lowered = (
        trends.unconfirmed(storage.story_sources(history_start, span[1]), tiers) if tiers else set()
    )

    def changes(leaving: set[str]) -> Trends:
        kept = (story for story in history if story.id not in leaving)
        found = trends.incidents_of(kept, profile, parents, lowered)
        return trends.district_trends(span, found, since)

    digest = briefing.assemble(
        profile, span, views, storage.count_items(*span), parents, changes(set())
    )
    known = _orders(storage, profile, span, parents)
    digest = replace(
        digest,
        orders=known.issued,
        in_force=known.in_force,
        expired=known.expired,
        order_days=profile.order_days,
    )
    if config is not None:
        lapses = source_health.lapses(storage.sources(), config, now)
        digest = replace(digest, lapses=lapses)
    if profile.review:
        assembled = {view.story.id for view in digest.views}
        digest = _reviewed(storage, profile, day, digest, now)
        taken_out = assembled - {view.story.id for view in digest.views}
        if taken_out:  # suppressed or merged: not counted (twice) in what changed
            digest = replace(digest, trends=changes(taken_out))
    from digest.render import render

    rendered = render(digest, env, late=late)
    storage.save_digest(
        profile.name,
        day.isoformat(),
        span,
        now,
        rendered.subject,
        rendered.html,
        rendered.text,
        [view.story.id for view in digest.views],
        profile.language,
    )
    return digest, rendered


def _orders(
    storage: Storage,
    profile: ProfileConfig,
    span: tuple[datetime, datetime],
    parents: dict[str, str],
) -> orders.Standing:
    """The evacuation orders of the profile's places issued in the window, in force, expired."""
    lasting = timedelta(days=profile.order_days)
    found = orders.records(storage.orders_published(span[0] - lasting, span[1]))
    wanted = (record for record in found if orders.concerns(record, profile, parents))
    return orders.standing(wanted, span, profile.order_days)


def _reviewed(
    storage: Storage, profile: ProfileConfig, day: date, digest: Digest, now: datetime
) -> Digest:
    """Keep the stories as assembled (the draft the reviewers' desk shows), and apply the
    reviewers' actions so far."""
    placed = [v.story.id for g in digest.governorates for d in g.districts for v in d.stories]
    early = [v.story.id for v in digest.early_warning]
    storage.save_draft(profile.name, day.isoformat(), digest.window_end, early, placed, now)
    return review.applied(digest, storage.review_actions(profile.name, day.isoformat()))


def due_day(profile: ProfileConfig, now: datetime) -> date | None:
    """The local date whose digest is due at `now`: today's once its send time has passed
    (DST-aware: the send time is read in the profile's zone on that date), else none."""
    zone = ZoneInfo(profile.timezone)
    today = now.astimezone(zone).date()
    send = datetime.combine(today, profile.send_at, tzinfo=zone)
    return today if now >= send else None


def draft_day(profile: ProfileConfig, now: datetime) -> date | None:
    """For a reviewed profile, the local date whose digest is open to review at `now`: from
    `review_ahead_minutes` before its send time until then; else none."""
    if not profile.review:
        return None
    zone = ZoneInfo(profile.timezone)
    today = now.astimezone(zone).date()
    for day in (today, today + timedelta(days=1)):
        send = datetime.combine(day, profile.send_at, tzinfo=zone)
        if send - timedelta(minutes=profile.review_ahead_minutes) <= now < send:
            return day
    return None


def queue_digest(
    storage: Storage,
    config: DigestConfig,
    profile: ProfileConfig,
    day: date,
    env: Environment,
    parents: dict[str, str],
    now: datetime,
    late: tuple[datetime, datetime] | None = None,
) -> int:
    """Build the day's digest unless it already went into the outbox (what was queued is what
    is sent, on every attempt), and queue it for every recipient not yet queued. Returns the
    number of messages added."""
    record = storage.digest(profile.name, day.isoformat())
    if record is None or not storage.deliveries(record.id):
        if profile.review:  # what the reviewers did until now is what goes
            due = briefing.window(profile, day)[1]
            storage.close_review(profile.name, day.isoformat(), due, now)
        build_digest(storage, profile, day, env, parents, now, late, config)
        record = storage.digest(profile.name, day.isoformat())
    if record is None:
        raise StorageError(f"the digest of {profile.name} for {day} was not stored")
    return outbox.enqueue(storage, record.id, profile.recipients, config.smtp.from_addr, now)
