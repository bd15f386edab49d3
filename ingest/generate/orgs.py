"""Fictional organisations of every kind, with valid credit codes, aliases and descriptions.

Organisations are built in memory (small records, about 200 bytes each) because every later
file refers to them; their rows are written as they are made. ``Ecosystem`` keeps the indices
later sections draw from: manufacturers by product family and field, research organisations and
testing bodies by field, owners, design institutes and integrators by sector.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from graph.taxonomy import fields as taxonomy_fields
from ingest.generate.common import RowWriter, apportion, make_uscc, pick, scaled
from ingest.generate.names import BRANDS, CQ_DISTRICTS, ELSEWHERE, FOREIGN, SECTORS, Place
from ingest.generate.scenarios import PROJECT_TYPES
from ingest.generate.vocab import FAMILIES, Family, family_by_key

__all__ = ["KIND_COUNTS", "Ecosystem", "Org", "build_orgs", "top_field"]

# Organisations per unit of scale, by primary kind (300 in all).
KIND_COUNTS: dict[str, int] = {
    "manufacturer": 120,
    "user": 50,
    "research_institute": 28,
    "university": 15,
    "design_institute": 18,
    "integrator": 24,
    "testing_body": 15,
    "military_unit": 12,
    "other": 18,
}
# Share of each kind registered outside Chongqing, and abroad.
_AWAY: dict[str, tuple[float, float]] = {
    "manufacturer": (0.17, 0.07),
    "research_institute": (0.16, 0.0),
    "university": (0.17, 0.0),
    "design_institute": (0.1, 0.0),
    "integrator": (0.15, 0.0),
    "testing_body": (0.12, 0.0),
    "military_unit": (0.1, 0.0),
}
_FOREIGN_NAMES = (
    "赫尔曼", "克莱因", "施泰纳", "鲍尔", "瓦格纳", "福格尔", "诺伊曼", "霍夫曼",
    "山田", "松本", "罗西", "林德伯格",
)
_COMPANY = ("有限公司", "股份有限公司", "有限责任公司", "科技有限公司", "（集团）有限责任公司")
_HONOURS = (
    "国家级专精特新“小巨人”企业", "国家高新技术企业", "重庆市企业技术中心", "重庆市制造业单项冠军",
    "国家知识产权示范企业", "重庆市“专精特新”中小企业",
)


def top_field(field_id: str) -> str:
    return field_id.split(".")[0]


@dataclass(slots=True)
class Org:
    id: str
    name: str
    kinds: tuple[str, ...]
    place: Place
    families: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    sector: str = ""
    short: str = ""

    @property
    def local(self) -> bool:
        return self.place.division.startswith("50")


@dataclass
class Ecosystem:
    orgs: list[Org] = field(default_factory=list)
    makers_by_family: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    makers_by_field: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    research_by_field: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    universities_by_field: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    testing_by_field: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    by_sector: dict[tuple[str, str], list[int]] = field(default_factory=lambda: defaultdict(list))
    by_kind: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    def add(self, org: Org) -> int:
        i = len(self.orgs)
        self.orgs.append(org)
        for kind in org.kinds:
            self.by_kind[kind].append(i)
            if org.sector:
                self.by_sector[(kind, org.sector)].append(i)
        if "manufacturer" in org.kinds:
            for fam in org.families:
                self.makers_by_family[fam].append(i)
            for f in dict.fromkeys(family_by_key(k).field for k in org.families):
                self.makers_by_field[f].append(i)
                self.makers_by_field[top_field(f)].append(i)
        table = {
            "research_institute": self.research_by_field,
            "university": self.universities_by_field,
            "military_unit": self.research_by_field,
            "testing_body": self.testing_by_field,
        }
        for kind, index in table.items():
            if kind in org.kinds:
                for f in org.fields:
                    index[f].append(i)
                    if top_field(f) != f:
                        index[top_field(f)].append(i)
        if "university" in org.kinds:
            for f in org.fields:
                self.research_by_field[f].append(i)
        return i


class _Namer:
    """Unique names and aliases; uniqueness is checked on the name without its legal ending."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    @staticmethod
    def key(name: str) -> str:
        for ending in ("（集团）有限责任公司", "股份有限公司", "有限责任公司", "有限公司"):
            if name.endswith(ending):
                return name[: -len(ending)]
        return name

    def claim(self, name: str) -> bool:
        k = self.key(name)
        if k in self.used:
            return False
        self.used.add(k)
        return True

    def brand(self) -> str:
        return pick(self.rng, BRANDS)

    def make(self, build: Callable[[str], str]) -> tuple[str, str]:
        for attempt in range(200):
            brand = self.brand() if attempt < 40 else self.brand() + self.brand()
            name = build(brand)
            if self.claim(name):
                return name, brand
        raise RuntimeError("could not find a unique organisation name")  # pragma: no cover


def _place(rng: random.Random, kind: str) -> Place:
    away, abroad = _AWAY.get(kind, (0.0, 0.0))
    r = rng.random()
    if r < abroad:
        return pick(rng, FOREIGN, [p.weight for p in FOREIGN])
    if r < away:
        return pick(rng, ELSEWHERE, [p.weight for p in ELSEWHERE])
    return pick(rng, CQ_DISTRICTS, [p.weight for p in CQ_DISTRICTS])


def _field_name(field_id: str) -> str:
    return taxonomy_fields()[field_id].name


def _topic(field_id: str) -> str:
    """The field name without a trailing 装备/设备, for use inside organisation names."""
    name = _field_name(field_id)
    return name[:-2] if name.endswith(("装备", "设备")) and len(name) > 4 else name


# Military research domains (name word, field), in turn.
_MILITARY = (
    ("动力传动", "field:components.bearing"), ("机电", "field:marine"),
    ("精密仪器", "field:instrument"), ("光电", "field:instrument"),
    ("特种装备", "field:machine_tool.forming"), ("雷达", "field:safety"),
)


def _families_of(field_id: str) -> list[Family]:
    return [f for f in FAMILIES if f.field == field_id or top_field(f.field) == field_id]


@cache
def _family_weights() -> dict[str, int]:
    """How many manufacturers a family deserves: its own weight plus how often project types
    ask for it, so that demanded products have several real suppliers."""
    asked: dict[str, float] = {f.key: 0.0 for f in FAMILIES}
    for t in PROJECT_TYPES:
        for key in t.families:
            asked[key] += t.weight / len(t.families)
    return {f.key: f.weight + round(4 * asked[f.key]) for f in FAMILIES}


def _sector_weights() -> tuple[list[str], list[int]]:
    weights: dict[str, int] = {s.key: 0 for s in SECTORS}
    for t in PROJECT_TYPES:
        weights[t.sector] += t.weight
    keys = [s.key for s in SECTORS]
    return keys, [max(1, weights[k]) for k in keys]


_LEAF_FIELDS = tuple(dict.fromkeys(f.field for f in FAMILIES))


class _Builder:
    def __init__(self, eco: Ecosystem, out: RowWriter, rng: random.Random, seed: int) -> None:
        self.eco, self.out, self.rng, self.seed = eco, out, rng, seed
        self.namer = _Namer(rng)
        self.width = 4

    def emit(self, org: Org, description: str, authority: str | None) -> None:
        i = len(self.eco.orgs)
        org.id = f"org:{i + 1:0{self.width}d}"
        code = ""
        if authority and org.place.division:
            code = make_uscc(authority, org.place.division, i, self.seed)
        aliases = org.short if org.short and self.namer.claim(org.short) else ""
        if not aliases:
            org.short = ""
        self.out.row(
            org.id, org.name, ";".join(org.kinds), code, org.place.region, description, aliases,
            _clearance(org, i),
        )
        self.eco.add(org)

    def _company(self, place: Place, industry: str, suffixes: tuple[str, ...]) -> tuple[str, str]:
        rng = self.rng
        if not place.division:

            def foreign(b: str) -> str:
                who = pick(rng, _FOREIGN_NAMES)
                if len(b) > 2:
                    who += "·" + pick(rng, _FOREIGN_NAMES)
                return f"{place.short}{who}{industry}股份公司"

            name, _ = self.namer.make(foreign)
            return name, name[len(place.short):-len(industry) - 4]
        return self.namer.make(lambda b: f"{place.short}{b}{industry}{pick(rng, suffixes)}")

    def manufacturer(self, fam: Family, second: str | None) -> None:
        rng = self.rng
        place = _place(rng, "manufacturer")
        name, brand = self._company(place, fam.industry, _COMPANY)
        families = [fam.key] if second is None else [fam.key, second]
        kinds = ("manufacturer", "integrator") if rng.random() < 0.12 else ("manufacturer",)
        org = Org("", name, kinds, place, tuple(families), (fam.field,))
        if rng.random() < 0.45:
            org.short = brand + fam.industry
        other = ""
        if len(families) > 1:
            other = f"，并生产{family_by_key(families[1]).name}"
        where = "重庆本地" if org.local else place.short
        honour = f"，{pick(rng, _HONOURS)}" if rng.random() < 0.5 else ""
        feats, uses = rng.sample(fam.features, 2), rng.sample(fam.uses, 2)
        desc = (
            f"{where}{fam.industry}企业{honour}。主要产品为{fam.name}（{pick(rng, fam.specs)}）"
            f"{other}，掌握{feats[0]}、{feats[1]}等关键技术，产品用于{uses[0]}和{uses[1]}。"
        )
        self.emit(org, desc, "91")

    def research(self, kind: str) -> None:
        rng = self.rng
        fields = tuple(dict.fromkeys(pick(rng, _LEAF_FIELDS) for _ in range(rng.randint(1, 3))))
        place = _place(rng, kind)
        topic = _field_name(fields[0])
        fams = _families_of(fields[0])
        if kind == "university":
            city = "重庆" if place.division.startswith("50") else place.short
            name, brand = self.namer.make(
                lambda b: f"{city}{b}{pick(rng, ('理工大学', '科技大学', '工业大学', '交通大学'))}"
            )
            lab = pick(rng, ("机械与运载工程学院", "电气工程学院", "材料科学与工程学院",
                             "土木工程学院", "自动化学院", "能源与动力工程学院"))
            fam = pick(rng, fams)
            desc = (
                f"{name}{lab}在{topic}方向有长期积累，建有{_topic(fields[0])}省部级重点实验室，"
                f"研究{fam.name}的{pick(rng, fam.features)}等问题。"
            )
            org = Org("", name, (kind,), place, (), fields)
            org.short = name.replace("大学", "大")[len(city):] if rng.random() < 0.5 else ""
            self.emit(org, desc, "12")
            return
        if kind == "military_unit":
            short, mfield = _MILITARY[len(self.eco.by_kind.get(kind, ())) % len(_MILITARY)]
            fields = (mfield, *fields[:1])
            topic = _field_name(mfield)
            fams = _families_of(mfield)
            name, brand = self.namer.make(
                lambda b: pick(rng, (f"{b}{short}研究所", f"国营{b}{short}厂",
                                     f"{b}{short}研究院"))
            )
            desc = (
                f"军工科研生产单位，长期承担武器装备配套任务，{short}方向技术积累深厚，"
                f"积极推进军民融合，相关技术可转化用于{topic}领域，如{pick(rng, fams).name}。"
            )
            self.emit(Org("", name, (kind,), place, (), fields), desc, None)
            return
        word = pick(rng, ("研究院有限公司", "研究所", "技术研究院", "产业技术研究院"))
        name, brand = self.namer.make(lambda b: f"{place.short}{b}{_topic(fields[0])}{word}")
        fam = pick(rng, fams)
        feats = rng.sample(fam.features, 2)
        desc = (
            f"从事{topic}研发和成果转化的科研机构，重点方向为{fam.name}的"
            f"{feats[0]}与{feats[1]}，可提供中试验证和技术服务。"
        )
        org = Org("", name, (kind,), place, (), fields)
        if rng.random() < 0.4:
            org.short = f"{brand}{topic[:2]}{'所' if word == '研究所' else '院'}"
        self.emit(org, desc, "91" if word.endswith("公司") else "12")

    def testing(self) -> None:
        rng = self.rng
        fields = tuple(dict.fromkeys(pick(rng, _LEAF_FIELDS) for _ in range(rng.randint(1, 3))))
        place = _place(rng, "testing_body")
        topic = _field_name(fields[0])
        name, _ = self.namer.make(
            lambda b: pick(rng, (f"{place.short}{b}{_topic(fields[0])}检验检测有限公司",
                                 f"国家{_topic(fields[0])}质量检验检测中心（{place.short}{b}）",
                                 f"{place.short}{b}计量质量检测研究院"))
        )
        desc = (
            f"具备CMA、CNAS资质的第三方检验检测机构，开展{topic}的型式试验、性能检测和"
            f"首台（套）装备第三方评价，与设备制造企业无隶属关系。"
        )
        self.emit(Org("", name, ("testing_body",), place, (), fields), desc, "12")

    def sector_org(self, kind: str, sector_key: str) -> None:
        rng = self.rng
        sector = next(s for s in SECTORS if s.key == sector_key)
        place = _place(rng, kind)
        types = [t for t in PROJECT_TYPES if t.sector == sector_key]
        purpose = pick(rng, types).purpose
        if kind == "user":
            word = pick(rng, sector.user_words)
            if sector_key in {"health", "emergency"}:
                name, brand = self.namer.make(lambda b: f"重庆{b}{word}")
                authority = "12"
            else:
                name, brand = self.namer.make(lambda b: f"重庆{b}{word}{sector.user_suffix}")
                authority = "91"
            desc = f"{word}领域的项目业主单位，负责{purpose}等重点项目的投资、建设和运营。"
            org = Org("", name, ("user",), place, sector=sector_key)
            if rng.random() < 0.5:
                tail = {"health": "医院", "emergency": "应急中心"}.get(sector_key, word[:2])
                org.short = f"{brand}{tail}"
            self.emit(org, desc, authority)
            return
        if kind == "design_institute":
            name, brand = self.namer.make(
                lambda b: f"{place.short}{b}{sector.design_word}设计研究院有限公司"
            )
            desc = (
                f"甲级{sector.design_word}工程设计单位，承担{purpose}等工程的勘察设计、"
                f"工程咨询和EPC总承包。"
            )
            org = Org("", name, ("design_institute",), place, sector=sector_key)
            if rng.random() < 0.5:
                org.short = f"{brand}设计院"
            self.emit(org, desc, "91")
            return
        name, brand = self.namer.make(
            lambda b: f"{place.short}{b}{sector.design_word}系统集成{pick(rng, _COMPANY[:3])}"
        )
        fams = [f for t in types for f in t.families]
        desc = (
            f"{sector.design_word}领域系统集成商，为{purpose}提供成套设备集成、安装调试和运维，"
            f"集成过{family_by_key(pick(rng, fams)).name}等首台（套）装备。"
        )
        org = Org("", name, ("integrator",), place, sector=sector_key)
        self.emit(org, desc, "91")

    def other(self) -> None:
        rng = self.rng
        place = pick(rng, CQ_DISTRICTS, [p.weight for p in CQ_DISTRICTS])
        f = pick(rng, _LEAF_FIELDS)
        topic = _field_name(f)
        choice = rng.randrange(4)
        if choice == 0:
            name, _ = self.namer.make(lambda b: f"重庆市{b}{_topic(f)}行业协会")
            desc = f"{topic}行业社会组织，组织首台（套）装备供需对接和行业标准制定。"
            authority = "51"
        elif choice == 1:
            name, _ = self.namer.make(lambda b: f"重庆{b}知识产权服务有限公司")
            desc = f"专利代理与知识产权运营机构，服务{topic}企业的专利布局和转化。"
            authority = "91"
        elif choice == 2:
            name, _ = self.namer.make(lambda b: f"重庆{b}产业投资基金管理有限公司")
            desc = f"产业投资机构，重点投资{topic}领域的首台（套）装备和科技成果转化项目。"
            authority = "91"
        else:
            name, _ = self.namer.make(lambda b: f"重庆{b}科技企业孵化器有限公司")
            desc = f"科技企业孵化器，组织众创成果路演，孵化{topic}方向初创团队。"
            authority = "91"
        self.emit(Org("", name, ("other",), place, (), (f,)), desc, authority)


def _plan_makers(
    n: int, demanded: Counter[str], rng: random.Random,
) -> list[tuple[Family, str | None]]:
    """(main family, second family or None) for ``n`` manufacturers.

    Main families are apportioned by weight (own weight plus how often projects ask for it);
    then every demanded family gets at least two makers (three if asked for more than once),
    by giving it as second family to makers of a sibling family; a few more makers get a
    random sibling as second family.
    """
    weights = _family_weights()
    fams = list(FAMILIES)
    boost = [weights[f.key] + 3 * demanded[f.key] for f in fams]
    main = [fams[i] for i in apportion(boost, n)]
    second: list[str | None] = [None] * n
    count = Counter(f.key for f in main)
    for fam in fams:
        target = 0 if not demanded[fam.key] else 2 if demanded[fam.key] == 1 else 3
        while count[fam.key] < target:
            free = [j for j in range(n) if second[j] is None and main[j].key != fam.key]
            near = [j for j in free if main[j].field == fam.field] or [
                j for j in free if top_field(main[j].field) == top_field(fam.field)
            ]
            if not (near or free):
                break
            j = pick(rng, near or free)
            second[j] = fam.key
            count[fam.key] += 1
    by_field: dict[str, list[Family]] = defaultdict(list)
    for f in fams:
        by_field[f.field].append(f)
    for j in range(n):
        siblings = [f for f in by_field[main[j].field] if f.key != main[j].key]
        if second[j] is None and siblings and rng.random() < 0.3:
            second[j] = pick(rng, siblings, [weights[f.key] for f in siblings]).key
    return list(zip(main, second, strict=True))


def build_orgs(
    out: RowWriter, scale: float, seed: int, demanded: Counter[str] | None = None,
) -> Ecosystem:
    """Write ``organizations.csv`` rows and return the ecosystem index.

    ``demanded`` counts how often open projects ask for each family (``plan_demands``).
    """
    rng = random.Random(f"{seed}:orgs")
    eco = Ecosystem()
    b = _Builder(eco, out, rng, seed)
    counts = {k: scaled(v, scale) for k, v in KIND_COUNTS.items()}
    b.width = max(4, len(str(sum(counts.values()))))
    for fam, second in _plan_makers(counts["manufacturer"], demanded or Counter(), rng):
        b.manufacturer(fam, second)
    sectors, weights = _sector_weights()
    for kind in ("user", "design_institute", "integrator"):
        for i in apportion(weights, counts[kind]):
            b.sector_org(kind, sectors[i])
    for kind in ("research_institute", "university", "military_unit"):
        for _ in range(counts[kind]):
            b.research(kind)
    for _ in range(counts["testing_body"]):
        b.testing()
    for _ in range(counts["other"]):
        b.other()
    return eco


def _clearance(org: Org, i: int) -> str:
    """The security qualification (保密资质) an organisation holds: every military unit, and one
    in five local manufacturers and institutes (the 民参军 firms), chosen by position so the
    random draws of everything else stay as they were."""
    if "military_unit" in org.kinds:
        return "secret"
    qualified = {"manufacturer", "research_institute", "university", "testing_body"}
    if org.local and qualified & set(org.kinds) and i % 5 == 0:
        return "restricted"
    return ""

