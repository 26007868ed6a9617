from __future__ import annotations

import contextlib
import hashlib
import shutil
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from functools import partial
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, sync_playwright

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


Route = Callable[[BaseHTTPRequestHandler], None]


class ScriptedServer:
    """Routes of a real loopback server, each a function that writes the whole response."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: dict[str, int] = {}
        routes, hits = self.routes, self.hits

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                hits[self.path] = hits.get(self.path, 0) + 1
                route = routes.get(self.path)
                if route is None:
                    self.send_error(404)
                    return
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    route(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"


def reply(status: int, body: bytes = b"", **headers: str) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name.replace("_", "-"), value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return route


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    scripted = ScriptedServer()
    yield scripted
    scripted.httpd.shutdown()
    scripted.httpd.server_close()


class Mailbox:
    """An SMTP server's handler that keeps what it accepts and fails on demand."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []
        self.raw: list[bytes] = []  # each message as it came over the wire
        self.times: list[float] = []  # time.monotonic() of each message taken
        self.refuse: set[str] = set()
        self.fail_data = 0  # the next DATA commands answered 451
        self.drop_data = 0  # the next DATA commands get the connection closed, no reply
        self.keep_dropped = False  # whether a dropped message was taken all the same

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.fail_data:
            self.fail_data -= 1
            return "451 4.3.0 try again later"
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        if self.drop_data:
            self.drop_data -= 1
            if self.keep_dropped:
                self.received.append((list(envelope.rcpt_tos), parsed))
            server.transport.close()
            return "421 closing"  # never reaches the client: the connection is gone
        self.received.append((list(envelope.rcpt_tos), parsed))
        self.raw.append(envelope.original_content)
        self.times.append(time.monotonic())
        return "250 2.0.0 queued"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    handler = Mailbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's chromium under Playwright. Open it after any fixture that runs an event loop:
    Playwright's synchronous API holds one while it is open."""
    if CHROMIUM is None:
        pytest.fail("chromium is not installed: .ci/run installs Debian's chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def database_at(path: Path, version: int) -> sqlite3.Connection:
    """A database as digest left it at schema `version` (its migrations up to that one run),
    for the tests of what a later migration does to it."""
    from digest.storage.migrations import MIGRATIONS
    from digest.storage.sqlite import _statements

    db = sqlite3.connect(path)
    for number in range(1, version + 1):
        for statement in _statements(MIGRATIONS[number]):
            db.execute(statement)
    return db
