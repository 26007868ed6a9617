from __future__ import annotations

import email
import json
import os
import shutil
import subprocess
import sys
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest

from .conftest import DEMO_FEEDS, FeedServer


def digest(
    *args: str, cwd: Path, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DIGEST_")}
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "digest", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
    )


def config_for(tmp_path: Path, sources: list[tuple[str, str]], extra: str = "") -> Path:
    lines = [
        '[storage]\ndatabase = "data/digest.sqlite3"\n',
        "[fetch]\nallow_private_networks = true  # the test feeds are served on loopback\n",
    ]
    for name, url in sources:
        lines.append(f'[[sources]]\nname = "{name}"\nurl = "{url}"\n')
    lines.append(
        '[[profiles]]\nname = "beirut"\nrecipients = ["security@example.org"]\n'
        'timezone = "Asia/Beirut"\nsend_at = "06:30"\nmin_severity = 2\n'
    )
    path = tmp_path / "digest.toml"
    path.write_text("\n".join(lines) + extra, encoding="utf-8")
    return path


def test_demo_writes_digest_eml_and_archive_offline(tmp_path: Path) -> None:
    done = digest("demo", "--out", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    printed = [
        Path(line) for line in done.stdout.splitlines() if line.endswith((".html", ".txt", ".eml"))
    ]
    names = {p.name for p in printed}
    assert names == {
        "digest-beirut-office-2026-03-24.html",
        "digest-beirut-office-2026-03-24.txt",
        "digest-beirut-office-2026-03-24.eml",
        "index.html",
    }
    out = tmp_path / "out"
    assert (out / "archive" / "digests" / "beirut-office" / "2026-03-24.html").is_file()
    index = (out / "archive" / "index.html").read_text()
    assert 'href="digests/beirut-office/2026-03-24.html"' in index
    text = (out / "digest-beirut-office-2026-03-24.txt").read_text()
    assert "EARLY WARNING" in text and "Aitaroun" in text
    html = (out / "digest-beirut-office-2026-03-24.html").read_text()
    assert "<script" not in html and "onerror" not in html
    assert 'dir="auto"' in html
    message = email.message_from_bytes(
        (out / "digest-beirut-office-2026-03-24.eml").read_bytes(), policy=default
    )
    assert isinstance(message, EmailMessage)
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    for header in ("Message-ID", "Date", "List-Id", "List-Unsubscribe", "Auto-Submitted"):
        assert message[header], header
    again = digest("demo", "--out", "out", cwd=tmp_path)
    assert again.returncode == 0
    assert "0 new items" in again.stdout


def test_init_then_check(tmp_path: Path) -> None:
    done = digest("init", "site", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    config = tmp_path / "site" / "digest.toml"
    assert config.is_file()
    assert digest("init", "site", cwd=tmp_path).returncode == 2
    checked = digest("--config", str(config), "check", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "profile beirut-office" in checked.stdout and "alert south-strikes" in checked.stdout


def test_check_lists_every_error_without_a_traceback(tmp_path: Path) -> None:
    path = config_for(tmp_path, [("A", "https://a.example/rss")])
    text = path.read_text().replace("Asia/Beirut", "Asia/Beirout")
    text = text.replace("[fetch]\n", "[fetch]\nconcurency = 3\n")
    path.write_text(text)
    done = digest("check", "--config", str(path), cwd=tmp_path)
    assert done.returncode == 2
    assert "profiles[0].timezone: unknown time zone 'Asia/Beirout'" in done.stderr
    assert "fetch.concurency: unknown key" in done.stderr
    assert "Traceback" not in done.stderr


def test_check_refuses_unknown_region_codes(tmp_path: Path) -> None:
    path = config_for(tmp_path, [])
    path.write_text(
        path.read_text().replace("min_severity = 2", 'min_severity = 2\nregions = ["LB99"]')
    )
    done = digest("check", "--config", str(path), cwd=tmp_path)
    assert done.returncode == 2 and "profiles[0].regions: unknown P-code 'LB99'" in done.stderr


def test_user_errors_exit_2(tmp_path: Path) -> None:
    assert digest("--config", "absent.toml", "check", cwd=tmp_path).returncode == 2
    assert digest("no-such-verb", cwd=tmp_path).returncode == 2
    missing = digest("sources", "import", "nothere.opml", cwd=tmp_path)
    assert missing.returncode == 2 and "cannot read nothere.opml" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_fetch_from_a_local_server_then_list_build_and_export(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    for name in ("cedar-wire.rss.xml", "sawt-aljanoub.atom.xml"):
        shutil.copy(DEMO_FEEDS / name, feed_server.root / name)
    (feed_server.root / "broken.xml").write_text("<rss><channel><item><title>x")
    path = config_for(
        tmp_path,
        [
            ("Cedar", feed_server.url("cedar-wire.rss.xml")),
            ("Sawt", feed_server.url("sawt-aljanoub.atom.xml")),
            ("Broken", feed_server.url("broken.xml")),
            ("Gone", feed_server.url("gone.xml")),
        ],
    )
    first = digest("--config", str(path), "fetch", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "Cedar: updated (14 new" in first.stdout
    assert "Gone: failed (HTTP 404" in first.stdout
    assert (
        "4 sources: 3 updated, 0 not modified, 1 failed, 0 disabled; 29 new items" in first.stdout
    )
    second = digest("--config", str(path), "fetch", "--all", "-v", cwd=tmp_path)
    assert "Cedar: not-modified" in second.stdout and "0 new items" in second.stdout
    assert "3 not modified" in second.stdout

    listed = json.loads(
        digest("--config", str(path), "sources", "list", "--json", cwd=tmp_path).stdout
    )
    by_name = {s["name"]: s for s in listed}
    assert by_name["Cedar"]["items"] == 14 and by_name["Cedar"]["last_success"]
    assert by_name["Gone"]["last_error"].startswith("HTTP 404")
    assert by_name["Gone"]["failing_since"] and by_name["Gone"]["consecutive_failures"] == 2
    assert by_name["Cedar"]["failing_since"] is None and by_name["Cedar"]["last_new"]
    assert {"name", "url", "kind", "items", "last_success", "last_error"} <= set(by_name["Cedar"])
    table = digest("--config", str(path), "sources", "list", cwd=tmp_path).stdout
    assert "failing x2 since 20" in table

    for fmt, marker in (
        ("html", "<!DOCTYPE html>"),
        ("text", "SECURITY DIGEST"),
        ("eml", "MIME-Version"),
    ):
        built = digest(
            "--config", str(path), "build", "--date", "2026-03-24", "--format", fmt, cwd=tmp_path
        )
        assert built.returncode == 0, built.stderr
        assert marker in built.stdout
    built = digest(
        "--config", str(path), "build", "--date", "2026-03-24", "--format", "text", cwd=tmp_path
    )
    assert "Aitaroun" in built.stdout and "Khiam" in built.stdout

    exported = digest("--config", str(path), "sources", "export", cwd=tmp_path).stdout
    (tmp_path / "other").mkdir()
    other = config_for(tmp_path / "other", [])
    (tmp_path / "export.opml").write_text(exported)
    imported = digest(
        "--config", str(other), "sources", "import", str(tmp_path / "export.opml"), cwd=tmp_path
    )
    assert imported.returncode == 0 and "4 source(s) added" in imported.stdout


def test_a_fetch_that_brings_nothing_new_imports_no_classifier_parser_or_templates(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    shutil.copy(DEMO_FEEDS / "cedar-wire.rss.xml", feed_server.root / "cedar.xml")
    path = config_for(tmp_path, [("Cedar", feed_server.url("cedar.xml"))])
    assert digest("--config", str(path), "fetch", cwd=tmp_path).returncode == 0
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DIGEST_")}
    again = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-m",
            "digest",
            "--config",
            str(path),
            "fetch",
            "--all",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
    )
    assert "1 not modified" in again.stdout, again.stderr
    imported = {
        line.rsplit("|", 1)[1].strip()
        for line in again.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert {"digest.pipeline", "digest.intake", "httpx"} <= imported
    needless = {
        "digest.signals.classify",
        "digest.signals.gazetteer",
        "lingua",
        "ahocorasick",
        "digest.parallel",
        "digest.stories",
        "digest.sources.feed",
        "digest.sources.normalise",
        "lxml",
        "feedparser",
        "nh3",
        "digest.render",
        "jinja2",
        "digest.web.site",
        "starlette",
    }
    assert imported & needless == set()


def test_build_with_an_unknown_profile_is_a_user_error(tmp_path: Path) -> None:
    path = config_for(tmp_path, [])
    done = digest("--config", str(path), "build", "--profile", "nope", cwd=tmp_path)
    assert done.returncode == 2 and "no profile named 'nope'" in done.stderr


@pytest.mark.parametrize("verb", ["classify", "cluster"])
def test_jsonl_verbs_need_no_database(tmp_path: Path, verb: str) -> None:
    line = json.dumps(
        {"id": "1", "title": "Shelling on Khiam", "text": "", "published": "2026-03-23T10:00:00Z"}
    )
    done = digest(verb, cwd=tmp_path, stdin=line + "\n")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["id"] == "1"
    assert not list(tmp_path.rglob("*.sqlite3"))


def test_a_source_with_an_invalid_url_fails_alone(tmp_path: Path, feed_server: FeedServer) -> None:
    shutil.copy(DEMO_FEEDS / "cedar-wire.rss.xml", feed_server.root / "cedar.xml")
    path = config_for(tmp_path, [("Cedar", feed_server.url("cedar.xml"))])
    opml = tmp_path / "bad.opml"
    opml.write_text(
        '<opml version="2.0"><body><outline text="Bad" xmlUrl="http://[::1"/></body></opml>'
    )
    imported = digest("--config", str(path), "sources", "import", str(opml), cwd=tmp_path)
    assert imported.returncode == 2 and "invalid URL" in imported.stderr
    done = digest("--config", str(path), "fetch", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Cedar: updated (14 new" in done.stdout


def test_classify_survives_bytes_that_are_not_text(tmp_path: Path) -> None:
    lines = [
        "\ufeff" + json.dumps({"id": "bom", "title": "Shelling on Khiam", "text": ""}),
        json.dumps({"id": "surrogate", "title": "Shelling on Khiam", "text": "x"}).replace(
            '"x"', '"\\ud800"'
        ),
    ]
    payload = ("\n".join(lines) + "\n").encode() + b'{"id": "latin", "text": "caf\xe9"}\n'
    payload += json.dumps({"id": "last", "title": "Shelling on Khiam", "text": ""}).encode()
    done = subprocess.run(
        [sys.executable, "-m", "digest", "classify"],
        cwd=tmp_path,
        input=payload,
        capture_output=True,
        timeout=60,
        env={**os.environ, "PYTHONIOENCODING": "latin-1"},
    )
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    assert [o["id"] for o in out] == ["bom", "surrogate", None, "last"]
    assert out[0]["risk"] and out[1]["risk"] and out[3]["risk"]
    assert "not UTF-8" in out[2]["error"]


def test_file_system_errors_are_user_errors(tmp_path: Path) -> None:
    path = config_for(tmp_path, [])
    (tmp_path / "adir").mkdir()
    (tmp_path / "afile").write_text("x")
    for args in (
        ["build", "--out", str(tmp_path / "adir")],
        ["build", "--date", "0001-01-01"],
        ["demo", "--out", str(tmp_path / "afile")],
        ["init", str(tmp_path / "afile")],
    ):
        done = digest("--config", str(path), *args, cwd=tmp_path)
        assert done.returncode == 2, (args, done.stderr)
        assert "Traceback" not in done.stderr and done.stderr.startswith("digest: error"), args
