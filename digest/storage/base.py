"""The Storage protocol and the records it hands back."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from digest.types import AssessedItem, Assessment, Item, Rendered, Story


@dataclass(frozen=True, slots=True)
class SourceRecord:
    id: int
    name: str
    url: str
    kind: str
    language: str | None
    interval_s: int | None
    origin: str
    enabled: bool
    etag: str | None
    last_modified: str | None
    last_fetch_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    consecutive_failures: int
    next_check_at: datetime | None
    last_latency_ms: int | None
    items: int
    added_at: datetime | None = None
    failing_since: datetime | None = None  # the first failure since it last worked
    gone_at: datetime | None = None  # the server said it is gone for good (HTTP 410)
    last_new_at: datetime | None = None  # when it last brought a report not seen before


if TYPE_CHECKING:
    from digest.alerts.fire import Firing


@dataclass(frozen=True, slots=True)
class NewSource:
    name: str
    url: str
    kind: str = "feed"
    language: str | None = None
    interval_s: int | None = None
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class StoredItems:
    """What an ingest changed: ids of new items and of items whose content changed."""

    new: tuple[str, ...]
    changed: tuple[str, ...]
    unchanged: int


@dataclass(frozen=True, slots=True)
class DigestRecord:
    id: int
    profile: str
    day: str
    window_start: datetime
    window_end: datetime
    built_at: datetime
    subject: str
    html: str
    text: str
    story_count: int
    language: str = "en"  # of its headings and headlines


@dataclass(frozen=True, slots=True)
class Mail:
    """What an outbox message carries: a digest, or an alert rule's notice."""

    kind: str  # digest | alert
    list_name: str  # the profile, or the rule
    label: str  # how a person names it: "beirut-office 2026-03-24", "alert south-strikes #12"
    subject: str
    html: str
    text: str


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message of the outbox: a digest or an alert notice, for one recipient."""

    id: int
    mail: Mail
    recipient: str
    message_id: str
    status: str  # pending | sent | failed
    attempts: int
    last_reply: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """One firing of an alert rule, waiting for (or done by) its channels."""

    id: int
    rule: str
    story_id: str
    item_id: str
    kind: str  # new | rise
    severity: int
    reasons: tuple[str, ...]
    created_at: datetime
    status: str  # pending (no notice yet) | notified
    notice_id: int | None


@dataclass(frozen=True, slots=True)
class FiredReport:
    """A firing with the report that matched, as a message shows it."""

    event: AlertEvent
    title: str
    url: str | None
    source: str


@dataclass(frozen=True, slots=True)
class Notice:
    """One message of an alert rule: the firings it carries, in the order they fired."""

    id: int
    rule: str
    created_at: datetime
    reports: tuple[FiredReport, ...]


@dataclass(frozen=True, slots=True)
class WebhookSend:
    """One notice for one webhook."""

    id: int
    target: str
    attempts: int
    created_at: datetime
    notice: Notice


@dataclass(frozen=True, slots=True)
class ReviewAction:
    """One reviewer's action on a story of a digest, as the audit trail keeps it."""

    story_id: str
    action: str  # promote | demote | suppress | restore | merge | annotate
    value: str | None  # promote: "one" or "top"; merge: the story it joins
    note: str | None  # annotate: the note ("" takes it back)
    actor: str
    at: datetime
    id: int = 0  # 0 until stored


@dataclass(frozen=True, slots=True)
class ReviewDraft:
    """A digest of a reviewed profile as assembled before any review: its stories' ids as
    ranked (early warnings, then incidents as placed); closed once it went into the outbox."""

    profile: str
    day: str
    due_at: datetime
    built_at: datetime
    early: tuple[str, ...]
    incidents: tuple[str, ...]
    closed_at: datetime | None
    reviewers_told: bool = False  # their email is queued


class Storage(Protocol):
    def close(self) -> None: ...

    # sources
    def sync_sources(self, sources: Sequence[NewSource], origin: str) -> None: ...
    def add_sources(self, sources: Sequence[NewSource], origin: str) -> list[tuple[str, str]]: ...
    def sources(self) -> list[SourceRecord]: ...
    def source(self, name: str) -> SourceRecord: ...
    def due_sources(self, now: datetime) -> list[SourceRecord]: ...
    def record_success(
        self,
        source_id: int,
        now: datetime,
        next_check: datetime,
        etag: str | None,
        last_modified: str | None,
        new_url: str | None = None,
        latency_ms: int | None = None,
        warning: str | None = None,
    ) -> int: ...
    def record_failure(
        self,
        source_id: int,
        now: datetime,
        next_check: datetime,
        error: str,
        latency_ms: int | None = None,
        disable: bool = False,
    ) -> tuple[int, bool]: ...

    # items and assessments
    def store_items(self, source_id: int, items: Iterable[Item]) -> StoredItems: ...
    def items(self, ids: Iterable[str]) -> list[Item]: ...
    def save_assessments(
        self,
        assessments: Iterable[Assessment],
        engine: str,
        now: datetime,
        versions: Mapping[str, str] | None = None,
    ) -> int: ...
    def assessed_items(self, start: datetime, end: datetime) -> list[AssessedItem]: ...
    def unassessed_items(self) -> list[Item]: ...

    # stories
    def open_stories(self, since: datetime) -> list[tuple[Story, list[AssessedItem]]]: ...
    def stories(self, ids: Iterable[str]) -> list[tuple[Story, list[AssessedItem]]]: ...
    def stories_by_prefix(self, prefix: str) -> list[tuple[Story, list[AssessedItem]]]: ...
    def story_ids(self, names: Iterable[str]) -> set[str]: ...
    def stories_between(
        self, start: datetime, end: datetime
    ) -> list[tuple[Story, list[AssessedItem]]]: ...
    def stories_first_seen(self, start: datetime, end: datetime) -> list[Story]: ...
    def story_sources(
        self, start: datetime, end: datetime, severity: int | None = None
    ) -> dict[str, tuple[str, ...]]: ...
    def reading_since(self) -> datetime | None: ...
    def orders_published(
        self, start: datetime, end: datetime
    ) -> list[tuple[str | None, AssessedItem]]: ...
    def unclustered_items(self) -> list[AssessedItem]: ...
    def count_items(self, start: datetime, end: datetime) -> int: ...
    def save_stories(
        self, stories: Sequence[Story], absorbed: Mapping[str, str], now: datetime
    ) -> None: ...

    # alerts
    def alert_levels(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]: ...
    def record_firings(self, firings: Sequence[Firing], now: datetime) -> None: ...
    def pending_reports(self, rule: str) -> list[FiredReport]: ...
    def notice_times(self, rule: str, since: datetime) -> list[datetime]: ...
    def save_notice(
        self,
        rule: str,
        event_ids: Sequence[int],
        rendered: Rendered,
        mails: Sequence[tuple[str, str]],
        webhooks: Sequence[str],
        now: datetime,
    ) -> int: ...
    def save_review_notice(
        self,
        profile: str,
        day: str,
        rule: str,
        rendered: Rendered,
        mails: Sequence[tuple[str, str]],
        now: datetime,
    ) -> bool: ...
    def notices(self, rule: str | None = None) -> list[Notice]: ...
    def due_sends(self, now: datetime) -> list[WebhookSend]: ...
    def record_send(
        self,
        send_id: int,
        status: str,
        reply: str,
        now: datetime,
        next_attempt_at: datetime | None = None,
    ) -> None: ...
    def alert_events(self) -> list[AlertEvent]: ...

    # upkeep
    def prune(self, before: datetime, limit: int) -> int: ...
    def maintain(self) -> None: ...
    def backup(self, target: Path) -> None: ...

    # digests
    def save_digest(
        self,
        profile: str,
        day: str,
        window: tuple[datetime, datetime],
        built_at: datetime,
        subject: str,
        html: str,
        text: str,
        story_ids: Sequence[str],
        language: str = "en",
    ) -> int: ...
    def profiles_arrived(self, names: Sequence[str], now: datetime) -> dict[str, datetime]: ...
    def digests(self) -> list[DigestRecord]: ...
    def digest(self, profile: str, day: str) -> DigestRecord | None: ...
    def last_sent_until(self, profile: str, before_day: str) -> datetime | None: ...

    # the reviewer's desk
    def save_draft(
        self,
        profile: str,
        day: str,
        due: datetime,
        early: Sequence[str],
        incidents: Sequence[str],
        now: datetime,
    ) -> None: ...
    def close_review(self, profile: str, day: str, due: datetime, now: datetime) -> None: ...
    def review_draft(self, profile: str, day: str) -> ReviewDraft | None: ...
    def open_reviews(self) -> list[ReviewDraft]: ...
    def add_review_action(self, profile: str, day: str, action: ReviewAction) -> bool: ...
    def review_actions(self, profile: str, day: str) -> list[ReviewAction]: ...

    # the outbox
    def enqueue(
        self, digest_id: int, messages: Sequence[tuple[str, str]], now: datetime
    ) -> int: ...
    def outbox_backlog(self) -> tuple[int, int]: ...
    def unsubscribe(self, kind: str, list_name: str, recipient: str, now: datetime) -> None: ...
    def unsubscribed(self) -> set[tuple[str, str, str]]: ...
    def secret(self, name: str) -> str: ...
    def deliveries(self, digest_id: int) -> list[Delivery]: ...
    def due_deliveries(self, now: datetime) -> list[Delivery]: ...
    def record_attempt(
        self,
        delivery_id: int,
        status: str,
        reply: str,
        now: datetime,
        next_attempt_at: datetime | None = None,
    ) -> None: ...
