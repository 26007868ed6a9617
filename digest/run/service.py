"""The work `digest run` schedules: polling, the digests and the outbox, the daily upkeep. Each
job catches what goes wrong, logs it and returns: nothing a source, a server or a bad day does
stops the service."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import ParamSpec
from zoneinfo import ZoneInfo

import httpx

from digest import outbox, pipeline
from digest.config import DigestConfig, ProfileConfig
from digest.intake import dispatch_alerts
from digest.render import environment
from digest.run.clock import Clock
from digest.run.logs import log
from digest.signals.classify import Classifier
from digest.signals.gazetteer import Gazetteer
from digest.sources.http import make_client
from digest.storage import Storage

P = ParamSpec("P")


def guarded(job: Callable[P, Awaitable[None]]) -> Callable[P, Awaitable[None]]:
    """A job that logs its failure instead of raising it into the scheduler."""

    @wraps(job)
    async def run(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            await job(*args, **kwargs)
        except Exception as exc:  # the service must outlive any one job
            logging.getLogger("digest.run").exception(
                "%s failed: %s", job.__name__, exc, extra={"event": f"{job.__name__}-failed"}
            )

    return run


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
        self._classifier: Classifier | None = None
        self._client: httpx.AsyncClient | None = None
        self._skipped: set[tuple[str, str]] = set()
        # a job started by hand (at start) and by its trigger must not overlap
        self._polling = asyncio.Lock()
        self._sending = asyncio.Lock()
        self.last_poll: datetime | None = None

    def reconfigure(self, config: DigestConfig) -> None:
        """Take a new configuration (already validated); the classifier and the HTTP client are
        made again from it when next needed."""
        self.config = config
        self._classifier = None
        self._skipped.clear()

    def classifier(self) -> Classifier:
        if self._classifier is None:
            self._classifier = Classifier.from_signals(self.config.signals, self.gazetteer)
        return self._classifier

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    @guarded
    async def poll(self) -> None:
        if self._polling.locked():
            return
        async with self._polling:
            await self._poll()

    async def _poll(self) -> None:
        now = self.clock.now()
        if self._client is None:
            self._client = make_client(self.config.fetch)
        report = await pipeline.poll(self.storage, self.config, self.classifier, self._client, now)
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
        """Queue the digests that are due, release held alerts, and try the outbox once."""
        if self._sending.locked():
            return
        async with self._sending:
            await self._send()

    async def _send(self) -> None:
        now = self.clock.now()
        with outbox.sending_turn(self.config.storage.database) as mine:
            if not mine:  # `digest send` is at it; it will send what is due
                return
            for profile in self.config.profiles:
                self._queue_if_due(profile, now)
            dispatch_alerts(self.storage, self.config.alerts, self.env, self.config.smtp, now)
            wanted = outbox.asked_by(self.config.alerts, self.config.profiles)
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

    def _queue_if_due(self, profile: ProfileConfig, now: datetime) -> None:
        day = pipeline.due_day(profile, now)
        if day is None or not profile.recipients:
            return
        record = self.storage.digest(profile.name, day.isoformat())
        if record is not None:
            queued = {d.recipient for d in self.storage.deliveries(record.id)}
            if queued >= set(profile.recipients):
                return
        due = datetime.combine(day, profile.send_at, tzinfo=ZoneInfo(profile.timezone))
        late = now - due > timedelta(minutes=self.config.run.grace_minutes)
        if late and self.config.run.late_digests == "skip":
            if (profile.name, day.isoformat()) not in self._skipped:
                self._skipped.add((profile.name, day.isoformat()))
                log(
                    self.logger,
                    logging.WARNING,
                    "digest-skipped",
                    f"{profile.name} {day}: due at {due:%H:%M %Z}, too late to send; the next "
                    "digest covers its reports",
                    profile=profile.name,
                    day=day.isoformat(),
                )
            return
        added = pipeline.queue_digest(
            self.storage,
            profile,
            day,
            self.env,
            self.parents,
            self.config.smtp.from_addr,
            now,
            (due, now) if late else None,
        )
        log(
            self.logger,
            logging.INFO,
            "digest-queued",
            f"{profile.name} {day}: {added} message(s) queued" + (" (late)" if late else ""),
            profile=profile.name,
            day=day.isoformat(),
            messages=added,
            late=late,
        )

    @guarded
    async def upkeep(self) -> None:
        """Retention of reports in no story, then SQLite's own upkeep."""
        days = self.config.run.retention_days
        gone = self.storage.prune(self.clock.now() - timedelta(days=days)) if days else 0
        self.storage.maintain()
        log(
            self.logger,
            logging.INFO,
            "upkeep",
            f"upkeep: {gone} report(s) older than {days} days and in no story deleted; "
            "database checkpointed and optimised",
            pruned=gone,
        )
