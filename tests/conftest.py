from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
DEMO_FEEDS = REPO / "digest" / "demo" / "feeds"


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA


class FeedHandler(SimpleHTTPRequestHandler):
    """A static file server that also answers ETag / If-None-Match, and counts requests."""

    requests: list[str]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.requests.append(self.path)
        path = Path(self.translate_path(self.path))
        if path.is_file():
            etag = '"' + hashlib.sha1(path.read_bytes()).hexdigest() + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
        super().do_GET()

    def end_headers(self) -> None:
        path = Path(self.translate_path(self.path))
        if path.is_file() and self.command == "GET":
            self.send_header("ETag", '"' + hashlib.sha1(path.read_bytes()).hexdigest() + '"')
        super().end_headers()


class FeedServer:
    def __init__(self, root: Path) -> None:
        handler = type("Handler", (FeedHandler,), {"requests": []})
        self.handler = handler
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(root)))
        self.root = root
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def requests(self) -> list[str]:
        return self.handler.requests

    def url(self, name: str) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/{name}"


@pytest.fixture
def feed_server(tmp_path: Path) -> Iterator[FeedServer]:
    root = tmp_path / "www"
    root.mkdir()
    server = FeedServer(root)
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()
