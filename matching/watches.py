"""The percolator: new or changed items scored against every open watch at once.

A *watch* is a saved demand (its text, a demand id, or a technology id) with a threshold; after
each load, the equipment, patents, technologies, pitches and organisations that are new or whose
text changed are scored against every open watch, and a match at or above the watch's
threshold is an alert. Search engines' percolators run stored queries against new documents but
cannot run vector queries; here the stored queries are vectors, so one load of N items against
W watches is one matrix product (N × d)·(d × W), taken a slice of items at a time.

Scores are those of supplier search (:mod:`matching.engine`): the cosine of an item's vector with
the query vector, standardised per query — (cosine − mean) / std over the fixed sample of items
the engine's ``dense_item`` part uses — so a threshold of 2.0 means "two standard deviations
above a typical item" on every query and every model. The score has one part, ``dense_item``;
the raw cosine travels in the evidence.

Clearance: items come from the engine's read model at the watch owner's clearance
(``engine.profiles(level)``), pitches through :func:`graph.clearance.is_visible`; an item the
owner may not see is never a candidate, so it is never alerted.

Examples
--------
>>> import numpy as np
>>> items = np.eye(3, dtype=np.float32)
>>> queries = np.array([[1, 0, 0], [0, 0.6, 0.8]], np.float32)
>>> w, i, s = percolate_vectors(items, queries, np.array([0.5, 0.7], np.float32))
>>> [(a, b, round(c, 2)) for a, b, c in zip(w.tolist(), i.tolist(), s.tolist())]
[(0, 0, 1.0), (1, 2, 0.8)]

Notes
-----
O(N · W · d) multiply–adds in BLAS, memory O(chunk · W) for the score slice; the loop peer
(:func:`percolate_loop_vectors`, one query at a time) does the same arithmetic as W
matrix–vector products and is what ``benchmarks/bench_percolate.py`` compares against.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from graph.clearance import is_visible
from graph.errors import InvalidRequest
from graph.model import Label, Node, Rel
from graph.store import GraphStore
from graph.taxonomy import field_ancestors
from matching.embedders import content_key

__all__ = [
    "DEFAULT_THRESHOLD",
    "ITEM_KIND_LABEL",
    "RATES",
    "WATCH_LABELS",
    "Candidate",
    "Match",
    "Percolator",
    "Rate",
    "WatchQuery",
    "is_valid_match",
    "percolate_loop_vectors",
    "percolate_vectors",
    "query_stats_vectors",
    "watch_query_text",
]

Matrix = NDArray[np.float32]
Rate = Literal["immediate", "daily", "weekly"]
RATES: tuple[str, ...] = ("immediate", "daily", "weekly")
DEFAULT_THRESHOLD = 2.0  # standard deviations above a typical item (≈ the top 2–3 % on the demo)
WATCH_LABELS: tuple[str, ...] = (
    Label.EQUIPMENT, Label.PATENT, Label.TECHNOLOGY, Label.PITCH, Label.ORGANIZATION,
)
ITEM_KIND_LABEL: dict[str, str] = {
    "description": Label.ORGANIZATION,
    "equipment": Label.EQUIPMENT,
    "patent": Label.PATENT,
    "technology": Label.TECHNOLOGY,
    "pitch": Label.PITCH,
}
LABEL_ZH: dict[str, str] = {
    Label.ORGANIZATION: "单位", Label.EQUIPMENT: "装备", Label.PATENT: "专利",
    Label.TECHNOLOGY: "技术", Label.PITCH: "路演项目",
}
CHUNK = 8192  # item rows scored per slice: 8192 × 10k watches × 4 bytes = 328 MB at most


# ---- the pure functions -----------------------------------------------------------------


def percolate_vectors(
    items: Matrix, queries: Matrix, thresholds: NDArray[np.float32], *, chunk: int = CHUNK
) -> tuple[NDArray[np.int64], NDArray[np.int64], Matrix]:
    """Every (query, item) pair whose dot product is at least the query's threshold.

    ``items`` (N × d) and ``queries`` (W × d) are normalised rows; ``thresholds`` has one value
    per query (in dot-product units). Returns ``(query rows, item rows, scores)`` sorted by
    query row, then item row. One matrix product per slice of ``chunk`` items.
    """
    q = np.ascontiguousarray(np.atleast_2d(queries), np.float32)
    m = np.ascontiguousarray(np.atleast_2d(items), np.float32)
    thr = np.asarray(thresholds, np.float32).reshape(1, -1)
    if thr.shape[1] != q.shape[0]:
        raise ValueError(f"{thr.shape[1]} thresholds for {q.shape[0]} queries")
    ws: list[NDArray[np.int64]] = []
    its: list[NDArray[np.int64]] = []
    ss: list[Matrix] = []
    if q.shape[0] and m.shape[0]:
        qt = np.ascontiguousarray(q.T)
        for start in range(0, m.shape[0], max(1, chunk)):
            block = m[start : start + chunk] @ qt  # (chunk × W): the one product
            rows, cols = np.nonzero(block >= thr)
            if rows.size:
                ws.append(cols.astype(np.int64))
                its.append(rows.astype(np.int64) + start)
                ss.append(block[rows, cols].astype(np.float32))
    if not ws:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    w, i, s = np.concatenate(ws), np.concatenate(its), np.concatenate(ss)
    order = np.lexsort((i, w))
    return w[order], i[order], s[order]


def percolate_loop_vectors(
    items: Matrix, queries: Matrix, thresholds: NDArray[np.float32]
) -> tuple[NDArray[np.int64], NDArray[np.int64], Matrix]:
    """The peer of :func:`percolate_vectors`: one query at a time (W matrix–vector products).
    Same result; used as the oracle in tests and the baseline in the benchmark."""
    ws: list[int] = []
    its: list[int] = []
    ss: list[float] = []
    m = np.asarray(items, np.float32)
    for w, (qv, t) in enumerate(zip(np.atleast_2d(queries), thresholds, strict=True)):
        if not m.shape[0]:
            break
        sc = m @ np.asarray(qv, np.float32)
        for i in np.flatnonzero(sc >= np.float32(t)):
            ws.append(w)
            its.append(int(i))
            ss.append(float(sc[i]))
    return np.asarray(ws, np.int64), np.asarray(its, np.int64), np.asarray(ss, np.float32)


def query_stats_vectors(sample: Matrix, queries: Matrix) -> tuple[Matrix, Matrix]:
    """``(mean, std)`` of each query's dot products with a sample of items (std floored at
    1e-6, as the engine does), for turning a standardised threshold into a cosine."""
    q = np.atleast_2d(np.asarray(queries, np.float32))
    if sample.shape[0] == 0:
        return np.zeros(q.shape[0], np.float32), np.ones(q.shape[0], np.float32)
    sims = np.asarray(sample, np.float32) @ q.T  # (S × W)
    mean = sims.mean(axis=0).astype(np.float32)
    std = sims.std(axis=0).astype(np.float32)
    return mean, np.where(std > 1e-6, std, 1.0).astype(np.float32)


# ---- watches and candidates ----------------------------------------------------------------


@dataclass(frozen=True)
class WatchQuery:
    """What the percolator needs of a watch: its id, query text, filters and threshold."""

    id: str
    text: str
    threshold: float = DEFAULT_THRESHOLD
    field: str | None = None  # a Field id: items in that subtree only
    labels: tuple[str, ...] = WATCH_LABELS
    exclude: frozenset[str] = frozenset()  # item ids never alerted (the watched node itself)


@dataclass(frozen=True)
class Candidate:
    """One item that can be alerted: its node id, label, name, embedded text, owners."""

    id: str
    label: str
    name: str
    text: str
    field: str | None = None
    owners: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """Content key of what is scored: a change of text (or of label) makes a new key."""
        return content_key(f"{self.label}\x00{self.text}")


@dataclass(frozen=True)
class Match:
    """One alert-to-be: a watch, the item, the standardised score, its parts and evidence."""

    watch: str
    item: Candidate
    score: float
    cosine: float
    parts: Mapping[str, float] = field(default_factory=dict)
    evidence: list[dict[str, Any]] = field(default_factory=list)


def is_valid_match(match: Match, query: WatchQuery) -> list[str]:
    """Every reason ``match`` should not have been made for ``query`` (empty when fine)."""
    out: list[str] = []
    if match.watch != query.id:
        out.append(f"match for {match.watch} checked against watch {query.id}")
    if match.score < query.threshold - 1e-4:
        out.append(f"score {match.score:.4f} below threshold {query.threshold}")
    if match.item.label not in query.labels:
        out.append(f"label {match.item.label} not watched")
    if match.item.id in query.exclude:
        out.append(f"{match.item.id} is the watched node itself")
    if query.field and not (match.item.field and query.field in field_ancestors(match.item.field)):
        out.append(f"{match.item.id} is outside field {query.field}")
    if abs(sum(match.parts.values()) - match.score) > 1e-4:
        out.append("parts do not add up to the score")
    return out


def _pitch_candidates(store: GraphStore, clearance: str) -> list[Candidate]:
    presenters: dict[str, list[str]] = {}
    for e in store.edges(Rel.PRESENTS):
        presenters.setdefault(e.target, []).append(e.source)
    out = []
    for node in store.nodes(Label.PITCH):
        if not is_visible(node, clearance):
            continue
        text = "。".join(str(p).strip() for p in (node.title, node.get("summary")) if p)
        fid = node.get("field")
        out.append(Candidate(node.id, Label.PITCH, node.title, text,
                             str(fid) if fid else None, tuple(sorted(presenters.get(node.id, ())))))
    return out


class Percolator:
    """Scores candidates against watches with a :class:`~matching.engine.MatchingEngine`'s
    embedder and read model, one clearance level at a time."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self._pitch_vectors: dict[str, Matrix] = {}

    # ---- what can be alerted ----------------------------------------------------------

    def candidates(self, clearance: str) -> tuple[list[Candidate], Matrix, Matrix]:
        """``(candidates, their vectors, the item sample)`` visible at ``clearance``."""
        p = self.engine.profiles(clearance)
        owners: dict[int, list[str]] = {}
        for org_row, org in enumerate(p.corpus.orgs):
            for r in p.item_rows_of(org_row).tolist():
                owners.setdefault(int(r), []).append(org.id)
        cands: list[Candidate] = []
        for r, it in enumerate(p.corpus.items):
            label = ITEM_KIND_LABEL.get(it.kind, it.kind)
            own = () if it.kind == "description" else tuple(sorted(owners.get(r, ())))
            cands.append(Candidate(it.id, label, it.title, it.text, it.field, own))
        vectors = np.asarray(p.item_vectors, np.float32)
        pitches = _pitch_candidates(self.engine.store, clearance)
        if pitches:
            vectors = np.vstack([vectors, self._embed_pitches(pitches)]).astype(np.float32)
            cands.extend(pitches)
        return cands, vectors, np.asarray(p.item_sample_vectors, np.float32)

    def _embed_pitches(self, pitches: Sequence[Candidate]) -> Matrix:
        todo = list(dict.fromkeys(c.text for c in pitches if c.key not in self._pitch_vectors))
        if todo:
            vecs = self.engine.embedder.embed_documents(todo)
            for text, v in zip(todo, vecs, strict=True):
                self._pitch_vectors[Candidate("", Label.PITCH, "", text).key] = v
        return np.stack([self._pitch_vectors[c.key] for c in pitches]).astype(np.float32)

    # ---- scoring ------------------------------------------------------------------------

    def query_vectors(self, texts: Sequence[str]) -> Matrix:
        """Query vectors of these texts, embedded in one batch."""
        if not texts:
            return np.zeros((0, int(self.engine.embedder.dim)), np.float32)
        self.engine.prime_queries(list(texts))
        return np.stack([self.engine.embed_query(t) for t in texts]).astype(np.float32)

    def score(
        self,
        watches: Sequence[WatchQuery],
        clearance: str,
        *,
        only: Iterable[str] | None = None,
        vectors: Matrix | None = None,
        names: Mapping[str, str] | None = None,
    ) -> list[Match]:
        """Matches of ``watches`` against the candidates at ``clearance`` (``only`` these item
        ids when given: the new or changed ones). ``vectors`` are the watches' query vectors
        (embedded here when absent); ``names`` the owners' names for the evidence."""
        if not watches:
            return []
        cands, item_vecs, sample = self.candidates(clearance)
        if only is not None:
            keep = set(only)
            rows = [r for r, c in enumerate(cands) if c.id in keep]
            cands = [cands[r] for r in rows]
            item_vecs = item_vecs[rows] if rows else item_vecs[:0]
        q = vectors if vectors is not None else self.query_vectors([w.text for w in watches])
        mean, std = query_stats_vectors(sample, q)
        z = np.asarray([w.threshold for w in watches], np.float32)
        w_rows, i_rows, cos = percolate_vectors(item_vecs, q, mean + z * std)
        kept: list[tuple[int, int, float]] = []
        for w, i, c in zip(w_rows.tolist(), i_rows.tolist(), cos.tolist(), strict=True):
            watch, item = watches[w], cands[i]
            if item.label not in watch.labels or item.id in watch.exclude:
                continue
            if watch.field and not (item.field and watch.field in field_ancestors(item.field)):
                continue
            kept.append((w, i, c))
        org_names = dict(names or {})
        missing = {o for _, i, _ in kept for o in cands[i].owners if o not in org_names}
        if missing:  # only the owners of what matched are read
            org_names.update({n.id: n.title for n in self.engine.store.get_many(sorted(missing))})
        out: list[Match] = []
        for w, i, c in kept:
            s = (c - float(mean[w])) / float(std[w])
            out.append(Match(watches[w].id, cands[i], s, c, {"dense_item": s},
                             _evidence(cands[i], c, org_names)))
        return out

    def share(self, watch: WatchQuery, clearance: str) -> tuple[int, int]:
        """``(items at or above the threshold, items watched)`` over everything visible now:
        the figure behind refusing a watch that would alert on nearly everything."""
        cands, vecs, sample = self.candidates(clearance)
        rows = [r for r, c in enumerate(cands) if c.label in watch.labels
                and c.id not in watch.exclude
                and (not watch.field or (c.field and watch.field in field_ancestors(c.field)))]
        if not rows:
            return 0, 0
        q = self.query_vectors([watch.text])
        mean, std = query_stats_vectors(sample, q)
        sims = vecs[rows] @ q[0]
        return int(np.count_nonzero(sims >= mean[0] + watch.threshold * std[0])), len(rows)

    def keys(self, clearance: str) -> dict[str, str]:
        """Item id → content key for everything visible at ``clearance`` (the snapshot that
        tells the next load what is new or changed). Embeds nothing new beyond the read model."""
        p = self.engine.profiles(clearance)
        out = {it.id: Candidate(it.id, ITEM_KIND_LABEL.get(it.kind, it.kind), it.title,
                                it.text).key for it in p.corpus.items}
        for c in _pitch_candidates(self.engine.store, clearance):
            out[c.id] = c.key
        return out


def _evidence(item: Candidate, cosine: float, names: Mapping[str, str]) -> list[dict[str, Any]]:
    kind = {v: k for k, v in ITEM_KIND_LABEL.items()}.get(item.label, item.label.lower())
    out: list[dict[str, Any]] = [
        {"kind": kind, "id": item.id, "text": f"{LABEL_ZH.get(item.label, item.label)}：{item.name}",
         "score": round(cosine, 4)},
    ]
    for org in item.owners[:3]:
        out.append({"kind": "owner", "id": org, "text": f"所属单位 owner：{names.get(org, org)}",
                    "score": 0.0})
    if item.field:
        out.append({"kind": "field", "id": item.field, "text": f"领域 field：{item.field}",
                    "score": 0.0})
    return out


def watch_query_text(store: GraphStore, *, text: str | None, demand: str | None,
                     technology: str | None, clearance: str) -> tuple[str, str | None, Node | None]:
    """The query text (and field) of a watch given as text, a demand id or a technology id, as
    a caller with ``clearance`` sees it; a node above that clearance is like a missing one.
    Returns ``(text, field, node)``."""
    given = [x for x in (text, demand, technology) if x]
    if len(given) != 1:
        raise InvalidRequest(
            "给出 --text、--demand 或 --technology 之一 / give exactly one of text, demand or "
            "technology", field="text")
    if text:
        if not text.strip():
            raise InvalidRequest("需求描述为空 / empty text", field="text")
        return text.strip(), None, None
    node_id = str(demand or technology)
    want = Label.DEMAND if demand else Label.TECHNOLOGY
    fname = "demand" if demand else "technology"
    found = store.get_many([node_id])
    node = found[0] if found else None
    parent: Node | None = None
    if node is not None and node.label == Label.DEMAND:
        ups = [e.source for e in store.edges_of(node.id, rel=Rel.NEEDS, direction="in")]
        parents = store.get_many(ups[:1])
        parent = parents[0] if parents else None
    if node is None or not is_visible(node, clearance, parent=parent):
        raise InvalidRequest(f"节点不存在 / no node with id {node_id!r}", field=fname)
    if node.label != want:
        raise InvalidRequest(f"{node_id} 是 {node.label}，不是 {want} / is a {node.label}, "
                             f"not a {want}", field=fname)
    body = node.get("text") if demand else "。".join(
        str(p) for p in (node.title, node.get("description")) if p)
    fid = node.get("field")
    return str(body or node.title), (str(fid) if fid else None), node
