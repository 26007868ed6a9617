"""The work `digest run` schedules: polling, the digests and the outbox, the daily upkeep. Each
job catches what goes wrong, logs it and returns: nothing a source, a server or a bad day does
stops the service."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from functools import wraps
from typing import ParamSpec
from zoneinfo import ZoneInfo

import httpx

from digest import outbox, pipeline
from digest.config import DigestConfig, ProfileConfig
from digest.errors import DigestError
from digest.intake import dispatch_alerts
from digest.render import environment
from digest.review_mail import notify_reviewers
from digest.run.clock import Clock
from digest.run.logs import log
from digest.signals.classify import Classifier
from digest.signals.gazetteer import Gazetteer
from digest.sources.http import make_client
from digest.storage import Storage

P = ParamSpec("P")
LOOKBACK = timedelta(days=1)  # how far back a missed send time is still looked for
PRUNE_BATCH = 2000  # reports deleted per transaction, the event loop free in between


def guarded(job: Callable[P, Awaitable[None]]) -> Callable[P, Awaitable[None]]:
    """A job that logs its failure instead of raising it into the scheduler (a failure logged
    in full once, then in one line while it repeats). Cancelled (the service stopping after
    its wait), it ends there: what it committed stays, the rest waits for the next start."""
    last: list[str] = []

    @wraps(job)
    async def run(*args: P.args, **kwargs: P.kwargs) -> None:
        logger = logging.getLogger("digest.run")
        try:
            await job(*args, **kwargs)
        except asyncio.CancelledError:
            logger.warning("%s cut short by the stop", job.__name__, extra={"event": "cut-short"})
        except Exception as exc:  # the service must outlive any one job
            event = f"{job.__name__}-failed"
            if last == [str(exc)]:
                logger.error("%s failed again: %s", job.__name__, exc, extra={"event": event})
            else:
                logger.exception("%s failed: %s", job.__name__, exc, extra={"event": event})
            last[:] = [str(exc)]
        else:
            last.clear()

    return run


def latest_send(profile: ProfileConfig, now: datetime) -> tuple[date, datetime] | None:
    """The profile's latest send time at or before `now`, within LOOKBACK (so a digest due at
    23:50 is still found at 00:10), with its local day."""
    zone = ZoneInfo(profile.timezone)
    today = now.astimezone(zone).date()
    for day in (today, today - timedelta(days=1)):
        due = datetime.combine(day, profile.send_at, tzinfo=zone)
        if due <= now:
            return (day, due) if now - due <= LOOKBACK else None
    return None


class Service:
    def __init__(
        self, config: DigestConfig, storage: Storage, clock: Clock, logger: logging.Logger
    ) -> None:
        self.config = config
        self.storage = storage
        self.clock = clock
        self.logger = logger
        self.env = environment()
        self.gazetteer = Gazetteer.load()
        self.parents = pipeline.region_parents(self.gazetteer)
        self.started = clock.now()
        self._classifier: Classifier | None = None
        self._client: httpx.AsyncClient | None = None
        self._stale_client = False
        self._skipped: set[tuple[str, str]] = set()
        # when each profile came (kept in the database, so across restarts)
        self._arrived = storage.profiles_arrived([p.name for p in config.profiles], self.started)
        # a job started by hand (at start) and by its trigger must not overlap
        self._polling = asyncio.Lock()
        self._delivering = asyncio.Lock()
        self.running: set[asyncio.Task[None]] = set()  # jobs in flight, for a clean stop
        self.last_poll: datetime | None = None

    def reconfigure(self, config: DigestConfig) -> None:
        """Take a new configuration (already validated): the classifier is made again if the
        signals changed, the HTTP client if [fetch] did (after the poll in flight)."""
        if config.signals != self.config.signals:
            self._classifier = None
        if config.fetch != self.config.fetch:
            self._stale_client = True
        known = {profile.name for profile in self.config.profiles}
        names = [profile.name for profile in config.profiles]
        self._arrived = self.storage.profiles_arrived(names, self.clock.now())
        for profile in config.profiles:
            if profile.name not in known:  # new, renamed, or back under an earlier name
                log(
                    self.logger,
                    logging.INFO,
                    "profile-added",
                    f"profile {profile.name} is new: its first digest goes at its next send "
                    f"time ({profile.send_at:%H:%M} {profile.timezone})",
                    profile=profile.name,
                )
        self.config = config
        self._skipped.clear()

    def classifier(self) -> Classifier:
        if self._classifier is None:
            self._classifier = Classifier.from_signals(self.config.signals, self.gazetteer)
        return self._classifier

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _track(self) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.running.add(task)
            task.add_done_callback(self.running.discard)

    @guarded
    async def poll(self) -> None:
        if self._polling.locked():
            return
        self._track()
        async with self._polling:
            await self._poll()

    async def _poll(self) -> None:
        now = self.clock.now()
        if self._stale_client:
            await self.close()
            self._stale_client = False
        if self._client is None:
            self._client = make_client(self.config.fetch)
        report = await pipeline.poll(
            self.storage, self.config, self.classifier, self._client, now, clock=self.clock.now
        )
        self.last_poll = now
        failed = [o for o in report.outcomes if o.status == "failed"]
        log(
            self.logger,
            logging.INFO,
            "poll",
            f"polled {len(report.outcomes)} source(s): {report.new_items} new, "
            f"{report.assessed} assessed, {report.clustered} stories updated, "
            f"{len(report.firings)} alert(s), {len(failed)} failed",
            sources=len(report.outcomes),
            new=report.new_items,
            assessed=report.assessed,
            stories=report.clustered,
            alerts=len(report.firings),
            failed=len(failed),
        )
        if report.unreadable:
            log(
                self.logger,
                logging.ERROR,
                "unreadable",
                f"{len(report.unreadable)} report(s) could not be classified, a fault of "
                f"digest's: they wait for the next poll (first: {report.unreadable[0]})",
                reports=list(report.unreadable),
            )
        for outcome in failed:
            log(
                self.logger,
                logging.WARNING,
                "source-failed",
                f"{outcome.name}: {outcome.error}",
                source=outcome.name,
            )

    @guarded
    async def send(self) -> None:
        """Queue the digests that are due and release held alerts (at once, whatever else
        runs), then try the outbox once, unless a delivery is under way here or elsewhere."""
        self._track()
        now = self.clock.now()
        self._close_stale_reviews(now)
        for profile in self.config.profiles:
            try:
                self._draft_if_due(profile, now)
                self._queue_if_due(profile, now)
            except DigestError as exc:  # one profile's trouble holds up no other
                log(self.logger, logging.ERROR, "digest-failed", f"{profile.name}: {exc}")
        dispatch_alerts(self.storage, self.config.alerts, lambda: self.env, self.config.smtp, now)
        if self._delivering.locked():
            return
        async with self._delivering:
            await self._deliver(now)

    async def _deliver(self, now: datetime) -> None:
        with outbox.sending_turn(self.config.storage.database) as mine:
            if not mine:  # the poll's alert mail, or `digest send`: the next check sends
                log(self.logger, logging.DEBUG, "outbox-busy", "outbox busy; next check")
                return
            wanted = outbox.asked_by(self.config, self.config.profiles)
            outcomes = await outbox.deliver(
                self.storage, self.config.smtp, now, wanted, self.config.web.base_url
            )
        for outcome in outcomes:
            delivery = outcome.delivery
            level = logging.INFO if outcome.status == "sent" else logging.WARNING
            log(
                self.logger,
                level,
                f"mail-{outcome.status}",
                f"{outcome.status} {delivery.mail.label} to {delivery.recipient}: {outcome.reply}",
                label=delivery.mail.label,
                recipient=delivery.recipient,
            )

    def _close_stale_reviews(self, now: datetime) -> None:
        """Close the reviews no send will close: their send time passed longer ago than a missed
        digest is looked for, or their profile is no longer reviewed or has no recipients. The
        digest is then published as built (a draft stays hidden only while it may still go)."""
        reviewed = {p.name for p in self.config.profiles if p.review and p.recipients}
        for draft in self.storage.open_reviews():
            if draft.profile not in reviewed or draft.due_at < now - LOOKBACK:
                self.storage.close_review(draft.profile, draft.day, draft.due_at, now)

    def _draft_if_due(self, profile: ProfileConfig, now: datetime) -> None:
        """Assemble a reviewed profile's next digest once, ahead of its send time, for the
        reviewers' desk (at the send time it is built again, with their actions)."""
        day = pipeline.draft_day(profile, now)
        if day is None or not profile.recipients:  # a digest nobody gets needs no review
            return
        draft = self.storage.review_draft(profile.name, day.isoformat())
        if draft is None:
            self._assemble_draft(profile, day, now)
            draft = self.storage.review_draft(profile.name, day.isoformat())
        if draft is not None:  # assembled here or by `digest build`: its reviewers told once
            notify_reviewers(self.storage, self.config, profile, draft, self.env, now)

    def _assemble_draft(self, profile: ProfileConfig, day: date, now: datetime) -> None:
        pipeline.build_digest(
            self.storage,
            profile,
            day,
            self.env,
            self.parents,
            now,
            config=self.config,
        )
        where = self.config.web.base_url
        log(
            self.logger,
            logging.INFO,
            "draft-ready",
            f"{profile.name} {day}: draft ready for review"
            + (f" at {where}review/{profile.name}/{day}" if where else ""),
            profile=profile.name,
            day=day.isoformat(),
        )

    def _queue_if_due(self, profile: ProfileConfig, now: datetime) -> None:
        found = latest_send(profile, now)
        if found is None or not profile.recipients:
            return
        day, due = found
        record = self.storage.digest(profile.name, day.isoformat())
        if record is not None:
            queued = {d.recipient for d in self.storage.deliveries(record.id)}
            if queued >= set(profile.recipients):
                return
        if due < self._arrived.get(profile.name, self.started):
            # as a scheduler takes a new job: from its next time (a new installation does not
            # open with yesterday's digest, and a profile renamed after its send time has had
            # the day's digest under its old name: its readers must not get it twice)
            self._skip(profile, day, due, "the profile was added or renamed after that")
            return
        # late only if missed while the service was down: its own delays do not count
        missed = due < self.started and now - due > timedelta(minutes=self.config.run.grace_minutes)
        if missed and self.config.run.late_digests == "skip":
            self._skip(profile, day, due, "missed while the service was down")
            return
        added = pipeline.queue_digest(
            self.storage,
            self.config,
            profile,
            day,
            self.env,
            self.parents,
            now,
            (due, now) if missed else None,
        )
        log(
            self.logger,
            logging.INFO,
            "digest-queued",
            f"{profile.name} {day}: {added} message(s) queued" + (" (late)" if missed else ""),
            profile=profile.name,
            day=day.isoformat(),
            messages=added,
            late=missed,
        )

    def _skip(self, profile: ProfileConfig, day: date, due: datetime, why: str) -> None:
        """Say once that a digest due before the service started is not sent (by the
        configuration, or for a profile new to it: a new service does not open with
        yesterday's digest)."""
        if (profile.name, day.isoformat()) in self._skipped:
            return
        self._skipped.add((profile.name, day.isoformat()))
        if profile.review:  # its draft waits for no one
            self.storage.close_review(profile.name, day.isoformat(), due, self.clock.now())
        log(
            self.logger,
            logging.WARNING,
            "digest-skipped",
            f"{profile.name} {day}: due at {due:%H:%M %Z}, {why}: not sent; the next digest "
            "covers its reports",
            profile=profile.name,
            day=day.isoformat(),
        )

    @guarded
    async def upkeep(self) -> None:
        """Retention of reports in no story, then SQLite's own upkeep."""
        self._track()
        days = self.config.run.retention_days
        gone = 0
        while days:  # in batches: the event loop (signals, health, jobs) stays free
            pruned = self.storage.prune(self.clock.now() - timedelta(days=days), PRUNE_BATCH)
            gone += pruned
            if pruned < PRUNE_BATCH:
                break
            await asyncio.sleep(0)
        self.storage.maintain()
        log(
            self.logger,
            logging.INFO,
            "upkeep",
            f"upkeep: {gone} report(s) older than {days} days and in no story deleted; "
            "database checkpointed and optimised",
            pruned=gone,
        )
