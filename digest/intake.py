"""From stored items to alert notices, one batch at a time, while a poll goes on.

A poll stores each source's items as its fetch completes and hands them to `Intake.take`, which
at once assesses them, clusters the risk reports into stories, fires the alert rules on the
stories that changed and makes the notices, so a duty officer hears of an item seconds after it
was stored, not after the slowest source. The clusterer is loaded from the database once per
poll and kept in memory. Reports dated before the stories it loaded wait for `finish`, which
sweeps whatever is left with the whole-database steps (also used on their own).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from digest import outbox
from digest.alerts.fire import Firing, Watch, compiled
from digest.config import AlertConfig, DigestConfig, SignalsConfig, SmtpConfig
from digest.storage.base import FiredReport, Storage
from digest.types import AssessedItem, Assessment, Item, Rendered, StoryView, Unreadable

# The classifier, the clusterer and the templates are imported when there is something to
# classify, cluster or render: a poll that brought nothing new needs none of them.
if TYPE_CHECKING:
    from jinja2 import Environment

    from digest.parallel import Assessors
    from digest.signals.classify import Classifier
    from digest.stories import Clusterer

log = logging.getLogger(__name__)
ENGINE = "signals-1"
CLUSTER_LOOKBACK = timedelta(days=30)
NO_MAIL = Rendered(subject="", text="", html="")
# reports read in the window, below which word weights are left to the end of a poll
MIN_BACKGROUND = 200


def assess_pending(
    storage: Storage,
    classifier: Callable[[], Classifier],
    now: datetime,
    signals: SignalsConfig | None = None,
    skip: Set[str] = frozenset(),
) -> int:
    """Classify what is new (but the reports of `skip`, which the classifier failed on in this
    poll already); the classifier (a second to build) is only built when there is.
    A backlog of PARALLEL_FROM items or more is classified on `signals.processes()` cores."""
    items = [item for item in storage.unassessed_items() if item.id not in skip]
    if not items:
        return 0
    from digest.parallel import PARALLEL_FROM, start_assessors

    processes = signals.processes() if signals else 1
    assessors = None
    if processes >= 2 and len(items) >= PARALLEL_FROM:
        assessors = start_assessors(signals or SignalsConfig(), processes)
    if assessors is None:
        return len(assess(storage, classifier(), items, now))
    with assessors:
        assessors.submit(items)
        answers = assessors.collect()
    done = save_answers(storage, answers, assessors.versions, now)
    rest = items[len(answers) :]
    if rest:  # the workers stopped answering: this process does the rest, or says why not
        log.warning("classifying processes stopped answering; %d reports in this one", len(rest))
        done += len(assess(storage, classifier(), rest, now))
    return done


def assess(
    storage: Storage, engine: Classifier, items: Sequence[Item], now: datetime
) -> list[AssessedItem]:
    """The items with their assessments (with the evacuation order a report gives), stored. An
    item the classifier fails on is left out: it stays waiting (see assessing.attempted)."""
    from digest.assessing import attempted

    answers = [(item, attempted(engine, item)) for item in items]
    assessed = [
        AssessedItem(item, answer.assessment)
        for item, answer in answers
        if not isinstance(answer, Unreadable)
    ]
    storage.save_assessments([entry.assessment for entry in assessed], ENGINE, now)
    return assessed


def save_answers(
    storage: Storage,
    answers: Sequence[Assessment | Unreadable],
    versions: Mapping[str, str],
    now: datetime,
) -> int:
    """Stores the assessments of classifying processes (not what they failed on, which is
    logged here, nor those of reports deleted or changed since they were read: see
    `versions`); how many."""
    for answer in answers:
        if isinstance(answer, Unreadable):
            log.error("could not classify report %s\n%s", answer.item_id, answer.trace.rstrip())
    assessments = [answer for answer in answers if isinstance(answer, Assessment)]
    return storage.save_assessments(assessments, ENGINE, now, versions)


def cluster_pending(storage: Storage, now: datetime) -> set[str]:
    """Cluster the assessed risk items not in a story yet; the ids of the stories that changed."""
    pending = storage.unclustered_items()
    if not pending:
        return set()
    # a report dated long ago is not compared with everything since: it starts its own story
    earliest = max(min(entry.item.published for entry in pending), now - CLUSTER_LOOKBACK)
    clusterer = clusterer_since(storage, earliest, now, pending)
    return {view.story.id for view in save_clustered(storage, clusterer, pending, now)}


def clusterer_since(
    storage: Storage, earliest: datetime, now: datetime, pending: Sequence[AssessedItem] = ()
) -> Clusterer:
    """A clusterer with the stories that reports dated from `earliest` could join."""
    from digest.stories import STORY_WINDOW, Clusterer, Vocabulary, collector_paused

    existing = storage.open_stories(earliest - STORY_WINDOW)
    seen = [entry for _, entries in existing for entry in entries] + list(pending)
    # word weights over everything read in the period, not only the few risk reports clustered
    # (among a handful of reports on one kind of incident, every word looks common)
    background = storage.assessed_items(earliest - STORY_WINDOW, now + STORY_WINDOW)
    with collector_paused():
        vocabulary = Vocabulary({e.item.id: e for e in [*background, *seen]}.values())
        return Clusterer(vocabulary, existing)


def save_clustered(
    storage: Storage, clusterer: Clusterer, entries: Sequence[AssessedItem], now: datetime
) -> list[StoryView]:
    """Add the reports to the clusterer's stories, merge what became alike, store the stories
    that changed; those stories, with their reports."""
    from digest.stories import collector_paused

    clusterer.reserve(storage.story_ids([entry.item.id for entry in entries]))
    with collector_paused():
        touched = {clusterer.add(entry)[0] for entry in entries}
        merges = clusterer.merge(touched)
    changed = clusterer.views(touched | {merge.into for merge in merges})
    absorbed = {merge.absorbed: merge.into for merge in merges}
    storage.save_stories([view.story for view in changed], absorbed, now)
    return changed


def fire_alerts(
    storage: Storage, watch: Watch, views: Sequence[StoryView], now: datetime
) -> list[Firing]:
    """The watched rules against the stories that just changed; the firings, recorded."""
    if not watch.rules or not views:
        return []
    keys = [(alert.name, view.story.id) for alert, _ in watch.rules for view in views]
    firings = watch.fire(views, storage.alert_levels(keys))
    storage.record_firings(firings, now)
    return firings


def stored_views(storage: Storage, story_ids: set[str]) -> list[StoryView]:
    found = storage.stories(sorted(story_ids))
    return [StoryView(story, tuple(entries)) for story, entries in found]


def dispatch_alerts(
    storage: Storage,
    alerts: Sequence[AlertConfig],
    env: Callable[[], Environment],
    smtp: SmtpConfig,
    now: datetime,
    known: Mapping[str, StoryView] | None = None,
) -> list[int]:
    """Notices from the rules' pending firings, as each rule's throttle and quiet hours allow,
    queued for its recipients (the outbox) and webhooks; their ids. `known`: stories at hand
    (by id), which the emails need not load again. `env` makes the templates, when an email
    is to be rendered."""
    made = []
    for alert in alerts:
        pending = storage.pending_reports(alert.name)
        if not pending:
            continue
        from digest.alerts import notices

        recent = storage.notice_times(alert.name, now - notices.HOUR)
        groups = notices.batches(alert, pending, recent, now)
        views = _views(storage, alert, groups, known or {}) if alert.recipients else {}
        for group in groups:
            # the email's content; webhooks build their bodies from the firings
            rendered = (
                notices.render_notice(alert, group, views, env()) if alert.recipients else NO_MAIL
            )
            mails = [(to, outbox.new_message_id(smtp.from_addr)) for to in alert.recipients]
            event_ids = [report.event.id for report in group]
            made.append(
                storage.save_notice(alert.name, event_ids, rendered, mails, alert.webhooks, now)
            )
    return made


def _views(
    storage: Storage,
    alert: AlertConfig,
    groups: Sequence[Sequence[FiredReport]],
    known: Mapping[str, StoryView],
) -> dict[str, StoryView]:
    """The stories of the firings, as the rule's readers see them."""
    wanted = {report.event.story_id for group in groups for report in group}
    found = {story_id: known[story_id] for story_id in wanted if story_id in known}
    missing = {story_id for story_id in wanted if story_id not in known}
    found |= {view.story.id: view for view in stored_views(storage, missing)}
    return {story_id: replace(view, language=alert.language) for story_id, view in found.items()}


class Intake:
    def __init__(
        self,
        storage: Storage,
        config: DigestConfig,
        classifier: Callable[[], Classifier],
        env: Callable[[], Environment],
        now: datetime,
    ) -> None:
        self._storage = storage
        self._config = config
        self._classifier = classifier
        self._engine: Classifier | None = None
        self._env = env
        self._now = now
        self._clusterer: Clusterer | None = None
        self._watch = Watch(compiled(config.alerts), config.source_tiers())
        self._since = now  # reports dated earlier wait for finish()
        self._waiting: list[str] = []  # stored, left to the end of the poll (no alert rules)
        self._assessors: Assessors | None = None
        self._serial = False  # classifying processes would not start, or stopped answering
        self.assessed = 0
        self.unreadable: set[str] = set()  # reports the classifier failed on, waiting
        self.changed: set[str] = set()
        self.firings: list[Firing] = []
        self.notices = 0

    def take(self, item_ids: Sequence[str]) -> int:
        """Assess, cluster and alert on these stored items; the number of notices made."""
        if not item_ids:
            return 0
        if not self._watch.rules:  # nothing is waiting: the end of the poll does it all
            self._in_background(item_ids)
            return 0
        items = self._storage.items(item_ids)
        assessed = assess(self._storage, self._classify(), items, self._now)
        self.assessed += len(assessed)
        self.unreadable |= {item.id for item in items} - {entry.item.id for entry in assessed}
        risky = [entry for entry in assessed if entry.assessment.risk]
        if not risky:
            return 0
        clusterer = self._clusterer or self._load(risky)
        ready = [entry for entry in risky if entry.item.published >= self._since]
        if not ready:
            return 0
        ready.sort(key=lambda entry: (entry.item.published, entry.item.id))
        changed = save_clustered(self._storage, clusterer, ready, self._now)
        self.changed |= {view.story.id for view in changed}
        return self._alert(changed)

    def _in_background(self, item_ids: Sequence[str]) -> None:
        """A large backlog (a first poll of many sources) is classified on the other cores while
        the poll goes on fetching, parsing and storing."""
        from digest.parallel import PARALLEL_FROM, start_assessors

        self._waiting += item_ids
        if self._assessors is None:
            processes = self._config.signals.processes()
            if self._serial or processes < 2 or len(self._waiting) < PARALLEL_FROM:
                return
            self._assessors = start_assessors(self._config.signals, processes)
            if self._assessors is None:  # this system cannot: the end of the poll does it all
                self._serial = True
                return
        self._assessors.submit(self._storage.items(self._waiting))
        self._waiting = []

    def _classify(self) -> Classifier:
        """The classifier, built once (a second's work) and only when there is work."""
        if self._engine is None:
            self._engine = self._classifier()
        return self._engine

    def _load(self, first: Sequence[AssessedItem]) -> Clusterer:
        """The clusterer with the stories a report of the first batch could join (at least
        those of the last STORY_WINDOW), and word weights over what was read around them.
        When too little was read for word weights to mean anything (a new database), every
        report waits for finish(), which weighs words over the whole poll."""
        from digest.stories import STORY_WINDOW

        earliest = min(min(entry.item.published for entry in first), self._now - STORY_WINDOW)
        self._since = max(earliest, self._now - CLUSTER_LOOKBACK)
        clusterer = clusterer_since(self._storage, self._since, self._now)
        if clusterer.documents < MIN_BACKGROUND:
            self._since = self._now + STORY_WINDOW  # nothing is ready before finish()
        self._clusterer = clusterer
        return clusterer

    def _alert(self, views: Sequence[StoryView]) -> int:
        firings = fire_alerts(self._storage, self._watch, views, self._now)
        self.firings += firings
        fired = {firing.rule for firing in firings}
        rules = [alert for alert in self._config.alerts if alert.name in fired]
        known = {view.story.id: view for view in views}
        smtp = self._config.smtp
        made = dispatch_alerts(self._storage, rules, self._env, smtp, self._now, known)
        self.notices += len(made)
        return len(made)

    async def finish(self) -> int:
        """Whatever the batches left (items never assessed, reports older than the loaded
        stories), and the notices every rule's throttle and quiet hours now allow."""
        if self._assessors is not None:
            assessors = self._assessors
            answers = await assessors.answers()
            self.close()
            self.assessed += save_answers(self._storage, answers, assessors.versions, self._now)
            self.unreadable |= {a.item_id for a in answers if isinstance(a, Unreadable)}
            if len(answers) < assessors.submitted:  # stalled: no second pool for what is left
                self._serial = True
        signals = None if self._serial else self._config.signals
        skip = self.unreadable
        self.assessed += assess_pending(self._storage, self._classify, self._now, signals, skip)
        self.unreadable = {item.id for item in self._storage.unassessed_items()}
        changed = cluster_pending(self._storage, self._now)
        self.changed |= changed
        views = stored_views(self._storage, changed)
        self.firings += fire_alerts(self._storage, self._watch, views, self._now)
        made = dispatch_alerts(
            self._storage, self._config.alerts, self._env, self._config.smtp, self._now
        )
        self.notices += len(made)
        return len(made)

    def close(self) -> None:
        """Stops the processes classifying in the background (a poll cut short)."""
        if self._assessors is not None:
            self._assessors.close()
            self._assessors = None
