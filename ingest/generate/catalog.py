"""Equipment, patents and technologies: what organisations make, own and know.

Equipment rows are one per manufacturer for its main product family, then its second family;
patents are the real ones first (spread over fields round-robin so that every field gets its
share), then synthetic recombinations; each patent goes to a maker of its family or a research
organisation of its field, and cites earlier patents of its family or field.
"""

from __future__ import annotations

import datetime as dt
import random
from array import array
from collections import defaultdict
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ingest.generate.common import RowWriter, day_after, iso_day, pick, scaled
from ingest.generate.orgs import Ecosystem, top_field
from ingest.generate.patents import RealPatent, load_real_patents, synthetic_patent
from ingest.generate.scenarios import TECHS
from ingest.generate.vocab import family_by_key

__all__ = [
    "EquipmentIndex",
    "patent_count",
    "write_equipment",
    "write_patents",
    "write_technologies",
]

_STATUS = ("developing", "catalogued", "evaluated", "demonstrated", "insured")
_STATUS_W = (20, 30, 15, 20, 15)
_CATALOGUES = {
    "national-2024": "国家首台（套）重大技术装备推广应用指导目录（2024年版）",
    "national-2021": "国家首台（套）重大技术装备推广应用指导目录（2021年版）",
    "chongqing-2023": "重庆市首台（套）重大技术装备推广应用目录（2023年）",
    "chongqing-2024": "重庆市首台（套）重大技术装备推广应用目录（2024年）",
}
_STATUS_TEXT = {
    "developing": "目前处于样机研制阶段。",
    "catalogued": "已列入{catalogue}。",
    "evaluated": "已列入{catalogue}，并通过首台（套）重大技术装备第三方评定。",
    "demonstrated": "已列入{catalogue}，已在重点工程中示范应用。",
    "insured": "已列入{catalogue}，已投保首台（套）重大技术装备综合保险并示范应用。",
}
_LETTERS = "ABCDEFGHJKLMNPRSTWXYZ"


@dataclass
class EquipmentIndex:
    """Demonstrated (or insured) equipment by family: (equipment id, maker index)."""

    demonstrated: dict[str, list[tuple[str, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )


def _slots(eco: Ecosystem, demanded: Collection[str]) -> Iterator[tuple[int, str]]:
    """(maker, family) for each equipment item: every maker's main family, then second
    families (demanded ones first), round after round."""
    makers = eco.by_kind["manufacturer"]
    seconds = [m for m in makers if len(eco.orgs[m].families) > 1]
    seconds.sort(key=lambda m: eco.orgs[m].families[1] not in demanded)
    while True:
        for m in makers:
            yield m, eco.orgs[m].families[0]
        for m in seconds:
            yield m, eco.orgs[m].families[1]


def write_equipment(
    out: RowWriter, eco: Ecosystem, scale: float, seed: int, demanded: Collection[str] = (),
) -> EquipmentIndex:
    rng = random.Random(f"{seed}:equipment")
    index = EquipmentIndex()
    n = scaled(150, scale)
    width = max(4, len(str(n)))
    slots = _slots(eco, set(demanded))
    for k in range(n):
        m, key = next(slots)
        fam = family_by_key(key)
        maker = eco.orgs[m]
        model = pick(rng, _LETTERS) + pick(rng, _LETTERS) + str(rng.randint(100, 9999))
        name = f"{model}型{fam.name}"
        status = rng.choices(_STATUS, _STATUS_W)[0]
        catalogue = "" if status == "developing" else pick(rng, tuple(_CATALOGUES))
        specs = rng.sample(fam.specs, 2)
        feats = rng.sample(fam.features, 2)
        uses = rng.sample(fam.uses, 2)
        desc = (
            f"{maker.name}研制的{fam.name}，{specs[0]}，{specs[1]}，采用{feats[0]}和{feats[1]}，"
            f"适用于{uses[0]}及{uses[1]}。"
            + _STATUS_TEXT[status].format(catalogue=_CATALOGUES.get(catalogue, ""))
        )
        makers = [maker.id]
        partners = eco.research_by_field.get(fam.field, [])
        if partners and rng.random() < 0.08:
            makers.append(eco.orgs[pick(rng, partners)].id)
        eid = f"eq:{k + 1:0{width}d}"
        out.row(eid, name, ";".join(makers), fam.field, desc, catalogue, status)
        if status in ("demonstrated", "insured"):
            index.demonstrated[key].append((eid, m))
    return index


def patent_count(scale: float) -> int:
    """1,000 patents at scale 1; beyond it 3,000 per unit (ten per organisation)."""
    return scaled(1000, min(scale, 1.0)) + max(0, round(3000 * (scale - 1.0)))


def _ordered(pool: list[RealPatent], rng: random.Random) -> list[RealPatent]:
    """Round-robin over fields, patents tied to a product family first within each field."""
    by_field: dict[str, list[RealPatent]] = defaultdict(list)
    for p in pool:
        by_field[p.field].append(p)
    queues = []
    for f in sorted(by_field):
        items = by_field[f]
        rng.shuffle(items)
        items.sort(key=lambda p: p.family is None)
        queues.append(items)
    out: list[RealPatent] = []
    depth = 0
    while len(out) < len(pool):
        out.extend(q[depth] for q in queues if depth < len(q))
        depth += 1
    return out


def _owner(eco: Ecosystem, p: RealPatent, rng: random.Random) -> int:
    makers = eco.makers_by_family.get(p.family or "", [])
    if makers and rng.random() < 0.75:
        return pick(rng, makers)
    for f in (p.field, top_field(p.field)):
        research = eco.research_by_field.get(f, [])
        field_makers = eco.makers_by_field.get(f, [])
        if research and (not field_makers or rng.random() < 0.5):
            return pick(rng, research)
        if field_makers:
            return pick(rng, field_makers)
    return pick(rng, eco.by_kind["manufacturer"])


def _patent_id(i: int, pool: list[RealPatent]) -> str:
    """The id of the ``i``-th patent; synthetic ids follow ``synthetic_patent``."""
    return pool[i].id if i < len(pool) else f"CN9{i:08d}{'U' if i % 3 == 0 else 'A'}"


def _filed(i: int, n_real: int, n: int, rng: random.Random) -> str:
    """Filing dates grow with the index, so that a patent cites older ones: the real patents
    (published 2021-2022) were filed 2019-2021, synthetic ones later."""
    if i < n_real:
        base = dt.date(2019, 7, 1) + dt.timedelta(days=700 * i // n_real)
    else:
        base = dt.date(2021, 7, 1) + dt.timedelta(days=1700 * (i - n_real) // (n - n_real))
    return iso_day(base - dt.timedelta(days=20), base + dt.timedelta(days=20), rng)


def write_patents(
    out: RowWriter, rel: RowWriter, eco: Ecosystem, scale: float, seed: int, source: Path,
) -> None:
    rng = random.Random(f"{seed}:patents")
    pool = _ordered(load_real_patents(source), rng)
    by_field: dict[str, list[RealPatent]] = defaultdict(list)
    for p in pool:
        by_field[p.field].append(p)
    n = patent_count(scale)
    emitted_field: dict[str, array[int]] = defaultdict(lambda: array("l"))
    emitted_family: dict[str, array[int]] = defaultdict(lambda: array("l"))
    n_real = min(n, len(pool))
    for i in range(n):
        if i < len(pool):
            p = pool[i]
        else:
            a = pool[rng.randrange(len(pool))]
            p = synthetic_patent(i, a, pick(rng, by_field[a.field]), rng)
        owners = [eco.orgs[_owner(eco, p, rng)].id]
        unis = eco.universities_by_field.get(p.field, [])
        if unis and rng.random() < 0.1:
            co = eco.orgs[pick(rng, unis)].id
            if co != owners[0]:
                owners.append(co)
        filed = _filed(i, n_real, n, rng)
        kind = p.id[-1]
        granted = ""
        if kind == "U":
            granted = day_after(filed, 150, 300, rng)
        elif kind in ("B", "C"):
            granted = day_after(filed, 400, 700, rng)
        out.row(p.id, p.title, "", p.ipc, ";".join(owners), filed, granted)
        fam_list = emitted_family[p.family] if p.family else None
        field_list = emitted_field[p.field]
        cited: set[int] = set()
        for _ in range(rng.choices((0, 1, 2, 3), (15, 35, 30, 20))[0]):
            source_list = fam_list if fam_list and rng.random() < 0.6 else field_list
            if not source_list:
                break
            j = source_list[rng.randrange(len(source_list))]
            if j not in cited:
                cited.add(j)
                rel.row(p.id, "CITES", _patent_id(j, pool), "", "")
        field_list.append(i)
        if fam_list is not None:
            fam_list.append(i)


# Which military research domain (a word in the unit's name) owns a military technology.
_DOMAINS = (
    ("传动", "动力传动"), ("悬挂", "动力传动"), ("推进电机", "机电"), ("无人机", "机电"),
    ("导航", "精密仪器"), ("CT", "精密仪器"), ("红外", "光电"), ("熔覆", "特种装备"),
    ("装填", "特种装备"), ("雷达", "雷达"),
)
_VARIANTS = ("改进型", "第二代", "轻量化", "低成本", "高可靠", "模块化", "智能化")


def write_technologies(out: RowWriter, eco: Ecosystem, scale: float, seed: int) -> None:
    rng = random.Random(f"{seed}:technologies")
    n = scaled(len(TECHS), scale)
    width = max(3, len(str(n)))
    military = eco.by_kind.get("military_unit", [])
    for k in range(n):
        spec = TECHS[k % len(TECHS)]
        name = spec.name
        if k >= len(TECHS):
            name = f"{spec.name}（{pick(rng, _VARIANTS)}）"
        if spec.origin == "military" and military:
            word = next((d for k, d in _DOMAINS if k in spec.name), "")
            owner = pick(rng, [m for m in military if word in eco.orgs[m].name] or military)
        else:
            owners = (
                eco.research_by_field.get(spec.field)
                or eco.makers_by_field.get(spec.field)
                or eco.by_kind["research_institute"]
            )
            owner = pick(rng, owners)
        trl = rng.randint(*spec.trl)
        out.row(
            f"tech:{k + 1:0{width}d}", name, spec.description, spec.origin, spec.field, trl,
            eco.orgs[owner].id, spec.clearance,
        )
