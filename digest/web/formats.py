"""The archive for machines: JSON, Atom, CSV and GeoJSON of searches, stories and digests."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

from digest.storage.base import DigestRecord
from digest.storage.reader import Hit
from digest.types import Location

ATOM = "http://www.w3.org/2005/Atom"
CSV_COLUMNS = (
    "published",
    "source",
    "lang",
    "risk",
    "severity",
    "categories",
    "place",
    "admin1_pcode",
    "admin2_pcode",
    "lat",
    "lon",
    "killed",
    "injured",
    "title",
    "url",
    "story",
    "id",
)


def _primary(hit: Hit) -> Location | None:
    if hit.assessment is None or not hit.assessment.locations:
        return None
    return hit.assessment.locations[0]


def item_json(hit: Hit) -> dict[str, Any]:
    a = hit.assessment
    return {
        "id": hit.item.id,
        "title": hit.item.title,
        "url": hit.item.url,
        "source": hit.item.source,
        "published": hit.item.published.isoformat(),
        "text": hit.item.text,
        "story": hit.story_id,
        "lang": a.lang if a else None,
        "risk": a.risk if a else None,
        "severity": a.severity if a else None,
        "categories": list(a.categories) if a else [],
        "locations": [loc.as_dict() for loc in a.locations] if a else [],
        "casualties": {"killed": a.casualties.killed, "injured": a.casualties.injured}
        if a
        else None,
        "evidence": [e.as_dict() for e in a.evidence] if a else [],
    }


def _csv_safe(value: str) -> str:
    """A cell a spreadsheet will not run as a formula (feed text is untrusted)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def items_csv(hits: tuple[Hit, ...]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for hit in hits:
        a, place = hit.assessment, _primary(hit)
        row: list[object] = [
            hit.item.published.isoformat(),
            hit.item.source,
            a.lang if a else "",
            int(a.risk) if a else "",
            a.severity if a else "",
            " ".join(a.categories) if a else "",
            place.name if place else "",
            place.admin1_pcode or "" if place else "",
            place.admin2_pcode or "" if place else "",
            place.lat if place and place.lat is not None else "",
            place.lon if place and place.lon is not None else "",
            a.casualties.killed if a else "",
            a.casualties.injured if a else "",
            hit.item.title,
            hit.item.url or "",
            hit.story_id or "",
            hit.item.id,
        ]
        writer.writerow([_csv_safe(v) if isinstance(v, str) else v for v in row])
    return out.getvalue()


def items_geojson(hits: tuple[Hit, ...]) -> dict[str, Any]:
    """A FeatureCollection: one point per item at its primary place, when that has coordinates."""
    features = []
    for hit in hits:
        place = _primary(hit)
        if place is None or place.lat is None or place.lon is None:
            continue
        properties = item_json(hit)
        del properties["text"], properties["evidence"]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [place.lon, place.lat]},
                "properties": properties,
            }
        )
    return {"type": "FeatureCollection", "features": features}


# characters XML 1.0 does not allow (feeds do carry them)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    element.text = _NOT_XML.sub("", text)
    return element


def _feed(title: str, self_url: str, feed_id: str, updated: datetime) -> ET.Element:
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "title", title)
    _text(feed, "id", feed_id)
    _text(feed, "updated", updated.astimezone(UTC).isoformat())
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "self", "href": self_url})
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", "digest")
    return feed


def _serialise(feed: ET.Element) -> str:
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode")


def items_atom(hits: tuple[Hit, ...], title: str, self_url: str, base: str) -> str:
    updated = max((h.item.published for h in hits), default=datetime(1970, 1, 1, tzinfo=UTC))
    feed = _feed(title, self_url, self_url, updated)
    for hit in hits:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, "title", hit.item.title)
        _text(entry, "id", f"urn:digest:item:{hit.item.id}")
        _text(entry, "updated", hit.item.published.astimezone(UTC).isoformat())
        if hit.item.url:
            ET.SubElement(entry, f"{{{ATOM}}}link", {"href": hit.item.url})
        if hit.story_id:
            ET.SubElement(
                entry,
                f"{{{ATOM}}}link",
                {"rel": "related", "href": f"{base}stories/{hit.story_id}"},
            )
        author = ET.SubElement(entry, f"{{{ATOM}}}author")
        _text(author, "name", hit.item.source)
        _text(entry, "summary", hit.item.text[:1000])
        for code in hit.assessment.categories if hit.assessment else ():
            ET.SubElement(entry, f"{{{ATOM}}}category", {"term": code})
    return _serialise(feed)


def digests_atom(records: list[DigestRecord], self_url: str, base: str) -> str:
    updated = max((r.built_at for r in records), default=datetime(1970, 1, 1, tzinfo=UTC))
    feed = _feed("digest: daily digests", self_url, self_url, updated)
    for record in records:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, "title", record.subject)
        _text(entry, "id", f"urn:digest:digest:{record.profile}:{record.day}")
        _text(entry, "updated", record.built_at.astimezone(UTC).isoformat())
        ET.SubElement(
            entry, f"{{{ATOM}}}link", {"href": f"{base}digests/{record.profile}/{record.day}"}
        )
        _text(entry, "content", record.text)
    return _serialise(feed)
