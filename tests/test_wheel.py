"""A wheel built from the repository carries everything it needs and runs outside the source
tree: templates, configs, lexicons, gazetteer and demo feeds."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from .conftest import REPO


def test_wheel_runs_the_demo_outside_the_source_tree(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(dist)],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    wheel = next(dist.glob("digest-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "digest/_bundled/templates/digest.html.j2",
        "digest/_bundled/templates/digest.txt.j2",
        "digest/_bundled/config/digest.toml",
        "digest/_bundled/config/demo.toml",
        "digest/signals/lexicons/ar.toml",
        "digest/signals/gazetteer/places.tsv",
        "digest/demo/feeds/sawt-aljanoub.atom.xml",
    ):
        assert required in names, required
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DIGEST_")}
    environ["PYTHONPATH"] = str(site)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import digest, sys; print(digest.__file__); "
            "from digest.cli import main; sys.exit(main(['demo', '--out', 'out']))",
        ],
        cwd=elsewhere,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith(str(site))
    assert (elsewhere / "out" / "digest-beirut-office-2026-03-24.eml").is_file()
