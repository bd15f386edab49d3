"""Supplier examples from the graph itself and from feedback, and the supplier report.

Self-supervised examples: every ``MAKES`` edge (manufacturer → equipment) is a solved demand.
Hide it and query with the equipment's own text (its name and description, as a project owner
would describe what they need); the hidden maker is the answer and every other manufacturer is
a negative — those of the same field are the hard ones, and they are all there, since each
query ranks every manufacturer. Queries are split into folds; each fold's features come from a
view of the store without that fold's hidden edges (:class:`HiddenEdges`), so the hidden
product is absent from the maker's profile vector, profile text, lexical statistics, fields
and catalogue flags. Equipment whose every maker is hidden drops out of the corpus entirely.

Feedback rows (``POST /api/feedback`` → ``feedback.csv``) are examples too: each accepted or
rejected pair is one row, grouped by its query.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from graph.errors import NodeNotFound
from graph.model import Edge, Label, Node, Rel
from graph.store import GraphStore
from matching.embedders import Embedder
from matching.engine import EXTRA_FEATURES, SUPPLIER_KINDS, MatchingEngine
from matching.learn.dataset import RankingSet
from matching.scoring import FEATURES, FeedbackRow

__all__ = [
    "SUPPLIER_FEATURES",
    "HiddenEdges",
    "SupplierExample",
    "feedback_set",
    "hidden_supplier_examples",
    "supplier_examples_set",
]

# Learned from: every engine feature but the policy option ``local`` and ``proximity`` (a
# hidden product has no project, so the graph part cannot be learnt from it).
SUPPLIER_FEATURES = tuple(f for f in (*FEATURES, *EXTRA_FEATURES)
                          if f not in ("local", "proximity"))


class HiddenEdges:
    """A read-only view of a store without some edges (and a version of its own)."""

    def __init__(self, store: GraphStore, hidden: Iterable[tuple[str, str, str]]) -> None:
        self._store = store
        self._hidden = frozenset(hidden)
        self._version = hash((store.version(), self._hidden)) & 0x7FFFFFFF

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def version(self) -> int:
        return self._version

    def _keep(self, e: Edge) -> bool:
        return (e.source, e.type, e.target) not in self._hidden

    def edges(self, rel: str | None = None) -> Iterator[Edge]:
        return (e for e in self._store.edges(rel) if self._keep(e))

    def edges_of(self, node_id: str, *args: Any, **kwargs: Any) -> list[Edge]:
        return [e for e in self._store.edges_of(node_id, *args, **kwargs) if self._keep(e)]

    def neighbours(self, node_id: str, *args: Any, **kwargs: Any) -> list[Node]:
        rel = kwargs.get("rel")
        keep = {e.target if e.source == node_id else e.source
                for e in self.edges_of(node_id, rel=rel, direction="both")}
        return [n for n in self._store.neighbours(node_id, *args, **kwargs) if n.id in keep]


@dataclass(frozen=True)
class SupplierExample:
    """One hidden ``MAKES`` edge: query ``text`` (the product's), recover ``answer``."""

    equipment: str
    text: str
    answer: str


def hidden_supplier_examples(
    store: GraphStore, *, max_queries: int = 2000, seed: int = 0
) -> list[SupplierExample]:
    """Up to ``max_queries`` (maker, equipment) edges whose maker is a manufacturer, at random."""
    makers = {o.id for o in store.nodes(Label.ORGANIZATION)
              if "manufacturer" in _kinds(o)}
    edges = [e for e in store.edges(Rel.MAKES) if e.source in makers]
    rng = np.random.default_rng(seed)
    picked = [edges[i] for i in sorted(rng.permutation(len(edges))[:max_queries].tolist())]
    nodes = {n.id: n for n in store.get_many(sorted({e.target for e in picked}))}
    out: list[SupplierExample] = []
    for e in picked:
        node = nodes.get(e.target)
        if node is None:
            continue
        text = "。".join(str(x) for x in (node.title, node.get("description")) if x)
        if text.strip():
            out.append(SupplierExample(e.target, text, e.source))
    return out


def _kinds(node: Node) -> list[str]:
    value = node.get("kinds") or node.get("kind") or []
    return [k for k in (value.split(";") if isinstance(value, str) else value) if k]


def supplier_examples_set(
    store: GraphStore,
    embedder: Embedder,
    examples: Sequence[SupplierExample],
    *,
    folds: int = 4,
    candidates: int = 0,
    progress: Callable[[int], None] | None = None,
) -> RankingSet:
    """The :class:`RankingSet` of these examples (leakage-free, see the module doc).
    ``candidates`` > 0 keeps the engine's top ``candidates`` manufacturers per query (hard
    negatives, what a search would show) and the hidden maker; 0 keeps them all."""
    groups: list[tuple[NDArray[np.float64], NDArray[np.int64], str, bool]] = []
    done = 0
    k = max(folds, 1)
    for f in range(k):
        fold = list(examples[f::k])
        if not fold:
            continue
        view = HiddenEdges(store, [(e.answer, Rel.MAKES, e.equipment) for e in fold])
        engine = MatchingEngine(view, embedder, weights=None)
        engine.use_model(None)
        p = engine.profiles()
        ids = [o.id for o in p.corpus.orgs if o.kinds & set(SUPPLIER_KINDS)]
        engine.prime_queries([e.text for e in fold])
        for e in fold:
            if candidates > 0 and len(ids) > candidates:  # the engine's own candidates
                cand, feats = engine.candidate_features(e.text, candidates=candidates,
                                                        must=[e.answer])
            else:
                cand = ids
                feats = engine.features(e.text, cand, kinds=SUPPLIER_KINDS)
            x = np.column_stack([feats[n] for n in SUPPLIER_FEATURES]).astype(np.float64)
            y = np.array([i == e.answer for i in cand], np.int64)
            groups.append((x, y, f"{e.equipment}|{e.answer}", False))
            done += 1
            if progress:
                progress(done)
    return RankingSet.from_groups("suppliers", SUPPLIER_FEATURES, groups)


def feedback_set(engine: MatchingEngine, rows: Sequence[FeedbackRow]) -> RankingSet:
    """Feedback rows as examples: rows of one query (text or demand) form one group; a group
    needs an accepted and a rejected row to count. Raises ``NodeNotFound`` for an unknown
    demand."""
    by_query: dict[tuple[str | None, str | None], list[FeedbackRow]] = {}
    for row in rows:
        by_query.setdefault((row.text, row.demand), []).append(row)
    groups: list[tuple[NDArray[np.float64], NDArray[np.int64], str, bool]] = []
    for (text, demand), rs in by_query.items():
        field = None
        if demand:
            node = engine.store.get(demand)
            if node is None:
                raise NodeNotFound(demand)
            text = text or str(node.get("text") or "")
            field = node.get("field")
        feats = engine.features(str(text), [r.org for r in rs], field=field,
                                kinds=SUPPLIER_KINDS)
        x = np.column_stack([feats[n] for n in SUPPLIER_FEATURES]).astype(np.float64)
        y = np.array([int(r.accepted) for r in rs], np.int64)
        groups.append((x, y, str(demand or text), False))
    return RankingSet.from_groups("suppliers", SUPPLIER_FEATURES, groups)


SUPPLIER_PEERS = {"dense_org": "dense", "lexical": "lexical", "dense_item": "dense_item"}
# Kept at their documented default weight, never fitted on hidden edges: hiding a product also
# takes its field and its catalogue / insurance flag from its maker (that is what leakage-free
# means), so on these examples the answer would always look *worse* on them, and a fit would
# learn to penalise the right answer. Feedback rows carry no such bias, but are too few to
# fit them alone; they stay fixed until there are.
FIXED_SUPPLIER = ("field", "catalogue", "insured", "field_text")
# The anchor keeps its default weight and the others are learned relative to it: a hidden
# product's own text shares its maker's wording, so these examples cannot measure what the
# profile's meaning is for (paraphrases, English demands), and a fit from them alone zeroed it
# (suppliers_en MRR 0.806 with that model, against 0.966 with the defaults).
ANCHOR_SUPPLIER = "dense_org"


def train_suppliers(
    store: GraphStore,
    embedder: Embedder,
    *,
    max_queries: int = 2000,
    folds: int = 4,
    candidates: int = 0,
    feedback: RankingSet | None = None,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> tuple[Any, dict[str, Any]]:
    """Fit the supplier model from hidden ``MAKES`` edges (and feedback examples, if given):
    two learners (coordinate ascent from the default weights; pairwise logistic regression)
    fitted on 75% of the queries, the better one on the other 25% kept, calibrated there.
    Returns ``(model, report)``; the report holds the held-out figures of the model, the
    default weights and the single signals, measured in this same run. The fixed parts
    (:data:`FIXED_SUPPLIER`) are zero in every hidden-edge example: they keep their default
    weight and are left out of the comparison, which is then one of the similarity parts; the
    anchor (:data:`ANCHOR_SUPPLIER`) keeps its default weight, the others are learned beside it."""
    from matching.learn.linear import (
        LinearRanker,
        fit_calibration,
        fit_coordinate_ascent,
        fit_linear_ranker,
        rank_metrics,
    )
    from matching.scoring import DEFAULT_WEIGHTS

    examples = hidden_supplier_examples(store, max_queries=max_queries, seed=seed)
    data = supplier_examples_set(store, embedder, examples, folds=folds, candidates=candidates,
                                 progress=progress)
    if data.n_groups < 4:
        from graph.errors import InvalidRequest

        raise InvalidRequest(
            f"only {data.n_groups} products with a manufacturer to learn from / 可学习的产品太少",
            field="store")
    # the fixed parts take no part in the fit nor in the held-out comparison (see FIXED_SUPPLIER)
    x = data.x.copy()
    for name in FIXED_SUPPLIER:
        x[:, data.features.index(name)] = 0.0
    data = RankingSet(data.job, data.features, x, data.y, data.group, data.query_ids,
                      data.newcomer, data.weight)
    train, held = data.split(0.25, seed=seed)
    if feedback is not None and feedback.n_groups:
        train = train.concat(feedback)
    init = {k: DEFAULT_WEIGHTS.as_dict().get(k, 0.0) for k in SUPPLIER_FEATURES}
    fixed = {k: init[k] for k in FIXED_SUPPLIER}
    logistic = fit_linear_ranker(train, fixed={k: 0.0 for k in FIXED_SUPPLIER},
                                 info={"source": "graph"})
    # on the default's scale (the anchor at its default weight), then the fixed parts
    anchor = logistic.weights[ANCHOR_SUPPLIER]
    candidates_fit = {
        "default_weights": LinearRanker("suppliers", init, info={"source": "defaults"}),
        "coordinate_ascent": fit_coordinate_ascent(
            train, init, fixed=(*FIXED_SUPPLIER, ANCHOR_SUPPLIER), info={"source": "graph"}),
    }
    if anchor > 0:  # a fit that gives the anchor no weight is not a candidate
        scale = init[ANCHOR_SUPPLIER] / anchor
        candidates_fit["pairwise_logistic"] = LinearRanker(
            "suppliers", {k: (fixed[k] if k in fixed else round(v * scale, 8))
                          for k, v in logistic.weights.items()}, info=logistic.info)
    report: dict[str, Any] = {"examples": data.n_groups, "train": train.n_groups,
                              "held_out": held.n_groups, "methods": {}}
    methods = report["methods"]
    for feature, peer in SUPPLIER_PEERS.items():
        methods[peer] = rank_metrics(held.column(feature), held)
    best: tuple[float, str] | None = None
    for name, model in candidates_fit.items():
        m = rank_metrics(model.score_rows(held.x), held)
        methods[name] = m
        if best is None or m["mrr"] > best[0] + 1e-9:  # a learner must beat the defaults
            best = (m["mrr"], name)
    assert best is not None
    chosen = candidates_fit[best[1]]
    cal = fit_calibration(chosen.score_rows(held.x), held.y)
    model = LinearRanker("suppliers", chosen.weights, cal, 1,
                         {**dict(chosen.info), "learner": best[1], "examples": data.n_groups,
                          "feedback_queries": feedback.n_groups if feedback else 0})
    report["chosen"] = best[1]
    return model, report
