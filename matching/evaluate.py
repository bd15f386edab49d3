"""Evaluate supplier ranking on labelled demands: hybrid next to lexical-only and dense-only.

Labels are JSONL, one demand per line::

    {"id": "q001", "text": "采购大直径泥水平衡盾构机…", "relevant": ["org:tun_a"],
     "kind": "shared", "lang": "zh"}

``relevant`` is a list of organisation ids (grade 1) or an object id → grade. ``kind`` and
``lang`` are free labels; the report gives every metric for all cases and for each kind, so
the paraphrase half can be read next to the shared-wording half, and, where the corpus holds
both, for answers whose profile only names its products (``profile:names_only``: a list row's
name and model number) apart from those with a description (``profile:described``). Optional
``demand`` (an id in the store) replaces ``text``; optional ``field`` is passed on as the
demand's field.

Each mode ranks *every* organisation of the searched kinds (no candidate cut), so the metrics
measure the scores, not the candidate generator; ties count as their expectation under random
tie-breaking (see :mod:`matching.metrics`). :func:`single_model_peers` adds each model of a
fused embedder ranking alone, the peers of the fusion.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

from graph.errors import InvalidRequest
from graph.model import Edge, Label, Node, Rel
from graph.store import GraphStore
from matching.embedders import FusedEmbedder
from matching.engine import SUPPLIER_KINDS, MatchingEngine, Mode, SupplierQuery
from matching.jsonl import numbered_records, records
from matching.metrics import MetricSummary, mean_metrics

__all__ = ["LabelledCase", "evaluate", "load_corpus", "profile_styles", "read_labels",
           "single_model_peers"]

MODES: tuple[Mode, ...] = get_args(Mode)


@dataclass(frozen=True)
class LabelledCase:
    id: str
    text: str | None
    demand: str | None
    relevant: dict[str, float]
    kind: str
    lang: str
    field: str | None = None


def read_labels(path: str | Path) -> list[LabelledCase]:
    """Labelled cases from a JSONL file; every bad line is reported at once."""
    cases: list[LabelledCase] = []
    problems: list[str] = []
    for line_no, rec in numbered_records(path):
        if isinstance(rec, json.JSONDecodeError):
            problems.append(f"{path}:{line_no}: {rec.msg}")
            continue
        rel = rec.get("relevant")
        if isinstance(rel, list):
            grades = {str(r): 1.0 for r in rel}
        elif isinstance(rel, dict):
            grades = {str(k): float(v) for k, v in rel.items()}
        else:
            grades = {}
        if not grades:
            problems.append(f"{path}:{line_no}: needs a non-empty 'relevant'")
        if not (rec.get("text") or rec.get("demand")):
            problems.append(f"{path}:{line_no}: needs 'text' or 'demand'")
        cases.append(LabelledCase(
            id=str(rec.get("id") or line_no), text=rec.get("text"), demand=rec.get("demand"),
            relevant=grades, kind=str(rec.get("kind") or "all"), lang=str(rec.get("lang") or ""),
            field=rec.get("field"),
        ))
    if problems:
        raise InvalidRequest("\n".join(problems), field="labels")
    return cases


def _jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return records(path)


def _ids(value: Any) -> list[str]:
    if isinstance(value, str):
        return [v for v in value.split(";") if v]
    return [str(v) for v in value or []]


def load_corpus(store: GraphStore, folder: str | Path) -> None:
    """Load a small supplier corpus (``organizations``, ``equipment``, ``patents`` as JSONL in
    the interchange format) with one ``store.upsert``. For evaluation and tests; real data goes
    through ``firstset ingest``."""
    folder = Path(folder)
    nodes: list[Node] = []
    edges: list[Edge] = []
    for rec in _jsonl(folder / "organizations.jsonl"):
        nodes.append(Node(rec.pop("id"), Label.ORGANIZATION, rec))
    for rec in _jsonl(folder / "equipment.jsonl"):
        makers = _ids(rec.pop("maker_ids", []))
        nodes.append(Node(rec["id"], Label.EQUIPMENT, {k: v for k, v in rec.items() if k != "id"}))
        edges += [Edge(m, Rel.MAKES, rec["id"]) for m in makers]
    for rec in _jsonl(folder / "patents.jsonl"):
        owners = _ids(rec.pop("owner_ids", []))
        nodes.append(Node(rec["id"], Label.PATENT, {k: v for k, v in rec.items() if k != "id"}))
        edges += [Edge(o, Rel.OWNS, rec["id"]) for o in owners]
    store.upsert(nodes, edges)


def evaluate(
    engine: MatchingEngine,
    cases: Sequence[LabelledCase],
    *,
    modes: Iterable[Mode] = MODES,
    kinds: Sequence[str] | None = SUPPLIER_KINDS,
) -> dict[str, dict[str, MetricSummary]]:
    """``{mode: {slice: MetricSummary}}``; slices are ``all``, each ``kind``, ``lang:…`` and
    ``profile:…`` (:func:`profile_styles`), each left out when it holds the same cases as one
    before it."""
    out: dict[str, dict[str, MetricSummary]] = {}
    engine.prime_queries([c.text for c in cases if c.text])
    style = profile_styles(engine, cases)
    for mode in modes:
        per_case: list[tuple[LabelledCase, list[tuple[str, float]]]] = []
        for case in cases:
            hits = engine.suppliers(
                SupplierQuery(text=case.text, demand_id=case.demand, kinds=tuple(kinds or ()) or
                              None, field=case.field, top=10**9),
                mode=mode, candidates=0,
            )
            per_case.append((case, [(h.id, h.score) for h in hits]))
        slices: dict[str, list[tuple[list[tuple[str, float]], dict[str, float]]]] = {"all": []}
        members: dict[str, frozenset[str]] = {"all": frozenset(c.id for c in cases)}
        for case, ranking in per_case:
            pair = (ranking, case.relevant)
            slices["all"].append(pair)
            for name in (case.kind, f"lang:{case.lang}" if case.lang else None,
                         style.get(case.id)):
                if name:
                    slices.setdefault(name, []).append(pair)
                    members[name] = members.get(name, frozenset()) | {case.id}
        seen: set[frozenset[str]] = set()
        out[mode] = {}
        for name, pairs in slices.items():  # a slice holding the same cases as an earlier one
            if members[name] in seen:       # (e.g. lang:en = crosslingual) is left out
                continue
            seen.add(members[name])
            out[mode][name] = mean_metrics(pairs)
    return out


def profile_styles(engine: MatchingEngine, cases: Sequence[LabelledCase]) -> dict[str, str]:
    """Case id → ``profile:names_only`` when every organisation it counts as relevant has a
    profile that only names its products (:func:`graph.model.says_what_it_does` holds
    for none of its items), ``profile:described`` when every one has a description; cases with
    both kinds, or with relevant ids the engine does not know, are in neither slice."""
    p = engine.profiles()
    out: dict[str, str] = {}
    for case in cases:
        known = [p.info(o).described for o in case.relevant if o in p.org_row]
        if known and len(known) == len(case.relevant) and len(set(known)) == 1:
            out[case.id] = "profile:described" if known[0] else "profile:names_only"
    return out


def single_model_peers(
    store: GraphStore, engine: MatchingEngine, cases: Sequence[LabelledCase]
) -> dict[str, dict[str, MetricSummary]]:
    """``{"dense_<label>": {slice: MetricSummary}}``: each model of the engine's fused embedder
    ranking alone (dense only, the text as written), the single-model peers of the fusion
    measured in the same run; empty when the embedder is not a fusion."""
    fused = engine.embedder.inner
    if not isinstance(fused, FusedEmbedder):
        return {}
    out: dict[str, dict[str, MetricSummary]] = {}
    for label, (model, _weight) in zip(fused.labels, fused.parts, strict=True):
        alone = MatchingEngine(store, model, weights=engine.weights, translate=False)
        alone.refresh()
        out[f"dense_{label}"] = evaluate(alone, cases, modes=("dense",))["dense"]
    return out
