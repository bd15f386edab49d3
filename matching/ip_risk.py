"""IP early warning (知识产权预警, 渝府办发〔2018〕170号 八): whose patents stand close to a product.

For a product (an equipment item, a maker's planned product given as a demand, or free text),
the patents of *other* organisations most similar to it — not the maker's, its group's
(ownership keys, :data:`graph.proximity.OWNERSHIP_KEYS`) or its consortium and alliance
partners' — each with its similarity, the IPC groups it shares with the product, its owner,
whether it is plausibly in force (:mod:`matching.patent_terms`) and a level (high / medium /
low) with the rule that set it. Per field of those close patents: how concentrated they are
(a thicket when few owners hold many), which expire within N years (the field opens), and
which organisations' portfolios overlap most with the maker's (licensing or pooling partners,
专利池).

Vectors come from the matching engine's read model (``engine.profiles(clearance)``): one
vector per visible item, so a patent the caller may not see is never scanned, counted or shown.
Patents nobody owns are not in it.

A warning informs; it never ranks: nothing here adds to a score. The lead's jobs can attach a
warning to a supplier hit or a consortium as evidence with :func:`ip_warning_evidence` (kind
``ip_risk``, score 0).

How a query runs
----------------
1. The subject's vector: the product item's own vector (or the text's query embedding), blended
   with the centroid of the maker's own patents that are about it (weight
   :data:`PORTFOLIO_WEIGHT`): "the product, as its maker's patents describe it".
2. One pass over the item vectors (:func:`scan_patents_vectors`): cosine with every visible
   patent, the top candidates by ``argpartition``, and the mean and spread of the cosines over a
   fixed sample of patents, so that a level means the same under every embedder.
3. Excluded organisations' patents are masked out of the scan itself (a patent co-owned by
   the maker or a partner is theirs to use), so the top candidates are all others' patents;
   their owners come from the read model.
4. Terms from each patent's properties; levels; field summaries over the close set.

Notes
-----
One matrix–vector product over all items, O(items · dim), then O(k log k) for the candidates;
1M patents × 384 dimensions scan in ~75 ms on 2 cores (``benchmarks/bench_ip_risk.py``).
"""

from __future__ import annotations

import threading
import weakref
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

from graph.clearance import check_clearance, is_visible
from graph.errors import InvalidRequest, NodeNotFound
from graph.model import Label, Node, Rel
from graph.proximity import CollaborationIndex, collaboration_index
from graph.taxonomy import fields as field_terms
from matching.embedders import normalise_vectors
from matching.patent_terms import KIND_ZH, PatentTerm, patent_term

if TYPE_CHECKING:
    from matching.engine import Evidence, MatchingEngine
    from matching.profiles import ProfileIndex
    from matching.results import Ranked

__all__ = [
    "CLOSE_PATENTS",
    "PORTFOLIO_WEIGHT",
    "Z_HIGH",
    "Z_MEDIUM",
    "FieldSummary",
    "IpRisk",
    "IpRiskQuery",
    "IpRiskReport",
    "hits_with_ip_warnings",
    "ip_group",
    "ip_risk",
    "ip_warning_evidence",
    "scan_patents_vectors",
    "shared_ipc",
    "with_ip_warnings",
]

Level = Literal["high", "medium", "low"]
TERM_KEYS = ("in_force", "expires", "filed", "kind", "status")  # of the term, on each risk
Matrix = NDArray[np.float32]

PORTFOLIO_WEIGHT = 0.5  # weight of the maker's closest own patents against the product vector
OWN_PATENTS = 5  # how many of the maker's own patents (closest to the product) describe it
Z_HIGH = 3.0  # standard deviations above the mean cosine over visible patents
Z_MEDIUM = 2.0
CLOSE_PATENTS = 50  # the close set that field summaries are computed over
STAT_SAMPLE = 4096
IPC_INFER = 10  # closest patents whose IPC subclasses stand in for a text's own …
IPC_VOTES = 3  # … when at least this many of them have it
THICKET_SHARE = 2 / 3  # the three largest owners hold at least this share …
THICKET_MIN = 5  # … of at least this many close patents in the field
LEVEL_ZH = {"high": "高", "medium": "中", "low": "低"}
OVERLAP_TOP = 5  # overlapping portfolios listed per field


# ---- the pure part: arrays in, arrays out ----------------------------------------------------


def scan_patents_vectors(
    item_vectors: Matrix,
    is_patent: NDArray[np.bool_],
    query: NDArray[np.float32],
    k: int,
    *,
    sample: NDArray[np.int64] | None = None,
    skip: NDArray[np.bool_] | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.float32], float, float]:
    """The ``k`` patent rows most similar to ``query``, best first (ties by row), their cosines,
    and the mean and standard deviation of the cosine over ``sample`` rows (default: every
    patent). ``skip`` marks rows to leave out (excluded owners' patents).

    ``item_vectors`` are unit rows; ``is_patent`` marks the patent rows. Tested against a
    brute-force sort.

    >>> v = normalise_vectors(np.eye(4, dtype=np.float32) + 0.1)
    >>> rows, sims, _, _ = scan_patents_vectors(v, np.array([1, 1, 0, 1], bool), v[0], 2)
    >>> rows.tolist()
    [0, 1]
    """
    scores = item_vectors @ query.astype(np.float32)
    pool = sample if sample is not None else np.flatnonzero(is_patent)
    base = scores[pool] if len(pool) else np.zeros(1, np.float32)
    mean, std = float(base.mean()), float(base.std())
    keep = is_patent if skip is None else is_patent & ~skip
    scores = np.where(keep, scores, -np.inf).astype(np.float32)
    n = int(keep.sum())
    k = min(k, n)
    if k <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32), mean, std if std > 1e-6 else 1.0
    top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    order = np.lexsort((top, -scores[top]))
    rows = top[order].astype(np.int64)
    return rows, scores[rows], mean, (std if std > 1e-6 else 1.0)


@lru_cache(maxsize=65536)
def ip_group(code: str) -> str:
    """An IPC code's main group (``"E21D 9/06"`` → ``"E21D 9"``), or its subclass when the code
    has no group (``"E21D"``).

    >>> ip_group("E21D 9/06"), ip_group("e21d9/08"), ip_group("B23Q")
    ('E21D 9', 'E21D 9', 'B23Q')
    """
    text = code.replace(" ", "").upper()
    sub, rest = text[:4], text[4:]
    main = rest.split("/")[0]
    return f"{sub} {main}" if main.isdigit() else sub


def shared_ipc(a: Iterable[str], b: Iterable[str]) -> list[str]:
    """IPC groups two sets of codes share: main groups where both sides name them, subclasses
    where one side names only the subclass.

    >>> shared_ipc(["E21D 9/06", "B23Q"], ["E21D 9/08", "E21D 11/00", "B23Q 5/00"])
    ['B23Q', 'E21D 9']
    """
    ga = {ip_group(c) for c in a if c}
    gb = {ip_group(c) for c in b if c}
    out = ga & gb
    subs_a = {g[:4] for g in ga}
    subs_b = {g[:4] for g in gb}
    bare_a = {g for g in ga if len(g) == 4}  # subclass only
    bare_b = {g for g in gb if len(g) == 4}
    out |= (bare_a & subs_b) | (bare_b & subs_a)
    grouped = {g[:4] for g in out if len(g) > 4}
    return sorted(g for g in out if len(g) > 4 or g not in grouped)


# ---- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IpRisk:
    """One close patent of another organisation, with its term and level."""

    patent: str
    title: str
    owner: Mapping[str, str]
    owners: tuple[Mapping[str, str], ...]
    similarity: float
    z: float
    shared_ipc: tuple[str, ...]
    ipc: tuple[str, ...]
    term: PatentTerm
    level: Level
    rule: str
    why: str
    field: str

    def to_json(self) -> dict[str, Any]:
        t = self.term
        return {
            "patent": self.patent,
            "title": self.title,
            "owner": dict(self.owner),
            "owners": [dict(o) for o in self.owners],
            "similarity": round(self.similarity, 4),
            "z": round(self.z, 2),
            "shared_ipc": list(self.shared_ipc),
            "ipc": list(self.ipc),
            **{k: v for k, v in t.to_json().items() if k in TERM_KEYS},
            "level": self.level,
            "rule": self.rule,
            "why": self.why,
            "field": self.field,
        }


@dataclass(frozen=True)
class FieldSummary:
    """Concentration, expiries and overlapping portfolios among the close patents of a field."""

    field: str
    name: str
    basis: str  # "field" (the patent's field) or "ipc" (its first IPC subclass)
    patents: int
    owners: list[dict[str, Any]]
    hhi: float
    cr3: float
    thicket: bool
    expiring: list[dict[str, Any]]
    overlap: list[dict[str, Any]]
    why: str

    def to_json(self) -> dict[str, Any]:
        return {
            "field": self.field, "name": self.name, "basis": self.basis,
            "patents": self.patents, "owners": self.owners, "hhi": round(self.hhi, 4),
            "cr3": round(self.cr3, 4), "thicket": self.thicket, "expiring": self.expiring,
            "overlap": self.overlap, "why": self.why,
        }


@dataclass(frozen=True)
class IpRiskReport:
    """The answer: the subject, the close patents of others, the field summaries."""

    subject: dict[str, Any]
    risks: list[IpRisk]
    fields: list[FieldSummary]

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "risks": [r.to_json() for r in self.risks],
            "fields": [f.to_json() for f in self.fields],
        }


@dataclass(frozen=True)
class IpRiskQuery:
    """What to check: an equipment item, an organisation with a demand (the product it plans),
    or a text (optionally with the organisation that would make it)."""

    equipment: str | None = None
    org: str | None = None
    demand: str | None = None
    text: str | None = None
    partners: tuple[str, ...] = ()  # more organisations to leave out (agreed partners)
    ipc: tuple[str, ...] = ()  # the product's own IPC codes, if known
    top: int = 10
    years: int = 3  # "expiring within N years"
    today: date | None = None

    def check(self) -> None:
        given = [x for x in (self.equipment, self.demand, self.text) if x]
        if len(given) != 1:
            raise InvalidRequest(
                "给出 --equipment、--org 与 --demand、或 --text 之一 / give exactly one of "
                "equipment, org with demand, or text", field="equipment")
        if self.demand and not self.org:
            raise InvalidRequest("--demand 需与 --org 一起给出 / demand needs org", field="org")
        if self.text is not None and not self.text.strip():
            raise InvalidRequest("文本为空 / empty text", field="text")
        if not 1 <= self.top <= 200:
            raise InvalidRequest("top 须在 1–200 之间 / top must be 1..200", field="top")
        if not 0 <= self.years <= 30:
            raise InvalidRequest("years 须在 0–30 之间 / years must be 0..30", field="years")


# ---- per-index arrays, built once per read model ---------------------------------------------


@dataclass
class _PatentView:
    is_patent: NDArray[np.bool_]
    sample: NDArray[np.int64]
    row_of: dict[str, int]


_VIEWS: weakref.WeakKeyDictionary[Any, _PatentView] = weakref.WeakKeyDictionary()
_VIEWS_LOCK = threading.Lock()


def _view(p: ProfileIndex) -> _PatentView:
    with _VIEWS_LOCK:
        hit = _VIEWS.get(p)
    if hit is not None and len(hit.is_patent) == len(p.corpus.items):
        return hit
    items = p.corpus.items
    is_patent = np.fromiter((it.kind == "patent" for it in items), bool, len(items))
    rows = np.flatnonzero(is_patent)
    rng = np.random.default_rng(0)
    sample = rows if len(rows) <= STAT_SAMPLE else np.sort(rng.choice(rows, STAT_SAMPLE, False))
    row_of = {it.id: r for r, it in enumerate(items) if it.kind in ("patent", "equipment")}
    view = _PatentView(is_patent, sample.astype(np.int64), row_of)
    with _VIEWS_LOCK:
        _VIEWS[p] = view
    return view


# ---- exclusions: the maker, its group, its partners -------------------------------------------


def _group(idx: CollaborationIndex, org: str) -> set[str]:
    """The organisation, its owners up the chain and everything they own (one group)."""
    children: dict[str, set[str]] = defaultdict(set)
    for child, parents in idx.parents.items():
        for parent in parents:
            children[parent].add(child)
    roots = {org}
    todo = [org]
    while todo:  # up: owners of owners
        for parent in idx.parents.get(todo.pop(), ()):
            if parent not in roots:
                roots.add(parent)
                todo.append(parent)
    out = set(roots)
    todo = list(roots)
    while todo:  # down: everything the group owns
        for child in children.get(todo.pop(), ()):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def _exclusions(
    idx: CollaborationIndex, makers: Sequence[str], extra: Sequence[str]
) -> dict[str, str]:
    """Organisation id → why it is left out (Chinese first)."""
    out: dict[str, str] = {}
    for m in makers:
        out.setdefault(m, "制造方本身 / the maker")
        for g in _group(idx, m) - {m}:
            out.setdefault(g, f"同一集团（{m}）/ same group")
        for a in idx.alliances_of.get(m, ()):
            name = idx.alliance_names.get(a, a)
            for other in idx.alliance_members.get(a, ()):
                out.setdefault(other, f"同一联盟：{name} / alliance partner")
        for pj in idx.projects_of.get(m, ()):
            node = idx.projects.get(pj)
            if node is None or node.props.get("kind") not in ("demonstration", "consortium"):
                continue
            for other in idx.members_of.get(pj, ()):
                out.setdefault(other, f"同一示范联合体：{node.title} / consortium partner")
    for x in extra:
        out.setdefault(x, "请求中指定的合作方 / partner named in the request")
    return out


# ---- the service ------------------------------------------------------------------------------


def _field_of(item_field: str | None, ipc: Sequence[str]) -> tuple[str, str, str]:
    """(key, name, basis) of the field a patent is summarised under."""
    if item_field:
        term = field_terms().get(item_field)
        return item_field, (term.name if term else item_field), "field"
    if ipc:
        sub = ipc[0].replace(" ", "")[:4].upper()
        return f"ipc:{sub}", f"IPC {sub}", "ipc"
    return "ipc:?", "IPC 不明 / unknown", "ipc"


def _level(term: PatentTerm, z: float, shared: Sequence[str]) -> tuple[Level, str]:
    """The level and the rule that set it (shown to the user)."""
    if term.in_force is True and z >= Z_HIGH and shared:
        return "high", (f"高：有效期内 + 相似度高出均值 {Z_HIGH:g}σ 以上 + 共有IPC组 / "
                        f"in force, ≥{Z_HIGH:g}σ above the mean, shares an IPC group")
    if term.in_force is False and term.status in ("expired", "lapsed"):
        return "low", "低：已失效或过保护期，可自由实施 / lapsed or expired: free to use"
    if z >= Z_MEDIUM:
        if term.in_force is True:
            return "medium", (f"中：有效期内 + 相似度高出均值 {Z_MEDIUM:g}σ 以上（无共有IPC组或"
                              f"未达 {Z_HIGH:g}σ）/ in force, ≥{Z_MEDIUM:g}σ above the mean")
        return "medium", (f"中：申请中或状态不明 + 相似度高出均值 {Z_MEDIUM:g}σ 以上 / pending or "
                          f"unknown status, ≥{Z_MEDIUM:g}σ above the mean")
    return "low", (f"低：相似度未高出均值 {Z_MEDIUM:g}σ / less than {Z_MEDIUM:g}σ above the "
                   f"mean")


def _visible_node(engine: MatchingEngine, node_id: str, clearance: str) -> Node:
    node = engine.store.get(node_id)
    parent = None
    if node.label == Label.DEMAND:
        for e in engine.store.edges_of(node.id, rel=Rel.NEEDS, direction="in"):
            found = engine.store.get_many([e.source])
            parent = found[0] if found else None
            break
    if not is_visible(node, clearance, parent=parent):
        raise NodeNotFound(node_id)  # above the caller's clearance: exactly like a missing node
    return node


@dataclass
class _Subject:
    json: dict[str, Any]
    vector: NDArray[np.float32]
    makers: list[str]
    ipc: list[str]
    own_rows: list[int] = field(default_factory=list)


def _subject(engine: MatchingEngine, p: ProfileIndex, view: _PatentView, q: IpRiskQuery,
             clearance: str) -> _Subject:
    makers: list[str] = []
    if q.org:
        org = _visible_node(engine, q.org, clearance)
        if org.label != Label.ORGANIZATION:
            raise InvalidRequest(f"{q.org} 不是组织 / is a {org.label}, not an Organization",
                                 field="org")
        makers.append(org.id)
    if q.equipment:
        node = _visible_node(engine, q.equipment, clearance)
        if node.label != Label.EQUIPMENT:
            raise InvalidRequest(f"{q.equipment} 不是装备 / is a {node.label}, not Equipment",
                                 field="equipment")
        row = view.row_of.get(node.id)
        if row is not None:
            vector = p.item_vectors[row]
            text = p.corpus.items[row].text
            owners = [p.corpus.orgs[o].id for o in p.item_owners([row])]
        else:  # made by nobody visible: not in the read model, embed its text
            text = "。".join(str(x) for x in (node.title, node.get("description")) if x)
            vector = engine.embed_query(text)
            owners = [e.source for e in engine.store.edges_of(node.id, rel=Rel.MAKES,
                                                             direction="in")]
        makers.extend(o for o in owners if o not in makers)
        subject: dict[str, Any] = {"kind": "equipment", "id": node.id, "name": node.title,
                                   "text": text}
    elif q.demand:
        node = _visible_node(engine, q.demand, clearance)
        if node.label != Label.DEMAND:
            raise InvalidRequest(f"{q.demand} 不是需求 / is a {node.label}, not a Demand",
                                 field="demand")
        text = str(node.get("text") or "")
        if not text:
            raise InvalidRequest(f"需求 {q.demand} 没有文本 / the demand has no text",
                                 field="demand")
        vector = engine.embed_query(text)
        subject = {"kind": "demand", "id": node.id, "name": text[:60], "text": text}
    else:
        text = str(q.text).strip()
        vector = engine.embed_query(text)
        subject = {"kind": "text", "id": None, "name": text[:60], "text": text}
    names = {n.id: n.title for n in engine.store.get_many(makers)}
    subject["makers"] = [{"id": m, "name": names.get(m, m)} for m in makers]
    # The maker's own patents that are about the product (at least Z_MEDIUM above the mean
    # cosine of the product with a sample of patents) describe it too; the others (a maker's
    # patents in other fields) are left out of the vector and of the IPC groups.
    own: list[int] = []
    for m in makers:
        r = p.org_row.get(m)
        if r is not None:
            own.extend(int(x) for x in p.item_rows_of(r) if view.is_patent[int(x)])
    own = list(dict.fromkeys(own))
    vec = np.asarray(vector, np.float32)
    ipc: list[str] = list(q.ipc)
    if own and len(view.sample):
        base = p.item_vectors[view.sample] @ vec
        floor = float(base.mean()) + Z_MEDIUM * max(float(base.std()), 1e-6)
        sims = p.item_vectors[own] @ vec
        best = [own[i] for i in np.argsort(-sims, kind="stable")[:OWN_PATENTS]
                if sims[i] >= floor]
        subject["own_patents_left_out"] = len(own) - len(best)
    else:
        best = []
    if best:
        centroid = normalise_vectors(p.item_vectors[best].mean(axis=0, keepdims=True))[0]
        vec = normalise_vectors((vec + PORTFOLIO_WEIGHT * centroid).reshape(1, -1))[0]
        for r in best:
            ipc.extend(c for c in p.corpus.items[r].ipc if c not in ipc)
        subject["own_patents"] = [p.corpus.items[r].id for r in best]
    return _Subject(subject, vec, makers, ipc, best)


def _skip_mask(p: ProfileIndex, view: _PatentView, excluded: Mapping[str, str]
               ) -> NDArray[np.bool_] | None:
    """Item rows owned by an excluded organisation (the group's own patents included)."""
    rows: list[int] = []
    for org in excluded:
        r = p.org_row.get(org)
        if r is not None:
            rows.extend(int(x) for x in p.item_rows_of(r))
    if not rows:
        return None
    mask = np.zeros(len(view.is_patent), bool)
    mask[rows] = True
    return mask


def ip_risk(engine: MatchingEngine, query: IpRiskQuery, *, clearance: str = "public"
            ) -> IpRiskReport:
    """The IP early warning for one product, as a caller with ``clearance`` sees the graph.

    Raises ``NodeNotFound`` for an id that is missing or above the clearance and
    ``InvalidRequest`` (naming the field) for a bad request.
    """
    query.check()
    level_of_caller = check_clearance(clearance)
    p = engine.profiles(level_of_caller)
    view = _view(p)
    subj = _subject(engine, p, view, query, level_of_caller)
    idx = collaboration_index(engine.store, level_of_caller)
    excluded = _exclusions(idx, subj.makers, query.partners)
    skip = _skip_mask(p, view, excluded)
    want = max(CLOSE_PATENTS, query.top)
    rows, sims, mean, std = scan_patents_vectors(
        p.item_vectors, view.is_patent, subj.vector, want, sample=view.sample, skip=skip)
    items = p.corpus.items
    orgs = p.corpus.orgs
    today = query.today or date.today()
    inferred = not subj.ipc
    if inferred:  # no IPC of its own: subclasses that several of the closest patents share
        votes: Counter[str] = Counter()
        for r in rows[:IPC_INFER].tolist():
            votes.update({c.replace(" ", "")[:4].upper() for c in items[r].ipc})
        subj.ipc = sorted(c for c, n in votes.items() if n >= IPC_VOTES)
    close: list[tuple[int, float, list[dict[str, str]]]] = []
    for r, s in zip(rows.tolist(), sims.tolist(), strict=True):
        owner_rows = p.item_owners([r])
        owners = [{"id": orgs[o].id, "name": orgs[o].name} for o in owner_rows]
        outside = [o for o in owners if o["id"] not in excluded]
        if outside:
            close.append((r, s, outside))
    nodes = {n.id: n for n in engine.store.get_many([items[r].id for r, _, _ in close])}
    risks: list[IpRisk] = []
    for r, s, owners in close:
        it = items[r]
        node = nodes.get(it.id)
        term = patent_term(node.props if node else {}, it.id, today=today)
        z = (s - mean) / std
        shared = shared_ipc(subj.ipc, it.ipc) if subj.ipc else []
        level, rule = _level(term, z, shared)
        fkey, _, _ = _field_of(it.field, it.ipc)
        why = (f"与{_subject_zh(subj.json)}相似度 {s:.3f}（高出可见专利均值 {z:.1f}σ）；"
               f"{'共有IPC组 ' + '、'.join(shared) if shared else '无共有IPC组'}；"
               f"权利人 {owners[0]['name']}；{term.why}。{rule}")
        risks.append(IpRisk(it.id, it.title, owners[0], tuple(owners), s, z, tuple(shared),
                            it.ipc, term, level, rule, why, fkey))
    subject = dict(subj.json)
    subject["ipc"] = subj.ipc
    subject["ipc_inferred"] = inferred
    subject["excluded"] = [{"id": k, "why": v} for k, v in list(excluded.items())[:50]]
    subject["excluded_count"] = len(excluded)
    subject["similarity_baseline"] = {"mean": round(mean, 4), "std": round(std, 4)}
    fields = _fields(engine, p, view, subj, risks, query.years, today)
    return IpRiskReport(subject, risks[: query.top], fields)


def _subject_zh(subject: Mapping[str, Any]) -> str:
    return {"equipment": "该产品", "demand": "该需求", "text": "该描述"}.get(
        str(subject.get("kind")), "该产品")


def _fields(engine: MatchingEngine, p: ProfileIndex, view: _PatentView, subj: _Subject,
            risks: Sequence[IpRisk], years: int, today: date) -> list[FieldSummary]:
    groups: dict[str, list[IpRisk]] = defaultdict(list)
    for risk in risks:
        groups[risk.field].append(risk)
    horizon = date(today.year + years, today.month, min(today.day, 28))
    own_vec = (normalise_vectors(p.item_vectors[subj.own_rows].mean(axis=0, keepdims=True))[0]
               if subj.own_rows else subj.vector)
    own_ipc = subj.ipc
    listed: set[str] = set()  # owners shown per field (the ten largest): their portfolios
    for members in groups.values():
        listed.update(o for o, _ in Counter(m.owner["id"] for m in members).most_common(10))
    portfolios = _portfolios(p, view, own_vec, own_ipc, listed)
    out: list[FieldSummary] = []
    for key, members in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        first = p.corpus.items[view.row_of[members[0].patent]]
        _, name, basis = _field_of(first.field, first.ipc)
        counts: Counter[str] = Counter(m.owner["id"] for m in members)
        names = {m.owner["id"]: m.owner["name"] for m in members}
        total = len(members)
        shares = [c / total for _, c in counts.most_common()]
        hhi = float(sum(s * s for s in shares))
        cr3 = float(sum(shares[:3]))
        thicket = total >= THICKET_MIN and cr3 >= THICKET_SHARE and len(counts) <= max(3, total // 3)
        owners = [{"id": o, "name": names[o], "patents": c, "share": round(c / total, 4)}
                  for o, c in counts.most_common(10)]
        expiring = [
            {"patent": m.patent, "title": m.title, "owner": dict(m.owner),
             "expires": m.term.expires.isoformat() if m.term.expires else None,
             "status": m.term.status}
            for m in members
            if m.term.expires is not None and (m.term.status in ("expired", "lapsed")
                                               or m.term.expires <= horizon)
        ]
        overlap = [portfolios[o] for o, _ in counts.most_common(10) if o in portfolios]
        overlap = sorted(overlap, key=lambda d: (-d["score"], d["id"]))[:OVERLAP_TOP]
        why = (f"{total} 件相近专利，{len(counts)} 个权利人，前三名占 {cr3:.0%}"
               + ("：专利丛林（少数权利人持有多数），宜评估许可或专利池 / a thicket" if thicket
                  else "：分散 / dispersed")
               + f"；{len(expiring)} 件已到期或 {years} 年内到期 / expire within {years} years")
        out.append(FieldSummary(key, name, basis, total, owners, hhi, cr3, thicket, expiring,
                                overlap, why))
    return out


def _portfolios(p: ProfileIndex, view: _PatentView, own_vec: NDArray[np.float32],
                own_ipc: Sequence[str], org_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """For each organisation, how close its patent portfolio lies to the maker's (cosine of
    the centroids) and the IPC groups they share: candidates for licensing or a patent pool
    (专利池). One centroid per organisation, whatever the number of fields."""
    out: dict[str, dict[str, Any]] = {}
    for oid in sorted(org_ids):
        r = p.org_row.get(oid)
        if r is None:
            continue
        mine = p.item_rows_of(r)
        rows = mine[view.is_patent[mine]]
        if not len(rows):
            continue
        total = p.item_vectors[rows].sum(axis=0)
        norm = float(np.linalg.norm(total))
        score = float(total @ own_vec) / norm if norm > 0 else 0.0
        items = p.corpus.items
        codes = {c for x in rows.tolist() for c in items[x].ipc}
        out[oid] = {"id": oid, "name": p.corpus.orgs[r].name, "patents": len(rows),
                    "score": round(score, 4),
                    "shared_ipc": shared_ipc(own_ipc, codes) if own_ipc else []}
    return out


def ip_warning_evidence(
    engine: MatchingEngine,
    text: str,
    *,
    maker_ids: Sequence[str],
    partner_ids: Sequence[str] = (),
    clearance: str = "public",
    top: int = 3,
    min_level: Level = "medium",
) -> list[Evidence]:
    """IP warnings as evidence for a supplier hit (``maker_ids=[hit.id]``) or a consortium
    (``maker_ids`` = its manufacturer, ``partner_ids`` = the other members): the close patents
    of others at ``min_level`` or above, kind ``ip_risk``, score 0 — shown, never ranked on.
    """
    from matching.engine import Evidence

    makers = list(maker_ids)
    report = ip_risk(engine, IpRiskQuery(text=text, org=makers[0] if makers else None,
                                         partners=tuple([*makers[1:], *partner_ids]),
                                         top=max(top * 3, 10)), clearance=clearance)
    rank = {"high": 2, "medium": 1, "low": 0}
    keep = [r for r in report.risks if rank[r.level] >= rank[min_level]][:top]
    return [
        Evidence("ip_risk", r.patent,
                 f"知识产权预警（{LEVEL_ZH[r.level]}）：{r.title} — {r.owner['name']}，"
                 f"相似度 {r.similarity:.3f}，{KIND_ZH.get(r.term.kind or '', '')}"
                 f"{'有效' if r.term.in_force else '非有效' if r.term.in_force is False else '状态不明'}"
                 f"{'，届满 ' + r.term.expires.isoformat() if r.term.expires else ''}",
                 0.0)
        for r in keep
    ]


def with_ip_warnings(engine: MatchingEngine, text: str, results: list[dict[str, Any]], *,
                     clearance: str, partners: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Ranked results (their JSON) with each one's IP warnings appended to its evidence
    (``ip_risk`` items, score 0: a warning informs, it does not rank)."""
    for r in results:
        r["evidence"] = [*r.get("evidence", []), *(e.to_json() for e in ip_warning_evidence(
            engine, text, maker_ids=[str(r["id"])],
            partner_ids=[p for p in partners if p != r["id"]], clearance=clearance))]
    return results


def hits_with_ip_warnings(engine: MatchingEngine, hits: Sequence[Ranked], *, text: str | None,
                          demand: str | None = None, clearance: str) -> list[Ranked]:
    """Supplier hits with their IP warnings appended to the evidence (scores unchanged); the
    product text is ``text``, else the demand's text."""
    from dataclasses import replace

    from matching.read_model import read_model

    query = text or read_model(engine, clearance).demand(str(demand)).text
    return [replace(h, evidence=[*h.evidence, *ip_warning_evidence(
        engine, query, maker_ids=[h.id], clearance=clearance)]) for h in hits]
