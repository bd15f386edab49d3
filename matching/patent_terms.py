"""Chinese patent terms: the kind of a patent, when it expires, and whether it is plausibly in force.

The kind (发明 invention, 实用新型 utility model, 外观设计 design) comes from, in order: the data
(a ``kind`` / ``patent_type`` property), the application number (申请号: ``YYYY`` + kind digit
+ serial + check digit since 2003, ``YY`` + kind digit + serial + check digit before), or the
publication number's kind code (公告号: ``CN…A`` / ``B`` / ``C`` invention, ``U`` / ``Y``
utility model, ``S`` / ``D`` design).

Terms run from the filing date (专利法 第四十二条): invention 20 years, utility model 10 years,
design 10 years — 15 years for design applications filed on or after 2021-06-01 (the 2020
amendment in force that day). A term ends on the day before the anniversary of the filing date
(filed 2004-03-15 → expires 2024-03-14). Patent-term adjustment and drug-patent compensation
(第四十二条 第二、三款) are not modelled: the expiry given is the statutory one.

Whether a patent is *plausibly in force* (``in_force``): a recorded legal status decides
(lapsed, withdrawn, invalidated, expired → False; valid → True while in term); else a granted
patent (grant date, or a B/C/U/Y/S/D publication) within its term is True; an invention
application only published (``A``) is pending — False, with status ``pending``; without a
filing date the answer is None (unknown). Annuities are not in the data, so a granted patent in
term is *plausibly*, not certainly, in force.

Examples
--------
>>> kind_from_number("CN201710601862.3"), kind_from_number("CN201710601862.4")
('invention', None)
>>> kind_from_number("CN215792497U"), kind_from_number("CN114081026A")
('utility_model', 'invention')
>>> str(expiry_date("design", date(2021, 6, 1))), str(expiry_date("design", date(2021, 5, 31)))
('2036-05-31', '2031-05-30')
>>> t = patent_term({"filed": "2004-03-15", "granted": "2006-01-04"}, "CN1234567C",
...                 today=date(2024, 1, 1))
>>> t.kind, str(t.expires), t.in_force, t.status
('invention', '2024-03-14', True, 'in_term')
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

__all__ = [
    "DESIGN_15_YEARS_FROM",
    "TERM_YEARS",
    "Kind",
    "PatentTerm",
    "application_check_digit",
    "expiry_date",
    "kind_from_number",
    "parse_date",
    "patent_term",
    "term_years",
]

Kind = Literal["invention", "utility_model", "design"]
Status = Literal["in_term", "pending", "expired", "lapsed", "unknown"]

TERM_YEARS: Mapping[str, int] = {"invention": 20, "utility_model": 10, "design": 10}
DESIGN_15_YEARS_FROM = date(2021, 6, 1)  # 专利法（2020 修正）施行之日
KIND_ZH = {"invention": "发明", "utility_model": "实用新型", "design": "外观设计"}

# Kind digit of an application number: 1 / 8 invention (8: PCT national phase), 2 / 9 utility
# model (9: PCT), 3 design.
_APP_KIND = {"1": "invention", "8": "invention", "2": "utility_model", "9": "utility_model",
             "3": "design"}
# Kind code of a CN publication number.
_PUB_KIND = {"A": "invention", "B": "invention", "C": "invention", "U": "utility_model",
             "Y": "utility_model", "S": "design", "D": "design"}
_GRANTED_CODES = frozenset("BCUYSD")
_KIND_WORDS: Mapping[str, Kind] = {
    "invention": "invention", "发明": "invention", "发明专利": "invention", "fm": "invention",
    "utility_model": "utility_model", "utility model": "utility_model", "utility": "utility_model",
    "实用新型": "utility_model", "xx": "utility_model",
    "design": "design", "外观设计": "design", "外观": "design", "wg": "design",
}
_LAPSED_WORDS = ("lapsed", "withdrawn", "invalid", "revoked", "expired", "abandoned", "rejected",
                 "refused", "terminated", "dead", "失效", "无效", "终止", "撤回", "驳回", "放弃",
                 "届满", "未缴年费", "视为撤回")
_VALID_WORDS = ("valid", "in force", "granted", "active", "alive", "有效", "授权", "维持")
_PENDING_WORDS = ("pending", "published", "examination", "审中", "公开", "实审", "在审", "审查",
                  "受理")

_APP_RE = re.compile(r"^(?:CN|ZL)?\s*((?:19|20)\d{2}|\d{2})([12389])(\d{5}|\d{7})\.?([\dX])?$")
_PUB_RE = re.compile(r"^CN\s*(\d{6,10})\s*([ABCUYSD])\d?$")


def application_check_digit(digits: str) -> str:
    """The check digit of a CN application number's digits (8 before 2003, 12 since).

    Weights 2, 3, …, 9, 2, 3, … over the digits; the sum modulo 11, 10 written ``X``.

    >>> application_check_digit("201710601862"), application_check_digit("95115608")
    ('3', 'X')
    """
    if not digits.isdigit() or len(digits) not in (8, 12):
        raise ValueError(f"not the digits of a CN application number: {digits!r}")
    weights = [2, 3, 4, 5, 6, 7, 8, 9] * 2
    total = sum(int(d) * w for d, w in zip(digits, weights, strict=False))
    rest = total % 11
    return "X" if rest == 10 else str(rest)


def kind_from_number(number: str) -> Kind | None:
    """The patent kind from an application number or a CN publication number; None if neither.

    An application number with a wrong check digit is not trusted (None).
    """
    text = re.sub(r"[\s-]", "", str(number or "")).upper()
    pub = _PUB_RE.match(text)
    if pub:
        kind = _PUB_KIND[pub.group(2)]
        return kind  # type: ignore[return-value]
    app = _APP_RE.match(text)
    if app:
        year, digit, serial, check = app.groups()
        if (len(year) == 4) != (len(serial) == 7):
            return None
        if check is not None and application_check_digit(year + digit + serial) != check:
            return None
        return _APP_KIND[digit]  # type: ignore[return-value]
    return None


def _granted_by_number(number: str) -> bool | None:
    """True for a granted publication (B, C, U, Y, S, D), False for an A publication."""
    pub = _PUB_RE.match(re.sub(r"[\s-]", "", str(number or "")).upper())
    if not pub:
        return None
    return pub.group(2) in _GRANTED_CODES


def parse_date(value: Any) -> date | None:
    """A date from ``YYYY-MM-DD``, ``YYYY.MM.DD``, ``YYYY/MM/DD``, ``YYYYMMDD``, ``YYYY年M月D日``
    or a date object; None when empty or not a date."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    m = re.match(r"^(\d{4})[-./年](\d{1,2})[-./月](\d{1,2})日?", text) or re.match(
        r"^(\d{4})(\d{2})(\d{2})$", text)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def term_years(kind: str, filed: date) -> int:
    """Statutory term in years: invention 20, utility model 10, design 10 (15 from 2021-06-01)."""
    if kind == "design" and filed >= DESIGN_15_YEARS_FROM:
        return 15
    return TERM_YEARS[kind]


def _anniversary(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February → 1 March of a common year
        return date(d.year + years, 3, 1)


def expiry_date(kind: str, filed: date) -> date:
    """The last day of the term: the day before the filing date's anniversary."""
    return _anniversary(filed, term_years(kind, filed)) - timedelta(days=1)


@dataclass(frozen=True)
class PatentTerm:
    """The kind, dates and in-force reading of one patent, with the reasons (``why``)."""

    kind: Kind | None
    kind_source: str  # data | application_number | publication_number | unknown
    filed: date | None
    expires: date | None
    granted: bool | None
    in_force: bool | None
    status: Status
    why: str

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "kind_source": self.kind_source,
            "filed": self.filed.isoformat() if self.filed else None,
            "expires": self.expires.isoformat() if self.expires else None,
            "granted": self.granted,
            "in_force": self.in_force,
            "status": self.status,
        }


def _kind_from_data(props: Mapping[str, Any]) -> Kind | None:
    for key in ("kind", "patent_type", "type", "专利类型"):
        value = props.get(key)
        if value:
            word = str(value).strip().casefold()
            if word in _KIND_WORDS:
                return _KIND_WORDS[word]
    return None


def _legal_status(props: Mapping[str, Any]) -> str:
    for key in ("legal_status", "status", "法律状态"):
        value = props.get(key)
        if value:
            return str(value).strip()
    return ""


def patent_term(props: Mapping[str, Any], patent_id: str = "", *,
                today: date | None = None) -> PatentTerm:
    """Read a patent's kind, expiry and in-force status from its properties and id.

    ``props`` may hold ``kind``, ``application_number`` (or ``app_no`` / ``申请号``), ``filed``
    (or ``filing_date``), ``granted`` and ``legal_status``; ``patent_id`` is tried as a
    publication or application number. ``today`` defaults to the current date.
    """
    now = today or date.today()
    kind = _kind_from_data(props)
    source = "data" if kind else "unknown"
    numbers = [props.get(k) for k in ("application_number", "app_no", "申请号")]
    numbers += [props.get(k) for k in ("publication_number", "pub_no", "公告号")]
    numbers.append(patent_id)
    if kind is None:
        for number in numbers:
            if number and (found := kind_from_number(str(number))):
                kind = found
                app = _APP_RE.match(re.sub(r"[\s-]", "", str(number)).upper())
                source = "application_number" if app else "publication_number"
                break
    filed = parse_date(props.get("filed") or props.get("filing_date") or props.get("申请日"))
    granted_on = parse_date(props.get("granted") or props.get("grant_date") or props.get("授权日"))
    granted: bool | None = True if granted_on else None
    if granted is None:
        for number in numbers:
            if number and (by_number := _granted_by_number(str(number))) is not None:
                granted = by_number
                break
    if granted is None and kind in ("utility_model", "design") and filed:
        granted = True  # utility models and designs are published only when granted
    expires = expiry_date(kind, filed) if kind and filed else None
    legal = _legal_status(props)
    low = legal.casefold()
    kind_zh = KIND_ZH.get(kind or "", "类型不明")
    reasons = [f"{kind_zh}（{source}）"]
    if filed and expires and kind:
        reasons.append(f"申请日 {filed.isoformat()}，期限 {term_years(kind, filed)} 年，"
                       f"届满 {expires.isoformat()}")
    status: Status
    in_force: bool | None
    if legal and any(w in low for w in _LAPSED_WORDS):
        status, in_force = "lapsed", False
        reasons.append(f"法律状态：{legal}")
    elif expires is not None and now > expires:
        status, in_force = "expired", False
        reasons.append("已过保护期 / term expired")
    elif legal and any(w in low for w in _VALID_WORDS) and expires is not None:
        status, in_force = "in_term", True
        reasons.append(f"法律状态：{legal}")
    elif legal and any(w in low for w in _PENDING_WORDS) and not granted_on:
        status, in_force = "pending", False
        reasons.append(f"法律状态：{legal}（申请未授权 / not granted yet）")
    elif expires is None:
        status, in_force = "unknown", None
        reasons.append("缺申请日或类型，无法判断 / filing date or kind unknown")
    elif granted:
        status, in_force = "in_term", True
        reasons.append("已授权且在保护期内（未查年费）/ granted, in term (annuities unknown)")
    elif granted is False:
        status, in_force = "pending", False
        reasons.append("发明申请已公开未授权 / application published, not granted")
    else:
        status, in_force = "unknown", None
        reasons.append("授权与否不明 / grant unknown")
    return PatentTerm(kind, source, filed, expires, granted, in_force, status, "；".join(reasons))
