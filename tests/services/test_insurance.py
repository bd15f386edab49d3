"""保险补偿: the national rule against hand-computed cases — the rate cap, 80 % of the annual
premium, at most 3 years, settings as caps — and the condition named when it does not apply."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from graph.errors import NodeNotFound
from graph.networkx_store import NetworkxStore
from ingest.generate.demo import write_demo
from ingest.load import load_paths
from matching.catalogue import CatalogueEntry
from matching.insurance import InsuranceRule, compensation, insurance_for
from tests.services.catalogue_data import write_catalogue_batch

D = dt.date


def entry(**over: object) -> CatalogueEntry:
    base: dict[str, object] = dict(
        id="ce:x", equipment="eq:x", name="盾构机", list="national", batch="national-2024",
        entered=D(2024, 1, 1), premium_wan=20.0, insured_value_wan=1000.0,
        insured_from=D(2024, 3, 1), insured_to=D(2025, 3, 1))
    base.update(over)
    return CatalogueEntry(**base)  # type: ignore[arg-type]


def test_hand_computed_cases() -> None:
    rule = InsuranceRule()
    a = compensation(entry(), rule)  # rate 2 %: 0.8 × 20 × 1 year
    assert a.eligible and a.compensation_wan == pytest.approx(16.0)
    b = compensation(entry(premium_wan=50.0), rule)  # rate 5 % counted at 3 %: 0.8 × 30
    assert b.compensation_wan == pytest.approx(24.0)
    assert "above" in next(c.detail for c in b.conditions if c.name == "premium_rate")
    c = compensation(entry(insured_to=D(2029, 3, 1)), rule)  # 5 years counted at 3
    assert c.compensation_wan == pytest.approx(0.8 * 20 * 3)
    assert c.basis["counted_years"] == 3
    half = compensation(entry(insured_to=D(2024, 9, 1)), rule)  # half a year
    assert half.compensation_wan == pytest.approx(0.8 * 20 * 0.5, abs=0.05)


def test_the_failing_condition_is_named() -> None:
    rule = InsuranceRule()
    late = compensation(entry(entered=D(2024, 6, 1)), rule)  # insured before it was listed
    assert not late.eligible and late.compensation_wan == 0
    assert [c.name for c in late.conditions if not c.ok] == ["catalogued"]
    gone = compensation(entry(exited=D(2024, 2, 1), exit_reason="移出"), rule)
    assert [c.name for c in gone.conditions if not c.ok] == ["catalogued"]
    bare = compensation(entry(premium_wan=None, insured_from=None, insured_to=None), rule)
    assert "insured" in [c.name for c in bare.conditions if not c.ok]


def test_caps_are_settings() -> None:
    from api.settings import Settings

    s = Settings(insurance_max_rate=0.05, insurance_share=0.5, insurance_max_years=1)
    rule = InsuranceRule(s.insurance_max_rate, s.insurance_share, s.insurance_max_years)
    a = compensation(entry(premium_wan=50.0, insured_to=D(2027, 3, 1)), rule)
    assert a.compensation_wan == pytest.approx(0.5 * 50 * 1)


@given(premium=st.floats(0, 500), value=st.floats(1, 50_000), days=st.integers(1, 3000))
def test_never_above_the_caps(premium: float, value: float, days: int) -> None:
    e = entry(premium_wan=premium, insured_value_wan=value,
              insured_to=D(2024, 3, 1) + dt.timedelta(days=days))
    a = compensation(e, InsuranceRule())
    assert a.eligible
    yuan = 5e-5  # amounts are rounded to the yuan (0.0001 万元)
    assert a.compensation_wan <= 0.8 * min(premium, 0.03 * value) * 3 + yuan
    assert a.compensation_wan <= 0.8 * premium * (days / 365.25 + 0.01) + yuan


def test_store_and_cli(tmp_path: Path) -> None:
    write_demo(tmp_path / "demo", scale=0.1)
    folders = [tmp_path / "demo", write_catalogue_batch(tmp_path / "cat")]
    db = tmp_path / "s.db"
    s = NetworkxStore(db)
    load_paths(s, folders)
    try:
        by_eq = insurance_for(s, "eq:0001", InsuranceRule(), clearance="public")
        assert by_eq.entry == "ce:1-2024" and by_eq.eligible
        assert by_eq.compensation_wan == pytest.approx(0.8 * min(60, 45) * 3)
        early = insurance_for(s, "ce:3-2024", InsuranceRule(), clearance="public")
        assert [c.name for c in early.conditions if not c.ok] == ["catalogued"]
        none = insurance_for(s, "eq:0005", InsuranceRule(), clearance="public")
        assert not none.eligible and none.conditions[0].name == "catalogued"
        with pytest.raises(NodeNotFound):
            insurance_for(s, "ce:none", InsuranceRule(), clearance="public")
    finally:
        s.close()
    from api.cli import app, build

    build()
    r = CliRunner().invoke(app, ["insurance", "eq:0001", "--store", str(db), "--json"])
    assert r.exit_code == 0, r.stdout
    out = json.loads(r.stdout)
    assert {"eligible", "compensation_wan", "conditions"} <= set(out)
    assert out["eligible"] and out["compensation_wan"] == pytest.approx(108.0)
    r = CliRunner().invoke(app, ["insurance", "ce:3-2024", "--store", str(db)])
    assert r.exit_code == 0 and "catalogued" in r.output
