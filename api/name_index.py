"""Entity search by name: Chinese (simplified or traditional) or English, tolerant of short names.

Names are normalised as ingest's entity resolution does (``ingest.names.name_key``: traditional →
simplified, full-width → half-width, brackets and spaces removed, legal-form endings such as
有限责任公司 dropped), then scored with rapidfuzz. A query that is a prefix or substring of a
name scores high, so 重庆机床 finds 重庆机床（集团）有限责任公司.

>>> normalise_name("重慶機床（集團）有限責任公司")
'重庆机床集团'
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from graph.model import Label, Node
from graph.store import GraphStore
from ingest.names import name_key

__all__ = ["NameHit", "NameIndex", "normalise_name"]

_SEARCHABLE = (
    Label.ORGANIZATION,
    Label.EQUIPMENT,
    Label.TECHNOLOGY,
    Label.PROJECT,
    Label.ALLIANCE,
    Label.PITCH,
)


def normalise_name(text: str) -> str:
    """The comparison key shared with ingest's entity resolution."""
    return name_key(text)


@dataclass(frozen=True)
class NameHit:
    id: str
    label: str
    name: str
    matched: str
    score: float


class NameIndex:
    """Names of the searchable nodes, rebuilt when the store's version changes."""

    def __init__(self, store: GraphStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._version: int | None = None
        self._keys: list[str] = []
        self._owners: list[tuple[str, str, str, str]] = []  # id, label, display name, raw name

    def _names(self, node: Node) -> list[str]:
        out: list[str] = []
        for key in ("name", "title", "name_en", "text"):
            value = node.props.get(key)
            if isinstance(value, str) and value:
                out.append(value if key != "text" else value[:80])
        aliases = node.props.get("aliases")
        if isinstance(aliases, str):
            aliases = [a for a in aliases.split(";") if a]
        if isinstance(aliases, list):
            out += [str(a) for a in aliases if a]
        return out

    def _refresh(self) -> None:
        version = self._store.version()
        with self._lock:
            if version == self._version:
                return
            keys: list[str] = []
            owners: list[tuple[str, str, str, str]] = []
            for label in _SEARCHABLE:
                for node in self._store.nodes(label):
                    for raw in self._names(node):
                        key = normalise_name(raw)
                        if key:
                            keys.append(key)
                            owners.append((node.id, str(node.label), node.title, raw))
            self._keys, self._owners, self._version = keys, owners, version

    def search(
        self, query: str, *, labels: set[str] | None = None, limit: int = 10
    ) -> list[NameHit]:
        """Best hits first, one per node, scores in [0, 1]."""
        self._refresh()
        q = normalise_name(query)
        if not q:
            return []
        keys, owners = self._keys, self._owners
        pool = max(limit * 5, 50)
        found = process.extract(q, keys, scorer=_score, limit=pool, score_cutoff=55)
        best: dict[str, NameHit] = {}
        for _, score, i in found:
            node_id, label, name, raw = owners[i]
            if labels and label not in labels:
                continue
            hit = NameHit(node_id, label, name, raw, round(score / 100.0, 4))
            if node_id not in best or best[node_id].score < hit.score:
                best[node_id] = hit
        ranked = sorted(
            best.values(), key=lambda h: (-h.score, h.label != Label.ORGANIZATION, h.id)
        )
        return ranked[:limit]


def _score(query: str, choice: str, **_: object) -> float:
    if query == choice:
        return 100.0
    if choice.startswith(query):
        return 95.0 + 5.0 * len(query) / len(choice)
    if query in choice:
        return 88.0 + 7.0 * len(query) / len(choice)
    if len(query) <= 2:
        return 0.0
    return 0.9 * max(fuzz.ratio(query, choice), fuzz.partial_ratio(query, choice) * 0.95)
