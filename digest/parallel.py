"""Classifying on several cores: `digest classify --workers N` (JSON lines, in input order, with
memory bounded however long the input: a fixed number of chunks is in flight at any time), and a
poll's large backlog of stored items.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from multiprocessing.pool import AsyncResult
from typing import Any

from digest.assessing import attempted
from digest.config import SignalsConfig
from digest.jsonl import classify_lines
from digest.signals.classify import Classifier
from digest.types import Assessment, Item, Unreadable

CHUNK_LINES = 256
CHUNKS_IN_FLIGHT_PER_WORKER = 4
# below this many items, starting processes (a second each: imports, lexicons, gazetteer) costs
# more than the cores save
PARALLEL_FROM = 3000
CHUNK_TIMEOUT_S = 300.0  # a chunk takes about a second
WAIT_STEP_S = 0.05  # how often a poll waiting for the workers lets its event loop run

_worker_classifier: Classifier | None = None


def encode(result: dict[str, Any]) -> bytes:
    return json.dumps(result, ensure_ascii=False).encode() + b"\n"


def classify_stream(
    lines: Iterable[bytes], signals: SignalsConfig, workers: int = 1
) -> Iterator[bytes]:
    """Encoded output lines, one per non-empty input line, in input order."""
    if workers <= 1:
        classifier = Classifier.from_signals(signals)
        for result in classify_lines(lines, classifier):
            yield encode(result)
        return
    slots = threading.BoundedSemaphore(workers * CHUNKS_IN_FLIGHT_PER_WORKER)

    def chunks() -> Iterator[list[bytes]]:
        chunk: list[bytes] = []
        for line in lines:
            chunk.append(line)
            if len(chunk) == CHUNK_LINES:
                slots.acquire()
                yield chunk
                chunk = []
        if chunk:
            slots.acquire()
            yield chunk

    with _pool(signals, workers) as pool:
        for encoded in pool.imap(_classify_chunk, chunks()):
            slots.release()
            yield encoded


class Assessors:
    """Worker processes that assess items in the background; `collect` gives the assessments of
    everything submitted, in the order submitted."""

    def __init__(self, signals: SignalsConfig, workers: int) -> None:
        self._pool = _pool(signals, workers)
        self._pending: list[AsyncResult[list[Assessment | Unreadable]]] = []
        self.submitted = 0

    def submit(self, items: Sequence[Item]) -> None:
        self.submitted += len(items)
        for start in range(0, len(items), CHUNK_LINES):
            chunk = items[start : start + CHUNK_LINES]
            self._pending.append(self._pool.apply_async(_assess_chunk, (chunk,)))

    def collect(self) -> list[Assessment | Unreadable]:
        """The assessments submitted (or why an item has none), in order, as far as the workers
        answer: from a chunk not done within CHUNK_TIMEOUT_S (a worker killed, whose task the
        pool never finishes) on, nothing; those items stay waiting for the caller to assess."""
        done: list[Assessment | Unreadable] = []
        for result in self._pending:
            try:
                done += result.get(timeout=CHUNK_TIMEOUT_S)
            except multiprocessing.TimeoutError:
                break
        self._pending = []
        return done

    async def answers(self) -> list[Assessment | Unreadable]:
        """As `collect`, waiting without holding up the event loop: the service's health
        endpoint, its signals and its other jobs go on while the workers finish."""
        done: list[Assessment | Unreadable] = []
        for result in self._pending:
            deadline = time.monotonic() + CHUNK_TIMEOUT_S
            while not result.ready() and time.monotonic() < deadline:
                await asyncio.sleep(WAIT_STEP_S)
            if not result.ready():
                break
            done += result.get()
        self._pending = []
        return done

    def close(self) -> None:
        self._pool.terminate()

    def __enter__(self) -> Assessors:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _pool(signals: SignalsConfig, workers: int) -> multiprocessing.pool.Pool:
    context = multiprocessing.get_context("spawn")
    return context.Pool(workers, initializer=_start_worker, initargs=(signals,))


def _start_worker(signals: SignalsConfig) -> None:
    global _worker_classifier
    _worker_classifier = Classifier.from_signals(signals)


def _classify_chunk(chunk: list[bytes]) -> bytes:
    assert _worker_classifier is not None
    return b"".join(encode(result) for result in classify_lines(chunk, _worker_classifier))


def _assess_chunk(chunk: Sequence[Item]) -> list[Assessment | Unreadable]:
    assert _worker_classifier is not None
    answers = (attempted(_worker_classifier, item) for item in chunk)
    return [a if isinstance(a, Unreadable) else a.assessment for a in answers]
