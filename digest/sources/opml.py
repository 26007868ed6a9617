"""OPML 2.0 import and export of sources, as feed readers exchange subscription lists."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import datetime
from email.utils import format_datetime

import httpx

from digest.errors import InputError
from digest.storage.base import NewSource, SourceRecord

_FORBIDDEN = (b"<!DOCTYPE", b"<!ENTITY")


def parse_opml(content: bytes) -> list[NewSource]:
    """Sources from every outline with an xmlUrl, at any depth; names fall back to the URL."""
    if any(marker in content.upper() for marker in _FORBIDDEN):
        raise InputError("OPML with a DOCTYPE or entities is refused")
    try:
        root = ET.fromstring(content)
    except ET.ParseError as exc:
        raise InputError(f"not well-formed OPML: {exc}") from None
    if root.tag != "opml":
        raise InputError(f"not OPML: the root element is <{root.tag}>")
    body = root.find("body")
    if body is None:
        raise InputError("OPML has no <body>")
    sources = []
    seen: set[str] = set()
    for outline in body.iter("outline"):
        url = (outline.get("xmlUrl") or "").strip()
        if not url or url in seen:
            continue
        if not url.startswith(("http://", "https://")):
            raise InputError(f"outline {outline.get('text')!r}: not an http(s) feed URL: {url!r}")
        try:
            httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise InputError(
                f"outline {outline.get('text')!r}: invalid URL {url!r}: {exc}"
            ) from None
        seen.add(url)
        name = (outline.get("title") or outline.get("text") or url).strip()
        kind = "reliefweb" if outline.get("type") == "reliefweb" else "feed"
        sources.append(NewSource(name=name, url=url, kind=kind, language=outline.get("language")))
    return sources


def write_opml(
    sources: Iterable[SourceRecord], now: datetime, title: str = "digest sources"
) -> str:
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(now)
    body = ET.SubElement(root, "body")
    for source in sources:
        attributes = {
            "type": "rss" if source.kind == "feed" else source.kind,
            "text": source.name,
            "title": source.name,
            "xmlUrl": source.url,
        }
        if source.language:
            attributes["language"] = source.language
        ET.SubElement(body, "outline", attributes)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
