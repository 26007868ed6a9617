"""`digest demo`: the whole pipeline, offline, on the sample feeds that ship in the package.

The demo's clock is fixed to the morning its sample feeds describe, so every run builds the same
digest; its database lives in the output folder, and running it again stores nothing twice.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from digest import config as configuration
from digest import pipeline
from digest.mail import ListName, build_message
from digest.render import environment
from digest.resources import bundled_config
from digest.signals.classify import Classifier
from digest.signals.gazetteer import Gazetteer
from digest.sources.http import make_client
from digest.storage import Storage, open_storage
from digest.web.export import export_site
from digest.web.site import Site

DEMO_DAY = date(2026, 3, 24)
DEMO_NOW = datetime(2026, 3, 24, 6, 30, tzinfo=ZoneInfo("Asia/Beirut"))


@dataclass(frozen=True, slots=True)
class DemoResult:
    report: pipeline.PollReport
    files: tuple[Path, ...]
    archive: tuple[Path, ...]
    database: Path


def run_demo(out: Path) -> DemoResult:
    out.mkdir(parents=True, exist_ok=True)
    loaded = configuration.load(bundled_config("demo.toml"))
    database = (out / "digest.sqlite3").resolve()
    config = loaded.model_copy(update={"storage": configuration.StorageConfig(database=database)})
    gazetteer = Gazetteer.load()
    classifier = Classifier.from_signals(config.signals, gazetteer)
    storage = open_storage(database)
    try:
        report = asyncio.run(_poll(storage, config, classifier))
        env = environment()
        parents = pipeline.region_parents(gazetteer)
        files: list[Path] = []
        for profile in config.profiles:
            _, rendered = pipeline.build_digest(
                storage, profile, DEMO_DAY, env, parents, DEMO_NOW, config=config
            )
            stem = out / f"digest-{profile.name}-{DEMO_DAY.isoformat()}"
            message = build_message(
                rendered,
                config.smtp.from_addr,
                profile.recipients,
                ListName(profile.name),
                DEMO_NOW,
                message_id=f"<demo-{profile.name}-{DEMO_DAY.isoformat()}@digest.invalid>",
            )
            for suffix, content in (
                (".html", rendered.html),
                (".txt", rendered.text),
                (".eml", message.as_string()),
            ):
                path = stem.with_suffix(suffix)
                path.write_text(content, encoding="utf-8")
                files.append(path)
    finally:
        storage.close()
    site = Site.configured(config)
    try:
        archive = export_site(site, out / "archive")
    finally:
        site.close()
    return DemoResult(report, tuple(files), tuple(archive), database)


async def _poll(
    storage: Storage, config: configuration.DigestConfig, classifier: Classifier
) -> pipeline.PollReport:
    async with make_client(config.fetch) as client:
        return await pipeline.poll(
            storage, config, lambda: classifier, client, DEMO_NOW, everything=True
        )
