"""Every named score part a job can return has a Chinese and an English name and meaning on the
web page (``PARTS`` in ``app.js``): officials never see a raw feature key."""

from __future__ import annotations

import json
import re
from pathlib import Path

from matching.learn.consortium import CONSORTIUM_FEATURES
from matching.learn.transfers import TRANSFER_FEATURES
from matching.partners import PARTNER_FEATURES
from matching.scoring import Weights

APP = Path(__file__).resolve().parents[2] / "api" / "web" / "app.js"


def _labels() -> dict[str, list[list[str]]]:
    text = APP.read_text(encoding="utf-8")
    start = text.index("const PARTS = {")
    block = text[start:text.index("\n};", start)]
    rows = re.findall(r"^\s+(\w+): (\[\[.*\]\]),$", block, re.M)
    return {key: json.loads(value) for key, value in rows}


def test_every_part_of_every_job_is_named_in_both_languages() -> None:
    labels = _labels()
    names = set(PARTNER_FEATURES) | set(Weights.DEFAULTS) | set(CONSORTIUM_FEATURES)
    names |= {part for parts in TRANSFER_FEATURES.values() for part in parts}
    missing = sorted(names - set(labels))
    assert not missing, f"no label in app.js PARTS: {missing}"
    for key in names:
        (zh_name, zh_meaning), (en_name, en_meaning) = labels[key]
        assert re.search(r"[\u4e00-\u9fff]", zh_name + zh_meaning), key  # Chinese first
        assert en_name and en_meaning, key
