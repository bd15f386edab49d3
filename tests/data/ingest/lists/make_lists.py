"""Write the list files the tests read (committed; run again only to change them).

``python tests/data/ingest/lists/make_lists.py``: a product list as a municipality publishes it
(title row merged across the columns, a maker merged down over its products, Chinese headers,
short company names, free category names, full-width digits, a notes row), an enterprise
directory with credit codes, a patent export, and GBK / UTF-8-BOM CSV variants.
"""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent

TITLE = "重庆市2023年度第二批首台（套）重大技术装备产品名单"
HEADER = ["序号", "企业名称", "产品名称", "规格型号", "所属领域", "区县"]
PRODUCTS = [
    ["1", "耐德新明和", "垃圾转运压缩设备", "NDX-30", "环保装备", "两江新区"],
    ["2", None, "智能分拣压缩站", "NDX-Z5", "环保装备", None],  # maker merged from above
    [
        "３",
        "重庆机床（集团）有限责任公司",
        "高速干切滚齿机",
        "YS3118CNC7",
        "高档数控机床",
        "南岸区",
    ],
    ["4", "重庆华数机器人有限公司", "六轴工业机器人", "HSR-JR680", "智能制造装备", "渝北区"],
    ["5", "重庆川仪自动化股份有限公司", "智能电磁流量计", "ZLD-200", "检测装备", "北碚区"],
    ["6", "重庆建设车用空调器有限责任公司", "电动汽车热管理系统", "JS-TM2", "汽车零部件", "巴南区"],
    ["7", "重庆宏钢数控机床有限公司", "数控成形磨齿机", "HG-YK7232", "机械加工辅助装备", "江津区"],
    ["8", "重庆某某新材料有限公司", "石墨烯导热膜生产线", "GX-1", "石墨烯新材料", "璧山区"],
]
NOTE = "注：排名不分先后。"

DIRECTORY_HEADER = ["序号", "企业名称", "统一社会信用代码", "所在区县", "法定代表人", "企业简称"]
DIRECTORY = [
    ["1", "重庆耐德新明和工业有限公司", "91500000MA5U45Y2X6", "两江新区", "张某", "耐德新明和"],
    ["2", "重庆华数机器人有限公司", "91500000339497263J", "渝北区", "李某", ""],
    ["3", "重庆川仪自动化股份有限公司", "915000002028993054", "北碚区", "王某", "川仪股份"],
]

PATENT_HEADER = [
    "序号",
    "申请号",
    "发明名称",
    "摘要",
    "申请（专利权）人",
    "IPC主分类号",
    "IPC分类号",
    "申请日",
    "公开（公告）日",
    "授权公告日",
    "法律状态",
]
PATENTS = [
    [
        "1",
        "CN202010123456.7",
        "一种垃圾压缩转运装置",
        "本发明公开了一种垃圾压缩转运装置……",
        "重庆耐德新明和工业有限公司",
        "B65F 3/00",
        "B65F3/00;B30B 9/30",
        "2020.03.02",
        "2020.06.12",
        "2022.01.18",
        "授权",
    ],
    [
        "2",
        "CN201821234567.X",
        "一种机器人关节减速器",
        "本实用新型涉及机器人领域……",
        "重庆华数机器人有限公司；华中科技大学",
        "B25J 9/10",
        "B25J9/10, F16H1/32",
        "2018/7/30",
        "20190315",
        "2019年3月15日",
        "有权",
    ],
    [
        "3",
        "CN202230123456.1",
        "流量计（智能型）",
        "外观设计……",
        "重庆川仪自动化股份有限公司",
        "",
        "",
        "2022-03-01",
        "2022-06-01",
        "",
        "授权",
    ],
]


def product_list(path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Sheet1"
    sheet.append([TITLE])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    sheet.append(HEADER)
    for row in PRODUCTS:
        sheet.append(row)
    sheet.merge_cells("B3:B4")  # 耐德新明和 over its two products
    sheet.append([NOTE])
    sheet.merge_cells(
        start_row=len(PRODUCTS) + 3,
        start_column=1,
        end_row=len(PRODUCTS) + 3,
        end_column=len(HEADER),
    )
    book.create_sheet("Sheet2")  # the empty sheet Excel adds
    book.save(path)


def directory(path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "企业名录"
    sheet.append(["重庆市首台（套）重大技术装备企业名录"])
    sheet.append(DIRECTORY_HEADER)
    for row in DIRECTORY:
        sheet.append(row)
    book.save(path)


def patents_csv(path: Path, encoding: str) -> None:
    with path.open("w", encoding=encoding, newline="") as fh:
        out = csv.writer(fh)
        out.writerow(PATENT_HEADER)
        out.writerows(PATENTS)


def products_csv(path: Path, encoding: str) -> None:
    rows = [r if r[1] else [r[0], PRODUCTS[0][1], *r[2:]] for r in PRODUCTS]
    with path.open("w", encoding=encoding, newline="") as fh:
        out = csv.writer(fh)
        out.writerow([TITLE] + [""] * (len(HEADER) - 1))
        out.writerow(HEADER)
        out.writerows([[c or "" for c in r] for r in rows])
        out.writerow([NOTE] + [""] * (len(HEADER) - 1))


def main() -> None:
    (HERE / "ecosystem").mkdir(exist_ok=True)
    product_list(HERE / "ecosystem" / "首台套产品名单2023第二批.xlsx")
    directory(HERE / "ecosystem" / "企业名录.xlsx")
    patents_csv(HERE / "ecosystem" / "专利检索导出.csv", "utf-8-sig")
    products_csv(HERE / "products_gbk.csv", "gbk")
    products_csv(HERE / "products_bom.csv", "utf-8-sig")
    patents_csv(HERE / "patents_gbk.csv", "gbk")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Sheet1"
    sheet.append(HEADER)
    for row in PRODUCTS[:1]:
        sheet.append(row)
    book.save(HERE / "ecosystem_single.xlsx")


if __name__ == "__main__":
    main()
