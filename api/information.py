"""The information service (信息服务, 十九) wired together: saving watches and percolating
every load against them.

- :func:`add_watch` checks a watch (its text / demand / technology as the owner may see it, its
  filters, that it would not alert on nearly everything) and saves it with its query vector.
- :func:`after_load` runs after every load (``firstset ingest``, ``firstset demo``,
  ``POST /api/ingest``): the items that are new or changed since the last load, per clearance
  level of the open watches, are scored against every open watch in one matrix product
  (:mod:`matching.watches`); new matches become alerts (each item alerts a watch once) and their
  webhook rows go to the outbox, which is then delivered (:mod:`api.delivery`).

With no watches file, or no open watch, :func:`after_load` returns at once without loading
the model: a load costs nothing more for people who watch nothing.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from api.auth import KeyStore
from api.delivery import check_webhook, deliver_due, due_at
from api.settings import Settings, get_settings
from api.watch_store import WatchRecord, WatchStore, iso, now_utc
from graph.clearance import LEVELS, check_clearance
from graph.errors import InvalidRequest
from graph.store import GraphStore
from graph.taxonomy import field_ancestors, resolve_field
from matching.watches import (
    DEFAULT_THRESHOLD,
    RATES,
    WATCH_LABELS,
    Percolator,
    WatchQuery,
    watch_query_text,
)

__all__ = [
    "CLI_OWNER",
    "MIN_ITEMS_FOR_SHARE",
    "add_watch",
    "after_load",
    "key_owner",
    "open_watch_store",
    "watches_path",
]

log = logging.getLogger("firstset.watches")

CLI_OWNER = "cli"  # watches saved from the command line (no key): clearance as given there
MIN_ITEMS_FOR_SHARE = 20  # below this many items a share says nothing; no refusal
LABEL_ALIASES = {
    "organization": "Organization", "organisation": "Organization", "org": "Organization",
    "equipment": "Equipment", "patent": "Patent", "technology": "Technology", "pitch": "Pitch",
}


def key_owner(key_id: str | None) -> str:
    """The owner name of watches saved with an API key."""
    return f"key:{key_id}" if key_id else "anonymous"


def watches_path(settings: Settings | None = None) -> Path:
    """The watches file: ``FIRSTSET_WATCHES_FILE``, else beside the keys file."""
    s = settings or get_settings()
    return s.watches_file or (s.keys_file.parent / "firstset-watches.db")


def open_watch_store(settings: Settings | None = None) -> WatchStore:
    return WatchStore(watches_path(settings))


def _field_id(value: str | None) -> str | None:
    if not value:
        return None
    fid = value if value.startswith("field:") else resolve_field(value)
    if fid is None or not field_ancestors(fid):
        raise InvalidRequest(f"未知领域 / unknown field {value!r}", field="field")
    return fid


def _labels(values: Sequence[str] | None) -> tuple[str, ...]:
    if not values:
        return WATCH_LABELS
    out: list[str] = []
    for v in values:
        name = LABEL_ALIASES.get(v.strip().lower(), v.strip())
        if name not in WATCH_LABELS:
            raise InvalidRequest(
                f"不能关注的类别 / cannot watch {v!r}; one of: {', '.join(WATCH_LABELS)}",
                field="labels")
        out.append(name)
    return tuple(dict.fromkeys(out))


def _scope(store: GraphStore, level: str) -> str:
    return f"{store.location}|{level}"


def add_watch(
    db: WatchStore,
    store: GraphStore,
    engine: Any,
    *,
    owner: str,
    clearance: str,
    text: str | None = None,
    demand: str | None = None,
    technology: str | None = None,
    field: str | None = None,
    labels: Sequence[str] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    rate: str = "immediate",
    webhook: str | None = None,
    settings: Settings | None = None,
) -> WatchRecord:
    """Check and save a watch; ``InvalidRequest`` names the field that is wrong. A watch that
    would alert on more than ``settings.watch_max_share`` of what exists now is refused with
    the figure."""
    s = settings or get_settings()
    level = check_clearance(clearance)
    if rate not in RATES:
        raise InvalidRequest(f"rate 须为 {' | '.join(RATES)} / rate must be one of "
                             f"{', '.join(RATES)}", field="rate")
    if not math.isfinite(threshold):
        raise InvalidRequest("threshold 须为有限数 / threshold must be a finite number",
                             field="threshold")
    hook = check_webhook(webhook, allow_private=s.webhook_private_ok) if webhook else None
    query, _, node = watch_query_text(store, text=text, demand=demand,
                                                 technology=technology, clearance=level)
    fid = _field_id(field) if field else None
    wanted = _labels(labels)
    exclude = frozenset({node.id}) if node is not None else frozenset()
    percolator = Percolator(engine)
    wq = WatchQuery("new", query, float(threshold), fid, wanted, exclude)
    hits, total = percolator.share(wq, level)
    if total >= MIN_ITEMS_FOR_SHARE and hits > s.watch_max_share * total:
        raise InvalidRequest(
            f"该关注会对几乎所有条目报警：{hits}/{total} 条（{hits / total:.0%}）达到阈值 "
            f"{threshold:g}；请提高阈值或缩小范围 / this watch would alert on {hits} of {total} "
            f"items ({hits / total:.0%}) at threshold {threshold:g} (the limit is "
            f"{s.watch_max_share:.0%}); raise the threshold or narrow it with field / labels",
            field="threshold")
    vector = percolator.query_vectors([query])[0]
    scope = _scope(store, level)
    if level not in db.open_levels() or db.snapshot(scope) is None:
        # no one watched at this level: what exists now is the baseline, not news
        db.put_snapshot(scope, percolator.keys(level), store.version())
    source = ({"text": query} if text else {"demand": demand} if demand
              else {"technology": technology})
    return db.add_watch(
        owner=owner, clearance=level, source=source, query=query,
        field=fid, labels=wanted,
        threshold=float(threshold), rate=rate, webhook=hook, model=str(engine.embedder.name),
        vector=np.asarray(vector, np.float32), exclude=sorted(exclude),
    )


def _level_now(watch: WatchRecord, keys: dict[str, str]) -> str | None:
    """The clearance a watch percolates at now: its key's current clearance (``keys``: owner →
    clearance; a revoked key's watches are skipped), never above what it was saved with."""
    if not watch.owner.startswith("key:"):
        return watch.clearance
    held = keys.get(watch.owner)
    if held is None:
        return None
    return min(held, watch.clearance, key=LEVELS.index)


def after_load(
    store: GraphStore,
    report: Any = None,
    *,
    engine: Any = None,
    settings: Settings | None = None,
    deliver: bool = True,
) -> dict[str, Any] | None:
    """Percolate what a load brought against every open watch; None when nobody watches.

    Never raises: the load is already committed, so a failure here is logged and returned as
    ``{"error": ...}`` (the next load scores what this one missed: the snapshot only moves
    after the alerts are written)."""
    if report is not None and getattr(report, "dry_run", False):
        return None
    s = settings or get_settings()
    path = watches_path(s)
    if not path.exists():
        return None
    try:
        return _percolate(store, report, engine, s, path, deliver)
    except Exception as exc:  # the load stands; say what failed
        log.exception("percolating the load failed")
        return {"error": f"{type(exc).__name__}: {exc}"}


def _percolate(store: GraphStore, report: Any, engine: Any, s: Settings, path: Path,
               deliver: bool) -> dict[str, Any] | None:
    db = WatchStore(path)
    try:
        watches = db.watches()
        if not watches:
            return None
        written = getattr(report, "written", None)
        if written is not None and not written.changed:
            return {"load": None, "changed": 0, "alerts": 0}
        if engine is not None and not hasattr(engine, "profiles") and callable(engine):
            engine = engine()  # a factory: the engine is built only when someone watches
        if engine is None:
            from api.services import default_engine

            engine = default_engine(store)
        keys = ({key_owner(r.id): r.clearance for r in
                 KeyStore(s.keys_file, secret=s.secret_key).list()}
                if s.keys_file.exists() else {})
        by_level: dict[str, list[WatchRecord]] = defaultdict(list)
        for w in watches:
            level = _level_now(w, keys)
            if level is not None:
                by_level[level].append(w)
        percolator = Percolator(engine)
        load = db.new_load(store.location, store.version())
        rows: list[dict[str, Any]] = []
        snapshots: list[tuple[str, dict[str, str], dict[str, str] | None]] = []
        changed_total = 0
        model = str(engine.embedder.name)
        moment = now_utc()
        for level, group in sorted(by_level.items()):
            scope = _scope(store, level)
            recorded = db.snapshot(scope)
            now_keys = percolator.keys(level)
            if recorded is None:  # a level no one watched at before: a baseline, not news
                snapshots.append((scope, now_keys, None))
                continue
            before = recorded
            changed = [i for i, k in now_keys.items() if before.get(i) != k]
            changed_total += len(changed)
            snapshots.append((scope, now_keys, before))
            if not changed:
                continue
            vectors = []
            for w in group:
                if w.model != model or w.vector is None or w.vector.shape[0] != engine.embedder.dim:
                    vec = percolator.query_vectors([w.query])[0]
                    db.set_vector(w.id, model, vec)
                    vectors.append(vec)
                else:
                    vectors.append(w.vector)
            queries = [WatchQuery(w.id, w.query, w.threshold, w.field, w.labels,
                                  frozenset(w.exclude)) for w in group]
            by_id = {w.id: w for w in group}
            for m in percolator.score(queries, level, only=changed,
                                      vectors=np.stack(vectors).astype(np.float32)):
                w = by_id[m.watch]
                rows.append({
                    "watch": w.id, "owner": w.owner, "item": m.item.id, "label": m.item.label,
                    "name": m.item.name, "score": m.score, "parts": dict(m.parts),
                    "evidence": m.evidence, "webhook": w.webhook,
                    "next_at": iso(due_at(w.rate, moment)) if w.webhook else None,
                })
        made = db.record_alerts(load, rows)
        for scope, now_keys, held in snapshots:  # only after the alerts are safe
            db.put_snapshot(scope, now_keys, store.version(), before=held)
        db.finish_load(load, changed=changed_total, alerts=len(made))
        out: dict[str, Any] = {"load": load, "changed": changed_total, "alerts": len(made)}
        if deliver and any(r["webhook"] for r in rows):
            out["delivery"] = deliver_due(db).to_json()
        return out
    finally:
        db.close()
