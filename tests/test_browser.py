"""The HTML digest in a real browser (Debian's chromium, driven by Playwright): it fits a phone's
width, Arabic reads right to left, and nothing on the page runs or fails."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from digest.demo import run_demo

from .conftest import chromium


@pytest.fixture(scope="module")
def browser(digest_html: Path) -> Iterator[Browser]:
    with chromium() as launched:  # after the fixtures that run the pipeline
        yield launched


@pytest.fixture(scope="module")
def digest_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    run_demo(out)
    return out / "digest-beirut-office-2026-03-24.html"


@pytest.mark.parametrize("width", [390, 800])
def test_the_digest_reads_on_a_phone_and_a_desktop(
    browser: Browser, digest_html: Path, width: int
) -> None:
    page = browser.new_page(viewport={"width": width, "height": 800})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(digest_html.as_uri())
    assert errors == []
    assert [url for url in requests if not url.startswith("file:")] == []  # nothing fetched
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{overflow}px wider than a {width}px screen"
    directions = page.eval_on_selector_all(
        ".snippet", "els => els.map(e => [e.textContent, getComputedStyle(e).direction])"
    )
    arabic = [d for text, d in directions if any("\u0600" <= c <= "\u06ff" for c in text[:20])]
    latin = [d for text, d in directions if text[:1].isascii() and text[:1].isalpha()]
    assert arabic and set(arabic) == {"rtl"}
    assert latin and set(latin) == {"ltr"}
    assert page.locator("script").count() == 0
    page.close()
