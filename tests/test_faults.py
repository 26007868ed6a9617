"""One `digest fetch` against a farm where a third of the feeds misbehave in every way
benchmarks/faults.py knows (500, 404, garbage, truncated, empty, stalling, 200 MB, redirect
loop, gzip bomb): it completes, exits 0 without a traceback, stores every entry of the good
feeds and records an error for every bad one."""

from __future__ import annotations

import sys
from pathlib import Path

from .conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))

import faults  # benchmarks/faults.py


def test_a_fault_farm_loses_nothing_good_and_explains_every_failure(tmp_path: Path) -> None:
    outcome = faults.run(feeds=27, items=10, stall=3, timeout=1, work=tmp_path)
    assert outcome.exit_code == 0
    assert not outcome.traceback
    assert outcome.good_items == outcome.expected_items == 18 * 10
    assert outcome.bad_without_error == []
    assert outcome.good_with_error == []
    assert outcome.peak_mib < 400
