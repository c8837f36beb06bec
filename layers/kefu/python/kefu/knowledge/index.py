"""The search index: BM25 over the published articles' terms, one file that the API function keeps in memory.

An article's terms are counted once, when it is saved (`document_terms`: a title word counts TITLE_BOOST times, a
tag TAG_BOOST times, a body word once, the simple field weighting of BM25F), so building the index is merging those
counts. The index is marshalled and zlib-compressed; loading it is one `marshal.loads`.

Ranking is Okapi BM25 (k1 = 1.2, b = 0.75) with the question's terms weighted: its own words 1.0, the desk's
synonyms 0.5, English typo corrections 0.8. A typo correction is a vocabulary word at one symmetric-delete edit
(a letter left out, added, replaced or two swapped), looked up in a deletion table built on the first question that
needs it; words shorter than four letters are never corrected (too many neighbours).
"""

import heapq
import marshal
import math
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import NamedTuple

from kefu.knowledge import text
from kefu.memo import remembered

FORMAT = 1
TITLE_BOOST = 3
TAG_BOOST = 2
K1 = 1.2
B = 0.75
SYNONYM_WEIGHT = 0.5
TYPO_WEIGHT = 0.8
SNIPPET_CHARS = 160
#: Typo corrections remembered per index: a word and its two corrections, ~200 bytes each.
_CORRECTIONS_KEPT = 4096


def document_terms(title: str, body: str, tags: Iterable[str] = ()) -> dict[str, int]:
    """An article's weighted term counts, stored with it so an index rebuild never segments text again."""
    counts: Counter[str] = Counter()
    for term in text.terms(title):
        counts[term] += TITLE_BOOST
    for tag in tags:
        for term in text.terms(tag):
            counts[term] += TAG_BOOST
    counts.update(text.terms(body))
    return dict(counts)


def snippet_of(body: str) -> str:
    """The first words of a Markdown body as plain text."""
    plain = " ".join(
        line.lstrip("#>*-+ 0123456789.").strip() for line in body.splitlines() if line.strip() and line.strip("-=*_")
    )
    plain = plain.replace("**", "").replace("`", "")
    return plain if len(plain) <= SNIPPET_CHARS else plain[: SNIPPET_CHARS - 1].rstrip() + "…"


class IndexedArticle(NamedTuple):
    """What the index knows of an article: enough to filter and to show a hit without reading the table."""

    id: str
    title: str
    language: str
    category: str
    visibility: str
    snippet: str
    terms: Mapping[str, int]


class Match(NamedTuple):
    id: str
    title: str
    language: str
    category: str
    visibility: str
    snippet: str
    score: float
    matched: tuple[str, ...]


@dataclass
class SearchIndex:
    #: Per article: (id, title, language, category, visibility, snippet).
    docs: list[tuple[str, str, str, str, str, str]] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    #: term → {article position: weighted count}
    postings: dict[str, dict[int, int]] = field(default_factory=dict)
    built_at: str = ""
    _deletes: dict[str, list[str]] | None = field(default=None, repr=False)
    _norm_cache: list[float] | None = field(default=None, repr=False)
    _corrected: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def build(cls, articles: Iterable[IndexedArticle], built_at: str = "") -> "SearchIndex":
        index = cls(built_at=built_at)
        for position, article in enumerate(articles):
            index.docs.append(
                (article.id, article.title, article.language, article.category, article.visibility, article.snippet)
            )
            index.lengths.append(sum(article.terms.values()))
            for term, count in article.terms.items():
                index.postings.setdefault(term, {})[position] = count
        return index

    def __len__(self) -> int:
        return len(self.docs)

    # --- the file ---------------------------------------------------------------------------------------------

    def dumps(self) -> bytes:
        return zlib.compress(marshal.dumps((FORMAT, self.built_at, self.docs, self.lengths, self.postings)), 6)

    @classmethod
    def loads(cls, data: bytes) -> "SearchIndex":
        fmt, built_at, docs, lengths, postings = marshal.loads(zlib.decompress(data))
        if fmt != FORMAT:
            raise ValueError(f"search index format {fmt} is not {FORMAT}")
        return cls(docs=[tuple(doc) for doc in docs], lengths=lengths, postings=postings, built_at=built_at)

    # --- questions --------------------------------------------------------------------------------------------

    def query_weights(self, question: str, question_terms: Sequence[str] | None = None) -> dict[str, float]:
        """The question's terms with their weights: its words, their synonyms, and English typo corrections.
        `question_terms`: the question's `text.terms`, when the caller has them already."""
        weights: dict[str, float] = {}
        for term in text.terms(question) if question_terms is None else question_terms:
            weights[term] = 1.0
        for term in list(weights):
            for other in text.SYNONYMS.get(term, ()):
                weights.setdefault(other, SYNONYM_WEIGHT)
            if term not in self.postings and text.is_english_word(term) and len(term) >= 4:
                for fixed in self._corrections(term):
                    weights.setdefault(fixed, TYPO_WEIGHT)
        return weights

    def search(
        self,
        question: str,
        *,
        languages: frozenset[str] | None = None,
        category: str | None = None,
        public_only: bool = True,
        limit: int = 10,
        prefer_language: str | None = None,
        question_terms: Sequence[str] | None = None,
    ) -> list[Match]:
        weights = self.query_weights(question, question_terms)
        if not weights or not self.docs:
            return []
        count = len(self.docs)
        norms = self._norms()
        scores: dict[int, float] = {}
        for term, weight in weights.items():
            postings = self.postings.get(term)
            if not postings:
                continue
            factor = math.log(1 + (count - len(postings) + 0.5) / (len(postings) + 0.5)) * weight * (K1 + 1)
            for position, tf in postings.items():
                scores[position] = scores.get(position, 0.0) + factor * tf / (tf + norms[position])
        ranked = self._admitted(scores, languages, category, public_only, limit * 4)
        found = []
        for position, score in ranked:
            doc_id, title, language, doc_category, visibility, snippet = self.docs[position]
            if prefer_language is not None and language == prefer_language:
                score *= 1.1  # the reader's own script first, among equals
            matched = tuple(term for term in weights if position in self.postings.get(term, ()))
            found.append(Match(doc_id, title, language, doc_category, visibility, snippet, round(score, 4), matched))
        found.sort(key=lambda match: -match.score)
        return found[:limit]

    def _admitted(
        self,
        scores: dict[int, float],
        languages: frozenset[str] | None,
        category: str | None,
        public_only: bool,
        wanted: int,
    ) -> list[tuple[int, float]]:
        """The best `wanted` scored articles that pass the filters: the top few first, all of them only when the
        filters leave too few of those."""

        def admits(position: int) -> bool:
            _, _, language, doc_category, visibility, _ = self.docs[position]
            return (
                (not public_only or visibility == "public")
                and (languages is None or language in languages)
                and (category is None or doc_category == category)
            )

        by_score = itemgetter(1)
        top = heapq.nlargest(wanted * 4, scores.items(), key=by_score)
        admitted = [entry for entry in top if admits(entry[0])]
        if len(admitted) < wanted and len(top) < len(scores):
            admitted = heapq.nlargest(wanted, (e for e in scores.items() if admits(e[0])), key=by_score)
        return admitted[:wanted]

    def _norms(self) -> list[float]:
        """Per article, BM25's length normalisation k1·(1 - b + b·length/average), computed once per index."""
        if self._norm_cache is None:
            average = (sum(self.lengths) / len(self.lengths) if self.lengths else 0.0) or 1.0
            self._norm_cache = [K1 * (1 - B + B * length / average) for length in self.lengths]
        return self._norm_cache

    def prepare(self) -> "SearchIndex":
        """Do now what the first questions would otherwise pay for: the length normalisation and the typo table (a
        function loads an index once and answers many questions with it). Not the text analyzers' dictionaries
        (kefu.knowledge.text): each loads when a question first needs it, so a function that loads the index in its
        first invocation (a ticket's opening with its suggestions) does not pay jieba's and OpenCC's dictionaries for
        an English question (~515 M instructions, half the boto3 floor's 1,038 M: tests/bench)."""
        self._norms()
        self._corrections("ready")
        return self

    # --- typo tolerance ---------------------------------------------------------------------------------------

    def _corrections(self, term: str) -> tuple[str, ...]:
        """The two most widely used index words one edit away from `term`, remembered per index (which does not change
        once built or loaded): a desk's questions repeat their misspellings and the words the index lacks."""
        return remembered(self._corrected, term, _CORRECTIONS_KEPT, self._corrections_of)

    def _corrections_of(self, term: str) -> tuple[str, ...]:
        if self._deletes is None:
            self._deletes = _deletion_table(word for word in self.postings if text.is_english_word(word))
        found = set(self._deletes.get(term, ()))
        for variant in _deletions(term):
            if variant in self.postings:
                found.add(variant)
            found.update(self._deletes.get(variant, ()))
        found.discard(term)
        # The most widely used neighbours: a rare word one edit away is more often noise than the intended one.
        return tuple(sorted(found, key=lambda word: (-len(self.postings[word]), word))[:2])


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _deletion_table(words: Iterable[str]) -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for word in words:
        if len(word) < 4:
            continue
        for variant in _deletions(word):
            table.setdefault(variant, []).append(word)
    return table
