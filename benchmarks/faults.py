"""A fault farm: one `digest fetch` against feeds of which a third misbehave (500, 404, garbage,
truncated and empty bodies, a server that stalls, 200 MB bodies, redirect loops, gzip bombs).
The run must finish, exit 0 without a traceback, stay small in memory, store every entry of the
good feeds and record an error for every bad one.

    python benchmarks/faults.py [--feeds 150] [--stall 60] [--timeout 10]

tests/test_faults.py runs the same farm, smaller.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

FAULTS = (
    "status-500",
    "status-404",
    "garbage",
    "truncated",
    "empty",
    "stall",
    "huge",
    "redirect-loop",
    "gzip-bomb",
)
PROBE = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "sys.stdout.write(done.stdout); sys.stderr.write(done.stderr)\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(f'\\nEXIT {done.returncode} RSS {peak}')\n"
)


def good_feed(number: int, items: int) -> bytes:
    entries = "".join(
        f"<item><title>Report {number}-{index}</title><guid>farm-{number}-{index}</guid>"
        f"<link>https://farm.example/{number}/{index}</link>"
        f"<description>Shelling reported near Khiam, item {index}.</description></item>"
        for index in range(items)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Feed {number}</title>{entries}</channel></rss>"
    ).encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024


@dataclass
class Farm:
    feeds: int
    items: int
    stall: float

    def fault(self, number: int) -> str | None:
        """Every third feed misbehaves, in turn in each way."""
        return FAULTS[(number // 3) % len(FAULTS)] if number % 3 == 0 else None

    def start(self) -> _Server:
        farm = self
        bomb = gzip.compress(b"\0" * 100_000_000)

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                number = int(self.path.strip("/").split(".")[0])
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.respond(number, farm.fault(number))

            def respond(self, number: int, fault: str | None) -> None:
                if fault in ("status-500", "status-404"):
                    self.send_error(int(fault[-3:]))
                elif fault == "redirect-loop":
                    self.send_response(302)
                    self.send_header("Location", self.path)
                    self.end_headers()
                elif fault == "stall":
                    time.sleep(farm.stall)
                    self.send_error(504)
                elif fault == "huge":
                    self.body(None, chunks=200)
                elif fault == "gzip-bomb":
                    self.body(bomb, encoding="gzip")
                else:
                    feed = good_feed(number, farm.items)
                    payload = {
                        None: feed,
                        "garbage": bytes(range(256)) * 40,
                        "truncated": feed[: len(feed) // 3],
                        "empty": b"",
                    }[fault]
                    self.body(payload)

            def body(self, payload: bytes | None, chunks: int = 0, encoding: str = "") -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                if encoding:
                    self.send_header("Content-Encoding", encoding)
                if payload is not None:
                    self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if payload is not None:
                    self.wfile.write(payload)
                    return
                block = b"x" * 1_000_000
                for _ in range(chunks):  # 200 MB unless the client hangs up first
                    self.wfile.write(block)

        server = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


@dataclass
class Outcome:
    exit_code: int
    seconds: float
    peak_mib: float
    traceback: bool
    good_items: int
    expected_items: int
    bad_without_error: list[str]
    good_with_error: list[str]


def run(feeds: int, items: int, stall: float, timeout: float, work: Path) -> Outcome:
    farm = Farm(feeds, items, stall)
    server = farm.start()
    port = server.server_address[1]
    lines = [
        '[storage]\ndatabase = "digest.sqlite3"\n',
        f"[fetch]\nallow_private_networks = true\ntimeout_s = {timeout}\n"
        f"deadline_s = {timeout * 2}\nretries = 1\nbackoff_s = 0.2\nper_host = 32\n",
    ]
    lines += [
        f'[[sources]]\nname = "feed {n}"\nurl = "http://127.0.0.1:{port}/{n}.xml"\n'
        for n in range(feeds)
    ]
    config = work / "digest.toml"
    config.write_text("\n".join(lines), encoding="utf-8")
    command = [sys.executable, "-m", "digest", "--config", str(config), "fetch", "--all"]
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *command], capture_output=True, text=True, cwd=work
    )
    seconds = time.perf_counter() - started
    server.shutdown()
    server.server_close()
    tail = done.stdout.rsplit("EXIT ", 1)[1].split()
    with sqlite3.connect(work / "digest.sqlite3") as db:
        rows = db.execute(
            "SELECT s.name, s.last_error, (SELECT count(*) FROM items i WHERE i.source_id = s.id)"
            " FROM sources s"
        ).fetchall()
    good = {f"feed {n}" for n in range(feeds) if farm.fault(n) is None}
    return Outcome(
        exit_code=int(tail[0]),
        seconds=seconds,
        peak_mib=int(tail[2]) / 1024,
        traceback="Traceback" in done.stderr,
        good_items=sum(count for name, _, count in rows if name in good),
        expected_items=len(good) * items,
        bad_without_error=[name for name, error, _ in rows if name not in good and not error],
        good_with_error=[name for name, error, _ in rows if name in good and error],
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=150)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--stall", type=float, default=60)
    parser.add_argument("--timeout", type=float, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        outcome = run(args.feeds, args.items, args.stall, args.timeout, Path(folder))
    print(json.dumps(outcome.__dict__, indent=2))
    ok = (
        outcome.exit_code == 0
        and not outcome.traceback
        and outcome.good_items == outcome.expected_items
        and not outcome.bad_without_error
        and outcome.seconds < 60
        and outcome.peak_mib < 400
    )
    print("all requirements met" if ok else "REQUIREMENTS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
