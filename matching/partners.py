"""Partner recovery: given a project and the members already in, rank every organisation for the
next seat.

Every organisation gets a score that is a weighted sum of named parts, each scaled to [0, 1]
within the query:

``coparticipation``  resource-allocation count of past projects shared with the known members
``similar_projects`` participation in projects whose text resembles this project's (TF-IDF)
``proximity``        personalised PageRank from the members over org–project–country links
``name_text``        TF-IDF of the organisation's name against the project text and the
                     members' names (places, sectors: the one signal a newcomer has)
``country``          share of members located in the organisation's country/region
``kind``             share of members of the organisation's kind
``newcomer``         1 for organisations with no recorded participation (a prior: most real
                     candidates have none, and they must not all sit at the very bottom)

Further features (:data:`EXTRA_FEATURES`, computed only when the weights in use weigh one;
the defaults, learned on CORDIS, weigh most of them):

``als``              latent factors of the participation matrix (truncated SVD of the
                     degree-normalised incidence): the members' mean factor · the organisation's
``ppr_wide``         personalised PageRank (continuation 0.85) over org–project–country links
``past_projects``    TF-IDF cosine of the project text with the organisation's past projects
``degree``           log(1 + participations), scaled
``newcomer_country`` / ``newcomer_kind`` / ``newcomer_name``  the priors again, for
                     newcomers only (so a learned model can weigh them apart)
``coordinator``      co-participation (as ``coparticipation``) with the project's owner alone
``cosine``           past projects shared with each member, over √(its degree · the member's)

Newcomers: no graph part can reach an organisation without history, so they are ranked by the
priors (``name_text``, ``country``, ``kind``, ``newcomer`` and the ``newcomer_*`` features); the
weights put a newcomer with a matching country and name above an experienced organisation with
no tie to the members.

The default weights (:class:`PartnerWeights`) are a model learned on the real CORDIS directory
and frozen; a model trained on the store (:class:`~matching.learn.linear.LinearRanker`, kept by
``firstset train``) replaces them; either way the parts add up to the score.

Notes
-----
A query costs a few sparse matrix–vector products over the participation matrix
(O(iterations · nnz)) plus O(N) dense work over N organisations.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from graph.clearance import check_clearance
from graph.errors import InvalidRequest, NodeNotFound
from graph.proximity import CollaborationIndex, PageRankOperator
from graph.store import GraphStore
from matching.blas import one_blas_thread
from matching.jobs_common import (
    ROLE_KINDS,
    kinds_of,
    make_vectorizer,
    project_text,
    region_of,
)
from matching.learn.linear import LinearRanker
from matching.results import Calibration, Ranked, parts_add_up
from matching.weights import NamedWeights

__all__ = [
    "BASE_FEATURES",
    "EXTRA_FEATURES",
    "PARTNER_FEATURES",
    "PartnerHit",
    "PartnerQuery",
    "PartnerRanker",
    "PartnerWeights",
    "check_partners",
    "partner_ranker",
]

Vec = NDArray[np.float64]
PPR_ITERATIONS = 8
PPR_WIDE_ITERATIONS = 10
ALS_FACTORS = 48
DENSE_SVD_CELLS = 4_000_000  # up to this many matrix cells the factors come from LAPACK
# fitted with the default weights on CORDIS (see PartnerWeights), a directory of this many
DEFAULT_CALIBRATION = Calibration(0.529, -9.613)
DEFAULT_CALIBRATION_ORGS = 20_335
BASE_FEATURES = ("coparticipation", "similar_projects", "proximity", "name_text", "country",
                 "kind", "newcomer")
EXTRA_FEATURES = ("als", "ppr_wide", "past_projects", "degree", "newcomer_country",
                  "newcomer_kind", "newcomer_name", "coordinator", "cosine")
PARTNER_FEATURES = BASE_FEATURES + EXTRA_FEATURES
HAND_WEIGHTS = dict(coparticipation=1.0, similar_projects=0.5, proximity=0.25, name_text=0.3,
                    country=0.3, kind=0.1, newcomer=0.1)


class PartnerWeights(NamedWeights):
    """Weights of the named parts, and three settings of the signals: ``alpha`` (PageRank
    continuation probability), ``similar_top`` (how many similar projects vote) and
    ``ppr_country`` (weight of org–country links in the PageRank graph; 0: none).

    The defaults are the model ``firstset train --from-graph --job partners`` learns on the
    real CORDIS directory (``../shared/data/cordis``: 20,335 organisations, 4,525 consortia;
    conditional logit, 2,000 hidden participations), frozen here so that a store nobody has
    trained on still ranks with weights learned from real consortia; a model trained on the
    store replaces them. :meth:`hand_picked` gives the hand-picked weights they replaced."""

    DEFAULTS: ClassVar[Mapping[str, float]] = dict(
        coparticipation=0.48, similar_projects=0.694, proximity=0.0, name_text=2.414,
        country=1.114, kind=0.713, newcomer=0.0, als=0.462, ppr_wide=3.584, past_projects=3.559,
        degree=2.591, newcomer_country=0.333, newcomer_kind=0.677, newcomer_name=2.672,
        coordinator=0.0, cosine=1.713, alpha=0.5, similar_top=50.0, ppr_country=0.0)
    SETTINGS = ("alpha", "similar_top", "ppr_country")

    def parts(self) -> dict[str, float]:
        return {k: v for k, v in self.as_dict().items() if k not in self.SETTINGS}

    @classmethod
    def hand_picked(cls) -> PartnerWeights:
        """The hand-picked weights of earlier releases (the base parts only), reported beside
        the defaults and a trained model."""
        return cls(**{k: HAND_WEIGHTS.get(k, 0.0) for k in PARTNER_FEATURES})


@dataclass(frozen=True)
class PartnerQuery:
    """A project (by id, or by title and description) and the members already in."""

    project_id: str | None = None
    title: str = ""
    description: str = ""
    members: tuple[str, ...] = ()
    kind: str | None = None

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> PartnerQuery:
        """``{"project": ID | {"title", "description"}, "members": [...], "kind": K}``."""
        project = obj.get("project")
        members = tuple(str(m) for m in obj.get("members") or ())
        kind = obj.get("kind") or None
        if isinstance(project, Mapping):
            return cls(
                None,
                str(project.get("title") or ""),
                str(project.get("description") or ""),
                members,
                kind,
            )
        if project is None:
            raise InvalidRequest("each query needs a project", field="project")
        return cls(str(project), "", "", members, kind)


PartnerHit = Ranked  # one result type for every job (matching.results)

@dataclass
class _LazyParts:
    """What a ranker builds on first use, for the participations it was built with."""

    wide: PageRankOperator | None = None
    factors: Vec | None = None
    past: sp.csr_matrix | None = None


def _scaled(v: Vec) -> Vec:
    m = float(v.max()) if v.size else 0.0
    return v / m if m > 0 else v


class PartnerRanker:
    """Ranks every organisation for the next seat of a project. Build once, query many times.

    >>> from graph.model import Edge, Node
    >>> ns = [Node(f"o{i}", "Organization", {"name": f"Org {i}", "region": "DE"}) for i in range(4)]
    >>> ns += [Node("p1", "Project", {"name": "wind turbine"}), Node("p2", "Project", {"name": "x"})]
    >>> es = [Edge("o0", "PARTICIPATES_IN", "p1"), Edge("o1", "PARTICIPATES_IN", "p1"),
    ...       Edge("o0", "PARTICIPATES_IN", "p2")]
    >>> r = PartnerRanker(CollaborationIndex.from_parts(ns, es))
    >>> r.rank(PartnerQuery("p2"), top=1)[0].id
    'o1'
    """

    def __init__(self, index: CollaborationIndex, weights: PartnerWeights | None = None,
                 *, model: LinearRanker | None = None) -> None:
        self.index = index
        self.weights = weights or PartnerWeights()
        self.model = model
        self.org_ids: list[str] = sorted(index.orgs)
        self.org_pos = {o: i for i, o in enumerate(self.org_ids)}
        self.project_ids: list[str] = sorted(index.projects)
        self.project_pos = {p: j for j, p in enumerate(self.project_ids)}
        self.names = [index.orgs[o].title for o in self.org_ids]
        # Countries / regions and kinds as small integer codes.
        regions = [region_of(index.orgs[o]) for o in self.org_ids]
        self.region_names = sorted(set(regions))
        rpos = {r: i for i, r in enumerate(self.region_names)}
        self.region_code = np.array([rpos[r] for r in regions], dtype=np.int64)
        self.region_code_known = np.array([r != "" for r in regions])
        kinds = [kinds_of(index.orgs[o]) for o in self.org_ids]
        self.kind_names = sorted({k for ks in kinds for k in ks}) or ["other"]
        kpos = {k: i for i, k in enumerate(self.kind_names)}
        rows = [i for i, ks in enumerate(kinds) for _ in ks]
        cols = [kpos[k] for ks in kinds for k in ks]
        self.kind_matrix = sp.csr_matrix(
            (np.ones(len(rows)), (rows, cols)), shape=(len(self.org_ids), len(self.kind_names))
        )
        # Texts: projects (for similar projects) and organisation names.
        self.project_vectorizer = make_vectorizer()
        ptexts = [project_text(index.projects[p]) for p in self.project_ids]
        self.project_matrix = self._fit(self.project_vectorizer, ptexts)
        self.name_vectorizer = make_vectorizer()
        otexts = [
            " ".join([self.names[i], *_aliases(index.orgs[o].props.get("aliases"))])
            for i, o in enumerate(self.org_ids)
        ]
        self.name_matrix = self._fit(self.name_vectorizer, otexts)
        self._set_incidence(index.incidence(self.org_ids, self.project_ids))

    @staticmethod
    def _fit(vectorizer: Any, texts: list[str]) -> sp.csr_matrix:
        try:
            return sp.csr_matrix(vectorizer.fit_transform(texts or [""]))[: len(texts)]
        except ValueError:  # no text yields a token (names such as "P 1"): all similarities 0
            vectorizer.fit(["no-vocabulary"])
            return sp.csr_matrix((len(texts), len(vectorizer.vocabulary_)), dtype=np.float32)

    def _set_incidence(self, b: sp.csr_matrix) -> None:
        self.b = b.tocsr()
        self.bt = self.b.T.tocsr()
        self.degree = np.asarray(self.b.sum(axis=1)).ravel()
        size = np.asarray(self.b.sum(axis=0)).ravel()
        self.inv_size = np.divide(1.0, size, out=np.zeros_like(size), where=size > 0)
        if self.weights.ppr_country > 0:
            self.ppr_adjacency = self.country_graph(
                np.full(len(self.org_ids), self.weights.ppr_country))
        else:
            self.ppr_adjacency = sp.bmat([[None, self.b], [self.bt, None]], format="csr")
        self.ppr = PageRankOperator(self.ppr_adjacency)
        # built on first use; one object shared by the twins with_model / with_weights make
        # (the server makes one per request), replaced when the participations change
        self._lazy = _LazyParts()

    def country_graph(self, link: Vec) -> sp.csr_matrix:
        """Adjacency over organisations, projects and countries: the participations, and each
        organisation linked to its country/region with weight ``link[i]``."""
        n = len(self.org_ids)
        country = sp.csr_matrix((link, (np.arange(n), self.region_code)),
                                shape=(n, len(self.region_names)))
        return sp.csr_matrix(sp.bmat(
            [[None, self.b, country], [self.bt, None, None], [country.T, None, None]],
            format="csr"))

    # ---- features computed on first use --------------------------------------------------

    def wide_operator(self) -> PageRankOperator:
        """PageRank over organisation–project and organisation–country links."""
        if self._lazy.wide is None:
            self._lazy.wide = PageRankOperator(
                self.country_graph(self.region_code_known.astype(np.float64)))
        return self._lazy.wide

    def factors(self) -> Vec:
        """Organisation factors: truncated SVD of the incidence, rows scaled by 1/√degree and
        columns by 1/√size (deterministic start vector; newcomers get zero rows)."""
        if self._lazy.factors is None:
            self._lazy.factors = self._compute_factors()
        return self._lazy.factors

    def _compute_factors(self) -> Vec:
        from scipy.sparse.linalg import svds

        n, m = self.b.shape
        k = min(ALS_FACTORS, min(n, m) - 1)
        if k < 1 or self.b.nnz == 0:
            return np.zeros((n, 1))
        dr = 1.0 / np.sqrt(np.maximum(self.degree, 1.0))
        dc = np.sqrt(self.inv_size)
        norm = sp.csr_matrix(sp.diags(dr) @ self.b @ sp.diags(dc), dtype=np.float64)
        norm.sum_duplicates()
        norm.sort_indices()  # the same matrix, whichever store it came from
        with one_blas_thread():  # another thread count sums in another order: other vectors
            if n * m <= DENSE_SVD_CELLS:
                u, sv, _ = np.linalg.svd(norm.toarray(), full_matrices=False)
            else:
                u, sv, _ = svds(norm, k=k, v0=np.ones(min(n, m)), random_state=0)
                order = np.argsort(-sv)
                u, sv = u[:, order], sv[order]
        # never cut inside a run of equal singular values (the basis there is arbitrary):
        # take the whole run (LAPACK gives them all; ARPACK only the k it was asked for)
        while k < sv.size and sv[k - 1] - sv[k] <= 1e-9 * sv[0]:
            k += 1
        f = u[:, :k] * np.sqrt(sv[:k])
        lengths = np.linalg.norm(f, axis=1, keepdims=True)
        out: Vec = np.divide(f, lengths, out=np.zeros_like(f), where=lengths > 0)
        return out

    def past_profiles(self) -> sp.csr_matrix:
        """Each organisation's past projects' TF-IDF rows, summed and normalised."""
        if self._lazy.past is None:
            from sklearn.preprocessing import normalize

            self._lazy.past = sp.csr_matrix(
                normalize(sp.csr_matrix(self.b @ self.project_matrix)))
        return self._lazy.past

    @classmethod
    def from_store(
        cls,
        store: GraphStore,
        weights: PartnerWeights | None = None,
        *,
        clearance: str = "public",
    ) -> PartnerRanker:
        """A ranker over what a caller with ``clearance`` may see: projects above it are not
        in the index at all (so neither in scores, evidence nor as a query)."""
        return cls(CollaborationIndex.from_store(store, clearance=clearance), weights)

    def _twin(self) -> PartnerRanker:
        """A shallow copy: the same index, matrices and lazily built parts."""
        twin = object.__new__(PartnerRanker)
        twin.__dict__.update(self.__dict__)
        return twin

    def with_weights(self, weights: PartnerWeights) -> PartnerRanker:
        twin = self._twin()
        twin.weights = weights
        twin.model = None
        return twin

    def with_model(self, model: LinearRanker | None) -> PartnerRanker:
        """The same ranker scoring with a learned model (``None``: the default weights)."""
        twin = self._twin()
        twin.model = model
        return twin

    def feature_weights(self) -> dict[str, float]:
        """The weight of every named feature in use: the model's, else the defaults."""
        if self.model is not None:
            return {k: float(v) for k, v in self.model.weights.items() if v != 0.0}
        return {k: v for k, v in self.weights.parts().items() if v != 0.0}

    def without(self, pairs: Iterable[tuple[str, str]]) -> PartnerRanker:
        """The same ranker with these (organisation, project) participations forgotten
        (leave-one-out evaluation)."""
        b = self.b.copy()
        removed = 0
        for org, project in pairs:
            i, j = self.org_pos.get(org), self.project_pos.get(project)
            if i is None or j is None:
                continue
            lo, hi = b.indptr[i], b.indptr[i + 1]
            hit = b.indices[lo:hi] == j
            removed += int(np.count_nonzero(b.data[lo:hi][hit]))
            b.data[lo:hi][hit] = 0.0
        if removed == 0:  # nothing to forget (e.g. tasks whose answers were never stored)
            return self
        b.eliminate_zeros()
        twin = self._twin()
        twin._set_incidence(b)
        return twin

    # ---- scoring -------------------------------------------------------------------------

    def members_of(self, query: PartnerQuery) -> list[str]:
        members = list(query.members)
        if query.project_id is not None:
            j = self.project_pos.get(query.project_id)
            if j is not None:
                row = self.bt.getrow(j)
                members += [self.org_ids[i] for i in row.indices]
        out: list[str] = []
        for m in members:
            if m not in self.org_pos:
                raise NodeNotFound(m)
            if m not in out:
                out.append(m)
        return out

    def query_text(self, query: PartnerQuery) -> str:
        if query.project_id is not None:
            node = self.index.projects.get(query.project_id)
            if node is None:
                raise NodeNotFound(query.project_id)
            return project_text(node)
        return f"{query.title} {query.description}".strip()

    def part_vectors(
        self, query: PartnerQuery, *, extra: bool | None = None
    ) -> tuple[dict[str, Vec], list[int]]:
        """Each named feature as a vector over all organisations, and the members' positions.

        ``extra`` adds :data:`EXTRA_FEATURES` (default: when the model in use weighs one); by
        default the costly walks (PageRank, latent factors) run only for features the weights
        in use weigh (the others are zero vectors), explicit ``extra`` computes all."""
        w = self.weights
        need: set[str] | None = None
        if extra is None:
            need = set(self.feature_weights())
            extra = any(k in EXTRA_FEATURES for k in need)
        members = self.members_of(query)
        seeds = [self.org_pos[m] for m in members]
        n = len(self.org_ids)
        s = np.zeros(n)
        s[seeds] = 1.0
        text = self.query_text(query)
        parts: dict[str, Vec] = {}
        # co-participation, resource allocation: shared projects weighted by 1/size
        via = (self.bt @ s) * self.inv_size
        parts["coparticipation"] = np.log1p(np.asarray(self.b @ via).ravel() * 4.0)
        # similar projects by text
        q = self.project_vectorizer.transform([text])
        if q.shape[1] == self.project_matrix.shape[1] and self.project_matrix.shape[0]:
            sims = np.asarray(self.project_matrix @ q.toarray().ravel(), dtype=np.float64)
            if query.project_id in self.project_pos:
                sims[self.project_pos[query.project_id]] = 0.0
            k = min(int(w.similar_top), sims.size)
            if k < sims.size:
                cut = np.partition(sims, -k)[-k]
                sims[sims < cut] = 0.0
            parts["similar_projects"] = np.asarray(self.b @ sims).ravel()
        else:
            parts["similar_projects"] = np.zeros(n)
        # personalised PageRank from the members (and the project, when it is in the graph)
        if seeds and (need is None or "proximity" in need):
            restart = np.zeros(self.ppr_adjacency.shape[0])
            restart[seeds] = 1.0
            ppr = self.ppr.run(restart, alpha=w.alpha, iterations=PPR_ITERATIONS)[:n]
            ppr[seeds] = 0.0
            parts["proximity"] = np.sqrt(ppr)
        else:
            parts["proximity"] = np.zeros(n)
        # names against the project text and the members' names
        name_query = " ".join([text, *(self.names[i] for i in seeds)])
        qn = self.name_vectorizer.transform([name_query])
        if qn.shape[1] == self.name_matrix.shape[1]:
            parts["name_text"] = np.asarray(
                self.name_matrix @ qn.toarray().ravel(), dtype=np.float64
            )
        else:
            parts["name_text"] = np.zeros(n)
        # country and kind of the members
        if seeds:
            rc = np.bincount(self.region_code[seeds], minlength=len(self.region_names)) / len(seeds)
            country = rc[self.region_code] * self.region_code_known
            kc = np.asarray(self.kind_matrix[seeds].sum(axis=0)).ravel() / len(seeds)
            kind = np.asarray(self.kind_matrix @ kc).ravel()
        else:
            country = np.zeros(n)
            kind = np.zeros(n)
        region = ""
        if query.project_id in self.index.projects:
            region = region_of(self.index.projects[query.project_id])
        if region in self.region_names:
            country = np.maximum(
                country, 0.5 * (self.region_code == self.region_names.index(region))
            )
        parts["country"] = country
        parts["kind"] = np.minimum(kind, 1.0)
        parts["newcomer"] = (self.degree == 0).astype(np.float64)
        if extra:
            owner = self.index.owner_of.get(query.project_id or "")
            lead = self.org_pos.get(owner) if owner in members else None
            parts.update(self._extra_vectors(text, seeds, parts, lead, need))
        scaled = {k: _scaled(np.asarray(v, dtype=np.float64)) for k, v in parts.items()}
        return scaled, seeds

    def _extra_vectors(self, text: str, seeds: list[int], base: dict[str, Vec],
                       lead: int | None, need: set[str] | None) -> dict[str, Vec]:
        n = len(self.org_ids)
        out: dict[str, Vec] = self._tie_vectors(seeds, lead)
        out["als"] = np.zeros(n)
        out["ppr_wide"] = np.zeros(n)
        if seeds and (need is None or "als" in need):
            f = self.factors()
            centre = f[seeds].mean(axis=0)
            out["als"] = np.maximum(f @ centre, 0.0)
            out["als"][seeds] = 0.0
        if seeds and (need is None or "ppr_wide" in need):
            op = self.wide_operator()
            restart = np.zeros(op.n)
            restart[seeds] = 1.0
            ppr = op.run(restart, alpha=0.85, iterations=PPR_WIDE_ITERATIONS)[:n]
            ppr[seeds] = 0.0
            out["ppr_wide"] = np.sqrt(ppr)
        q = self.project_vectorizer.transform([text])
        past = self.past_profiles()
        if q.shape[1] == past.shape[1]:
            out["past_projects"] = np.asarray((past @ q.T).toarray()).ravel().astype(np.float64)
        else:
            out["past_projects"] = np.zeros(n)
        out["degree"] = np.log1p(self.degree)
        new = base["newcomer"]
        for name in ("country", "kind", "name_text"):
            key = "newcomer_name" if name == "name_text" else f"newcomer_{name}"
            out[key] = new * _scaled(np.asarray(base[name], np.float64))
        return out

    def _tie_vectors(self, seeds: list[int], lead: int | None) -> dict[str, Vec]:
        """``coordinator`` and ``cosine``: two sparse products each."""
        n = len(self.org_ids)
        coordinator = np.zeros(n)
        if lead is not None:
            via = self.bt[:, [lead]].toarray().ravel() * self.inv_size
            coordinator = np.log1p(np.asarray(self.b @ via).ravel() * 4.0)
        root = np.sqrt(np.maximum(self.degree, 1.0))
        s = np.zeros(n)
        s[seeds] = 1.0 / root[seeds]
        cosine = np.asarray(self.b @ (self.bt @ s)).ravel() / root
        out = {"coordinator": coordinator, "cosine": cosine}
        for v in out.values():
            v[seeds] = 0.0
        return out

    def score_vector(self, query: PartnerQuery) -> tuple[Vec, dict[str, Vec], NDArray[np.bool_]]:
        """Total score over all organisations, its parts (weighted), and who may be ranked."""
        raw, seeds = self.part_vectors(query)
        weights = self.feature_weights()
        parts = {k: weights[k] * v for k, v in raw.items() if k in weights}
        total = np.zeros(len(self.org_ids))
        for v in parts.values():
            total += v
        allowed = np.ones(len(self.org_ids), dtype=bool)
        allowed[seeds] = False
        if query.kind:
            want = ROLE_KINDS.get(query.kind, frozenset({query.kind}))
            cols = [self.kind_names.index(k) for k in want if k in self.kind_names]
            has = (
                np.asarray(self.kind_matrix[:, cols].sum(axis=1)).ravel() > 0
                if cols
                else np.zeros(len(self.org_ids), dtype=bool)
            )
            allowed &= has
        return total, parts, allowed

    def rank(self, query: PartnerQuery, *, top: int = 10) -> list[Ranked]:
        if top < 1:
            raise InvalidRequest("top must be at least 1", field="top")
        total, parts, allowed = self.score_vector(query)
        cand = np.flatnonzero(allowed)
        if cand.size == 0:
            return []
        k = min(top, cand.size)
        sub = total[cand]
        pick = cand[np.argpartition(-sub, k - 1)[:k]] if k < cand.size else cand
        order = sorted(pick.tolist(), key=lambda i: (-total[i], self.org_ids[i]))
        members = self.members_of(query)
        hits = [self._hit(i, total, parts, members) for i in order]
        problems = check_partners(self, query, hits)
        if problems:
            raise InvalidRequest("; ".join(problems), field="members")  # a bug, never input
        return hits

    def _hit(self, i: int, total: Vec, parts: dict[str, Vec], members: list[str]) -> Ranked:
        org = self.org_ids[i]
        evidence: list[dict[str, Any]] = []
        for m in members:
            shared = self.index.shared_projects(org, m)
            if shared:
                evidence.append(
                    {
                        "kind": "co_participation",
                        "id": m,
                        "text": f"与 {self.names[self.org_pos[m]]} 曾共同参与 {len(shared)} 个项目",
                        "projects": shared[:5],
                    }
                )
        if self.degree[i] == 0:
            evidence.append({"kind": "newcomer", "id": org,
                             "text": "尚无参与项目的记录（新单位：按名称、地区和类型推荐）"})
        return Ranked(
            org,
            self.names[i],
            float(total[i]),
            {k: float(v[i]) for k, v in parts.items()},
            evidence[:5],
            probability=self.calibration().probability(float(total[i])),
        )

    def calibration(self) -> Calibration:
        """The model's calibration, else the one fitted with the default weights: the chance
        that an organisation is the missing member, with its odds moved from CORDIS's directory
        size to this one's (the chance of any one organisation scales as 1 / size)."""
        if self.model is not None:
            return self.model.calibration
        shift = math.log(DEFAULT_CALIBRATION_ORGS / max(len(self.org_ids), 1))
        return Calibration(DEFAULT_CALIBRATION.a, DEFAULT_CALIBRATION.b + shift)


_RANKERS: dict[tuple[int, int, str], PartnerRanker] = {}


def partner_ranker(
    store: GraphStore, weights: PartnerWeights | None = None, *, clearance: str = "public"
) -> PartnerRanker:
    """The ranker for a store and clearance, rebuilt only when the store's version changes."""
    check_clearance(clearance)
    key = (id(store), store.version(), clearance)
    hit = _RANKERS.get(key)
    if hit is None:
        for k in [k for k in _RANKERS if k[0] == id(store) and k[1] != key[1]]:
            del _RANKERS[k]
        hit = _RANKERS[key] = PartnerRanker.from_store(store, clearance=clearance)
    if weights is not None:
        return hit.with_weights(weights)
    from matching.learn.store import load_model

    return hit.with_model(load_model(store, "partners"))


def _aliases(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [s for s in str(value).split(";") if s]


def check_partners(ranker: PartnerRanker, query: PartnerQuery, hits: list[Ranked]) -> list[str]:
    """Every rule a partner ranking must keep that it breaks (empty when it is valid): no
    organisation already in the project or named as a member, each organisation once and
    visible to the ranker (built at the caller's clearance), of the kind asked for, and its
    parts adding up to its score."""
    problems: list[str] = []
    members = set(ranker.members_of(query))
    want = ROLE_KINDS.get(query.kind, frozenset({query.kind})) if query.kind else None
    seen: set[str] = set()
    for h in hits:
        if h.id in seen:
            problems.append(f"{h.id}: listed twice")
        seen.add(h.id)
        if h.id in members:
            problems.append(f"{h.id}: already a member of the project")
        if h.id not in ranker.org_pos:
            problems.append(f"{h.id}: not an organisation the caller may see")
            continue
        if want is not None and not set(kinds_of(ranker.index.orgs[h.id])) & want:
            problems.append(f"{h.id}: not of the kind {query.kind}")
        if not parts_add_up(h):
            problems.append(f"{h.id}: parts do not add up to the score")
    return problems
