"""Screenshots of the web archive over the demo's database, served by uvicorn and opened in
headless Chromium, for docs/:

    python scripts/archive_screenshots.py [--chromium /usr/bin/chromium]

writes docs/archive-<name>.png (1000 px wide; the search page also 390 px wide, as on a phone).
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import urlopen

import uvicorn
from playwright.sync_api import sync_playwright

from digest.demo import DEMO_DAY, run_demo
from digest.render import environment
from digest.signals.gazetteer import Gazetteer
from digest.web.app import create_app
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
    ("search-phone", "/search?" + urlencode({"q": "غارة"}), 390),
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(database: Path) -> Iterator[str]:
    """The archive over `database`, served by uvicorn in a background thread."""
    site = Site(database, environment(), Gazetteer.load())
    port = free_port()
    config = uvicorn.Config(
        create_app(site), host="127.0.0.1", port=port, log_level="warning", ws="none"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the archive server did not start") from None
            time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        site.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        # the demo before Playwright, which holds an event loop while open
        database = run_demo(Path(folder)).database
        with serving(database) as origin:
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
