"""Patent kind, term and in-force status on hand-checked cases (tests/data/ip/terms.jsonl)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from matching.patent_terms import (
    application_check_digit,
    expiry_date,
    kind_from_number,
    parse_date,
    patent_term,
    term_years,
)

from .conftest import DATA

CASES = [json.loads(line) for line in (DATA / "ip" / "terms.jsonl").read_text("utf-8").splitlines()
         if line.strip()]


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_hand_checked_terms(case: dict[str, object]) -> None:
    t = patent_term(case["props"], str(case["id"]),  # type: ignore[arg-type]
                    today=date.fromisoformat(str(case["today"])))
    assert t.kind == case["kind"]
    assert (t.expires.isoformat() if t.expires else None) == case["expires"]
    assert t.in_force == case["in_force"]
    assert t.status == case["status"]
    assert t.why  # every answer says why


def test_check_digit_matches_published_numbers() -> None:
    # 201710601862.3 and 95115608.X are published application numbers.
    assert application_check_digit("201710601862") == "3"
    assert application_check_digit("95115608") == "X"
    with pytest.raises(ValueError, match="not the digits"):
        application_check_digit("2017106018")


def test_kinds_from_numbers() -> None:
    assert kind_from_number("ZL 2017 1 0601862.3") == "invention"
    assert kind_from_number("CN306000002S") == "design"
    assert kind_from_number("CN2857000Y") == "utility_model"
    assert kind_from_number("US9999999B2") is None
    assert kind_from_number("") is None


def test_term_rule_boundaries() -> None:
    assert term_years("design", date(2021, 5, 31)) == 10
    assert term_years("design", date(2021, 6, 1)) == 15
    assert term_years("invention", date(2021, 6, 1)) == 20
    assert term_years("utility_model", date(2021, 6, 1)) == 10
    assert expiry_date("invention", date(2010, 1, 1)) == date(2029, 12, 31)


def test_parse_date_forms() -> None:
    assert parse_date("2015.07.01") == parse_date("20150701") == date(2015, 7, 1)
    assert parse_date("2015-02-30") is None
    assert parse_date("soon") is None
