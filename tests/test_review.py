"""The reviewer's desk: the replay of a trail of actions (units), the storage of drafts and
actions, the desk over a real server (access, CSRF, refusal once queued), the service assembling
the draft ahead of the send time, and a reviewer in a browser whose work reaches the email."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from digest import review
from digest.storage.base import ReviewAction
from digest.storage.sqlite import SqliteStorage
from digest.types import AssessedItem, Assessment, Item, Location, Story, StoryMember, StoryView

NOW = datetime(2026, 3, 24, 4, 30, tzinfo=UTC)


# ---------------------------------------------------------------- the replay, as units


def place(governorate: str, district: str) -> Location:
    return Location(
        district, None, "LB", governorate, governorate, district, district, None, None, "admin2"
    )


def view(story_id: str, where: Location | None = None, source: str = "Wire") -> StoryView:
    item = Item(
        story_id + "-i", source, None, None, f"Story {story_id}", "", "", None, NOW, NOW, "h"
    )
    found = Assessment(item.id, "en", True, 3, ("shelling",), (where,) if where else (), ())
    story = Story(story_id, (StoryMember(item.id, "first"),), NOW, NOW, 3, ("shelling",), where)
    return StoryView(story, (AssessedItem(item, found),))


def act(story: str, action: str, value: str | None = None, note: str | None = None) -> ReviewAction:
    return ReviewAction(story, action, value, note, "rana", NOW)


def ids(views: tuple[StoryView, ...]) -> list[str]:
    return [v.story.id for v in views]


SOUTH_TYRE, SOUTH_SAIDA, NABATIEH = place("LB6", "LB63"), place("LB6", "LB62"), place("LB4", "LB41")
# grouped as the digest lists them: governorate, then district
PLACED = [
    view("a", SOUTH_TYRE),
    view("b", SOUTH_TYRE),
    view("c", SOUTH_SAIDA),
    view("d", NABATIEH),
    view("e", NABATIEH),
]
EARLY = [view("w1"), view("w2"), view("w3")]


def replayed(*actions: ReviewAction) -> review.Reviewed:
    return review.replay(EARLY, PLACED, actions)


def test_no_action_leaves_everything_as_assembled() -> None:
    reviewed = replayed()
    assert reviewed.early == tuple(EARLY) and reviewed.incidents == tuple(PLACED)
    assert reviewed.suppressed == () and reviewed.merged == ()


def test_promote_one_place_within_a_district_and_in_the_early_warnings() -> None:
    assert ids(replayed(act("b", "promote", "one")).incidents) == ["b", "a", "c", "d", "e"]
    assert ids(replayed(act("w3", "promote")).early) == ["w1", "w3", "w2"]
    assert ids(replayed(act("a", "promote")).incidents) == ["a", "b", "c", "d", "e"]  # first


def test_promote_across_districts_and_governorates_moves_the_whole_block() -> None:
    # c leads its district (Saida): the district goes above Tyre's
    assert ids(replayed(act("c", "promote")).incidents) == ["c", "a", "b", "d", "e"]
    # d leads Nabatieh: the governorate goes above the South
    assert ids(replayed(act("d", "promote")).incidents) == ["d", "e", "a", "b", "c"]


def test_promote_to_the_top_and_demote() -> None:
    top = replayed(act("e", "promote", "top"))
    assert ids(top.incidents) == ["e", "d", "a", "b", "c"]
    assert ids(replayed(act("w3", "promote", "top")).early) == ["w3", "w1", "w2"]
    assert ids(replayed(act("a", "demote")).incidents) == ["b", "a", "c", "d", "e"]
    assert ids(replayed(act("e", "demote")).incidents) == ["a", "b", "c", "d", "e"]  # last
    assert ids(replayed(act("b", "demote")).incidents) == ["c", "a", "b", "d", "e"]


def test_suppress_then_restore_and_moves_pass_over_hidden_stories() -> None:
    hidden = replayed(act("b", "suppress"))
    assert ids(hidden.incidents) == ["a", "c", "d", "e"] and ids(hidden.suppressed) == ["b"]
    back = replayed(act("b", "suppress"), act("b", "restore"))
    assert ids(back.incidents) == ["a", "b", "c", "d", "e"] and back.suppressed == ()
    # with a and b hidden, c is shown first: promoting it changes nothing a reader sees
    moved = replayed(act("a", "suppress"), act("b", "suppress"), act("c", "promote"))
    assert ids(moved.incidents) == ["c", "d", "e"]
    # a suppressed story cannot be moved
    assert ids(replayed(act("b", "suppress"), act("b", "promote", "top")).incidents)[0] == "a"


def test_merge_shows_one_story_with_both_stories_sources() -> None:
    first = StoryView(PLACED[0].story, PLACED[0].items)
    other = view("x", SOUTH_TYRE, source="Other Wire")
    reviewed = review.replay([], [first, PLACED[1], other], [act("x", "merge", "a")])
    assert ids(reviewed.incidents) == ["a", "b"]
    assert reviewed.incidents[0].sources == ("Wire", "Other Wire")
    assert [(v.story.id, into) for v, into in reviewed.merged] == [("x", "a")]
    # chains go to the story shown; a cycle is refused; restore undoes a merge
    chained = replayed(act("b", "merge", "a"), act("c", "merge", "b"))
    assert ids(chained.incidents) == ["a", "d", "e"]
    assert [e.item.id for e in chained.incidents[0].items] == ["a-i", "b-i", "c-i"]
    cycle = replayed(act("b", "merge", "a"), act("a", "merge", "b"), act("a", "merge", "a"))
    assert ids(cycle.incidents) == ["a", "c", "d", "e"]
    undone = replayed(act("b", "merge", "a"), act("b", "restore"))
    assert ids(undone.incidents) == ["a", "b", "c", "d", "e"] and undone.merged == ()
    assert ids(replayed(act("b", "merge", "nope")).incidents) == ["a", "b", "c", "d", "e"]


def test_notes_the_last_one_counts_and_an_empty_one_takes_it_back() -> None:
    noted = replayed(act("a", "annotate", note="first"), act("a", "annotate", note=" <b>2</b> "))
    assert noted.incidents[0].note == "<b>2</b>"  # kept as text: templates escape it
    assert (
        replayed(act("a", "annotate", note="x"), act("a", "annotate", note="")).incidents[0].note
        is None
    )


def test_actions_on_stories_no_longer_in_the_digest_are_passed_over() -> None:
    assert ids(replayed(act("gone", "promote", "top"), act("gone", "suppress")).incidents) == [
        "a",
        "b",
        "c",
        "d",
        "e",
    ]


# ---------------------------------------------------------------- storage


def test_drafts_and_the_trail_round_trip_and_a_closed_review_refuses_actions(
    tmp_path: Path,
) -> None:
    storage = SqliteStorage(tmp_path / "d.sqlite3")
    assert not storage.add_review_action("beirut", "2026-03-24", act("a", "suppress"))  # no draft
    storage.save_draft("beirut", "2026-03-24", NOW, ["w"], ["a", "b"], NOW - timedelta(hours=1))
    assert storage.add_review_action("beirut", "2026-03-24", act("a", "annotate", note="مهم"))
    assert storage.add_review_action("beirut", "2026-03-24", act("b", "merge", "a"))
    (draft,) = storage.open_reviews()
    assert (draft.early, draft.incidents, draft.due_at, draft.closed_at) == (
        ("w",),
        ("a", "b"),
        NOW,
        None,
    )
    trail = storage.review_actions("beirut", "2026-03-24")
    assert [(a.story_id, a.action, a.value, a.note, a.actor) for a in trail] == [
        ("a", "annotate", None, "مهم", "rana"),
        ("b", "merge", "a", None, "rana"),
    ]
    assert trail[0].id < trail[1].id and trail[0].at == NOW
    storage.close_review("beirut", "2026-03-24", NOW, NOW + timedelta(minutes=1))
    storage.close_review("beirut", "2026-03-24", NOW, NOW + timedelta(minutes=5))  # kept
    storage.save_draft("beirut", "2026-03-24", NOW, [], ["a"], NOW)  # rebuilt: stays closed
    closed = storage.review_draft("beirut", "2026-03-24")
    assert closed is not None and closed.closed_at == NOW + timedelta(minutes=1)
    assert closed.incidents == ("a",) and storage.open_reviews() == []
    assert not storage.add_review_action("beirut", "2026-03-24", act("a", "suppress"))
    assert len(storage.review_actions("beirut", "2026-03-24")) == 2
    assert storage.secret("review") != storage.secret("unsubscribe")
    storage.close()
