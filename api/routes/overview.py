"""``GET /api/overview``: the figures the page's overview draws, as the caller may see them.

Counts of visible nodes by label; organisations by kind and by district; products by field and
by catalogue batch (how many catalogued, how many insured); open demands by field with how many
have at least ``MIN_GOOD`` good suppliers (match level 高 or 中), and the supply gaps — open
demands with none — listed; alliances with their member counts; pitches by stage.
``GET /api/overview/list`` answers the list behind one bar of a chart (``?format=xlsx|csv``).

What lies above the caller's clearance is absent, not counted (``graph.clearance``). Answers are
cached per store version and clearance (a few entries per store).

Notes
-----
One pass over the nodes and the ``NEEDS`` and ``MEMBER_OF`` relationships, plus one supplier
search per open demand (answered from the jobs' cache after the first overview of a version).
"""

from __future__ import annotations

import re
import threading
import weakref
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import ReaderDep, StateDep
from api.errors import ERROR_RESPONSES
from api.exports import EXPORT_RESPONSES, ExportFormat, export_response
from graph.clearance import is_visible
from graph.errors import InvalidRequest
from graph.model import Label, Node, Rel
from graph.store import GraphStore
from graph.taxonomy import fields, region_id, regions, resolve_field

__all__ = [
    "CHARTS",
    "GOOD_LEVELS",
    "MAX_JUDGED",
    "MIN_GOOD",
    "Overview",
    "build_overview",
    "is_good_supplier",
    "router",
]

router = APIRouter(tags=["overview"], responses={401: ERROR_RESPONSES[401]})

MIN_GOOD = 3  # a demand is well supplied with at least this many good suppliers
GOOD_LEVELS = ("high", "medium")  # match levels 高 / 中
_SEARCH_TOP = 10
MAX_JUDGED = 500  # open demands judged per overview (one supplier search each), in id order
_CACHED_PER_STORE = 6

KIND_NAMES: dict[str, tuple[str, str]] = {
    "manufacturer": ("制造商", "Manufacturer"),
    "user": ("用户（项目业主）", "User (project owner)"),
    "research_institute": ("科研院所", "Research institute"),
    "university": ("高校", "University"),
    "design_institute": ("设计院", "Design institute"),
    "integrator": ("集成商", "Integrator"),
    "testing_body": ("检测机构", "Testing body"),
    "military_unit": ("军工单位", "Military unit"),
    "other": ("其他", "Other"),
}
STAGE_NAMES: dict[str, tuple[str, str]] = {
    "idea": ("方案论证", "Idea"),
    "prototype": ("样机研制", "Prototype"),
    "pilot": ("中试验证", "Pilot"),
    "product": ("产品化", "Product"),
}
LABEL_NAMES: dict[str, tuple[str, str]] = {
    "Organization": ("单位", "Organisations"),
    "Equipment": ("产品", "Products"),
    "Patent": ("专利", "Patents"),
    "Technology": ("技术", "Technologies"),
    "Alliance": ("联盟", "Alliances"),
    "Project": ("项目", "Projects"),
    "Demand": ("需求", "Demands"),
    "Pitch": ("路演项目", "Pitches"),
}
ALLIANCE_KIND_NAMES: dict[str, str] = {
    "innovation": "创新联盟",
    "demonstration": "示范应用联盟",
    "ip": "知识产权联盟",
    "industry": "产业联盟",
}
# Product statuses from catalogue listing on (DESIGN: developing → … → insured).
CATALOGUED = frozenset({"catalogued", "evaluated", "demonstrated", "insured"})
CLOSED_DEMAND = frozenset({"closed", "fulfilled", "done", "已完成", "已关闭"})
UNKNOWN = ("未注明", "Not given")

# The charts whose bars have a list behind them (``/api/overview/list?chart=…&key=…``).
CHARTS = (
    "label",
    "org_kind",
    "org_district",
    "equipment_field",
    "equipment_batch",
    "demand_field",
    "supply_gaps",
    "alliance",
    "pitch_stage",
)


def is_good_supplier(hit: dict[str, Any]) -> bool:
    """A supplier result counts as good when its match level is 高 or 中 (``level``; else
    ``score_100`` ≥ 40, the same cut)."""
    level = hit.get("level")
    if isinstance(level, str):
        return level in GOOD_LEVELS
    score = hit.get("score_100")
    return isinstance(score, int | float) and score >= 40


def batch_name(key: str) -> tuple[str, str]:
    """Readable names of a catalogue batch id such as ``national-2024``.

    >>> batch_name("chongqing-2023")
    ('重庆市首台（套）目录 2023年', 'Chongqing catalogue 2023')
    """
    m = re.fullmatch(r"(national|chongqing)-(\d{4})", key)
    if not m:
        return key, key
    if m.group(1) == "national":
        return f"国家首台（套）指导目录 {m.group(2)}年版", f"National catalogue {m.group(2)}"
    return f"重庆市首台（套）目录 {m.group(2)}年", f"Chongqing catalogue {m.group(2)}"


def _field_id(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        return ""
    if value in fields():
        return value
    return resolve_field(value) or value


def _top_field(fid: str) -> str:
    """The top-level field of a field id (charts group by the catalogue's main areas)."""
    seen: set[str] = set()
    current = fid
    while current in fields() and current not in seen:
        seen.add(current)
        parent = fields()[current].parent
        if not parent:
            return current
        current = parent
    return fid


def _field_names(fid: str) -> tuple[str, str]:
    term = fields().get(fid)
    if term:
        return term.name, term.name_en
    return (fid, fid) if fid else UNKNOWN


def _region_names(rid: str) -> tuple[str, str]:
    term = regions().get(rid)
    if term:
        return term.name, term.name_en
    if not rid:
        return UNKNOWN
    text = rid.removeprefix("region:")
    return text, text


@dataclass(frozen=True)
class Item:
    """One row of a list behind a chart bar."""

    id: str
    label: str
    name: str
    detail: str = ""

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "label": self.label, "name": self.name, "detail": self.detail}


class _Buckets:
    """Counts per key with readable names, and the items behind each key."""

    def __init__(self, names: Callable[[str], tuple[str, str]]) -> None:
        self.names = names
        self.counts: Counter[str] = Counter()
        self.extra: dict[str, Counter[str]] = {}
        self.items: dict[str, list[Item]] = {}

    def add(self, key: str, item: Item, **flags: bool) -> None:
        self.counts[key] += 1
        self.items.setdefault(key, []).append(item)
        for flag, on in flags.items():
            self.extra.setdefault(flag, Counter())[key] += int(on)

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for key, n in sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0])):
            zh, en = self.names(key)
            row: dict[str, Any] = {"key": key, "name": zh, "name_en": en, "count": n}
            for flag, counter in self.extra.items():
                row[flag] = counter[key]
            out.append(row)
        return out


@dataclass
class Overview:
    """The figures (``to_json``) and the lists behind them (``items``)."""

    figures: dict[str, Any]
    lists: dict[str, dict[str, list[Item]]]

    def items(self, chart: str, key: str) -> list[Item]:
        if chart not in self.lists:
            raise InvalidRequest(
                f"未知图表 {chart!r} / unknown chart; one of {', '.join(CHARTS)}", field="chart"
            )
        return self.lists[chart].get(key, [])


def _node_name(node: Node) -> str:
    for key in ("name", "title", "text"):
        value = node.props.get(key)
        if isinstance(value, str) and value:
            return value
    return node.id


def build_overview(
    store: GraphStore,
    clearance: str,
    suppliers: Callable[[str], list[dict[str, Any]]] | None = None,
    *,
    judge_limit: int = MAX_JUDGED,
) -> Overview:
    """The overview as a caller with ``clearance`` sees it.

    ``suppliers(demand_id)`` answers the supplier search for one demand (the ranked JSON of the
    jobs); without it no demand is judged and ``supply_gaps`` is empty. At most ``judge_limit``
    open demands are judged (the first by id); ``demands.judged`` says how many were.
    """
    visible: dict[str, Node] = {}
    projects: dict[str, Node] = {}
    demands: list[Node] = []
    for label in LABEL_NAMES:
        for node in store.nodes(label):
            if label == Label.DEMAND:
                demands.append(node)  # judged with its project below
            elif is_visible(node, clearance):
                visible[node.id] = node
                if label == Label.PROJECT:
                    projects[node.id] = node
    project_of: dict[str, str] = {}
    for edge in _edges(store, Rel.NEEDS):
        project_of.setdefault(edge.target, edge.source)
    all_projects = {p.id: p for p in store.get_many(sorted(set(project_of.values())))}
    for d in demands:
        parent = all_projects.get(project_of.get(d.id, ""))
        if is_visible(d, clearance, parent=parent) and (parent is None or parent.id in projects):
            visible[d.id] = d

    totals = _Buckets(lambda k: LABEL_NAMES.get(k, (k, k)))
    kinds = _Buckets(lambda k: KIND_NAMES.get(k, (k, k)))
    districts = _Buckets(_region_names)
    eq_field = _Buckets(_field_names)
    eq_batch = _Buckets(batch_name)
    dem_field = _Buckets(_field_names)
    stages = _Buckets(lambda k: STAGE_NAMES.get(k, (k, k)) if k else UNKNOWN)
    for node in visible.values():
        name = _node_name(node)
        label = str(node.label)
        totals.add(label, Item(node.id, label, name))
        if label == Label.ORGANIZATION:
            raw_kinds = node.props.get("kinds") or ["other"]
            if isinstance(raw_kinds, str):
                raw_kinds = [k for k in raw_kinds.split(";") if k]
            region = node.props.get("region")
            rid = region_id(region) if isinstance(region, str) and region.strip() else ""
            for kind in raw_kinds:
                kinds.add(str(kind), Item(node.id, label, name, _region_names(rid)[0]))
            districts.add(rid, Item(node.id, label, name, "、".join(map(str, raw_kinds))))
        elif label == Label.EQUIPMENT:
            status = str(node.props.get("status") or "")
            catalogued = status in CATALOGUED or bool(node.props.get("catalogue"))
            insured = status == "insured"
            fid = _top_field(_field_id(node.props.get("field")))
            item = Item(node.id, label, name, status)
            eq_field.add(fid, item, catalogued=catalogued, insured=insured)
            batch = node.props.get("catalogue")
            if isinstance(batch, str) and batch:
                eq_batch.add(batch, item, insured=insured)
        elif label == Label.PITCH:
            stage = str(node.props.get("stage") or "")
            stages.add(stage, Item(node.id, label, name, str(node.props.get("trl") or "")))

    members: Counter[str] = Counter()
    member_items: dict[str, list[Item]] = {}
    for edge in _edges(store, Rel.MEMBER_OF):
        if edge.target in visible and edge.source in visible:
            members[edge.target] += 1
            org = visible[edge.source]
            role = str(edge.props.get("role") or "")
            member_items.setdefault(edge.target, []).append(
                Item(org.id, str(org.label), _node_name(org), role)
            )
    alliances = [
        {
            "id": a.id,
            "name": _node_name(a),
            "kind": str(a.props.get("kind") or ""),
            "kind_name": ALLIANCE_KIND_NAMES.get(str(a.props.get("kind") or ""), ""),
            "field": _field_id(a.props.get("field")),
            "members": members[a.id],
        }
        for a in visible.values()
        if a.label == Label.ALLIANCE
    ]
    alliances.sort(key=lambda a: (-members[str(a["id"])], str(a["id"])))

    gaps: list[dict[str, Any]] = []
    gap_items: list[Item] = []
    open_demands = [
        d
        for d in visible.values()
        if d.label == Label.DEMAND and str(d.props.get("status") or "") not in CLOSED_DEMAND
    ]
    judged = 0
    for d in sorted(open_demands, key=lambda n: n.id):
        fid = _top_field(_field_id(d.props.get("field")))
        good = -1
        if suppliers is not None and judged < judge_limit:
            judged += 1
            good = sum(1 for h in suppliers(d.id) if is_good_supplier(h))
        item = Item(d.id, "Demand", _node_name(d), str(good) if good >= 0 else "")
        dem_field.add(fid, item, well_supplied=good >= MIN_GOOD, gap=good == 0)
        if good == 0:
            project = all_projects.get(project_of.get(d.id, ""))
            gaps.append(
                {
                    "id": d.id,
                    "text": _node_name(d),
                    "field": fid,
                    "field_name": _field_names(fid)[0],
                    "field_name_en": _field_names(fid)[1],
                    "project_id": project.id if project else None,
                    "project_name": _node_name(project) if project else None,
                    "good_suppliers": 0,
                }
            )
            gap_items.append(Item(d.id, "Demand", _node_name(d), gaps[-1]["project_name"] or ""))

    figures: dict[str, Any] = {
        "clearance": clearance,
        "store_version": store.version(),
        "good_supplier": {"levels": list(GOOD_LEVELS), "min_suppliers": MIN_GOOD},
        "totals": totals.rows(),
        "organizations_by_kind": kinds.rows(),
        "organizations_by_district": districts.rows(),
        "equipment_by_field": eq_field.rows(),
        "equipment_by_batch": eq_batch.rows(),
        "demands": {
            "open": len(open_demands),
            "well_supplied": sum(dem_field.extra.get("well_supplied", Counter()).values()),
            "judged": judged,
            "judged_all": judged == len(open_demands),
        },
        "demands_by_field": dem_field.rows(),
        "supply_gaps": gaps,
        "alliances": alliances,
        "pitches_by_stage": stages.rows(),
    }
    lists = {
        "label": totals.items,
        "org_kind": kinds.items,
        "org_district": districts.items,
        "equipment_field": eq_field.items,
        "equipment_batch": eq_batch.items,
        "demand_field": dem_field.items,
        "supply_gaps": {"": gap_items},
        "alliance": member_items,
        "pitch_stage": stages.items,
    }
    return Overview(figures, lists)


def _edges(store: GraphStore, rel: Rel) -> Iterable[Any]:
    return store.edges(rel)


# ---- cache: per store, a few (version, clearance) answers ---------------------------------------

_cache: weakref.WeakKeyDictionary[Any, OrderedDict[tuple[int, str], Overview]] = (
    weakref.WeakKeyDictionary()
)
_cache_lock = threading.Lock()


def cached_overview(state: Any, clearance: str) -> Overview:
    """The overview for this service state's store, built once per store version."""
    store: GraphStore = state.store
    key = (store.version(), clearance)
    with _cache_lock:
        per_store = _cache.setdefault(store, OrderedDict())
        hit = per_store.get(key)
        if hit is not None:
            per_store.move_to_end(key)
            return hit
    jobs = state.jobs()

    def suppliers(demand_id: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = jobs.suppliers(
            {"demand": demand_id, "top": _SEARCH_TOP}, clearance
        )
        return out

    built = build_overview(store, clearance, suppliers)
    with _cache_lock:
        per_store = _cache.setdefault(store, OrderedDict())
        per_store[key] = built
        while len(per_store) > _CACHED_PER_STORE:
            per_store.popitem(last=False)
    return built


@router.get("/overview", summary="概览 / ecosystem overview")
def overview(state: StateDep, who: ReaderDep) -> dict[str, Any]:
    """Counts the overview charts draw, as the caller's clearance allows (see module doc)."""
    return cached_overview(state, who.clearance).figures


@router.get(
    "/overview/list",
    summary="图表背后的列表 / the list behind a chart bar",
    responses={**EXPORT_RESPONSES, 422: ERROR_RESPONSES[422]},
    response_model=None,
)
def overview_list(
    state: StateDep,
    who: ReaderDep,
    chart: Annotated[str, Query(max_length=40, description=f"one of {', '.join(CHARTS)}")],
    key: Annotated[str, Query(max_length=300, description="柱的键 / the bar's key")] = "",
    format: ExportFormat = None,
) -> dict[str, Any] | Response:
    items = [i.to_json() for i in cached_overview(state, who.clearance).items(chart, key)]
    if format:
        rows = [
            {
                "序号 rank": n,
                "编号 id": i["id"],
                "名称 name": i["name"],
                "类别 label": LABEL_NAMES.get(i["label"], (i["label"],))[0],
                "说明 detail": i["detail"],
            }
            for n, i in enumerate(items, 1)
        ]
        return export_response(rows, format, f"overview-{chart}")
    return {"chart": chart, "key": key, "items": items}
