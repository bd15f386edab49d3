"""Organisation profiles: what an organisation offers, as texts and vectors.

Each organisation has *items* — its own description, the equipment it makes, the patents
(title and abstract) and the technologies it owns — and every item keeps its own vector, so a
result can cite the product or patent that matched. The organisation's profile vector is the
normalised sum of its description vector and the mean of its other items' vectors; its profile
text (for the lexical index) is its name, description and item texts joined.

Nodes above the caller's clearance (own ``clearance`` mark; military projects restricted unless
marked) are left out: organisations are not ranked, items are left out of the profile text and
vector, so a ranking never depends on what the caller may not see.

:class:`ProfileIndex` keeps all of this in memory and brings it up to date when the store's
``version()`` moves: only new or changed texts are embedded (and the vector cache in the store
means even those are embedded once per model), the rest is re-stacked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from graph.clearance import is_visible as _is_visible
from graph.clearance import required_level
from graph.model import TEXT_KEYS, Label, Node, Rel, describes
from graph.store import GraphStore
from graph.taxonomy import is_chongqing, region_id, regions, resolve_field
from matching.embedders import Embedder, content_key, normalise_vectors
from matching.features import ipc_subclass
from matching.index import ExactVectorIndex, LexicalIndex

__all__ = [
    "CATALOGUED_STATUSES",
    "Corpus",
    "Item",
    "OrgInfo",
    "ProfileIndex",
    "build_corpus",
    "field_id",
    "node_text",
    "region_chain",
    "required_level",
    "visible_to",
]

Matrix = NDArray[np.float32]

# Equipment statuses that imply a catalogue entry (目录). "demonstrated" is a status of the
# equipment, not a reward: it only counts towards the catalogue flag here.
CATALOGUED_STATUSES = frozenset({"catalogued", "evaluated", "demonstrated", "insured"})
ITEM_SAMPLE = 4096  # items whose similarities standardise the best-item feature
DESCRIPTION_WEIGHT = 1.0  # weight of the description vector against the mean of the items


@dataclass(frozen=True)
class Item:
    """One thing an organisation offers: its description, a product, a patent, a technology."""

    id: str
    kind: str  # description | equipment | patent | technology
    text: str  # what is embedded and shown
    title: str
    field: str | None = None
    ipc: tuple[str, ...] = ()

    def says_what_it_does(self) -> bool:
        """Whether its text says more than its title (:func:`graph.model.says_what_it_does`
        on the node it came from: ``text`` is the title and the descriptive texts joined)."""
        return describes(self.text.removeprefix(self.title))


@dataclass(frozen=True)
class OrgInfo:
    """What the filters and flags need to know about one organisation."""

    id: str
    name: str
    kinds: frozenset[str]
    region: str
    region_id: str | None
    chongqing: bool
    fields: frozenset[str]
    catalogued: bool
    insured: bool
    catalogue_items: tuple[str, ...] = ()  # equipment ids with a catalogue entry
    insured_items: tuple[str, ...] = ()
    track_record: tuple[str, ...] = ()  # projects its equipment was demonstrated in (shown only)
    described: bool = True  # some item says what it does (:func:`graph.model.says_what_it_does`)


@dataclass
class Corpus:
    """Organisations, their items and which items belong to which organisation."""

    orgs: list[OrgInfo]
    items: list[Item]
    org_items: list[list[int]]  # item rows per organisation (row 0 of each is its description)
    profile_texts: list[str] = field(default_factory=list)
    catalogue: dict[str, str] = field(default_factory=dict)  # equipment id → its list or status
    names: dict[str, str] = field(default_factory=dict)  # visible project id → name (evidence)


def _as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(";") if v.strip()]
    return [str(v) for v in value]


def field_id(value: Any) -> str | None:
    """The Field id of a ``field`` value (an id, or a name the taxonomy resolves), else None."""
    if not value:
        return None
    text = str(value)
    return text if text.startswith("field:") else resolve_field(text) or None


def region_chain(rid: str | None) -> list[str]:
    """A region id and its parents, nearest first."""
    out: list[str] = []
    table = regions()
    current = rid
    while current and current not in out:
        out.append(current)
        term = table.get(current)
        current = term.parent if term else None
    return out


def visible_to(clearance: str, node: Node) -> bool:
    """True when a caller with ``clearance`` may see ``node`` (the rule of :mod:`graph.clearance`)."""
    return _is_visible(node, clearance)


def _join(*parts: Any) -> str:
    out: list[str] = []
    for p in parts:
        text = str(p).strip().rstrip("。") if p else ""
        if text and text not in out:
            out.append(text)
    return "。".join(out)


def node_text(node: Node) -> str:
    """What is embedded and indexed for a node: its name and its descriptive texts, joined.

    >>> node_text(Node("d", "Demand", {"text": "盾构机", "description": "越江隧道"}))
    '盾构机。越江隧道'
    """
    return _join(node.title, *(node.get(k) for k in TEXT_KEYS))


def build_corpus(store: GraphStore, *, clearance: str = "public") -> Corpus:
    """Read organisations and their items from the store (O(nodes + edges))."""
    orgs = [o for o in store.nodes(Label.ORGANIZATION) if visible_to(clearance, o)]
    items_by_id: dict[str, Item] = {}
    owned: dict[str, list[str]] = defaultdict(list)
    equipment: dict[str, Node] = {}
    for node in store.nodes(Label.EQUIPMENT):
        if not visible_to(clearance, node):
            continue
        equipment[node.id] = node
        items_by_id[node.id] = Item(
            node.id, "equipment", node_text(node), node.title,
            field_id(node.get("field")),
        )
    for node in store.nodes(Label.PATENT):
        if not visible_to(clearance, node):
            continue
        items_by_id[node.id] = Item(
            node.id, "patent", node_text(node), node.title,
            field_id(node.get("field")), tuple(_as_list(node.get("ipc"))),
        )
    for node in store.nodes(Label.TECHNOLOGY):
        if not visible_to(clearance, node):
            continue
        items_by_id[node.id] = Item(
            node.id, "technology", node_text(node), node.title,
            field_id(node.get("field")),
        )
    for rel in (Rel.MAKES, Rel.OWNS):
        for e in store.edges(rel):
            if e.target in items_by_id:
                owned[e.source].append(e.target)
    demonstrated: dict[str, list[str]] = defaultdict(list)
    project_nodes = {p.id: p for p in store.nodes(Label.PROJECT) if visible_to(clearance, p)}
    projects = set(project_nodes)
    for e in store.edges(Rel.DEMONSTRATED_IN):
        if e.target in projects:
            demonstrated[e.source].append(e.target)
    org_fields: dict[str, set[str]] = defaultdict(set)
    for e in store.edges(Rel.IN_FIELD):
        org_fields[e.source].add(e.target)

    items: list[Item] = []
    org_items: list[list[int]] = []
    infos: list[OrgInfo] = []
    texts: list[str] = []
    row_of: dict[str, int] = {}
    for org in orgs:
        desc = Item(org.id, "description", node_text(org), org.title,
                    field_id(org.get("field")))
        rows = [len(items)]
        items.append(desc)
        mine = sorted(set(owned.get(org.id, ())))
        for item_id in mine:
            if item_id not in row_of:
                row_of[item_id] = len(items)
                items.append(items_by_id[item_id])
            rows.append(row_of[item_id])
        org_items.append(rows)
        fields = set(org_fields.get(org.id, ()))
        if desc.field:
            fields.add(desc.field)
        cat: list[str] = []
        ins: list[str] = []
        record: list[str] = []
        for item_id in mine:
            it = items_by_id[item_id]
            if it.field:
                fields.add(it.field)
            fields.update(org_fields.get(item_id, ()))
            eq = equipment.get(item_id)
            if eq is not None:
                status = str(eq.get("status") or "")
                if eq.get("catalogue") or status in CATALOGUED_STATUSES:
                    cat.append(item_id)
                if status == "insured" or eq.get("insured") is True:
                    ins.append(item_id)
                record.extend(demonstrated.get(item_id, ()))
        region = str(org.get("region") or "")
        rid = region_id(region) if region else None
        infos.append(
            OrgInfo(
                id=org.id,
                name=org.title,
                kinds=frozenset(_as_list(org.get("kinds") or org.get("kind"))),
                region=region,
                region_id=rid,
                chongqing=is_chongqing(rid),
                fields=frozenset(fields),
                catalogued=bool(cat),
                insured=bool(ins),
                catalogue_items=tuple(cat),
                insured_items=tuple(ins),
                track_record=tuple(sorted(set(record))),
                described=desc.says_what_it_does()
                or any(items_by_id[i].says_what_it_does() for i in mine),
            )
        )
        texts.append(" ".join(items[r].text for r in rows))
    catalogue = {i: str(equipment[i].get("catalogue") or equipment[i].get("status") or "")
                 for o in infos for i in (*o.catalogue_items, *o.insured_items)}
    names = {pid: project_nodes[pid].title for o in infos for pid in o.track_record}
    return Corpus(infos, items, org_items, texts, catalogue, names)


def _membership(org_items: Sequence[Sequence[int]], n_items: int) -> sp.csr_matrix:
    """Rows: organisations; the description weighs ``DESCRIPTION_WEIGHT``, the other items
    share a weight of 1 between them."""
    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    for rows in org_items:
        indices.extend(rows)
        rest = len(rows) - 1
        data.append(DESCRIPTION_WEIGHT)
        data.extend([1.0 / rest] * rest if rest else [])
        indptr.append(len(indices))
    return sp.csr_matrix(
        (np.asarray(data, np.float32), np.asarray(indices, np.int64), np.asarray(indptr)),
        shape=(len(org_items), n_items),
    )


class ProfileIndex:
    """Profiles, item vectors, the organisation vector index and the lexical index, kept fresh.

    Call :meth:`refresh` before use (the engine does); it is a no-op while ``store.version()``
    stays the same. ``vectors_for`` maps text keys to vectors already embedded in this process,
    so a refresh after a small change embeds only the new texts.
    """

    def __init__(self, store: GraphStore | None, embedder: Embedder, *, clearance: str = "public"):
        self.store = store
        self.embedder = embedder
        self.clearance = clearance
        self.version: int | None = None
        self.corpus = Corpus([], [], [])
        self.item_vectors: Matrix = np.zeros((0, embedder.dim), np.float32)
        self.org_index = ExactVectorIndex([], np.zeros((0, embedder.dim), np.float32))
        self.lexical = LexicalIndex()
        self.org_row: dict[str, int] = {}
        self.item_row: dict[str, int] = {}
        self.item_ptr = np.zeros(1, np.int64)
        self.item_idx = np.zeros(0, np.int64)
        self.item_sample_vectors: Matrix = np.zeros((0, embedder.dim), np.float32)
        self.item_ipc: list[tuple[str, ...]] = []
        self._owner_ptr = np.zeros(1, np.int64)
        self._owner_idx = np.zeros(0, np.int64)
        self._known: dict[str, Matrix] = {}
        self._live: set[str] = set()
        self.last_embedded = 0

    def stale(self) -> bool:
        """True when the store changed since this index was built."""
        return self.store is not None and self.store.version() != self.version

    def rebuilt(self) -> ProfileIndex:
        """A fresh index over the store's current content that reuses this one's vectors and
        lexical rows; this index is left untouched, so queries running on it stay consistent."""
        new = ProfileIndex(self.store, self.embedder, clearance=self.clearance)
        new._known = self._known
        new.lexical = self.lexical.copy()
        new.refresh()
        return new

    def refresh(self, *, force: bool = False) -> bool:
        """Rebuild from the store if it changed since the last refresh; True when it did."""
        if self.store is None:
            return False
        version = self.store.version()
        if not force and version == self.version:
            return False
        corpus = build_corpus(self.store, clearance=self.clearance)
        vectors = self._embed_items(corpus.items)
        self._known = {k: v for k, v in self._known.items() if k in self._live}
        self.load(corpus, vectors)
        self.version = version
        return True

    def load(self, corpus: Corpus, item_vectors: Matrix | None = None) -> None:
        """Install a corpus; embed its item texts unless ``item_vectors`` are given (one row per
        item, already normalised — the benchmark passes synthetic ones)."""
        if item_vectors is None:
            item_vectors = self._embed_items(corpus.items)
        self.corpus = corpus
        self.item_vectors = np.ascontiguousarray(item_vectors, np.float32)
        member = _membership(corpus.org_items, len(corpus.items))
        org_vectors = normalise_vectors(member @ self.item_vectors)
        ids = [o.id for o in corpus.orgs]
        self.org_index = ExactVectorIndex(ids, org_vectors)
        self.org_row = {o: r for r, o in enumerate(ids)}
        self.item_row = {it.id: r for r, it in enumerate(corpus.items)}
        self.item_ptr = np.asarray(member.indptr, np.int64)
        self.item_idx = np.asarray(member.indices, np.int64)
        owners = member.T.tocsr()
        self._owner_ptr = np.asarray(owners.indptr, np.int64)
        self._owner_idx = np.asarray(owners.indices, np.int64)
        self.lexical.update(dict(zip(ids, corpus.profile_texts, strict=True)))
        m = len(corpus.items)
        self.item_ipc = [tuple({ipc_subclass(c) for c in it.ipc}) if it.ipc else () for it in
                         corpus.items]
        rng = np.random.default_rng(0)
        sample = (np.arange(m) if m <= ITEM_SAMPLE
                  else np.sort(rng.choice(m, ITEM_SAMPLE, replace=False)))
        self.item_sample_vectors = np.ascontiguousarray(self.item_vectors[sample])

    def _embed_items(self, items: Sequence[Item]) -> Matrix:
        keys = [content_key(it.text) for it in items]
        todo: dict[str, str] = {}
        for key, it in zip(keys, items, strict=True):
            if key not in self._known:
                todo.setdefault(key, it.text)
        self.last_embedded = len(todo)
        if todo:
            vecs = self.embedder.embed_documents(list(todo.values()))
            for key, v in zip(todo, vecs, strict=True):
                self._known[key] = v
        self._live = set(keys)
        if not keys:
            return np.zeros((0, self.embedder.dim), np.float32)
        return np.stack([self._known[k] for k in keys]).astype(np.float32)

    # ---- lookups used by the engine -----------------------------------------------------

    def items_of(self, org_rows: Iterable[int]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """``(item rows, segment starts)`` for these organisations, in order: item rows of the
        i-th organisation are ``rows[starts[i]:starts[i+1]]``."""
        org_rows = np.asarray(list(org_rows), np.int64)
        lo, hi = self.item_ptr[org_rows], self.item_ptr[org_rows + 1]
        lengths = hi - lo
        starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        if lengths.sum() == 0:
            return np.zeros(0, np.int64), starts
        offsets = np.repeat(lo - starts[:-1], lengths) + np.arange(int(lengths.sum()))
        return self.item_idx[offsets], starts

    def item_rows_of(self, org_row: int) -> NDArray[np.int64]:
        """Item rows of one organisation (its description first)."""
        return self.item_idx[self.item_ptr[org_row] : self.item_ptr[org_row + 1]]

    def item_owners(self, item_rows: Iterable[int]) -> list[int]:
        """Organisation rows owning any of these items (each once, first seen first)."""
        out: dict[int, None] = {}
        for r in item_rows:
            for o in self._owner_idx[self._owner_ptr[r] : self._owner_ptr[r + 1]]:
                out.setdefault(int(o), None)
        return list(out)

    def info(self, org_id: str) -> OrgInfo:
        return self.corpus.orgs[self.org_row[org_id]]

    def orgs_mapping(self) -> Mapping[str, OrgInfo]:
        return {o.id: o for o in self.corpus.orgs}
