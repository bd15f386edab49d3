"""Consortium formation: the checker, the rules, alternatives, errors, and random graphs."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.errors import InfeasibleConsortium, InvalidRequest, NodeNotFound
from graph.model import Edge, Node
from graph.networkx_store import NetworkxStore
from matching.consortium import (
    ROLES,
    Consortium,
    ConsortiumRequest,
    Member,
    consortium_distance,
    form_consortia,
    is_valid_consortium,
    parse_roles,
)
from tests.jobs.graphs import random_store
from tests.jobs.plumbing import lexical_fit


def _org(oid: str, kind: str, name: str, region: str = "渝北区", **props: object) -> Node:
    return Node(oid, "Organization", {"name": name, "kinds": [kind], "region": region, **props})


def small_store(tmp: Path) -> NetworkxStore:
    nodes = [
        _org("u", "user", "重庆轨道集团"),
        _org("d1", "design_institute", "隧道设计院 盾构 设计"),
        _org("d2", "design_institute", "风电设计院 叶片", region="北京"),
        _org("i1", "integrator", "盾构 集成商"),
        _org("i2", "integrator", "系统集成 风电"),
        _org("r1", "university", "重庆大学 盾构 掘进 研究"),
        _org("r2", "research_institute", "风电 研究院"),
        _org("m1", "manufacturer", "盾构机 刀盘 制造 公司"),
        _org("m2", "manufacturer", "风电 叶片 制造", region="上海"),
        _org("m3", "manufacturer", "盾构 掘进机 重工"),
        _org("t1", "testing_body", "检测中心 盾构", parent_id="grp"),
        _org("t2", "testing_body", "质量 检验 所"),
        _org("t3", "testing_body", "盾构 测试 院", region="北京"),
        _org("grp", "other", "集团"),
        _org("m4", "manufacturer", "盾构 集团子公司", parent_id="grp"),
        Node("p", "Project", {"name": "轨道交通 盾构 隧道 示范", "kind": "key_project"}),
        Node("pm", "Project", {"name": "军用 盾构", "kind": "military", "clearance": "secret"}),
        Node("dem", "Demand", {"text": "盾构机 刀盘 掘进"}),
        Node("al", "Alliance", {"name": "盾构联盟"}),
        Node("old", "Project", {"name": "旧项目"}),
    ]
    edges = [
        Edge("p", "OWNED_BY", "u"),
        Edge("pm", "OWNED_BY", "u"),
        Edge("p", "NEEDS", "dem"),
        Edge("t2", "MEMBER_OF", "al", {"role": "lead"}),
        Edge("m1", "MEMBER_OF", "al", {"role": "member"}),
        Edge("old", "OWNED_BY", "u"),
        Edge("d1", "PARTICIPATES_IN", "old"),
        Edge("m3", "PARTICIPATES_IN", "old"),
    ]
    store = NetworkxStore(tmp / "small.db")
    store.upsert(nodes, edges)
    return store


@pytest.fixture
def small(tmp_path: Path) -> NetworkxStore:
    return small_store(tmp_path)


def test_full_team_is_valid_led_by_owner_with_parts_and_evidence(small: NetworkxStore) -> None:
    req = ConsortiumRequest("p", alternatives=3)
    teams = form_consortia(small, req, fit=lexical_fit(small))
    assert teams
    for team in teams:
        assert is_valid_consortium(small, team, req) == []
        assert [m.id for m in team.by_role("user")] == ["u"]
        assert set(team.parts) == {"fit", "cohesion"}
        assert team.score == pytest.approx(sum(team.parts.values()))
        assert {m.role for m in team.members} == set(ROLES)
    best = teams[0]
    assert best.by_role("manufacturer")[0].id in {"m1", "m3", "m4"}  # a tunnelling maker
    assert any(m.evidence for m in best.members)


def test_alternatives_are_genuinely_different(small: NetworkxStore) -> None:
    teams = form_consortia(small, ConsortiumRequest("p", alternatives=3), fit=lexical_fit(small))
    assert len(teams) >= 2
    for i, a in enumerate(teams):
        for b in teams[i + 1 :]:
            assert consortium_distance(a, b) >= 2


def test_testing_body_independence_is_enforced(small: NetworkxStore) -> None:
    teams = form_consortia(small, ConsortiumRequest("p", alternatives=5), fit=lexical_fit(small))
    for team in teams:
        makers = {m.id for m in team.by_role("manufacturer")}
        testers = {m.id for m in team.by_role("testing_body")}
        assert not ({"m4"} <= makers and "t1" in testers)  # same owner grp
        assert not ({"m1"} <= makers and "t2" in testers)  # t2 leads m1's alliance


def test_checker_names_each_violation(small: NetworkxStore) -> None:
    req = ConsortiumRequest("p", {"user": 1, "manufacturer": 1, "testing_body": 1})
    bad = Consortium(
        "p",
        (Member("m1", "", "user", 0), Member("m4", "", "manufacturer", 0), Member("t1", "", "testing_body", 0)),
        0.0,
        {},
    )
    problems = is_valid_consortium(small, bad, req)
    assert any("led by the project owner" in p for p in problems)
    assert any("ownership link" in p for p in problems)
    twice = Consortium(
        "p",
        (Member("u", "", "user", 0), Member("m1", "", "manufacturer", 0), Member("m1", "", "testing_body", 0)),
        0.0,
        {},
    )
    problems = is_valid_consortium(small, twice, req)
    assert any("twice" in p for p in problems)
    assert any("not a testing body" in p for p in problems)
    alliance = Consortium(
        "p",
        (Member("u", "", "user", 0), Member("m1", "", "manufacturer", 0), Member("t2", "", "testing_body", 0)),
        0.0,
        {},
    )
    assert any("leads alliance" in p for p in is_valid_consortium(small, alliance, req))


def test_drop_roles_several_per_role_and_pin(small: NetworkxStore) -> None:
    req = ConsortiumRequest("p", parse_roles(["manufacturer=2", "testing_body"]), pinned=("m2",))
    teams = form_consortia(small, req, fit=lexical_fit(small))
    for team in teams:
        assert is_valid_consortium(small, team, req) == []
        assert len(team.by_role("manufacturer")) == 2
        assert "m2" in team.ids
        assert not team.by_role("design_institute")


def test_local_only_keeps_out_other_regions(small: NetworkxStore) -> None:
    req = ConsortiumRequest("p", local_only=True, alternatives=3)
    for team in form_consortia(small, req, fit=lexical_fit(small)):
        assert not team.ids & {"d2", "m2", "t3"}


def test_missing_role_is_named(small: NetworkxStore) -> None:
    with pytest.raises(InfeasibleConsortium, match="role design_institute"):
        form_consortia(small, ConsortiumRequest("p", parse_roles(["design_institute=3"])), fit=lexical_fit(small))
    with pytest.raises(InfeasibleConsortium, match=r"role testing_body.*local-only"):
        form_consortia(small, ConsortiumRequest("p", {"user": 1, "testing_body": 3}, local_only=True), fit=lexical_fit(small))
    with pytest.raises(InfeasibleConsortium, match="pinned organisation t2"):
        form_consortia(small, ConsortiumRequest("p", {"user": 1, "testing_body": 1}, pinned=("t1", "t2")), fit=lexical_fit(small))


def test_independence_infeasibility_is_named(small: NetworkxStore) -> None:
    req = ConsortiumRequest("p", {"user": 1, "manufacturer": 1, "testing_body": 1}, pinned=("m1", "t2"))
    with pytest.raises(InfeasibleConsortium, match="independence"):
        form_consortia(small, req, fit=lexical_fit(small))


def test_bad_requests(small: NetworkxStore) -> None:
    with pytest.raises(InvalidRequest, match="unknown role"):
        form_consortia(small, ConsortiumRequest("p", {"pilot": 1}), fit=lexical_fit(small))
    with pytest.raises(InvalidRequest, match="led by exactly one user"):
        form_consortia(small, ConsortiumRequest("p", {"user": 2}), fit=lexical_fit(small))


def test_military_project_hidden_below_clearance_like_a_missing_one(small: NetworkxStore) -> None:
    with pytest.raises(NodeNotFound) as hidden:
        form_consortia(small, ConsortiumRequest("pm", clearance="restricted"), fit=lexical_fit(small))
    with pytest.raises(NodeNotFound) as missing:
        form_consortia(small, ConsortiumRequest("nope", clearance="restricted"), fit=lexical_fit(small))
    assert str(hidden.value).replace("pm", "X") == str(missing.value).replace("nope", "X")
    # With clearance, members must hold it: nobody here does.
    with pytest.raises(InfeasibleConsortium, match="clearance"):
        form_consortia(small, ConsortiumRequest("pm", clearance="secret"), fit=lexical_fit(small))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    local=st.booleans(),
    clearance=st.sampled_from(["public", "restricted", "secret"]),
    counts=st.dictionaries(st.sampled_from(ROLES[1:]), st.integers(0, 2), max_size=5),
    alternatives=st.integers(1, 4),
)
def test_every_consortium_returned_is_valid(
    seed: int, local: bool, clearance: str, counts: dict[str, int], alternatives: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = random_store(Path(tmp), seed, n_orgs=60, n_projects=4)
        try:
            roles = {"user": 1, **dict.fromkeys(ROLES[1:], 1), **counts}
            for p in range(4):
                req = ConsortiumRequest(f"prj:{p}", roles, local_only=local, clearance=clearance,
                                        alternatives=alternatives)
                try:
                    teams = form_consortia(store, req, fit=lexical_fit(store))
                except (InfeasibleConsortium, NodeNotFound):
                    continue
                assert len(teams) <= alternatives
                for i, team in enumerate(teams):
                    assert is_valid_consortium(store, team, req) == []
                    for other in teams[i + 1 :]:
                        free = sum(roles.values()) - 1
                        assert consortium_distance(team, other) >= min(2, free)
        finally:
            store.close()
