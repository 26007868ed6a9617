"""Alerts while a poll goes on: a source's items are assessed, clustered and alerted on as soon
as they are stored, so a webhook and an email go out before the slowest source has answered.
Real loopback servers for the feeds, the webhook and SMTP; a real SQLite file."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sqlite3
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler
from ipaddress import ip_network
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from digest import intake, parallel, pipeline
from digest.assessing import explained_of
from digest.cli import fetch_summary
from digest.config import DigestConfig, SignalsConfig
from digest.intake import MIN_BACKGROUND, assess_pending
from digest.signals.classify import Classifier
from digest.sources.http import make_client
from digest.sources.normalise import content_hash
from digest.storage.base import NewSource
from digest.storage.sqlite import SqliteStorage
from digest.types import Item

from .conftest import Mailbox, ScriptedServer, reply
from .faulty import (
    POISON,
    SLOW_WORKER_S,
    Poisoned,
    failing_worker,
    start_poisoned_worker,
    start_slow_worker,
)
from .test_alerts import Receiver

NOW = datetime(2026, 3, 24, 9, 0, tzinfo=UTC)
ORDERS = Path(__file__).parent / "data" / "evacuation" / "dev.jsonl"
WORDS = "market ministry budget school football concert weather harvest port bank tourism".split()


def history(count: int) -> list[Item]:
    """Ordinary news of the day before: what a running digest has already read."""
    rng = random.Random(5)
    made = []
    for number in range(count):
        title = f"Note {number}: " + " ".join(rng.choices(WORDS, k=6))
        text = " ".join(rng.choices(WORDS, k=60))
        when = NOW - timedelta(hours=20) + timedelta(minutes=number)
        made.append(
            Item(
                f"h{number}",
                "History",
                None,
                f"https://history.example/{number}",
                title,
                text,
                "",
                None,
                when,
                when,
                content_hash(title, text),
            )
        )
    return made


def rss(guid: str, title: str) -> bytes:
    when = format_datetime(NOW - timedelta(minutes=20))
    entry = f"<item><guid>{guid}</guid><title>{title}</title><pubDate>{when}</pubDate></item>"
    channel = f"<channel><title>t</title>{entry}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()


def south_alerts(
    tmp_path: Path, port: int, feeds: dict[str, str], webhooks: list[str] | None = None
) -> DigestConfig:
    """Air strikes in Nabatieh alerted by email (and to `webhooks`), from these feeds."""
    alert: dict[str, Any] = {
        "name": "south",
        "query": "category:airstrike AND region:LB4",
        "recipients": ["duty@example.org"],
    }
    if webhooks:
        alert["webhooks"] = webhooks
    return DigestConfig.model_validate(
        {
            "storage": {"database": str(tmp_path / "d.sqlite3")},
            "smtp": {"host": "127.0.0.1", "port": port, "from_addr": "digest@example.org"},
            "sources": [{"name": name, "url": url} for name, url in feeds.items()],
            "alerts": [alert],
        }
    )


def with_reports(path: Path | str, reports: list[Item]) -> SqliteStorage:
    """A database with these reports of the source "History" stored, not assessed yet."""
    storage = SqliteStorage(path)
    storage.sync_sources([NewSource("History", "https://history.example/rss")], "config")
    storage.store_items(storage.source("History").id, reports)
    return storage


def running(config: DigestConfig, classifier: Classifier) -> SqliteStorage:
    """The database of a digest that has been running: a day of ordinary news read."""
    storage = with_reports(config.storage.database, history(MIN_BACKGROUND))
    assess_pending(storage, lambda: classifier, NOW)
    return storage


async def poll(
    storage: SqliteStorage, config: DigestConfig, classifier: Callable[[], Classifier]
) -> pipeline.PollReport:
    """Every source polled once, through the real client (loopback allowed)."""
    async with make_client(config.fetch, [ip_network("127.0.0.0/8")]) as client:
        return await pipeline.poll(storage, config, classifier, client, NOW, True)


def feed_of(reports: list[Item]) -> bytes:
    entries = "".join(
        f"<item><guid>{item.id}</guid><title>{escape(item.title)}</title>"
        f"<description>{escape(item.text)}</description>"
        f"<pubDate>{format_datetime(item.published)}</pubDate></item>"
        for item in reports
    )
    channel = f"<channel><title>h</title>{entries}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()


def test_an_alert_goes_out_before_the_slowest_source_has_answered(
    tmp_path: Path, server: ScriptedServer, mailbox: tuple[Mailbox, int]
) -> None:
    handler, port = mailbox
    receiver = Receiver()
    answered: list[float] = []
    server.routes["/wire.xml"] = reply(
        200, rss("w1", "Drone strike on a car in Aitaroun kills one")
    )

    def slow(request: BaseHTTPRequestHandler) -> None:
        time.sleep(6)  # margin for a loaded machine: the alert takes 1-3 s there
        answered.append(time.monotonic())
        reply(200, rss("s1", "Municipal council meets in Jounieh"))(request)

    server.routes["/slow.xml"] = slow
    feeds = {"Wire": server.url("/wire.xml"), "Slow": server.url("/slow.xml")}
    config = south_alerts(tmp_path, port, feeds, [receiver.url])
    classifier = Classifier.from_signals()
    storage = running(config, classifier)
    report = asyncio.run(poll(storage, config, lambda: classifier))
    receiver.stop()
    assert [f.rule for f in report.firings] == ["south"] and report.notices == 1
    assert [s.status for s in report.sends] == ["sent"]
    assert [m.status for m in report.mails] == ["sent"]
    assert len(answered) == 1 and len(receiver.times) == 1 and len(handler.times) == 1
    assert receiver.times[0] < answered[0]  # the webhook before the slow source answered
    assert handler.times[0] < answered[0]  # and the email
    assert {o.name: o.status for o in report.outcomes} == {"Slow": "updated", "Wire": "updated"}
    storage.close()


def test_a_large_backlog_is_classified_on_several_cores_as_on_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first poll of many sources classifies its backlog in worker processes: the stored
    assessments (evacuation orders included) are those one process makes, in the same order."""
    rows = [json.loads(line) for line in ORDERS.read_text(encoding="utf-8").splitlines()]
    reports = [
        Item(
            row["id"],
            "Orders",
            None,
            None,
            row["title"],
            row["text"],
            "",
            row.get("lang"),
            NOW - timedelta(minutes=n),
            NOW,
            content_hash(row["title"], row["text"]),
        )
        for n, row in enumerate(rows)
    ]
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 10)
    classifier = Classifier.from_signals()
    found = {}
    for workers in (1, 2):
        storage = SqliteStorage(tmp_path / f"{workers}.sqlite3")
        storage.sync_sources([NewSource("Orders", "https://orders.example/rss")], "config")
        storage.store_items(storage.source("Orders").id, [*reports, *history(30)])
        built: list[int] = []

        def serial(made: list[int] = built) -> Classifier:
            made.append(1)
            return classifier

        signals = SignalsConfig(workers=workers)
        assert assess_pending(storage, serial, NOW, signals) == len(reports) + 30
        assert built == ([1] if workers == 1 else [])  # the pool classified everything
        found[workers] = storage.assessed_items(
            datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
        )
        storage.close()
    assert found[2] == found[1]
    orders = sum(entry.assessment.order is not None for entry in found[2])
    assert orders == sum(bool(row["order"]) for row in rows)


def test_a_first_poll_classifies_its_backlog_in_the_background_as_on_one_core(
    tmp_path: Path, server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without alert rules a poll's items wait for its end; a large backlog is classified by
    worker processes meanwhile, with the same stored assessments as one process makes."""
    rows = [json.loads(line) for line in ORDERS.read_text(encoding="utf-8").splitlines()]
    entries = "".join(
        f"<item><guid>{row['id']}</guid><title>{escape(row['title'])}</title>"
        f"<description>{escape(row['text'])}</description>"
        f"<pubDate>{format_datetime(datetime.fromisoformat(row['published']))}</pubDate></item>"
        for row in rows
    )
    feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>o</title>{entries}'
    server.routes["/orders.xml"] = reply(200, (feed + "</channel></rss>").encode())
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 10)
    at_the_end: list[int] = []  # what was left to assess when the fetching was over

    def left_over(*args: Any) -> int:
        at_the_end.append(assess_pending(*args))
        return at_the_end[-1]

    monkeypatch.setattr(intake, "assess_pending", left_over)
    classifier = Classifier.from_signals()
    found = {}
    for workers in (1, 2):
        config = DigestConfig.model_validate(
            {
                "storage": {"database": str(tmp_path / f"{workers}.sqlite3")},
                "signals": {"workers": workers},
                "sources": [{"name": "Orders", "url": server.url("/orders.xml")}],
            }
        )
        storage = SqliteStorage(config.storage.database)
        built: list[int] = []

        def serial(made: list[int] = built) -> Classifier:
            made.append(1)
            return classifier

        report = asyncio.run(poll(storage, config, serial))
        assert report.assessed == len(rows)
        assert built == ([1] if workers == 1 else [])
        found[workers] = storage.assessed_items(
            datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
        )
        storage.close()
    assert [entry.assessment for entry in found[2]] == [entry.assessment for entry in found[1]]
    assert len(found[2]) == len(rows)
    assert at_the_end == [len(rows), 0]


def test_a_worker_that_never_answers_holds_nothing_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunk not done in time (its worker hung) ends the collection there: its items and
    those after it stay waiting for the next attempt, even those another worker has done; and
    closing does not wait for the hung worker."""
    monkeypatch.setattr(parallel, "CHUNK_TIMEOUT_S", 2.0)
    assessors = parallel.Assessors(SignalsConfig(), 2)
    assessors.submit(history(3))
    assert len(assessors.collect()) == 3  # both workers up
    assessors._pending.append(assessors._executor.submit(time.sleep, 60))
    assessors.submit(history(3))  # the other worker does these
    started = time.monotonic()
    assert assessors.collect() == []
    assessors.close()
    assert time.monotonic() - started < 10


def test_a_worker_killed_while_idle_costs_one_look_not_a_hang(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The kernel's out-of-memory killer, or a stop signal sent to the whole service, can end
    a worker between chunks: what is submitted after gets no answer at once (and is classified
    by the caller), and closing returns (multiprocessing.Pool waited forever on its lock)."""
    assessors = parallel.Assessors(SignalsConfig(), 2)
    assessors.submit(history(3))
    assert len(assessors.collect()) == 3
    for pid in list(assessors._executor._processes):
        os.kill(pid, signal.SIGKILL)
    time.sleep(1)  # the executor sees them gone
    started = time.monotonic()
    assessors.submit(history(3))
    assert assessors.collect() == []
    assessors.close()
    assert time.monotonic() - started < 10
    assert "classifying processes stopped answering" in caplog.text


def test_assessments_of_reports_deleted_or_changed_meanwhile_are_not_saved(
    tmp_path: Path,
) -> None:
    """Workers answer a while after the reports were read: one deleted since (the daily
    upkeep) is skipped instead of failing the whole save, and one changed since keeps waiting,
    to be assessed as it is now."""
    reports = history(3)
    storage = with_reports(tmp_path / "d.sqlite3", reports)
    source = storage.source("History").id
    read = storage.items([item.id for item in reports])
    classifier = Classifier.from_signals()
    answers = [explained_of(classifier, item).assessment for item in read]
    versions = {item.id: item.content_hash for item in read}
    assert storage.prune(NOW + timedelta(days=365), 1) == 1  # the oldest, h0, is gone
    text = reports[2].text + " Updated."
    storage.store_items(
        source, [replace(reports[2], text=text, content_hash=content_hash(reports[2].title, text))]
    )
    assert intake.save_answers(storage, answers, versions, NOW) == 1
    assert [item.id for item in storage.unassessed_items()] == ["h2"]
    storage.close()


def test_what_failed_workers_left_is_classified_in_the_polling_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Workers that cannot start cost one look, not every poll's backlog: this process
    classifies the rest, or raises why it cannot."""
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 10)
    monkeypatch.setattr(parallel, "_start_worker", failing_worker)
    storage = with_reports(tmp_path / "d.sqlite3", history(20))
    classifier = Classifier.from_signals()
    assert assess_pending(storage, lambda: classifier, NOW, SignalsConfig(workers=2)) == 20
    assert storage.unassessed_items() == []
    assert "classifying processes stopped answering (A process in the" in caplog.text
    assert "stopped answering; 20 reports in this one" in caplog.text
    storage.close()


def poisoned_history(count: int) -> list[Item]:
    """Ordinary reports, and in their midst one that sets off the classifier's bug."""
    made = history(count)
    bad = made[count // 2]
    title = f"{POISON} {bad.title}"
    made[count // 2] = replace(bad, title=title, content_hash=content_hash(title, bad.text))
    return made


@pytest.mark.parametrize("workers", [1, 2])
def test_a_report_the_classifier_fails_on_waits_and_holds_up_no_other(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    workers: int,
) -> None:
    """A bug of digest's that one report sets off costs that report only, on one core or in
    the worker processes: the others are assessed and stored, and it stays waiting (nothing is
    lost) for a version without the bug; the log says which and why."""
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 10)
    monkeypatch.setattr(parallel, "_start_worker", start_poisoned_worker)
    storage = with_reports(tmp_path / "d.sqlite3", poisoned_history(40))
    healthy = Classifier.from_signals()
    poisoned = Poisoned(healthy)
    assessed = assess_pending(storage, lambda: poisoned, NOW, SignalsConfig(workers=workers))
    assert assessed == 39
    assert [item.id for item in storage.unassessed_items()] == ["h20"]
    assert poisoned.tried == (["h20"] if workers == 1 else [])  # or in a worker
    # logged in this process's log either way (a worker's own stderr would break its format)
    assert "could not classify report h20" in caplog.text
    assert "IndexError: string index out of range" in caplog.text
    assert assess_pending(storage, lambda: healthy, NOW) == 1  # the bug fixed
    assert storage.unassessed_items() == []
    storage.close()


def test_a_poll_goes_on_past_a_report_the_classifier_fails_on(
    tmp_path: Path, server: ScriptedServer, mailbox: tuple[Mailbox, int]
) -> None:
    """On the way of alerts (each source's reports assessed as they come), a report that sets
    off a bug is tried once a poll, the poll goes on to alert on the others, its summary counts
    the report, and the next poll tries it again."""
    _, port = mailbox
    server.routes["/bad.xml"] = reply(200, rss("b1", f"Municipal {POISON} meets in Jounieh"))
    server.routes["/wire.xml"] = reply(
        200, rss("w1", "Drone strike on a car in Aitaroun kills one")
    )
    feeds = {"Bad": server.url("/bad.xml"), "Wire": server.url("/wire.xml")}
    config = south_alerts(tmp_path, port, feeds)
    poisoned = Poisoned(Classifier.from_signals())
    storage = running(config, poisoned)
    report = asyncio.run(poll(storage, config, lambda: poisoned))
    waiting = [item.id for item in storage.unassessed_items()]
    assert len(waiting) == 1 and report.unreadable == tuple(waiting)
    assert poisoned.tried == waiting  # once in the poll, not again at its end
    assert [f.rule for f in report.firings] == ["south"] and report.notices == 1
    assert report.assessed == 1
    assert "1 could not be classified (see the log)" in fetch_summary(report, 1.0)
    again = asyncio.run(poll(storage, config, lambda: poisoned))
    assert poisoned.tried == waiting * 2 and again.unreadable == tuple(waiting)
    storage.close()


def test_the_event_loop_goes_on_while_a_poll_waits_for_its_workers(
    tmp_path: Path, server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The end of a first poll waits for the processes classifying its backlog; meanwhile the
    service's event loop must go on (its health endpoint answers, a stop signal is heard)."""
    reports = history(200)
    server.routes["/history.xml"] = reply(200, feed_of(reports))
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 10)
    monkeypatch.setattr(parallel, "_start_worker", start_slow_worker)
    config = DigestConfig.model_validate(
        {
            "storage": {"database": str(tmp_path / "d.sqlite3")},
            "signals": {"workers": 2},
            "sources": [{"name": "History", "url": server.url("/history.xml")}],
        }
    )
    storage = SqliteStorage(config.storage.database)
    classifier = Classifier.from_signals()
    ticks: list[float] = []

    async def poll_and_tick() -> pipeline.PollReport:
        async def tick() -> None:
            while True:
                ticks.append(time.monotonic())
                await asyncio.sleep(0.05)

        ticker = asyncio.ensure_future(tick())
        report = await poll(storage, config, lambda: classifier)
        ticker.cancel()
        return report

    started = time.monotonic()
    report = asyncio.run(poll_and_tick())
    assert report.assessed == len(reports)
    # the workers need 200 x SLOW_WORKER_S / 2 = 5 s at least, with their start: a loop held
    # up by the wait would not tick for that long
    assert time.monotonic() - started >= len(reports) * SLOW_WORKER_S / 2
    gaps = [later - earlier for earlier, later in pairwise(ticks)]
    assert max(gaps) < 2.0
    storage.close()


def test_an_unexpected_error_in_one_fetch_fails_that_source_only(
    tmp_path: Path, server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fault of digest's or of a library in one fetch (not a DigestError) used to end the
    whole poll, every other fetch cancelled, at every poll."""
    server.routes["/wire.xml"] = reply(200, feed_of(history(3)))
    server.routes["/odd.xml"] = reply(200, feed_of(history(3)))
    real = pipeline.fetch

    async def faulty(client: Any, url: str, *args: Any) -> Any:
        if url.endswith("/odd.xml"):
            raise UnicodeError("label empty or too long")
        return await real(client, url, *args)

    monkeypatch.setattr(pipeline, "fetch", faulty)
    feeds = {"Odd": server.url("/odd.xml"), "Wire": server.url("/wire.xml")}
    config = south_alerts(tmp_path, 25, feeds)  # no alert fires: no mail is tried
    storage = SqliteStorage(config.storage.database)
    classifier = Classifier.from_signals()
    report = asyncio.run(poll(storage, config, lambda: classifier))
    outcomes = {o.name: (o.status, o.error) for o in report.outcomes}
    assert outcomes == {
        "Odd": ("failed", "unexpected error: UnicodeError: label empty or too long"),
        "Wire": ("updated", None),
    }
    storage.close()


def test_a_report_dated_before_1900_or_a_source_url_urlsplit_refuses_breaks_no_poll(
    tmp_path: Path, server: ScriptedServer, mailbox: tuple[Mailbox, int]
) -> None:
    """Two inputs that stopped every poll (found by a fault hunt): a date of the year 999 was
    stored as "999-01-01T..." (strftime does not pad the year), which no later read of the
    report could parse; a URL httpx accepts but urlsplit refuses ("http://a]b/rss") raised
    outside the fetch. The first is now taken as undated (the time it was fetched), the second
    fails its own source."""
    handler, port = mailbox
    old = "<item><guid>old</guid><title>Council meets</title><pubDate>0999-01-01T00:00:00Z"
    channel = f"<channel><title>t</title>{old}</pubDate></item></channel>"
    server.routes["/odd.xml"] = reply(200, f'<rss version="2.0">{channel}</rss>'.encode())
    server.routes["/wire.xml"] = reply(
        200, rss("w1", "Drone strike on a car in Aitaroun kills one")
    )
    feeds = {
        "Odd": server.url("/odd.xml"),
        "Wire": server.url("/wire.xml"),
        "Bad": "http://feeds.example]/rss",
    }
    config = south_alerts(tmp_path, port, feeds)
    classifier = Classifier.from_signals()
    storage = running(config, classifier)
    report = asyncio.run(poll(storage, config, lambda: classifier))
    statuses = {o.name: o.status for o in report.outcomes}
    assert statuses == {"Odd": "updated", "Wire": "updated", "Bad": "failed"}
    assert len(handler.received) == 1  # the strike's alert
    asyncio.run(poll(storage, config, lambda: classifier))  # and the next poll reads it back
    storage.close()
    with sqlite3.connect(config.storage.database) as db:
        (published,) = db.execute("SELECT published_at FROM items WHERE guid = 'old'").fetchone()
    assert published == "2026-03-24T09:00:00Z"  # the time of fetching


STRIKE_TITLE = "Drone strike on a car in Aitaroun kills one"
RECENT = format_datetime(NOW - timedelta(minutes=20))


def rss_of(*entries: str) -> bytes:
    channel = f"<channel><title>t</title>{''.join(entries)}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()


STRIKE_ITEM = (
    f"<item><guid>w1</guid><title>{STRIKE_TITLE}</title><pubDate>{RECENT}</pubDate></item>"
)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(
            rss_of(
                "<item><guid>odd</guid><title>Council</title>"
                "<pubDate>9999-12-31T23:00:00-05:00</pubDate></item>",
                STRIKE_ITEM,
            ),
            id="a date past the last UTC can spell",
        ),
        pytest.param(
            rss_of(
                "<item><guid>odd</guid><title>Council</title>"
                "<pubDate>0001-01-01T00:00:00+01:00</pubDate></item>",
                STRIKE_ITEM,
            ),
            id="a date before the first",
        ),
        pytest.param(
            rss_of("<item><guid>odd</guid><title>x&#xD800;y</title></item>", STRIKE_ITEM),
            id="a lone surrogate",
        ),
        pytest.param(
            json.dumps(
                {
                    "version": "https://jsonfeed.org/version/1.1",
                    "items": [
                        {"id": "odd", "title": {"text": "an object"}},
                        {"id": 7.5, "title": 5},
                        {"id": "w1", "title": STRIKE_TITLE, "date_published": NOW.isoformat()},
                    ],
                }
            ).encode(),
            id="JSON Feed entries of the wrong shape",
        ),
    ],
)
def test_one_odd_item_costs_only_itself(
    tmp_path: Path, server: ScriptedServer, mailbox: tuple[Mailbox, int], content: bytes
) -> None:
    """One entry digest cannot read lost every other entry of its feed, and their alerts, at
    every poll while it stayed in the feed (found by a fault hunt)."""
    handler, port = mailbox
    server.routes["/mixed"] = reply(200, content)
    config = south_alerts(tmp_path, port, {"Mixed": server.url("/mixed")})
    classifier = Classifier.from_signals()
    storage = running(config, classifier)
    report = asyncio.run(poll(storage, config, lambda: classifier))
    storage.close()
    assert [o.status for o in report.outcomes] == ["updated"]
    assert report.new_items >= 1
    assert len(handler.received) == 1  # the strike's alert
