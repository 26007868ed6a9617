from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from digest.text import ARABIC_CLITICS, _fold_each, fold, fold_char, fold_plain


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
    indexes = [folded.original_index(i) for i in range(len(folded.text))]
    assert indexes == sorted(indexes)
    assert all(0 <= i < len(text) for i in indexes)
    for i, index in enumerate(indexes):
        assert folded.text[i] in fold_char(text[index])


ALPHABETS = st.text(
    st.sampled_from(
        list("abcdefABCDEF éèçÀÂœÆßİ’‘–—-.,:;()«»0123456789\n")
        + list("ابتثجحخدذرسشصضطظعغفقكلمنهويةىأإآؤئءـًٌٍَُِّْ٠١٢٣٤٥٦٧٨٩،؛؟")
        + ["\u200f", "\u200c", "ﻻ", "ﬁ", "Ａ", "😀"]
    )
)


@given(ALPHABETS)
def test_the_fast_path_folds_exactly_like_the_character_path(text: str) -> None:
    fast, slow = fold(text), _fold_each(text)
    assert fast.text == slow.text
    for i in range(len(slow.text)):
        assert fast.original_index(i) == slow.original_index(i)


@given(ALPHABETS, ALPHABETS)
def test_the_folded_length_of_a_prefix_is_its_own_folded_length(title: str, text: str) -> None:
    folded = fold(f"{title}\n{text}")
    assert folded.folded_length(len(title)) == len(fold_plain(title))
    assert _fold_each(f"{title}\n{text}").folded_length(len(title)) == len(fold_plain(title))


@given(st.text(st.characters(max_codepoint=127)))
def test_ascii_folds_exactly_like_the_character_path(text: str) -> None:
    fast, slow = fold(text), _fold_each(text)
    assert fast.text == slow.text
    assert [fast.original_index(i) for i in range(len(slow.text))] == list(slow.origin or ())
