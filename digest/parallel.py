"""Classifying on several cores: `digest classify --workers N` (JSON lines, in input order, with
memory bounded however long the input: a fixed number of chunks is in flight at any time), and a
poll's large backlog of stored items.

The processes are a `concurrent.futures.ProcessPoolExecutor`: a worker that dies (the kernel's
out-of-memory killer, a stop signal to the whole service) breaks the executor at once, and what
it left is done in the calling process, where `multiprocessing.Pool` would wait for an answer
that never comes, and could hang on its own locks when closed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from digest.assessing import attempted
from digest.config import SignalsConfig
from digest.errors import DigestError
from digest.jsonl import classify_lines
from digest.signals.classify import Classifier
from digest.types import Assessment, Item, Unreadable

log = logging.getLogger(__name__)
CHUNK_LINES = 256
CHUNKS_IN_FLIGHT_PER_WORKER = 4
# below this many items, starting processes (a second each: imports, lexicons, gazetteer) costs
# more than the cores save
PARALLEL_FROM = 3000
CHUNK_TIMEOUT_S = 300.0  # a chunk takes about a second

_worker_classifier: Classifier | None = None
Answers = list[Assessment | Unreadable]


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
    executor = _executor(signals, workers)
    window = workers * CHUNKS_IN_FLIGHT_PER_WORKER
    written = 0
    try:
        for future in _in_order(executor, _chunks(lines), window):
            try:
                encoded = future.result(timeout=CHUNK_TIMEOUT_S)
            except Exception as exc:  # a worker died: say so, after the lines that are whole
                raise DigestError(
                    f"a classifying process stopped ({_reason(exc)}); the output is complete "
                    f"up to line {written} and ends there"
                ) from exc
            written += encoded.count(b"\n")
            yield encoded
    finally:
        _stop(executor)


def _chunks(lines: Iterable[bytes]) -> Iterator[list[bytes]]:
    chunk: list[bytes] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) == CHUNK_LINES:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _in_order(
    executor: ProcessPoolExecutor, chunks: Iterator[list[bytes]], window: int
) -> Iterator[Future[bytes]]:
    """The chunks' classifications in input order, each as soon as it and those before it are
    done, with at most `window` of them submitted and not yet taken (memory stays bounded
    however long the input)."""
    in_flight: deque[Future[bytes]] = deque()
    for chunk in chunks:
        in_flight.append(executor.submit(_classify_chunk, chunk))
        while in_flight and (len(in_flight) >= window or in_flight[0].done()):
            yield in_flight.popleft()
    yield from in_flight


class Assessors:
    """Worker processes that assess items in the background; `collect` (or `answers`) gives the
    assessments of everything submitted, in the order submitted, as far as the workers answer:
    from a chunk not done within CHUNK_TIMEOUT_S (a worker hung) or left by a dead worker on,
    nothing; those items stay waiting for the caller to assess."""

    def __init__(self, signals: SignalsConfig, workers: int) -> None:
        self._executor = _executor(signals, workers)
        self._pending: list[Future[Answers]] = []
        self._broken = False
        self.submitted = 0
        self.versions: dict[str, str] = {}  # item id -> the content hash it was assessed on

    def submit(self, items: Sequence[Item]) -> None:
        self.submitted += len(items)
        self.versions.update((item.id, item.content_hash) for item in items)
        for start in range(0, len(items), CHUNK_LINES):
            if self._broken:
                return
            chunk = items[start : start + CHUNK_LINES]
            try:
                self._pending.append(self._executor.submit(_assess_chunk, chunk))
            except Exception as exc:  # the pool broke since: what is not submitted waits
                self._stopped(exc)

    def collect(self) -> Answers:
        done: Answers = []
        for future in self._pending:
            try:
                done += future.result(timeout=CHUNK_TIMEOUT_S)
            except Exception as exc:  # timed out, or the pool broke
                self._stopped(exc)
                break
        self._pending = []
        return done

    async def answers(self) -> Answers:
        """As `collect`, waiting without holding up the event loop: the service's health
        endpoint, its signals and its other jobs go on while the workers finish."""
        done: Answers = []
        for future in self._pending:
            try:
                answered = asyncio.wrap_future(future)
                done += await asyncio.wait_for(answered, CHUNK_TIMEOUT_S)
            except Exception as exc:  # timed out, or the pool broke
                self._stopped(exc)
                break
        self._pending = []
        return done

    def _stopped(self, exc: BaseException) -> None:
        if not self._broken:
            log.warning("classifying processes stopped answering (%s)", _reason(exc))
        self._broken = True

    def close(self) -> None:
        _stop(self._executor)

    def __enter__(self) -> Assessors:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def start_assessors(signals: SignalsConfig, workers: int) -> Assessors | None:
    """Worker processes, or None (said in the log) where this system cannot start them (some
    containers have no working semaphores): the caller then classifies in its own process."""
    try:
        return Assessors(signals, workers)
    except (OSError, ImportError) as exc:
        log.warning("cannot start classifying processes (%s); classifying in this one", exc)
        return None


def _executor(signals: SignalsConfig, workers: int) -> ProcessPoolExecutor:
    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(signals,)
    )


def _stop(executor: ProcessPoolExecutor) -> None:
    """Stops the workers now, done or not (a poll cut short, a chunk hung): Python 3.11's
    executor can only wait for them, so they are terminated by hand."""
    workers = list(executor._processes.values())
    executor.shutdown(wait=False, cancel_futures=True)
    for process in workers:
        process.terminate()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer within {CHUNK_TIMEOUT_S:.0f} s"
    return str(exc) or type(exc).__name__


def _start_worker(signals: SignalsConfig) -> None:
    global _worker_classifier
    _worker_classifier = Classifier.from_signals(signals)


def _classify_chunk(chunk: list[bytes]) -> bytes:
    assert _worker_classifier is not None
    return b"".join(encode(result) for result in classify_lines(chunk, _worker_classifier))


def _assess_chunk(chunk: Sequence[Item]) -> Answers:
    assert _worker_classifier is not None
    answers = (attempted(_worker_classifier, item, logged=False) for item in chunk)
    return [a if isinstance(a, Unreadable) else a.assessment for a in answers]
