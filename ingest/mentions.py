"""Resolve organisation mentions (a product list's makers, a directory's rows, a patent's
applicants) against the organisations already known: the store's and this load's.

Steps, first that decides: the credit code; the normalised name or an alias (``name_key``);
a short name inside exactly one known name (耐德新明和 ⊂ 重庆耐德新明和工业有限公司), or a known
short name inside the mention. Several candidates, or only a near spelling (rapidfuzz), is *not*
a decision: the mention becomes an organisation of its own and is listed for review with the
candidates and their scores. Mentions that are not known are grouped among themselves the same
way (same code or name key; a short name inside exactly one other mention's full name).

The result does not depend on the order of the mentions.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process

from ingest.lists import Mention
from ingest.names import name_key

__all__ = [
    "Known",
    "KnownIndex",
    "MentionResolution",
    "is_full_name",
    "new_org_id",
    "resolve_mentions",
    "review_entry",
]

_MIN_SHORT = 4  # characters of a name key, below which containment proves nothing
_REVIEW_SCORE = 85.0  # WRatio of a near spelling worth a look
_BLOCK = 400  # names compared by spelling with one registered name, at most
_FULL_ENDINGS = re.compile(
    r"(公司|集团|厂|研究院|研究所|研究中心|设计院|大学|学院|学校|医院|中心|局|院|所|站|"
    r"委员会|协会|学会|联盟|合作社|银行|部|队|ltd\.?|limited|inc\.?|corp\.?|corporation|"
    r"gmbh|co\.?|company|university|institute|college|academy|s\.?a\.?|ag|llc|plc)$"
)


def is_full_name(name: str) -> bool:
    """True when a name ends like a registered name (有限公司, 研究院, 大学 …); a short name
    (耐德新明和, 长安汽车) does not.

    >>> is_full_name("重庆耐德新明和工业有限公司"), is_full_name("耐德新明和")
    (True, False)
    """
    text = unicodedata.normalize("NFKC", name).casefold().strip()
    text = re.sub(r"[\s()（）]+$", "", text)
    return bool(_FULL_ENDINGS.search(text))


@dataclass(frozen=True)
class Known:
    """An organisation a mention may be: stored, or written by this load."""

    id: str
    name: str
    uscc: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass
class MentionResolution:
    """Where every provisional id goes, the groups that are new organisations, and what to
    review."""

    target: dict[str, str] = field(default_factory=dict)  # provisional id → organisation id
    known: dict[str, list[tuple[str, Mention]]] = field(default_factory=dict)  # known id → …
    new: dict[str, list[tuple[str, Mention]]] = field(default_factory=dict)  # new id → …
    review: list[dict[str, Any]] = field(default_factory=list)
    resolved: list[dict[str, Any]] = field(default_factory=list)  # how each group was found


class _Union:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


class _Substrings:
    """Which of many keys contain a given key, by the rarest character pair of the key."""

    def __init__(self, keys: Sequence[str]) -> None:
        self.keys = keys
        self.pairs: dict[str, list[int]] = defaultdict(list)
        for i, key in enumerate(keys):
            for pair in {key[j : j + 2] for j in range(len(key) - 1)}:
                self.pairs[pair].append(i)

    def containing(self, key: str) -> list[int]:
        pairs = [key[j : j + 2] for j in range(len(key) - 1)]
        if not pairs:
            return []
        rarest = min(pairs, key=lambda p: len(self.pairs.get(p, ())))
        return [
            i for i in self.pairs.get(rarest, ()) if key in self.keys[i] and key != self.keys[i]
        ]


def new_org_id(mentions: list[tuple[str, Mention]]) -> str:
    """The id of a new organisation: ``org:`` and its credit code, else the provisional id."""
    codes = sorted({m[2] for _, m in mentions if m[2]})
    if codes:
        return f"org:{codes[0]}"
    return min(m[0] for _, m in mentions)


def review_entry(
    group: list[tuple[str, Mention]], candidates: list[dict[str, Any]], reason: str
) -> dict[str, Any]:
    """The review item of a group of mentions left unresolved: its first mention's name and
    place, the candidates and why."""
    file, m = group[0]
    return {
        "name": m[1],
        "file": file,
        "line": m[6],
        "col": m[7],
        "candidates": candidates,
        "reason": reason,
    }


def _candidates(ids: Iterable[str], by_id: dict[str, Known], key: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {
            "id": i,
            "name": by_id[i].name,
            "score": round(fuzz.WRatio(key, name_key(by_id[i].name)), 1),
        }
        for i in sorted(set(ids))
    ]
    return sorted(out, key=lambda c: (-c["score"], c["id"]))[:5]


def _block(key: str) -> str:
    """Near spellings are looked for among names of the same block: the two characters after
    a leading 重庆/重庆市 (nearly every name here starts so)."""
    for prefix in ("重庆市", "重庆"):
        if key.startswith(prefix) and len(key) > len(prefix) + 1:
            return key[len(prefix) : len(prefix) + 2]
    return key[:2]


class KnownIndex:
    """The known organisations by credit code, name key, short name and spelling block."""

    def __init__(self, known: Sequence[Known]) -> None:
        self.by_id = {k.id: k for k in known}
        self.key_ids: dict[str, set[str]] = defaultdict(set)
        self.short_keys: dict[str, set[str]] = defaultdict(set)  # short names and aliases
        self.code_id: dict[str, str] = {}
        for k in known:
            for i, text in enumerate((k.name, *k.aliases)):
                key = name_key(text)
                if key:
                    self.key_ids[key].add(k.id)
                    if (i > 0 or not is_full_name(text)) and len(key) >= _MIN_SHORT:
                        self.short_keys[key].add(k.id)
            if k.uscc:
                self.code_id.setdefault(k.uscc, k.id)
        self.keys = sorted(self.key_ids)
        self.substrings = _Substrings(self.keys)
        self.blocks: dict[str, list[str]] = defaultdict(list)
        for key in self.keys:
            self.blocks[_block(key)].append(key)

    def resolve(
        self, group: list[tuple[str, Mention]]
    ) -> tuple[str | None, str, float, list[dict[str, Any]]]:
        """(known id or None, how, score, candidates for review)."""
        for _, m in group:
            if m[2] and m[2] in self.code_id:
                return self.code_id[m[2]], "uscc", 100.0, []
        if not self.key_ids:
            return None, "", 0.0, []
        codes = {m[2] for _, m in group if m[2]}
        by_id = self.by_id

        def fits(ids: Iterable[str]) -> set[str]:  # another credit code: another organisation
            return {i for i in ids if not codes or not by_id[i].uscc or by_id[i].uscc in codes}

        names = sorted({m[1] for _, m in group})
        first = name_key(names[0])
        for name in names:
            ids = fits(self.key_ids.get(name_key(name), ()))
            if len(ids) == 1:
                (only,) = ids
                how = "name" if name_key(by_id[only].name) == name_key(name) else "alias"
                return only, how, 100.0, []
            if ids:
                reason = "同名的多个组织 / several organisations have this name"
                return None, reason, 0.0, _candidates(ids, by_id, name_key(name))
        found: set[str] = set()
        for name in names:
            key = name_key(name)
            if len(key) < _MIN_SHORT:
                continue
            if not is_full_name(name):
                for j in self.substrings.containing(key):
                    found |= fits(self.key_ids[self.keys[j]])
            if self.short_keys:
                for a in range(len(key)):
                    for b in range(a + _MIN_SHORT, len(key) + 1):
                        if (sub := key[a:b]) != key and sub in self.short_keys:
                            found |= fits(self.short_keys[sub])
        if len(found) == 1:
            return next(iter(found)), "short_name", _candidates(found, by_id, first)[0]["score"], []
        if found:
            reason = "简称对应多个组织 / the short name fits several organisations"
            return None, reason, 0.0, _candidates(found, by_id, first)
        near: set[str] = set()
        for name in names:
            key = name_key(name)
            if len(key) < _MIN_SHORT:
                continue
            if is_full_name(name):  # a registered name: only a near-identical spelling
                pool, scorer, cutoff = self.blocks.get(_block(key), [])[:_BLOCK], fuzz.ratio, 92.0
            else:
                pool, scorer, cutoff = self.keys, fuzz.WRatio, _REVIEW_SCORE
            for hit, _, _ in process.extract(
                key, pool, scorer=scorer, limit=3, score_cutoff=cutoff
            ):
                near |= fits(self.key_ids[hit])
        if near:
            reason = "名称相近，未合并 / a near spelling, not merged"
            return None, reason, 0.0, _candidates(near, by_id, first)
        return None, "", 0.0, []


def resolve_mentions(
    mentions: Sequence[tuple[str, Mention]], known: Sequence[Known]
) -> MentionResolution:
    """Resolve ``(file, mention)`` pairs against ``known`` organisations (see the module).

    Notes: one pass over the mentions with dictionary probes; containment through an index of
    character pairs; near spellings with rapidfuzz inside a block of at most ``_BLOCK`` names.
    """
    out = MentionResolution()
    if not mentions:
        return out
    index = KnownIndex(known)
    # group the mentions: same provisional id (name key) or same credit code
    order = sorted(
        range(len(mentions)), key=lambda i: (mentions[i][1][0], mentions[i][0], mentions[i][1][6])
    )
    uf = _Union()
    first_of: dict[str, int] = {}
    for i in order:
        m = mentions[i][1]
        uf.find(i)
        for token in (m[0], f"uscc:{m[2]}" if m[2] else ""):
            if token:
                if token in first_of:
                    uf.union(first_of[token], i)
                else:
                    first_of[token] = i
    groups: dict[int, list[int]] = defaultdict(list)
    for i in order:
        groups[uf.find(i)].append(i)

    pending: list[list[tuple[str, Mention]]] = []
    for members in sorted(groups.values(), key=lambda g: mentions[g[0]][1][0]):
        group = [mentions[i] for i in members]
        target, how, score, candidates = index.resolve(group)
        if target is not None:
            out.known.setdefault(target, []).extend(group)
            for _, m in group:
                out.target[m[0]] = target
            out.resolved.append(
                {
                    "name": group[0][1][1],
                    "id": target,
                    "how": how,
                    "score": score,
                    "rows": len(group),
                }
            )
            continue
        if candidates:
            out.review.append(review_entry(group, candidates, how))
        pending.append(group)
    _group_new(pending, out)
    return out


def _group_new(pending: list[list[tuple[str, Mention]]], out: MentionResolution) -> None:
    """Mentions that are no known organisation: a short name inside exactly one other group's
    full name joins it; the rest are organisations of their own."""
    full_keys: list[str] = []
    owner: list[int] = []
    short: list[int] = []
    for g, group in enumerate(pending):
        names = {m[1] for _, m in group}
        full = sorted(n for n in names if is_full_name(n))
        full_keys += map(name_key, full)
        owner += [g] * len(full)
        if not full and len(name_key(group[0][1][1])) >= _MIN_SHORT:
            short.append(g)
    index = _Substrings(full_keys if short else [])
    joined: dict[int, int] = {}
    for g in short:
        group = pending[g]
        key = name_key(group[0][1][1])
        hosts = sorted({owner[j] for j in index.containing(key)} - {g})
        if len(hosts) == 1:
            joined[g] = hosts[0]
        elif hosts:
            candidates = [
                {
                    "id": new_org_id(pending[h]),
                    "name": pending[h][0][1][1],
                    "score": round(fuzz.WRatio(key, name_key(pending[h][0][1][1])), 1),
                }
                for h in hosts[:5]
            ]
            reason = "简称对应多个新组织 / the short name fits several new organisations"
            out.review.append(review_entry(group, candidates, reason))
    merged: dict[int, list[tuple[str, Mention]]] = {}
    for g, group in enumerate(pending):
        merged.setdefault(joined.get(g, g), []).extend(group)
    hosts_of_short = set(joined.values())
    for g, group in merged.items():
        new = new_org_id(pending[g])  # a host keeps its own id whether short names join or not
        out.new.setdefault(new, []).extend(group)
        for _, m in group:
            out.target[m[0]] = new
        if g in hosts_of_short:
            out.resolved.append(
                {
                    "name": pending[g][0][1][1],
                    "id": new,
                    "how": "short_name",
                    "score": 100.0,
                    "rows": len(group),
                }
            )
