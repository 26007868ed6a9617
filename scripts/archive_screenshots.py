"""Screenshots of the web archive over the demo's database, served by uvicorn and opened in
headless Chromium, for docs/:

    python scripts/archive_screenshots.py [--chromium /usr/bin/chromium]

writes docs/archive-<name>.png (1000 px wide; the search page also 390 px wide, as on a phone).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import urlopen

from playwright.sync_api import sync_playwright

from digest.demo import DEMO_DAY, run_demo
from digest.render import environment
from digest.signals.gazetteer import Gazetteer
from digest.web.server import in_background
from digest.web.site import Site

DOCS = Path(__file__).resolve().parents[1] / "docs"
PROFILE = "beirut-office"
DAY = DEMO_DAY.isoformat()
# name, path, viewport width; the story (told in three languages) is found through the API
SHOTS = (
    ("index", "/", 1000),
    ("digest", f"/digests/{PROFILE}/{DAY}", 1000),
    ("search-arabic", "/search?" + urlencode({"q": "غارة"}), 1000),
    ("search-region", "/search?" + urlencode({"q": "strike", "region": "LB4"}), 1000),
    ("story", "", 1000),
    ("overview", f"/overview?until={DAY}", 1000),
    ("trends", f"/trends?until={DAY}&days=14", 1000),
    ("orders", f"/orders?until={DAY}", 1000),
    ("search-phone", "/search?" + urlencode({"q": "غارة"}), 390),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        # the demo before Playwright, which holds an event loop while open
        database = run_demo(Path(folder)).database
        with in_background(Site(database, environment(), Gazetteer.load())) as origin:
            shoot(origin, args.chromium)
    return 0


def shoot(origin: str, chromium: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        with urlopen(f"{origin}/api/items?q=Aitaroun&limit=1", timeout=10) as response:
            story = f"/stories/{json.load(response)['items'][0]['story']}"
        for name, path, width in SHOTS:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.goto(origin + (path or story))
            target = DOCS / f"archive-{name}.png"
            page.screenshot(path=str(target))
            page.close()
            print(target)
        browser.close()


if __name__ == "__main__":
    sys.exit(main())
