"""Turn rows of the lists people have into interchange rows and organisation mentions.

A product-list row names a maker and its product: it becomes an ``equipment`` row (with its
catalogue: list name, batch, year; status ``catalogued``) and a *mention* of its maker. A
directory row is a mention with everything known about the organisation. A patent-export row
becomes a ``patents`` row and a mention per applicant. Mentions are not organisations yet:
the loader resolves them against the store and the load (``ingest.mentions``), so each carries
a provisional id — ``org:n`` and a hash of its normalised name — that the loader remaps.

Everything here is per row and cheap; what depends on the header was settled once in
``TableMap`` and ``ListRows.__init__``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from stdnum.cn import uscc as uscc_code
from stdnum.exceptions import ValidationError as StdnumError

from graph.errors import RowError
from ingest.headers import TableMap
from ingest.names import name_key
from ingest.readers import SECTION

__all__ = [
    "Catalogue",
    "ListRows",
    "Mention",
    "application_kind",
    "catalogue_of",
    "list_date",
    "provisional_id",
    "split_ipc",
]

_KIND_OF = {"product_list": "equipment", "patent_export": "patents", "directory": "organizations"}
# (provisional id, name, uscc, kinds, region, properties, line, column number)
Mention = tuple[str, str, str | None, list[str], str | None, dict[str, Any], int, int]

_NAMES_SPLIT = re.compile(r"[;；\n、|]+")
_IPC = re.compile(r"[A-H]\s?\d{2}\s?[A-Z](?:\s*\d{1,4}\s*/\s*\d{1,6})?")
_SPACES = re.compile(r"\s+")
_DATE = re.compile(r"^(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?")
_DATE8 = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_APP_DIGITS = re.compile(r"[^0-9A-Z.]")
_DIGIT = re.compile(r"\d")
_YEAR = re.compile(r"(19|20)\d{2}")
_BATCH = re.compile(r"第\s*([一二三四五六七八九十\d]+)\s*批")
_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九十")}
_KIND_DIGIT = {
    "1": "invention",
    "8": "invention",  # PCT application entering the Chinese phase
    "2": "utility_model",
    "9": "utility_model",
    "3": "design",
}
_PATENT_TYPES = (
    ("实用新型", "utility_model"),
    ("外观", "design"),
    ("发明", "invention"),
    ("utility", "utility_model"),
    ("design", "design"),
    ("invention", "invention"),
)
_ORG_KINDS = {
    "manufacturer": "manufacturer",
    "制造企业": "manufacturer",
    "生产企业": "manufacturer",
    "制造商": "manufacturer",
    "企业": "manufacturer",
    "装备制造企业": "manufacturer",
    "user": "user",
    "用户": "user",
    "用户单位": "user",
    "业主": "user",
    "项目业主": "user",
    "research_institute": "research_institute",
    "科研院所": "research_institute",
    "研究院": "research_institute",
    "研究所": "research_institute",
    "科研机构": "research_institute",
    "university": "university",
    "高校": "university",
    "大学": "university",
    "高等院校": "university",
    "design_institute": "design_institute",
    "设计院": "design_institute",
    "设计单位": "design_institute",
    "integrator": "integrator",
    "集成商": "integrator",
    "系统集成商": "integrator",
    "testing_body": "testing_body",
    "检测机构": "testing_body",
    "检验检测机构": "testing_body",
    "第三方检测机构": "testing_body",
    "military_unit": "military_unit",
    "军工单位": "military_unit",
    "other": "other",
    "其他": "other",
}
# An applicant's kind from its name, when the export says nothing else.
_KIND_BY_NAME = (
    ("设计院", "design_institute"),
    ("设计研究院", "design_institute"),
    ("大学", "university"),
    ("学院", "university"),
    ("研究院", "research_institute"),
    ("研究所", "research_institute"),
    ("科学院", "research_institute"),
    ("检测", "testing_body"),
    ("检验", "testing_body"),
)
_STATUS = {
    "developing": "developing",
    "研制中": "developing",
    "在研": "developing",
    "catalogued": "catalogued",
    "已列入": "catalogued",
    "入选": "catalogued",
    "列入目录": "catalogued",
    "已认定": "catalogued",
    "认定": "catalogued",
    "evaluated": "evaluated",
    "已评定": "evaluated",
    "评定": "evaluated",
    "demonstrated": "demonstrated",
    "已示范": "demonstrated",
    "示范应用": "demonstrated",
    "insured": "insured",
    "已投保": "insured",
    "保险补偿": "insured",
}
_SCOPES = (
    ("重庆", "chongqing"),
    ("工业和信息化部", "national"),
    ("工信部", "national"),
    ("国家", "national"),
    ("全国", "national"),
)


def _nfkc(text: str) -> str:
    if text.isascii():  # most dates, numbers and codes: nothing to fold
        return text.strip()
    return unicodedata.normalize("NFKC", text).strip()


@lru_cache(maxsize=200_000)
def provisional_id(name: str) -> str:
    """The id a mention goes by until the loader resolves it (same name key, same id).

    >>> provisional_id("重庆耐德新明和工业有限公司") == provisional_id("重慶耐德新明和工業有限責任公司")
    True
    """
    digest = hashlib.blake2b(name_key(name).encode(), digest_size=8).hexdigest()
    return f"org:n{digest}"


@lru_cache(maxsize=100_000)  # an export's dates repeat: a few thousand days
def list_date(text: str) -> str | None:
    """ISO date of the forms exports use; None when it is not a date.

    >>> list_date("2020.01.05"), list_date("2020/1/5"), list_date("20200105")
    ('2020-01-05', '2020-01-05', '2020-01-05')
    >>> list_date("2020年1月5日"), list_date("２０２０－０１－０５"), list_date("2021-02-30")
    ('2020-01-05', '2020-01-05', None)
    """
    value = _nfkc(text)
    if len(value) == 10 and value[4] in "-./" and value[7] == value[4]:
        iso = f"{value[:4]}-{value[5:7]}-{value[8:]}"
        try:
            dt.date.fromisoformat(iso)
        except ValueError:
            return None
        return iso
    found = _DATE.match(value) or _DATE8.match(value)
    if found is None:
        return None
    try:
        return dt.date(*(int(g) for g in found.groups())).isoformat()
    except ValueError:  # 2021-02-30
        return None


def split_ipc(*cells: str | None) -> list[str]:
    """IPC codes of cells separated by ``;``, ``,`` or spaces, in order, once each.

    >>> split_ipc("B23Q 1/00", "B23Q1/00;B23B 31/02, G05B19/18 F16H")
    ['B23Q1/00', 'B23B31/02', 'G05B19/18', 'F16H']
    """
    return list(_split_ipc(cells))


@lru_cache(maxsize=100_000)  # the same code lists recur across an export
def _split_ipc(cells: tuple[str | None, ...]) -> tuple[str, ...]:
    out: dict[str, None] = {}
    for cell in cells:
        if cell:
            out.update(dict.fromkeys(_ipc_codes(cell)))
    return tuple(out)


@lru_cache(maxsize=100_000)
def _ipc_codes(cell: str) -> tuple[str, ...]:
    return tuple(_SPACES.sub("", code) for code in _IPC.findall(_nfkc(cell).upper()))


def application_kind(number: str) -> tuple[str, str | None]:
    """A CN application number without spaces and ``CN``/check digit, and its kind from the
    kind digit (1/8 invention, 2/9 utility model, 3 design); other offices: kind None.

    >>> application_kind("CN202010123456.7"), application_kind("201821234567X")
    (('CN202010123456', 'invention'), ('CN201821234567', 'utility_model'))
    >>> application_kind("CN99123456.X"), application_kind("US16/123,456")
    (('CN99123456', 'invention'), ('US16123456', None))
    """
    if len(number) == 16 and number[:2] == "CN" and number[14] == "." and number[2:14].isdigit():
        return number[:14], _KIND_DIGIT.get(number[6])  # CN202010123456.7, most exports
    value = _APP_DIGITS.sub("", _nfkc(number).upper())
    office = "CN"
    if value[:2].isalpha():
        office, value = value[:2], value[2:]
    if office != "CN":
        return office + value.replace(".", ""), None
    digits = value.split(".")[0]
    if len(digits) in (13, 9) and (digits[-1].isdigit() or digits[-1] == "X"):
        digits = digits[:-1]  # the check character without its dot
    digits = digits.rstrip("X")
    kind = None
    if len(digits) == 12:
        kind = _KIND_DIGIT.get(digits[4])
    elif len(digits) == 8:
        kind = _KIND_DIGIT.get(digits[2])
    return "CN" + digits, kind


@dataclass(frozen=True)
class Catalogue:
    """The list a product row is in: its name, year, batch and the short code."""

    name: str = ""
    year: int | None = None
    batch: int | None = None
    scope: str = "local"

    @property
    def code(self) -> str:
        """``chongqing-2023-1`` style (``scope-year[-batch]``), or the scope alone."""
        parts = [self.scope, *(str(x) for x in (self.year, self.batch) if x is not None)]
        return "-".join(parts)


def _batch_number(text: str) -> int | None:
    found = _BATCH.search(text)
    raw = found.group(1) if found else _nfkc(text) if _nfkc(text).isdigit() else ""
    if not raw:
        return None
    if raw.isdigit():
        return int(raw)
    if raw == "十":
        return 10
    if raw.startswith("十"):
        return 10 + _CN_DIGITS[raw[1]]
    if "十" in raw:
        tens, _, ones = raw.partition("十")
        return _CN_DIGITS[tens] * 10 + (_CN_DIGITS[ones] if ones else 0)
    return _CN_DIGITS.get(raw)


def catalogue_of(*texts: str, overrides: Mapping[str, Any] | None = None) -> Catalogue:
    """The catalogue named by a title row, file or sheet name (first that says), with
    ``overrides`` (``name``, ``year``, ``batch``, ``scope`` from a map file) on top.

    >>> c = catalogue_of("重庆市2023年度第二批首台（套）重大技术装备产品名单")
    >>> c.code, c.year, c.batch
    ('chongqing-2023-2', 2023, 2)
    """
    name = next((t.strip() for t in texts if t and t.strip()), "")
    joined = " ".join(_nfkc(t) for t in texts if t)
    year_match = _YEAR.search(joined)
    year = int(year_match.group(0)) if year_match else None
    batch = next((b for t in texts if t and (b := _batch_number_in(t)) is not None), None)
    scope = next((code for word, code in _SCOPES if word in joined), "local")
    o = dict(overrides or {})
    return Catalogue(
        str(o.get("name", name)),
        int(o["year"]) if o.get("year") is not None else year,
        int(o["batch"]) if o.get("batch") is not None else batch,
        str(o.get("scope", scope)),
    )


def _batch_number_in(text: str) -> int | None:
    found = _BATCH.search(_nfkc(text))
    return _batch_number(found.group(0)) if found else None


@lru_cache(maxsize=100_000)
def _kinds_of_name(name: str) -> list[str]:
    for word, kind in _KIND_BY_NAME:
        if word in name:
            return [kind]
    return ["other"]


class ListRows:
    """The rows of one list table, one ``rows`` call each."""

    def __init__(
        self,
        file: str,
        table: TableMap,
        *,
        names: tuple[str, ...] = (),
        catalogue: Mapping[str, Any] | None = None,
    ) -> None:
        self.file = file
        self.table = table
        self.kind = table.kind
        self.columns = {t: table.column_of(t) for t in set(table.targets) if t}
        self.catalogue = catalogue_of(table.title, *names, overrides=catalogue)
        self.kept = frozenset(table.kept)
        self.named: set[str] = set()  # provisional ids of applicants already mentioned
        self.section = ""  # the heading the rows below belong to (一、智能制造装备)

    def where(self, target: str) -> tuple[str, int]:
        """The header and column number a target came from."""
        return self.columns.get(target, (target, 0))

    def _error(self, line: int, target: str, reason: str) -> RowError:
        header, col = self.where(target)
        return RowError(self.file, line, header or target, reason, col)

    def rows(
        self, values: dict[str, Any], line: int, errors: list[RowError]
    ) -> tuple[str, dict[str, Any] | None, list[Mention]]:
        """(interchange kind, its row values or None, mentions) for one row; problems go to
        ``errors`` (then no row and no mention is returned). A heading row (``SECTION``)
        returns nothing: its text is the field of the product rows below it that name none."""
        if SECTION in values:
            self.section = str(values[SECTION])
            return _KIND_OF.get(self.kind, "organizations"), None, []
        if self.kind == "product_list":
            return self._product(values, line, errors)
        if self.kind == "patent_export":
            return self._patent(values, line, errors)
        return self._directory(values, line, errors)

    # ---- the kinds ----------------------------------------------------------------------

    def _uscc(self, values: dict[str, Any], line: int, errors: list[RowError]) -> str | None:
        raw = values.get("uscc")
        if not raw:
            return None
        try:
            return str(uscc_code.validate(_nfkc(str(raw)).upper()))
        except StdnumError as exc:
            errors.append(
                self._error(
                    line,
                    "uscc",
                    f"统一社会信用代码无效 / invalid unified social credit "
                    f"code {raw!r} (GB 32100-2015): {exc}",
                )
            )
            return None

    def _names(self, text: Any) -> list[str]:
        text = str(text)
        if _NAMES_SPLIT.search(text) is None:
            return [text.strip()] if text.strip() else []
        return [n.strip() for n in _NAMES_SPLIT.split(text) if n.strip()]

    def _product(
        self, values: dict[str, Any], line: int, errors: list[RowError]
    ) -> tuple[str, dict[str, Any] | None, list[Mention]]:
        before = len(errors)
        makers = self._names(values.get("maker", ""))
        name = str(values.get("name", "")).strip()
        if not makers:
            errors.append(self._error(line, "maker", "企业名称为空 / required value is empty"))
        if not name:
            errors.append(self._error(line, "name", "产品名称为空 / required value is empty"))
        uscc = self._uscc(values, line, errors)
        status = "catalogued"
        if raw_status := values.get("status"):
            found = _STATUS.get(_nfkc(str(raw_status)).casefold())
            if found is None:
                errors.append(
                    self._error(
                        line,
                        "status",
                        f"unknown status {raw_status!r}; expected one "
                        f"of {', '.join(sorted(set(_STATUS.values())))} or 已列入 …",
                    )
                )
            else:
                status = found
        if len(errors) > before:
            return "equipment", None, []
        region = values.get("region")
        col = self.where("maker")[1]
        mentions: list[Mention] = [
            (
                provisional_id(m),
                m,
                uscc if i == 0 else None,
                ["manufacturer"],
                str(region) if region and i == 0 else None,
                {},
                line,
                col,
            )
            for i, m in enumerate(makers)
        ]
        model = values.get("model")
        cat = self.catalogue
        if any(values.get(k) for k in ("catalogue", "year", "batch")):
            cat = Catalogue(
                str(values.get("catalogue") or cat.name),
                int(y.group(0))
                if (y := _YEAR.search(_nfkc(str(values.get("year", "")))))
                else cat.year,
                _batch_number(str(values["batch"])) if values.get("batch") else cat.batch,
                next((c for w, c in _SCOPES if w in str(values.get("catalogue", ""))), cat.scope),
            )
        key = "\x1f".join([name_key(makers[0]), _nfkc(name), _nfkc(str(model or ""))])
        row: dict[str, Any] = {
            "id": "eq:" + hashlib.blake2b(key.encode(), digest_size=8).hexdigest(),
            "name": name,
            "maker_ids": [m[0] for m in mentions],
            "status": status,
            "catalogue": cat.code,
        }
        if cat.name:
            row["catalogue_name"] = cat.name
        if cat.year is not None:
            row["catalogue_year"] = cat.year
        if cat.batch is not None:
            row["catalogue_batch"] = cat.batch
        for target in ("model", "field", "description", "note"):
            if values.get(target):
                row[target] = values[target]
        if self.section:
            row["section"] = self.section
            row.setdefault("field", self.section)
        row.update((k, v) for k, v in values.items() if k in self.kept)
        return "equipment", row, mentions

    def _directory(
        self, values: dict[str, Any], line: int, errors: list[RowError]
    ) -> tuple[str, dict[str, Any] | None, list[Mention]]:
        before = len(errors)
        name = str(values.get("name", "")).strip()
        if not name:
            errors.append(self._error(line, "name", "企业名称为空 / required value is empty"))
        uscc = self._uscc(values, line, errors)
        kinds: list[str] = []
        for label in self._names(str(values.get("kinds", "")).replace(",", ";")):
            kind = _ORG_KINDS.get(_nfkc(label).casefold())
            if kind is None:
                errors.append(
                    self._error(
                        line,
                        "kinds",
                        f"unknown organisation kind {label!r}; expected "
                        "制造企业, 用户, 科研院所, 高校, 设计院, 集成商, 检测机构, 军工单位, "
                        "其他 (or manufacturer, user, …)",
                    )
                )
            elif kind not in kinds:
                kinds.append(kind)
        if len(errors) > before:
            return "organizations", None, []
        props: dict[str, Any] = {}
        if values.get("aliases"):
            props["aliases"] = self._names(str(values["aliases"]).replace(",", ";"))
        for target in ("description", "note"):
            if values.get(target):
                props[target] = values[target]
        props.update((k, v) for k, v in values.items() if k in self.kept)
        region = values.get("region")
        mention: Mention = (
            provisional_id(name),
            name,
            uscc,
            kinds or ["other"],
            str(region) if region else None,
            props,
            line,
            self.where("name")[1],
        )
        return "organizations", None, [mention]

    def _patent(
        self, values: dict[str, Any], line: int, errors: list[RowError]
    ) -> tuple[str, dict[str, Any] | None, list[Mention]]:
        # the hot path of a large export: cells are stripped text already (readers)
        get = values.get
        title, names, number = get("title"), get("applicants"), get("app_no") or get("pub_no")
        filed, published, granted = get("filed"), get("published"), get("granted")
        applicants = self._names(names) if names else []
        dates: list[tuple[str, Any, str | None]] = []
        dated = True
        for target, raw in (("filed", filed), ("published", published), ("granted", granted)):
            if raw:
                iso = list_date(raw)
                dates.append((target, raw, iso))
                dated = dated and iso is not None
        if not title or not applicants or not number or not dated:
            self._patent_errors(title, applicants, number, dates, line, errors)
            return "patents", None, []
        normalised, kind = application_kind(number)
        if not normalised[2:].isdigit() and _DIGIT.search(normalised) is None:
            errors.append(
                self._error(
                    line,
                    "app_no" if get("app_no") else "pub_no",
                    f"申请号无法识别 / not an application number: {number!r}",
                )
            )
            return "patents", None, []
        if get("patent_type"):
            given = str(values["patent_type"]).casefold()
            kind = next((k for word, k in _PATENT_TYPES if word in given), kind)
        if len(applicants) == 1:
            owners = [provisional_id(applicants[0])]
        else:
            owners = list(dict.fromkeys(map(provisional_id, applicants)))
        mentions: list[Mention] = []
        if not self.named.issuperset(owners):  # applicants repeat: each is mentioned once
            col = self.columns.get("applicants", ("", 0))[1]
            region = get("region")
            for prov, a in zip(map(provisional_id, applicants), applicants, strict=True):
                if prov not in self.named:
                    self.named.add(prov)
                    mentions.append((prov, a, None, _kinds_of_name(a), region, {}, line, col))
        main = get("ipc_main")
        row: dict[str, Any] = {"title": title, "application_number": _nfkc(number)}
        if ipc := split_ipc(main, get("ipc")):
            row["ipc"] = ipc
        for target, _, iso in dates:
            row[target] = iso
        if kind:
            row["patent_type"] = kind
        for target in ("abstract", "legal_status", "pub_no", "inventors"):
            if target in values:
                row[target] = values[target]
        if main and (codes := _ipc_codes(main)):
            row["ipc_main"] = codes[0]
        if self.kept:
            row.update((k, v) for k, v in values.items() if k in self.kept)
        row["\x00id"] = "patent:" + normalised  # taken out by ``ingest.parse`` (see there)
        row["\x00owners"] = owners
        return "patents", row, mentions

    def _patent_errors(
        self,
        title: Any,
        applicants: list[str],
        number: Any,
        dates: list[tuple[str, Any, str | None]],
        line: int,
        errors: list[RowError],
    ) -> None:
        if not title:
            errors.append(self._error(line, "title", "发明名称为空 / required value is empty"))
        if not applicants:
            errors.append(self._error(line, "applicants", "申请人为空 / required value is empty"))
        if not number:
            errors.append(self._error(line, "app_no", "申请号为空 / required value is empty"))
        for target, raw, iso in dates:
            if iso is None:
                errors.append(
                    self._error(
                        line,
                        target,
                        f"日期无法识别 / not a date: {raw!r} "
                        "(YYYY-MM-DD, YYYY.MM.DD, YYYY/M/D, YYYYMMDD, YYYY年M月D日)",
                    )
                )
