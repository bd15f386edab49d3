"""A small first-set graph for the jobs' contract, at any scale: organisations of every kind,
equipment, patents that cite each other, military and civil technologies at every clearance
mark (and a typo), civil and military projects with owners, members and demands (some closed),
pitches, alliances with leads, derived collaboration edges and field links.

``jobs_graph(seed, scale)`` is deterministic; ``scale=5`` has five times as many of everything
as ``scale=1`` (60 organisations).
"""

from __future__ import annotations

import random

from graph.model import Edge, Node

__all__ = ["FIELDS", "jobs_graph"]

KINDS = [
    "manufacturer",
    "user",
    "research_institute",
    "university",
    "design_institute",
    "integrator",
    "testing_body",
    "military_unit",
    "manufacturer",
    "other",
]
FIELDS = ["field:power.wind", "field:construction.tunnel", "field:rail.vehicle", "field:aviation"]
WORDS = {
    "field:power.wind": ["风电", "叶片", "齿轮箱", "变桨", "wind", "turbine", "blade"],
    "field:construction.tunnel": ["盾构", "刀盘", "掘进", "管片", "tunnel", "shield", "boring"],
    "field:rail.vehicle": ["轨道", "转向架", "牵引", "制动", "rail", "bogie", "traction"],
    "field:aviation": ["航空", "复合材料", "发动机", "机翼", "aero", "composite", "engine"],
}
REGIONS = ["渝北区", "江北区", "两江新区", "北京", "上海", "DE"]
MARKS = [None, "public", "restricted", "secret", "机密"]  # "机密": unknown mark, fails closed


def jobs_graph(seed: int, scale: int = 1) -> tuple[list[Node], list[Edge]]:
    """Nodes and edges of the contract graph; every count grows linearly with ``scale``."""
    rnd = random.Random(seed)
    nodes: list[Node] = [Node(f, "Field", {"name": f}) for f in FIELDS]
    edges: list[Edge] = []

    def text(field: str, k: int) -> str:
        return " ".join(rnd.choice(WORDS[field]) for _ in range(k))

    n_orgs = 60 * scale
    orgs: list[str] = []
    by_kind: dict[str, list[str]] = {}
    for i in range(n_orgs):
        kind = KINDS[i % len(KINDS)]
        kinds = sorted({kind} | ({rnd.choice(KINDS)} if rnd.random() < 0.2 else set()))
        field = rnd.choice(FIELDS)
        props: dict[str, object] = {
            "name": f"机构{i} {text(field, 2)}",
            "kinds": kinds,
            "region": rnd.choice(REGIONS),
            "description": text(field, 6),
        }
        if rnd.random() < 0.2:
            props["clearance"] = rnd.choice(["public", "restricted", "secret"])  # 保密资质
        oid = f"org:{i:04d}"
        nodes.append(Node(oid, "Organization", props))
        orgs.append(oid)
        for k in kinds:
            by_kind.setdefault(k, []).append(oid)
    makers = by_kind["manufacturer"]
    users = by_kind["user"] + by_kind["military_unit"]

    for e in range(20 * scale):
        field = rnd.choice(FIELDS)
        eid = f"eq:{e:04d}"
        nodes.append(Node(eid, "Equipment", {
            "name": text(field, 3), "field": field, "description": text(field, 5),
            "catalogue": rnd.choice(["", "national-2024", "chongqing-2023"]),
            "status": rnd.choice(["developing", "catalogued", "demonstrated", "insured"])}))
        edges.append(Edge(rnd.choice(makers), "MAKES", eid))
        edges.append(Edge(eid, "IN_FIELD", field))

    patents: list[str] = []
    for q in range(25 * scale):
        field = rnd.choice(FIELDS)
        pid = f"pat:{q:04d}"
        nodes.append(Node(pid, "Patent", {
            "title": f"一种{text(field, 3)}", "abstract": text(field, 8),
            "ipc": [rnd.choice(["E21D9/06", "F03D1/06", "B61F5/00", "B64C1/00"])],
            "filed": f"20{rnd.randint(10, 23)}-0{rnd.randint(1, 9)}-01"}))
        edges.append(Edge(rnd.choice(orgs), "OWNS", pid))
        if patents and rnd.random() < 0.5:
            edges.append(Edge(pid, "CITES", rnd.choice(patents)))
        patents.append(pid)

    for t in range(12 * scale):
        field = rnd.choice(FIELDS)
        tid = f"tech:{t:04d}"
        origin = "military" if t % 3 != 2 else "civil"
        nodes.append(Node(tid, "Technology", {
            "name": f"技术{t} {text(field, 2)}", "description": text(field, 6), "origin": origin,
            "field": field, "trl": rnd.randint(3, 9), "clearance": MARKS[t % len(MARKS)]}))
        owner = rnd.choice(by_kind["military_unit"] if origin == "military" else orgs)
        edges.append(Edge(owner, "OWNS", tid))

    for a in range(3 * scale):
        field = rnd.choice(FIELDS)
        aid = f"al:{a:04d}"
        nodes.append(Node(aid, "Alliance", {
            "name": f"联盟{a}", "kind": rnd.choice(["innovation", "demonstration"]),
            "field": field}))
        for j, m in enumerate(rnd.sample(orgs, 6)):
            edges.append(Edge(m, "MEMBER_OF", aid, {"role": "lead" if j == 0 else "member"}))

    for p in range(10 * scale):
        field = rnd.choice(FIELDS)
        kind = ["key_project", "demonstration", "military"][p % 3]
        props = {"name": f"项目{p} {text(field, 3)}", "kind": kind,
                 "region": rnd.choice(REGIONS), "description": text(field, 6),
                 "budget_wan": rnd.randint(100, 50_000)}
        if kind == "military" and p % 2:
            props["clearance"] = rnd.choice(["restricted", "secret"])
        pid = f"prj:{p:04d}"
        nodes.append(Node(pid, "Project", props))
        edges.append(Edge(pid, "OWNED_BY", rnd.choice(users)))
        for m in rnd.sample(orgs, 3):
            role = rnd.choice(["manufacturer", "design_institute", "integrator", "participant"])
            edges.append(Edge(m, "PARTICIPATES_IN", pid, {"role": role}))
        for d in range(2):
            did = f"dem:{p:04d}.{d}"
            dprops: dict[str, object] = {"text": text(field, 5), "field": field,
                                         "budget_wan": rnd.randint(50, 5000), "quantity": 1}
            if rnd.random() < 0.15:
                dprops["status"] = "closed"
            nodes.append(Node(did, "Demand", dprops))
            edges.append(Edge(pid, "NEEDS", did))
        if rnd.random() < 0.4:
            edges.append(Edge(rnd.choice([n.id for n in nodes if n.label == "Equipment"]),
                              "DEMONSTRATED_IN", pid))

    for q in range(8 * scale):
        field = rnd.choice(FIELDS)
        qid = f"pitch:{q:04d}"
        nodes.append(Node(qid, "Pitch", {
            "title": f"路演{q} {text(field, 2)}", "summary": text(field, 7), "field": field,
            "stage": rnd.choice(["idea", "prototype", "pilot", "product"]),
            "trl": rnd.randint(1, 9)}))
        edges.append(Edge(rnd.choice(orgs), "PRESENTS", qid))

    for _ in range(10 * scale):
        one, other = rnd.sample(orgs, 2)
        edges.append(Edge(one, "COLLABORATED_WITH", other,
                          {"weight": round(rnd.uniform(0.1, 1.0), 3), "evidence": ["prj:0000"]}))
    return nodes, edges
