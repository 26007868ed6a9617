"""Ingestion against a mature feed reader: a loopback farm of RSS feeds, polled cold and then
again (every feed answering 304), by `digest fetch` (which also classifies, clusters and
stores) and by lemon24/reader (`pip install '.[bench]'`), in the same run.

    python benchmarks/ingest.py [--feeds 400] [--items 40] [--latency-ms 30]

Each feed holds `--items` items of about 1 KB in English, Arabic and French; the server answers
each request after `--latency-ms`, with ETag and Last-Modified, and 304 to a conditional GET.
reader runs `update_feeds(workers=16)` and `workers=32`; the better of the two is the baseline.
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import corpus  # benchmarks/corpus.py, beside this script

import digest

LAST_MODIFIED = "Tue, 24 Mar 2026 00:00:00 GMT"


def build_feeds(count: int, per_feed: int) -> list[bytes]:
    texts = corpus.items(count * per_feed, 1000)
    feeds = []
    for number in range(count):
        parts = [
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>Feed {number}</title><link>https://farm.example/{number}/</link>"
        ]
        for index in range(per_feed):
            title, text = texts[number * per_feed + index]
            parts.append(
                f"<item><title>{escape(title)}</title>"
                f"<link>https://farm.example/{number}/{index}</link>"
                f"<guid>https://farm.example/{number}/{index}</guid>"
                f"<pubDate>Tue, 24 Mar 2026 {index % 24:02d}:00:00 +0000</pubDate>"
                f"<description>{escape(text)}</description></item>"
            )
        parts.append("</channel></rss>")
        feeds.append("".join(parts).encode())
    return feeds


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # the default of 5 makes clients wait a second for a SYN retry


class Farm:
    def __init__(self, feeds: list[bytes], latency: float) -> None:
        tags = ['"' + hashlib.sha1(body).hexdigest() + '"' for body in feeds]
        self.requests = 0
        farm = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                farm.requests += 1
                time.sleep(latency)
                number = int(self.path.strip("/").split(".")[0])
                if self.headers.get("If-None-Match") == tags[number]:
                    self.send_response(304)
                    self.send_header("ETag", tags[number])
                    self.end_headers()
                    return
                body = feeds[number]
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("ETag", tags[number])
                self.send_header("Last-Modified", LAST_MODIFIED)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, number: int) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{number}.xml"


def digest_runs(farm: Farm, count: int, work: Path) -> tuple[float, float]:
    # bytecode compiled as an installed package has it (pip compiles a wheel's modules), even
    # where PYTHONDONTWRITEBYTECODE keeps an editable checkout compiling them at every start
    compileall.compile_dir(Path(digest.__file__).parent, quiet=1)
    config = work / "digest.toml"
    lines = [
        '[storage]\ndatabase = "digest.sqlite3"\n',
        "[fetch]\nallow_private_networks = true\nconcurrency = 32\nper_host = 32\n",
    ]
    lines += [f'[[sources]]\nname = "feed {n}"\nurl = "{farm.url(n)}"\n' for n in range(count)]
    config.write_text("\n".join(lines), encoding="utf-8")
    command = [sys.executable, "-m", "digest", "--config", str(config), "fetch", "--all"]
    timings = []
    for _ in range(2):
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=work)
        timings.append(time.perf_counter() - started)
    return timings[0], timings[1]


def reader_runs(farm: Farm, count: int, work: Path, workers: int) -> tuple[float, float, int]:
    from reader import make_reader

    path = work / f"reader-{workers}.sqlite"
    reader = make_reader(str(path))
    for number in range(count):
        reader.add_feed(farm.url(number))
    timings = []
    for _ in range(2):
        started = time.perf_counter()
        reader.update_feeds(workers=workers, scheduled=False)
        timings.append(time.perf_counter() - started)
    stored = reader.get_entry_counts().total
    reader.close()
    return timings[0], timings[1], stored


def stored_by_digest(work: Path) -> int:
    import sqlite3

    with sqlite3.connect(work / "digest.sqlite3") as db:
        return int(db.execute("SELECT count(*) FROM items").fetchone()[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=400)
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--latency-ms", type=float, default=30)
    args = parser.parse_args()
    farm = Farm(build_feeds(args.feeds, args.items), args.latency_ms / 1000)
    expected = args.feeds * args.items
    print(f"{args.feeds} feeds x {args.items} items, {args.latency_ms:g} ms a response")
    work = Path(tempfile.mkdtemp(prefix="digest-ingest-"))
    try:
        best: tuple[float, float] | None = None
        try:
            for workers in (16, 32):
                cold, again, stored = reader_runs(farm, args.feeds, work, workers)
                print(
                    f"reader workers={workers}: cold {cold:.1f} s, re-poll {again:.1f} s, "
                    f"{stored} entries"
                )
                if best is None or cold < best[0]:
                    best = (cold, again)
        except ImportError:
            print("reader is not installed (pip install '.[bench]'): no baseline")
        cold, again = digest_runs(farm, args.feeds, work)
        stored = stored_by_digest(work)
        print(
            f"digest fetch: cold {cold:.1f} s, re-poll {again:.1f} s, {stored} of "
            f"{expected} items stored (and classified, clustered)"
        )
        if best:
            print(
                f"ratio to reader: cold x{cold / best[0]:.2f} (goal <= 0.25), "
                f"re-poll x{again / best[1]:.2f} (goal <= 0.5)"
            )
    finally:
        farm.httpd.shutdown()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
