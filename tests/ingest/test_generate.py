"""The demo-data generator: determinism, counts, referential integrity, real patents, codes."""

from __future__ import annotations

import csv
import datetime as dt
import doctest
import filecmp
import importlib
from collections import Counter
from pathlib import Path

import pytest
from stdnum.cn import uscc

from graph.model import OrgKind
from graph.networkx_store import NetworkxStore
from graph.taxonomy import fields, regions
from ingest.generate import write_demo
from ingest.generate.common import COLUMNS
from ingest.generate.patents import DEFAULT_PATENTS, classify
from ingest.generate.scenarios import TECHS
from ingest.generate.vocab import FAMILIES, family_by_key

Rows = dict[str, list[dict[str, str]]]

MINIMUMS = {
    "organizations": 300, "equipment": 150, "patents": 1000, "technologies": 30,
    "alliances": 15, "projects": 40, "demands": 80, "pitches": 40,
}
CQ_DISTRICTS = {t.name for t in regions().values() if t.parent == "region:CN-CQ"}

pytestmark = pytest.mark.skipif(not DEFAULT_PATENTS.is_file(), reason="shared patents missing")


def _read(folder: Path) -> Rows:
    out: Rows = {}
    for kind in COLUMNS:
        with (folder / f"{kind}.csv").open(encoding="utf-8", newline="") as fh:
            out[kind] = list(csv.DictReader(fh))
    return out


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int], Rows]:
    folder = tmp_path_factory.mktemp("demo")
    seen: list[tuple[str, int]] = []
    counts = write_demo(folder, progress=lambda kind, n: seen.append((kind, n)))
    assert {kind for kind, _ in seen} == set(COLUMNS)
    return folder, counts, _read(folder)


def _split(cell: str) -> list[str]:
    return [v for v in cell.split(";") if v]


def test_same_seed_gives_identical_files(
    demo: tuple[Path, dict[str, int], Rows], tmp_path: Path,
) -> None:
    folder, counts, _ = demo
    again = write_demo(tmp_path / "again")
    assert again == counts
    names = [f"{k}.csv" for k in COLUMNS]
    match, mismatch, errors = filecmp.cmpfiles(folder, tmp_path / "again", names, shallow=False)
    assert mismatch == [] and errors == []
    assert len(match) == len(COLUMNS)


def test_another_seed_gives_other_files(
    demo: tuple[Path, dict[str, int], Rows], tmp_path: Path,
) -> None:
    folder, _, _ = demo
    write_demo(tmp_path / "other", seed=8, scale=1.0)
    assert (folder / "organizations.csv").read_bytes() != (
        tmp_path / "other" / "organizations.csv"
    ).read_bytes()


def test_counts_meet_the_minimums(demo: tuple[Path, dict[str, int], Rows]) -> None:
    _, counts, rows = demo
    for kind, minimum in MINIMUMS.items():
        assert counts[kind] >= minimum, kind
        assert len(rows[kind]) == counts[kind], kind
    assert counts["relations"] == len(rows["relations"])


def test_every_organisation_kind_is_present(demo: tuple[Path, dict[str, int], Rows]) -> None:
    kinds = Counter(k for r in demo[2]["organizations"] for k in _split(r["kinds"]))
    assert set(kinds) == {k.value for k in OrgKind}
    assert min(kinds.values()) >= 5


def test_ids_are_unique_and_every_reference_exists(
    demo: tuple[Path, dict[str, int], Rows],
) -> None:
    rows = demo[2]
    ids: Counter[str] = Counter(
        r["id"] for kind, items in rows.items() if kind != "relations" for r in items
    )
    assert [i for i, n in ids.items() if n > 1] == []
    orgs = {r["id"] for r in rows["organizations"]}
    every = set(ids)
    refs = (
        [(m, orgs) for r in rows["equipment"] for m in _split(r["maker_ids"])]
        + [(m, orgs) for r in rows["patents"] for m in _split(r["owner_ids"])]
        + [(r["owner_id"], orgs) for r in rows["technologies"]]
        + [(m, orgs) for r in rows["alliances"] for m in _split(r["member_ids"])]
        + [(r["owner_id"], orgs) for r in rows["projects"]]
        + [(r["org_id"], orgs) for r in rows["pitches"]]
        + [(r["project_id"], {p["id"] for p in rows["projects"]}) for r in rows["demands"]]
        + [(r[end], every) for r in rows["relations"] for end in ("source", "target")]
    )
    missing = [ref for ref, pool in refs if ref not in pool]
    assert missing == []
    users = {r["id"] for r in rows["organizations"] if "user" in _split(r["kinds"])}
    assert all(r["owner_id"] in users for r in rows["projects"])


def test_relations_carry_history(demo: tuple[Path, dict[str, int], Rows]) -> None:
    rows = demo[2]["relations"]
    types = Counter(r["type"] for r in rows)
    assert {"PARTICIPATES_IN", "DEMONSTRATED_IN", "CITES", "MEMBER_OF"} <= set(types)
    roles = {r["role"] for r in rows if r["type"] == "PARTICIPATES_IN"}
    assert {"design_institute", "integrator", "research", "manufacturer", "testing_body"} <= roles
    assert all(r["role"] == "lead" for r in rows if r["type"] == "MEMBER_OF")
    # co-participation: some pair of organisations worked on more than one project together
    by_project: dict[str, list[str]] = {}
    for r in rows:
        if r["type"] == "PARTICIPATES_IN":
            by_project.setdefault(r["target"], []).append(r["source"])
    pairs = Counter(
        (a, b) for members in by_project.values() for a in members for b in members if a < b
    )
    assert pairs.most_common(1)[0][1] >= 2


def test_credit_codes_are_valid_and_unique(demo: tuple[Path, dict[str, int], Rows]) -> None:
    codes = [r["uscc"] for r in demo[2]["organizations"] if r["uscc"]]
    assert len(codes) >= 250
    assert [c for c in codes if len(c) != 18 or not uscc.is_valid(c)] == []
    assert len(set(codes)) == len(codes)


def test_patents_are_real_titles(demo: tuple[Path, dict[str, int], Rows]) -> None:
    with DEFAULT_PATENTS.open(encoding="utf-8", newline="") as fh:
        real = {r["id"]: (r["title"], r["ipc"]) for r in csv.DictReader(fh)}
    for r in demo[2]["patents"]:
        assert real.get(r["id"]) == (r["title"], r["ipc"]), r["id"]


def test_field_ids_exist(demo: tuple[Path, dict[str, int], Rows]) -> None:
    rows = demo[2]
    known = set(fields())
    used = {r["field"] for kind in ("equipment", "technologies", "demands", "pitches")
            for r in rows[kind]}
    used |= {r["field"] for r in rows["alliances"] if r["field"]}
    assert used - known == set()
    leaves = {f for f in known if "." in f or not any(g.startswith(f + ".") for g in known)}
    assert len({r["field"] for r in rows["equipment"]} & leaves) >= 30


def test_value_domains(demo: tuple[Path, dict[str, int], Rows]) -> None:
    rows = demo[2]
    techs = rows["technologies"]
    military = [t for t in techs if t["origin"] == "military"]
    assert len(military) * 3 >= len(techs) >= len(military) * 2
    assert {t["clearance"] for t in military} == {"public", "restricted", "secret"}
    assert all(1 <= int(t["trl"]) <= 9 for t in techs)
    alliance_kinds = {a["kind"] for a in rows["alliances"]}
    assert alliance_kinds == {"innovation", "demonstration", "ip", "industry"}
    assert {p["kind"] for p in rows["projects"]} == {"key_project", "demonstration", "military"}
    assert {p["region"] for p in rows["projects"]} <= CQ_DISTRICTS
    for d in rows["demands"]:
        assert dt.date.fromisoformat(d["needed_by"]) > dt.date(2026, 1, 1)
        assert int(d["quantity"]) > 0 and int(d["budget_wan"]) > 0
    stage_trl = {"idea": (1, 3), "prototype": (4, 5), "pilot": (6, 7), "product": (8, 9)}
    for p in rows["pitches"]:
        lo, hi = stage_trl[p["stage"]]
        assert lo <= int(p["trl"]) <= hi


def test_some_organisations_are_not_local(demo: tuple[Path, dict[str, int], Rows]) -> None:
    regions_used = Counter(r["region"] for r in demo[2]["organizations"])
    away = {r for r in regions_used if r not in CQ_DISTRICTS}
    assert {"四川省", "DE"} <= away
    assert 0.05 < sum(regions_used[r] for r in away) / sum(regions_used.values()) < 0.3


def test_aliases_do_not_collide_with_names(demo: tuple[Path, dict[str, int], Rows]) -> None:
    orgs = demo[2]["organizations"]
    aliases = [a for r in orgs for a in _split(r["aliases"])]
    assert len(aliases) >= 60
    assert len(set(aliases)) == len(aliases)
    assert not set(aliases) & {r["name"] for r in orgs}


def test_shield_demand_has_real_suppliers_and_distractors(
    demo: tuple[Path, dict[str, int], Rows],
) -> None:
    rows = demo[2]
    epb = family_by_key("epb_shield")
    shield_demands = [d for d in rows["demands"] if any(a in d["text"] for a in epb.aliases)]
    assert shield_demands
    assert all(d["field"] == epb.field for d in shield_demands)
    assert not any(epb.name in d["text"] for d in shield_demands)  # paraphrased
    makers = {m for e in rows["equipment"] if e["name"].endswith(epb.name)
              for m in _split(e["maker_ids"])}
    assert 2 <= len(makers) <= 6
    same_field = {m for e in rows["equipment"] if e["field"] == epb.field
                  and not e["name"].endswith(epb.name) for m in _split(e["maker_ids"])}
    assert len(same_field - makers) >= 3  # pipe-jacking, cutter and TBM makers


def test_every_demand_has_several_makers(demo: tuple[Path, dict[str, int], Rows]) -> None:
    rows = demo[2]
    makers = [r for r in rows["organizations"] if "manufacturer" in _split(r["kinds"])]
    for d in rows["demands"]:
        fams = [f for f in FAMILIES if any(w in d["text"] for w in f.aliases + f.specs)]
        assert fams, d["id"]
        offering = [
            max(sum(f.name in m["description"] for m in makers) for f in fams),
            max(sum(e["name"].endswith(f.name) for e in rows["equipment"]) for f in fams),
        ]
        assert offering[0] >= 2 and offering[1] >= 1, (d["id"], offering)


def test_military_technologies_have_civil_demand(demo: tuple[Path, dict[str, int], Rows]) -> None:
    texts = [d["text"] for d in demo[2]["demands"]]
    for spec in TECHS:
        if spec.origin != "military":
            continue
        fams = [family_by_key(k) for k in spec.serves]
        assert any(a in t for f in fams for a in f.aliases + f.specs for t in texts), spec.name


@pytest.mark.parametrize("module", ["common", "patents", "demo"])
def test_docstring_examples(module: str) -> None:
    result = doctest.testmod(importlib.import_module(f"ingest.generate.{module}"))
    assert result.failed == 0 and result.attempted > 0


def test_classify_prefers_specific_ipc_and_family_keywords() -> None:
    assert classify("可360°旋转的盾构管片拼装装置", ["E21D", "G05B"]) == (
        "field:construction.tunnel", "epb_shield",
    )
    assert classify("一种交叉洞室爆破开挖方法", ["E21D"]) == ("field:construction.tunnel", None)
    assert classify("数据处理方法", ["G06F"]) == (None, None)


def test_scale_adds_synthetic_patents(tmp_path: Path) -> None:
    counts = write_demo(tmp_path, scale=3.0)
    assert counts["organizations"] == 900
    assert counts["patents"] == 7000
    rows = _read(tmp_path)
    ids = [r["id"] for r in rows["patents"]]
    assert len(set(ids)) == len(ids)
    synthetic = [i for i in ids if i.startswith("CN9")]
    assert len(synthetic) == 7000 - (len(ids) - len(synthetic)) > 0
    names = [r["name"] for r in rows["organizations"]]
    assert len(set(names)) == len(names)


def test_loads_without_errors(demo: tuple[Path, dict[str, int], Rows], tmp_path: Path) -> None:
    from ingest.load import load_paths

    folder, counts, _ = demo
    store = NetworkxStore(tmp_path / "demo.db")
    try:
        report = load_paths(store, [folder])
        version = store.version()
        # Relationship rows repeat some derived edges (with a role): loading again still
        # changes nothing, and each edge counts once.
        again = load_paths(store, [folder])
        assert again.written is not None and not again.written.changed
        assert store.version() == version
        assert report.written is not None
        created = report.written.nodes_created + report.written.edges_created
        assert again.written.unchanged == created
    finally:
        store.close()
    assert report.errors == [] and report.rejected == 0
    assert report.merged == [] and report.likely_duplicates == []
    nodes = sum(v for k, v in counts.items() if k != "relations")
    assert report.nodes >= nodes
