"""Alert latency: from an item stored to its alert accepted by a webhook or SMTP server, through
the real poll (fetch, store, assess, cluster, fire, notices, sending), with 200 rules over
10,000 new items (the goal: p95 under 2 s).

    python benchmarks/alerts.py [--feeds 250] [--items 40] [--rules 200] [--history 2000]

A loopback farm (benchmarks/ingest.py's: 30 ms a response, items of about 1 KB in English,
Arabic and French) serves `--feeds` feeds of `--items` new items. The database already holds
`--history` items of the day before, assessed, clustered and alerted on, as a running digest
would. Every rule posts to a webhook receiver; one rule in ten also mails two recipients. The
webhook and SMTP servers run in a process of their own. A firing's latency runs from the moment
the newest report of its story was stored (the report whose arrival made the story fire:
committed with its source's items) to the moment the receiver has read the message that carries
it.

The baseline, measured in the same run on a copy of the same database: the same poll with alerts
evaluated once every source is stored (as digest did before alerts went out during the poll).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import shutil
import socket
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import corpus  # benchmarks/corpus.py, beside this script
from ingest import Farm, build_feeds  # benchmarks/ingest.py

from digest import pipeline
from digest.alerts.fire import Firing as Fired
from digest.alerts.fire import Watch, compiled
from digest.config import DigestConfig, StorageConfig
from digest.intake import Intake, assess_pending, cluster_pending, fire_alerts, stored_views
from digest.signals.categories import LABELS
from digest.signals.classify import Classifier
from digest.sources.http import make_client
from digest.sources.normalise import content_hash
from digest.storage.base import NewSource, StoredItems
from digest.storage.sqlite import SqliteStorage
from digest.types import Item

NOW = datetime(2026, 3, 24, 23, 30, tzinfo=UTC)  # the farm's items are of 24 March
WORDS = ["evacuat*", "drone", "غارة", "قصف", "frappe", "kidnap*", "خطف", "protest*", "explosion"]
REGIONS = ["LB", "LB1", "LB2", "LB3", "LB4", "LB5", "LB6", "LB41", "LB63", "LB32"]
MAILED_EVERY = 10  # one rule in ten mails its recipients too


def rules(count: int, hook: str) -> list[dict[str, Any]]:
    """A mix of the rules officers write: category and region, words, phrases, NEAR."""
    codes = sorted(LABELS)
    made = []
    for number in range(count):
        code, region = codes[number % len(codes)], REGIONS[number % len(REGIONS)]
        word = WORDS[number % len(WORDS)]
        query = [
            f"category:{code} AND region:{region}",
            f"{word} AND region:{region}",
            f'"{word.rstrip("*")}" OR category:{code}',
            f"drone NEAR/5 {word.rstrip('*')} AND severity>=2",
        ][number % 4]
        rule: dict[str, Any] = {"name": f"rule{number}", "query": query, "webhooks": [hook]}
        if number % MAILED_EVERY == 0:
            rule["recipients"] = [f"duty{number}@example.org", f"deputy{number}@example.org"]
        made.append(rule)
    return made


def receive(pipe: Connection) -> None:
    """The webhook and SMTP servers (a process of their own): their ports out, then on each
    request what they took since the last: ((rule, story, severity) or message id,
    time.monotonic())."""
    from aiosmtpd.controller import Controller

    hooks: list[tuple[str, float]] = []
    mails: list[tuple[str, float]] = []

    class Hook(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as chat services answer

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            now = time.monotonic()
            hooks.extend(((a["rule"], a["story"], a["severity"]), now) for a in body["alerts"])
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    class Mailbox:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            for line in envelope.original_content.split(b"\r\n"):
                if line.lower().startswith(b"message-id:"):
                    mails.append((line.split(b":", 1)[1].strip().decode(), time.monotonic()))
                    break
            return "250 2.0.0 queued"

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    with socket.socket() as probe:  # aiosmtpd needs a port number, not 0
        probe.bind(("127.0.0.1", 0))
        smtp_port = probe.getsockname()[1]
    smtp = Controller(Mailbox(), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    pipe.send((httpd.server_address[1], smtp_port))
    while pipe.recv() != "stop":
        pipe.send((list(hooks), list(mails)))
        hooks.clear()
        mails.clear()
    smtp.stop()
    httpd.shutdown()


Firing = tuple[str, str, int]  # rule, story, severity


class Timed(SqliteStorage):
    """The storage, noting when each item's source was committed and, for each firing, when the
    newest report of its story was."""

    stored: dict[str, float]
    triggers: dict[Firing, float]

    def store_items(self, source_id: int, items: Iterable[Item]) -> StoredItems:
        batch = list(items)
        result = super().store_items(source_id, batch)
        now = time.monotonic()
        self.stored.update((item.id, now) for item in batch)
        return result

    def record_firings(self, firings: Sequence[Fired], now: datetime) -> None:
        super().record_firings(firings, now)
        for firing in firings:
            story = firing.story
            times = [self.stored[m.item_id] for m in story.members if m.item_id in self.stored]
            if times:
                self.triggers[(firing.rule, story.id, story.severity)] = max(times)


def history(database: Path, count: int, classifier: Classifier, config: DigestConfig) -> None:
    """A day of news already read: assessed, clustered, and alerted on (the alerts sent)."""
    storage = SqliteStorage(database)
    storage.sync_sources(
        [NewSource("yesterday", "https://history.example/rss", enabled=False)], "history"
    )
    day = NOW - timedelta(days=1)
    items = []
    for number, (title, text) in enumerate(corpus.items(count, 1000, seed=3)):
        when = day - timedelta(seconds=number * 86_400 / count)
        url = f"https://history.example/{number}"
        hashed = content_hash(title, text)
        items.append(
            Item(f"h{number}", "yesterday", url, url, title, text, "", None, when, when, hashed)
        )
    storage.store_items(storage.source("yesterday").id, items)
    assess_pending(storage, lambda: classifier, day)
    changed = cluster_pending(storage, day)
    watch = Watch(compiled(config.alerts), config.source_tiers())
    fire_alerts(storage, watch, stored_views(storage, changed), day)
    storage.close()
    db = sqlite3.connect(database)
    db.execute("UPDATE alert_events SET status = 'notified'")
    db.commit()
    db.close()


def poll(database: Path, config: DigestConfig, classifier: Classifier) -> tuple[Timed, float]:
    storage = Timed(database)
    storage.stored, storage.triggers = {}, {}

    async def run() -> pipeline.PollReport:
        async with make_client(config.fetch) as client:
            return await pipeline.poll(storage, config, lambda: classifier, client, NOW, True)

    began = time.perf_counter()
    report = asyncio.run(run())
    seconds = time.perf_counter() - began
    assert not [o for o in report.outcomes if o.status != "updated"], "a farm source failed"
    return storage, seconds


def latencies(
    storage: Timed, hooks: list[tuple[Firing, float]], mails: list[tuple[str, float]]
) -> tuple[list[float], list[float]]:
    db = sqlite3.connect(storage.path)
    mailed = db.execute(
        """SELECT d.message_id, e.rule, e.story_id, e.severity FROM deliveries d
           JOIN alert_events e ON e.notice_id = d.notice_id"""
    ).fetchall()
    db.close()
    carried: dict[str, list[Firing]] = {}
    for message_id, *firing in mailed:
        carried.setdefault(message_id, []).append((firing[0], firing[1], firing[2]))
    triggers = storage.triggers
    by_hook = [when - triggers[key] for key, when in hooks if key in triggers]
    by_mail = [
        when - triggers[key]
        for message_id, when in mails
        for key in carried.get(message_id, [])
        if key in triggers
    ]
    return sorted(by_hook), sorted(by_mail)


def p95(values: list[float]) -> float:
    return values[int(0.95 * (len(values) - 1))] if values else float("nan")


def describe(name: str, values: list[float]) -> str:
    if not values:
        return f"  {name}: none"
    return (
        f"  {name}: {len(values):,} firings, p50 {statistics.median(values):.2f} s, "
        f"p95 {p95(values):.2f} s, max {values[-1]:.2f} s"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=250)
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--history", type=int, default=2000)
    parser.add_argument("--latency-ms", type=float, default=30.0)
    args = parser.parse_args()
    ours, theirs = multiprocessing.Pipe()
    receivers = multiprocessing.Process(target=receive, args=(theirs,), daemon=True)
    receivers.start()
    theirs.close()  # so that a receiver process that died is an EOFError here, not a hang
    hook_port, smtp_port = ours.recv()
    farm = Farm(build_feeds(args.feeds, args.items), args.latency_ms / 1000)
    config = DigestConfig.model_validate(
        {
            "fetch": {"allow_private_networks": True, "concurrency": 32, "per_host": 32},
            "smtp": {"host": "127.0.0.1", "port": smtp_port, "from_addr": "digest@example.org"},
            "sources": [{"name": f"feed {n}", "url": farm.url(n)} for n in range(args.feeds)],
            "alerts": rules(args.rules, f"http://127.0.0.1:{hook_port}/hook"),
        }
    )
    classifier = Classifier.from_signals()
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        seeded = Path(folder) / "seeded.sqlite3"
        history(seeded, args.history, classifier, config)
        for design in ("during the poll", "after the poll"):
            database = Path(folder) / f"{design.split()[0]}.sqlite3"
            shutil.copy(seeded, database)
            if design == "after the poll":
                Intake.take = lambda self, item_ids: 0  # type: ignore[method-assign]
            storage_config = {"storage": StorageConfig(database=database)}
            storage, seconds = poll(database, config.model_copy(update=storage_config), classifier)
            ours.send("records")
            hooks, mails = ours.recv()
            results[design] = (seconds, *latencies(storage, hooks, mails))
            storage.close()
    ours.send("stop")
    items = args.feeds * args.items
    print(
        f"{items:,} new items from {args.feeds} feeds ({args.latency_ms:g} ms a response), "
        f"{args.rules} rules, {args.history:,} items read the day before"
    )
    baseline = None
    for design, (seconds, by_hook, by_mail) in results.items():
        everything = sorted(by_hook + by_mail)
        print(f"alerts {design}: poll {seconds:.1f} s ({items / seconds:,.0f} items/s)")
        print(describe("webhooks", by_hook))
        print(describe("email", by_mail))
        print(describe("all", everything))
        baseline = baseline if baseline is not None else p95(everything)
    after = p95(sorted(results["after the poll"][1] + results["after the poll"][2]))
    print(f"p95 during the poll / after the poll: x{baseline / after:.3f} (goal p95 < 2 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
