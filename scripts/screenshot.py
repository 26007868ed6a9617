"""Screenshots of the demo digest in headless Chromium, for docs/:

    python scripts/screenshot.py [--chromium /usr/bin/chromium]

writes docs/digest-phone.png (390 px wide) and docs/digest-desktop.png (800 px wide).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from digest.demo import run_demo

DOCS = Path(__file__).resolve().parents[1] / "docs"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run_demo(Path(folder))  # before Playwright, which holds an event loop while open
        shoot(Path(folder) / "digest-beirut-office-2026-03-24.html", args.chromium)
    return 0


def shoot(page_file: Path, chromium: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for name, width in (("phone", 390), ("desktop", 800)):
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.goto(page_file.as_uri())
            target = DOCS / f"digest-{name}.png"
            page.screenshot(path=str(target), full_page=name == "desktop")
            print(target)
        browser.close()


if __name__ == "__main__":
    sys.exit(main())
