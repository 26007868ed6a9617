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

from digest.text import fold_plain

Vector = dict[str, float]

TEXT_CHARS = 3000  # enough for a lead paragraph and more; long articles add cost, not signal
TITLE_WEIGHT = 2  # a word of the title counts as if written twice

_WORD = re.compile(r"[^\W\d_]{2,}")
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


def terms(title: str, text: str) -> Counter[str]:
    """Content words of a report and how often they occur (title words count TITLE_WEIGHT times)."""
    counts: Counter[str] = Counter()
    if text:  # each distinct word looked up once
        _count(Counter(_WORD.findall(fold_plain(text[:TEXT_CHARS]))).items(), counts)
    _count(((word, TITLE_WEIGHT) for word in _WORD.findall(fold_plain(title))), counts)
    return counts


def _count(words: Iterable[tuple[str, int]], counts: Counter[str]) -> None:
    """Add the words' numbers to their terms' counts, in order of first occurrence."""
    known = _TERM_OF
    if len(known) > _TERMS_KEPT:  # a service reads for months: the cache starts again
        known.clear()
    for word, number in words:
        term = known.get(word)
        if term is None and word not in known:
            term = known[word] = _term(word)
        if term is not None:
            counts[term] += number


_TERM_OF: dict[str, str | None] = {}  # a word as it was read -> its term (None: a stopword)
_TERMS_KEPT = 500_000


def _term(word: str) -> str | None:
    """The word as a term: no Arabic article, no English plural s; None for a stopword."""
    if word in _STOPWORDS:
        return None
    if "\u0600" <= word[0] <= "\u06ff":
        for article in _ARABIC_ARTICLES:
            if word.startswith(article) and len(word) - len(article) >= 3:
                word = word[len(article) :]
                break
    elif len(word) > 3 and word[-1] == "s" and word[-2] != "s":
        word = word[:-1]
    return None if word in _STOPWORDS else word


# 1 + log tf for the small counts nearly every word has, worked out once
_TF_KEPT = 64
_TF = [1.0, 1.0, *(1.0 + math.log(count) for count in range(2, _TF_KEPT))]


class Frequencies:
    """Inverse document frequency of each word over a set of reports."""

    def __init__(self, documents: Iterable[Mapping[str, int]] = ()) -> None:
        counts: Counter[str] = Counter()
        total = 1
        for document in documents:
            counts.update(document.keys())
            total += 1
        self._idf = {word: math.log(total / (count + 0.5)) for word, count in counts.items()}
        self._unseen = math.log(total / 0.5)
        self.documents = total - 1

    def vector(self, counts: Mapping[str, int]) -> Vector:
        """The unit vector of a report's words, weighted (1 + log tf) * idf."""
        idf, unseen, tf = self._idf, self._unseen, _TF
        weights = {
            word: (tf[count] if count < _TF_KEPT else 1.0 + math.log(count)) * idf.get(word, unseen)
            for word, count in counts.items()
        }
        norm = math.sqrt(sum([w * w for w in weights.values()]))
        if not norm:
            return {}
        return {word: w / norm for word, w in weights.items()}


def dot(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """The dot product, summed in the smaller vector's word order (not a set's, whose order
    changes with the hash seed), so that every run gives the same figures to the last bit."""
    if len(a) > len(b):
        a, b = b, a
    common = a.keys() & b.keys()  # in C: the loop below looks only in this small set
    return sum([a[word] * b[word] for word in a if word in common])


def strongest(vector: Mapping[str, float], count: int) -> list[str]:
    """The `count` words of highest weight (of equals, the first in the vector's order)."""
    return sorted(vector, key=vector.__getitem__, reverse=True)[:count]


def shared(a: Mapping[str, float], b: Mapping[str, float], count: int = 4) -> list[str]:
    """The words that contribute most to the similarity of a and b."""
    common = {word: weight * b[word] for word, weight in a.items() if word in b}
    return strongest(common, count)
