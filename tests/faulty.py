"""Classifiers with faults: a bug that one report sets off (what a fault of digest's own would do
to a poll), and one that takes its time. Their own module, so that a worker process (spawned:
nothing of the test is inherited) can import them as its classifier."""

from __future__ import annotations

import os
import time

from digest import parallel
from digest.config import SignalsConfig
from digest.signals.classify import Classifier, Explained, Text

POISON = "tripwire"  # a title with this word sets the bug off


class Poisoned(Classifier):
    def __init__(self, engine: Classifier) -> None:
        self.__dict__.update(engine.__dict__)
        self.tried: list[str] = []  # ids of the reports the bug went off on

    def classify(self, text: Text) -> Explained:
        if POISON in text.title:
            self.tried.append(text.id)
            raise IndexError("string index out of range")
        return super().classify(text)


def start_poisoned_worker(signals: SignalsConfig) -> None:
    parallel._start_worker(signals)
    assert parallel._worker_classifier is not None
    parallel._worker_classifier = Poisoned(parallel._worker_classifier)


class Slow(Classifier):
    def __init__(self, engine: Classifier, seconds: float) -> None:
        self.__dict__.update(engine.__dict__)
        self.seconds = seconds

    def classify(self, text: Text) -> Explained:
        time.sleep(self.seconds)
        return super().classify(text)


SLOW_WORKER_S = 0.05  # a report's time in `start_slow_worker`


def start_slow_worker(signals: SignalsConfig) -> None:
    parallel._start_worker(signals)
    assert parallel._worker_classifier is not None
    parallel._worker_classifier = Slow(parallel._worker_classifier, SLOW_WORKER_S)


def dying_chunk(chunk: list[bytes]) -> bytes:
    """`digest classify`'s chunk, in a worker the kernel kills on a line saying "die"."""
    if any(b'"die"' in line for line in chunk):
        os._exit(1)
    return parallel._classify_chunk(chunk)


def failing_worker(signals: SignalsConfig) -> None:
    """A worker that cannot start (its lexicons unreadable, say)."""
    raise RuntimeError("cannot read the lexicons")
