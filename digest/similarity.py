"""Text similarity for clustering: weighted term vectors over folded text, in any language.

A report becomes a bag of content words: the text folded as the signal engine folds it (case,
accents, Arabic letter forms), function words of English, French and Arabic dropped, the Arabic
article and the English plural stripped, numbers left out (death tolls change between updates of
one story). Words are weighted by sublinear term frequency times inverse document frequency over
the reports being clustered, and vectors are unit length, so a dot product is a cosine.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from itertools import chain

from digest.text import fold_char, fold_plain

Vector = dict[str, float]

TEXT_CHARS = 3000  # enough for a lead paragraph and more; long articles add cost, not signal
TITLE_WEIGHT = 2  # a word of the title counts as if written twice

_LETTER = re.compile(r"[^\W\d_]")  # a letter, of any script (no digit, no underscore)
_ARABIC_ARTICLES = ("وال", "بال", "فال", "كال", "لل", "ال")
_STOPWORDS = frozenset(
    fold_plain(word)
    for word in """
    a about after again against all also an and any are as at be because been before being but
    by can could did do does during each few for from further had has have having he her here
    hers him his how i if in into is it its just me more most my new no nor not now of off on
    once only or other our out over own same says said say she should so some such than that the
    their them then there these they this those through to too under until up us very was we
    were what when where which while who whom why will with would you your

    au aux avec ce ces cet cette dans de des du elle elles en est et été etre être il ils je la
    le les leur leurs lui ma mais me meme même mes moi mon ne nos notre nous on ont ou où par pas
    pour qu que qui sa se selon ses son sont sur ta te tes toi ton tu un une vos votre vous ete
    apres après avant contre entre sans sous vers plus ainsi alors aussi deux trois

    في من على الى إلى عن ان أن إن التي الذي الذين مع بعد قبل هذا هذه ذلك تلك كان كانت قد لا ما
    لم لن او أو ثم حتى عند عندما كما بين منذ خلال حيث هو هي هم كل وقال قال وقالت قالت اليوم امس أمس
    """.split()
)


def terms(title: str, text: str) -> dict[str, int]:
    """Content words of a report and how often they occur (title words count TITLE_WEIGHT times),
    in order of first occurrence, the text's before the title's."""
    known = _TERM_OF
    if len(known) > _TERMS_KEPT:  # a service reads for months: the cache starts again
        known.clear()
    counts: dict[str, int] = {}
    if text:  # every word mapped to its term and counted in C
        counts = Counter(map(known.__getitem__, _words(text[:TEXT_CHARS])))
    for term in map(known.__getitem__, _words(title)):
        counts[term] = counts.get(term, 0) + TITLE_WEIGHT
    counts.pop("", None)  # the stopwords and single letters
    return counts


def _words(text: str) -> list[str]:
    """The runs of letters of the folded text, read in one pass of C (see _LetterRuns)."""
    return text.translate(_LETTER_RUNS).split()


class _LetterRuns(dict[int, str]):
    """A character's code -> the character folded as digest.text folds it (character by
    character), its letters kept and anything else turned to a space; each worked out once.
    A text translated with it and split gives the runs of letters of the folded text, in one
    pass of C instead of folding, then finding words (a test checks that both agree)."""

    def __missing__(self, code: int) -> str:
        folded = fold_char(chr(code))
        runs = self[code] = "".join(c if _LETTER.fullmatch(c) else " " for c in folded)
        return runs


_LETTER_RUNS = _LetterRuns()


class _Terms(dict[str, str]):
    """A word as it was read -> its term ("" for a stopword or a single letter), each worked out
    once."""

    def __missing__(self, word: str) -> str:
        term = self[word] = _term(word)
        return term


_TERM_OF = _Terms()
_TERMS_KEPT = 500_000


def _term(word: str) -> str:
    """The word as a term: no Arabic article, no English plural s; "" for a stopword or a single
    letter."""
    if len(word) < 2 or word in _STOPWORDS:
        return ""
    if "\u0600" <= word[0] <= "\u06ff":
        for article in _ARABIC_ARTICLES:
            if word.startswith(article) and len(word) - len(article) >= 3:
                word = word[len(article) :]
                break
    elif len(word) > 3 and word[-1] == "s" and word[-2] != "s":
        word = word[:-1]
    return "" if word in _STOPWORDS else word


# 1 + log tf for the small counts nearly every word has, worked out once
_TF_KEPT = 64
_TF = [1.0, 1.0, *(1.0 + math.log(count) for count in range(2, _TF_KEPT))]


class Frequencies:
    """Inverse document frequency of each word over a set of reports."""

    def __init__(self, documents: Iterable[Mapping[str, int]] = ()) -> None:
        read = list(documents)
        counts = Counter(chain.from_iterable(read))  # in how many documents each word is
        total = len(read) + 1
        idf = {word: math.log(total / (count + 0.5)) for word, count in counts.items()}
        self._idf = _Idf(idf, math.log(total / 0.5))
        self.documents = total - 1

    def vector(self, counts: Mapping[str, int]) -> Vector:
        """The unit vector of a report's words, weighted (1 + log tf) * idf."""
        idf, tf, kept = self._idf, _TF, _TF_KEPT
        vector = {
            word: (tf[count] if count < kept else 1.0 + math.log(count)) * idf[word]
            for word, count in counts.items()
        }
        norm = math.sqrt(sum([w * w for w in vector.values()]))
        if not norm:
            return {}
        for word, weight in vector.items():  # to unit length, in place
            vector[word] = weight / norm
        return vector


class _Idf(dict[str, float]):
    """Inverse document frequency of each word read, and `unseen` for any other."""

    __slots__ = ("unseen",)

    def __init__(self, idf: Mapping[str, float], unseen: float) -> None:
        super().__init__(idf)
        self.unseen = unseen

    def __missing__(self, word: str) -> float:
        return self.unseen


def dot(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """The dot product, summed in the smaller vector's word order (not a set's, whose order
    changes with the hash seed), so that every run gives the same figures to the last bit."""
    if len(a) > len(b):
        a, b = b, a
    return sum([a[word] * b[word] for word in a if word in b])


def strongest(vector: Mapping[str, float], count: int) -> list[str]:
    """The `count` words of highest weight (of equals, the first in the vector's order)."""
    return sorted(vector, key=vector.__getitem__, reverse=True)[:count]


def shared(a: Mapping[str, float], b: Mapping[str, float], count: int = 4) -> list[str]:
    """The words that contribute most to the similarity of a and b."""
    common = {word: weight * b[word] for word, weight in a.items() if word in b}
    return strongest(common, count)
