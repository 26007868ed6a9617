"""The service's jobs one at a time, on a fixed clock and a real SMTP server: a digest missed
while the service was down (within the grace window, past it with a note, or skipped), never
twice; the daily upkeep; the daemon's lock; `digest status` and `digest backup`."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digest.config import DigestConfig
from digest.errors import DigestError
from digest.outbox import enqueue
from digest.run.clock import Clock
from digest.run.daemon import Daemon, holder, running_lock
from digest.run.service import Service
from digest.sources.normalise import normalise
from digest.storage.base import NewSource
from digest.storage.reader import ArchiveReader
from digest.storage.search import SearchFilters
from digest.storage.sqlite import SqliteStorage
from digest.types import RawItem

from .conftest import Mailbox, ScriptedServer, reply
from .faulty import POISON, Poisoned
from .test_cli import digest
from .test_intake import rss

SEND_AT = datetime(2026, 3, 24, 4, 30, tzinfo=UTC)  # 06:30 in Beirut


def still(moment: datetime) -> Clock:
    return Clock(moment, time.time(), 1e-9)  # stands still


def service(
    tmp_path: Path,
    port: int,
    now: datetime,
    send_at: str = "06:30",
    first: bool = False,
    **run: object,
) -> tuple[Service, SqliteStorage]:
    """The service, started at `now`; unless `first`, it sent the digest of 23 March."""
    config = DigestConfig.model_validate(
        {
            "storage": {"database": str(tmp_path / "d.sqlite3")},
            "smtp": {"host": "127.0.0.1", "port": port},
            "profiles": [{"name": "beirut", "recipients": ["a@example.org"], "send_at": send_at}],
            "run": run,
        }
    )
    storage = SqliteStorage(config.storage.database)
    if not first:  # a service that ran the day before, with the profile
        storage.profiles_arrived(["beirut"], SEND_AT - timedelta(days=2))
        sent = SEND_AT - timedelta(days=1)
        span = (sent - timedelta(days=1), sent)
        digest_id = storage.save_digest("beirut", "2026-03-23", span, sent, "s", "h", "t", [])
        enqueue(storage, digest_id, ["a@example.org"], "digest@example.org", sent)
        (row,) = storage.deliveries(digest_id)
        storage.record_attempt(row.id, "sent", "250 ok", sent)
    return Service(config, storage, still(now), logging.getLogger("test")), storage


@pytest.mark.parametrize(
    ("late_by", "run", "sent", "note"),
    [
        (timedelta(minutes=-5), {}, 0, False),  # not due yet
        (timedelta(minutes=1), {}, 1, False),  # on time
        (timedelta(minutes=100), {"grace_minutes": 120}, 1, False),  # down, back within grace
        (timedelta(hours=5), {"grace_minutes": 120}, 1, True),  # past it: sent, saying so
        (timedelta(hours=5), {"grace_minutes": 120, "late_digests": "skip"}, 0, False),
    ],
)
def test_a_missed_digest_is_sent_on_time_late_or_skipped_and_never_twice(
    tmp_path: Path,
    mailbox: tuple[Mailbox, int],
    late_by: timedelta,
    run: dict[str, object],
    sent: int,
    note: bool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    handler, port = mailbox
    jobs, storage = service(tmp_path, port, SEND_AT + late_by, **run)
    asyncio.run(jobs.send())
    asyncio.run(jobs.send())  # the next check finds it sent
    assert len(handler.received) == sent
    for _, message in handler.received:
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert ("Sent late: this digest was due at 24 Mar 06:30" in text) is note
    if run.get("late_digests") == "skip":
        skipped = [r for r in caplog.records if getattr(r, "event", "") == "digest-skipped"]
        assert len(skipped) == 1  # said once, not at every check
    storage.close()


def test_the_services_own_delays_never_make_a_digest_late(
    tmp_path: Path, mailbox: tuple[Mailbox, int]
) -> None:
    handler, port = mailbox
    jobs, storage = service(tmp_path, port, SEND_AT - timedelta(hours=1), grace_minutes=0)
    jobs.clock = still(SEND_AT + timedelta(minutes=3))  # running all along, a slow check
    asyncio.run(jobs.send())
    ((_, message),) = handler.received
    assert "Sent late" not in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    storage.close()


def test_a_digest_due_before_midnight_is_still_found_after_it(
    tmp_path: Path, mailbox: tuple[Mailbox, int]
) -> None:
    handler, port = mailbox
    due = datetime(2026, 3, 24, 21, 50, tzinfo=UTC)  # 23:50 in Beirut
    jobs, storage = service(tmp_path, port, due + timedelta(minutes=20), send_at="23:50")
    asyncio.run(jobs.send())
    assert len(handler.received) == 1
    assert storage.digest("beirut", "2026-03-24") is not None
    storage.close()


def test_a_profile_renamed_after_its_send_time_does_not_send_the_day_again(
    tmp_path: Path, mailbox: tuple[Mailbox, int], caplog: pytest.LogCaptureFixture
) -> None:
    """A profile that comes with a reload starts at its next send time, as a scheduler takes a
    new job: renamed after the day's digest went, it must not send that day again."""
    handler, port = mailbox
    caplog.set_level(logging.INFO, "test")
    jobs, storage = service(tmp_path, port, SEND_AT + timedelta(minutes=1))
    asyncio.run(jobs.send())
    assert len(handler.received) == 1
    jobs.clock = still(SEND_AT + timedelta(minutes=10))
    (profile,) = jobs.config.profiles
    renamed = profile.model_copy(update={"name": "beirut-office"})
    jobs.reconfigure(jobs.config.model_copy(update={"profiles": [renamed]}))
    asyncio.run(jobs.send())
    assert len(handler.received) == 1
    added = [r for r in caplog.records if getattr(r, "event", "") == "profile-added"]
    assert [r.getMessage() for r in added] == [
        "profile beirut-office is new: its first digest goes at its next send time "
        "(06:30 Asia/Beirut)"
    ]
    jobs.clock = still(SEND_AT + timedelta(days=1, minutes=1))
    asyncio.run(jobs.send())
    assert len(handler.received) == 2
    assert storage.digest("beirut-office", "2026-03-25") is not None
    storage.close()


def test_a_profile_renamed_back_and_forth_sends_each_day_once(
    tmp_path: Path, mailbox: tuple[Mailbox, int]
) -> None:
    """beirut -> beirut-office after day 1's digest, back to beirut after day 2's, and again
    to beirut-office after day 3's: each day's digest goes once (a name's second arrival
    counts from then, not from its first)."""
    handler, port = mailbox
    jobs, storage = service(tmp_path, port, SEND_AT + timedelta(minutes=1))
    asyncio.run(jobs.send())
    (beirut,) = jobs.config.profiles
    office = beirut.model_copy(update={"name": "beirut-office"})
    for day, renamed in enumerate([office, beirut, office]):
        if day:
            jobs.clock = still(SEND_AT + timedelta(days=day, minutes=1))
            asyncio.run(jobs.send())
        assert len(handler.received) == day + 1
        jobs.clock = still(SEND_AT + timedelta(days=day, minutes=10))
        jobs.reconfigure(jobs.config.model_copy(update={"profiles": [renamed]}))
        asyncio.run(jobs.send())
        assert len(handler.received) == day + 1
    storage.close()


def test_a_profile_renamed_while_the_service_was_stopped_does_not_send_the_day_again(
    tmp_path: Path, mailbox: tuple[Mailbox, int], caplog: pytest.LogCaptureFixture
) -> None:
    """The same rename made with a restart within `grace_minutes`: a name with no digest yet
    starts at its next send time, as a job new to a scheduler does."""
    handler, port = mailbox
    jobs, storage = service(tmp_path, port, SEND_AT + timedelta(minutes=1))
    asyncio.run(jobs.send())
    (beirut,) = jobs.config.profiles
    office = beirut.model_copy(update={"name": "beirut-office"})
    config = jobs.config.model_copy(update={"profiles": [office]})
    later = still(SEND_AT + timedelta(minutes=10))
    asyncio.run(Service(config, storage, later, logging.getLogger("test")).send())
    assert len(handler.received) == 1
    (skipped,) = [r for r in caplog.records if getattr(r, "event", "") == "digest-skipped"]
    assert "the profile was added or renamed after that: not sent" in skipped.getMessage()
    storage.close()


def test_a_new_installation_restarted_around_its_first_send_time_still_sends_it(
    tmp_path: Path, mailbox: tuple[Mailbox, int]
) -> None:
    """When a profile came is kept in the database: a service started before the send time,
    stopped, and started again just after it (within the grace minutes), sends the day's
    first digest; a profile only learns of its arrival from the first start."""
    handler, port = mailbox
    jobs, storage = service(tmp_path, port, SEND_AT - timedelta(hours=1), first=True)
    asyncio.run(jobs.send())
    assert handler.received == []  # not due yet
    again = Service(jobs.config, storage, still(SEND_AT + timedelta(minutes=10)), jobs.logger)
    asyncio.run(again.send())
    assert len(handler.received) == 1
    storage.close()


def test_a_new_service_does_not_open_with_a_digest_long_overdue(
    tmp_path: Path, mailbox: tuple[Mailbox, int], caplog: pytest.LogCaptureFixture
) -> None:
    handler, port = mailbox
    jobs, storage = service(tmp_path, port, SEND_AT + timedelta(hours=5), first=True)
    asyncio.run(jobs.send())
    assert handler.received == []
    assert any(getattr(r, "event", "") == "digest-skipped" for r in caplog.records)
    storage.close()


def test_each_profile_is_scheduled_at_its_local_send_time_across_dst(tmp_path: Path) -> None:
    config = DigestConfig.model_validate(
        {
            "storage": {"database": str(tmp_path / "d.sqlite3")},
            "profiles": [
                {"name": "beirut", "timezone": "Asia/Beirut", "send_at": "06:30"},
                {"name": "ny", "timezone": "America/New_York", "send_at": "07:00"},
            ],
        }
    )
    daemon = Daemon(tmp_path / "digest.toml", config, Clock(), logging.getLogger("test"))
    daemon.schedule()
    cases = [
        ("beirut", datetime(2026, 3, 28, 12, tzinfo=UTC), "2026-03-29T06:30:00+03:00"),
        ("beirut", datetime(2026, 3, 27, 12, tzinfo=UTC), "2026-03-28T06:30:00+02:00"),
        ("ny", datetime(2026, 3, 7, 20, tzinfo=UTC), "2026-03-08T07:00:00-04:00"),
        ("ny", datetime(2026, 10, 31, 20, tzinfo=UTC), "2026-11-01T07:00:00-05:00"),
    ]
    for name, now, expected in cases:
        trigger = daemon.scheduler.get_job(f"digest:{name}").trigger
        assert trigger.get_next_fire_time(None, now).isoformat() == expected
    daemon.storage.close()


def test_upkeep_deletes_old_reports_in_no_story_and_their_index(
    tmp_path: Path, mailbox: tuple[Mailbox, int]
) -> None:
    _, port = mailbox
    jobs, storage = service(tmp_path, port, SEND_AT, retention_days=30)
    storage.sync_sources([NewSource("Wire", "https://wire.example/rss")], "config")
    old = SEND_AT - timedelta(days=40)
    raws = [
        RawItem("old", None, "Roadworks zebra", "<p>x</p>", old),
        RawItem("recent", None, "Roadworks yak", "<p>x</p>", SEND_AT - timedelta(days=2)),
    ]
    storage.store_items(
        storage.source("Wire").id, [normalise(r, "Wire", SEND_AT, None) for r in raws]
    )
    asyncio.run(jobs.upkeep())
    titles = sqlite3.connect(tmp_path / "d.sqlite3").execute("SELECT title FROM items")
    assert {row[0] for row in titles} == {"Roadworks yak"}
    reader = ArchiveReader(tmp_path / "d.sqlite3")
    assert reader.search(SearchFilters(q="zebra"), 5).hits == ()
    assert len(reader.search(SearchFilters(q="roadworks"), 5).hits) == 1
    reader.close()
    storage.close()


def test_one_daemon_per_database(tmp_path: Path) -> None:
    database = tmp_path / "d.sqlite3"
    assert holder(database) is None
    with running_lock(database):
        assert holder(database) is not None
        with pytest.raises(DigestError, match="another digest run"), running_lock(database):
            pass
    assert holder(database) is None


def test_status_and_backup(tmp_path: Path, mailbox: tuple[Mailbox, int]) -> None:
    handler, port = mailbox
    jobs, storage = service(tmp_path, port, SEND_AT + timedelta(minutes=1))
    storage.sync_sources([NewSource("Wire", "https://wire.example/rss")], "config")
    storage.record_failure(storage.source("Wire").id, SEND_AT, SEND_AT, "HTTP 503")
    asyncio.run(jobs.send())
    storage.close()
    config = tmp_path / "digest.toml"
    config.write_text(
        f'[storage]\ndatabase = "{tmp_path / "d.sqlite3"}"\n'
        '[[sources]]\nname = "Wire"\nurl = "https://wire.example/rss"\n'
        '[[profiles]]\nname = "beirut"\nrecipients = ["a@example.org"]\n'
    )
    shown = digest("--config", str(config), "status", "--json", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    status = json.loads(shown.stdout)
    assert status["running"] is False
    assert status["failing"][0]["name"] == "Wire" and "503" in status["failing"][0]["error"]
    assert status["digests"][0]["profile"] == "beirut" and status["outbox"] == {
        "mail": 0,
        "webhooks": 0,
    }
    text = digest("--config", str(config), "status", cwd=tmp_path).stdout
    assert "digest run: not running" in text and "failing: Wire" in text
    copy = tmp_path / "copy.sqlite3"
    done = digest("--config", str(config), "backup", str(copy), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = sqlite3.connect(copy).execute("SELECT count(*) FROM deliveries").fetchone()[0]
    assert rows == len(handler.received) + 1 == 2  # with the digest of the day before
    again = digest("--config", str(config), "backup", str(copy), cwd=tmp_path)
    assert again.returncode == 2 and "exists" in again.stderr


def test_json_log_lines_carry_the_event_and_its_fields() -> None:
    from digest.run.logs import JsonLines, log

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("test.json")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    log(logger, logging.INFO, "digest-queued", "beirut: 2 queued", profile="beirut", messages=2)
    line = json.loads(JsonLines().format(records[0]))
    assert line["event"] == "digest-queued" and line["level"] == "info"
    assert line["profile"] == "beirut" and line["messages"] == 2
    assert line["message"] == "beirut: 2 queued" and line["time"].endswith("+00:00")
    logger.removeHandler(handler)


def test_the_service_logs_a_report_the_classifier_fails_on_as_an_error(
    tmp_path: Path, server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A poll that met a bug of digest's says so at error level, with the report's id, every
    poll until a version without the bug reads it; the service goes on."""
    server.routes["/bad.xml"] = reply(200, rss("b1", f"Council {POISON} meets in Jounieh"))
    config = DigestConfig.model_validate(
        {
            "storage": {"database": str(tmp_path / "d.sqlite3")},
            "fetch": {"allow_private_networks": True},
            "sources": [{"name": "Bad", "url": server.url("/bad.xml")}],
        }
    )
    storage = SqliteStorage(config.storage.database)
    runner = Service(config, storage, still(SEND_AT), logging.getLogger("test"))
    runner._classifier = Poisoned(runner.classifier())

    async def two_polls() -> None:
        await runner.poll()
        await runner.poll()
        await runner.close()

    caplog.set_level(logging.INFO, "test")
    asyncio.run(two_polls())
    errors = [r for r in caplog.records if r.name == "test" and r.levelno == logging.ERROR]
    (waiting,) = storage.unassessed_items()
    assert [r.getMessage() for r in errors] == [
        "1 report(s) could not be classified, a fault of digest's: they wait for the next poll "
        f"(first: {waiting.id})"
    ] * 2
    storage.close()
