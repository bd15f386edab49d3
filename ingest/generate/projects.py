"""Alliances, key projects with their demands, project participation history, and pitches.

Projects come in two halves: open projects (their demands are what matching answers) and
completed ones, whose participants (design institute, integrator, research partner,
manufacturers, testing body) give the graph its co-participation history and whose
demonstrated equipment gets ``DEMONSTRATED_IN``. Participants tend to repeat: a design institute
usually brings the same integrator and research partner, so that teams emerge.
"""

from __future__ import annotations

import datetime as dt
import random

from graph.taxonomy import fields as taxonomy_fields
from ingest.generate.catalog import EquipmentIndex
from ingest.generate.common import RowWriter, apportion, iso_day, pick, scaled
from ingest.generate.names import BRANDS, CQ_DISTRICTS
from ingest.generate.orgs import Ecosystem, top_field
from ingest.generate.scenarios import PROJECT_TYPES, TECHS, ProjectType
from ingest.generate.vocab import FAMILIES, Family, family_by_key

__all__ = ["plan_demands", "write_alliances", "write_pitches", "write_projects"]

_ALLIANCES: tuple[tuple[str, str, str], ...] = (
    ("重庆市盾构及隧道装备产业创新联盟", "innovation", "field:construction.tunnel"),
    ("成渝地区双城经济圈轨道交通装备产业联盟", "industry", "field:rail"),
    ("重庆市首台（套）重大技术装备示范应用联盟", "demonstration", ""),
    ("重庆市智能制造装备产业联盟", "industry", "field:intelligent"),
    ("重庆市高档数控机床创新联盟", "innovation", "field:machine_tool"),
    ("西部输变电装备知识产权联盟", "ip", "field:grid"),
    ("重庆市新能源汽车产业知识产权联盟", "ip", "field:vehicle"),
    ("重庆市清洁能源装备示范应用联盟", "demonstration", "field:power"),
    ("重庆市高端医疗装备产业创新联盟", "innovation", "field:medical"),
    ("重庆市节能环保装备产业联盟", "industry", "field:environment"),
    ("成渝氢能及智能网联汽车产业联盟", "industry", "field:vehicle"),
    ("重庆市军民融合装备创新联盟", "innovation", "field:instrument"),
    ("重庆市安全应急装备示范应用联盟", "demonstration", "field:safety"),
    ("重庆市丘陵山区农机装备创新联盟", "innovation", "field:agri"),
    ("重庆市关键基础零部件产业联盟", "industry", "field:components"),
)


def _related(a: str, b: str) -> bool:
    return a == b or top_field(a) == top_field(b)


def write_alliances(
    out: RowWriter, rel: RowWriter, eco: Ecosystem, scale: float, seed: int,
) -> None:
    rng = random.Random(f"{seed}:alliances")
    n = scaled(len(_ALLIANCES), scale)
    width = max(3, len(str(n)))
    for k in range(n):
        name, kind, field = _ALLIANCES[k % len(_ALLIANCES)]
        if k >= len(_ALLIANCES):
            name = f"{name}{pick(rng, BRANDS)}分会"
        f = field or top_field(pick(rng, FAMILIES).field)
        makers = eco.makers_by_field.get(f, [])
        research = eco.research_by_field.get(f, []) + eco.universities_by_field.get(f, [])
        testing = eco.testing_by_field.get(f, [])
        if kind == "demonstration" or field == "":
            lead_pool = eco.by_kind["user"]
        elif kind == "innovation" and research:
            lead_pool = research
        else:
            lead_pool = makers or eco.by_kind["manufacturer"]
        if kind == "innovation" and "军民融合" in name and eco.by_kind.get("military_unit"):
            lead_pool = eco.by_kind["military_unit"]
        lead = pick(rng, lead_pool)
        members = [lead]
        seen = {lead}
        want = rng.randint(8, 25)
        pools = [p for p in (makers, research, testing, eco.by_kind["user"]) if p]
        for _ in range(want * 3):
            if len(members) >= want:
                break
            pool = pools[0] if rng.random() < 0.55 else pick(rng, pools)
            m = pick(rng, pool)
            if m not in seen:
                seen.add(m)
                members.append(m)
        aid = f"al:{k + 1:0{width}d}"
        out.row(aid, name, kind, field, ";".join(eco.orgs[m].id for m in members))
        rel.row(eco.orgs[lead].id, "MEMBER_OF", aid, "lead", "")


def _short_district(name: str) -> str:
    special = {"两江新区": "两江", "重庆高新区": "西部科学城", "石柱土家族自治县": "石柱"}
    if name in special:
        return special[name]
    return name[:-1] if len(name) > 2 else name


_QTY = {
    "台": (1, 12), "套": (1, 8), "列": (6, 40), "公里": (5, 60), "艘": (2, 10), "架": (4, 40),
    "辆": (20, 200), "根": (20, 160), "条": (1, 3), "架次": (1, 5),
}
_PARTS = ("", "一期工程", "土建施工{n}标段", "机电设备采购包{n}", "设备安装标段")


def _demand_text(fam: Family, project: str, qty: int, needed: str, rng: random.Random) -> str:
    alias = pick(rng, fam.aliases)
    spec = pick(rng, fam.specs)
    use = pick(rng, fam.uses)
    feature = pick(rng, fam.features)
    part = pick(rng, _PARTS).format(n=rng.randint(1, 9))
    when = f"{needed[:4]}年{int(needed[5:7])}月"
    unit = fam.unit
    field_name = taxonomy_fields()[fam.field].name
    templates = (
        f"{project}{part}拟采购{alias}{qty}{unit}，要求{spec}，用于{use}，需具备{feature}功能，"
        f"{when}前交付。",
        f"为满足{use}需要，{project}计划招标{qty}{unit}{alias}。技术要求：{spec}；{feature}。"
        f"优先考虑列入首台（套）目录的国产装备。",
        f"{project}{part}需要{qty}{unit}{alias}（{spec}），工况为{use}，要求{feature}，"
        f"并提供驻场技术服务，{when}前到场。",
        f"{project}面向{use}，需配置{field_name}{qty}{unit}：{spec}，{feature}，"
        f"供货商须具备同类装备研制能力。",
    )
    return pick(rng, templates)


def _budget(lo: int, hi: int, rng: random.Random) -> int:
    return rng.randint(lo // 100, hi // 100) * 100


class _Projects:
    def __init__(
        self, eco: Ecosystem, eq: EquipmentIndex, out: RowWriter, demands: RowWriter,
        rel: RowWriter, rng: random.Random, width: int,
    ) -> None:
        self.eco, self.eq, self.out, self.demands, self.rel = eco, eq, out, demands, rel
        self.rng, self.width = rng, width
        self.count = 0
        self.demand_families: list[str] = []

    def _org(self, kind: str, sector: str) -> int | None:
        pool = self.eco.by_sector.get((kind, sector)) or self.eco.by_kind.get(kind)
        return pick(self.rng, pool) if pool else None

    def project(self, t: ProjectType, done: bool, demanded: list[str]) -> None:
        rng, eco = self.rng, self.eco
        self.count += 1
        pid = f"prj:{self.count:0{self.width}d}"
        owner = self._org("user", t.sector)
        assert owner is not None
        owner_org = eco.orgs[owner]
        place = owner_org.place if owner_org.local and rng.random() < 0.6 else pick(
            rng, CQ_DISTRICTS, [p.weight for p in CQ_DISTRICTS]
        )
        name = pick(rng, t.names).format(
            n=rng.randint(4, 27), brand=pick(rng, BRANDS), district=_short_district(place.region),
        )
        budget = _budget(*t.budget, rng)
        year = rng.randint(2016, 2024) if done else rng.randint(2027, 2030)
        state = f"已于{year}年建成投运" if done else f"计划{year}年建成"
        desc = (
            f"{name}位于{place.region}，{t.purpose}。项目总投资约{budget / 10000:.1f}亿元，"
            f"业主为{owner_org.name}，{state}。"
        )
        marking = "restricted" if t.kind == "military" else ""  # military projects are never public
        self.out.row(pid, name, owner_org.id, t.kind, place.region, desc, budget, marking)
        fams = list(dict.fromkeys(t.families))
        if done:
            self._history(pid, t, fams)
            return
        for role, kind, p in (("design_institute", "design_institute", 0.8),
                              ("integrator", "integrator", 0.4)):
            org = self._org(kind, t.sector)
            if org is not None and rng.random() < p:
                self.rel.row(eco.orgs[org].id, "PARTICIPATES_IN", pid, role, "")
        for key in demanded:
            self._demand(pid, name, family_by_key(key), budget)


    def _demand(self, pid: str, project: str, fam: Family, budget: int) -> None:
        rng = self.rng
        lo, hi = _QTY.get(fam.unit, (1, 10))
        qty = rng.randint(lo, hi)
        needed = iso_day(dt.date(2027, 3, 1), dt.date(2029, 12, 31), rng)
        text = _demand_text(fam, project, qty, needed, rng)
        share = _budget(max(100, budget // 40), max(200, budget // 6), rng)
        did = f"dem:{self.demands.count + 1:0{self.width}d}"
        self.demands.row(did, pid, text, fam.field, qty, share, needed)
        self.demand_families.append(fam.key)

    def _history(self, pid: str, t: ProjectType, fams: list[str]) -> None:
        rng, eco = self.rng, self.eco
        seen: set[int] = set()

        def join(org: int | None, role: str) -> None:
            if org is not None and org not in seen:
                seen.add(org)
                self.rel.row(eco.orgs[org].id, "PARTICIPATES_IN", pid, role, "")

        designs = eco.by_sector.get(("design_institute", t.sector), [])
        slot = rng.randrange(len(designs)) if designs else rng.randrange(97)
        join(designs[slot] if designs else None, "design_institute")
        integrators = eco.by_sector.get(("integrator", t.sector), [])
        if integrators:
            partner = slot % len(integrators) if rng.random() < 0.7 else None
            join(integrators[partner] if partner is not None else pick(rng, integrators),
                 "integrator")
        chosen = rng.sample(fams, min(len(fams), rng.randint(1, 3)))
        field = family_by_key(chosen[0]).field
        research = eco.research_by_field.get(field) or eco.research_by_field.get(top_field(field))
        if research:
            partner = slot % len(research) if rng.random() < 0.6 else None
            join(research[partner] if partner is not None else pick(rng, research), "research")
        for key in chosen:
            demonstrated = self.eq.demonstrated.get(key)
            if demonstrated:
                eid, maker = pick(rng, demonstrated)
                join(maker, "manufacturer")
                self.rel.row(eid, "DEMONSTRATED_IN", pid, "", "")
            elif eco.makers_by_family.get(key):
                join(pick(rng, eco.makers_by_family[key]), "manufacturer")
        testing = eco.testing_by_field.get(field) or eco.by_kind.get("testing_body")
        if testing:
            join(pick(rng, testing), "testing_body")


def _choose(
    t: ProjectType, n: int, unserved: list[set[str]], rng: random.Random,
) -> list[str]:
    """Family keys for ``n`` demands of a project of type ``t``: the headline family often
    comes first; families a military technology could serve (``unserved``, updated) are
    preferred until each technology has a demand; the rest follow the type's weights."""
    chosen: list[str] = []
    if n and rng.random() < 0.6:
        chosen.append(t.families[0])
    for _ in range(n * 20):
        if len(chosen) >= n:
            break
        wanted = [k for k in t.families if any(k in u for u in unserved) and k not in chosen]
        key = pick(rng, wanted) if wanted and rng.random() < 0.7 else pick(rng, t.families)
        if key not in chosen or len(set(t.families)) <= len(chosen):
            chosen.append(key)
    unserved[:] = [u for u in unserved if not u.intersection(chosen)]
    return chosen


def plan_demands(scale: float, seed: int) -> list[tuple[int, list[str]]]:
    """The open projects (project type index) and the families their demands ask for.

    Planned before the organisations, so that every demanded product gets several makers.
    """
    rng = random.Random(f"{seed}:plan")
    n_open, n_demands = scaled(40, scale), scaled(80, scale)
    unserved = [set(s.serves) for s in TECHS if s.origin == "military"]
    weights = [t.weight for t in PROJECT_TYPES]
    plan = []
    for k, i in enumerate(apportion(weights, n_open)):
        per = n_demands // n_open + (1 if k < n_demands % n_open else 0)
        plan.append((i, _choose(PROJECT_TYPES[i], per, unserved, rng)))
    return plan


def write_projects(
    out: RowWriter, demands: RowWriter, rel: RowWriter, eco: Ecosystem, eq: EquipmentIndex,
    plan: list[tuple[int, list[str]]], scale: float, seed: int,
) -> list[str]:
    """Write projects, their demands and participation; return the demanded family keys."""
    rng = random.Random(f"{seed}:projects")
    n_open, n_done = len(plan), scaled(40, scale)
    n_demands = sum(len(d) for _, d in plan)
    width = max(4, len(str(n_open + n_done)), len(str(n_demands)))
    builder = _Projects(eco, eq, out, demands, rel, rng, width)
    weights = [t.weight for t in PROJECT_TYPES]
    for i, demanded in plan:
        builder.project(PROJECT_TYPES[i], False, demanded)
    order = list(apportion(weights, n_done))
    rng.shuffle(order)
    for i in order:
        builder.project(PROJECT_TYPES[i], True, [])
    return builder.demand_families


_PITCH_SUFFIX = (
    "关键部件国产化", "智能运维系统", "数字孪生监测平台", "轻量化设计", "在线故障诊断系统",
    "节能改造方案", "远程运维平台", "国产控制系统", "核心算法", "再制造技术",
)
_STAGES = {
    "idea": ((1, 3), "方案论证", "已完成方案论证和仿真分析"),
    "prototype": ((4, 5), "样机研制", "已完成原理样机试制和实验室测试"),
    "pilot": ((6, 7), "中试验证", "已在合作企业完成中试验证"),
    "product": ((8, 9), "产品化", "已实现小批量销售"),
}
_ASKS = ("示范应用场景", "首台（套）示范项目合作", "产业化投资", "联合研发伙伴", "整机厂配套")


def write_pitches(
    out: RowWriter, eco: Ecosystem, demanded: list[str], scale: float, seed: int,
) -> None:
    rng = random.Random(f"{seed}:pitches")
    n = scaled(40, scale)
    width = max(4, len(str(n)))
    for k in range(n):
        key = pick(rng, demanded) if demanded and rng.random() < 0.6 else pick(rng, FAMILIES).key
        fam = family_by_key(key)
        r = rng.random()
        if r < 0.4 and eco.makers_by_family.get(key):
            org = pick(rng, eco.makers_by_family[key])
        elif r < 0.65 and eco.universities_by_field.get(fam.field):
            org = pick(rng, eco.universities_by_field[fam.field])
        elif r < 0.85 and eco.research_by_field.get(fam.field):
            org = pick(rng, eco.research_by_field[fam.field])
        else:
            org = pick(rng, eco.by_kind.get("other") or eco.by_kind["manufacturer"])
        stage = pick(rng, tuple(_STAGES))
        (lo, hi), stage_cn, evidence = _STAGES[stage]
        trl = rng.randint(lo, hi)
        subject = pick(rng, (fam.name, *fam.aliases))
        use = pick(rng, fam.uses)
        title = pick(rng, (f"{subject}{pick(rng, _PITCH_SUFFIX)}", f"面向{use}的{subject}"))
        summary = (
            f"团队面向{use}，研发{subject}：{pick(rng, fam.features)}，{pick(rng, fam.specs)}。"
            f"目前处于{stage_cn}阶段，{evidence}，寻求{pick(rng, _ASKS)}。"
        )
        out.row(f"pitch:{k + 1:0{width}d}", title, summary, eco.orgs[org].id, fam.field, stage,
                trl)
