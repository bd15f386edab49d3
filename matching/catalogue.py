"""A catalogue that changes (目录 "发布并动态调整", 五): entries with their list, batch, entry date
and, when removed, exit date and reason.

"In the catalogue" always means *on a date* (default today): an entry counts from its
``entered`` date until the day before its ``exited`` date. :func:`catalogue_diff` compares two
batches by equipment: what entered (listed in B, not in A) and what left (listed in A, not in
B, with A's exit date and reason when it has them).

Entries come from the ``catalogue`` interchange kind (``CatalogueEntry -[LISTS]-> Equipment``).
Clearance: an entry is visible when it and its equipment are (:func:`graph.clearance.is_visible`);
what the caller may not see is absent, from lists, diffs and counts alike.

Examples
--------
>>> import datetime as dt
>>> e = CatalogueEntry("ce:1", "eq:1", "盾构机", "national", "national-2024",
...                    dt.date(2024, 3, 1), dt.date(2025, 3, 1), "技术迭代")
>>> e.active_on(dt.date(2024, 12, 31)), e.active_on(dt.date(2025, 3, 1))
(True, False)
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from graph.clearance import is_visible
from graph.errors import InvalidRequest
from graph.model import Label, Rel
from graph.store import GraphStore

__all__ = [
    "CatalogueEntry",
    "batches",
    "catalogue_day",
    "catalogue_diff",
    "catalogue_entries",
    "catalogued_on",
    "catalogued_orgs",
    "in_catalogue_on",
    "parse_day",
]


def parse_day(value: Any, *, field: str = "on") -> dt.date | None:
    """A date from ISO text (or a date); ``InvalidRequest`` naming ``field`` when it is not one."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise InvalidRequest(f"不是 ISO 日期 / not an ISO date: {value!r} (e.g. 2026-12-01)",
                             field=field) from None


@dataclass(frozen=True)
class CatalogueEntry:
    """One listing of an equipment in a catalogue batch."""

    id: str
    equipment: str
    name: str
    list: str
    batch: str
    entered: dt.date
    exited: dt.date | None = None
    exit_reason: str | None = None
    premium_wan: float | None = None
    insured_value_wan: float | None = None
    insured_from: dt.date | None = None
    insured_to: dt.date | None = None

    def active_on(self, day: dt.date) -> bool:
        """In the catalogue on ``day``: entered on or before it, not yet exited."""
        return self.entered <= day and (self.exited is None or day < self.exited)

    def insured_on(self, day: dt.date) -> bool:
        return bool(self.insured_from and self.insured_to
                    and self.insured_from <= day <= self.insured_to)

    def to_json(self) -> dict[str, Any]:
        def d(x: dt.date | None) -> str | None:
            return x.isoformat() if x else None

        return {
            "id": self.id, "equipment": self.equipment, "name": self.name, "list": self.list,
            "batch": self.batch, "entered": d(self.entered), "exited": d(self.exited),
            "exit_reason": self.exit_reason, "premium_wan": self.premium_wan,
            "insured_value_wan": self.insured_value_wan, "insured_from": d(self.insured_from),
            "insured_to": d(self.insured_to),
        }


def _float(value: Any) -> float | None:
    return None if value is None or value == "" else float(value)


def catalogue_entries(
    store: GraphStore, *, clearance: str, equipment: str | None = None,
    batch: str | None = None,
) -> list[CatalogueEntry]:
    """Entries visible at ``clearance``, ordered by equipment, entry date and id."""
    listed: dict[str, str] = {}
    if equipment is not None:
        if not store.has(equipment):
            return []
        for e in store.edges_of(equipment, rel=Rel.LISTS, direction="in"):
            listed[e.source] = e.target
    else:
        listed = {e.source: e.target for e in store.edges(Rel.LISTS)}
    nodes = {n.id: n for n in store.get_many(sorted(listed))}
    equip = {n.id: n for n in store.get_many(sorted(set(listed.values())))}
    out: list[CatalogueEntry] = []
    for entry_id, eq_id in listed.items():
        node, eq = nodes.get(entry_id), equip.get(eq_id)
        if node is None or eq is None or node.label != Label.CATALOGUE_ENTRY:
            continue
        if not (is_visible(node, clearance) and is_visible(eq, clearance)):
            continue
        if batch is not None and node.get("batch") != batch:
            continue
        entered = parse_day(node.get("entered"), field="entered")
        if entered is None:
            continue
        out.append(CatalogueEntry(
            id=node.id, equipment=eq_id, name=eq.title, list=str(node.get("list") or ""),
            batch=str(node.get("batch") or ""), entered=entered,
            exited=parse_day(node.get("exited"), field="exited"),
            exit_reason=node.get("exit_reason"), premium_wan=_float(node.get("premium_wan")),
            insured_value_wan=_float(node.get("insured_value_wan")),
            insured_from=parse_day(node.get("insured_from"), field="insured_from"),
            insured_to=parse_day(node.get("insured_to"), field="insured_to"),
        ))
    out.sort(key=lambda e: (e.equipment, e.entered, e.id))
    return out


def in_catalogue_on(
    store: GraphStore, day: dt.date | None = None, *, clearance: str
) -> dict[str, list[CatalogueEntry]]:
    """Equipment id → its entries in force on ``day`` (default today)."""
    when = day or dt.date.today()
    out: dict[str, list[CatalogueEntry]] = defaultdict(list)
    for e in catalogue_entries(store, clearance=clearance):
        if e.active_on(when):
            out[e.equipment].append(e)
    return dict(out)


def catalogued_orgs(
    store: GraphStore, day: dt.date | None = None, *, clearance: str
) -> set[str]:
    """Makers of equipment in the catalogue on ``day``: the mask behind ``--catalogued`` on a
    date (a helper for the engine's filters; it adds nothing to a score)."""
    active = in_catalogue_on(store, day, clearance=clearance)
    return {e.source for e in store.edges(Rel.MAKES) if e.target in active}


def batches(store: GraphStore, *, clearance: str) -> list[str]:
    return sorted({e.batch for e in catalogue_entries(store, clearance=clearance)})


def catalogue_diff(store: GraphStore, a: str, b: str, *, clearance: str) -> dict[str, Any]:
    """What entered and left between batch ``a`` and batch ``b`` (by equipment)."""
    known = batches(store, clearance=clearance)
    for name, fname in ((a, "a"), (b, "b")):
        if name not in known:
            raise InvalidRequest(
                f"没有目录批次 / no catalogue batch {name!r}; known: {', '.join(known) or '—'}",
                field=fname)
    in_a = _by_equipment(catalogue_entries(store, clearance=clearance, batch=a))
    in_b = _by_equipment(catalogue_entries(store, clearance=clearance, batch=b))
    return {
        "a": a, "b": b,
        "entered": [in_b[k].to_json() for k in sorted(set(in_b) - set(in_a))],
        "left": [in_a[k].to_json() for k in sorted(set(in_a) - set(in_b))],
        "kept": len(set(in_a) & set(in_b)),
    }


def _by_equipment(entries: Iterable[CatalogueEntry]) -> dict[str, CatalogueEntry]:
    out: dict[str, CatalogueEntry] = {}
    for e in entries:
        out.setdefault(e.equipment, e)
    return out


def catalogue_day(on: str | None) -> dt.date:
    """The day a ``--catalogued`` filter asks about: ``on`` (ISO date), else today.
    ``InvalidRequest`` naming ``on`` for a date that does not parse."""
    day = parse_day(on, field="on") if on else None
    return day or dt.date.today()


def catalogued_on(store: GraphStore, orgs: Iterable[Any], day: dt.date, *,
                  clearance: str) -> set[str]:
    """Organisations with equipment in the catalogue on ``day``: an equipment with catalogue
    entries counts when one of them is in force that day; one without any entry counts by its
    own catalogue mark or status (``orgs``: the engine's OrgInfo rows, their
    ``catalogue_items``)."""
    entries = catalogue_entries(store, clearance=clearance)
    with_history = {e.equipment for e in entries}
    active = {e.equipment for e in entries if e.active_on(day)}
    out = {e.source for e in store.edges(Rel.MAKES) if e.target in active}
    for o in orgs:
        if any(eq not in with_history for eq in o.catalogue_items):
            out.add(o.id)
    return out
