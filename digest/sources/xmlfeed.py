"""The fast path for well-formed XML feeds: RSS 0.9x/2.0, RSS 1.0 (RDF) and Atom read with lxml.

Strict and safe: no DTD loading, no entity resolution, no network. A document lxml cannot read
as one of these formats returns None, and feedparser's tolerant parser takes over.
"""

from __future__ import annotations

from collections.abc import Iterator
from html import escape
from typing import Any

from lxml import etree

from digest.sources.dates import parse_date
from digest.types import ParsedFeed, RawItem

ATOM = "{http://www.w3.org/2005/Atom}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
RSS1 = "{http://purl.org/rss/1.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False
)

Element = Any  # lxml ships no type information


def parse_xml(content: bytes) -> ParsedFeed | None:
    try:
        root = etree.fromstring(content, _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root.tag == "rss" or root.tag == "channel":
        return _rss(root)
    if root.tag == f"{ATOM}feed":
        return _atom(root)
    if root.tag == f"{RDF}RDF":
        return _rdf(root)
    return None


def _text(element: Element | None) -> str:
    if element is None:
        return ""
    return "".join(element.itertext()).strip()


def _first(parent: Element, *paths: str) -> Element | None:
    for path in paths:
        found = parent.find(path)
        if found is not None:
            return found
    return None


def _rss(root: Element) -> ParsedFeed:
    channel = root if root.tag == "channel" else root.find("channel")
    if channel is None:
        return ParsedFeed("", None, ())
    language = _text(channel.find("language")) or _text(channel.find(f"{DC}language")) or None
    items = []
    for item in channel.iter("item"):
        description = _text(item.find("description"))
        encoded = _text(item.find(f"{CONTENT}encoded"))
        guid = _text(item.find("guid")) or None
        date = _text(_first(item, "pubDate", f"{DC}date", f"{ATOM}published", f"{ATOM}updated"))
        items.append(
            RawItem(
                guid=guid,
                url=_text(item.find("link")) or (guid if _permalink(item) else None),
                title=_text(item.find("title")),
                summary_html=encoded if len(encoded) > len(description) else description,
                published=parse_date(date),
                language=language,
            )
        )
    return ParsedFeed(_text(channel.find("title")), language, tuple(items))


def _permalink(item: Element) -> bool:
    guid = item.find("guid")
    if guid is None:
        return False
    text = _text(guid)
    return guid.get("isPermaLink", "true").lower() == "true" and text.startswith("http")


def _rdf(root: Element) -> ParsedFeed:
    channel = root.find(f"{RSS1}channel")
    language = _text(channel.find(f"{DC}language")) if channel is not None else ""
    items = [
        RawItem(
            guid=item.get(f"{RDF}about") or _text(item.find(f"{RSS1}link")) or None,
            url=_text(item.find(f"{RSS1}link")) or None,
            title=_text(item.find(f"{RSS1}title")),
            summary_html=_text(_first(item, f"{CONTENT}encoded", f"{RSS1}description")),
            published=parse_date(_text(item.find(f"{DC}date"))),
            language=_text(item.find(f"{DC}language")) or language or None,
        )
        for item in root.iter(f"{RSS1}item")
    ]
    title = _text(channel.find(f"{RSS1}title")) if channel is not None else ""
    return ParsedFeed(title, language or None, tuple(items))


def _atom(root: Element) -> ParsedFeed:
    language = root.get(XML_LANG)
    items = [
        RawItem(
            guid=_text(entry.find(f"{ATOM}id")) or None,
            url=_atom_link(entry),
            title=_atom_text(entry.find(f"{ATOM}title"), html=False),
            summary_html=_atom_body(entry),
            published=parse_date(
                _text(_first(entry, f"{ATOM}published", f"{ATOM}updated", f"{DC}date"))
            ),
            language=entry.get(XML_LANG) or language,
        )
        for entry in root.iter(f"{ATOM}entry")
    ]
    return ParsedFeed(_atom_text(root.find(f"{ATOM}title"), html=False), language, tuple(items))


def _atom_link(entry: Element) -> str | None:
    links = entry.findall(f"{ATOM}link")
    for link in links:
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return str(link.get("href"))
    return str(links[0].get("href")) if links and links[0].get("href") else None


def _atom_body(entry: Element) -> str:
    bodies = [
        _atom_text(element, html=True)
        for element in (entry.find(f"{ATOM}content"), entry.find(f"{ATOM}summary"))
        if element is not None
    ]
    return max(bodies, key=len) if bodies else ""


def _atom_text(element: Element | None, html: bool) -> str:
    """An Atom text construct, as HTML when `html` (text escaped, xhtml serialised), else as
    plain text."""
    if element is None:
        return ""
    kind = element.get("type", "text")
    if kind == "xhtml":
        division = element.find("{http://www.w3.org/1999/xhtml}div")
        inner = division if division is not None else element
        if not html:
            return _text(inner)
        return "".join(_serialise(inner))
    text = _text(element)
    if html and kind == "text":
        return escape(text)
    return text


def _serialise(element: Element) -> Iterator[str]:
    if element.text:
        yield escape(element.text)
    for child in element:
        markup = etree.tostring(child, encoding="unicode", with_tail=False)
        yield markup.replace(' xmlns="http://www.w3.org/1999/xhtml"', "")
        if child.tail:
            yield escape(child.tail)
