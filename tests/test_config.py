from __future__ import annotations

import os
from pathlib import Path

import pytest

from digest.config import AUTO_WORKERS_AT_MOST, DigestConfig, SignalsConfig, load, locate
from digest.errors import ConfigError
from digest.resources import bundled_config

VALID = """
[storage]
database = "db/digest.sqlite3"

[[sources]]
name = "A"
url = "https://example.org/feed.xml"

[[profiles]]
name = "beirut"
recipients = ["security@example.org"]
timezone = "Asia/Beirut"
send_at = "06:30"
regions = ["LB6"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "digest.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(write(tmp_path, text), environ or {})
    return caught.value.problems


def test_valid_config_resolves_paths_relative_to_the_file(tmp_path: Path) -> None:
    config = load(write(tmp_path, VALID), {})
    assert config.storage.database == (tmp_path / "db" / "digest.sqlite3").resolve()
    assert config.profiles[0].send_at.hour == 6
    assert config.fetch.interval_s == 900


def test_every_error_is_reported_with_its_key_path(tmp_path: Path) -> None:
    text = VALID.replace('"Asia/Beirut"', '"Asia/Beirout"').replace('"06:30"', '"25:00"')
    text += "\n[fetch]\nconcurency = 3\ntimeout_s = -1\n"
    found = problems(tmp_path, text)
    assert "profiles[0].timezone: unknown time zone 'Asia/Beirout'" in found
    assert any(p.startswith("profiles[0].send_at: not a time of day") for p in found)
    assert "fetch.concurency: unknown key" in found
    assert any(p.startswith("fetch.timeout_s:") for p in found)


@pytest.mark.parametrize(
    ("replace", "by", "expected"),
    [
        ('regions = ["LB6"]', 'regions = ["south"]', "profiles[0].regions[0]: not an admin P-code"),
        ('"security@example.org"', '"not-an-address"', "profiles[0].recipients[0]: not an email"),
        ('"security@example.org"', '"a,b@example.org"', "profiles[0].recipients[0]: not an email"),
        ('url = "https://example.org/feed.xml"', 'url = "ftp://x"', "sources[0].url: not an http"),
        ('send_at = "06:30"', 'send_at = "06:30"\nmin_severity = 9', "profiles[0].min_severity"),
        ('send_at = "06:30"', 'send_at = "06:30"\ncategories = ["bombing"]', "unknown category"),
    ],
)
def test_invalid_values(tmp_path: Path, replace: str, by: str, expected: str) -> None:
    found = problems(tmp_path, VALID.replace(replace, by))
    assert any(expected in p for p in found), found


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    text = VALID + '\n[[sources]]\nname = "A"\nurl = "https://example.org/other.xml"\n'
    assert any("'A' is used twice" in p for p in problems(tmp_path, text))


def test_invalid_toml_names_the_line(tmp_path: Path) -> None:
    found = problems(tmp_path, "[storage\n")
    assert found[0].startswith("invalid TOML")
    assert "line 1" in found[0]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load(tmp_path / "absent.toml", {})


def test_environment_overrides_sections_and_list_entries(tmp_path: Path) -> None:
    environ = {
        "DIGEST_FETCH__TIMEOUT_S": "5",
        "DIGEST_FETCH__ALLOW_PRIVATE_NETWORKS": "true",
        "DIGEST_PROFILES__0__SEND_AT": "07:15",
        "DIGEST_SMTP__HOST": "mail.example.org",
        "DIGEST_CONFIG": "ignored: not an override",
    }
    config = load(write(tmp_path, VALID), environ)
    assert config.fetch.timeout_s == 5
    assert config.fetch.allow_private_networks is True
    assert config.profiles[0].send_at.strftime("%H:%M") == "07:15"
    assert config.smtp.host == "mail.example.org"


def test_environment_override_errors_are_clear(tmp_path: Path) -> None:
    found = problems(tmp_path, VALID, {"DIGEST_PROFILES__3__SEND_AT": "07:00"})
    assert found == ["DIGEST_PROFILES__3__SEND_AT: no entry 3 in profiles"]
    found = problems(tmp_path, VALID, {"DIGEST_FETCH__TIMEOUT_S": "soon"})
    assert any(p.startswith("fetch.timeout_s (from DIGEST_FETCH__TIMEOUT_S):") for p in found)


def test_environment_values_fall_back_to_strings(tmp_path: Path) -> None:
    environ = {"DIGEST_SMTP__USERNAME": "12345", "DIGEST_SOURCES__0__NAME": "2026-01-01"}
    config = load(write(tmp_path, VALID), environ)
    assert config.smtp.username == "12345"
    assert config.sources[0].name == "2026-01-01"


def test_profile_names_are_safe_in_paths_and_headers(tmp_path: Path) -> None:
    found = problems(tmp_path, VALID.replace('name = "beirut"', 'name = "a/b\\nc"'))
    assert any(p.startswith("profiles[0].name:") for p in found)


def test_the_bundled_fallback_keeps_its_database_in_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = load(bundled_config("demo.toml"), {})
    assert config.storage.database == (tmp_path / "digest-data" / "digest.sqlite3").resolve()


def test_secrets_come_from_the_named_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load(write(tmp_path, VALID + '\n[smtp]\npassword_env = "MY_SMTP_SECRET"\n'), {})
    monkeypatch.setenv("MY_SMTP_SECRET", "hunter2")
    assert config.smtp.password() == "hunter2"
    assert "password" not in DigestConfig.model_fields["smtp"].annotation.model_fields  # type: ignore[union-attr]


def test_bundled_configs_are_valid() -> None:
    for name in ("digest.toml", "demo.toml"):
        config = load(bundled_config(name), {})
        assert config.profiles


def test_locate_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DIGEST_CONFIG", raising=False)
    assert locate(None) == bundled_config("demo.toml")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "digest.toml").write_text(VALID)
    assert locate(None) == Path("config/digest.toml")
    monkeypatch.setenv("DIGEST_CONFIG", "/elsewhere.toml")
    assert locate(None) == Path("/elsewhere.toml")
    assert locate(Path("x.toml")) == Path("x.toml")


def test_one_process_per_core_where_the_cores_cannot_be_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`[signals] workers = 0` is a process per core, up to a bound, on any system (only Linux
    says which cores a process may use)."""
    assert SignalsConfig(workers=3).processes() == 3
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert SignalsConfig().processes() == AUTO_WORKERS_AT_MOST
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert SignalsConfig().processes() == 1
