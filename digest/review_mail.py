"""The reviewers' email: a reviewed profile's draft is ready, with the desk's address and the
time the digest goes as it stands."""

from __future__ import annotations

from datetime import datetime

from jinja2 import Environment

from digest import outbox
from digest.config import REVIEW_LIST, DigestConfig, ProfileConfig
from digest.render import inline_css, reader_context, tidy_text
from digest.storage import Storage
from digest.storage.base import ReviewDraft
from digest.types import Rendered
from digest.wording import say

SUBJECT = "[review] {profile}, digest of {day}: ready for review until {due}"


def notify_reviewers(
    storage: Storage,
    config: DigestConfig,
    profile: ProfileConfig,
    draft: ReviewDraft,
    env: Environment,
    now: datetime,
) -> None:
    """Queue the email to every reviewer with an address, in the profile's language and zone,
    once per draft (an open one)."""
    recipients = [reviewer.email for reviewer in config.web.reviewers if reviewer.email]
    if not recipients or draft.reviewers_told or draft.closed_at is not None:
        return
    context = reader_context(profile.language, profile.timezone)
    due = context["when"](draft.due_at, "%H:%M")
    subject = say(SUBJECT, profile.language, profile=profile.name, day=draft.day, due=due)
    base = config.web.base_url
    values = {
        **context,
        "subject": subject,
        "profile": profile.name,
        "draft": draft,
        "due": due,
        "desk": f"{base}review/{profile.name}/{draft.day}" if base else None,
        "path": f"/review/{profile.name}/{draft.day}",
    }
    rendered = Rendered(
        subject=subject,
        text=tidy_text(env.get_template("review_ready.txt.j2").render(values)),
        html=inline_css(env.get_template("review_ready.html.j2").render(values)),
    )
    mails = [(to, outbox.new_message_id(config.smtp.from_addr)) for to in recipients]
    storage.save_review_notice(profile.name, draft.day, REVIEW_LIST, rendered, mails, now)
