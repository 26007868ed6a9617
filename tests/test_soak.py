"""The service in a CI-sized soak: `digest run` as its own process, on a simulated clock (a real
second is an hour), reading a local feed farm that publishes every half hour, mailing a local
SMTP server and posting to a local webhook receiver, killed with SIGKILL at random moments and
started again, for three simulated days across two time zones. Then: every digest
due went to every recipient once (one Message-ID each), no published item is missing, no alert
fired twice, the last stop was clean, and memory stayed flat."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller

from .conftest import Mailbox, free_port

START = datetime(2026, 3, 27, 0, 0, tzinfo=UTC)  # Beirut moves to summer time on the 29th
SPEED = 3600.0  # simulated seconds per real second: a real second is an hour
EVERY = timedelta(minutes=30)  # each feed publishes this often
FEEDS = 3
WINDOW = 100  # items a feed lists: 50 hours, so a slow machine loses none either
# real seconds the daemon runs before each SIGKILL (shortened at random), then before the stop
SEGMENTS = (6.0, 8.0, 4.0, 9.0, 7.0, 10.0, 30.0)
PROFILES = {
    "beirut": ("Asia/Beirut", "06:30", ["a@example.org", "b@example.org"]),
    "newyork": ("America/New_York", "07:00", ["c@example.org"]),
}
REPORTS = (
    "Israeli drone strike on a car in {place} kills {n}",
    "غارة إسرائيلية على بلدة {ar} توقع {n} قتلى",
    "Football: {place} club wins the cup",
    "Protesters block the main road in {place}",
)
PLACES = (("Khiam", "الخيام"), ("Aitaroun", "عيترون"), ("Hermel", "الهرمل"), ("Yohmor", "يحمر"))


def simulated(anchor: float) -> datetime:
    return START + timedelta(seconds=(time.time() - anchor) * SPEED)


def item(feed: int, k: int) -> tuple[str, str, datetime]:
    place, ar = PLACES[(k + feed) % len(PLACES)]
    title = REPORTS[k % len(REPORTS)].format(place=place, ar=ar, n=k % 3 + 1)
    return f"f{feed}-{k}", f"{title} (#{feed}-{k})", START + k * EVERY + feed * timedelta(minutes=7)


def published_until(moment: datetime) -> list[str]:
    """Guids of every item the farm has published by `moment`."""
    return [
        item(feed, k)[0]
        for feed in range(FEEDS)
        for k in range(int((moment - START) / EVERY) + 1)
        if item(feed, k)[2] <= moment
    ]


class Farm(BaseHTTPRequestHandler):
    anchor = 0.0

    def do_GET(self) -> None:
        feed = int(self.path.strip("/").removeprefix("feed").removesuffix(".xml"))
        now = simulated(self.anchor)
        last = int((now - START) / EVERY)
        entries = []
        for k in range(max(0, last - WINDOW), last + 1):
            guid, title, when = item(feed, k)
            if when <= now:
                entries.append(
                    f"<item><guid>{guid}</guid><title>{title}</title>"
                    f"<link>https://news.example/{guid}</link>"
                    f"<description>{title}.</description>"
                    f"<pubDate>{when.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate></item>"
                )
        body = (
            f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Farm {feed}</title>{''.join(entries)}</channel></rss>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


class Hooks(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, dict[str, Any]]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.headers["X-Digest-Notice"], json.loads(body)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def http_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def config_text(database: Path, farm: int, hooks: int, smtp: int, health: int) -> str:
    sources = "".join(
        f'[[sources]]\nname = "Farm {n}"\nurl = "http://127.0.0.1:{farm}/feed{n}.xml"\n'
        for n in range(FEEDS)
    )
    profiles = "".join(
        f'[[profiles]]\nname = "{name}"\ntimezone = "{zone}"\nsend_at = "{at}"\n'
        f"recipients = {json.dumps(to)}\nmin_severity = 1\n"
        for name, (zone, at, to) in PROFILES.items()
    )
    return (
        f'[storage]\ndatabase = "{database}"\n'
        "[fetch]\nallow_private_networks = true\ninterval_s = 60\n"
        f'[smtp]\nhost = "127.0.0.1"\nport = {smtp}\nfrom_addr = "digest@example.org"\n'
        # a whole day of grace: a day's digest goes out however long the kills kept it down
        "[run]\npoll_every_s = 1\ncheck_every_s = 1\njitter_s = 0\ngrace_minutes = 1440\n"
        f"retention_days = 30\nhealth_port = {health}\n"
        '[[alerts]]\nname = "strikes"\nquery = "category:airstrike"\n'
        f'webhooks = ["http://127.0.0.1:{hooks}/hook"]\nrecipients = ["duty@example.org"]\n'
        f"{sources}{profiles}"
    )


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def due_days(zone: str, at: str, end: datetime) -> list[date]:
    """Local days whose send time fell in the soak, early enough to be sent before its end."""
    tz = ZoneInfo(zone)
    hour, minute = map(int, at.split(":"))
    days = []
    day = START.astimezone(tz).date()
    while True:
        moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
        if moment > end - timedelta(hours=4):
            return days
        if moment > START + timedelta(hours=1):
            days.append(day)
        day += timedelta(days=1)


@dataclass
class Soak:
    database: Path
    end: datetime
    kills: int
    rss: tuple[int, int]
    mail: list[tuple[list[str], Any]] = field(default_factory=list)
    hooks: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    stop_seconds: float = 0.0
    exit_code: int | None = None
    log: str = ""


second_daemon: dict[str, Any] = {}
health: dict[str, Any] = {}


def checks(command: list[str], env: dict[str, str], config: Path, pid: int, port: int) -> float:
    """While the last daemon runs: a second one is refused, the health endpoint answers, an
    invalid configuration sent with SIGHUP is refused and a valid one taken. Returns the real
    seconds spent."""
    started = time.monotonic()
    other = subprocess.run(command, env=env, capture_output=True, text=True, timeout=30)
    second_daemon.update(code=other.returncode, err=other.stderr)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as answer:
        health.update(status=answer.status, body=json.loads(answer.read()))
    good = config.read_text()
    config.write_text(good.replace("poll_every_s = 1", "poll_every_s = 0"))
    os.kill(pid, signal.SIGHUP)
    time.sleep(0.5)
    config.write_text(good)
    os.kill(pid, signal.SIGHUP)
    time.sleep(0.5)
    return time.monotonic() - started


@pytest.fixture(scope="module")
def soak(tmp_path_factory: pytest.TempPathFactory) -> Soak:
    folder = tmp_path_factory.mktemp("soak")
    database = folder / "digest.sqlite3"
    anchor = time.time()
    Farm.anchor = anchor
    mailbox = Mailbox()
    smtp_port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    env = os.environ | {"DIGEST_FAKE_CLOCK": f"{START.isoformat()},{anchor},{SPEED}"}
    rng = random.Random(8)
    daemon: subprocess.Popen[bytes] | None = None
    try:
        with (
            http_server(Farm) as farm,
            http_server(Hooks) as hooks,
            (folder / "run.log").open("w") as log,
        ):
            config = folder / "digest.toml"
            health_port = free_port()
            config.write_text(config_text(database, farm, hooks, smtp_port, health_port))
            command = [sys.executable, "-m", "digest", "--config", str(config), "run"]
            kills = 0
            for seconds in SEGMENTS[:-1]:
                daemon = subprocess.Popen(command, env=env, stderr=log, stdout=log)
                time.sleep(seconds * rng.uniform(0.7, 1.0))
                daemon.send_signal(signal.SIGKILL)
                daemon.wait()
                kills += 1
            daemon = subprocess.Popen(command, env=env, stderr=log, stdout=log)
            time.sleep(5)
            start_rss = rss_kib(daemon.pid)
            extra = checks(command, env, config, daemon.pid, health_port)
            time.sleep(SEGMENTS[-1] - 5 - extra)
            rss = (start_rss, rss_kib(daemon.pid))
            stopped = time.monotonic()
            daemon.send_signal(signal.SIGTERM)
            code = daemon.wait(timeout=15)
            stop_seconds = time.monotonic() - stopped
            end = simulated(anchor)
    finally:
        if daemon is not None and daemon.poll() is None:  # a failure above left it running
            daemon.kill()
        controller.stop()
    assert second_daemon["code"] == 2 and "another digest run" in second_daemon["err"]
    assert health["status"] == 200 and health["body"]["status"] == "ok"
    return Soak(
        database,
        end,
        kills,
        rss,
        list(mailbox.received),
        list(Hooks.received),
        stop_seconds,
        code,
        (folder / "run.log").read_text(),
    )


def test_the_service_stops_cleanly_on_sigterm(soak: Soak) -> None:
    assert soak.exit_code == 0, soak.log[-3000:]
    assert soak.stop_seconds < 10
    assert "Traceback" not in soak.log
    assert soak.log.count("digest run started") == len(SEGMENTS)


def test_a_bad_configuration_is_refused_on_sighup_and_a_good_one_taken(soak: Soak) -> None:
    refused = soak.log.index("refused, the old one stays")
    assert "run.poll_every_s" in soak.log[refused : refused + 300]
    assert soak.log.index("reloaded", refused) > refused


def test_every_due_digest_went_to_every_recipient_once(soak: Soak) -> None:
    db = sqlite3.connect(soak.database)
    sent = {
        (profile, day, to): message_id
        for profile, day, to, message_id in db.execute(
            """SELECT g.profile, g.day, d.recipient, d.message_id FROM deliveries d
               JOIN digests g ON g.id = d.digest_id WHERE d.status = 'sent'"""
        )
    }
    expected = {
        (name, day.isoformat(), to)
        for name, (zone, at, recipients) in PROFILES.items()
        for day in due_days(zone, at, soak.end)
        for to in recipients
    }
    assert len(expected) >= 3 * 3, "the soak should span three days"
    assert expected <= set(sent), sorted(expected - set(sent))
    arrived = Counter(str(message["Message-ID"]) for _, message in soak.mail)
    known = {row[0] for row in db.execute("SELECT message_id FROM deliveries")}
    assert set(arrived) <= known  # nothing went out that the outbox does not know of
    digests = {message_id for key, message_id in sent.items() if key in expected}
    assert digests <= set(arrived)  # every one arrived, under one Message-ID per recipient and day
    repeats = sum(arrived[m] - 1 for m in digests)
    # a kill between the server's acceptance and the outbox's record may resend, with the same id
    assert repeats <= soak.kills
    subjects = Counter(
        (tuple(rcpt), str(message["Subject"]))
        for rcpt, message in soak.mail
        if str(message["Message-ID"]) in digests
    )
    assert all(count <= 1 + soak.kills for count in subjects.values())
    print(f"\nsoak: {len(expected)} digests due, {len(digests)} sent once, {repeats} repeats")


def test_no_published_item_is_missing(soak: Soak) -> None:
    db = sqlite3.connect(soak.database)
    stored = {row[0] for row in db.execute("SELECT guid FROM items")}
    published = published_until(soak.end - timedelta(hours=4))
    missing = [guid for guid in published if guid not in stored]
    assert not missing, missing[:10]
    print(f"\nsoak: {len(published)} items published, all stored ({len(stored)} in all)")


def test_no_alert_fired_twice(soak: Soak) -> None:
    assert soak.hooks, "the airstrike reports should have fired the rule"
    notices = Counter(notice for notice, _ in soak.hooks)
    assert sum(n - 1 for n in notices.values()) <= soak.kills  # repeats carry the same id
    firsts = dict(soak.hooks)
    fired = Counter(
        (alert["story"], alert["kind"], alert["severity"])
        for body in firsts.values()
        for alert in body["alerts"]
    )
    assert max(fired.values()) == 1, [key for key, n in fired.items() if n > 1]
    print(f"\nsoak: {len(firsts)} alert notices, {sum(fired.values())} firings, none twice")


def test_memory_stays_flat(soak: Soak) -> None:
    start, end = soak.rss
    print(f"\nsoak: RSS {start / 1024:.0f} MiB after 5 s, {end / 1024:.0f} MiB at the end")
    assert end < start * 1.3 + 20_000
