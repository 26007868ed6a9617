"""The reviewers' desk: a reviewed digest's draft as it stands, one small form per action per
story (plain HTML forms: the archive runs no script), and what a form may carry. Each form holds
a token, the HMAC of the reviewer, the profile and the day under a key kept in the database, so
that no other site can make a reviewer's browser act."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from digest import briefing
from digest.review import NOTE_CHARS
from digest.storage.base import ReviewAction
from digest.web.pages import headlines_of, reviewed_draft
from digest.web.site import Links, Site

KEY = "review"  # the name of the tokens' key among the database's secrets
STORY_ID = r"^[0-9A-Za-z_-]{1,64}$"


def token(key: str, reviewer: str, profile: str, day: str) -> str:
    message = "\x1f".join(("review", reviewer, profile, day)).encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:32]


def token_valid(key: str, reviewer: str, profile: str, day: str, given: str) -> bool:
    return hmac.compare_digest(token(key, reviewer, profile, day), given)


class ActionForm(BaseModel):
    """What one of the desk's forms posts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    token: str = Field(pattern=r"^[0-9a-f]{32}$")
    story: str = Field(pattern=STORY_ID)
    action: Literal["promote", "demote", "suppress", "restore", "merge", "annotate"]
    value: str | None = Field(default=None, pattern=STORY_ID)  # "one", "top", a story's id
    note: str = Field(default="", max_length=NOTE_CHARS)

    def as_action(self, actor: str, now: datetime) -> ReviewAction:
        note = self.note.strip() if self.action == "annotate" else None
        return ReviewAction(self.story, self.action, self.value, note, actor, now)


def desk_page(site: Site, links: Links, profile: str, day: str, reviewer: str) -> str | None:
    """The desk of a reviewed digest, for `reviewer`; None when the digest is not reviewed."""
    draft = site.reader.review_draft(profile, day)
    if draft is None:
        return None
    record = site.reader.digest(profile, day)
    language = record.language if record else site.language
    since = record.window_start if record else None
    reviewed, trail = reviewed_draft(site, draft, language, since)
    return site.render(
        "web/review.html.j2",
        links,
        draft=draft,
        record=record,
        reviewed=reviewed,
        governorates=briefing.group_as_listed(reviewed.incidents),
        choices=[(v.story.id, v.lead.item.title) for v in (*reviewed.early, *reviewed.incidents)],
        trail=trail,
        headlines=headlines_of(site, trail, language),
        reviewer=reviewer,
        token=token(site.reader.secret(KEY), reviewer, profile, day),
    )
