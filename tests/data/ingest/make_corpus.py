"""Writes the bad-input corpus in this folder (run from here). Kept so the files can be remade."""

import pathlib
import random

from stdnum.cn import uscc


def main():
    def valid(base):
        return base + uscc.calc_check_digit(base)

    good1 = valid("91500000MA5U7X3L0")
    good2 = valid("91500112MA60XQ9B1")
    print(good1, good2)
    d = pathlib.Path(".")

    def w(path, text, enc="utf-8"):
        p = d / path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(text.encode(enc))


    w(
        "gbk/organizations.csv",
        f"id,name,kinds,uscc,region,description,aliases\norg:gbk1,重庆渝江重型机械有限公司,manufacturer,{good1},九龙坡区,生产大型盾构机及隧道掘进装备,渝江重机\norg:gbk2,重庆市轨道交通（集团）有限公司,user,{good2},渝中区,地铁线路建设业主,\n",
        "gbk",
    )
    w(
        "gbk/equipment.csv",
        "id,name,maker_ids,field,description,catalogue,status\neq:gbk1,土压平衡盾构机,org:gbk1,隧道掘进装备,直径6.98米土压平衡盾构机,chongqing-2023,catalogued\n",
        "gbk",
    )
    w(
        "bom/organizations.csv",
        "\ufeffid,name,kinds,region\norg:bom1,重庆西部检测认证有限公司,testing_body,北碚区\n",
    )
    w("missing_column/organizations.csv", "id,name,region\norg:m1,某公司,渝北区\n")
    bad = good2[:-1] + ("0" if good2[-1] != "0" else "1")
    w(
        "bad_uscc/organizations.csv",
        f"id,name,kinds,uscc\norg:u1,甲公司,manufacturer,{good1}\norg:u2,乙公司,manufacturer,{bad}\n",
    )
    w("dangling/organizations.csv", "id,name,kinds\norg:d1,丙公司,manufacturer\n")
    w("dangling/equipment.csv", "id,name,maker_ids\neq:d1,桥式起重机,org:d1;org:nowhere\n")
    w(
        "duplicate/organizations.csv",
        "id,name,kinds\norg:x1,丁公司,manufacturer\norg:x1,戊公司,manufacturer\n",
    )
    w("empty/organizations.csv", "")
    (d / "binary").mkdir(exist_ok=True)
    rnd = random.Random(5)
    (d / "binary/organizations.csv").write_bytes(bytes(rnd.randrange(256) for _ in range(4096)))
    w(
        "formula/organizations.csv",
        "id,name,kinds,description\norg:f1,己公司,manufacturer,\"=cmd|' /C calc'!A0\"\norg:f2,庚公司,manufacturer,@SUM(1+1)\norg:f3,辛公司,manufacturer,-40℃低温型号\n",
    )
    w(
        "jsonl/organizations.jsonl",
        '{"id": "org:j1", "name": "壬公司", "kinds": ["manufacturer"]}\n{"id": "org:j2", "name": \n',
    )


if __name__ == "__main__":  # pytest imports this file when it collects doctests
    main()
