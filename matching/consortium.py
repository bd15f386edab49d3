"""Demonstration consortia (示范应用联合体): one or more organisations per role that fit the
project's demands and already work well together, led by the project owner.

Roles: ``user`` (the project owner, who leads), ``design_institute``, ``integrator``,
``research`` (research institute or university), ``manufacturer``, ``testing_body``.

Constraints (checked by :func:`is_valid_consortium`, which returns every violation):

- led by the user: the ``user`` seat is the project owner;
- no organisation twice; every member's kinds allow its role; pinned organisations are in;
- the testing body is independent of every manufacturer: a different organisation, no
  ownership link, and not the lead of an alliance the manufacturer belongs to;
- optional local-only (every member other than the lead in Chongqing);
- military projects: the caller's clearance must cover the project (else it does not exist for
  them) and every member must hold a clearance (``clearance`` property, or be a military unit)
  that covers it.

Objective: ``score = FIT_WEIGHT · fit + COHESION_WEIGHT · cohesion`` where ``fit`` is the mean
matching-engine score of the non-lead members against the project's text and demands, and
``cohesion`` the mean pairwise cohesion (shared projects, shared alliances, common
collaborators) over all members. Both parts are returned.

Alternatives differ genuinely: :func:`consortium_distance` counts the members of one that are
not in the other; each alternative is at least ``min(2, free seats)`` away from every earlier one.

Notes
-----
Beam search over roles, most constrained first: O(roles · beam · candidates · seats) score
updates, with one pairwise cohesion matrix over all candidates computed up front.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from graph.clearance import LEVELS, allows, check_clearance, required_level
from graph.errors import InfeasibleConsortium, InvalidRequest, NodeNotFound
from graph.model import Node, OrgKind, Rel
from graph.proximity import CollaborationIndex, cohesion_matrix, collaboration_index
from graph.store import GraphStore
from graph.taxonomy import is_chongqing
from matching.jobs_common import ROLE_KINDS, FitScore, OrgFit, fit_scores, kinds_of
from matching.results import Calibration, level_of

__all__ = [
    "COHESION_WEIGHT",
    "FIT_WEIGHT",
    "ROLES",
    "Consortium",
    "ConsortiumRequest",
    "Member",
    "consortium_distance",
    "form_consortia",
    "is_valid_consortium",
    "org_clearance",
    "parse_roles",
    "project_clearance",
    "project_text_with_demands",
    "testing_body_independence",
]

ROLES: tuple[str, ...] = tuple(ROLE_KINDS)
# Score (fit and cohesion, each in [0, 1], weighted) → shown probability until one is trained.
CALIBRATION = Calibration(6.0, -3.0)
FIT_WEIGHT = 0.7
COHESION_WEIGHT = 0.3


@dataclass(frozen=True)
class ConsortiumRequest:
    """What the alliance coordinator asks for. ``roles`` maps role → seats (``user`` is always 1)."""

    project_id: str
    roles: Mapping[str, int] = field(default_factory=lambda: dict.fromkeys(ROLES, 1))
    pinned: tuple[str, ...] = ()
    local_only: bool = False
    clearance: str = "public"
    alternatives: int = 3
    candidates_per_role: int = 50

    def checked(self) -> ConsortiumRequest:
        unknown = sorted(set(self.roles) - set(ROLES))
        if unknown:
            raise InvalidRequest(
                f"unknown role(s) {', '.join(unknown)}; roles are {', '.join(ROLES)}", field="roles"
            )
        if any(n < 0 for n in self.roles.values()):
            raise InvalidRequest("a role cannot have a negative count", field="roles")
        if self.roles.get("user", 1) != 1:
            raise InvalidRequest(
                "the consortium is led by exactly one user: the project owner", field="roles"
            )
        check_clearance(self.clearance)
        if self.alternatives < 1:
            raise InvalidRequest("alternatives must be at least 1", field="alternatives")
        roles = {r: int(n) for r, n in self.roles.items() if n > 0}
        roles["user"] = 1
        return ConsortiumRequest(
            self.project_id,
            {r: roles[r] for r in ROLES if r in roles},
            tuple(dict.fromkeys(self.pinned)),
            self.local_only,
            self.clearance,
            self.alternatives,
            max(1, self.candidates_per_role),
        )


@dataclass(frozen=True)
class Member:
    id: str
    name: str
    role: str
    fit: float
    evidence: tuple[Mapping[str, Any], ...] = ()
    probability: float | None = None  # the engine's calibrated fit to the project's text

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "role": self.role,
            "fit": round(self.fit, 6),
            "evidence": list(self.evidence),
        }
        if self.probability is not None:  # the lead (project owner) is not matched, it leads
            out.update(probability=round(self.probability, 4),
                       score_100=round(100 * self.probability), level=level_of(self.probability))
        return out


@dataclass(frozen=True)
class Consortium:
    project_id: str
    members: tuple[Member, ...]
    score: float
    parts: Mapping[str, float]

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(m.id for m in self.members)

    def by_role(self, role: str) -> list[Member]:
        return [m for m in self.members if m.role == role]

    def to_json(self) -> dict[str, Any]:
        p = CALIBRATION.probability(self.score)
        return {
            "project_id": self.project_id,
            "score": round(self.score, 6),
            "parts": {k: round(v, 6) for k, v in self.parts.items()},
            "probability": round(p, 4),
            "score_100": round(100 * p),
            "level": level_of(p),
            "members": [m.to_json() for m in self.members],
        }


def consortium_distance(a: Consortium, b: Consortium) -> int:
    """Members of one consortium that are not in the other (the larger of the two counts).

    Two teams one swap apart have distance 1.
    """
    return max(len(a.ids - b.ids), len(b.ids - a.ids))


def project_clearance(project: Node) -> str:
    """A project's clearance (the rule of :mod:`graph.clearance`)."""
    return required_level(project)


def org_clearance(org: Node) -> str | None:
    """The clearance an organisation holds (保密资质), or None."""
    value = str(org.props.get("clearance") or org.props.get("security_clearance") or "")
    if value in LEVELS:
        return value
    if OrgKind.MILITARY_UNIT in kinds_of(org):
        return "secret"
    return None


def _visible_project(index: CollaborationIndex, project_id: str) -> Node:
    """The project from the index (built at the caller's clearance), or ``NodeNotFound`` — the
    same for a missing one and one above the clearance."""
    node = index.projects.get(project_id)
    if node is None:
        raise NodeNotFound(project_id)
    return node


def _owner(index: CollaborationIndex, project: Node) -> str | None:
    """The project owner: its ``OWNED_BY`` edge, else an ``owner_id`` property."""
    owner = index.owner_of.get(project.id) or project.props.get("owner_id")
    return str(owner) if owner else None


def project_text_with_demands(store: GraphStore, project: Node) -> str:
    parts = [project.title, str(project.props.get("description") or "")]
    demands = [e.target for e in store.edges_of(project.id, rel=Rel.NEEDS, direction="out")]
    parts.extend(n.title for n in store.get_many(demands))
    return " ".join(p for p in parts if p)


def _eligible(
    org: Node, role: str, *, local_only: bool, need: str, is_lead: bool = False
) -> str | None:
    """Why ``org`` cannot take ``role`` (None when it can). The lead is the project owner: the
    project defines it, so no rule applies to it here."""
    if is_lead:
        return None
    if not set(kinds_of(org)) & ROLE_KINDS[role]:
        return f"{org.id} is not a {role.replace('_', ' ')}"
    if local_only and not is_chongqing(str(org.props.get("region") or "")):
        return f"{org.id} is not located in Chongqing (local-only)"
    if need != "public":
        held = org_clearance(org)
        if held is None or not allows(held, need):
            return f"{org.id} lacks the clearance the project needs"
    return None


def testing_body_independence(index: CollaborationIndex, tester: str, maker: str) -> str | None:
    """Why ``tester`` is not independent of ``maker`` (None when it is): the same organisation,
    an ownership link, or the tester leading an alliance the maker belongs to."""
    if tester == maker:
        return f"testing body {tester} is also the manufacturer"
    if index.ownership_linked(tester, maker):
        return f"testing body {tester} has an ownership link with manufacturer {maker}"
    led = index.leads_alliance_of(tester, maker)
    if led:
        return f"testing body {tester} leads alliance {led[0]} that manufacturer {maker} belongs to"
    return None


def is_valid_consortium(store: GraphStore, consortium: Consortium, request: ConsortiumRequest,
                        *, index: CollaborationIndex | None = None) -> list[str]:
    """Every rule the consortium breaks (empty when it is valid)."""
    req = request.checked()
    idx = index or collaboration_index(store, req.clearance)
    out: list[str] = []
    try:
        project = _visible_project(idx, req.project_id)
    except NodeNotFound as exc:
        return [str(exc)]
    need = project_clearance(project)
    owner = _owner(idx, project)
    ids = [m.id for m in consortium.members]
    if len(ids) != len(set(ids)):
        out.append("an organisation appears twice")
    leads = consortium.by_role("user")
    if len(leads) != 1 or leads[0].id != owner:
        out.append(f"the consortium must be led by the project owner {owner}")
    for role in ROLES:
        have = len(consortium.by_role(role))
        want = req.roles.get(role, 0)
        if have != want:
            out.append(f"role {role}: {have} member(s), {want} asked")
    for m in consortium.members:
        if m.role not in ROLE_KINDS:
            out.append(f"unknown role {m.role}")
            continue
        node = idx.orgs.get(m.id)
        if node is None:
            out.append(f"{m.id} does not exist")
            continue
        why = _eligible(
            node, m.role, local_only=req.local_only, need=need, is_lead=m.role == "user"
        )
        if why:
            out.append(why)
    for pin in req.pinned:
        if pin not in ids:
            out.append(f"pinned organisation {pin} is missing")
    for t in consortium.by_role("testing_body"):
        for mk in consortium.by_role("manufacturer"):
            why = testing_body_independence(idx, t.id, mk.id)
            if why:
                out.append(why)
    return out


@dataclass
class _Seat:
    role: str
    candidates: list[str]  # org ids, best fit first
    pinned: str | None = None


@dataclass(frozen=True)
class _State:
    chosen: tuple[int, ...]  # positions into the global candidate list
    fit: float
    cohesion_sum: float


class _Search:
    def __init__(
        self,
        seats: list[_Seat],
        lead: int,
        ids: list[str],
        fit: NDArray[np.float64],
        coh: NDArray[np.float64],
        banned: NDArray[np.bool_],
    ) -> None:
        self.seats, self.lead, self.ids, self.fit, self.coh = seats, lead, ids, fit, coh
        self.pos = {o: i for i, o in enumerate(ids)}
        self.banned = banned
        self.options = [
            np.array([self.pos[o] for o in ([s.pinned] if s.pinned else s.candidates)], dtype=np.int64)
            for s in seats
        ]

    @staticmethod
    def score(n: int, fit_sum: float, coh_sum: float) -> float:
        pairs = n * (n - 1) / 2
        return FIT_WEIGHT * fit_sum / max(n - 1, 1) + COHESION_WEIGHT * (coh_sum / pairs if pairs else 0.0)

    def run(self, *, beam: int, penalty: NDArray[np.float64]) -> list[_State]:
        """Beam search, one seat at a time; every child of every beam state is scored at once."""
        chosen = np.array([[self.lead]], dtype=np.int64)  # beam × seats so far
        fit_sum = np.zeros(1)
        coh_sum = np.zeros(1)
        for opts in self.options:
            b, k = chosen.shape[0], opts.size
            # children: (beam state, option)
            taken = (chosen[:, :, None] == opts[None, None, :]).any(axis=1)
            banned = self.banned[np.ix_(opts, chosen.ravel())].reshape(k, b, -1).any(axis=2).T
            ok = ~(taken | banned)
            f = fit_sum[:, None] + (self.fit[opts] - penalty[opts])[None, :]
            c = coh_sum[:, None] + self.coh[np.ix_(chosen.ravel(), opts)].reshape(b, -1, k).sum(axis=1)
            n = chosen.shape[1] + 1
            pairs = n * (n - 1) / 2
            total = FIT_WEIGHT * f / max(n - 1, 1) + COHESION_WEIGHT * c / pairs
            total = np.where(ok, total, -np.inf)
            flat = total.ravel()
            live = int(np.count_nonzero(np.isfinite(flat)))
            if live == 0:
                return []
            keep = min(beam, live)
            pick = np.argpartition(-flat, keep - 1)[:keep] if keep < flat.size else np.arange(flat.size)
            pick = pick[np.isfinite(flat[pick])]
            pick = pick[np.argsort(-flat[pick], kind="stable")]
            rows, cols = np.divmod(pick, k)
            chosen = np.concatenate([chosen[rows], opts[cols][:, None]], axis=1)
            fit_sum = f[rows, cols]
            coh_sum = c[rows, cols]
        return [
            _State(tuple(int(x) for x in chosen[i]), float(fit_sum[i]), float(coh_sum[i]))
            for i in range(chosen.shape[0])
        ]


def _roles_order(seats: list[_Seat]) -> list[_Seat]:
    return sorted(seats, key=lambda s: (s.pinned is None, len(s.candidates), ROLES.index(s.role)))


def form_consortia(store: GraphStore, request: ConsortiumRequest, *, fit: OrgFit,
                   index: CollaborationIndex | None = None, beam: int = 100) -> list[Consortium]:
    """Up to ``request.alternatives`` valid, genuinely different consortia, best first.

    Raises ``InfeasibleConsortium`` naming the missing role or the violated rule, and
    ``NodeNotFound`` for a project that does not exist or is above the caller's clearance.
    """
    req = request.checked()
    idx = index or collaboration_index(store, req.clearance)
    project = _visible_project(idx, req.project_id)
    need = project_clearance(project)
    owner = _owner(idx, project)
    if owner is None or owner not in idx.orgs:
        raise InfeasibleConsortium(f"role user: project {project.id} has no owner to lead it")
    text = project_text_with_demands(store, project)
    from matching.learn.consortium import learned_fit

    engine = learned_fit(store, fit)  # the stored consortium model, else the engine's weights

    # Pinned organisations: each takes a seat of a role it can fill.
    pinned_role: dict[str, str] = {}
    free = dict(req.roles)
    free["user"] = 0
    for pin in req.pinned:
        if pin == owner:
            continue
        node = idx.orgs.get(pin)
        if node is None:
            raise InvalidRequest(f"pinned organisation {pin} does not exist", field="with")
        reasons = []
        for role in ROLES:
            if role == "user" or free.get(role, 0) < 1:
                continue
            why = _eligible(node, role, local_only=req.local_only, need=need)
            if why is None:
                pinned_role[pin] = role
                free[role] -= 1
                break
            reasons.append(why)
        else:
            detail = "; ".join(reasons) or "no open seat of a role it can fill"
            raise InfeasibleConsortium(f"pinned organisation {pin} cannot take a seat: {detail}")

    # Candidates per role.
    fits: dict[str, float] = {owner: 0.0}
    matched: dict[str, FitScore] = {}  # the engine's score, evidence and probability
    seats: list[_Seat] = [_Seat(pinned_role[p], [], p) for p in pinned_role]
    for p in pinned_role:
        got = fit_scores(
            engine, text, kinds=ROLE_KINDS[pinned_role[p]], top=req.candidates_per_role * 4,
            project_id=project.id, clearance=req.clearance,
        )
        fits[p] = _rescaled(got).get(p, 0.0)
        if p in got:
            matched[p] = got[p]
    for role in ROLES:
        if role == "user" or free.get(role, 0) < 1:
            continue
        got = fit_scores(
            engine, text, kinds=ROLE_KINDS[role], top=req.candidates_per_role * 4,
            project_id=project.id, clearance=req.clearance,
        )
        scaled = _rescaled(got)
        ranked = list(got)
        # Organisations the engine did not return still count (with no fit) so feasibility
        # never depends on text.
        extra = sorted(
            o for o, n in idx.orgs.items() if set(kinds_of(n)) & ROLE_KINDS[role] and o not in got
        )
        cands: list[str] = []
        for o in [*ranked, *extra]:
            if o == owner or o in pinned_role or o not in idx.orgs:
                continue
            if _eligible(idx.orgs[o], role, local_only=req.local_only, need=need) is None:
                cands.append(o)
                if o in got:
                    fits[o] = scaled[o]
                    matched[o] = got[o]
                else:
                    fits.setdefault(o, 0.0)
            if len(cands) >= req.candidates_per_role:
                break
        if len(cands) < free[role]:
            rules = ["kind"] + (["local-only"] if req.local_only else [])
            rules += ["clearance"] if need != "public" else []
            raise InfeasibleConsortium(
                f"role {role}: {len(cands)} eligible organisation(s) for {free[role]} seat(s) "
                f"({', '.join(rules)})"
            )
        seats.extend(_Seat(role, cands) for _ in range(free[role]))

    ids = list(dict.fromkeys([owner, *[o for s in seats for o in ([s.pinned] if s.pinned else s.candidates)]]))
    pos = {o: i for i, o in enumerate(ids)}
    fit_vec = np.array([fits.get(o, 0.0) for o in ids])
    coh = cohesion_matrix(idx, ids)
    # Pairs that may never sit together: a testing body and a manufacturer it is not
    # independent of.
    banned = np.zeros((len(ids), len(ids)), dtype=bool)
    testers = {o for s in seats if s.role == "testing_body" for o in ([s.pinned] if s.pinned else s.candidates)}
    makers = {o for s in seats if s.role == "manufacturer" for o in ([s.pinned] if s.pinned else s.candidates)}
    for t in testers:
        for mk in makers:
            if testing_body_independence(idx, t, mk):
                banned[pos[t], pos[mk]] = banned[pos[mk], pos[t]] = True
    search = _Search(_roles_order(seats), pos[owner], ids, fit_vec, coh, banned)
    free_seats = sum(1 for s in seats if s.pinned is None)
    need_distance = min(2, free_seats)
    chosen: list[Consortium] = []
    penalty = np.zeros(len(ids))
    for _ in range(req.alternatives * 3):
        states = search.run(beam=beam, penalty=penalty)
        if not states and not chosen:
            free_search = _Search(search.seats, search.lead, ids, fit_vec, coh, np.zeros_like(banned))
            if free_search.run(beam=beam, penalty=penalty):
                raise InfeasibleConsortium(
                    "testing body independence: every testing body candidate is the same as, "
                    "owned with, or an alliance lead of the manufacturer candidates"
                )
            raise InfeasibleConsortium(
                "no organisation twice: too few distinct organisations for the seats asked"
            )
        for st in states:
            members = frozenset(search.ids[i] for i in st.chosen)
            if chosen and (
                need_distance == 0
                or any(
                    max(len(members - c.ids), len(c.ids - members)) < need_distance
                    for c in chosen
                )
            ):
                continue
            cons = _build(req.project_id, search, st, seats, idx, matched)
            if is_valid_consortium(store, cons, req, index=idx):
                continue  # the checker guards every consortium returned
            chosen.append(cons)
            if len(chosen) >= req.alternatives:
                return chosen
        if not states:
            break
        # Push the next search away from the members already used.
        for c in chosen:
            for m in c.members:
                if m.role != "user" and m.id not in req.pinned:
                    penalty[pos[m.id]] += 0.5
        if free_seats == 0:
            break
    return chosen


def _build(
    project_id: str,
    search: _Search,
    st: _State,
    seats: list[_Seat],
    idx: CollaborationIndex,
    matched: Mapping[str, FitScore],
) -> Consortium:
    order = [search.lead, *st.chosen[1:]]
    roles = ["user", *[s.role for s in search.seats]]
    ids = [search.ids[i] for i in order]
    members: list[Member] = []
    for i, (org, role) in enumerate(zip(ids, roles, strict=True)):
        ev: list[Mapping[str, Any]] = []
        hit = matched.get(org)
        found = [_evidence_json(item) for item in (hit.evidence if hit else [])]
        # the engine's best three, and its demonstration evaluations (shown, never ranked on)
        ev.extend([*found[:3], *(e for e in found[3:] if e.get("kind") == "evaluation")])
        for j, other in enumerate(ids):
            if j == i:
                continue
            score, reasons = idx.pair_cohesion(org, other) if search.coh[order[i], order[j]] > 0 else (0.0, [])
            if reasons:
                ev.append({"kind": "cohesion", "id": other, "text": "; ".join(reasons), "score": round(score, 4)})
        members.append(
            Member(org, idx.orgs[org].title, role, float(search.fit[order[i]]), tuple(ev[:8]),
                   hit.probability if hit and role != "user" else None)
        )
    n = len(order)
    pairs = n * (n - 1) / 2
    fit = float(sum(search.fit[c] for c in order[1:])) / max(n - 1, 1)
    coh = float(sum(search.coh[a, b] for x, a in enumerate(order) for b in order[x + 1 :])) / pairs if pairs else 0.0
    parts = {"fit": FIT_WEIGHT * fit, "cohesion": COHESION_WEIGHT * coh}
    members.sort(key=lambda m: (ROLES.index(m.role), m.id))
    return Consortium(project_id, tuple(members), parts["fit"] + parts["cohesion"], parts)


def _rescaled(got: Mapping[str, FitScore]) -> dict[str, float]:
    """Engine scores rescaled within one role: the best candidate 1, the weakest returned 0."""
    if not got:
        return {}
    values = [f.score for f in got.values()]
    hi, lo = max(values), min(values)
    if hi - lo < 1e-12:
        return dict.fromkeys(got, 1.0)
    return {o: (f.score - lo) / (hi - lo) for o, f in got.items()}


def _evidence_json(item: Any) -> Mapping[str, Any]:
    if isinstance(item, Mapping):
        return dict(item)
    to_json = getattr(item, "to_json", None)
    if callable(to_json):
        data = to_json()
        if isinstance(data, Mapping):
            return dict(data)
    out: dict[str, Any] = {}
    for key in ("kind", "id", "text", "score"):
        if hasattr(item, key):
            out[key] = getattr(item, key)
    return out or {"text": str(item)}


def parse_roles(values: Iterable[str] | None) -> dict[str, int]:
    """``["manufacturer=2", "research"]`` → ``{"user": 1, "manufacturer": 2, "research": 1}``;
    empty → every role once."""
    items = [v for raw in values or () for v in raw.split(",") if v.strip()]
    if not items:
        return dict.fromkeys(ROLES, 1)
    out: dict[str, int] = {"user": 1}
    for item in items:
        role, _, count = item.strip().partition("=")
        try:
            out[role.strip()] = int(count) if count else 1
        except ValueError:
            raise InvalidRequest(f"bad role count in {item!r}", field="roles") from None
    return out
