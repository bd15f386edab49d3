"""Evaluate military–civil transfers on labelled cases: the hybrid ranking beside its single
signals (dense only, lexical only) in the same run.

Labels are JSONL, one case a line::

    {"id": "x01", "kind": "tech_to_demand", "query": "tech:t01",
     "relevant": ["dem:t01a", "dem:t01p"], "paraphrased": ["dem:t01p"]}
    {"id": "y01", "kind": "org_to_demand", "query": "org:f01", "relevant": ["dem:m01"]}

``tech_to_demand`` ranks the civil demands of a military technology (军转民);
``org_to_demand`` the military demands a civil organisation could supply (民参军). Figures are
reported per kind, and again on the paraphrased demands alone (each case keeps only its
paraphrased relevant demands, and its other relevant demands leave the ranking). ``split`` keeps the cases of one half (by a stable hash of the
case id): choose weights on one half, report on the other.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from graph.errors import InvalidRequest
from matching.jsonl import numbered_records
from matching.metrics import mean_metrics
from matching.transfers import Mode, find_transfers

if TYPE_CHECKING:
    from matching.engine import MatchingEngine

__all__ = ["KINDS", "TransferCase", "evaluate_transfers", "read_transfer_labels"]

KINDS = ("tech_to_demand", "org_to_demand")
MODES: tuple[Mode, ...] = ("hybrid", "dense", "lexical")
Split = Literal["all", "a", "b"]


@dataclass(frozen=True)
class TransferCase:
    id: str
    kind: str
    query: str
    relevant: frozenset[str]
    paraphrased: frozenset[str]


def read_transfer_labels(path: str | Path) -> list[TransferCase]:
    """Cases from a labels file; a bad line is an ``InvalidRequest`` naming file and line."""
    out: list[TransferCase] = []
    for n, rec in numbered_records(path):
        try:
            if isinstance(rec, json.JSONDecodeError):
                raise ValueError(f"not JSON: {rec.msg}")
            kind = str(rec["kind"])
            if kind not in KINDS:
                raise ValueError(f"kind must be one of {', '.join(KINDS)}")
            out.append(TransferCase(str(rec["id"]), kind, str(rec["query"]),
                                    frozenset(rec["relevant"]),
                                    frozenset(rec.get("paraphrased") or ())))
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidRequest(f"{path}:{n}: {exc}", field="labels") from exc
    return out


def in_split(case_id: str, split: Split) -> bool:
    """Half ``a`` or ``b`` of the cases, by a stable hash of the id (``all``: every case)."""
    if split == "all":
        return True
    half = "a" if hashlib.sha256(case_id.encode()).digest()[0] % 2 == 0 else "b"
    return half == split


def evaluate_transfers(
    engine: MatchingEngine,
    cases: Sequence[TransferCase],
    *,
    clearance: str = "secret",
    top: int = 100,
    split: Split = "all",
) -> dict[str, Any]:
    """``{kind: {mode: metrics, "paraphrased": {mode: metrics}}}`` for every kind with cases."""
    report: dict[str, Any] = {}
    for kind in KINDS:
        chosen = [c for c in cases if c.kind == kind and in_split(c.id, split)]
        if not chosen:
            continue
        per: dict[str, Any] = {"paraphrased": {}}
        for mode in MODES:
            ranked = []
            for c in chosen:
                args = {"technology": c.query} if kind == "tech_to_demand" else {"org": c.query}
                result = find_transfers(engine, clearance=clearance, top=top, mode=mode, **args)
                ranked.append([(h.id, h.score) for h in result.demands])
            per[mode] = mean_metrics([(r, c.relevant) for r, c in zip(ranked, chosen,
                                                                        strict=True)]).to_json()
            # paraphrased alone: the other relevant demands are taken out of the ranking, so a
            # demand worded like the query does not stand in front of its paraphrase
            para = [([x for x in r if x[0] in c.paraphrased or x[0] not in c.relevant],
                     c.paraphrased) for r, c in zip(ranked, chosen, strict=True) if c.paraphrased]
            if para:
                per["paraphrased"][mode] = mean_metrics(para).to_json()
        report[kind] = per
    return report
