"""Entity resolution: one organisation, many spellings.

Rows merge when they share a unified social credit code, or when one lists the other's id among
its aliases. Names that only look alike, and aliases that equal another organisation's name, are
reported as likely duplicates, not merged: a wrong merge is worse than a missed one (in the CORDIS
directory "BEIA" is the alias of one firm and the name, less "GMBH", of another). The canonical id of a group is its smallest stored id, else
its smallest id, so the result does not depend on row order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from ingest.names import name_key

__all__ = ["OrgRecord", "Resolution", "resolve_organizations"]

_FUZZY_CUTOFF = 92.0
_BLOCK_LIMIT = 400


@dataclass(frozen=True)
class OrgRecord:
    id: str
    name: str
    uscc: str | None = None
    aliases: tuple[str, ...] = ()
    stored: bool = False  # already in the store: its id wins, stored nodes are never renamed


@dataclass
class Resolution:
    canonical: dict[str, str] = field(default_factory=dict)  # every id → its group's id
    groups: list[list[str]] = field(default_factory=list)  # groups of 2+ ids, sorted
    likely_duplicates: list[tuple[str, str, float]] = field(default_factory=list)


class _UnionFind:
    def __init__(self, stored: set[str]) -> None:
        self.parent: dict[str, str] = {}
        self.stored = stored

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:  # path compression
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            lo, hi = sorted((ra, rb), key=lambda x: (x not in self.stored, x))
            self.parent[hi] = lo


def resolve_organizations(records: Iterable[OrgRecord]) -> Resolution:
    """Group records that are one organisation; see the module docstring for the rules."""
    recs = sorted({r.id: r for r in records}.values(), key=lambda r: r.id)
    uf = _UnionFind({r.id for r in recs if r.stored})
    by_uscc: dict[str, str] = {}
    by_name: dict[str, list[str]] = defaultdict(list)
    ids = {r.id for r in recs}
    for r in recs:
        uf.find(r.id)
        if r.uscc:
            if r.uscc in by_uscc:
                uf.union(by_uscc[r.uscc], r.id)
            else:
                by_uscc[r.uscc] = r.id
        by_name[name_key(r.name)].append(r.id)
    alias_pairs: list[tuple[str, str]] = []
    for r in recs:
        for alias in r.aliases:
            if alias in ids and alias != r.id:
                uf.union(r.id, alias)
            key = name_key(alias)
            alias_pairs += [
                (r.id, other) for other in by_name.get(key, ()) if other != r.id and len(key) >= 4
            ]
    result = Resolution(canonical={r.id: uf.find(r.id) for r in recs})
    members: dict[str, list[str]] = defaultdict(list)
    for node_id, root in result.canonical.items():
        members[root].append(node_id)
    result.groups = sorted(sorted(m) for m in members.values() if len(m) > 1)
    named_alike = {
        tuple(sorted(p)) for p in alias_pairs if result.canonical[p[0]] != result.canonical[p[1]]
    }
    result.likely_duplicates = sorted(
        set(_likely_duplicates(recs, result.canonical)) | {(a, b, 100.0) for a, b in named_alike}
    )
    return result


def _likely_duplicates(
    recs: list[OrgRecord], canonical: dict[str, str]
) -> list[tuple[str, str, float]]:
    """Pairs in different groups whose normalised names are equal or nearly so.

    Names are blocked by their first two characters so the work stays near-linear.
    """
    blocks: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in recs:
        key = name_key(r.name)
        if len(key) >= 4:
            blocks[key[:2]].append((r.id, key))
    out: list[tuple[str, str, float]] = []
    for block in blocks.values():
        if len(block) < 2:
            continue
        block = block[:_BLOCK_LIMIT]
        keys = [k for _, k in block]
        scores = process.cdist(keys, keys, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF)
        for i, j in zip(*scores.nonzero(), strict=True):
            a, b = block[int(i)][0], block[int(j)][0]
            if a < b and canonical[a] != canonical[b]:
                out.append((a, b, round(float(scores[i, j]), 1)))
    return sorted(out)
