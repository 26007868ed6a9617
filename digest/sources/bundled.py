"""An httpx transport for `bundled://` URLs: files that ship inside the package (the demo feeds).

It behaves like a small static web server, ETag and 304 included, so the demo exercises the same
fetch path as a real source.
"""

from __future__ import annotations

import hashlib
import mimetypes

import httpx

from digest.resources import PACKAGE_DIR

SCHEME = "bundled"
_TYPES = {".xml": "application/xml; charset=utf-8", ".json": "application/feed+json; charset=utf-8"}


class BundledTransport(httpx.AsyncBaseTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        relative = f"{request.url.host}{request.url.path}"
        path = (PACKAGE_DIR / relative).resolve()
        if not path.is_relative_to(PACKAGE_DIR) or not path.is_file():
            return httpx.Response(404, request=request)
        body = path.read_bytes()
        etag = '"' + hashlib.sha1(body).hexdigest() + '"'
        if request.headers.get("if-none-match") == etag:
            return httpx.Response(304, headers={"etag": etag}, request=request)
        content_type = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
        headers = {"etag": etag, "content-type": content_type or "application/octet-stream"}
        # a stream, as a server's body would be: the fetch layer reads it raw
        return httpx.Response(200, headers=headers, stream=httpx.ByteStream(body), request=request)
