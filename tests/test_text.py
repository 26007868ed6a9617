from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from digest.text import ARABIC_CLITICS, fold, fold_plain


def test_arabic_folding_removes_tashkeel_tatweel_and_unifies_letters() -> None:
    assert fold_plain("أَحْمَد") == "احمد"
    assert fold_plain("إنذار") == fold_plain("انذار")
    assert fold_plain("مستشفى") == "مستشفي"
    assert fold_plain("غارة") == "غاره"
    assert fold_plain("مؤسسة") == "موسسه"
    assert fold_plain("طائرة") == "طايره"
    assert fold_plain("غـــارة") == "غاره"


def test_digits_accents_case_and_apostrophes() -> None:
    assert fold_plain("٣ قتلى و۴ جرحى") == "3 قتلي و4 جرحي"
    assert fold_plain("Évacuation À Nabatîyé") == "evacuation a nabatiye"
    assert fold_plain("Israel’s") == "israel's"
    assert fold_plain("ﻻ") == "لا"


def test_offsets_map_back_to_the_original() -> None:
    original = "Frappe à Bint Jbeil: غَارَة على عيترون"
    folded = fold(original)
    start = folded.text.index("غاره")
    begin, end = folded.original_span(start, start + len("غاره"))
    assert original[begin:end] == "غَارَة"
    start = folded.text.index("a bint")
    assert original[slice(*folded.original_span(start, start + 1))] == "à"


def test_clitic_prefixes_include_common_combinations() -> None:
    for prefix in ("و", "ب", "ال", "وال", "بال", "لل", "فال", "وب", "ولل"):
        assert prefix in ARABIC_CLITICS


@given(st.text())
def test_fold_is_idempotent_and_offsets_are_monotonic(text: str) -> None:
    folded = fold(text)
    assert fold_plain(folded.text) == folded.text
    assert len(folded.origin) == len(folded.text)
    assert list(folded.origin) == sorted(folded.origin)
    assert all(0 <= i < len(text) for i in folded.origin)
