"""The reviewer's desk: a digest as its reviewers left it.

Pure: the stories of a digest as ranked and its audit trail in, the stories as shown out. The
trail is append-only and the state is its replay in order, so taking something back is one
more action ("restore", an empty note) and the same trail always gives the same digest.

Moves are what a reader sees: a story promoted one place goes above the story shown before it.
Stories are listed by governorate, then district, so when that story is in another district
(or governorate), the story's whole district (or governorate) goes above that one; promoted to
the top, the story leads its district, its district its governorate, its governorate the digest.
Early warnings are one plain list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from digest import briefing
from digest.storage.base import ReviewAction
from digest.types import AssessedItem, Digest, StoryView

NOTE_CHARS = 1000


@dataclass(frozen=True, slots=True)
class Reviewed:
    """The stories shown (reports of the stories merged into them added, notes set), in order,
    and those the reviewers took out."""

    early: tuple[StoryView, ...]
    incidents: tuple[StoryView, ...]
    suppressed: tuple[StoryView, ...]
    merged: tuple[tuple[StoryView, str], ...]  # a story merged, and the id of the one it joined


class _Trail:
    """The state a trail of actions builds, over the stories of one digest."""

    def __init__(self, early: Sequence[StoryView], incidents: Sequence[StoryView]) -> None:
        self.views = {v.story.id: v for v in (*early, *incidents)}
        self.early = [v.story.id for v in early]
        self.incidents = [v.story.id for v in incidents]
        self.places = {v.story.id: briefing.place(v) for v in incidents}
        self.suppressed: set[str] = set()
        self.joined: dict[str, str] = {}  # a story merged -> the story it joined
        self.notes: dict[str, str] = {}

    def levels(self, story: str) -> tuple[object, ...]:
        """Where a story is listed: (governorate, district); nowhere for an early warning."""
        return self.places.get(story, ())

    def shown(self, story: str) -> bool:
        return story not in self.suppressed and story not in self.joined

    def root(self, story: str) -> str:
        """The story shown that carries `story`'s reports (itself when not merged)."""
        while story in self.joined:
            story = self.joined[story]
        return story

    def take(self, action: ReviewAction) -> None:
        story, kind = action.story_id, action.action
        if story not in self.views:  # no longer in this digest
            return
        if kind in ("promote", "demote") and self.shown(story):
            order = self.early if story in self.early else self.incidents
            if kind == "demote":
                below = _next_shown(order[order.index(story) + 1 :], self.shown)
                if below is not None:  # raising the story below is lowering this one
                    _raise(order, below, self.levels, self.shown)
            elif action.value == "top":
                while _raise(order, story, self.levels, self.shown):
                    pass
            else:
                _raise(order, story, self.levels, self.shown)
        elif kind == "suppress":
            self.suppressed.add(story)
        elif kind == "restore":
            self.suppressed.discard(story)
            self.joined.pop(story, None)
        elif kind == "merge":
            target = action.value or ""
            if target in self.views and self.root(target) != story:
                self.joined[story] = target
        elif kind == "annotate":
            note = (action.note or "").strip()
            if note:
                self.notes[story] = note
            else:
                self.notes.pop(story, None)

    def view(self, story: str) -> StoryView:
        """The story as shown: with the reports of the stories merged into it, and its note."""
        carried: list[AssessedItem] = []
        for other in self.joined:
            if self.root(other) == story:
                carried += self.views[other].items
        own = self.views[story]
        return replace(own, items=own.items + tuple(carried), note=self.notes.get(story))

    def result(self) -> Reviewed:
        def shown(order: list[str]) -> tuple[StoryView, ...]:
            return tuple(self.view(s) for s in order if self.shown(s))

        everything = [*self.early, *self.incidents]
        return Reviewed(
            shown(self.early),
            shown(self.incidents),
            tuple(self.views[s] for s in everything if s in self.suppressed),
            tuple((self.views[s], self.root(s)) for s in everything if s in self.joined),
        )


def replay(
    early: Sequence[StoryView], incidents: Sequence[StoryView], actions: Iterable[ReviewAction]
) -> Reviewed:
    """`early`: the early warnings as ranked; `incidents`: the other stories as placed (grouped
    by governorate and district); `actions`: the trail, oldest first. Actions on a story no
    longer in the digest are passed over."""
    trail = _Trail(early, incidents)
    for action in actions:
        trail.take(action)
    return trail.result()


def applied(digest: Digest, actions: Sequence[ReviewAction]) -> Digest:
    """The digest as its reviewers left it; the very same digest when nobody acted."""
    if not actions:
        return digest
    placed = [v for g in digest.governorates for d in g.districts for v in d.stories]
    reviewed = replay(digest.early_warning, placed, actions)
    return replace(
        digest,
        early_warning=reviewed.early,
        governorates=briefing.group_as_listed(reviewed.incidents),
    )


def _next_shown(stories: Iterable[str], shown: Callable[[str], bool]) -> str | None:
    return next((s for s in stories if shown(s)), None)


def _raise(
    order: list[str],
    story: str,
    levels: Callable[[str], tuple[object, ...]],
    shown: Callable[[str], bool],
) -> bool:
    """Move `story` above the story shown before it: the two stories' blocks at the first
    level where they differ (the stories themselves, their districts or their governorates)
    change places. False when it is shown first already."""
    at = order.index(story)
    above = _next_shown(reversed(order[:at]), shown)
    if above is None:
        return False

    def key(member: str) -> tuple[object, ...]:
        return (*levels(member), member)

    mine, theirs = key(story), key(above)
    depth = next(n for n, (a, b) in enumerate(zip(mine, theirs, strict=True)) if a != b) + 1

    def block(index: int) -> tuple[int, int]:
        prefix = key(order[index])[:depth]
        start, stop = index, index + 1
        while start > 0 and key(order[start - 1])[:depth] == prefix:
            start -= 1
        while stop < len(order) and key(order[stop])[:depth] == prefix:
            stop += 1
        return start, stop

    (a_start, a_stop), (b_start, b_stop) = block(order.index(above)), block(at)
    order[a_start:b_stop] = order[b_start:b_stop] + order[a_stop:b_start] + order[a_start:a_stop]
    return True
