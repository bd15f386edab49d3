"""The read model: one view of the graph per (store version, clearance), shared by every job.

It holds what the jobs read — organisations and their items (the engine's
:class:`~matching.profiles.ProfileIndex`: texts, item and profile vectors, the lexical index of
profiles), projects with their owners, members and demands, demands, technologies and pitches
with their texts, fields and vectors, and one lexical index over the texts of demands,
technologies and pitches (the same char n-gram TF-IDF as the profiles). It is built with bulk
reads — one ``nodes(label)`` or ``edges(rel)`` call per label and relationship type, never one
call per node — and whatever the caller may not see (by :mod:`graph.clearance`) is absent from
it, so no job that reads it can leak it.

Vectors: things that are *needed* (demands) are embedded as queries, things that are
*offered* (technologies, pitches, the organisations' items) as documents, as in supplier
search; both are cached in the store by model and content hash.

Examples
--------
>>> from graph.networkx_store import NetworkxStore
>>> from graph.model import Node, Edge
>>> from matching.embedders import HashEmbedder
>>> from matching.engine import MatchingEngine
>>> store = NetworkxStore(":memory:")
>>> _ = store.upsert([Node("o", "Organization", {"name": "甲", "kinds": ["user"]}),
...                   Node("p", "Project", {"name": "军用项目", "kind": "military"}),
...                   Node("d", "Demand", {"text": "红外探测器"})],
...                  [Edge("p", "OWNED_BY", "o"), Edge("p", "NEEDS", "d")])
>>> engine = MatchingEngine(store, HashEmbedder(16))
>>> [d.id for d in read_model(engine, "public").demands], str(read_model(engine, "secret").label("d"))
([], 'Demand')
"""

from __future__ import annotations

import threading
import weakref
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from graph.clearance import check_clearance, is_visible
from graph.errors import InvalidRequest, NodeNotFound
from graph.model import Label, Node, Rel
from graph.store import GraphStore
from matching.embedders import CachedEmbedder
from matching.index import LexicalIndex
from matching.profiles import ProfileIndex, field_id, node_text

if TYPE_CHECKING:
    from matching.engine import MatchingEngine

__all__ = [
    "CLOSED_STATUSES",
    "DemandView",
    "PitchView",
    "ProjectView",
    "ReadModel",
    "TechView",
    "install",
    "read_model",
]

Matrix = NDArray[np.float32]
CLOSED_STATUSES = frozenset({"closed", "filled", "done", "awarded", "cancelled"})
FLOOR_ITEMS = 64  # items and needs whose mean cosine is the model's level for unrelated texts
FLOOR_QUERIES = 512


@dataclass(frozen=True)
class ProjectView:
    id: str
    name: str
    text: str
    kind: str
    owner: str | None
    region: str
    demands: tuple[str, ...]
    members: tuple[tuple[str, str], ...]  # (organisation id, role)

    @property
    def military(self) -> bool:
        return self.kind == "military"


@dataclass(frozen=True)
class DemandView:
    id: str
    title: str
    text: str
    fields: frozenset[str]
    project: str | None
    project_name: str
    military: bool
    owner: str | None
    budget_wan: float
    open: bool


@dataclass(frozen=True)
class TechView:
    id: str
    name: str
    text: str
    origin: str
    fields: frozenset[str]
    trl: float | None
    owners: tuple[str, ...]


@dataclass(frozen=True)
class PitchView:
    id: str
    title: str
    text: str
    field: str | None
    stage: str
    trl: float | None
    presenters: tuple[str, ...]


def _number(value: Any) -> float | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _fields(node: Node, in_field: dict[str, set[str]]) -> frozenset[str]:
    out = set(in_field.get(node.id, ()))
    own = field_id(node.get("field"))
    if own:
        out.add(own)
    return frozenset(out)


class ReadModel:
    """Projects, demands, technologies and pitches visible at ``clearance``, beside the
    organisation profiles of the same store version. Build it with :func:`read_model`."""

    def __init__(self, store: GraphStore | None, embedder: CachedEmbedder,
                 profiles: ProfileIndex, clearance: str, *,
                 previous: ReadModel | None = None) -> None:
        self.store = store
        self.embedder = embedder
        self.profiles = profiles
        self.clearance = clearance
        self.version = profiles.version
        self._labels: dict[str, str] = {o.id: Label.ORGANIZATION for o in profiles.corpus.orgs}
        self._names: dict[str, str] = {o.id: o.name for o in profiles.corpus.orgs}
        for it in profiles.corpus.items:
            if it.kind != "description":
                self._labels.setdefault(it.id, it.kind.capitalize())
                self._names.setdefault(it.id, it.title)
        self.lexical: LexicalIndex = LexicalIndex()
        self._previous_lexical: LexicalIndex | None = (
            previous.lexical if previous is not None else None)
        self._memo: dict[str, Any] = {}
        self._memo_lock = threading.Lock()
        self.projects: dict[str, ProjectView] = {}
        self.demands: list[DemandView] = []
        self.techs: list[TechView] = []
        self.pitches: list[PitchView] = []
        if store is not None:
            self._read()
            self._index()

    @classmethod
    def from_views(
        cls, embedder: CachedEmbedder, profiles: ProfileIndex, clearance: str, *,
        projects: Sequence[ProjectView], demands: Sequence[DemandView],
        techs: Sequence[TechView], pitches: Sequence[PitchView],
        vectors: dict[str, Matrix] | None = None,
    ) -> ReadModel:
        """A read model from views built elsewhere (benchmarks: synthetic graphs that no store
        holds). ``vectors`` may give ``demands`` (query vectors), ``techs``, ``pitches`` and
        ``pitch_queries`` instead of embedding the texts."""
        model = cls(None, embedder, profiles, clearance)
        model.projects = {p.id: p for p in projects}
        model.demands, model.techs, model.pitches = list(demands), list(techs), list(pitches)
        for p in projects:
            model._note(p.id, Label.PROJECT, p.name)
        for d in demands:
            model._note(d.id, Label.DEMAND, d.title)
        for t in techs:
            model._note(t.id, Label.TECHNOLOGY, t.name)
        for n in pitches:
            model._note(n.id, Label.PITCH, n.title)
        model._index(vectors)
        return model

    def memo(self, key: str, make: Callable[[], Any]) -> Any:
        """A value computed once per read model (per store version and clearance)."""
        with self._memo_lock:
            if key not in self._memo:
                self._memo[key] = make()
            return self._memo[key]

    # ---- building -----------------------------------------------------------------------

    def _read(self) -> None:
        assert self.store is not None
        s, level = self.store, self.clearance
        in_field: dict[str, set[str]] = defaultdict(set)
        for e in s.edges(Rel.IN_FIELD):
            in_field[e.source].add(e.target)
        owner_of: dict[str, str] = {}
        for e in s.edges(Rel.OWNED_BY):
            owner_of.setdefault(e.source, e.target)
        needs: dict[str, list[str]] = defaultdict(list)
        parent: dict[str, str] = {}
        for e in s.edges(Rel.NEEDS):
            needs[e.source].append(e.target)
            parent.setdefault(e.target, e.source)
        members: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for e in s.edges(Rel.PARTICIPATES_IN):
            members[e.target].append((e.source, str(e.props.get("role") or "")))
        owns: dict[str, list[str]] = defaultdict(list)
        for e in s.edges(Rel.OWNS):
            owns[e.target].append(e.source)
        presents: dict[str, list[str]] = defaultdict(list)
        for e in s.edges(Rel.PRESENTS):
            presents[e.target].append(e.source)

        project_nodes = {p.id: p for p in s.nodes(Label.PROJECT)}
        for p in project_nodes.values():
            if not is_visible(p, level):
                continue
            self.projects[p.id] = ProjectView(
                p.id, p.title, node_text(p), str(p.get("kind") or ""), owner_of.get(p.id),
                str(p.get("region") or ""), tuple(sorted(needs.get(p.id, ()))),
                tuple(sorted(members.get(p.id, ()))))
            self._note(p.id, Label.PROJECT, p.title)

        for d in s.nodes(Label.DEMAND):
            pid = parent.get(d.id)
            pnode = project_nodes.get(pid) if pid else None
            if not is_visible(d, level, parent=pnode):
                continue
            view = self.projects.get(pid) if pid else None
            status = str(d.get("status") or "").casefold()
            self.demands.append(DemandView(
                d.id, d.title, node_text(d), _fields(d, in_field), pid,
                view.name if view else "", bool(view and view.military),
                view.owner if view else None, max(_number(d.get("budget_wan")) or 0.0, 0.0),
                status not in CLOSED_STATUSES))
            self._note(d.id, Label.DEMAND, d.title)

        for t in s.nodes(Label.TECHNOLOGY):
            if not is_visible(t, level):
                continue
            self.techs.append(TechView(
                t.id, t.title, node_text(t), str(t.get("origin") or ""), _fields(t, in_field),
                _number(t.get("trl")), tuple(sorted(set(owns.get(t.id, ()))))))
            self._note(t.id, Label.TECHNOLOGY, t.title)

        for n in s.nodes(Label.PITCH):
            if not is_visible(n, level):
                continue
            fs = _fields(n, in_field)
            self.pitches.append(PitchView(
                n.id, n.title, node_text(n), field_id(n.get("field")) or min(fs, default=None),
                str(n.get("stage") or ""), _number(n.get("trl")),
                tuple(sorted(set(presents.get(n.id, ()))))))
            self._note(n.id, Label.PITCH, n.title)

    def _index(self, vectors: dict[str, Matrix] | None = None) -> None:
        """Rows, vectors (embedded, or given) and the lexical index of the views."""
        self.demand_row = {d.id: i for i, d in enumerate(self.demands)}
        self.tech_row = {t.id: i for i, t in enumerate(self.techs)}
        self.pitch_row = {p.id: i for i, p in enumerate(self.pitches)}
        emb, given = self.embedder, vectors or {}
        self.demand_vectors: Matrix = given["demands"] if "demands" in given else \
            emb.embed_stored_queries([d.text for d in self.demands])
        self.tech_vectors: Matrix = given["techs"] if "techs" in given else \
            emb.embed_documents([t.text for t in self.techs])
        self.pitch_vectors: Matrix = given["pitches"] if "pitches" in given else \
            emb.embed_documents([p.text for p in self.pitches])
        self.pitch_queries: Matrix = given["pitch_queries"] if "pitch_queries" in given else \
            emb.embed_stored_queries([p.text for p in self.pitches])
        # One lexical index over the texts of demands, technologies and pitches (ids are unique
        # across labels); each job slices the rows of the collection it ranks.
        docs = {d.id: d.text for d in self.demands}
        docs.update((t.id, t.text) for t in self.techs)
        docs.update((p.id, p.text) for p in self.pitches)
        self.lexical = self._previous_lexical.copy() if self._previous_lexical else LexicalIndex()
        self.lexical.update(docs)  # re-counts only texts that changed since the previous model
        self._previous_lexical = None
        self._demand_lex = np.arange(len(self.demands))
        self._tech_lex = len(self.demands) + np.arange(len(self.techs))
        self._pitch_lex = len(self.demands) + len(self.techs) + np.arange(len(self.pitches))
        self.dense_floor = self._dense_floor()
        items = self.profiles.corpus.items
        self.equipment_rows = np.asarray(
            [i for i, it in enumerate(items) if it.kind == "equipment"], np.int64)

    def _dense_floor(self) -> float:
        """The mean cosine of needs (demands, as queries) with offers (a fixed sample of items,
        as documents): what unrelated texts score with this model on this corpus."""
        sample = self.profiles.item_sample_vectors[:FLOOR_ITEMS]
        needs = self.demand_vectors[:FLOOR_QUERIES]
        if len(needs) == 0:
            needs = self.pitch_queries[:FLOOR_QUERIES]
        if len(sample) == 0 or len(needs) == 0:
            return 0.0
        return max(float(np.mean(needs @ sample.T)), 0.0)

    def _note(self, node_id: str, label: str, name: str) -> None:
        self._labels[node_id] = label
        self._names[node_id] = name

    # ---- lookups ------------------------------------------------------------------------

    def label(self, node_id: str) -> str:
        """The label of a visible node; ``NodeNotFound`` for one that is missing or hidden."""
        found = self._labels.get(node_id)
        if found is None:
            raise NodeNotFound(node_id)
        return found

    def has(self, node_id: str) -> bool:
        return node_id in self._labels

    def name(self, node_id: str) -> str:
        """The name of a visible node (its id when it is not in the model)."""
        return self._names.get(node_id, node_id)

    def require(self, node_id: str, label: str, *, field: str) -> None:
        """``NodeNotFound`` unless visible; ``InvalidRequest`` naming ``field`` if another kind."""
        found = self.label(node_id)
        if found != label:
            raise InvalidRequest(f"{node_id} is a {found}, not a {label}", field=field)

    def demand(self, demand_id: str) -> DemandView:
        self.require(demand_id, Label.DEMAND, field="demand")
        return self.demands[self.demand_row[demand_id]]

    def tech(self, tech_id: str) -> TechView:
        self.require(tech_id, Label.TECHNOLOGY, field="technology")
        return self.techs[self.tech_row[tech_id]]

    def lexical_scores(self, text: str, collection: str) -> NDArray[np.float32]:
        """Lexical cosine of ``text`` with every demand, technology or pitch, in row order."""
        rows = {"demands": self._demand_lex, "techs": self._tech_lex,
                "pitches": self._pitch_lex}[collection]
        if rows.size == 0:
            return np.zeros(0, np.float32)
        return self.lexical.scores(text)[rows]

    def item_rows(self, org_id: str) -> NDArray[np.int64]:
        """Item rows (in the profiles) of a visible organisation, its description first."""
        row = self.profiles.org_row.get(org_id)
        if row is None:
            raise NodeNotFound(org_id)
        return self.profiles.item_rows_of(row)


_MODELS: weakref.WeakKeyDictionary[Any, dict[str, ReadModel]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def install(engine: MatchingEngine, model: ReadModel) -> None:
    """Make ``model`` the read model of ``engine`` at its clearance (benchmarks, tests)."""
    with _LOCK:
        _MODELS.setdefault(engine, {})[model.clearance] = model


def read_model(engine: MatchingEngine, clearance: str) -> ReadModel:
    """The read model of ``engine``'s store at ``clearance``, rebuilt only when the store's
    version moves (the engine's profile index tells)."""
    check_clearance(clearance)
    profiles = engine.profiles(clearance)
    with _LOCK:
        per = _MODELS.setdefault(engine, {})
        model = per.get(clearance)
        if model is not None and model.profiles is profiles:
            return model
    model = ReadModel(engine.store, engine.embedder, profiles, clearance, previous=model)
    with _LOCK:
        _MODELS.setdefault(engine, {})[clearance] = model
    return model
