"""A catalogue and evaluations batch over the demo (scale 0.1): two national batches with an
equipment that entered, one that left with its reason, insured entries, a military project,
independent and dependent testing bodies."""

from __future__ import annotations

import csv
from pathlib import Path


def _w(folder: Path, name: str, header: list[str], rows: list[list[str]]) -> None:
    with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(header)
        out.writerows(rows)


def write_catalogue_batch(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    _w(folder, "organizations", ["id", "name", "kinds", "parent_id"], [
        ["org:lab-own", "曾家盾构检测中心", "testing_body", "org:0001"],  # owned by the maker
        ["org:lab-free", "重庆独立检测研究院", "testing_body", ""],
    ])
    _w(folder, "projects", ["id", "name", "owner_id", "kind"], [
        ["prj:mil", "某军用隧道工程", "org:0013", "military"],
    ])
    _w(folder, "catalogue", ["id", "equipment_id", "list", "batch", "entered", "exited",
                             "exit_reason", "premium_wan", "insured_value_wan", "insured_from",
                             "insured_to"], [
        ["ce:1-2023", "eq:0001", "national", "national-2023", "2023-03-01", "", "", "", "", "",
         ""],
        ["ce:1-2024", "eq:0001", "national", "national-2024", "2024-03-01", "", "", "60", "1500",
         "2024-04-01", "2027-04-01"],
        ["ce:2-2023", "eq:0002", "national", "national-2023", "2023-03-01", "2024-03-01",
         "技术已普及，不再属首台套 / no longer first-of-a-kind", "", "", "", ""],
        ["ce:3-2024", "eq:0003", "national", "national-2024", "2024-03-01", "", "", "20",
         "1000", "2024-01-01", "2025-01-01"],
        ["ce:4-2024", "eq:0004", "chongqing", "chongqing-2024", "2024-05-01", "", "", "10",
         "500", "2024-06-01", "2025-06-01"],
    ])
    _w(folder, "evaluations", ["id", "equipment_id", "body_id", "project_id", "date", "verdict",
                               "report_ref", "mtbf_h", "spec_mtbf_h", "localisation_rate",
                               "spec_localisation_rate", "performance"], [
        ["ev:free", "eq:0001", "org:lab-free", "prj:0001", "2024-09-01", "pass", "CQ-2024-001",
         "1200", "1000", "0.85", "0.9", "开挖直径8.8米达标"],
        ["ev:own", "eq:0001", "org:lab-own", "prj:0001", "2024-10-01", "pass", "CQ-2024-002",
         "", "", "", "", ""],
        ["ev:mil", "eq:0003", "org:lab-free", "prj:mil", "2024-11-01", "pass", "MIL-2024-7",
         "", "", "", "", ""],
    ])
    return folder
