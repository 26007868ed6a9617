from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.errors import InputError
from digest.sources.opml import parse_opml, write_opml
from digest.storage.sqlite import SqliteStorage

OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Lebanon</title></head>
  <body>
    <outline text="News">
      <outline type="rss" text="Naharnet" language="en"
               xmlUrl="https://www.naharnet.com/stories/en/rss"/>
      <outline type="rss" text="الوكالة الوطنية" xmlUrl="https://nna-leb.gov.lb/ar/rss"/>
    </outline>
    <outline type="rss" title="ReliefWeb" text="rw" xmlUrl="https://reliefweb.int/updates/rss.xml"/>
    <outline type="rss" text="duplicate" xmlUrl="https://reliefweb.int/updates/rss.xml"/>
    <outline text="a folder without a feed"/>
  </body>
</opml>""".encode()


def test_nested_outlines_are_read_once_each() -> None:
    sources = parse_opml(OPML)
    assert [s.name for s in sources] == ["Naharnet", "الوكالة الوطنية", "ReliefWeb"]
    assert sources[0].language == "en"


def test_round_trip_through_the_database(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "d.sqlite3")
    assert storage.add_sources(parse_opml(OPML), "opml") == [
        ("Naharnet", "added"),
        ("الوكالة الوطنية", "added"),
        ("ReliefWeb", "added"),
    ]
    exported = write_opml(storage.sources(), datetime(2026, 3, 24, tzinfo=UTC))
    again = parse_opml(exported.encode())
    assert {(s.name, s.url, s.language) for s in again} == {
        (s.name, s.url, s.language) for s in parse_opml(OPML)
    }
    assert {status for _, status in storage.add_sources(again, "opml")} == {"known"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<opml><body><outline", "not well-formed"),
        (b"<rss/>", "not OPML"),
        (b"<opml version='2.0'/>", "no <body>"),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><opml/>', "DOCTYPE"),
        (b"<!--" + b"x" * 6000 + b'--><!DOCTYPE x [<!ENTITY a "aaaa">]><opml/>', "DOCTYPE"),
        (b"<opml><body><outline xmlUrl='file:///etc/passwd'/></body></opml>", "not an http"),
    ],
)
def test_bad_opml_is_a_clear_error(body: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_opml(body)
