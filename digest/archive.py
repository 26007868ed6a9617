"""The static archive: an index of every stored digest and a page per digest."""

from __future__ import annotations

from itertools import groupby
from pathlib import Path

from jinja2 import Environment

from digest.storage.base import DigestRecord


def page_path(root: Path, record: DigestRecord) -> Path:
    return root / record.profile / f"{record.day}.html"


def write_archive(root: Path, records: list[DigestRecord], env: Environment) -> list[Path]:
    """Write index.html and one page per digest under root; returns the paths written."""
    root.mkdir(parents=True, exist_ok=True)
    written = []
    ordered = sorted(records, key=lambda r: (r.profile, r.day), reverse=True)
    by_profile = [(p, list(rs)) for p, rs in groupby(ordered, key=lambda r: r.profile)]
    index = root / "index.html"
    index.write_text(
        env.get_template("archive_index.html.j2").render(by_profile=sorted(by_profile)),
        encoding="utf-8",
    )
    written.append(index)
    for record in records:
        path = page_path(root, record)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(record.html, encoding="utf-8")
        written.append(path)
    return written
