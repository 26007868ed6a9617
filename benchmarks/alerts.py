"""Alert latency: from a batch of new items stored to each alert accepted by a webhook server,
with 200 rules over 10,000 new items (the goal: p95 under 2 s).

    python benchmarks/alerts.py [--items 10000] [--rules 200]

The items are the benchmark corpus (benchmarks/corpus.py: sentences of the demo feeds, about
1 KB each, en/ar/fr) with publication times spread over a day. The stages are those of
`digest fetch` after storing: classify, cluster into stories, match every rule against the
stories, POST each firing to a webhook receiver on loopback. A firing's latency is the time from
the start of the batch until the receiver has its message. Printed in the same run: the matching
stage done naively (each rule folding each item again) as the baseline for the prepared one.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import corpus  # benchmarks/corpus.py, beside this script
import httpx

from digest.alerts.fire import Firing, compiled, evaluate
from digest.alerts.match import matches
from digest.alerts.webhooks import CONCURRENCY
from digest.config import AlertConfig
from digest.signals.categories import LABELS
from digest.signals.classify import Classifier, Text
from digest.sources.normalise import content_hash
from digest.stories import Clusterer, Vocabulary
from digest.types import AssessedItem, Item, StoryView

WORDS = ["evacuat*", "drone", "غارة", "قصف", "frappe", "kidnap*", "خطف", "protest*", "explosion"]
REGIONS = ["LB", "LB1", "LB2", "LB3", "LB4", "LB5", "LB6", "LB41", "LB63", "LB32"]


def rules(count: int) -> list[AlertConfig]:
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
        made.append(AlertConfig(name=f"rule{number}", query=query))
    return made


def items(count: int, classifier: Classifier) -> tuple[list[AssessedItem], float]:
    start = datetime(2026, 3, 23, tzinfo=UTC)
    entries = []
    began = time.perf_counter()
    for number, (title, text) in enumerate(corpus.items(count, 1000, 11)):
        when = start + timedelta(seconds=number * 86_400 / count)
        item = Item(
            f"i{number}",
            f"source{number % 40}",
            None,
            f"https://news.example/{number}",
            title,
            text,
            "",
            None,
            when,
            when,
            content_hash(title, text),
        )
        assessment = classifier.classify(Text(item.id, title, text)).assessment
        entries.append(AssessedItem(item, assessment))
    return entries, time.perf_counter() - began


class Receiver:
    def __init__(self) -> None:
        self.accepted: list[float] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                outer.accepted.append(time.perf_counter())
                self.send_response(200)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


async def post_all(firings: list[Firing], url: str) -> None:
    """As deliver_webhooks sends: CONCURRENCY messages in flight on one client."""
    gate = asyncio.Semaphore(CONCURRENCY)
    async with httpx.AsyncClient() as client:

        async def one(firing: Firing) -> None:
            body = {"rule": firing.rule, "story": firing.story.id, "text": firing.entry.item.title}
            async with gate:
                response = await client.post(url, json=body)
            response.raise_for_status()

        await asyncio.gather(*(one(firing) for firing in firings))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--rules", type=int, default=200)
    args = parser.parse_args()
    classifier = Classifier.from_signals()
    alerts = rules(args.rules)
    entries, classify_s = items(args.items, classifier)
    started = time.perf_counter() - classify_s  # the batch began when classification did

    began = time.perf_counter()
    clusterer = Clusterer(Vocabulary(entries))
    for entry in entries:
        clusterer.add(entry)
    clusterer.merge()
    members: dict[str, list[AssessedItem]] = {}
    by_id = {e.item.id: e for e in entries}
    for story in clusterer.stories():
        members[story.id] = [by_id[m.item_id] for m in story.members]
    views = [StoryView(s, tuple(members[s.id])) for s in clusterer.stories()]
    cluster_s = time.perf_counter() - began

    began = time.perf_counter()
    firings = evaluate(compiled(alerts), views, {})
    match_s = time.perf_counter() - began
    matched_at = time.perf_counter()

    began = time.perf_counter()
    naive = sum(
        1
        for alert, rule in compiled(alerts[: max(1, args.rules // 10)])
        for view in views
        for entry in view.items
        if matches(rule, entry) is not None
    )
    naive_s = (time.perf_counter() - began) * (args.rules / max(1, args.rules // 10))
    del naive

    receiver = Receiver()
    asyncio.run(post_all(firings, receiver.url))
    send_s = time.perf_counter() - matched_at
    receiver.server.shutdown()

    latencies = sorted(t - started for t in receiver.accepted)
    p50 = statistics.median(latencies) if latencies else 0.0
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else 0.0
    print(
        f"{args.items:,} items, {args.rules} rules, {len(views):,} stories, "
        f"{len(firings):,} firings"
    )
    print(f"  classify {classify_s:6.2f} s ({args.items / classify_s:,.0f} items/s)")
    print(f"  cluster  {cluster_s:6.2f} s")
    print(
        f"  match    {match_s:6.2f} s (each item prepared once; naive, folding per rule: "
        f"{naive_s:.2f} s, x{naive_s / max(match_s, 1e-9):.1f} slower)"
    )
    rate = len(firings) / max(send_s, 1e-9)
    print(f"  webhooks {send_s:6.2f} s ({rate:,.0f} POSTs/s, {CONCURRENCY} in flight)")
    print(
        f"latency from batch start to webhook accepted: p50 {p50:.2f} s, p95 {p95:.2f} s "
        f"(goal p95 < 2 s); without classification: p95 {p95 - classify_s:.2f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
