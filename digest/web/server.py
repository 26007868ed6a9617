"""The archive served by uvicorn in a background thread, for programs that embed it (the
screenshots script, the browser tests) rather than run `digest serve`."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from digest.errors import DigestError
from digest.web.app import create_app
from digest.web.security import Access
from digest.web.site import Site

START_WAIT_S = 15.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def in_background(site: Site, access: Access | None = None) -> Iterator[str]:
    """Serve `site` on a free loopback port until the block ends; yields its base URL. The site
    is closed afterwards. `access`: who may read and review (anyone reads by default)."""
    port = _free_port()
    config = uvicorn.Config(
        create_app(site, access), host="127.0.0.1", port=port, log_level="warning", ws="none"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_WAIT_S
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise DigestError(f"the archive server did not start on port {port}") from None
            time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=START_WAIT_S)
        site.close()
