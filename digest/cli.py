"""The `digest` command: the verbs of CONTRACTS section 1.

User errors print one clear message to stderr and exit 2, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from zoneinfo import ZoneInfo

from digest import __version__
from digest import config as configuration
from digest.errors import ConfigError, DigestError, InputError
from digest.storage import Storage, open_storage

# Each verb imports what it needs: `digest fetch` runs every few minutes, and most of what the
# other verbs need (the classifier, the templates, the web archive) takes longer to import than
# a poll with nothing new takes to run.
if TYPE_CHECKING:
    from digest import outbox, pipeline
    from digest.signals.classify import Classifier
    from digest.signals.gazetteer import Gazetteer
    from digest.web.site import Site

EXIT_USER_ERROR = 2


class UsageError(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse's own usage errors: exit 2, no traceback
        self.print_usage(sys.stderr)
        self.exit(EXIT_USER_ERROR, f"digest: error: {message}\n")


def parser() -> argparse.ArgumentParser:
    config_help = "config file (default: $DIGEST_CONFIG, else config/digest.toml, else the demo)"
    # --config is accepted before or after the verb; after it, it must not reset the value given
    # before, hence SUPPRESS on the verbs' copy.
    common = UsageError(add_help=False)
    common.add_argument("--config", type=Path, default=argparse.SUPPRESS, help=config_help)
    root = UsageError(
        prog="digest", description="A humanitarian early-warning digest of public feeds."
    )
    root.add_argument("--config", type=Path, default=None, help=config_help)
    root.add_argument("--version", action="version", version=f"digest {__version__}")
    verbs = root.add_subparsers(dest="verb", required=True, metavar="VERB", parser_class=UsageError)

    demo = verbs.add_parser("demo", parents=[common], help="offline end-to-end run on sample feeds")
    demo.add_argument("--out", type=Path, default=Path("digest-demo"), help="output folder")

    init = verbs.add_parser("init", parents=[common], help="write a commented starter config")
    init.add_argument("dir", nargs="?", type=Path, default=Path())
    init.add_argument("--force", action="store_true", help="overwrite an existing digest.toml")

    verbs.add_parser("check", parents=[common], help="validate the config and summarise it")

    sources = verbs.add_parser("sources", parents=[common], help="list, import or export sources")
    actions = sources.add_subparsers(
        dest="action", required=True, metavar="ACTION", parser_class=UsageError
    )
    listing = actions.add_parser("list", parents=[common], help="sources and their health")
    listing.add_argument("--json", action="store_true", help="a JSON array instead of a table")
    importing = actions.add_parser("import", parents=[common], help="add the feeds of an OPML file")
    importing.add_argument("file", type=Path)
    actions.add_parser("export", parents=[common], help="write every source as OPML to stdout")

    fetch = verbs.add_parser("fetch", parents=[common], help="poll due sources once")
    fetch.add_argument("--all", action="store_true", help="every source, due or not")
    fetch.add_argument(
        "-v", "--verbose", action="store_true", help="a line for every source, unchanged too"
    )

    classify = verbs.add_parser("classify", parents=[common], help="JSON lines in, assessments out")
    classify.add_argument(
        "--workers", type=int, default=1, metavar="N", help="processes to classify with (cores)"
    )
    verbs.add_parser("cluster", parents=[common], help="JSON lines in, story ids out")

    stories = verbs.add_parser("stories", parents=[common], help="list stories or show one")
    story_actions = stories.add_subparsers(
        dest="action", required=True, metavar="ACTION", parser_class=UsageError
    )
    recent = story_actions.add_parser("list", parents=[common], help="recently updated stories")
    recent.add_argument("--days", type=_days, default=3.0, help="updated in the last N days")
    recent.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    show = story_actions.add_parser(
        "show", parents=[common], help="one story, its reports and why each joined"
    )
    show.add_argument("id", help="story id, or the start of one")
    show.add_argument("--json", action="store_true", help="a JSON object instead of text")

    build = verbs.add_parser("build", parents=[common], help="render one digest")
    build.add_argument("--date", type=date.fromisoformat, help="the digest's day (YYYY-MM-DD)")
    build.add_argument("--profile", help="profile name (default: the first)")
    build.add_argument("--format", choices=("html", "text", "eml"), default="html")
    build.add_argument("--out", type=Path, help="file to write (default: stdout)")

    send = verbs.add_parser("send", parents=[common], help="send due digests by SMTP")
    send.add_argument(
        "--date", type=date.fromisoformat, help="send this day's digest (default: those due now)"
    )
    send.add_argument("--profile", help="profile name (default: every profile)")

    serve = verbs.add_parser("serve", parents=[common], help="the web archive")
    serve.add_argument("--host", help="address to listen on (default: [web] host)")
    serve.add_argument("--port", type=int, help="port to listen on (default: [web] port)")
    export = verbs.add_parser(
        "export-site", parents=[common], help="write the web archive as static files"
    )
    export.add_argument("dir", type=Path, help="folder to write into")

    verbs.add_parser(
        "run", parents=[common], help="the service: polling, alerts, daily digests, upkeep"
    )
    status = verbs.add_parser("status", parents=[common], help="what the service is doing")
    status.add_argument("--json", action="store_true", help="a JSON object instead of text")
    backup = verbs.add_parser(
        "backup", parents=[common], help="a consistent copy of the database, while in use"
    )
    backup.add_argument("file", type=Path, help="the copy to write (must not exist)")

    alerts = verbs.add_parser("alerts", parents=[common], help="keyword alert rules")
    alert_actions = alerts.add_subparsers(
        dest="action", required=True, metavar="ACTION", parser_class=UsageError
    )
    trial = alert_actions.add_parser(
        "test", parents=[common], help="the stored items a rule matches, and why"
    )
    trial.add_argument("query", help="a rule, e.g. 'category:evacuation AND place:Tyre'")
    trial.add_argument("--days", type=_days, default=7.0, help="items of the last N days")
    trial.add_argument("--limit", type=int, default=50, help="show at most N matches")
    return root


def _days(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of days: {text!r}") from None
    if not 0 < value <= 36_500:
        raise argparse.ArgumentTypeError(f"days must be above 0 and at most 36500: {text!r}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    handler = HANDLERS[args.verb]
    try:
        return handler(args)
    except ConfigError as exc:
        where = f"{exc.path}: " if exc.path else ""
        print(f"digest: invalid configuration {where}".rstrip(), file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_USER_ERROR
    except DigestError as exc:
        print(f"digest: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except BrokenPipeError:
        # the reader went away (digest ... | head): not an error worth a word
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        print(f"digest: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130


def _config(args: argparse.Namespace) -> configuration.DigestConfig:
    return configuration.load(configuration.locate(args.config))


def _classifier(
    config: configuration.DigestConfig, gazetteer: Gazetteer | None = None
) -> Classifier:
    from digest.signals.classify import Classifier

    return Classifier.from_signals(config.signals, gazetteer)


def _storage(config: configuration.DigestConfig) -> Storage:
    return open_storage(config.storage.database)


def cmd_demo(args: argparse.Namespace) -> int:
    from digest.demo import run_demo

    result = run_demo(args.out)
    report = result.report
    print(
        f"Read {len(report.outcomes)} sample feeds: {report.new_items} new items, "
        f"{report.assessed} assessed, {report.clustered} stories updated."
    )
    for path in result.files:
        print(path)
    print(result.archive[0])
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    from digest.resources import bundled_config

    target = args.dir / "digest.toml"
    if target.exists() and not args.force:
        raise InputError(f"{target} exists; use --force to overwrite it")
    args.dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(bundled_config("digest.toml"), target)
    print(f"Wrote {target}. Edit it, then run: digest --config {target} check")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from digest.signals.gazetteer import Gazetteer

    path = configuration.locate(args.config)
    config = configuration.load(path)
    gazetteer = Gazetteer.load()
    unknown = [
        f"profiles[{i}].regions: unknown P-code {code!r}"
        for i, profile in enumerate(config.profiles)
        for code in profile.regions
        if code not in gazetteer.by_pcode
    ]
    if unknown:
        raise ConfigError(unknown, str(path))
    _classifier(config, gazetteer)
    print(f"{path}: valid")
    print(f"  database: {config.storage.database}")
    print(f"  sources:  {len(config.sources)} ({sum(s.enabled for s in config.sources)} enabled)")
    for profile in config.profiles:
        regions = ", ".join(profile.regions) or "everywhere"
        print(
            f"  profile {profile.name}: {len(profile.recipients)} recipient(s), "
            f"{profile.send_at:%H:%M} {profile.timezone}, regions {regions}, "
            f"min severity {profile.min_severity}"
        )
    for alert in config.alerts:
        print(f"  alert {alert.name}: {alert.query}")
    return 0


def cmd_sources(args: argparse.Namespace) -> int:
    from digest import pipeline
    from digest.sources.opml import parse_opml, write_opml

    config = _config(args)
    storage = _storage(config)
    try:
        pipeline.sync_config_sources(storage, config)
        if args.action == "import":
            try:
                content = args.file.read_bytes()
            except OSError as exc:
                raise InputError(f"cannot read {args.file}: {exc.strerror}") from None
            outcome = storage.add_sources(parse_opml(content), origin="opml")
            added = sum(status == "added" for _, status in outcome)
            known = sum(status == "known" for _, status in outcome)
            print(f"{added} source(s) added, {known} already known.")
            for name, status in outcome:
                if status == "name taken":
                    print(
                        f"skipped {name!r}: another source already has this name", file=sys.stderr
                    )
        elif args.action == "export":
            sys.stdout.write(write_opml(storage.sources(), datetime.now(UTC)))
        else:
            _list_sources(storage, args.json, sys.stdout)
    finally:
        storage.close()
    return 0


def _list_sources(storage: Storage, as_json: bool, out: TextIO) -> None:
    records = storage.sources()
    if as_json:
        rows = [
            {
                "name": s.name,
                "url": s.url,
                "kind": s.kind,
                "language": s.language,
                "origin": s.origin,
                "enabled": s.enabled,
                "items": s.items,
                "last_success": _stamp(s.last_success_at),
                "last_error": s.last_error,
                "last_error_at": _stamp(s.last_error_at),
                "consecutive_failures": s.consecutive_failures,
                "failing_since": _stamp(s.failing_since),
                "last_new": _stamp(s.last_new_at),
                "last_latency_ms": s.last_latency_ms,
                "next_check": _stamp(s.next_check_at),
            }
            for s in records
        ]
        json.dump(rows, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return
    if not records:
        out.write("No sources. Add [[sources]] to the config or run: digest sources import FILE\n")
        return
    width = max(len(s.name) for s in records)
    out.write(f"{'NAME':<{width}}  {'ITEMS':>5}  {'LAST SUCCESS':<20}  {'MS':>6}  STATUS\n")
    for s in records:
        status = "disabled" if not s.enabled else "ok"
        if s.consecutive_failures:
            since = f" since {_stamp(s.failing_since)}" if s.failing_since else ""
            status = f"failing x{s.consecutive_failures}{since}: {s.last_error}"
        elif s.last_success_at is None:
            status = "never fetched"
        out.write(
            f"{s.name:<{width}}  {s.items:>5}  {_stamp(s.last_success_at) or '-':<20}  "
            f"{s.last_latency_ms if s.last_latency_ms is not None else '-':>6}  {status}\n"
        )


def _stamp(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def cmd_fetch(args: argparse.Namespace) -> int:
    from digest import pipeline
    from digest.sources.http import make_client

    config = _config(args)
    storage = _storage(config)
    started = time.perf_counter()
    bar = ProgressBar(len(storage.sources()), sys.stderr) if sys.stderr.isatty() else None

    def progress(outcome: pipeline.SourceOutcome) -> None:
        if bar:
            bar.advance(outcome.name)

    async def run() -> pipeline.PollReport:
        async with make_client(config.fetch) as client:
            return await pipeline.poll(
                storage,
                config,
                lambda: _classifier(config),
                client,
                datetime.now(UTC),
                args.all,
                progress,
            )

    try:
        report = asyncio.run(run())
    finally:
        storage.close()
        if bar:
            bar.close()
    for outcome in report.outcomes:
        if args.verbose or outcome.status != "not-modified":
            detail = outcome.error or f"{outcome.new} new, {outcome.changed} changed"
            print(f"{outcome.name}: {outcome.status} ({detail})")
    for firing in report.firings:
        rose = " (severity rose)" if firing.kind == "rise" else ""
        print(
            f"alert {firing.rule}{rose}: {firing.entry.item.title} "
            f"[story {firing.story.id}, severity {firing.story.severity}]"
        )
    for sent in report.sends:
        if sent.status != "sent":
            state = "will retry" if sent.status == "pending" else "gave up"
            print(f"webhook {sent.send.target}: {sent.reply}, {state}", file=sys.stderr)
    for mailed in report.mails:
        if mailed.status != "sent":
            state = "will retry" if mailed.status == "pending" else "gave up"
            where = f"{mailed.delivery.mail.label} to {mailed.delivery.recipient}"
            print(f"alert mail {where}: {mailed.reply}, {state}", file=sys.stderr)
    if report.mail_problem:
        print(f"alert mail not sent: {report.mail_problem}", file=sys.stderr)
    print(fetch_summary(report, time.perf_counter() - started))
    return 0


def fetch_summary(report: pipeline.PollReport, seconds: float) -> str:
    """One line: sources by outcome, items, time."""
    count = Counter(o.status for o in report.outcomes)
    sources = len(report.outcomes)
    unreadable = len(report.unreadable)
    return (
        f"{sources} source{'s' if sources != 1 else ''}: {count['updated']} updated, "
        f"{count['not-modified']} not modified, {count['failed']} failed, "
        f"{count['disabled']} disabled; {report.new_items} new items, {report.assessed} "
        f"assessed, {report.clustered} stories updated, {len(report.firings)} alerts fired, "
        f"{report.notices} alert messages; "
        f"{f'{unreadable} could not be classified (see the log); ' if unreadable else ''}"
        f"{seconds:.1f} s"
    )


class ProgressBar:
    """A one-line progress bar on a terminal."""

    WIDTH = 30

    def __init__(self, total: int, out: TextIO) -> None:
        self.total = max(total, 1)
        self.done = 0
        self.out = out

    def advance(self, name: str) -> None:
        self.done += 1
        filled = self.WIDTH * min(self.done, self.total) // self.total
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        self.out.write(f"\r[{bar}] {self.done}/{self.total} {name[:40]:<40}")
        self.out.flush()

    def close(self) -> None:
        self.out.write("\r" + " " * (self.WIDTH + 60) + "\r")
        self.out.flush()


# Both JSON-lines verbs read bytes and write UTF-8, whatever the terminal's encoding: a line
# that is not UTF-8 gets its own error line and the stream goes on.


def cmd_classify(args: argparse.Namespace) -> int:
    from digest.parallel import classify_stream

    if not 1 <= args.workers <= 256:
        raise InputError("--workers takes a number from 1 to 256")
    out = sys.stdout.buffer
    for encoded in classify_stream(sys.stdin.buffer, _config(args).signals, args.workers):
        out.write(encoded)
        out.flush()
    return 0


def cmd_cluster(args: argparse.Namespace) -> int:
    from digest.jsonl import cluster_lines
    from digest.parallel import encode

    classifier = _classifier(_config(args))
    out = sys.stdout.buffer
    for result in cluster_lines(sys.stdin.buffer, classifier):
        out.write(encode(result))
    out.flush()
    return 0


def cmd_stories(args: argparse.Namespace) -> int:
    from digest.story_report import story_json, story_line, story_text
    from digest.types import StoryView

    config = _config(args)
    storage = _storage(config)
    try:
        if args.action == "list":
            since = datetime.now(UTC) - timedelta(days=args.days)
            found = storage.open_stories(since)
            found.sort(key=lambda pair: pair[0].last_updated, reverse=True)
        else:
            found = storage.stories_by_prefix(args.id)
    finally:
        storage.close()
    views = [StoryView(story, tuple(entries)) for story, entries in found]
    if args.action == "show":
        if not views:
            raise InputError(f"no story with an id starting {args.id!r}")
        if len(views) > 1:
            listed = ", ".join(v.story.id for v in views)
            raise InputError(f"{args.id!r} is the start of several story ids: {listed}")
    for view in views:
        if args.json:
            print(json.dumps(story_json(view), ensure_ascii=False))
        elif args.action == "show":
            sys.stdout.write(story_text(view))
        else:
            print(story_line(view))
    if args.action == "list" and not views and not args.json:
        print(f"No story updated in the last {args.days:g} day(s).")
    return 0


def _send(
    args: argparse.Namespace,
    config: configuration.DigestConfig,
    profiles: list[configuration.ProfileConfig],
    storage: Storage,
    parents: dict[str, str],
) -> list[outbox.Outcome]:
    from digest import briefing, outbox, pipeline
    from digest.intake import dispatch_alerts
    from digest.render import environment

    now = datetime.now(UTC)
    env = environment()
    for profile in profiles:
        day = args.date or pipeline.due_day(profile, now)
        if day is None:
            print(
                f"{profile.name}: not due yet (sends at {profile.send_at:%H:%M} {profile.timezone})"
            )
            continue
        due = briefing.window(profile, day)[1]
        if due > now:
            raise InputError(
                f"the digest of {profile.name} for {day} covers reports until "
                f"{due:%Y-%m-%d %H:%M %Z}: it cannot be sent before then"
            )
        if not profile.recipients:
            print(f"{profile.name}: no recipients configured", file=sys.stderr)
            continue
        added = pipeline.queue_digest(storage, config, profile, day, env, parents, now)
        print(f"{profile.name} {day.isoformat()}: {added} message(s) queued")
    # alerts held back by a rule's throttle or quiet hours may be due by now
    dispatch_alerts(storage, config.alerts, lambda: env, config.smtp, now)
    wanted = outbox.asked_by(config, profiles)
    return asyncio.run(outbox.deliver(storage, config.smtp, now, wanted, config.web.base_url))


def cmd_send(args: argparse.Namespace) -> int:
    """Queue the due digests, then try every due message of the outbox once. Exit 0 when every
    message tried was sent, 1 when one failed or waits for a retry (so that cron notices)."""
    from digest import outbox, pipeline
    from digest.signals.gazetteer import Gazetteer

    config = _config(args)
    profiles = [config.profile(args.profile)] if args.profile else config.profiles
    if not profiles and not outbox.alert_recipients(config):
        raise InputError("no [[profiles]] and no alert recipients in the configuration")
    parents = pipeline.region_parents(Gazetteer.load())
    storage = _storage(config)
    try:
        with outbox.sending_lock(config.storage.database):
            outcomes = _send(args, config, profiles, storage, parents)
    finally:
        storage.close()
    for outcome in outcomes:
        delivery = outcome.delivery
        where = f"{delivery.mail.label} to {delivery.recipient}"
        if outcome.status == "sent":
            print(f"sent {where}")
        elif outcome.retry_at:
            print(
                f"not sent {where}: {outcome.reply}; retry after {outcome.retry_at:%H:%M} UTC",
                file=sys.stderr,
            )
        else:
            print(f"failed {where}: {outcome.reply}", file=sys.stderr)
    counts = Counter(outcome.status for outcome in outcomes)
    print(f"{counts['sent']} sent, {counts['pending']} to retry, {counts['failed']} failed.")
    return 0 if counts["sent"] == len(outcomes) else 1


def cmd_alerts(args: argparse.Namespace) -> int:
    from digest.alerts.match import matches
    from digest.alerts.rules import RuleError
    from digest.alerts.rules import parse as parse_rule

    try:
        rule = parse_rule(args.query)
    except RuleError as exc:
        pointer = " " * (exc.position + 2) + "^"
        raise InputError(f"the rule does not parse, {exc}\n  {args.query}\n{pointer}") from None
    config = _config(args)
    storage = _storage(config)
    try:
        now = datetime.now(UTC)
        entries = storage.assessed_items(now - timedelta(days=args.days), now + timedelta(days=1))
    finally:
        storage.close()
    found = 0
    for entry in sorted(entries, key=lambda e: e.item.published, reverse=True):
        reasons = matches(rule, entry)
        if reasons is None:
            continue
        found += 1
        if found <= args.limit:
            item = entry.item
            print(
                f"{item.published:%Y-%m-%d %H:%M}  {item.source}  "
                f"sev {entry.assessment.severity}  {item.title}"
            )
            print(f"    why: {'; '.join(reasons) or 'nothing it must not have'}")
    shown = f" (the first {args.limit} shown)" if found > args.limit else ""
    print(f"{found} of {len(entries)} items of the last {args.days:g} day(s) match {rule}{shown}.")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from digest import pipeline
    from digest.mail import ListName, build_message
    from digest.render import environment
    from digest.signals.gazetteer import Gazetteer

    config = _config(args)
    profile = config.profile(args.profile)
    zone = ZoneInfo(profile.timezone)
    now = datetime.now(zone)
    day = args.date or now.date()
    gazetteer = Gazetteer.load()
    storage = _storage(config)
    try:
        parents = pipeline.region_parents(gazetteer)
        _, rendered = pipeline.build_digest(
            storage, profile, day, environment(), parents, now, config=config
        )
    finally:
        storage.close()
    if args.format == "html":
        content = rendered.html
    elif args.format == "text":
        content = rendered.text
    else:
        message = build_message(
            rendered, config.smtp.from_addr, profile.recipients, ListName(profile.name), now
        )
        content = message.as_string()
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(content, encoding="utf-8")
        print(args.out)
    else:
        sys.stdout.write(content)
    return 0


def _site(config: configuration.DigestConfig) -> Site:
    """The archive over the configured database, migrated first (the archive only reads)."""
    from digest.web.site import Site

    _storage(config).close()
    return Site.configured(config)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from digest.web.app import access_of, create_app

    path = configuration.locate(args.config)
    config = configuration.load(path)
    access = access_of(config)
    host = args.host or config.web.host
    port = args.port or config.web.port
    options: dict[str, Any] = {"host": host, "port": port, "log_level": "warning"}
    options |= {"server_header": False, "access_log": False}
    print(f"digest archive on http://{host}:{port}/ (Ctrl-C stops it)", file=sys.stderr)
    if config.web.workers > 1:
        _storage(config).close()  # migrated once, before the workers read it
        os.environ[configuration.ENV_CONFIG] = str(path.resolve())
        uvicorn.run("digest.web.app:factory", factory=True, workers=config.web.workers, **options)
        return 0
    site = _site(config)
    try:
        uvicorn.run(create_app(site, access), **options)
    finally:
        site.close()
    return 0


def cmd_export_site(args: argparse.Namespace) -> int:
    from digest.web.export import export_site

    config = _config(args)
    site = _site(config)
    try:
        written = export_site(site, args.dir, config.web.base_url or "")
    finally:
        site.close()
    print(f"{len(written)} files written; open {written[0]}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from digest.run.daemon import run_daemon

    return run_daemon(configuration.locate(args.config))


def cmd_status(args: argparse.Namespace) -> int:
    from digest.run import status

    config = _config(args)
    storage = _storage(config)
    now = datetime.now(UTC)
    try:
        found = status.gather(config, storage, config.storage.database, now)
    finally:
        storage.close()
    if args.json:
        print(json.dumps(found, ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(status.text(found, now))
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    if args.file.exists():
        raise InputError(f"{args.file} exists; give a new file name")
    config = _config(args)
    storage = _storage(config)
    try:
        storage.backup(args.file)
    finally:
        storage.close()
    print(f"{config.storage.database} copied to {args.file}")
    return 0


HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "run": cmd_run,
    "status": cmd_status,
    "backup": cmd_backup,
    "serve": cmd_serve,
    "export-site": cmd_export_site,
    "demo": cmd_demo,
    "init": cmd_init,
    "check": cmd_check,
    "sources": cmd_sources,
    "fetch": cmd_fetch,
    "classify": cmd_classify,
    "cluster": cmd_cluster,
    "stories": cmd_stories,
    "send": cmd_send,
    "alerts": cmd_alerts,
    "build": cmd_build,
}
