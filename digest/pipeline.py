"""Orchestration: poll sources, assess new items, cluster them into stories, build digests.

Only wiring lives here: each step calls a pure stage and the storage. Time is a parameter.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
from jinja2 import Environment

from digest import briefing, outbox, render
from digest.alerts import notices
from digest.alerts.fire import Firing, compiled, evaluate
from digest.alerts.webhooks import SendOutcome, deliver_webhooks
from digest.config import AlertConfig, DigestConfig, ProfileConfig, SmtpConfig
from digest.errors import DeliveryError, DigestError, StorageError
from digest.signals.classify import Classifier, Text
from digest.signals.gazetteer import Gazetteer
from digest.sources.feed import parse_feed
from digest.sources.http import FetchPolicy, Gone, TransientError, fetch
from digest.sources.normalise import identity_keys, normalise
from digest.sources.reliefweb import fetch_reliefweb, parse_reliefweb
from digest.storage.base import Delivery, NewSource, SourceRecord, Storage
from digest.stories import STORY_WINDOW, Clusterer, Vocabulary
from digest.types import Digest, Fetched, NotModified, Rendered, StoryView

ENGINE = "signals-1"
log = logging.getLogger(__name__)
RETRY_AFTER_FAILURE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class SourceOutcome:
    name: str
    status: str  # updated | not-modified | failed | disabled
    new: int = 0
    changed: int = 0
    error: str | None = None


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
) -> PollReport:
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
        async with gate, hosts[urlsplit(source.url).hostname or ""]:
            started = time.perf_counter()
            try:
                getter = fetch_reliefweb if source.kind == "reliefweb" else fetch
                result: Fetched | NotModified | DigestError = await getter(
                    client, source.url, source.etag, source.last_modified, policy
                )
            except DigestError as exc:
                result = exc
            return Attempt(source, result, round((time.perf_counter() - started) * 1000))

    outcomes = []
    for task in asyncio.as_completed([one(s) for s in sources]):
        outcome = _store(storage, config, await task, now)
        outcomes.append(outcome)
        if progress:
            progress(outcome)
    assessed = assess_pending(storage, classifier, now)
    changed = cluster_pending(storage, now)
    firings = fire_alerts(storage, config.alerts, changed, now)
    notices = dispatch_alerts(storage, config.alerts, render.environment(), config.smtp, now)
    sends = await send_webhooks(storage, config, now)
    mails, problem = await send_alert_mail(storage, config, now)
    outcomes.sort(key=lambda o: o.name)
    return PollReport(
        tuple(outcomes),
        assessed,
        len(changed),
        tuple(firings),
        len(notices),
        tuple(sends),
        tuple(mails),
        problem,
    )


@dataclass(frozen=True, slots=True)
class Attempt:
    source: SourceRecord
    result: Fetched | NotModified | DigestError
    latency_ms: int


def _store(
    storage: Storage, config: DigestConfig, attempt: Attempt, now: datetime
) -> SourceOutcome:
    source, result, latency = attempt.source, attempt.result, attempt.latency_ms
    interval = timedelta(seconds=source.interval_s or config.fetch.interval_s)
    next_check = now + interval + timedelta(seconds=random.uniform(0, interval.seconds / 10))
    if isinstance(result, NotModified):
        storage.record_success(source.id, now, next_check, None, None, None, latency)
        return SourceOutcome(source.name, "not-modified")
    try:
        if isinstance(result, DigestError):
            raise result
        if source.kind == "reliefweb":
            parsed = parse_reliefweb(result.content)
        else:
            parsed = parse_feed(result.content, result.content_type)
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
        storage.record_failure(source.id, now, now + retry, reason, latency, disable=gone)
        return SourceOutcome(source.name, "disabled" if gone else "failed", error=reason)
    new_url = result.final_url if result.permanent_redirect else None
    storage.record_success(
        source.id,
        now,
        next_check,
        result.etag,
        result.last_modified,
        new_url,
        latency,
        warning=parsed.problem,
    )
    return SourceOutcome(source.name, "updated", len(stored.new), len(stored.changed))


def assess_pending(storage: Storage, classifier: Callable[[], Classifier], now: datetime) -> int:
    """Classify what is new; the classifier (a second to build) is only built when there is."""
    items = storage.unassessed_items()
    if not items:
        return 0
    engine = classifier()
    assessments = [
        engine.classify(Text(item.id, item.title, item.text, item.lang_hint)).assessment
        for item in items
    ]
    storage.save_assessments(assessments, ENGINE, now)
    return len(assessments)


CLUSTER_LOOKBACK = timedelta(days=30)


def cluster_pending(storage: Storage, now: datetime) -> set[str]:
    """Cluster the assessed risk items not in a story yet; the ids of the stories that changed."""
    pending = storage.unclustered_items()
    if not pending:
        return set()
    # a report dated long ago is not compared with everything since: it starts its own story
    earliest = max(min(entry.item.published for entry in pending), now - CLUSTER_LOOKBACK)
    existing = storage.open_stories(earliest - STORY_WINDOW)
    seen = [entry for _, entries in existing for entry in entries] + pending
    # word weights over everything read in the period, not only the few risk reports clustered
    # (among a handful of reports on one kind of incident, every word looks common)
    background = storage.assessed_items(earliest - STORY_WINDOW, now + STORY_WINDOW)
    vocabulary = Vocabulary({e.item.id: e for e in [*background, *seen]}.values())
    taken = storage.story_ids([entry.item.id for entry in pending])
    clusterer = Clusterer(vocabulary, existing, taken)
    touched = {clusterer.add(entry)[0] for entry in pending}
    merges = clusterer.merge(touched)
    touched |= {merge.into for merge in merges}
    changed = [story for story in clusterer.stories() if story.id in touched]
    storage.save_stories(changed, {merge.absorbed: merge.into for merge in merges}, now)
    return {story.id for story in changed}


def fire_alerts(
    storage: Storage, alerts: Sequence[AlertConfig], story_ids: set[str], now: datetime
) -> list[Firing]:
    """Every alert rule against the stories that just changed; the firings, recorded."""
    if not alerts or not story_ids:
        return []
    views = [
        StoryView(story, tuple(entries)) for story, entries in storage.stories(sorted(story_ids))
    ]
    rules = compiled(alerts)
    keys = [(alert.name, view.story.id) for alert, _ in rules for view in views]
    firings = evaluate(rules, views, storage.alert_levels(keys))
    storage.record_firings(firings, now)
    return firings


def dispatch_alerts(
    storage: Storage,
    alerts: Sequence[AlertConfig],
    env: Environment,
    smtp: SmtpConfig,
    now: datetime,
) -> list[int]:
    """Notices from the rules' pending firings, as each rule's throttle and quiet hours allow,
    queued for its recipients (the outbox) and webhooks; their ids."""
    made = []
    for alert in alerts:
        pending = storage.pending_reports(alert.name)
        if not pending:
            continue
        recent = storage.notice_times(alert.name, now - notices.HOUR)
        groups = notices.batches(alert, pending, recent, now)
        wanted = sorted({report.event.story_id for group in groups for report in group})
        views = {
            story.id: StoryView(story, tuple(entries), alert.language)
            for story, entries in storage.stories(wanted)
        }
        for group in groups:
            rendered = notices.render_notice(alert, group, views, env)
            mails = [(to, outbox.new_message_id(smtp.from_addr)) for to in alert.recipients]
            event_ids = [report.event.id for report in group]
            made.append(
                storage.save_notice(alert.name, event_ids, rendered, mails, alert.webhooks, now)
            )
    return made


async def send_webhooks(storage: Storage, config: DigestConfig, now: datetime) -> list[SendOutcome]:
    if not any(alert.webhooks for alert in config.alerts):
        return []
    # the administrator's own endpoints, possibly on the intranet: not the feeds' client
    async with httpx.AsyncClient(headers={"User-Agent": config.fetch.user_agent}) as hooks:
        return await deliver_webhooks(storage, config.alerts, hooks, now)


async def send_alert_mail(
    storage: Storage, config: DigestConfig, now: datetime
) -> tuple[list[outbox.Outcome], str | None]:
    """Try the alert mail of the outbox once, unless a digest send holds the sending lock
    (the mail waits for the next poll). Mail that cannot be tried stays queued; the reason is
    returned."""
    if not alert_recipients(config.alerts):
        return [], None
    with outbox.sending_turn(config.storage.database) as mine:
        if not mine:
            return [], "another send holds the outbox; alert mail goes with the next poll"
        try:
            return await outbox.deliver(storage, config.smtp, now, asked_by(config.alerts)), None
        except DeliveryError as exc:
            return [], str(exc)


def alert_recipients(alerts: Sequence[AlertConfig]) -> set[tuple[str, str]]:
    return {(alert.name, to) for alert in alerts for to in alert.recipients}


def asked_by(
    alerts: Sequence[AlertConfig], profiles: Sequence[ProfileConfig] = ()
) -> Callable[[Delivery], bool]:
    """Which messages of the outbox the configuration still asks for (a removed recipient or
    rule gets no retries): the alerts' mail, and the digests of `profiles`."""
    asked = {
        "alert": alert_recipients(alerts),
        "digest": {(p.name, to) for p in profiles for to in p.recipients},
    }

    def wanted(delivery: Delivery) -> bool:
        return (delivery.mail.list_name, delivery.recipient) in asked[delivery.mail.kind]

    return wanted


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
) -> tuple[Digest, Rendered]:
    span = briefing.window(profile, day, storage.last_sent_until(profile.name, day.isoformat()))
    views = [
        StoryView(story, tuple(entries), profile.language, span[0])
        for story, entries in storage.stories_between(*span)
    ]
    before = [
        StoryView(story, tuple(entries))
        for story, entries in storage.stories_between(
            span[0] - timedelta(days=briefing.BASELINE_DAYS), span[0]
        )
    ]
    daily = briefing.baseline(profile, before, parents)
    digest = briefing.assemble(profile, span, views, storage.count_items(*span), parents, daily)
    rendered = render.render(digest, env)
    storage.save_digest(
        profile.name,
        day.isoformat(),
        span,
        now,
        rendered.subject,
        rendered.html,
        rendered.text,
        digest.story_count + len(digest.early_warning),
    )
    return digest, rendered


def due_day(profile: ProfileConfig, now: datetime) -> date | None:
    """The local date whose digest is due at `now`: today's once its send time has passed
    (DST-aware: the send time is read in the profile's zone on that date), else none."""
    zone = ZoneInfo(profile.timezone)
    today = now.astimezone(zone).date()
    send = datetime.combine(today, profile.send_at, tzinfo=zone)
    return today if now >= send else None


def queue_digest(
    storage: Storage,
    profile: ProfileConfig,
    day: date,
    env: Environment,
    parents: dict[str, str],
    sender: str,
    now: datetime,
) -> int:
    """Build the day's digest unless it already went into the outbox (what was queued is what
    is sent, on every attempt), and queue it for every recipient not yet queued. Returns the
    number of messages added."""
    record = storage.digest(profile.name, day.isoformat())
    if record is None or not storage.deliveries(record.id):
        build_digest(storage, profile, day, env, parents, now)
        record = storage.digest(profile.name, day.isoformat())
    if record is None:
        raise StorageError(f"the digest of {profile.name} for {day} was not stored")
    return outbox.enqueue(storage, record.id, profile.recipients, sender, now)
