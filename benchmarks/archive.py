"""The web archive's search over a million stored items (goal: p95 under 100 ms) and the app's
throughput on this machine's 2 cores (goal: 200 requests/s), measured with wrk on loopback.

    python benchmarks/archive.py [--items 1000000] [--db PATH] [--rebuild] [--seconds 10]

The database is built once through the storage's own writes (store_items, save_assessments: so
the index is filled as digest fills it) and kept at --db for later runs. Its items cycle through
a pool of real texts, about 4,700 in English, Arabic and French (the labelled development set in
../shared/data/devset, read in place, and the demo feeds), each classified once by the signal
engine; a copy gets a new id, source and publication time, spread over two years.

Queries: words common and rare in three languages, places, phrases, prefixes, OR, filters alone
(region, category, severity, language, dates) and words with filters, newest first and by best
match. Each runs through ArchiveReader.search (what a page asks of the database) and through
HTTP on a uvicorn server in its own process. The baseline, in the same run on the same
database: the plain-words queries answered by a LIKE scan of titles and texts, newest first, as
an archive without a full-text index would.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import corpus  # benchmarks/corpus.py, beside this script

from digest.config import SignalsConfig
from digest.signals.classify import Classifier, Text
from digest.signals.gazetteer import Gazetteer
from digest.sources.normalise import content_hash
from digest.storage.base import NewSource
from digest.storage.reader import ArchiveReader
from digest.storage.search import SearchFilters
from digest.storage.sqlite import SqliteStorage
from digest.types import Assessment, Item

DEVSET = Path(__file__).resolve().parents[2] / "shared" / "data" / "devset"
END = datetime(2026, 11, 1, tzinfo=UTC)
SOURCES = 120
BATCH = 5000

QUERIES: list[dict[str, str]] = [
    {"q": "غارة"},
    {"q": "قصف"},
    {"q": "الجيش"},
    {"q": "strike"},
    {"q": "Lebanon"},
    {"q": "Israeli"},
    {"q": "protest"},
    {"q": "frappe"},
    {"q": "manifestants"},
    {"q": "Tyre"},
    {"q": "النبطية"},
    {"q": "Baalbek"},
    {"q": "Wadi Khaled"},
    {"q": '"drone strike"'},
    {"q": "evacuat*"},
    {"q": "kidnapping OR abducted"},
    {"q": "UNIFIL"},
    {"q": "hospital"},
    {"q": "بيروت"},
    {"q": "ضاحية"},
    {"region": "LB4"},
    {"region": "LB41"},
    {"category": "airstrike"},
    {"severity": "3"},
    {"lang": "fr"},
    {"from": "2026-03-01", "to": "2026-03-31"},
    {"q": "غارة", "region": "LB4"},
    {"q": "strike", "region": "LB6", "severity": "2"},
    {"q": "protest", "from": "2025-06-01", "to": "2025-06-30"},
    {"q": "Israeli", "category": "shelling", "lang": "en"},
    {"q": "Beirut", "risk": "true"},
    {"q": "army", "source": "Source 007"},
    {"q": "قصف", "sort": "relevance"},
    {"q": "Lebanon", "sort": "relevance"},
    {"q": "Hermel"},
    {"q": "Akkar", "region": "LB7"},
    {"q": "Nabatiyyeh"},  # a misspelling: no match anywhere
    {"q": "Qlayaa", "from": "2026-01-01"},
]
PLAIN_WORDS = ["strike", "Baalbek", "UNIFIL", "protest", "hospital", "Nabatiyyeh", "Qlayaa"]


def pool_texts() -> list[tuple[str, str]]:
    """(title, text) of every devset text and demo item."""
    texts: list[tuple[str, str]] = []
    for path in sorted(DEVSET.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            body = row.get("text") or ""
            title = row.get("title") or body.split(". ")[0][:160]
            if body or title:
                texts.append((title, body))
    texts += [(title, ". ".join(parts)) for title, parts in corpus.sentences()]
    return texts


def build(path: Path, count: int) -> None:
    print(f"building {count:,} items into {path} (once; reused by later runs)")
    started = time.perf_counter()
    pool = pool_texts()
    classifier = Classifier.from_signals(SignalsConfig(), Gazetteer.load())
    assessed = [
        classifier.classify(Text(str(n), t, x, None)).assessment for n, (t, x) in enumerate(pool)
    ]
    hashes = [content_hash(t, x) for t, x in pool]
    print(f"  pool: {len(pool):,} texts classified in {time.perf_counter() - started:.1f} s")
    path.unlink(missing_ok=True)
    storage = SqliteStorage(path)
    names = [f"Source {n:03d}" for n in range(SOURCES)]
    storage.sync_sources([NewSource(n, f"https://feeds.example/{n}") for n in names], "config")
    source_ids = [storage.source(n).id for n in names]
    rng = random.Random(11)
    span = timedelta(days=730).total_seconds()
    written = time.perf_counter()
    for start in range(0, count, BATCH):
        by_source: dict[int, list[Item]] = {}
        assessments: list[Assessment] = []
        for n in range(start, min(start + BATCH, count)):
            k = rng.randrange(len(pool))
            title, text = pool[k]
            published = END - timedelta(seconds=span * (1 - n / count) + rng.random() * 600)
            source = rng.randrange(SOURCES)
            item_id = f"b{n:08d}"
            item = Item(
                id=item_id,
                source=names[source],
                guid=item_id,
                url=f"https://news.example/{n}",
                title=title,
                text=text,
                summary_html="",
                lang_hint=None,
                published=published,
                fetched=published,
                content_hash=hashes[k],
            )
            by_source.setdefault(source_ids[source], []).append(item)
            assessments.append(replace(assessed[k], item_id=item_id))
        for source_id, items in by_source.items():
            storage.store_items(source_id, items)
        storage.save_assessments(assessments, "bench", END)
        done = min(start + BATCH, count)
        if done % 100_000 == 0 or done == count:
            rate = done / (time.perf_counter() - written)
            print(f"  {done:,} items stored and indexed ({rate:,.0f} items/s)", flush=True)
    storage.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def summary(name: str, times: list[float]) -> str:
    return (
        f"{name:<34} p50 {statistics.median(times) * 1000:7.1f} ms   "
        f"p95 {percentile(times, 0.95) * 1000:7.1f} ms   max {max(times) * 1000:7.1f} ms"
    )


def database_search(path: Path, rounds: int) -> list[float]:
    reader = ArchiveReader(path)
    times: list[float] = []
    slowest: list[tuple[float, str]] = []
    for _ in range(rounds):
        for params in QUERIES:
            started = time.perf_counter()
            found = reader.search(SearchFilters.model_validate(params), 50)
            elapsed = time.perf_counter() - started
            times.append(elapsed)
            slowest.append((elapsed, f"{params} -> {len(found.hits)} hits"))
    reader.close()
    for elapsed, what in sorted(slowest, reverse=True)[:5]:
        print(f"    slowest: {elapsed * 1000:6.1f} ms  {what}")
    return times


def like_scan(path: Path) -> list[float]:
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    times = []
    for word in PLAIN_WORDS:
        pattern = f"%{word}%"
        started = time.perf_counter()
        db.execute(
            """SELECT id FROM items WHERE title LIKE ? OR text LIKE ?
               ORDER BY published_at DESC LIMIT 50""",
            (pattern, pattern),
        ).fetchall()
        times.append(time.perf_counter() - started)
    db.close()
    return times


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_search(port: int, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        for params in QUERIES:
            url = f"http://127.0.0.1:{port}/search?{urlencode(params)}"
            started = time.perf_counter()
            with urllib.request.urlopen(url) as response:
                response.read()
            times.append(time.perf_counter() - started)
    return times


def wrk(port: int, paths: list[str], seconds: int) -> tuple[float, str]:
    """Requests/s and latency line of wrk rotating through `paths` (2 threads, 16 connections)."""
    script = "paths = {" + ",".join(json.dumps(p) for p in paths) + "}\n"
    script += "n = 0\nrequest = function()\n n = n % #paths + 1\n"
    script += " return wrk.format('GET', paths[n])\nend\n"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    output = subprocess.run(
        [
            "wrk",
            "-t2",
            "-c16",
            f"-d{seconds}s",
            "--latency",
            "-s",
            handle.name,
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    Path(handle.name).unlink()
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    latency = re.search(r"99%\s+(\S+)", output)
    note = f"p99 {latency.group(1) if latency else '?'}"
    if errors:
        note += f", {errors.group(1)} non-2xx"
    return rate, note


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument(
        "--db", type=Path, default=Path(tempfile.gettempdir()) / "digest-archive-bench.sqlite3"
    )
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--rounds", type=int, default=5, help="passes over the query set")
    parser.add_argument("--seconds", type=int, default=10, help="each wrk run")
    args = parser.parse_args()
    stored = 0
    if args.db.exists() and not args.rebuild:
        stored = sqlite3.connect(args.db).execute("SELECT count(*) FROM items").fetchone()[0]
    if stored != args.items:
        build(args.db, args.items)
    size = args.db.stat().st_size / 2**20
    print(
        f"\ndatabase: {args.items:,} items, {size:,.0f} MiB, {len(QUERIES)} queries x {args.rounds}"
    )

    index = database_search(args.db, args.rounds)
    print(summary("search (database)", index))
    baseline = like_scan(args.db)
    print(summary("baseline: LIKE scan, plain words", baseline))
    print(
        f"  p95 ratio index/baseline: x{percentile(index, 0.95) / percentile(baseline, 0.95):.4f}"
    )

    for workers in (1, 2):
        serve(args, workers)
    return 0


def serve(args: argparse.Namespace, workers: int) -> None:
    """Run `digest serve` with this many worker processes and load it."""
    port = free_port()
    config = Path(tempfile.mkdtemp()) / "digest.toml"
    config.write_text(
        f'[storage]\ndatabase = "{args.db.resolve()}"\n[web]\nworkers = {workers}\n',
        encoding="utf-8",
    )
    command = [
        sys.executable,
        "-m",
        "digest",
        "--config",
        str(config),
        "serve",
        "--port",
        str(port),
    ]
    server = subprocess.Popen(command)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/static/archive.css").read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        print(f"\n`digest serve` with {workers} worker process(es):")
        print(summary("search page over HTTP", http_search(port, args.rounds)))
        mixes = {
            "searches (all queries)": [f"/search?{urlencode(p)}" for p in QUERIES],
            "API searches": [f"/api/items?{urlencode(p)}" for p in QUERIES],
            "static stylesheet (server ceiling)": ["/static/archive.css"],
        }
        print(f"  throughput (wrk, 2 threads, 16 connections, {args.seconds} s):")
        for name, paths in mixes.items():
            rate, note = wrk(port, paths, args.seconds)
            print(f"  {name:<36} {rate:8.0f} requests/s  ({note}; goal 200/s: x{rate / 200:.2f})")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    sys.exit(main())
