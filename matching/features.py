"""Graph and taxonomy features: field match, IPC evidence, proximity to the project owner.

Proximity walks only relationships that say who works with whom — alliances (``MEMBER_OF``),
projects (``PARTICIPATES_IN``, ``OWNED_BY``) and ``COLLABORATED_WITH`` — never ``MAKES`` →
``DEMONSTRATED_IN``, so a supplier's past demonstrations (track record) earn nothing here.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from graph.model import Rel
from graph.proximity import CollaborationIndex
from graph.store import GraphStore
from graph.taxonomy import field_ancestors

__all__ = [
    "PROXIMITY_RELS",
    "OwnerPaths",
    "catalogue_phrase",
    "field_match",
    "fields_match",
    "ipc_profile",
    "ipc_score",
    "ipc_subclass",
    "owner_paths",
    "path_sentence",
    "project_owner",
]

PROXIMITY_RELS = (Rel.MEMBER_OF, Rel.PARTICIPATES_IN, Rel.OWNED_BY, Rel.COLLABORATED_WITH)
MAX_HOPS = 4
MAX_VISITED = 50_000


def field_match(org_fields: Iterable[str], wanted: str | None) -> float:
    """1 for the same field, 0.5 for a parent or child field, 0.25 for a sibling, else 0.

    >>> field_match(["field:construction.tunnel"], "field:construction.tunnel")
    1.0
    >>> field_match(["field:construction"], "field:construction.tunnel")
    0.5
    >>> field_match(["field:construction.lifting"], "field:construction.tunnel")
    0.25
    """
    if not wanted:
        return 0.0
    best = 0.0
    want_chain = field_ancestors(wanted)
    for f in org_fields:
        if f == wanted:
            return 1.0
        chain = field_ancestors(f)
        if wanted in chain or f in want_chain:
            best = max(best, 0.5)
        elif len(chain) > 1 and len(want_chain) > 1 and chain[1] == want_chain[1]:
            best = max(best, 0.25)
    return best


@lru_cache(maxsize=65_536)
def fields_match(a: frozenset[str], b: frozenset[str]) -> float:
    """The best :func:`field_match` between two sets of fields (0 when either is empty);
    remembered per pair of sets (there are few distinct ones).

    >>> fields_match(frozenset({"field:construction.tunnel"}),
    ...              frozenset({"field:construction", "field:power"}))
    0.5
    """
    return max((field_match(a, w) for w in b), default=0.0)


def ipc_subclass(code: str) -> str:
    """The IPC subclass of a code: ``"E21D 9/06"`` → ``"E21D"``."""
    return code.replace(" ", "")[:4].upper()


def ipc_profile(scored_codes: Sequence[tuple[float, Sequence[str]]]) -> dict[str, float]:
    """IPC subclass weights from ``(similarity, codes)`` of the best-matching patents, scaled so
    the heaviest subclass weighs 1.

    >>> ipc_profile([(0.9, ["E21D 9/06"]), (0.6, ["E21D 9/08", "B23K 1/00"])])
    {'E21D': 1.0, 'B23K': 0.4}
    """
    weights: dict[str, float] = {}
    for sim, codes in scored_codes:
        for sub in {ipc_subclass(c) for c in codes if c}:
            weights[sub] = weights.get(sub, 0.0) + max(sim, 0.0)
    top = max(weights.values(), default=0.0)
    return {k: round(v / top, 6) for k, v in weights.items()} if top > 0 else {}


def ipc_score(codes: Iterable[str], profile: Mapping[str, float]) -> float:
    """The heaviest subclass of the query's IPC profile that these codes hold."""
    return max((profile.get(ipc_subclass(c), 0.0) for c in codes), default=0.0)


def project_owner(store: GraphStore, project_id: str) -> str | None:
    """The owner organisation of a project (``OWNED_BY``), or None."""
    for e in store.edges_of(project_id, rel=Rel.OWNED_BY, direction="out"):
        return e.target
    return None


@dataclass(frozen=True)
class OwnerPaths:
    """Shortest paths from a project owner over the proximity relationships."""

    owner: str
    parent: Mapping[str, tuple[str, str]]  # node → (previous node, relationship)
    hops: Mapping[str, int]
    name: Callable[[str], str] = str  # the name of a node on a path (its id by default)

    def proximity(self, org_id: str) -> float:
        """1 / hops to the owner (0 for the owner itself or without a path)."""
        h = self.hops.get(org_id, 0)
        if h < 0:
            return 0.0
        return 1.0 / h if h > 0 else 0.0

    def path(self, org_id: str) -> list[tuple[str, str]]:
        """``[(node, relationship to the next node), …]`` from the organisation to the owner;
        the owner comes last with an empty relationship. Empty without a path."""
        if self.hops.get(org_id, -1) <= 0:
            return []
        out: list[tuple[str, str]] = []
        current = org_id
        while current != self.owner:
            prev, rel = self.parent[current]
            out.append((current, rel))
            current = prev
        out.append((self.owner, ""))
        return out


def owner_paths(
    index: CollaborationIndex,
    owner: str,
    *,
    max_hops: int = MAX_HOPS,
) -> OwnerPaths:
    """Breadth-first search from the owner (either direction) up to ``max_hops`` over the
    proximity relationships of ``index`` (built at the caller's clearance, so a hidden project
    or alliance never bridges a path). Reads nothing from the store.

    Notes
    -----
    O(visited nodes + their links); stops after ``MAX_VISITED`` nodes so a huge alliance cannot
    make one query slow.
    """
    hops = {owner: 0}
    parent: dict[str, tuple[str, str]] = {}
    queue = deque([owner])
    while queue and len(hops) < MAX_VISITED:
        node = queue.popleft()
        if hops[node] >= max_hops:
            continue
        for other, rel in index.links(node):
            if other not in hops:
                hops[other] = hops[node] + 1
                parent[other] = (node, rel)
                queue.append(other)
    return OwnerPaths(owner, parent, hops, index.name)


REL_ZH: dict[str, str] = {
    Rel.PARTICIPATES_IN: "参与项目",
    Rel.OWNED_BY: "项目业主",
    Rel.MEMBER_OF: "联盟成员",
    Rel.COLLABORATED_WITH: "合作",
}
_PROJECT_RELS = frozenset({Rel.PARTICIPATES_IN, Rel.OWNED_BY})


def path_sentence(names: Sequence[str], rels: Sequence[str]) -> str:
    """A graph path as a sentence people read: ``names`` of the nodes on it, ``rels`` the
    relationship types between consecutive nodes.

    >>> path_sentence(["重庆大学", "重庆轨道交通15号线", "重庆市轨道交通（集团）"],
    ...               ["PARTICIPATES_IN", "OWNED_BY"])
    '重庆大学 与 重庆市轨道交通（集团） 曾共同参与 重庆轨道交通15号线'
    >>> path_sentence(["甲", "乙"], ["COLLABORATED_WITH"])
    '甲 与 乙 有合作记录'
    """
    if len(names) == 1:
        return names[0]
    if len(names) == 3 and set(rels) <= _PROJECT_RELS:
        return f"{names[0]} 与 {names[2]} 曾共同参与 {names[1]}"
    if len(names) == 3 and set(rels) == {Rel.MEMBER_OF}:
        return f"{names[0]} 与 {names[2]} 同为 {names[1]} 成员"
    if len(names) == 2 and rels[0] == Rel.COLLABORATED_WITH:
        return f"{names[0]} 与 {names[1]} 有合作记录"
    via = "、".join(dict.fromkeys(REL_ZH.get(r, r) for r in rels))
    return f"{' → '.join(names)}（经{via}关系相连）"


STATUS_ZH = {
    "developing": "研制中",
    "catalogued": "已列入目录",
    "evaluated": "已通过评价",
    "demonstrated": "已示范应用",
    "insured": "已投保首台（套）保险",
}
_LIST_ZH = {"national": "国家首台（套）目录", "chongqing": "重庆市首台（套）目录",
            "cq": "重庆市首台（套）目录"}


def catalogue_phrase(mark: str) -> str:
    """A catalogue mark (a list such as ``national-2024``, or a status) as people read it.

    >>> catalogue_phrase("national-2024"), catalogue_phrase("insured"), catalogue_phrase("")
    ('国家首台（套）目录 2024', '已投保首台（套）保险', '已列入目录')
    """
    text = (mark or "catalogued").strip()
    if text in STATUS_ZH:
        return STATUS_ZH[text]
    head, _, tail = text.partition("-")
    if head.casefold() in _LIST_ZH:
        return f"{_LIST_ZH[head.casefold()]} {tail}".strip()
    return text
