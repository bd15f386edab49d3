"""Demonstration evaluations (示范效果评价, 六): a testing body's verdict on an equipment in a
project, with measured indicators against the demand's specification and the report's
reference.

- The evaluating body must be a testing body independent of every maker of the equipment, by
  the consortium rule (:func:`matching.consortium.testing_body_independence`: not the maker, no ownership
  link, not the lead of an alliance the maker belongs to). Loaded rows that break it are kept
  and shown with the reason, but move no status; ``POST /api/evaluations`` refuses them.
- Evaluations move the equipment's status (:func:`equipment_status`): catalogued → evaluated
  (an independent evaluation) → demonstrated (one that passed) → insured. By the rule of 十四
  they are shown as evidence and add nothing to a ranking score (every evidence item here has
  score 0); :func:`evaluated_orgs` is the mask behind an ``--evaluated`` filter.
- Clearance: an evaluation is visible when it, its equipment and its project are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from graph.clearance import is_visible
from graph.errors import InvalidRequest, NodeNotFound
from graph.model import Edge, Label, Node, OrgKind, Rel
from graph.proximity import collaboration_index
from graph.store import GraphStore
from matching.catalogue import catalogue_entries, parse_day
from matching.consortium import testing_body_independence  # the consortium's rule, called
from matching.jobs_common import kinds_of

__all__ = [
    "INDICATORS",
    "STATUS_ORDER",
    "Evaluation",
    "equipment_status",
    "evaluated_orgs",
    "evaluation_evidence",
    "evaluation_notes",
    "evaluation_phrase",
    "evaluations",
    "independence_problems",
    "record_evaluation",
]

STATUS_ORDER = ("developing", "catalogued", "evaluated", "demonstrated", "insured")
# measured column → (specification column, True when higher is better)
INDICATORS: dict[str, tuple[str, bool]] = {
    "mtbf_h": ("spec_mtbf_h", True),
    "localisation_rate": ("spec_localisation_rate", True),
}
TEXT_INDICATORS = ("performance", "safety", "energy")
VERDICT_ZH = {"pass": "合格", "conditional": "有条件合格", "fail": "不合格"}


@dataclass(frozen=True)
class Evaluation:
    id: str
    equipment: str
    equipment_name: str
    body: str
    body_name: str
    project: str
    date: dt.date
    verdict: str
    report_ref: str
    indicators: list[dict[str, Any]] = field(default_factory=list)
    demand: str | None = None
    problems: tuple[str, ...] = ()  # independence problems: the evaluation then moves nothing

    @property
    def independent(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "equipment": self.equipment, "equipment_name": self.equipment_name,
            "body": self.body, "body_name": self.body_name, "project": self.project,
            "date": self.date.isoformat(), "verdict": self.verdict,
            "verdict_zh": VERDICT_ZH.get(self.verdict, self.verdict),
            "report_ref": self.report_ref, "demand": self.demand,
            "indicators": self.indicators, "independent": self.independent,
            "problems": list(self.problems),
        }


def _indicators(props: Mapping[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name, (spec, higher) in INDICATORS.items():
        measured, wanted = props.get(name), props.get(spec)
        if measured is None:
            continue
        ok = None if wanted is None else (float(measured) >= float(wanted) if higher
                                          else float(measured) <= float(wanted))
        out.append({"indicator": name, "measured": measured, "spec": wanted, "ok": ok})
    for name in TEXT_INDICATORS:
        if props.get(name):
            out.append({"indicator": name, "measured": props[name], "spec": None, "ok": None})
    return out


def independence_problems(store: GraphStore, body: Node, equipment_id: str, *,
                          clearance: str) -> list[str]:
    """Why ``body`` may not evaluate this equipment (empty when it may)."""
    out: list[str] = []
    if OrgKind.TESTING_BODY not in kinds_of(body):
        out.append(f"{body.id} is not a testing body / 评价单位不是检测机构")
    index = collaboration_index(store, clearance)
    for e in store.edges_of(equipment_id, rel=Rel.MAKES, direction="in"):
        problem = testing_body_independence(index, body.id, e.source)
        if problem:
            out.append(problem)
    return out


def evaluations(store: GraphStore, *, clearance: str, equipment: str | None = None,
                org: str | None = None) -> list[Evaluation]:
    """Evaluations visible at ``clearance`` (of one equipment, or of the equipment one
    organisation makes), newest first."""
    if equipment is not None:
        if not store.has(equipment):
            return []
        ids = [e.source for e in store.edges_of(equipment, rel=Rel.EVALUATES, direction="in")]
    elif org is not None:
        if not store.has(org):
            return []
        made = [e.target for e in store.edges_of(org, rel=Rel.MAKES, direction="out")]
        ids = [e.source for m in made
               for e in store.edges_of(m, rel=Rel.EVALUATES, direction="in")]
    else:
        ids = [n.id for n in store.nodes(Label.EVALUATION)]
    out: list[Evaluation] = []
    for node in store.get_many(sorted(set(ids))):
        ev = _read(store, node, clearance)
        if ev is not None:
            out.append(ev)
    out.sort(key=lambda e: (e.date, e.id), reverse=True)
    return out


def _read(store: GraphStore, node: Node, clearance: str) -> Evaluation | None:
    if node.label != Label.EVALUATION or not is_visible(node, clearance):
        return None
    ends: dict[str, str] = {}
    for e in store.edges_of(node.id, direction="out"):
        ends.setdefault(e.type, e.target)
    eq_id, body_id, project_id = (ends.get(Rel.EVALUATES), ends.get(Rel.EVALUATED_BY),
                                  ends.get(Rel.EVALUATED_IN))
    if not (eq_id and body_id and project_id):
        return None
    found = {n.id: n for n in store.get_many([eq_id, body_id, project_id])}
    eq, body, project = found.get(eq_id), found.get(body_id), found.get(project_id)
    if eq is None or body is None or project is None:
        return None
    if not (is_visible(eq, clearance) and is_visible(project, clearance)):
        return None
    day = parse_day(node.get("date"), field="date") or dt.date.min
    return Evaluation(
        id=node.id, equipment=eq_id, equipment_name=eq.title, body=body_id,
        body_name=body.title, project=project_id, date=day,
        verdict=str(node.get("verdict") or ""), report_ref=str(node.get("report_ref") or ""),
        indicators=_indicators(node.props), demand=node.get("demand_id"),
        problems=tuple(independence_problems(store, body, eq_id, clearance=clearance)),
    )


def equipment_status(store: GraphStore, equipment_id: str, *, clearance: str,
                     day: dt.date | None = None) -> dict[str, Any]:
    """The equipment's status on ``day`` (default today), with the entries and evaluations
    behind it: catalogue history, evaluations, and which step each one reached."""
    found = store.get_many([equipment_id])
    if not found or not is_visible(found[0], clearance):
        raise NodeNotFound(equipment_id)
    node = found[0]
    if node.label != Label.EQUIPMENT:
        raise InvalidRequest(f"{equipment_id} 不是装备 / is a {node.label}, not an Equipment",
                             field="id")
    when = day or dt.date.today()
    entries = catalogue_entries(store, clearance=clearance, equipment=equipment_id)
    evals = evaluations(store, clearance=clearance, equipment=equipment_id)
    reached = {"developing"}
    why: list[str] = []
    if any(e.active_on(when) for e in entries):
        reached.add("catalogued")
        why.append("in the catalogue on the date / 当日在目录内")
    done = [e for e in evals if e.independent and e.date <= when]
    if done:
        reached.add("evaluated")
        why.append(f"evaluated by an independent testing body ({done[0].id}) / 已经独立评价")
    if any(e.verdict == "pass" for e in done):
        reached.add("demonstrated")
        why.append("an evaluation passed / 示范评价合格")
    if any(e.active_on(when) and e.insured_on(when) for e in entries):
        reached.add("insured")
        why.append("insured on the date / 当日在保")
    status = max(reached, key=STATUS_ORDER.index)
    return {
        "equipment": equipment_id, "name": node.title, "on": when.isoformat(),
        "status": status, "stored_status": node.get("status"), "reasons": why,
        "catalogue": [e.to_json() | {"active": e.active_on(when)} for e in entries],
        "evaluations": [e.to_json() for e in evals],
    }


def evaluation_evidence(store: GraphStore, org_id: str, *, clearance: str,
                        limit: int = 3) -> list[dict[str, Any]]:
    """Evidence items (kind ``evaluation``, score 0: shown, never ranked on) for an
    organisation's equipment."""
    return [{"kind": "evaluation", "id": ev.id, "text": evaluation_phrase(ev), "score": 0.0}
            for ev in evaluations(store, clearance=clearance, org=org_id)[:limit]]


def evaluation_phrase(ev: Evaluation) -> str:
    """One evaluation as a sentence: equipment, body, verdict, date and report."""
    flag = "" if ev.independent else "（评价单位不独立 / body not independent）"
    return (f"{ev.equipment_name}：{ev.body_name} 评价{VERDICT_ZH.get(ev.verdict, ev.verdict)}"
            f"（{ev.date}，{ev.report_ref}）{flag}")


def evaluation_notes(store: GraphStore, *, clearance: str) -> dict[str, list[tuple[str, str]]]:
    """Organisation id → ``(evaluation id, sentence)`` of its equipment's evaluations, newest
    first: every evaluation read once (the engine keeps this per store version)."""
    found = evaluations(store, clearance=clearance)
    if not found:
        return {}
    wanted = {ev.equipment for ev in found}
    makers: dict[str, list[str]] = {}
    for e in store.edges(Rel.MAKES):
        if e.target in wanted:
            makers.setdefault(e.target, []).append(e.source)
    out: dict[str, list[tuple[str, str]]] = {}
    for ev in found:
        for org in makers.get(ev.equipment, ()):
            out.setdefault(org, []).append((ev.id, evaluation_phrase(ev)))
    return out


def evaluated_orgs(store: GraphStore, *, clearance: str, passed: bool = False) -> set[str]:
    """Makers with an independently evaluated equipment (``passed``: one that passed): the
    mask behind ``--evaluated``."""
    out: set[str] = set()
    for ev in evaluations(store, clearance=clearance):
        if ev.independent and (ev.verdict == "pass" or not passed):
            out.update(e.source for e in store.edges_of(ev.equipment, rel=Rel.MAKES,
                                                        direction="in"))
    return out


def record_evaluation(store: GraphStore, values: Mapping[str, Any], *, clearance: str
                      ) -> Evaluation:
    """Check and write one evaluation (``POST /api/evaluations``): the row as the
    ``evaluations`` interchange kind validates it, every id visible and of its label, and the
    body an independent testing body. ``InvalidRequest`` names the field that is wrong."""
    from ingest.rows import EvaluationRow

    try:
        row = EvaluationRow.model_validate(dict(values))
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "body"
        raise InvalidRequest(f"{name}: {first['msg']}", field=name) from None
    refs = {"equipment_id": Label.EQUIPMENT, "body_id": Label.ORGANIZATION,
            "project_id": Label.PROJECT}
    if row.demand_id:
        refs["demand_id"] = Label.DEMAND
    got: dict[str, Node] = {}
    for name, label in refs.items():
        ref = str(getattr(row, name))
        found = store.get_many([ref])
        if not found or not is_visible(found[0], clearance) or found[0].label != label:
            raise InvalidRequest(f"没有该{label} / no {label} {ref!r}", field=name)
        got[name] = found[0]
    if store.has(row.id) and store.get(row.id).label != Label.EVALUATION:
        raise InvalidRequest(f"id {row.id!r} 已被占用 / is taken by another node", field="id")
    problems = independence_problems(store, got["body_id"], row.equipment_id,
                                     clearance=clearance)
    if problems:
        raise InvalidRequest("评价单位须为独立检测机构 / the evaluating body must be an "
                             "independent testing body: " + "; ".join(problems), field="body_id")
    props = row.model_dump(mode="json", exclude={"id", "equipment_id", "body_id", "project_id"},
                           exclude_none=True)
    store.upsert([Node(row.id, Label.EVALUATION, props)], [
        Edge(row.id, Rel.EVALUATES, row.equipment_id),
        Edge(row.id, Rel.EVALUATED_BY, row.body_id),
        Edge(row.id, Rel.EVALUATED_IN, row.project_id),
    ])
    ev = _read(store, store.get(row.id), clearance)
    assert ev is not None
    return ev
