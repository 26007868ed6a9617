"""Throughput of `digest classify` on items of about 1 KB, through the CLI (JSON lines in and
out), against `grep -F -f` with the same lexicon over the same bytes as the physical limit, and
memory over two input sizes (flat means streaming).

    python benchmarks/classify.py [--items 20000] [--workers 1 2]

The items are built from the bundled demo feeds (English, Arabic, French; written for the
project), sentences mixed at random with a fixed seed until each text is about 1 KB.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import corpus  # benchmarks/corpus.py, beside this script

from digest.signals.lexicon import LEXICON_DIR

ITEM_BYTES = 1000


def write_items(path: Path, count: int, seed: int = 7) -> int:
    size = 0
    with path.open("w", encoding="utf-8") as out:
        for number, (title, text) in enumerate(corpus.items(count, ITEM_BYTES, seed)):
            line = json.dumps({"id": str(number), "title": title, "text": text}, ensure_ascii=False)
            out.write(line + "\n")
            size += len(line.encode()) + 1
    return size


def lexicon_patterns(path: Path) -> int:
    import tomllib

    terms: set[str] = set()
    for lexicon in LEXICON_DIR.glob("*.toml"):
        for table in tomllib.loads(lexicon.read_text(encoding="utf-8")).values():
            if isinstance(table, dict):
                terms.update(t.rstrip("*").lower() for t in table.get("terms", []))
    path.write_text("\n".join(sorted(t for t in terms if t)) + "\n", encoding="utf-8")
    return len(terms)


def timed(command: list[str], stdin: Path) -> tuple[float, int]:
    """Wall seconds, and the peak RSS in KiB of the command (measured by a fresh parent, since
    a process's children's peak covers all its children so far)."""
    probe = (
        "import resource, subprocess, sys\n"
        "with open(sys.argv[1], 'rb') as source:\n"
        "    subprocess.run(sys.argv[2:], stdin=source, stdout=subprocess.DEVNULL, check=True)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", probe, str(stdin), *command],
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - started, int(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        small, large = work / "small.jsonl", work / "items.jsonl"
        write_items(small, max(1, args.items // 4))
        size = write_items(large, args.items)
        empty = work / "empty.jsonl"
        empty.write_text("")
        print(f"{args.items} items, {size / args.items:.0f} bytes a line on average")

        startup, _ = timed([sys.executable, "-m", "digest", "classify"], empty)
        patterns = work / "patterns.txt"
        count = lexicon_patterns(patterns)
        grep = shutil.which("grep")
        grep_rate = None
        if grep:
            seconds, _ = timed([grep, "-F", "-i", "-c", "-f", str(patterns)], large)
            grep_rate = args.items / seconds
            print(f"grep -F -f ({count} lexicon terms): {grep_rate:,.0f} items/s")
        print(f"digest classify start-up (lingua, lexicons, gazetteer): {startup:.2f} s")
        baseline = None
        for workers in args.workers:
            command = [sys.executable, "-m", "digest", "classify", "--workers", str(workers)]
            seconds, _ = timed(command, large)
            rate = args.items / max(seconds - startup, 1e-9)
            baseline = baseline or rate
            line = f"digest classify --workers {workers}: {rate:,.0f} items/s"
            line += f" ({seconds:.1f} s with start-up; x{rate / baseline:.2f} of 1 worker"
            if grep_rate:
                line += f"; {rate / grep_rate:.4f} of grep"
            print(line + ")")
        _, small_rss = timed([sys.executable, "-m", "digest", "classify"], small)
        _, large_rss = timed([sys.executable, "-m", "digest", "classify"], large)
        print(
            f"peak memory: {small_rss / 1024:.0f} MiB for {small.stat().st_size / 1e6:.1f} MB in, "
            f"{large_rss / 1024:.0f} MiB for {size / 1e6:.1f} MB in "
            f"(x{large_rss / small_rss:.2f} for x{size / small.stat().st_size:.1f} the input)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
