"""Configuration: pydantic models of CONTRACTS section 4, TOML loading and environment overrides.

This is the only module that reads configuration. Every key can be overridden by an environment
variable ``DIGEST_<SECTION>__<KEY>`` (``DIGEST_FETCH__TIMEOUT_S=5``; list entries by index,
``DIGEST_PROFILES__0__SEND_AT=07:00``); values are read as TOML values when they parse as one,
else as strings. Relative paths are relative to the config file's folder.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from digest.alerts.rules import parse as parse_rule
from digest.errors import ConfigError
from digest.resources import bundled_config
from digest.signals.categories import CATEGORY_CODES
from digest.signals.scope import DEFAULT_COUNTRIES
from digest.types import SourceTier

ENV_PREFIX = "DIGEST_"
ENV_CONFIG = "DIGEST_CONFIG"
DEFAULT_CONFIG = Path("config/digest.toml")

# one address: no list separators, quotes or brackets, which would name others in a header
_EMAIL = re.compile(r'^[^@\s<>,;:"()\[\]\\]+@[^@\s<>,;:"()\[\]\\]+\.[^@\s<>,;:"()\[\]\\]+$')
_PCODE = re.compile(r"^[A-Z]{2,3}\d*$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"not an email address: {value!r}")
    return value


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}") from None
    return value


def _pcode(value: str) -> str:
    if not _PCODE.match(value):
        raise ValueError(f"not an admin P-code: {value!r} (e.g. 'LB6', 'LB41')")
    return value


def _category(value: str) -> str:
    if value not in CATEGORY_CODES:
        raise ValueError(f"unknown category {value!r}; known: {', '.join(CATEGORY_CODES)}")
    return value


def _env_name(value: str) -> str:
    if not _ENV_NAME.match(value):
        raise ValueError(f"not an environment variable name: {value!r}")
    return value


Email = Annotated[str, AfterValidator(_email)]
EnvName = Annotated[str, AfterValidator(_env_name)]
TimeZoneName = Annotated[str, AfterValidator(_timezone)]
PCode = Annotated[str, AfterValidator(_pcode)]
Category = Annotated[str, AfterValidator(_category)]
Severity = Annotated[int, Field(ge=0, le=4)]


@dataclass(frozen=True, slots=True)
class QuietSpan:
    """Local times from `start` until `end`, over midnight when `end` comes first."""

    start: time
    end: time

    def holds(self, moment: time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


def _quiet_hours(value: Any) -> Any:
    if isinstance(value, str):
        found = re.fullmatch(
            r"\s*([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-3]):([0-5]\d)\s*", value
        )
        if not found:
            raise ValueError(f"quiet hours are HH:MM-HH:MM, for example 22:00-06:30: {value!r}")
        hour, minute, end_hour, end_minute = (int(part) for part in found.groups())
        if (hour, minute) == (end_hour, end_minute):
            raise ValueError(f"quiet hours that start when they end: {value!r}")
        return QuietSpan(time(hour, minute), time(end_hour, end_minute))
    return value


QuietHours = Annotated[QuietSpan, BeforeValidator(_quiet_hours)]


def _time_of_day(value: Any) -> Any:
    if isinstance(value, str) and not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        raise ValueError(f"not a time of day HH:MM: {value!r}")
    return value


TimeOfDay = Annotated[time, BeforeValidator(_time_of_day)]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StorageConfig(Section):
    database: Path = Path("data/digest.sqlite3")


class FetchConfig(Section):
    interval_s: int = Field(default=900, ge=60)
    concurrency: int = Field(default=32, ge=1, le=512)
    per_host: int = Field(default=4, ge=1, le=64)
    timeout_s: float = Field(default=20, gt=0, le=600)
    deadline_s: float = Field(default=60, gt=0, le=3600)
    retries: int = Field(default=2, ge=0, le=10)
    backoff_s: float = Field(default=0.5, ge=0, le=60)
    max_bytes: int = Field(default=10_000_000, ge=1024)
    allow_private_networks: bool = False
    user_agent: str = "digest/0.1 (humanitarian early-warning digest)"
    contact_url: str = "https://example.org/digest"


# with `workers = 0`: a process per core, up to this many (each loads lexicons and gazetteer;
# a container may see every core of its host)
AUTO_WORKERS_AT_MOST = 8


class SignalsConfig(Section):
    countries: list[str] = Field(default_factory=lambda: list(DEFAULT_COUNTRIES))
    extra_terms: dict[Category, list[str]] = Field(default_factory=dict)
    exclude: list[str] = Field(default_factory=list)
    # processes that classify a large backlog (a first poll of many sources); 0: one per core
    workers: int = Field(default=0, ge=0, le=64)

    def processes(self) -> int:
        if self.workers:
            return self.workers
        if hasattr(os, "sched_getaffinity"):  # the cores this process may run on (Linux)
            return min(len(os.sched_getaffinity(0)), AUTO_WORKERS_AT_MOST)
        return min(os.cpu_count() or 1, AUTO_WORKERS_AT_MOST)

    @field_validator("countries")
    @classmethod
    def _countries(cls, value: list[str]) -> list[str]:
        for code in value:
            if code != "*" and not re.fullmatch(r"[A-Z]{2}", code):
                raise ValueError(f"not an ISO 3166 alpha-2 country code: {code!r}")
        return value


class SourceConfig(Section):
    name: str = Field(min_length=1)
    url: str = Field(min_length=1)
    kind: Literal["feed", "reliefweb"] = "feed"
    language: str | None = None
    interval_s: int | None = Field(default=None, ge=60)
    enabled: bool = True
    # 1 official or UN, 2 established media, 3 local or partisan outlets, 4 unverified social
    tier: int = Field(default=3, ge=1, le=4)
    affiliation: str | None = Field(default=None, min_length=1, max_length=100)
    # listed as silent in the digests after this long without a new report (default:
    # [source_health] silent_after_hours); a weekly bulletin needs longer than a news wire
    silent_after_hours: int | None = Field(default=None, ge=1, le=24 * 366)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^(https?|bundled)://\S+$", value):
            raise ValueError(f"not an http(s) URL: {value!r}")
        try:
            httpx.URL(value)
        except httpx.InvalidURL as exc:
            raise ValueError(f"not a valid URL: {value!r} ({exc})") from None
        return value


class SmtpConfig(Section):
    host: str = "localhost"
    port: int = Field(default=25, ge=1, le=65535)
    starttls: bool = False
    tls: bool = False
    username: str = ""
    password_env: str = "DIGEST_SMTP_PASSWORD"
    from_addr: Email = "digest@example.org"
    ca_file: Path | None = None

    @field_validator("password_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        if not _ENV_NAME.match(value):
            raise ValueError(f"not an environment variable name: {value!r}")
        return value

    def password(self) -> str | None:
        return os.environ.get(self.password_env)


# a profile's or an alert's name goes into file names, URLs and mail headers
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class ProfileConfig(Section):
    name: str = Field(pattern=NAME_PATTERN)
    recipients: list[Email] = Field(default_factory=list)
    timezone: TimeZoneName = "Asia/Beirut"
    send_at: TimeOfDay = time(6, 30)
    regions: list[PCode] = Field(default_factory=list)
    min_severity: Severity = 2
    categories: list[Category] = Field(default_factory=list)
    language: Literal["en", "fr", "ar"] = "en"
    max_window_days: int = Field(default=7, ge=1, le=366)
    # the districts of an evacuation order are marked in every digest until it is this old
    order_days: int = Field(default=7, ge=1, le=90)
    # a reviewer's desk: the digest is assembled this long before send_at, for the reviewers
    # of [web] to reorder, merge, annotate or suppress its stories until it goes
    review: bool = False
    review_ahead_minutes: int = Field(default=60, ge=5, le=23 * 60)


class AlertConfig(Section):
    name: str = Field(pattern=NAME_PATTERN)
    query: str = Field(min_length=1)
    min_severity: Severity = 0
    recipients: list[Email] = Field(default_factory=list)
    webhooks: list[str] = Field(default_factory=list)
    secret_env: str | None = None
    language: Literal["en", "fr", "ar"] = "en"  # of the email's own words
    max_per_hour: int | None = Field(default=None, ge=1)  # messages; the rest wait, batched
    timezone: TimeZoneName = "Asia/Beirut"  # of the quiet hours
    quiet_hours: QuietHours | None = None  # "22:00-06:30": firings wait until the end
    quiet_bypass_severity: Severity = 4  # a story this severe is sent during quiet hours

    @field_validator("webhooks")
    @classmethod
    def _webhook_urls(cls, values: list[str]) -> list[str]:
        for value in values:
            if not re.match(r"^https?://[^\s/]+", value):
                raise ValueError(f"a webhook is an http(s) URL: {value!r}")
        return values

    @field_validator("secret_env")
    @classmethod
    def _secret_env(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.match(value):
            raise ValueError(f"not an environment variable name: {value!r}")
        return value

    def secret(self) -> bytes | None:
        """The key webhook payloads are signed with, from the environment."""
        value = os.environ.get(self.secret_env) if self.secret_env else None
        return value.encode() if value else None

    @field_validator("query")
    @classmethod
    def _parses(cls, value: str) -> str:
        parse_rule(value)  # a RuleError says where and what was expected
        return value


class ReviewerConfig(Section):
    """A person who may review digests in the archive (HTTP basic auth); the password comes
    from the environment."""

    username: str = Field(pattern=r"^[^:\s]{1,64}$")
    password_env: EnvName
    email: Email | None = None  # told when a draft is ready for review


class WebConfig(Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    # where readers reach the archive (https://intranet.example.org/digest/): absolute links in
    # Atom feeds and emails
    base_url: str | None = Field(default=None, pattern=r"^https?://[^\s]+/$")
    timezone: TimeZoneName = "Asia/Beirut"  # of the times pages show
    language: Literal["en", "fr", "ar"] = "en"  # headlines from reports in it, where there are
    page_size: int = Field(default=25, ge=1, le=500)
    workers: int = Field(default=1, ge=1, le=64)  # server processes (one per core)
    # access control for private deployments: a bearer token, HTTP basic auth, or both; the
    # secrets come from the environment, never from this file
    token_env: str | None = None
    username: str | None = Field(default=None, pattern=r"^[^:\s]{1,64}$")
    password_env: str | None = None
    reviewers: list[ReviewerConfig] = Field(default_factory=list)

    @field_validator("token_env", "password_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.match(value):
            raise ValueError(f"not an environment variable name: {value!r}")
        return value

    @model_validator(mode="after")
    def _basic_pair(self) -> WebConfig:
        if (self.username is None) != (self.password_env is None):
            raise ValueError("basic auth needs both username and password_env")
        names = [r.username for r in self.reviewers]
        if self.username is not None:
            names.append(self.username)
        if len(set(names)) != len(names):
            raise ValueError("a user name is given twice (username and reviewers)")
        return self

    def secrets(self) -> tuple[str | None, str | None]:
        """(token, password) from the environment; None where not configured."""
        token = os.environ.get(self.token_env) if self.token_env else None
        password = os.environ.get(self.password_env) if self.password_env else None
        return token, password

    def reviewer_passwords(self) -> dict[str, str | None]:
        """Each reviewer's password from the environment; None where it is not set."""
        return {r.username: os.environ.get(r.password_env) for r in self.reviewers}


# the operators' alerts' list, in the outbox and headers: no alert rule can have this name
SOURCE_HEALTH_LIST = "_source-health"
REVIEW_LIST = "_review"  # the outbox's list of the reviewers' "draft ready" emails


class SourceHealthConfig(Section):
    """Sources that fail or fall silent: listed at the foot of every digest, and the operators
    get an email when one fails `alert_after_failures` times in a row (and when it recovers)."""

    failing_after_minutes: int = Field(default=120, ge=0, le=7 * 24 * 60)
    silent_after_hours: int = Field(default=24, ge=1, le=24 * 366)
    alert_after_failures: int = Field(default=5, ge=0, le=1000)  # 0: no operator email
    operators: list[Email] = Field(default_factory=list)
    language: Literal["en", "fr", "ar"] = "en"  # of the operators' email
    timezone: TimeZoneName = "Asia/Beirut"  # of the times it shows


class RunConfig(Section):
    """`digest run`, the long-running scheduler."""

    poll_every_s: int = Field(default=60, ge=1, le=86_400)  # looks for due sources this often
    jitter_s: int = Field(default=10, ge=0, le=3600)  # so that jobs do not all fire at once
    check_every_s: int = Field(default=60, ge=1, le=3600)  # digests due, outbox retries
    # a digest whose send time passed less than this ago (the daemon was down) goes out on
    # start; one that passed longer ago is sent with a note saying so, or skipped
    grace_minutes: int = Field(default=120, ge=0, le=7 * 24 * 60)
    late_digests: Literal["send", "skip"] = "send"
    retention_days: int = Field(default=180, ge=0)  # reports in no story; 0 keeps them all
    maintenance_at: TimeOfDay = time(3, 30)
    timezone: TimeZoneName = "Asia/Beirut"  # of maintenance_at
    log_format: Literal["plain", "json"] = "plain"
    health_port: int | None = Field(default=None, ge=1, le=65535)  # on [web] host; off if unset


class DigestConfig(Section):
    storage: StorageConfig = StorageConfig()
    fetch: FetchConfig = FetchConfig()
    signals: SignalsConfig = SignalsConfig()
    sources: list[SourceConfig] = Field(default_factory=list)
    smtp: SmtpConfig = SmtpConfig()
    profiles: list[ProfileConfig] = Field(default_factory=list)
    alerts: list[AlertConfig] = Field(default_factory=list)
    web: WebConfig = WebConfig()
    run: RunConfig = RunConfig()
    source_health: SourceHealthConfig = SourceHealthConfig()

    @model_validator(mode="after")
    def _unique_names(self) -> DigestConfig:
        for kind, names in (
            ("sources", [s.name for s in self.sources]),
            ("profiles", [p.name for p in self.profiles]),
            ("alerts", [a.name for a in self.alerts]),
        ):
            seen: set[str] = set()
            for name in names:
                if name in seen:
                    raise ValueError(f"{kind}: the name {name!r} is used twice")
                seen.add(name)
        return self

    def source_tiers(self) -> dict[str, SourceTier]:
        return {s.name: SourceTier(s.tier, s.affiliation) for s in self.sources}

    def profile(self, name: str | None) -> ProfileConfig:
        if not self.profiles:
            raise ConfigError(["profiles: no profile is configured"])
        if name is None:
            return self.profiles[0]
        for profile in self.profiles:
            if profile.name == name:
                return profile
        known = ", ".join(p.name for p in self.profiles)
        raise ConfigError([f"profiles: no profile named {name!r} (known: {known})"])


def locate(explicit: Path | None) -> Path:
    """The config file to use: --config, else $DIGEST_CONFIG, else ./config/digest.toml, else the
    bundled demo config."""
    if explicit is not None:
        return explicit
    from_env = os.environ.get(ENV_CONFIG)
    if from_env:
        return Path(from_env)
    if DEFAULT_CONFIG.is_file():
        return DEFAULT_CONFIG
    return bundled_config("demo.toml")


def load(path: Path, environ: Mapping[str, str] | None = None) -> DigestConfig:
    """Read, override from the environment, validate and resolve paths; ConfigError lists every
    problem with its key path."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(["file not found"], str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"cannot read: {exc}"], str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"invalid TOML: {exc}"], str(path)) from None
    overrides: list[Override] = []
    problems = apply_env_overrides(raw, os.environ if environ is None else environ, overrides)
    if problems:
        raise ConfigError(problems, str(path))
    # The bundled fallback config lives inside the installed package: its relative paths (the
    # database) are taken from the working folder, never from site-packages.
    bundled = path.resolve().is_relative_to(bundled_config("demo.toml").resolve().parent)
    base_dir = Path.cwd() if bundled else path.parent
    return validate(raw, base_dir=base_dir, origin=str(path), overrides=overrides)


@dataclass(frozen=True, slots=True)
class Override:
    variable: str
    keys: tuple[str, ...]
    text: str

    @property
    def location(self) -> tuple[str | int, ...]:
        return tuple(int(k) if k.isdigit() else k for k in self.keys)


def validate(
    raw: dict[str, Any],
    base_dir: Path,
    origin: str | None = None,
    overrides: list[Override] | None = None,
) -> DigestConfig:
    """Validate; an environment value read as a TOML value (12345, 2026-01-01, true) that the
    key does not accept is tried again as the plain string it was written as."""
    overrides = overrides or []
    try:
        config = DigestConfig.model_validate(raw)
    except ValidationError as exc:
        retried = False
        for error in exc.errors():
            for override in overrides:
                if tuple(error["loc"][: len(override.keys)]) == override.location:
                    _set_path(raw, list(override.keys), override.text)
                    retried = True
        try:
            if not retried:
                raise
            config = DigestConfig.model_validate(raw)
        except ValidationError as again:
            raise ConfigError(
                [_describe(error, overrides) for error in again.errors()], origin
            ) from None
    database = config.storage.database
    if not database.is_absolute():
        database = (base_dir / database).resolve()
    smtp = config.smtp
    if smtp.ca_file is not None and not smtp.ca_file.is_absolute():
        smtp = smtp.model_copy(update={"ca_file": (base_dir / smtp.ca_file).resolve()})
    return config.model_copy(update={"storage": StorageConfig(database=database), "smtp": smtp})


def apply_env_overrides(
    raw: dict[str, Any], environ: Mapping[str, str], applied: list[Override] | None = None
) -> list[str]:
    problems = []
    for name in sorted(environ):
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        keys = [part.lower() for part in name[len(ENV_PREFIX) :].split("__")]
        if any(not key for key in keys):
            problems.append(f"{name}: malformed override name")
            continue
        problem = _set_path(raw, keys, _env_value(environ[name]))
        if problem:
            problems.append(f"{name}: {problem}")
        elif applied is not None:
            applied.append(Override(name, tuple(keys), environ[name]))
    return problems


def _set_path(raw: dict[str, Any], keys: list[str], value: Any) -> str | None:
    node: Any = raw
    for depth, key in enumerate(keys):
        last = depth == len(keys) - 1
        if isinstance(node, list):
            if not key.isdigit() or int(key) >= len(node):
                return f"no entry {key} in {'.'.join(keys[:depth]) or 'the config'}"
            if last:
                node[int(key)] = value
            else:
                node = node[int(key)]
        elif isinstance(node, dict):
            if last:
                node[key] = value
            else:
                node = node.setdefault(key, {})
        else:
            return f"{'.'.join(keys[:depth])} is not a table"
    return None


def _env_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


_MESSAGES = {
    "extra_forbidden": "unknown key",
    "missing": "required key is missing",
}


def _describe(error: Any, overrides: Sequence[Override] = ()) -> str:
    path = ""
    for part in error["loc"]:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part.startswith(("function-after", "function-before")):
            continue
        else:
            path += f".{part}" if path else str(part)
    message = _MESSAGES.get(error["type"], error["msg"])
    message = message.removeprefix("Value error, ")
    for override in overrides:
        if tuple(error["loc"][: len(override.keys)]) == override.location:
            path += f" (from {override.variable})"
    return f"{path}: {message}" if path else message
