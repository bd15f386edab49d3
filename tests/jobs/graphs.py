"""Random first-set graphs for the jobs' tests: every kind of organisation, projects with owners
and demands, alliances with leads, technologies of both origins at every clearance, pitches."""

from __future__ import annotations

import random
from pathlib import Path

from graph.model import Edge, Node
from graph.networkx_store import NetworkxStore

KINDS = [
    "manufacturer",
    "user",
    "research_institute",
    "university",
    "design_institute",
    "integrator",
    "testing_body",
    "military_unit",
]
FIELDS = ["field:power.wind", "field:construction.tunnel", "field:rail.vehicle"]
WORDS = {
    "field:power.wind": ["风电", "叶片", "齿轮箱", "wind", "turbine", "blade"],
    "field:construction.tunnel": ["盾构", "刀盘", "掘进", "tunnel", "shield", "boring"],
    "field:rail.vehicle": ["轨道", "转向架", "牵引", "rail", "bogie", "traction"],
}
REGIONS = ["渝北区", "江北区", "北京", "DE", "上海"]
CLEARANCES = ["public", "restricted", "secret"]


def random_graph(seed: int, n_orgs: int = 40, n_projects: int = 8) -> tuple[list[Node], list[Edge]]:
    rnd = random.Random(seed)
    nodes: list[Node] = []
    edges: list[Edge] = []

    def text(field: str, k: int = 3) -> str:
        return " ".join(rnd.choice(WORDS[field]) for _ in range(k))

    orgs = []
    for i in range(n_orgs):
        kinds = [KINDS[i % len(KINDS)]] + ([rnd.choice(KINDS)] if rnd.random() < 0.2 else [])
        field = rnd.choice(FIELDS)
        props: dict[str, object] = {
            "name": f"机构{i} {text(field, 2)}",
            "kinds": sorted(set(kinds)),
            "region": rnd.choice(REGIONS),
            "description": text(field, 5),
        }
        if rnd.random() < 0.3:
            props["clearance"] = rnd.choice(CLEARANCES)
        if i > 0 and rnd.random() < 0.1:
            props["parent_id"] = f"org:{rnd.randrange(i)}"
        nodes.append(Node(f"org:{i}", "Organization", props))
        orgs.append(f"org:{i}")
    users = [o for i, o in enumerate(orgs) if KINDS[i % len(KINDS)] in ("user", "military_unit")]
    for a in range(3):
        nodes.append(Node(f"al:{a}", "Alliance", {"name": f"联盟{a}"}))
        members = rnd.sample(orgs, 6)
        for j, m in enumerate(members):
            edges.append(Edge(m, "MEMBER_OF", f"al:{a}", {"role": "lead" if j == 0 else "member"}))
    for p in range(n_projects):
        field = rnd.choice(FIELDS)
        kind = rnd.choice(["key_project", "demonstration", "military"])
        props = {"name": f"项目{p} {text(field)}", "kind": kind, "region": rnd.choice(REGIONS),
                 "description": text(field, 6)}
        if kind == "military" and rnd.random() < 0.5:
            props["clearance"] = rnd.choice(CLEARANCES)
        nodes.append(Node(f"prj:{p}", "Project", props))
        edges.append(Edge(f"prj:{p}", "OWNED_BY", rnd.choice(users)))
        for m in rnd.sample(orgs, 3):
            edges.append(Edge(m, "PARTICIPATES_IN", f"prj:{p}", {"role": "participant"}))
        for d in range(2):
            nodes.append(Node(f"dem:{p}.{d}", "Demand", {"text": text(field, 4), "field": field}))
            edges.append(Edge(f"prj:{p}", "NEEDS", f"dem:{p}.{d}"))
    for t in range(10):
        field = rnd.choice(FIELDS)
        nodes.append(Node(f"tech:{t}", "Technology", {
            "name": f"技术{t} {text(field, 2)}", "description": text(field, 5),
            "origin": rnd.choice(["military", "civil"]), "field": field, "trl": rnd.randint(1, 9),
            "clearance": rnd.choice(CLEARANCES)}))
        edges.append(Edge(rnd.choice(orgs), "OWNS", f"tech:{t}"))
    for q in range(8):
        field = rnd.choice(FIELDS)
        nodes.append(Node(f"pitch:{q}", "Pitch", {
            "title": f"路演{q} {text(field, 2)}", "summary": text(field, 6), "field": field,
            "stage": rnd.choice(["idea", "prototype", "pilot", "product"]), "trl": rnd.randint(1, 9)}))
        edges.append(Edge(rnd.choice(orgs), "PRESENTS", f"pitch:{q}"))
    for e in range(6):
        field = rnd.choice(FIELDS)
        nodes.append(Node(f"eq:{e}", "Equipment", {"name": text(field, 3), "field": field}))
        edges.append(Edge(rnd.choice(orgs), "MAKES", f"eq:{e}"))
    for f in FIELDS:
        nodes.append(Node(f, "Field", {"name": f}))
    return nodes, edges


def random_store(tmp: Path, seed: int, **kw: int) -> NetworkxStore:
    store = NetworkxStore(tmp / f"g{seed}-{random.random()}.db")
    nodes, edges = random_graph(seed, **kw)
    store.upsert(nodes, edges)
    return store
