"""Recognise what a file or sheet is and map its header to the columns firstset reads.

A table is either an interchange kind (``organizations`` … ``relations``, recognised by its file
or sheet name or by its columns) or one of the lists people really have:

- ``product_list`` — a first-set product list (首台（套）重大技术装备产品名单): 企业名称, 产品名称,
  规格型号, 所属领域/类别, 区县 …; each row is a maker and its product;
- ``directory`` — an enterprise directory (企业名录) with 统一社会信用代码;
- ``patent_export`` — a patent search export: 申请号, 发明名称, 摘要, 申请（专利权）人, IPC …

The header row is found among the first rows (title rows above it are kept as the table's
title); header names are compared after NFKC, case folding and dropping spaces, ``*`` and
colons, so ``企业名称（全称）*`` and ``企业名称`` are one. This runs once per file or sheet, never
per row.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping as MappingType
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ingest.rows import ROW_MODELS

__all__ = [
    "HEADER_SCAN",
    "LIST_KINDS",
    "TARGETS",
    "TableMap",
    "find_header",
    "header_key",
    "recognise",
]

LIST_KINDS = ("product_list", "directory", "patent_export")
HEADER_SCAN = 20  # rows searched for the header
IGNORE = "-"  # ``--map 列=-``: drop the column

# The interchange columns of each kind: the row models' fields, in their order.
_INTERCHANGE_COLUMNS: dict[str, tuple[str, ...]] = {
    **{kind: tuple(model.model_fields) for kind, model in ROW_MODELS.items()},
    "relations": ("source", "type", "target", "role", "weight"),
}
_INTERCHANGE_REQUIRED: dict[str, tuple[str, ...]] = {
    "organizations": ("id", "name", "kinds"),
    "equipment": ("id", "name", "maker_ids"),
    "patents": ("id", "title", "owner_ids"),
    "technologies": ("id", "name", "origin"),
    "alliances": ("id", "name", "member_ids"),
    "projects": ("id", "name", "owner_id"),
    "demands": ("id", "project_id", "text"),
    "pitches": ("id", "title", "org_id"),
    "evaluations": ("id", "equipment_id", "body_id", "project_id", "date", "verdict", "report_ref"),
    "catalogue": ("id", "equipment_id", "list", "batch", "entered"),
    "relations": ("source", "type", "target"),
}

# Header spellings by kind: target column → the names lists use for it (compared by key).
_SEQ = ("序号", "序", "编号", "no", "no.", "number", "#")
_USCC = (
    "统一社会信用代码/注册号",
    "统一社会信用代码(注册号)",
    "unifiedsocialcreditcode",
    "统一社会信用代码",
    "信用代码",
    "社会信用代码",
    "uscc",
    "creditcode",
)
_SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "product_list": {
        "seq": _SEQ,
        "maker": (
            "企业名称(盖章)",
            "申报单位(盖章)",
            "companyname",
            "enterprisename",
            "manufacturername",
            "企业名称",
            "企业",
            "申报企业",
            "申报单位",
            "申报单位名称",
            "申报企业名称",
            "生产企业",
            "生产单位",
            "生产厂家",
            "制造企业",
            "制造商",
            "研制单位",
            "研制企业",
            "单位名称",
            "公司名称",
            "企业全称",
            "牵头单位",
            "承担单位",
            "company",
            "manufacturer",
            "maker",
            "enterprise",
        ),
        "name": (
            "产品名称",
            "装备名称",
            "设备名称",
            "产品",
            "首台(套)产品名称",
            "首台(套)装备名称",
            "首台套产品名称",
            "首台(套)重大技术装备名称",
            "装备产品名称",
            "product",
            "productname",
            "equipment",
            "equipmentname",
        ),
        "model": (
            "规格型号",
            "型号",
            "规格",
            "型号规格",
            "产品型号",
            "产品规格型号",
            "规格及型号",
            "model",
            "specification",
            "spec",
        ),
        "field": (
            "所属领域",
            "领域",
            "类别",
            "产品类别",
            "装备类别",
            "所属类别",
            "行业",
            "所属行业",
            "产业领域",
            "技术领域",
            "分类",
            "装备领域",
            "产品领域",
            "所属产业",
            "category",
            "field",
            "sector",
        ),
        "region": (
            "所在区县(开发区)",
            "区县(园区)",
            "推荐区县",
            "区县",
            "所在区县",
            "所属区县",
            "区域",
            "地区",
            "所在地",
            "区(县)",
            "区县(自治县)",
            "所在区(县)",
            "所属区(县)",
            "属地",
            "所在地区",
            "region",
            "district",
        ),
        "uscc": _USCC,
        "catalogue": ("名单", "目录", "名单名称", "目录名称", "所属名单", "catalogue", "list"),
        "batch": ("批次", "认定批次", "batch"),
        "year": ("年度", "年份", "认定年度", "认定年份", "year"),
        "description": (
            "产品简介",
            "简介",
            "主要技术指标",
            "技术指标",
            "产品描述",
            "描述",
            "主要性能指标",
            "产品说明",
            "主要技术参数",
            "description",
        ),
        "status": ("状态", "status"),
        "note": ("备注", "说明", "remark", "remarks", "note", "notes"),
    },
    "directory": {
        "seq": _SEQ,
        "name": (
            "companyname",
            "enterprisename",
            "organizationname",
            "organisationname",
            "企业名称",
            "单位名称",
            "名称",
            "企业",
            "公司名称",
            "机构名称",
            "企业全称",
            "单位",
            "name",
            "company",
            "organization",
            "organisation",
        ),
        "uscc": _USCC,
        "region": (
            "区县",
            "所在区县",
            "所属区县",
            "所在地区",
            "地区",
            "区域",
            "区(县)",
            "所在区(县)",
            "属地",
            "region",
            "district",
        ),
        "kinds": ("单位类型", "机构类型", "单位性质", "机构类别", "kinds", "kind", "type"),
        "aliases": ("简称", "企业简称", "单位简称", "曾用名", "别名", "aliases", "alias"),
        "description": ("简介", "企业简介", "主营业务", "主要产品", "经营范围", "description"),
        "note": ("备注", "remark", "remarks", "note"),
    },
    "patent_export": {
        "seq": _SEQ,
        "app_no": (
            "申请号",
            "专利申请号",
            "申请号/专利号",
            "专利号",
            "applicationnumber",
            "applicationno",
            "appno",
        ),
        "title": ("发明名称", "专利名称", "名称", "标题", "发明创造名称", "title"),
        "abstract": ("摘要", "摘要文本", "abstract"),
        "applicants": (
            "申请人名称",
            "专利申请人",
            "申请(专利权)人名称",
            "申请(专利权)人",
            "申请人",
            "专利权人",
            "申请人/专利权人",
            "当前权利人",
            "权利人",
            "当前申请(专利权)人",
            "原始申请(专利权)人",
            "applicant",
            "applicants",
            "assignee",
            "assignees",
        ),
        "ipc_main": (
            "ipc主分类号(主)",
            "mainipcclassification",
            "ipcmain",
            "ipc主分类号",
            "主分类号",
            "主ipc",
            "ipc主分类",
            "mainipc",
        ),
        "ipc": ("ipc分类号", "ipc", "分类号", "ipc分类", "ipcs"),
        "filed": ("申请日", "申请日期", "applicationdate", "filingdate", "filed"),
        "published": ("公开(公告)日", "公开日", "公告日", "公开日期", "publicationdate"),
        "pub_no": (
            "公开(公告)号码",
            "公告号码",
            "公开号码",
            "公开(公告)号",
            "公开号",
            "公告号",
            "publicationnumber",
            "publicationno",
        ),
        "granted": ("授权公告日", "授权日", "授权日期", "grantdate", "granted"),
        "legal_status": ("法律状态", "当前法律状态", "法律状态/事件", "legalstatus"),
        "inventors": ("发明人", "设计人", "发明(设计)人", "inventor", "inventors"),
        "patent_type": ("专利类型", "类型", "patenttype"),
        "region": ("申请人所在省市", "申请人所在地", "省市", "地区", "region"),
    },
}
# Interchange headers in other spellings: only what cannot be a list column too.
_INTERCHANGE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "id": ("编号", "id", "标识"),
    "name": ("名称",),
    "title": ("标题",),
    "source": ("起点", "源"),
    "target": ("终点", "目标"),
    "type": ("关系类型",),
    "kinds": ("类型", "机构类型"),
    "uscc": ("统一社会信用代码", "信用代码"),
    "region": ("区县", "地区"),
    "description": ("简介", "描述", "说明"),
    "aliases": ("别名", "简称"),
    "maker_ids": ("制造商编号", "企业编号"),
    "owner_ids": ("权利人编号",),
    "owner_id": ("业主编号", "所有者编号"),
    "field": ("领域", "所属领域"),
    "catalogue": ("目录",),
    "status": ("状态",),
}
# What each list kind needs (any one of each tuple).
_LIST_REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "product_list": (("maker",), ("name",)),
    "directory": (("name",),),
    "patent_export": (("title",), ("applicants",), ("app_no", "pub_no")),
}
TARGETS: dict[str, tuple[str, ...]] = {
    **{k: tuple(v) for k, v in _SYNONYMS.items()},
    **_INTERCHANGE_COLUMNS,
}
_NAME_HINTS = (
    ("patent_export", ("专利", "patent")),
    ("product_list", ("名单", "目录", "首台", "产品", "装备", "product")),
    ("directory", ("名录", "企业", "单位", "directory", "companies")),
)
_DROP = re.compile(r"[\s*＊:：]+")
_NOTE = re.compile(r"\([^()]*\)$|^\[[^\]]*\]")  # 企业名称(全称), 标题(中文), [标]申请人


def header_key(text: Any) -> str:
    """The comparison key of a header cell: NFKC, case, no spaces, ``*`` or colons.

    >>> header_key("企业名称（全称）*"), header_key("IPC 主分类号")
    ('企业名称(全称)', 'ipc主分类号')
    """
    return _DROP.sub("", unicodedata.normalize("NFKC", str(text or "")).casefold())


def _lookup(index: dict[str, str], key: str) -> str | None:
    """The target of a header key, trying it without a trailing note in brackets or a
    leading ``[标]``-style tag when it is not known as written."""
    found = index.get(key)
    while found is None and key and (bare := _NOTE.sub("", key)) != key:
        key = bare
        found = index.get(key)
    return found


def _index(kind: str) -> dict[str, str]:
    table: dict[str, str] = {}
    if kind in _SYNONYMS:
        for target, names in _SYNONYMS[kind].items():
            for name in names:
                table.setdefault(header_key(name), target)
            table.setdefault(target, target)
        return table
    for column in _INTERCHANGE_COLUMNS[kind]:
        table[column] = column
    for column, names in _INTERCHANGE_SYNONYMS.items():
        if column in _INTERCHANGE_COLUMNS[kind]:
            for name in names:
                table.setdefault(header_key(name), column)
    return table


_INDEXES = {kind: _index(kind) for kind in (*LIST_KINDS, *_INTERCHANGE_COLUMNS)}


@dataclass(frozen=True)
class TableMap:
    """What a table is and what each of its columns becomes.

    ``targets[i]`` is the column ``header[i]`` is read as: a target of ``kind`` (see
    ``TARGETS``), ``""`` when it is ignored (序号, an empty header, ``--map 列=-``), or the
    header itself when it is kept as a property. ``header_line`` is 1-based.
    """

    kind: str
    header_line: int
    header: tuple[str, ...]
    targets: tuple[str, ...]
    how: str  # "file name", "sheet name", "header", "--map"
    title: str = ""
    kept: tuple[str, ...] = ()  # headers kept as properties under their own name
    problems: tuple[tuple[int, str, str], ...] = field(default=())  # (col, header, reason)

    def column_of(self, target: str) -> tuple[str, int]:
        """The header text and 1-based column a target is read from ("", 0 if none)."""
        for col, (h, t) in enumerate(zip(self.header, self.targets, strict=True), start=1):
            if t == target:
                return h, col
        return "", 0

    def to_json(self) -> dict[str, Any]:
        """The mapping as the dry run shows it: per column what it became."""
        columns = []
        for col, (h, t) in enumerate(zip(self.header, self.targets, strict=True), start=1):
            if not h and not t:
                continue
            if not t:
                became = "ignored"
            elif t in self.kept:
                became = f"kept as property {t!r}"
            else:
                became = t
            columns.append({"col": col, "header": h, "to": t, "became": became})
        return {
            "kind": self.kind,
            "how": self.how,
            "header_line": self.header_line,
            "title": self.title,
            "columns": columns,
        }


def _score(keys: Sequence[str], kind: str) -> int:
    index = _INDEXES[kind]
    return sum(1 for k in keys if k and _lookup(index, k) is not None)


def _required_met(kind: str, targets: set[str]) -> bool:
    if kind in _LIST_REQUIRED:
        return all(any(t in targets for t in need) for need in _LIST_REQUIRED[kind])
    return all(t in targets for t in _INTERCHANGE_REQUIRED[kind])


def _hint(names: Sequence[str]) -> str | None:
    text = " ".join(n.casefold() for n in names if n)
    for kind, words in _NAME_HINTS:
        if any(w in text for w in words):
            return kind
    return None


def find_header(rows: Sequence[Sequence[Any]], kind: str | None = None) -> int:
    """The 0-based index of the header among ``rows`` (the first ``HEADER_SCAN`` of a table):
    the row with the most recognised header names (at least two), else the first row with two
    or more filled cells. ``kind``: only its names count."""
    kinds = [kind] if kind else list(_INDEXES)
    best, best_score = -1, 1
    for i, row in enumerate(rows[:HEADER_SCAN]):
        keys = [header_key(c) for c in row]
        score = max(_score(keys, k) for k in kinds)
        if score > best_score:
            best, best_score = i, score
    if best >= 0:
        return best
    for i, row in enumerate(rows[:HEADER_SCAN]):
        if sum(1 for c in row if str(c or "").strip()) >= 2:
            return i
    return 0


def recognise(
    rows: Sequence[Sequence[Any]],
    *,
    names: Sequence[str] = (),
    kind: str | None = None,
    overrides: MappingType[str, str] | None = None,
    forced_kind: str | None = None,
) -> TableMap:
    """The map of a table from its first rows.

    ``kind`` is the interchange kind the file or sheet is named after, if any (its first row is
    then its header, as always). ``names`` (file stem, sheet title) break ties between list
    kinds. ``overrides`` (header → target, ``-`` to ignore) come from ``--map``;
    ``forced_kind`` from a map file's ``kind``.
    """
    overrides = {header_key(k): v for k, v in (overrides or {}).items()}
    how = "file name" if kind else "header"
    if forced_kind:
        kind, how = forced_kind, "--map"
    line = 0 if kind in _INTERCHANGE_COLUMNS else find_header(rows, kind)
    header = tuple("" if c is None else str(c).strip() for c in (rows[line] if rows else ()))
    keys = [header_key(h) for h in header]
    if kind is None:
        kind = _classify(keys, names)
    index = _INDEXES.get(kind, {})
    allowed = set(TARGETS.get(kind, ()))
    targets: list[str] = []
    kept: list[str] = []
    problems: list[tuple[int, str, str]] = []
    for col, (h, key) in enumerate(zip(header, keys, strict=True), start=1):
        target = overrides.get(key)
        if target is not None:
            if target == IGNORE:
                targets.append("")
                continue
            if target not in allowed:
                problems.append(
                    (
                        col,
                        h,
                        f"--map {h}={target}: {target!r} is not a column of {kind} "
                        f"(one of {', '.join(sorted(allowed))})",
                    )
                )
                targets.append("")
                continue
        elif not key:
            targets.append("")
            continue
        else:
            target = _lookup(index, key)
        if target == "seq":
            target = ""
        elif target is None:
            target = h
            kept.append(h)
        targets.append(target)
    seen: dict[str, int] = {}
    for col, t in enumerate(targets, start=1):
        if not t:
            continue
        if t in seen:
            problems.append(
                (
                    col,
                    header[col - 1],
                    f"column {header[col - 1]!r} is read as {t!r}, like "
                    f"column {seen[t]} ({header[seen[t] - 1]!r}); map one of them with --map",
                )
            )
        else:
            seen[t] = col
    missing = _missing(kind, set(targets) - set(kept))
    if missing:
        problems.append((0, "", missing))
    title = " ".join(
        dict.fromkeys(str(c).strip() for r in rows[:line] for c in r if c and str(c).strip())
    )
    return TableMap(
        kind, line + 1, header, tuple(targets), how, title, tuple(kept), tuple(problems)
    )


def _classify(keys: Sequence[str], names: Sequence[str]) -> str:
    """The kind whose required columns the header has, best score first; ties go to the kind
    the names hint at."""
    hint = _hint(names)
    scored = []
    partial = []
    for kind in (*LIST_KINDS, *_INTERCHANGE_COLUMNS):
        index = _INDEXES[kind]
        targets = {t for k in keys if (t := _lookup(index, k)) and t != "seq"}
        if _required_met(kind, targets):
            interchange = kind in _INTERCHANGE_COLUMNS and "id" in targets | {"source"}
            scored.append((interchange, len(targets), kind == hint, kind))
        elif kind in LIST_KINDS:
            partial.append((len(targets), kind == hint, kind))
    if scored:
        scored.sort(reverse=True)  # a product list also meets a directory's needs: more win
        return scored[0][3]
    # nothing complete: the list kind the header is most like, so that the missing column is
    # named (a patent export without its 申请人 column), else the names' hint, else unknown
    partial.sort(reverse=True)
    if partial and partial[0][0] >= 2:
        return partial[0][2]
    return hint or "unknown"


def _missing(kind: str, targets: set[str]) -> str:
    if kind == "unknown":
        return (
            "表头无法识别：不是数据交换格式，也不是产品名单、企业名录或专利导出 / header not "
            "recognised: not an interchange file, product list, enterprise directory or patent "
            "export (name the columns with --map)"
        )
    needs = _LIST_REQUIRED.get(kind) or tuple((c,) for c in _INTERCHANGE_REQUIRED.get(kind, ()))
    absent = [" or ".join(n) for n in needs if not any(t in targets for t in n)]
    if not absent:
        return ""
    return f"缺少必需的列 / required column missing for {kind}: {', '.join(absent)}"
