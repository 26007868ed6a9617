from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from digest import parallel
from digest.config import SignalsConfig
from digest.errors import DigestError
from digest.jsonl import classify_lines, cluster_lines
from digest.signals import classify as classify_module
from digest.signals.classify import Classifier, Text, _distance
from digest.signals.gazetteer import Mention

from .faulty import POISON, Poisoned, dying_chunk


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier.from_signals()


def classify(classifier: Classifier, title: str, text: str = "") -> dict:
    line = json.dumps({"id": "x", "title": title, "text": text})
    return next(iter(classify_lines([line], classifier)))


def test_seed_article_is_an_escalation_in_lebanon(
    shared_data: Path, classifier: Classifier
) -> None:
    path = next((shared_data / "seed").glob("*.txt"))
    title, _, body = path.read_text(encoding="utf-8").partition("\n")
    result = classify(classifier, title, body)
    assert result["risk"] is True
    assert "escalation" in result["categories"]
    assert any(loc["country"] == "LB" for loc in result["locations"])
    assert result["severity"] >= 2
    analysed = f"{title}\n{body}"
    for evidence in result["evidence"]:
        assert analysed[evidence["start"] : evidence["end"]] == evidence["text"]


@pytest.mark.parametrize(
    ("title", "text", "category", "admin2"),
    [
        ("Drone strike on a car near Aitaroun kills two", "", "airstrike", "LB41"),
        ("غارة من مسيرة على سيارة في عيترون", "", "airstrike", "LB41"),
        ("Frappe de drone contre une voiture à Aïtaroun", "", "airstrike", "LB41"),
        ("قصف مدفعي على أطراف الخيام", "", "shelling", "LB43"),
        ("Protesters burn tyres and block the road in Tripoli", "", None, "LB56"),
        ("Gunmen kidnap a man in Hermel", "", "kidnapping", "LB22"),
        ("إنذار عاجل إلى سكان حاروف: الإخلاء فوراً", "", "evacuation", "LB44"),
    ],
)
def test_incidents_in_three_languages(
    classifier: Classifier, title: str, text: str, category: str | None, admin2: str
) -> None:
    result = classify(classifier, title, text)
    assert result["risk"] is True
    if category:
        assert result["categories"][0] == category
    assert result["locations"][0]["admin2_pcode"] == admin2
    assert result["severity"] >= 1


@pytest.mark.parametrize(
    "title",
    [
        "Teachers' union calls off hunger strike after talks",
        "Big-budget thriller bombs at the box office",
        "Nejmeh striker's late shot wins the Beirut derby",
        "Minister faces a storm of criticism over fuel prices",
        "Exhibition marks the anniversary of the 1982 invasion",
        "Drone strike kills three in Kherson region of Ukraine",
    ],
)
def test_traps_and_out_of_region_events_are_not_risks(classifier: Classifier, title: str) -> None:
    result = classify(classifier, title)
    assert result["risk"] is False
    assert result["severity"] == 0
    assert result["categories"] == []


def test_casualties_raise_severity(classifier: Classifier) -> None:
    two = classify(classifier, "Israeli strike on a car in Bint Jbeil kills two")
    many = classify(classifier, "Israeli strikes on Nabatieh kill 12 people, wound 30")
    assert two["casualties"]["killed"] == 2 and two["severity"] == 3
    assert many["casualties"]["killed"] == 12 and many["severity"] == 4
    timed = classify(classifier, "Air strike in Tyre", "At 01:30 three people were injured.")
    assert timed["casualties"]["injured"] == 3


def test_language_is_detected_on_short_headlines(classifier: Classifier) -> None:
    for title, lang in [
        ("Drone strike hits car near Tyre", "en"),
        ("Frappe de drone près de Tyr", "fr"),
        ("غارة على صور", "ar"),
    ]:
        assert classify(classifier, title)["lang"] == lang


def test_a_text_that_opens_with_figures_gets_the_language_of_its_words() -> None:
    """lingua reads the start of a text: a run of figures there gave every language the same
    score, and which one came first changed from run to run."""
    text = "7" * 500 + " Une frappe de drone sur Aitaroun fait deux morts"
    script = (
        "from digest.signals.language import LanguageIdentifier; "
        f"print(LanguageIdentifier().detect({text!r}))"
    )
    found = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
        ).stdout.strip()
        for seed in (1, 2, 3)
    }
    assert found == {"fr"}


def test_malformed_lines_get_an_error_and_processing_goes_on(classifier: Classifier) -> None:
    lines = [
        "not json",
        json.dumps([1, 2]),
        json.dumps({"text": "no id"}),
        json.dumps({"id": "e", "text": ""}),
        json.dumps({"id": 5, "text": 3}),
        json.dumps({"id": "ok", "text": "Shelling on Khiam"}),
    ]
    results = list(classify_lines(lines, classifier))
    assert [r["id"] for r in results] == [None, None, None, "e", "5", "ok"]
    assert all("error" in r for r in results[:5])
    assert results[5]["risk"] is True


def test_a_line_the_classifier_fails_on_gets_an_error_and_the_stream_goes_on(
    classifier: Classifier, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug of digest's that one line sets off (in a long stream) costs that line only, in
    `digest classify` and in `digest cluster`: its error says so, the log has the trace."""
    poisoned = Poisoned(classifier)
    rows = [
        {"id": "1", "title": "Drone strike on Aitaroun", "text": ""},
        {"id": "2", "title": f"Council {POISON} meets", "text": ""},
        {"id": "3", "title": "Shelling on Khiam", "text": ""},
    ]
    lines = [json.dumps(row) for row in rows]
    results = list(classify_lines(lines, poisoned))
    assert [r["id"] for r in results] == ["1", "2", "3"]
    assert results[1] == {
        "id": "2",
        "error": "could not classify (a fault of digest's): IndexError: string index out of range",
    }
    assert results[0]["risk"] is True and results[2]["risk"] is True
    assert "could not classify report 2" in caplog.text and "Traceback" in caplog.text
    clustered = cluster_lines(lines, poisoned)
    assert [r["id"] for r in clustered] == ["1", "2", "3"]
    assert "error" in clustered[1] and clustered[0]["story"] and clustered[2]["story"]


def test_a_worker_that_dies_ends_the_stream_with_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`digest classify --workers N` whose worker is killed mid-stream stops with an error that
    says how far the output is complete, instead of waiting for ever."""
    monkeypatch.setattr(parallel, "_classify_chunk", dying_chunk)
    rows = [{"id": str(n), "title": "Shelling on Khiam", "text": ""} for n in range(600)]
    rows[300]["text"] = "die"
    lines = [json.dumps(row).encode() for row in rows]
    written: list[bytes] = []
    with pytest.raises(DigestError, match="a classifying process stopped") as stopped:
        written.extend(parallel.classify_stream(lines, SignalsConfig(), workers=2))
    whole = b"".join(written).count(b"\n")
    assert f"the output is complete up to line {whole} and ends there" in str(stopped.value)
    assert whole <= 256  # nothing of the chunk that died, nor after it


def test_classify_with_workers_writes_each_chunk_as_soon_as_it_is_done() -> None:
    """In input order, and without waiting for the window of chunks in flight to fill (a
    live pipe into `digest classify --workers N` would show nothing for thousands of lines)."""
    events: list[str] = []

    class Done:  # an executor whose work is done at once
        def submit(self, function: object, chunk: list[bytes]) -> Future[bytes]:
            future: Future[bytes] = Future()
            future.set_result(chunk[0])
            return future

    def chunks() -> Iterator[list[bytes]]:
        for number in range(4):
            events.append(f"read {number}")
            yield [str(number).encode()]

    for future in parallel._in_order(Done(), chunks(), window=8):  # type: ignore[arg-type]
        events.append(f"wrote {future.result().decode()}")
    assert events == [f"{step} {n}" for n in range(4) for step in ("read", "wrote")]


@pytest.mark.parametrize(
    "text",
    [
        "Drone strike " * 1600,  # a near rule's two words, a thousand times each
        "reportedly strike " * 1100,  # a hedge before every term
        "strike on an ambulance killed " * 700,  # targets between terms and casualties
    ],
)
def test_a_word_repeated_a_thousand_times_costs_the_same_few_looks_per_match(
    classifier: Classifier, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    """Each match is checked against its nearest neighbours only, not against every other
    match with the whole gap read each time: 20 KB of "Drone strike " took 270 s and held the
    poll (and its event loop) that long (found by a fault hunt)."""
    looks = 0
    real = classify_module._shortly_before

    def counted(*args: object) -> bool:
        nonlocal looks
        looks += 1
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(classify_module, "_shortly_before", counted)
    result = classifier.classify(Text("rep", "Report", text))
    words = len(text.split())
    assert looks <= 4 * words  # before: the square of the matches
    assert result.assessment.risk is not None


def test_cluster_joins_the_same_incident_across_languages(classifier: Classifier) -> None:
    lines = [
        {
            "id": "a",
            "title": "Drone strike on a car in Aitaroun kills one",
            "text": "",
            "published": "2026-03-23T09:00:00Z",
            "source": "A",
        },
        {
            "id": "b",
            "title": "غارة من مسيرة على سيارة في عيترون",
            "text": "",
            "published": "2026-03-23T10:00:00Z",
            "source": "B",
        },
        {
            "id": "c",
            "title": "Artillery shells hit Khiam",
            "text": "",
            "published": "2026-03-23T10:30:00Z",
            "source": "A",
        },
        {
            "id": "d",
            "title": "Drone strike on a car in Aitaroun kills one",
            "text": "",
            "published": "2026-03-25T12:00:00Z",
            "source": "C",
        },
        {"id": "undated", "text": "Word from nowhere"},
        {"id": "bad", "title": "no text field"},
    ]
    results = cluster_lines([json.dumps(x) for x in lines], classifier)
    story = {r["id"]: r.get("story") for r in results}
    assert story["a"] == story["b"]
    assert story["d"] not in (story["a"], story["c"])  # a's words two days later: a new strike
    assert story["c"] != story["a"]
    assert story["undated"] == "undated"  # clustered as published before every dated item
    assert "error" in results[-1]


def test_cli_classify_streams_json_lines() -> None:
    lines = "\n".join(
        [json.dumps({"id": "1", "title": "Drone strike on Aitaroun", "text": ""}), "{broken"]
    )
    done = subprocess.run(
        [sys.executable, "-m", "digest", "classify"],
        input=lines,
        capture_output=True,
        text=True,
        check=True,
    )
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert out[0]["id"] == "1" and out[0]["risk"] is True
    assert out[1]["id"] is None and "error" in out[1]
    assert set(out[0]) >= {"id", "lang", "risk", "severity", "categories", "locations", "evidence"}
    location = out[0]["locations"][0]
    assert set(location) == {
        "name",
        "place",
        "country",
        "admin1",
        "admin1_pcode",
        "admin2",
        "admin2_pcode",
        "lat",
        "lon",
        "precision",
    }


def test_evidence_offsets_point_into_title_newline_text(classifier: Classifier) -> None:
    explained = classifier.classify(Text("t", "Shelling on Khiam", "Shells also hit Kfar Kila."))
    analysed = "Shelling on Khiam\nShells also hit Kfar Kila."
    assert explained.assessment.evidence
    for evidence in explained.assessment.evidence:
        assert analysed[evidence.start : evidence.end] == evidence.text


def test_workers_give_the_same_lines_in_the_same_order(tmp_path: Path) -> None:
    titles = [
        "Drone strike on a car near Aitaroun kills two",
        "غارة من مسيرة على سيارة في عيترون",
        "Ski season opens in Faraya",
        "Frappe de drone contre une voiture à Aïtaroun",
    ]
    lines = [json.dumps({"id": str(i), "title": t, "text": ""}) for i, t in enumerate(titles * 150)]
    lines.insert(7, "{broken")
    payload = "\n".join(lines) + "\n"
    runs = [
        subprocess.run(
            [sys.executable, "-m", "digest", "classify", "--workers", str(n)],
            input=payload,
            capture_output=True,
            text=True,
            check=True,
            cwd=tmp_path,
        ).stdout
        for n in (1, 2)
    ]
    assert runs[0] == runs[1]
    assert len(runs[0].splitlines()) == 601


@pytest.mark.parametrize(
    ("title", "text", "primary", "absent"),
    [
        # a place name that is also a common word
        ("نشر صور الدمار بعد الغارة على بلدة عيتا الشعب", "", "LB41", "LB63"),
        ("غارة على مدينة صور", "", "LB63", None),
        ("حصل فريق النبطية على المرتبة الأولى بعد قصف الملعب", "", "LB44", None),
        # a person's origin is not the place of the event
        ("A man from Tyre was killed in an Israeli strike on Nabatieh", "", "LB44", None),
        # "the South" the governorate, "south of" a direction
        ("Heavy shelling in the South overnight", "", "LB6", None),
        ("Strike south of Tyre kills two", "", "LB63", "LB6"),
        ("قصف مدفعي على الجنوب", "", "LB6", None),
        # a dateline is where the report was filed
        (
            "Strike on Khiam",
            "BEIRUT (Reuters) - An Israeli strike hit Khiam overnight.",
            "LB43",
            None,
        ),
    ],
)
def test_places_are_disambiguated(
    classifier: Classifier, title: str, text: str, primary: str, absent: str | None
) -> None:
    result = classify(classifier, title, text)
    codes = [loc["admin2_pcode"] or loc["admin1_pcode"] for loc in result["locations"]]
    assert codes[0] == primary, result["locations"]
    assert absent is None or absent not in codes


def test_an_event_abroad_about_the_region_is_not_a_risk(classifier: Classifier) -> None:
    result = classify(
        classifier,
        "Thousands march in Paris against the war in Lebanon",
        "Protesters gathered in central Paris, France, on Saturday.",
    )
    assert result["risk"] is False


def test_severity_rules_show_in_the_evidence(classifier: Classifier) -> None:
    result = classify(
        classifier, "Israeli drone strike on an ambulance in Tyre kills two paramedics"
    )
    assert result["severity"] == 4
    raises = {e["code"].split(":")[0] for e in result["evidence"] if e["kind"] == "severity"}
    assert "target" in raises
    quiet = classify(
        classifier, "Air strike on Khiam", "Ambulances rushed to the site, civil defence said."
    )
    assert quiet["severity"] == 3
    assert not [e for e in quiet["evidence"] if e["kind"] == "severity"]


def test_casualty_counts_ignore_dates_ages_and_negations(classifier: Classifier) -> None:
    assert (
        classify(classifier, "On March 23 an Israeli strike in Tyre killed a man")["casualties"][
            "killed"
        ]
        < 23
    )
    assert (
        classify(classifier, "Israeli strike in Tyre kills man, 45, from Qana")["casualties"][
            "killed"
        ]
        != 45
    )
    assert (
        classify(classifier, "No one was killed in the Israeli strike on Khiam")["casualties"][
            "killed"
        ]
        == 0
    )
    assert classify(classifier, "غارة على عيترون توقع قتيلين")["casualties"]["killed"] == 2


def test_a_hedged_term_is_not_an_incident(classifier: Classifier) -> None:
    result = classify(classifier, "Families leave Tyre villages fearing further shelling")
    assert "shelling" not in result["categories"]
    assert any(e["kind"] == "exclusion" for e in result["evidence"])


@pytest.mark.parametrize(
    ("title", "killed"),
    [
        ("Bombardements : au moins 1 100 morts dans le sud du Liban", 1100),
        ("Israeli strikes on south Lebanon: 1,100 killed since October", 1100),
        ("Frappes sur Tyr : 12 morts", 12),
    ],
)
def test_numbers_written_in_digit_groups(classifier: Classifier, title: str, killed: int) -> None:
    assert classify(classifier, title)["casualties"]["killed"] == killed


SPANS = st.lists(
    st.tuples(st.integers(0, 60), st.integers(1, 20)).map(lambda s: (s[0], s[0] + s[1])), max_size=8
)


@given(st.tuples(st.integers(0, 60), st.integers(1, 20)), SPANS)
def test_the_distance_to_the_nearest_span_is_the_smallest_gap(
    mention: tuple[int, int], spans: list[tuple[int, int]]
) -> None:
    start, end = mention[0], mention[0] + mention[1]
    assume(spans)
    spans.sort()
    gaps = [max(0, s - end, start - e) for s, e in spans]
    starts, ends = [s for s, _ in spans], sorted(e for _, e in spans)
    assert _distance(Mention(start, end, ()), starts, ends) == min(gaps)
