"""`digest classify --workers N`: JSON lines classified on several cores, in input order, with
memory bounded however long the input (a fixed number of chunks is in flight at any time).
"""

from __future__ import annotations

import json
import multiprocessing
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from digest.config import SignalsConfig
from digest.jsonl import classify_lines
from digest.signals.classify import Classifier

CHUNK_LINES = 256
CHUNKS_IN_FLIGHT_PER_WORKER = 4

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
    context = multiprocessing.get_context("spawn")
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

    with context.Pool(workers, initializer=_start_worker, initargs=(signals,)) as pool:
        for encoded in pool.imap(_classify_chunk, chunks()):
            slots.release()
            yield encoded


def _start_worker(signals: SignalsConfig) -> None:
    global _worker_classifier
    _worker_classifier = Classifier.from_signals(signals)


def _classify_chunk(chunk: list[bytes]) -> bytes:
    assert _worker_classifier is not None
    return b"".join(encode(result) for result in classify_lines(chunk, _worker_classifier))
