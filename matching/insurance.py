"""Insurance compensation (保险补偿) for first-set equipment, by the national rule: the annual
premium is compensated at 80 %, with the premium rate counted up to 3 % of the insured value,
for up to 3 years (财建〔2015〕19号; caps are settings: ``FIRSTSET_INSURANCE_MAX_RATE``,
``_SHARE``, ``_MAX_YEARS``).

``compensation = share × min(annual premium, max_rate × insured value) × min(years, max_years)``

It applies when the entry carries a premium, an insured value and a period, and the equipment
was in the catalogue when the insurance began. A rate above the cap, or a period longer than
the cap, does not refuse the compensation: it is counted at the cap, and the condition says so.
Every condition is returned, with the one that fails when it does not apply.

Examples
--------
>>> import datetime as dt
>>> from matching.catalogue import CatalogueEntry
>>> e = CatalogueEntry("ce:1", "eq:1", "盾构机", "national", "national-2024", dt.date(2024, 1, 1),
...                    premium_wan=60.0, insured_value_wan=1500.0,
...                    insured_from=dt.date(2024, 3, 1), insured_to=dt.date(2026, 3, 1))
>>> a = compensation(e, InsuranceRule())
>>> a.eligible, a.compensation_wan   # rate 4 % counted at 3 %: 0.8 × 45 × 2 years
(True, 72.0)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from graph.errors import InvalidRequest, NodeNotFound
from graph.model import Label, Rel
from graph.store import GraphStore
from matching.catalogue import CatalogueEntry, catalogue_entries

__all__ = ["Condition", "InsuranceAnswer", "InsuranceRule", "compensation", "insurance_for"]


@dataclass(frozen=True)
class InsuranceRule:
    max_rate: float = 0.03
    share: float = 0.8
    max_years: int = 3


@dataclass(frozen=True)
class Condition:
    name: str
    ok: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


@dataclass(frozen=True)
class InsuranceAnswer:
    entry: str | None
    equipment: str
    eligible: bool
    compensation_wan: float
    conditions: list[Condition]
    basis: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"entry": self.entry, "equipment": self.equipment, "eligible": self.eligible,
                "compensation_wan": self.compensation_wan,
                "conditions": [c.to_json() for c in self.conditions], "basis": self.basis}


def _years(start: dt.date, end: dt.date) -> float:
    return round((end - start).days / 365.25, 2)


def compensation(entry: CatalogueEntry, rule: InsuranceRule) -> InsuranceAnswer:
    """What the rule allows for one catalogue entry (pure: no store)."""
    conds: list[Condition] = []
    has = (entry.premium_wan is not None and entry.insured_value_wan
           and entry.insured_from and entry.insured_to)
    conds.append(Condition(
        "insured", bool(has),
        "保费、保额和保险期间齐全 / premium, insured value and period given" if has else
        "缺少保费、保额或保险期间 / the entry lacks a premium, an insured value or a period"))
    start = entry.insured_from
    listed = bool(start and entry.active_on(start))
    conds.append(Condition(
        "catalogued", listed,
        (f"投保时（{start}）在目录 {entry.batch} 内 / in catalogue {entry.batch} when insured"
         if listed else
         f"投保时不在目录内（列入 {entry.entered}，移出 {entry.exited or '—'}，投保 {start or '—'}）"
         f" / not in the catalogue when the insurance began")))
    value_cap = 0.0
    years = 0.0
    rate = None
    if has:
        assert entry.premium_wan is not None and entry.insured_value_wan
        assert entry.insured_from and entry.insured_to
        rate = entry.premium_wan / entry.insured_value_wan
        capped = rate > rule.max_rate
        value_cap = min(entry.premium_wan, rule.max_rate * entry.insured_value_wan)
        conds.append(Condition(
            "premium_rate", True,
            f"费率 {rate:.2%}" + (f" 超过上限 {rule.max_rate:.0%}，按 {rule.max_rate:.0%} 计 / "
                                  f"rate {rate:.2%} above {rule.max_rate:.0%}: counted at the cap"
                                  if capped else
                                  f" 不超过 {rule.max_rate:.0%} / within {rule.max_rate:.0%}")))
        years = _years(entry.insured_from, entry.insured_to)
        conds.append(Condition(
            "period", True,
            f"保险期间 {years:g} 年" + (f"，按上限 {rule.max_years} 年计 / {years:g} years: "
                                     f"counted at {rule.max_years}" if years > rule.max_years
                                     else f" / {years:g} years")))
    eligible = all(c.ok for c in conds)
    amount = round(rule.share * value_cap * min(years, rule.max_years), 4) if eligible else 0.0
    basis = {"premium_wan": entry.premium_wan, "insured_value_wan": entry.insured_value_wan,
             "rate": round(rate, 6) if rate is not None else None,
             "counted_premium_wan": round(value_cap, 4), "years": years,
             "counted_years": min(years, rule.max_years), "share": rule.share,
             "max_rate": rule.max_rate, "max_years": rule.max_years}
    return InsuranceAnswer(entry.id, entry.equipment, eligible, amount, conds, basis)


def insurance_for(store: GraphStore, node_id: str, rule: InsuranceRule, *, clearance: str
                  ) -> InsuranceAnswer:
    """The answer for a catalogue entry id, or an equipment id (its latest insured entry, else
    its latest entry). A node the caller may not see is like a missing one."""
    found = store.get_many([node_id])
    if not found:
        raise NodeNotFound(node_id)
    node = found[0]
    if node.label == Label.CATALOGUE_ENTRY:
        listed = [e.target for e in store.edges_of(node_id, rel=Rel.LISTS, direction="out")]
        entries = [e for eq in listed[:1]  # the entry's equipment: its entries only are read
                   for e in catalogue_entries(store, clearance=clearance, equipment=eq)
                   if e.id == node_id]
        if not entries:
            raise NodeNotFound(node_id)
        return compensation(entries[0], rule)
    if node.label != Label.EQUIPMENT:
        raise InvalidRequest(f"{node_id} 不是装备或目录条目 / is a {node.label}, not an "
                             "Equipment or CatalogueEntry", field="id")
    entries = catalogue_entries(store, clearance=clearance, equipment=node_id)
    if not entries:
        from graph.clearance import is_visible

        if not is_visible(node, clearance):
            raise NodeNotFound(node_id)
        return InsuranceAnswer(None, node_id, False, 0.0, [Condition(
            "catalogued", False, "该装备没有目录条目 / the equipment has no catalogue entry")])
    insured = [e for e in entries if e.insured_from]
    pick = max(insured or entries, key=lambda e: (e.insured_from or e.entered, e.id))
    return compensation(pick, rule)
