"""`digest run`: APScheduler (AsyncIOScheduler) drives the service's jobs.

- poll: every `poll_every_s` with jitter; the database decides which sources are due.
- send: each profile's digest at its send time in its own zone (a cron trigger: DST-correct),
  and every `check_every_s` the same job again, which also retries the outbox and releases held
  alerts: a digest missed while the daemon was down goes out on start (or late with a note, or
  not at all, past the grace window); the outbox makes sure nothing goes twice.
- upkeep: daily at `maintenance_at`.

SIGTERM and SIGINT stop the scheduler and wait up to STOP_WAIT_S for the job in flight; SIGHUP
reads the configuration again (an invalid one is refused and the old one kept). A lock file next
to the database keeps a second daemon off the same database.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from datetime import time as TimeOfDay
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from digest import config as configuration
from digest.errors import ConfigError, DigestError
from digest.run import health, logs
from digest.run.clock import Clock
from digest.run.logs import log
from digest.run.service import Service
from digest.storage import open_storage

STOP_WAIT_S = 5.0  # for the jobs in flight; then they are cut short (SIGKILL comes at 10-15 s)
CANCEL_WAIT_S = 2.0
LOCK_WAIT_S = 1.0


def lock_path(database: Path) -> Path:
    real = database.resolve()  # one lock, however the path is spelt
    return real.with_name(real.name + ".run.lock")


@contextmanager
def running_lock(database: Path) -> Iterator[None]:
    """Hold the daemon's lock for this database, or fail (within LOCK_WAIT_S: `digest status`
    may be looking at it); the file names the holder."""
    database.parent.mkdir(parents=True, exist_ok=True)
    path = lock_path(database)
    with path.open("a+") as handle:
        deadline = time.monotonic() + LOCK_WAIT_S
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "?"
                    raise DigestError(
                        f"another digest run (pid {holder}) is using {database}; stop it first"
                    ) from None
                time.sleep(0.05)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def holder(database: Path) -> int | None:
    """The pid of the daemon running on this database, or None."""
    path = lock_path(database)
    if not path.exists():
        return None
    with path.open("r") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = handle.read().strip()
            return int(text) if text.isdigit() else -1
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None


def review_time(profile: configuration.ProfileConfig) -> TimeOfDay:
    """The local time of day a reviewed profile's draft is assembled."""
    send = datetime.combine(date(2000, 1, 2), profile.send_at)
    return (send - timedelta(minutes=profile.review_ahead_minutes)).time()


class Daemon:
    def __init__(
        self,
        config_path: Path,
        config: configuration.DigestConfig,
        clock: Clock,
        logger: logging.Logger,
    ):
        self.config_path = config_path
        self.config = config
        self.clock = clock
        self.logger = logger
        self.storage = open_storage(config.storage.database)
        self.service = Service(config, self.storage, clock, self.logger)
        self.scheduler = AsyncIOScheduler(timezone="UTC")

    def schedule(self) -> None:
        """(Re)create every job from the current configuration."""
        run = self.config.run
        self.scheduler.remove_all_jobs()
        common: dict[str, Any] = {"max_instances": 1, "coalesce": True, "replace_existing": True}
        every = self.clock.real_seconds
        self.scheduler.add_job(
            self.service.poll,
            IntervalTrigger(seconds=run.poll_every_s, jitter=run.jitter_s or None),
            id="poll",
            misfire_grace_time=None,
            **common,
        )
        self.scheduler.add_job(
            self.service.send,
            IntervalTrigger(seconds=run.check_every_s),
            id="send",
            misfire_grace_time=None,
            **common,
        )
        for profile in self.config.profiles:
            self.scheduler.add_job(
                self.service.send,
                CronTrigger(
                    hour=profile.send_at.hour,
                    minute=profile.send_at.minute,
                    timezone=profile.timezone,
                ),
                id=f"digest:{profile.name}",
                misfire_grace_time=run.grace_minutes * 60 or None,
                **common,
            )
            if profile.review:  # the draft for the reviewers, to the minute
                ahead = review_time(profile)
                self.scheduler.add_job(
                    self.service.send,
                    CronTrigger(hour=ahead.hour, minute=ahead.minute, timezone=profile.timezone),
                    id=f"draft:{profile.name}",
                    misfire_grace_time=60,
                    **common,
                )
        self.scheduler.add_job(
            self.service.upkeep,
            IntervalTrigger(seconds=max(1.0, every(86_400)))
            if self.clock.start is not None
            else CronTrigger(
                hour=run.maintenance_at.hour,
                minute=run.maintenance_at.minute,
                timezone=run.timezone,
            ),
            id="upkeep",
            misfire_grace_time=3600,
            **common,
        )

    def reload(self) -> None:
        try:
            config = configuration.load(self.config_path)
        except ConfigError as exc:
            log(
                self.logger,
                logging.ERROR,
                "reload-refused",
                f"configuration {self.config_path} refused, the old one stays: "
                + "; ".join(exc.problems),
            )
            return
        if config.storage.database != self.config.storage.database:
            log(
                self.logger,
                logging.ERROR,
                "reload-refused",
                "storage.database cannot change while running; restart digest run for that",
            )
            return
        self.config = config
        self.service.reconfigure(config)
        self.schedule()
        log(self.logger, logging.INFO, "reloaded", f"configuration {self.config_path} reloaded")

    async def _first_round(self, stopping: asyncio.Event) -> None:
        await self.service.poll()
        if not stopping.is_set():
            await self.service.send()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        stopping = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stopping.set)
        loop.add_signal_handler(signal.SIGHUP, self.reload)
        server = await health.start(self)
        self.scheduler.start()
        self.schedule()
        log(
            self.logger,
            logging.INFO,
            "started",
            f"digest run started (pid {os.getpid()}) on {self.config.storage.database}: "
            f"{len(self.config.sources)} source(s), {len(self.config.profiles)} profile(s)",
        )
        # at once, not a period later: read the feeds, then send a digest missed while down
        first = asyncio.create_task(self._first_round(stopping))
        await stopping.wait()
        log(self.logger, logging.INFO, "stopping", "stopping: finishing the jobs in flight")
        self.scheduler.pause()  # no new job; APScheduler's shutdown would cancel those running
        jobs = {task for task in (first, *self.service.running) if not task.done()}
        if jobs:
            _, unfinished = await asyncio.wait(jobs, timeout=STOP_WAIT_S)
            for task in unfinished:  # each source's items are committed as they come
                task.cancel()
            if unfinished:
                await asyncio.wait(unfinished, timeout=CANCEL_WAIT_S)
        self.scheduler.shutdown(wait=False)
        if server is not None:
            server.close()
        await self.service.close()
        self.storage.close()
        log(self.logger, logging.INFO, "stopped", "digest run stopped")


def run_daemon(config_path: Path) -> int:
    # a reload asked for while starting waits for the handler, instead of killing the process
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    config = configuration.load(config_path)
    clock = Clock.from_environment()
    with running_lock(config.storage.database):
        daemon = Daemon(config_path, config, clock, logs.setup(config.run.log_format))
        asyncio.run(daemon.run())
    return 0
