"""Tender check (招标文件合规提示): clauses of a tender that break 渝府办发〔2018〕170号 十四.

"在首台（套）重大技术装备投标时，招标单位不得提出市场占有率、使用业绩等要求，不得超出招标项目实际需要
或套用特定产品设置评价标准、技术参数等。对于已投保的首台（套）重大技术装备，一般不再收取质量保证金。"

A tender's requirements (text, ``.docx`` or ``.txt``) are cut into clauses
(:func:`split_clauses`: numbered items, lines, sentences ending in 。 or ；), and each clause is
checked against five kinds of rule (``matching/data/tender_rules.toml``):

- ``market_share`` — market share, a ranking of sales / shipments / output (销量排名前三),
  installed base, "top N manufacturer", a share of a market however phrased ("share of the
  national X market … at least N%", 占全国…市场的N%), honours standing for it (驰名商标, 名牌产品,
  行业百强). A count of units *installed* (保有量, 累计装机台数,
  国内装机N台, units installed worldwide) measures market presence and is ``market_share``, even
  when the tender calls it 业绩; a count of sales, supplies or projects stays ``track_record``;
- ``track_record`` — past sales, reference projects ("completed at least N projects in the last
  N years", 近五年完成过N项), years or hours already in service (累计运行8000小时),
  demonstrations already completed, user certificates however phrased (N份用户使用情况证明,
  letters from N utilities), cumulative sales or contracts won (累计销售不少于500MW, 中标金额累计,
  "not less than N MW in commercial operation");
- ``tailored_spec`` — a brand or model, a trade name (™ / ®, a quoted name, "X系列"),
  "或同等" / "or equivalent", parameters "identical to" a named or unnamed maker's model or taken
  from its sample book / catalogue page, one vendor's patent number or proprietary technology,
  imported-only or made-in-<foreign region>-only, the bidder made to be a patent's holder or
  licensee or one maker's sole agent, or a parameter set that matches one
  catalogued product far more closely than any other (:func:`tailored_params`, over the
  engine's equipment items);
- ``deposit_insured`` — a quality deposit (质量保证金), which an insured first-set product is
  spared (no retention deducted, or an insured product's retention paid out at acceptance, is
  compliant);
- ``exclusion`` — local-only, place of registration, tax or social insurance paid in one place,
  non-local bidders made to team up with or be led by local firms, ownership, size conditions
  (registered capital, turnover, assets, staff), a local branch already there when bidding,
  membership of an alliance / association or a place on the buyer's supplier list or short
  list, or a credit rating out of proportion (AAA).

A trigger is cancelled by an *allow* pattern overlapping it (a near miss such as
"具有同类装备研制能力" or "注明品牌型号") or by a negation in the same phrase
("不得以业绩作为评分因素", "免收质量保证金"). Each finding quotes the clause, names the rule and
suggests neutral wording.

:func:`baseline_findings` is the plain keyword peer that :func:`evaluate_tender` measures in the
same run.

Examples
--------
>>> report = check_tender("1. 投标人近三年同类产品销售业绩不少于5台套。2. 投标人应具有同类装备研制能力。")
>>> report.to_json()["clauses"], [f.kind for f in report.findings]
(2, ['track_record'])
>>> check_tender("设备额定功率不低于2MW。").to_json()["findings"]
[]
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graph.errors import InvalidRequest

if TYPE_CHECKING:
    from graph.store import GraphStore
    from matching.engine import MatchingEngine

__all__ = [
    "BASELINE_KEYWORDS",
    "KINDS",
    "CatalogProduct",
    "Clause",
    "Finding",
    "TenderReport",
    "baseline_findings",
    "catalogue_from_engine",
    "catalogue_from_store",
    "check_tender",
    "evaluate_tender",
    "extract_params",
    "load_labelled",
    "read_tender",
    "split_clauses",
    "tailored_params",
]

KINDS = ("market_share", "track_record", "tailored_spec", "deposit_insured", "exclusion")
MAX_CHARS = 2_000_000  # a tender longer than this is refused (about 1,000 pages)

# The keyword peer: substring rules with no context, no exceptions and no negation.
BASELINE_KEYWORDS: Mapping[str, tuple[str, ...]] = {
    "market_share": ("市场占有率", "市场份额", "排名", "market share", "top"),
    "track_record": ("业绩", "案例", "经验", "运行", "track record", "reference", "experience"),
    "tailored_spec": ("品牌", "型号", "或同等", "进口", "brand", "model", "equivalent"),
    "deposit_insured": ("保证金", "质保", "deposit", "retention"),
    "exclusion": ("本地", "国有", "注册", "仅限", "local", "state-owned", "registered"),
}

# ---- rules ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    name: str
    rule: str
    suggestion: str
    triggers: tuple[re.Pattern[str], ...]
    allow: tuple[re.Pattern[str], ...]
    before: tuple[re.Pattern[str], ...]
    after: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class _Rules:
    kinds: Mapping[str, _Kind]
    not_negation: tuple[re.Pattern[str], ...]


def _compile(patterns: Iterable[str], where: str) -> tuple[re.Pattern[str], ...]:
    out = []
    for n, p in enumerate(patterns):
        try:
            out.append(re.compile(p, re.IGNORECASE))
        except re.error as exc:
            raise InvalidRequest(f"tender rules: {where}[{n}] is not a valid pattern: {exc}",
                                 field="rules") from exc
    return tuple(out)


def _parse_rules(data: Mapping[str, Any]) -> _Rules:
    neg = data.get("negation", {})
    before = neg.get("before", [])
    after = neg.get("after", [])
    kinds: dict[str, _Kind] = {}
    for name in KINDS:
        k = data["kinds"][name]
        own = bool(k.get("own_negation"))
        kinds[name] = _Kind(
            name=k["name"], rule=k["rule"], suggestion=k["suggestion"],
            triggers=_compile(k["triggers"], f"kinds.{name}.triggers"),
            allow=_compile(k.get("allow", []), f"kinds.{name}.allow"),
            before=_compile(k.get("negation_before", []) if own else before,
                            f"kinds.{name}.negation_before"),
            after=_compile(k.get("negation_after", []) if own else after,
                           f"kinds.{name}.negation_after"),
        )
    return _Rules(kinds, _compile(neg.get("not_negation", []), "negation.not_negation"))


@lru_cache(maxsize=1)
def _default_rules() -> _Rules:
    text = resources.files("matching").joinpath("data", "tender_rules.toml").read_text("utf-8")
    return _parse_rules(tomllib.loads(text))


# ---- clauses ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clause:
    """One clause: its number in the document (``"3.2"``, ``"（1）"``, or ``""``), its text and
    the line it starts on (1-based)."""

    index: int
    number: str
    text: str
    line: int


_MARKER = re.compile(
    r"(?:(?<=^)|(?<=[。；;！!？?：:\s]))"
    r"(?P<m>\d{1,3}(?:[.．]\d{1,3})+(?=\s|[\u4e00-\u9fffA-Za-z（(])|\d{1,3}[、.．)）](?!\d)"
    r"|[（(]\d{1,3}[)）]|[（(][一二三四五六七八九十]{1,3}[)）]|[①-⑳]"
    r"|[一二三四五六七八九十]{1,3}、|第[一二三四五六七八九十百零\d]{1,5}[条款项])\s*"
)
_DOTTED = re.compile(r"\d")  # markers that start with a digit: 1. 1、 3.2.1 1)
_CLAUSE_BEFORE = frozenset("。；;！!？?：:.")


def _starts_clause(line: str, m: re.Match[str]) -> bool:
    """A marker starting with a digit (``1.``, ``3.2``) starts a clause only at the start of
    the line or after a sentence end, never mid-sentence (``功率 1.5MW``)."""
    if not _DOTTED.match(m.group("m")):
        return True
    before = line[: m.start()].rstrip()
    return not before or before[-1] in _CLAUSE_BEFORE


_SENTENCE_END = re.compile(r"(?<=[。；;！!？?])|(?<=[a-z0-9)\]][.])\s+(?=[A-Z(])")


def split_clauses(text: str) -> list[Clause]:
    """Cut a tender's text into clauses: one per numbered item, line and sentence (。；).

    >>> [c.text for c in split_clauses("一、资格要求\\n1. 投标人须具有独立法人资格；2. 近三年无重大违法记录。")]
    ['资格要求', '投标人须具有独立法人资格；', '近三年无重大违法记录。']
    >>> [c.number for c in split_clauses("3.2.1 设备功率不低于2MW。（2）质保期两年。")]
    ['3.2.1', '（2）']
    """
    out: list[Clause] = []
    for line_no, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        line = raw.strip().replace("\u3000", " ")
        if not line:
            continue
        marks = [m for m in _MARKER.finditer(line) if _starts_clause(line, m)]
        pieces: list[tuple[str, str]] = []
        if not marks or marks[0].start() > 0:
            pieces.append(("", line[: marks[0].start()] if marks else line))
        for i, m in enumerate(marks):
            end = marks[i + 1].start() if i + 1 < len(marks) else len(line)
            pieces.append((m.group("m").strip(), line[m.end() : end]))
        for number, body in pieces:
            first = True
            for sentence in _SENTENCE_END.split(body):
                s = sentence.strip()
                if not s or not re.search(r"[\w\u4e00-\u9fff]", s):
                    continue
                out.append(Clause(len(out), number if first else "", s, line_no))
                first = False
    return out


# ---- parameters: is this clause one product's datasheet? ---------------------------------------

_UNITS: Mapping[str, str] = {
    "mw": "MW", "kw": "kW", "w": "W", "gw": "GW", "kv": "kV", "v": "V", "a": "A", "ka": "kA",
    "mpa": "MPa", "kpa": "kPa", "pa": "Pa", "bar": "bar", "kn": "kN", "n": "N", "knm": "kN·m",
    "kn·m": "kN·m", "n·m": "N·m", "nm": "N·m", "t": "t", "吨": "t", "kg": "kg", "公斤": "kg",
    "m": "m", "米": "m", "mm": "mm", "毫米": "mm", "cm": "cm", "厘米": "cm", "km": "km",
    "公里": "km", "km/h": "km/h", "公里/小时": "km/h", "m/s": "m/s", "r/min": "r/min",
    "rpm": "r/min", "转/分": "r/min", "℃": "°C", "°c": "°C", "度": "°C", "%": "%", "hz": "Hz",
    "khz": "kHz", "kwh": "kWh", "mwh": "MWh", "nm/kg": "N·m/kg", "m³/h": "m³/h", "m3/h": "m³/h",
    "t/h": "t/h", "吨/小时": "t/h", "l/min": "L/min", "h": "h", "小时": "h", "次": "次",
    "mva": "MVA", "kva": "kVA", "db": "dB", "μm": "μm", "um": "μm", "微米": "μm", "g": "g",
    "lm": "lm", "mah": "mAh", "ah": "Ah", "立方米": "m³", "m³": "m³", "㎡": "m²", "m²": "m²",
    "平方米": "m²", "mpa·s": "mPa·s", "英寸": "in", "寸": "in",
}
_UNIT_RE = "|".join(sorted((re.escape(u) for u in _UNITS), key=len, reverse=True))
_PARAM = re.compile(
    rf"(?<![\d.])(\d+(?:\.\d+)?)(?:\s*[-~～至]\s*\d+(?:\.\d+)?)?\s*({_UNIT_RE})(?![A-Za-z])",
    re.IGNORECASE,
)


def extract_params(text: str) -> frozenset[tuple[float, str]]:
    """The (value, unit) pairs a text states: ``"额定功率2MW，DC1500V"`` → {(2.0, 'MW'),
    (1500.0, 'V')}.

    >>> sorted(extract_params("额定功率2MW，DC1500V，回馈效率97%"))
    [(2.0, 'MW'), (97.0, '%'), (1500.0, 'V')]
    """
    found: set[tuple[float, str]] = set()
    for m in _PARAM.finditer(text):
        unit = _UNITS.get(m.group(2).lower(), _UNITS.get(m.group(2), m.group(2)))
        found.add((float(m.group(1)), unit))
    return frozenset(found)


@dataclass(frozen=True)
class CatalogProduct:
    """A catalogued product whose parameters a clause could copy."""

    id: str
    name: str
    params: frozenset[tuple[float, str]]
    models: tuple[str, ...] = ()  # model codes in its name ("AB1234")


def _models(name: str) -> tuple[str, ...]:
    return tuple(m.group(0) for m in re.finditer(r"[A-Za-z]{1,5}-?\d{2,6}[A-Za-z]{0,3}", name))


def catalog_product(pid: str, name: str, text: str) -> CatalogProduct:
    """A product from its id, name and text (description with its specifications)."""
    return CatalogProduct(pid, name, extract_params(f"{name} {text}"), _models(name))


def tailored_params(
    clause: str, products: Sequence[CatalogProduct], *, min_shared: int = 2, ratio: float = 2.0
) -> tuple[CatalogProduct, int, int] | None:
    """The product whose parameters a clause copies, if one matches far more closely than any
    other: at least ``min_shared`` of the clause's parameters, covering at least half of them,
    and at least ``ratio`` times as many as the next product. Returns ``(product, shared,
    next best)`` or None.

    Notes
    -----
    O(products · parameters) per clause, with set intersections.
    """
    mine = extract_params(clause)
    if len(mine) < min_shared:
        return None
    best: CatalogProduct | None = None
    first = second = 0
    for prod in products:
        n = len(mine & prod.params)
        if n > first:
            best, first, second = prod, n, first
        elif n > second:
            second = n
    if best is None or first < min_shared or first * 2 < len(mine) or first < ratio * second:
        return None
    return best, first, second


def catalogue_from_engine(engine: MatchingEngine, clearance: str = "public"
                          ) -> list[CatalogProduct]:
    """The equipment items the caller may see, from the engine's read model."""
    p = engine.profiles(clearance)
    key = (id(p), p.version)
    hit = _CATALOGUES.get(clearance)
    if hit is not None and hit[0] == key:
        return hit[1]
    out = [catalog_product(it.id, it.title, it.text) for it in p.corpus.items
           if it.kind == "equipment"]
    _CATALOGUES[clearance] = (key, out)
    return out


def catalogue_from_store(store: GraphStore, clearance: str = "public") -> list[CatalogProduct]:
    """The equipment the caller may see, read from the store (no engine, no vectors)."""
    from graph.clearance import check_clearance, is_visible
    from graph.model import Label

    level = check_clearance(clearance)
    return [catalog_product(n.id, n.title, str(n.get("description") or ""))
            for n in store.nodes(Label.EQUIPMENT) if is_visible(n, level)]


_CATALOGUES: dict[str, tuple[tuple[int, int | None], list[CatalogProduct]]] = {}

# ---- findings -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One clause that breaks a rule: the clause quoted, the kind, the rule, a neutral wording."""

    clause: str
    kind: str
    rule: str
    suggestion: str
    why: str
    match: str
    number: str = ""
    line: int = 0
    index: int = 0
    product: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "clause": self.clause, "kind": self.kind, "rule": self.rule,
            "suggestion": self.suggestion, "why": self.why, "match": self.match,
            "number": self.number, "line": self.line, "index": self.index,
        }
        if self.product:
            out["product"] = self.product
        return out


@dataclass(frozen=True)
class TenderReport:
    """The clauses read and the findings, in clause order."""

    clauses: list[Clause]
    findings: list[Finding] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"clauses": len(self.clauses), "findings": [f.to_json() for f in self.findings]}


_PHRASE_END = re.compile(r"[，,；;。!！?？]|(?<=[A-Za-z])\.\s")


def _phrase(text: str, start: int, end: int) -> tuple[int, int]:
    """Bounds of the phrase (between commas, semicolons or sentence ends) around a span."""
    lo = 0
    for m in _PHRASE_END.finditer(text, 0, start):
        lo = m.end()
    m2 = _PHRASE_END.search(text, end)
    return lo, (m2.start() if m2 else len(text))


def _negated(text: str, start: int, end: int, kind: _Kind, rules: _Rules) -> bool:
    lo, hi = _phrase(text, start, end)

    def real(pattern: re.Pattern[str], a: int, b: int) -> bool:
        for m in pattern.finditer(text, a, b):
            if not any(n.match(text, m.start()) for n in rules.not_negation):
                return True
        return False

    return (any(real(p, lo, start) for p in kind.before)
            or any(real(p, end, hi) for p in kind.after))


def _first_trigger(text: str, kind: _Kind, rules: _Rules) -> str | None:
    """The first trigger that no allow pattern overlaps and no negation turns around.

    The allow spans are only computed once a trigger matches: most clauses match no trigger of
    a kind, and scanning every allow pattern for them was a fifth of the check's time."""
    allowed: list[tuple[int, int]] | None = None
    for pattern in kind.triggers:
        for m in pattern.finditer(text):
            if m.end() == m.start():
                continue
            if allowed is None:
                allowed = [(a.start(), a.end()) for p in kind.allow for a in p.finditer(text)]
            if any(a < m.end() and m.start() < b for a, b in allowed):
                continue
            if _negated(text, m.start(), m.end(), kind, rules):
                continue
            return m.group(0)
    return None


def check_clauses(
    clauses: Sequence[Clause], *, products: Sequence[CatalogProduct] = (),
    rules: _Rules | None = None,
) -> list[Finding]:
    """Findings for already split clauses (at most one per clause and kind)."""
    r = rules or _default_rules()
    out: list[Finding] = []
    for c in clauses:
        for name in KINDS:
            kind = r.kinds[name]
            hit = _first_trigger(c.text, kind, r)
            product: str | None = None
            why = f"“{hit}”：{kind.name}" if hit else ""
            if hit is None and name == "tailored_spec" and products:
                found = tailored_params(c.text, products)
                if found is not None:
                    prod, shared, second = found
                    hit, product = f"{shared} 项参数", prod.id
                    why = (f"条款中 {shared} 项参数与目录产品 {prod.name}（{prod.id}）相同，其余产品"
                           f"最多 {second} 项：疑似照搬单一产品参数 / {shared} parameters copied "
                           f"from one catalogued product (next best: {second})")
                elif hit is None:
                    for prod in products:
                        model = next((m for m in prod.models if len(m) >= 4 and m in c.text),
                                     None)
                        if model:
                            hit, product = model, prod.id
                            why = (f"条款写明目录产品 {prod.name} 的型号 {model} / names the "
                                   f"model of a catalogued product")
                            break
            if hit is None:
                continue
            out.append(Finding(c.text, name, kind.rule, kind.suggestion, why, hit, c.number,
                               c.line, c.index, product))
    return out


def check_tender(text: str, *, products: Sequence[CatalogProduct] = (),
                 rules: _Rules | None = None) -> TenderReport:
    """Split a tender's text into clauses and check each (see the module docstring)."""
    if not isinstance(text, str):
        raise InvalidRequest("tender text must be a string / 招标文本须为字符串", field="text")
    if len(text) > MAX_CHARS:
        raise InvalidRequest(f"tender text over {MAX_CHARS} characters / 文本过长", field="text")
    clauses = split_clauses(text)
    if not clauses:
        raise InvalidRequest("招标文本为空 / the tender text is empty", field="text")
    return TenderReport(clauses, check_clauses(clauses, products=products, rules=rules))


def baseline_findings(clauses: Sequence[Clause]) -> list[tuple[int, str]]:
    """The keyword peer: ``(clause index, kind)`` wherever a keyword occurs."""
    out: list[tuple[int, str]] = []
    for c in clauses:
        low = c.text.casefold()
        for kind, words in BASELINE_KEYWORDS.items():
            if any(w.casefold() in low for w in words):
                out.append((c.index, kind))
    return out


# ---- reading files --------------------------------------------------------------------------------


def read_tender(path: str | Path) -> str:
    """The text of a ``.docx`` (paragraphs and table cells, in order) or a ``.txt`` file in any
    encoding (UTF-8, GBK/GB18030, …, detected by charset-normalizer). Raises
    ``InvalidRequest`` naming the file for a missing, empty, unreadable or unsupported file."""
    p = Path(path)
    if not p.is_file():
        raise InvalidRequest(f"{p}: 文件不存在 / no such file", field="file")
    suffix = p.suffix.lower()
    if suffix == ".docx":
        return _read_docx(p)
    if suffix in (".txt", ".text", ".md", ""):
        return _read_text(p.read_bytes(), str(p))
    raise InvalidRequest(f"{p}: 仅支持 .docx 与 .txt / only .docx and .txt are read "
                         f"(save a .doc or .pdf as one of them)", field="file")


def _read_text(data: bytes, name: str) -> str:
    if not data.strip():
        raise InvalidRequest(f"{name}: 文件为空 / empty file", field="file")
    if data.startswith(b"PK\x03\x04"):
        raise InvalidRequest(f"{name}: 这是 .docx/.zip 文件，请用 .docx 扩展名 / a zip "
                             f"(docx) file: name it .docx", field="file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:  # GBK / GB18030, the usual encoding of Chinese tenders; short texts fool detectors
        text = data.decode("gb18030")
        if not any("\ue000" <= ch <= "\uf8ff" or (ord(ch) < 32 and ch not in "\t\r\n\f")
                   for ch in text):
            return text
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise InvalidRequest(f"{name}: 无法识别文本编码 / cannot detect the text encoding",
                             field="file")
    return str(best)


def _read_docx(path: Path) -> str:
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph
    except ImportError as exc:  # pragma: no cover - pinned dependency
        raise InvalidRequest("reading .docx needs python-docx (pip install python-docx)",
                             field="file") from exc
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises several types for a broken file
        raise InvalidRequest(f"{path}: 不是有效的 .docx 文件 / not a valid .docx file: {exc}",
                             field="file") from exc
    lines: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(child, document).text)
        elif tag == "tbl":
            for row in Table(child, document).rows:
                seen: set[int] = set()
                for cell in row.cells:
                    if id(cell._tc) in seen:  # merged cells repeat
                        continue
                    seen.add(id(cell._tc))
                    lines.extend(par.text for par in cell.paragraphs)
    return "\n".join(lines)


# ---- evaluation on a labelled set -------------------------------------------------------------------


def load_labelled(path: str | Path) -> tuple[list[dict[str, Any]], list[CatalogProduct]]:
    """Labelled clauses from a JSONL file — ``{"text": …, "kinds": [...]}`` per line (``kinds``
    empty for a compliant clause) — and the catalogue in ``products.jsonl`` beside it, if any
    (``{"id", "name", "text"}``). Errors name the file, line and column."""
    p = Path(path)
    if not p.is_file():
        raise InvalidRequest(f"{p}: 文件不存在 / no such file", field="file")
    cases: list[dict[str, Any]] = []
    for n, line in enumerate(p.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidRequest(f"{p}:{n}:{exc.colno}: not JSON: {exc.msg}",
                                 field="file") from exc
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise InvalidRequest(f"{p}:{n}:1: each line needs a string \"text\"", field="file")
        kinds = row.get("kinds", [])
        bad = [k for k in kinds if k not in KINDS] if isinstance(kinds, list) else [kinds]
        if bad:
            raise InvalidRequest(f"{p}:{n}: unknown kind(s) {bad}; use {', '.join(KINDS)}",
                                 field="file")
        cases.append({"text": row["text"], "kinds": sorted(set(kinds)), "line": n})
    products: list[CatalogProduct] = []
    cat = p.with_name("products.jsonl")
    if cat.is_file():
        for n, line in enumerate(cat.read_text("utf-8").splitlines(), 1):
            if line.strip():
                try:
                    row = json.loads(line)
                    products.append(catalog_product(row["id"], row["name"], row.get("text", "")))
                except (json.JSONDecodeError, KeyError, TypeError) as exc:
                    raise InvalidRequest(f"{cat}:{n}: bad product line: {exc}",
                                         field="file") from exc
    return cases, products


def _prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "tp": tp, "fp": fp, "fn": fn}


def evaluate_tender(path: str | Path, *, products: Sequence[CatalogProduct] | None = None
                    ) -> dict[str, Any]:
    """Precision and recall of the rules and of the keyword baseline on a labelled set, over
    (clause, kind) pairs; each labelled line is one clause. Also lists the rules' errors."""
    cases, own = load_labelled(path)
    catalogue = list(products) if products is not None else own
    clauses = [Clause(i, "", c["text"], c["line"]) for i, c in enumerate(cases)]
    gold = {(i, k) for i, c in enumerate(cases) for k in c["kinds"]}
    found = {(f.index, f.kind) for f in check_clauses(clauses, products=catalogue)}
    base = set(baseline_findings(clauses))

    def score(pred: set[tuple[int, str]]) -> dict[str, Any]:
        out: dict[str, Any] = _prf(len(pred & gold), len(pred - gold), len(gold - pred))
        out["per_kind"] = {
            k: _prf(len({x for x in pred & gold if x[1] == k}),
                    len({x for x in pred - gold if x[1] == k}),
                    len({x for x in gold - pred if x[1] == k}))
            for k in KINDS
        }
        return out

    errors = [
        {"line": cases[i]["line"], "text": cases[i]["text"], "kind": k,
         "error": "false_positive" if (i, k) in found else "missed"}
        for i, k in sorted(found ^ gold)
    ]
    return {
        "file": str(path),
        "clauses": len(cases),
        "compliant": sum(1 for c in cases if not c["kinds"]),
        "rules": score(found),
        "baseline": score(base),
        "errors": errors,
    }
