"""The matching engine: rank organisations for a text, with score parts and evidence.

Public API (what the jobs, the CLI and the HTTP API call)
---------------------------------------------------------
::

    from matching import MatchingEngine
    engine = MatchingEngine(store)                     # e5 + USE fused by default
    hits = engine.rank_organizations(
        "盾构机主轴承", kinds=["manufacturer"], field="field:construction.tunnel",
        region=None, local=False, catalogued=False, insured=False, top=10, project_id=None)
    hits[0].id, hits[0].score, hits[0].parts, hits[0].evidence, hits[0].to_json()
    engine.suppliers(demand_id="demand:1")              # a demand's text, field and project
    engine.similarity("盾构机主轴承", ["org:a", "org:b"])  # {org id: OrgSimilarity}

``rank_organizations`` returns :class:`Hit` objects, best first. ``hit.parts`` maps part names
(see :mod:`matching.scoring`) to their weighted values; they add up to ``hit.score``.
``hit.evidence`` lists :class:`Evidence`: the organisation's best-matching items (kind
``description`` / ``equipment`` / ``patent`` / ``technology``, with their own cosine), the graph
path to the project owner (kind ``path``), catalogue and insurance entries (kinds ``catalogue`` /
``insured``) and its track record (kind ``track_record``, score 0: shown, never ranked on).

How a query runs
----------------
1. Filters make a mask over organisations: ``kinds`` (any of), ``field`` (the organisation has a
   field in that subtree), ``region`` (its region is that region or inside it), ``catalogued``,
   ``insured``. Filters come first, so a strict filter still fills ``top``.
2. Candidates: the top ``candidates`` organisations by profile vector, ∪ the organisations of
   the top ``candidates`` items by item vector (skipped above ``item_scan_limit`` items, where
   the organisation index stands in for it), ∪ the top ``candidates`` by lexical score.
3. Features and score for each candidate (see :mod:`matching.scoring`), sorted by score (ties
   by id), cut to ``top``.

Indexes are refreshed when ``store.version()`` moves (see :class:`~matching.profiles.ProfileIndex`),
one set per clearance level asked for: technologies above the caller's clearance are absent from
profiles, vectors and evidence.

``mode="dense"`` / ``"lexical"`` keep only those parts and candidates: the single-signal
baselines that ``firstset eval suppliers`` reports next to the hybrid.

Scores and probabilities
------------------------
The weights are a learned model when ``firstset train`` has kept one in the store
(:func:`matching.learn.store.load_model`, job ``suppliers``), else the documented
:data:`~matching.scoring.DEFAULT_WEIGHTS`; either way the parts add up to the score. Every hit
carries a match probability: the model's calibration (Platt, fitted on held-out examples), else
:data:`DEFAULT_CALIBRATION`.

Cross-lingual queries: the lexical feature is multiplied by the share of script the query and
the organisation's profile have in common (:func:`script_share`), so an English demand against
Chinese profiles gets no lexical part at all rather than a negative one; the default embedder
fuses multilingual-e5 with USE (:func:`~matching.embedders.default_embedder`), whose
cross-lingual vectors carry most of an English demand; its e5 half embeds the demand with the
Chinese words of its terms appended (:meth:`MatchingEngine.dense_query`,
:mod:`matching.translate`); and ``field_text`` matches the query with the bilingual field names
of the taxonomy (Chinese and English), so the field of an English demand still counts.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from graph.clearance import check_clearance, is_visible
from graph.errors import InvalidRequest, NodeNotFound
from graph.model import Label, Rel
from graph.proximity import collaboration_index
from graph.store import GraphStore
from graph.taxonomy import field_ancestors, region_id, resolve_field
from matching.blas import one_blas_thread
from matching.catalogue import catalogue_day, catalogued_on
from matching.embedders import CachedEmbedder, Embedder, FusedEmbedder, default_embedder
from matching.evaluations import evaluated_orgs, evaluation_notes
from matching.features import (
    OwnerPaths,
    catalogue_phrase,
    field_match,
    ipc_profile,
    ipc_subclass,
    owner_paths,
    path_sentence,
)
from matching.index import top_k_vectors
from matching.learn.linear import LinearRanker
from matching.profiles import ProfileIndex, region_chain
from matching.results import Calibration, Evidence
from matching.results import Ranked as Hit
from matching.scoring import (
    DEFAULT_WEIGHTS,
    DENSE_FEATURES,
    FEATURES,
    LEXICAL_FEATURES,
    Weights,
    score_parts_vectors,
)
from matching.translate import chinese_terms, with_chinese_terms

# Features the engine computes beside matching.scoring.FEATURES for a learned model (none now:
# ``field_text`` has joined the default weights).
EXTRA_FEATURES: tuple[str, ...] = ()

__all__ = [
    "DEFAULT_CALIBRATION",
    "SUPPLIER_KINDS",
    "Evidence",
    "Hit",
    "MatchingEngine",
    "Mode",
    "OrgSimilarity",
    "SupplierQuery",
    "script_share",
]

Mode = Literal["hybrid", "dense", "lexical"]
SUPPLIER_KINDS = ("manufacturer",)
WEIGHTS_CACHE = ("matching", "weights")  # (namespace, key) where `firstset train` keeps weights
EVIDENCE_ITEMS = 3
# Shown with an organisation whose profile names its products without saying what they do (a
# list row: name and model number): on tests/data/suppliers_blind such makers were found at MRR
# 0.41-0.47 beside makers with one sentence of specifications (1.000), see the README.
THIN_PROFILE_NOTE = ("该单位的档案只列了名称和型号，没有写明产品或技术做什么、有哪些指标："
                     "按功能描述的需求可能排不到它，补充说明后匹配更准")
QUERY_CACHE = 1024
IPC_EVIDENCE = 10  # best-matching candidate items whose IPC classes make the query's profile
ITEM_KIND_ZH = {"description": "简介", "equipment": "产品", "patent": "专利", "technology": "技术"}
# Default score → probability for the default weights: a score of 2 (two standard deviations
# above the typical organisation on the profile cosine) is an even chance.
DEFAULT_CALIBRATION = Calibration(1.5, -3.0)
SUPPLIER_JOB = "suppliers"


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return 0x3400 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x2FFFF


def script_share(text: str) -> float:
    """The share of CJK characters among a text's letters (0 for English, 1 for Chinese).

    >>> script_share("盾构机"), script_share("shield TBM"), script_share("5G基站")
    (1.0, 0.0, 0.6667)
    """
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return round(sum(1 for c in letters if _is_cjk(c)) / len(letters), 4)


def _mean_std(values: NDArray[np.float32]) -> tuple[float, float]:
    if values.size == 0:
        return 0.0, 1.0
    std = float(values.std())
    return float(values.mean()), (std if std > 1e-6 else 1.0)


@dataclass
class _Signals:
    """One query's scores over all organisations and the (mean, std) that standardise them."""

    q: NDArray[np.float32] | None = None
    dense: NDArray[np.float32] | None = None
    lexical: NDArray[np.float32] | None = None
    stats: dict[str, tuple[float, float]] = field(default_factory=dict)
    item_rows: NDArray[np.int64] | None = None  # the candidates' items, segment by segment
    item_starts: NDArray[np.int64] | None = None
    item_sims: NDArray[np.float32] | None = None
    script: float = 0.0  # the query's CJK share
    field_z: dict[str, float] | None = None  # standardised cosine of the query to each field


@dataclass(frozen=True)
class OrgSimilarity:
    """How one organisation's texts compare with a query text."""

    dense_org: float
    dense_item: float
    lexical: float
    best_item: str  # item id (the organisation id for its description)


@dataclass(frozen=True)
class SupplierQuery:
    """A supplier search, from the CLI, the API or a batch line."""

    text: str | None = None
    demand_id: str | None = None
    kinds: tuple[str, ...] | None = SUPPLIER_KINDS
    field: str | None = None
    region: str | None = None
    local: bool = False
    catalogued: bool = False
    insured: bool = False
    top: int = 10
    evaluated: bool = False  # only makers of independently evaluated equipment (示范效果评价)
    on: str | None = None  # the day ``catalogued`` asks about (ISO date; default today)


class MatchingEngine:
    """Ranks organisations for a text against the graph in ``store``.

    ``embedder`` defaults to :func:`~matching.embedders.default_embedder` (e5 and USE fused);
    document vectors are cached in the store by model and content hash. ``weights`` default to the
    weights saved by ``firstset train`` in the store, else
    :data:`~matching.scoring.DEFAULT_WEIGHTS`. ``clearance`` is the default caller clearance
    (``public``, ``restricted``, ``secret``).
    """

    def __init__(
        self,
        store: GraphStore,
        embedder: Embedder | None = None,
        *,
        weights: Weights | None = None,
        clearance: str = "public",
        candidates: int = 100,
        item_scan_limit: int = 200_000,
        progress: bool = False,
        translate: bool = True,
    ) -> None:
        self.store = store
        raw = embedder if embedder is not None else default_embedder()
        self.embedder = CachedEmbedder(raw, store, progress=progress)
        self.model: LinearRanker | None = None
        if weights is None:
            self.model = self._saved_model()
        self.weights = weights if weights is not None else self._saved_weights()
        self.clearance = clearance
        self.candidates = candidates
        self.item_scan_limit = item_scan_limit
        self.translate = translate  # English queries also search with their terms in Chinese
        self._profiles: dict[str, ProfileIndex] = {}
        self._owner_cache: dict[tuple[int | None, str, str], OwnerPaths] = {}
        self._masks: dict[tuple[int | None, str, str], NDArray[np.bool_]] = {}
        self._derived: dict[tuple[int | None, str, str], Any] = {}
        self._lock = threading.RLock()
        self._queries: dict[str, NDArray[np.float32]] = {}
        self._query_lock = threading.Lock()
        self._scripts: dict[tuple[int | None, str], NDArray[np.float32]] = {}
        self._field_vectors: tuple[list[str], NDArray[np.float32]] | None = None

    # ---- indexes ------------------------------------------------------------------------

    def _saved_weights(self) -> Weights:
        ns, key = WEIGHTS_CACHE
        blob = self.store.cache_get(ns, [key]).get(key)
        if blob:
            import json

            return Weights.from_mapping(json.loads(blob.decode("utf-8")))
        return DEFAULT_WEIGHTS

    def _saved_model(self) -> LinearRanker | None:
        from matching.learn.store import load_model

        return load_model(self.store, SUPPLIER_JOB)

    def use_model(self, model: LinearRanker | None) -> None:
        """Score with ``model`` (``None``: the weights in ``self.weights``)."""
        self.model = model

    @property
    def calibration(self) -> Calibration:
        """The score → probability map of the scoring in use."""
        return self.model.calibration if self.model is not None else DEFAULT_CALIBRATION

    def profiles(self, clearance: str | None = None) -> ProfileIndex:
        """The profile index for a clearance level, refreshed if the store changed."""
        level = clearance or self.clearance
        check_clearance(level)
        with self._lock:
            index = self._profiles.get(level)
            if index is None:
                index = ProfileIndex(self.store, self.embedder, clearance=level)
                index.refresh()
            elif index.stale():  # build beside the old one: queries running on it stay whole
                index = index.rebuilt()
            else:
                return index
            self._profiles[level] = index
            self._owner_cache.clear()
            self._masks = {k: v for k, v in self._masks.items() if k[1] != level}
            self._derived = {k: v for k, v in self._derived.items() if k[1] != level}
            return index

    def refresh(self) -> None:
        """Bring every index up to date with the store (embedding only new or changed text)."""
        for level in list(self._profiles) or [self.clearance]:
            self.profiles(level)
        if self._uses("field_text"):  # the taxonomy's field names, embedded with the index
            self._fields_embedded()

    def embed_query(self, text: str) -> NDArray[np.float32]:
        """The query vector of a text (the last ``QUERY_CACHE`` texts are remembered)."""
        vec = self._queries.get(text)
        if vec is None:
            vec = self.embedder.embed_queries([text])[0]
            self._remember(text, vec)
        return vec

    def dense_query(self, text: str, search: str) -> NDArray[np.float32]:
        """The vector the dense part searches with: that of ``search`` (the text with its
        Chinese terms, :meth:`search_text`), except that a fused embedder takes the blocks of
        the models that do better without the terms from the text as written
        (:meth:`~matching.embedders.FusedEmbedder.splice`)."""
        vec = self.embed_query(search)
        inner = self.embedder.inner
        if search == text or not isinstance(inner, FusedEmbedder):
            return vec
        return inner.splice(vec, self.embed_query(text))

    def query_terms(self, text: str, script: float | None = None) -> list[str]:
        """The Chinese words of an English text's terms (CJK share under one half,
        :mod:`matching.translate`), which the dense part searches with too; none for any other
        text, or for every text when the engine was made with ``translate=False``."""
        share = script_share(text) if script is None else script
        return chinese_terms(text) if self.translate and share < 0.5 else []

    def search_text(self, text: str, script: float | None = None) -> str:
        """What the dense part searches with: ``text`` followed by its :meth:`query_terms`.
        The lexical and field parts keep the text as written."""
        return with_chinese_terms(text, self.query_terms(text, script))

    def prime_queries(self, texts: Sequence[str]) -> None:
        """Embed many query texts in one batch (faster than one by one) and remember them,
        with the texts the dense part searches with (:meth:`search_text`)."""
        wanted = [s for t in texts if t for s in (t, self.search_text(t))]
        todo = list(dict.fromkeys(t for t in wanted if t not in self._queries))
        if todo:
            for t, v in zip(todo, self.embedder.embed_queries(todo), strict=True):
                self._remember(t, v)

    def _remember(self, text: str, vec: NDArray[np.float32]) -> None:
        with self._query_lock:
            while len(self._queries) >= QUERY_CACHE:
                self._queries.pop(next(iter(self._queries)))
            self._queries[text] = vec

    # ---- filters -------------------------------------------------------------------------

    def _mask(
        self,
        p: ProfileIndex,
        *,
        kinds: Sequence[str] | None,
        field: str | None,
        region: str | None,
        catalogued: bool,
        insured: bool,
        evaluated: bool = False,
        on: str | None = None,
    ) -> NDArray[np.bool_] | None:
        orgs = p.corpus.orgs
        parts: list[NDArray[np.bool_]] = []

        def cached(key: str, make: Any) -> NDArray[np.bool_]:
            k = (p.version, p.clearance, key)
            if k not in self._masks:
                self._masks[k] = np.fromiter((make(o) for o in orgs), bool, len(orgs))
            return self._masks[k]

        if kinds:
            want = frozenset(kinds)
            parts.append(cached("kinds:" + ",".join(sorted(want)), lambda o: bool(o.kinds & want)))
        if field:
            parts.append(cached("field:" + field,
                                lambda o: any(field in field_ancestors(f) for f in o.fields)))
        if region:
            rid = region_id(region)
            parts.append(cached("region:" + rid, lambda o: rid in region_chain(o.region_id)))
        if catalogued:
            day = catalogue_day(on)
            key = f"catalogued:{day.isoformat()}"
            listed: frozenset[str] = self._per_version(p, key, lambda: frozenset(catalogued_on(
                self.store, p.corpus.orgs, day, clearance=p.clearance)))
            parts.append(cached(key, lambda o: o.id in listed))
        if evaluated:
            tested: frozenset[str] = self._per_version(p, "evaluated", lambda: frozenset(
                evaluated_orgs(self.store, clearance=p.clearance)))
            parts.append(cached("evaluated", lambda o: o.id in tested))
        if insured:
            parts.append(cached("insured", lambda o: o.insured))
        if not parts:
            return None
        mask = parts[0].copy()
        for extra in parts[1:]:
            mask &= extra
        return mask

    def _per_version(self, p: ProfileIndex, key: str, make: Any) -> Any:
        """A value derived from the store (the organisations behind a filter, evidence notes),
        computed once per store version and clearance (bulk reads of catalogue entries or
        evaluations)."""
        k = (p.version, p.clearance, key)
        if k not in self._derived:
            self._derived[k] = make()
        return self._derived[k]

    # ---- the query ------------------------------------------------------------------------

    def rank_organizations(
        self,
        text: str,
        *,
        kinds: Sequence[str] | None = None,
        field: str | None = None,
        region: str | None = None,
        local: bool = False,
        catalogued: bool = False,
        insured: bool = False,
        evaluated: bool = False,
        on: str | None = None,
        top: int = 10,
        project_id: str | None = None,
        clearance: str | None = None,
        mode: Mode = "hybrid",
        ipc: Sequence[str] = (),
        candidates: int | None = None,
    ) -> list[Hit]:
        """Organisations ranked for ``text``, best first, at most ``top``.

        ``field`` is a Field id or name (also used for the field-match part); ``region`` a
        Region id or name (a filter: Chongqing keeps all its districts); ``local`` adds the
        named ``local`` part for Chongqing organisations; ``project_id`` enables the proximity
        part and path evidence; ``ipc`` gives the demand's own IPC codes; ``candidates`` per
        source (default ``self.candidates``; 0 means every organisation). Raises
        ``InvalidRequest`` for an unknown field, project or mode.
        """
        if not text or not text.strip():
            raise InvalidRequest("empty query text / 需求描述为空", field="text")
        if mode not in ("hybrid", "dense", "lexical"):
            raise InvalidRequest(f"unknown mode {mode!r}", field="mode")
        field_id = self._field(field)
        p = self.profiles(clearance)
        n = len(p.corpus.orgs)
        if n == 0 or top <= 0:
            return []
        mask = self._mask(p, kinds=kinds, field=field_id, region=region,
                          catalogued=catalogued, insured=insured, evaluated=evaluated, on=on)
        allowed = n if mask is None else int(mask.sum())
        if allowed == 0:
            return []
        k = candidates if candidates is not None else self.candidates
        k = allowed if k <= 0 else max(k, top)

        with one_blas_thread():
            sig = self._signals(p, text, mask, mode)
            rows = self._candidates(p, sig, mask, k)
            feats, _ = self._features(p, sig, rows, field_id=field_id, local=local, ipc=ipc)
        paths: OwnerPaths | None = None
        if project_id and mode == "hybrid":
            paths = self._owner_paths(p, project_id)
            feats["proximity"] = np.array(
                [paths.proximity(p.corpus.orgs[r].id) for r in rows], np.float32)
        weights = self.weights
        if mode == "dense":
            weights = weights.only(DENSE_FEATURES)
        elif mode == "lexical":
            weights = weights.only(LEXICAL_FEATURES)
        if self.model is not None and mode == "hybrid":
            scores, parts = self.model.parts_vectors(
                {k: np.asarray(v, np.float64) for k, v in feats.items() if k != "local"})
            if local:  # a policy option, never learnt: the documented weight
                parts["local"] = weights.local * np.asarray(feats["local"], np.float64)
                scores = scores + parts["local"]
            cal = self.model.calibration
        else:
            scores, parts = score_parts_vectors(feats, weights, local=local)
            cal = DEFAULT_CALIBRATION
        ids = [p.corpus.orgs[r].id for r in rows]
        order = sorted(range(len(rows)), key=lambda i: (-scores[i], ids[i]))[:top]
        return [
            Hit(
                id=ids[i],
                name=p.corpus.orgs[rows[i]].name,
                score=float(scores[i]),
                parts={name: float(v[i]) for name, v in parts.items()},
                evidence=self._evidence(p, rows[i], self._best_items(sig, i), paths),
                probability=cal.probability(float(scores[i])),
            )
            for i in order
        ]

    def suppliers(self, query: SupplierQuery, *, clearance: str | None = None,
                  mode: Mode = "hybrid", candidates: int | None = None) -> list[Hit]:
        """Manufacturers for a demand (by id: its text, field, IPC and project are used unless
        the query overrides them) or for free text."""
        text, field, project, ipc = query.text, query.field, None, ()
        level = clearance or self.clearance
        if query.demand_id:
            demand = self.store.get(query.demand_id)
            parents = self.store.get_many(
                [e.source for e in self.store.edges_of(demand.id, rel=Rel.NEEDS, direction="in")])
            if not is_visible(demand, level, parent=parents[0] if parents else None):
                raise NodeNotFound(query.demand_id)  # above the caller's clearance: as missing
            if demand.label != Label.DEMAND:
                raise InvalidRequest(f"{query.demand_id} is a {demand.label}, not a Demand",
                                     field="demand")
            text = text or str(demand.get("text") or "")
            field = field or demand.get("field")
            ipc = tuple(demand.get("ipc") or ())
            for e in self.store.edges_of(demand.id, rel=Rel.NEEDS, direction="in"):
                project = e.source
                break
        if not text:
            raise InvalidRequest("give a text or a demand id / 请给出需求描述或需求编号",
                                 field="text")
        return self.rank_organizations(
            text, kinds=query.kinds, field=field, region=query.region, local=query.local,
            catalogued=query.catalogued, insured=query.insured, evaluated=query.evaluated,
            on=query.on, top=query.top,
            project_id=project, clearance=clearance, mode=mode, ipc=ipc, candidates=candidates,
        )

    def candidate_features(
        self, text: str, *, kinds: Sequence[str] | None = SUPPLIER_KINDS, candidates: int = 100,
        must: Sequence[str] = (),
    ) -> tuple[list[str], dict[str, NDArray[np.float32]]]:
        """``(ids, feature columns)`` of the candidates a hybrid search for ``text`` would score
        (``candidates`` per source; 0: every organisation of ``kinds``) and of the ids in
        ``must``, in one pass (what training on a large graph needs per query)."""
        p = self.profiles()
        mask = self._mask(p, kinds=kinds, field=None, region=None, catalogued=False,
                          insured=False)
        n = len(p.corpus.orgs) if mask is None else int(mask.sum())
        with one_blas_thread():
            sig = self._signals(p, text, mask, "hybrid", every_feature=True)
            rows = self._candidates(p, sig, mask, n if candidates <= 0 else candidates)
            extra = [p.org_row[i] for i in must if i in p.org_row]
            rows = sorted(set(rows) | set(extra))
            feats, _ = self._features(p, sig, rows, field_id=None, local=False, ipc=())
        for name in (*FEATURES, *EXTRA_FEATURES):  # the columns ``features`` gives, zero if unset
            feats.setdefault(name, np.zeros(len(rows), np.float32))
        return [p.corpus.orgs[r].id for r in rows], feats

    def similarity(
        self, text: str, org_ids: Iterable[str], *, clearance: str | None = None
    ) -> dict[str, OrgSimilarity]:
        """Dense (profile and best item) and lexical similarity of ``text`` to each organisation
        given (unknown ids are left out)."""
        p = self.profiles(clearance)
        rows = [p.org_row[i] for i in org_ids if i in p.org_row]
        if not rows:
            return {}
        sig = self._signals(p, text, None, "hybrid")
        _, raw = self._features(p, sig, rows, field_id=None, local=False, ipc=())
        out: dict[str, OrgSimilarity] = {}
        for i, r in enumerate(rows):
            top = self._best_items(sig, i, 1)
            top_item = top[0][0] if top else int(p.item_rows_of(r)[0])
            out[p.corpus.orgs[r].id] = OrgSimilarity(
                float(raw["dense_org"][i]), float(raw["dense_item"][i]),
                float(raw["lexical"][i]), p.corpus.items[top_item].id,
            )
        return out

    def features(
        self, text: str, org_ids: Sequence[str], *, field: str | None = None,
        project_id: str | None = None, local: bool = False, ipc: Sequence[str] = (),
        clearance: str | None = None, kinds: Sequence[str] | None = None,
    ) -> dict[str, NDArray[np.float32]]:
        """Raw feature columns (see :data:`~matching.scoring.FEATURES` and
        :data:`EXTRA_FEATURES`) for these organisations; ``firstset train`` fits weights on
        them. ``kinds`` standardises over those organisations, as a search for them does.
        Unknown ids get zero rows."""
        p = self.profiles(clearance)
        rows = [p.org_row.get(i, -1) for i in org_ids]
        known = [r for r in rows if r >= 0]
        mask = self._mask(p, kinds=kinds, field=None, region=None, catalogued=False,
                          insured=False) if kinds else None
        sig = self._signals(p, text, mask, "hybrid", every_feature=True)
        feats, _ = self._features(p, sig, known, field_id=self._field(field), local=local,
                                     ipc=ipc)
        if project_id:
            paths = self._owner_paths(p, project_id)
            feats["proximity"] = np.array(
                [paths.proximity(p.corpus.orgs[r].id) for r in known], np.float32)
        out: dict[str, NDArray[np.float32]] = {}
        pos = {r: i for i, r in enumerate(known)}
        for name in (*FEATURES, *EXTRA_FEATURES):
            col = feats.get(name)
            out[name] = np.array(
                [float(col[pos[r]]) if (col is not None and r >= 0) else 0.0 for r in rows],
                np.float32)
        return out

    # ---- internals -------------------------------------------------------------------------

    def _field(self, value: str | None) -> str | None:
        if not value:
            return None
        fid = value if value.startswith("field:") else resolve_field(value)
        if fid is None or not field_ancestors(fid):
            raise InvalidRequest(f"unknown field {value!r} / 未知领域", field="field")
        return fid

    def _owner_paths(self, p: ProfileIndex, project_id: str) -> OwnerPaths:
        key = (p.version, p.clearance, project_id)
        if key not in self._owner_cache:
            # the collaboration index: built with bulk reads per store version and clearance
            index = collaboration_index(self.store, p.clearance)
            if project_id not in index.projects:
                raise InvalidRequest(f"no project {project_id!r}", field="project_id")
            owner = index.owner_of.get(project_id)
            if owner and owner in index.orgs:
                self._owner_cache[key] = owner_paths(index, owner)
            else:
                self._owner_cache[key] = OwnerPaths("", {}, {})
        return self._owner_cache[key]

    def _signals(
        self, p: ProfileIndex, text: str, mask: NDArray[np.bool_] | None, mode: Mode,
        *, every_feature: bool = False,
    ) -> _Signals:
        """Per-query scores over every organisation, and the statistics that standardise them."""
        sig = _Signals()
        keep = mask if mask is not None else np.ones(len(p.corpus.orgs), bool)
        sig.script = script_share(text)
        if mode != "lexical":  # only the dense part reads the Chinese terms
            sig.q = self.dense_query(text, self.search_text(text, sig.script))
            sig.dense = p.org_index.scores(sig.q)
            sig.stats["dense_org"] = _mean_std(sig.dense[keep])
            sig.stats["dense_item"] = _mean_std(p.item_sample_vectors @ sig.q)
        if mode != "dense":
            sig.lexical = p.lexical.scores(text)  # across scripts gated out (``_features``)
            sig.stats["lexical"] = _mean_std(sig.lexical[keep])
        if sig.q is not None and mode == "hybrid" and (every_feature or self._uses("field_text")):
            own = self.embed_query(text)  # the query as written
            ids, vecs = self._fields_embedded()
            sims = vecs @ own
            per: dict[str, float] = {}
            for fid, v in zip(ids, sims.tolist(), strict=True):
                per[fid] = max(per.get(fid, -1.0), float(v))
            values = np.array(list(per.values()), np.float32)
            mean, std = _mean_std(values)
            sig.field_z = {f: max((v - mean) / std, 0.0) for f, v in per.items()}
        return sig

    def _uses(self, feature: str) -> bool:
        if self.model is not None:
            return self.model.weights.get(feature, 0.0) != 0.0
        return float(self.weights.as_dict().get(feature, 0.0)) != 0.0

    def _fields_embedded(self) -> tuple[list[str], NDArray[np.float32]]:
        """Every field of the taxonomy by its Chinese and its English name, embedded once."""
        if self._field_vectors is None:
            from graph.taxonomy import fields as taxonomy_fields

            ids: list[str] = []
            texts: list[str] = []
            for term in taxonomy_fields().values():
                for name in (term.name, term.name_en):
                    if name:
                        ids.append(term.id)
                        texts.append(name)
            vecs = (self.embedder.embed_documents(texts) if texts
                    else np.zeros((0, self.embedder.dim), np.float32))
            self._field_vectors = (ids, np.asarray(vecs, np.float32))
        return self._field_vectors

    def _org_scripts(self, p: ProfileIndex) -> NDArray[np.float32]:
        key = (p.version, p.clearance)
        got = self._scripts.get(key)
        if got is None or len(got) != len(p.corpus.orgs):
            got = np.array([script_share(t[:400]) for t in p.corpus.profile_texts], np.float32)
            if len(got) != len(p.corpus.orgs):
                got = np.ones(len(p.corpus.orgs), np.float32)
            self._scripts = {key: got}
        return got

    def _candidates(
        self, p: ProfileIndex, sig: _Signals, mask: NDArray[np.bool_] | None, k: int
    ) -> list[int]:
        n = len(p.corpus.orgs)
        if mask is None and k >= n:
            return list(range(n))
        rows: set[int] = set()
        for full in (sig.dense, sig.lexical):
            if full is None:
                continue
            s = full if mask is None else np.where(mask, full, -np.inf).astype(np.float32)
            idx, sc = top_k_vectors(s.reshape(-1, 1), np.ones((1, 1), np.float32), k)
            rows.update(int(i) for i, v in zip(idx[0], sc[0], strict=True) if np.isfinite(v))
        if sig.q is not None and len(p.corpus.items) <= self.item_scan_limit:
            idx, _ = top_k_vectors(p.item_vectors, sig.q.reshape(1, -1), k * 2)
            rows.update(o for o in p.item_owners(idx[0]) if mask is None or mask[o])
        return sorted(rows)

    def _features(
        self,
        p: ProfileIndex,
        sig: _Signals,
        rows: Sequence[int],
        *,
        field_id: str | None,
        local: bool,
        ipc: Sequence[str],
    ) -> tuple[dict[str, NDArray[np.float32]], dict[str, NDArray[np.float32]]]:
        """``(features, raw cosines)`` for candidate rows (item similarities stay in ``sig``).

        The dense and lexical features are standardised per query — (cosine − mean) / std over
        the organisations searched (items: over a fixed sample of items) — so one weight means
        the same on every query; the raw cosines are kept for evidence and ``similarity``."""
        r = np.asarray(rows, np.int64)
        orgs = [p.corpus.orgs[i] for i in rows]
        feats: dict[str, NDArray[np.float32]] = {}
        raw: dict[str, NDArray[np.float32]] = {}
        items = p.corpus.items
        if sig.q is not None and sig.dense is not None and len(rows):
            raw["dense_org"] = sig.dense[r]
            item_rows, starts = p.items_of(rows)
            sims = p.item_vectors[item_rows] @ sig.q
            raw["dense_item"] = np.maximum.reduceat(sims, starts[:-1]).astype(np.float32)
            sig.item_rows, sig.item_starts, sig.item_sims = item_rows, starts, sims
            if ipc:
                profile = {ipc_subclass(c): 1.0 for c in ipc}
            else:  # IPC classes of the best-matching patents among the candidates' items
                best_n = min(IPC_EVIDENCE, len(sims))
                top: list[int] = (np.argpartition(-sims, best_n - 1)[:best_n].tolist()
                                  if best_n else [])
                profile = ipc_profile([(float(sims[j]), items[int(item_rows[j])].ipc)
                                       for j in top if items[int(item_rows[j])].ipc])
            ipc_col = [0.0] * len(rows)
            if profile:
                subs, flat, bounds = p.item_ipc, item_rows.tolist(), starts.tolist()
                for i in range(len(rows)):
                    top_w = 0.0
                    for j in flat[bounds[i] : bounds[i + 1]]:
                        for sub in subs[j]:
                            w = profile.get(sub, 0.0)
                            if w > top_w:
                                top_w = w
                    ipc_col[i] = top_w
            feats["ipc"] = np.asarray(ipc_col, np.float32)
        if sig.lexical is not None:
            raw["lexical"] = sig.lexical[r]
        for name, values in raw.items():
            mean, std = sig.stats[name]
            feats[name] = ((values - mean) / std).astype(np.float32)
        if "lexical" in feats:  # no lexical part across scripts (an English query, Chinese text)
            org_script = self._org_scripts(p)[r]
            gate = 1.0 - np.abs(org_script - np.float32(sig.script))
            feats["lexical"] = (feats["lexical"] * gate).astype(np.float32)
        if sig.field_z is not None:
            feats["field_text"] = np.array(
                [max((sig.field_z.get(f, 0.0) for f in o.fields), default=0.0) for o in orgs],
                np.float32)
        if field_id:
            feats["field"] = np.array([field_match(o.fields, field_id) for o in orgs], np.float32)
        feats["catalogue"] = np.array([o.catalogued for o in orgs], np.float32)
        feats["insured"] = np.array([o.insured for o in orgs], np.float32)
        if local:
            feats["local"] = np.array([o.chongqing for o in orgs], np.float32)
        return feats, raw

    @staticmethod
    def _best_items(sig: _Signals, i: int, n: int = EVIDENCE_ITEMS) -> list[tuple[int, float]]:
        """The ``n`` best items of the i-th candidate: ``(item row, cosine)``, best first."""
        if sig.item_sims is None or sig.item_rows is None or sig.item_starts is None:
            return []
        lo, hi = int(sig.item_starts[i]), int(sig.item_starts[i + 1])
        seg = sig.item_sims[lo:hi]
        order = np.argsort(-seg, kind="stable")[:n]
        return [(int(sig.item_rows[lo + j]), float(seg[j])) for j in order]

    def _evidence(
        self,
        p: ProfileIndex,
        row: int,
        best: list[tuple[int, float]],
        paths: OwnerPaths | None,
    ) -> list[Evidence]:
        org = p.corpus.orgs[row]
        out = [
            Evidence(p.corpus.items[j].kind, p.corpus.items[j].id, p.corpus.items[j].title, s)
            for j, s in best[:EVIDENCE_ITEMS]
        ]
        # names and marks come from the profiles and the collaboration index: no store read
        if paths is not None:
            hops = paths.path(org.id)
            if hops:
                text = path_sentence([paths.name(h) for h, _ in hops],
                                     [rel for _, rel in hops[:-1]])
                out.append(Evidence("path", paths.owner, text, paths.proximity(org.id)))

        def title(item_id: str) -> str:
            r = p.item_row.get(item_id)
            return p.corpus.items[r].title if r is not None else item_id

        for item_id in org.catalogue_items[:2]:
            phrase = catalogue_phrase(p.corpus.catalogue.get(item_id, ""))
            out.append(Evidence("catalogue", item_id, f"{title(item_id)}（{phrase}）", 1.0))
        for item_id in org.insured_items[:2]:
            out.append(Evidence("insured", item_id, f"{title(item_id)}（首台套保险）", 1.0))
        for pid in org.track_record[:3]:
            out.append(Evidence("track_record", pid,
                                f"示范应用：{p.corpus.names.get(pid, pid)}", 0.0))
        notes: dict[str, list[tuple[str, str]]] = self._per_version(
            p, "notes:evaluations", lambda: evaluation_notes(self.store, clearance=p.clearance))
        for ev_id, text in notes.get(org.id, [])[:EVIDENCE_ITEMS]:
            out.append(Evidence("evaluation", ev_id, f"示范效果评价：{text}", 0.0))
        if not org.described:
            out.append(Evidence("profile_note", org.id, THIN_PROFILE_NOTE, 0.0))
        return out
