"""Name parts for fictional organisations, and where they are registered.

Every name is made of a place, a fictional brand word and an industry word; none is meant to
be a real organisation. Administrative division codes (GB/T 2260) go into the unified social
credit codes.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BRANDS",
    "CQ_DISTRICTS",
    "ELSEWHERE",
    "FOREIGN",
    "SECTORS",
    "Place",
    "Sector",
]


@dataclass(frozen=True)
class Place:
    region: str  # the region column: a Chongqing district, a province, or a country code
    short: str  # the place word in names
    division: str  # six-digit administrative division code; "" abroad
    weight: int = 1


def _cq(name: str, code: str, weight: int = 1) -> Place:
    return Place(name, "重庆", code, weight)


# Chongqing districts by Chinese name (as in graph/data/regions.csv); industrial ones weigh more.
CQ_DISTRICTS: tuple[Place, ...] = (
    _cq("渝中区", "500103", 2), _cq("大渡口区", "500104", 2), _cq("江北区", "500105", 3),
    _cq("沙坪坝区", "500106", 4), _cq("九龙坡区", "500107", 5), _cq("南岸区", "500108", 3),
    _cq("北碚区", "500109", 3), _cq("渝北区", "500112", 5), _cq("巴南区", "500113", 3),
    _cq("万州区", "500101", 2), _cq("涪陵区", "500102", 2), _cq("黔江区", "500114"),
    _cq("长寿区", "500115", 3), _cq("江津区", "500116", 3), _cq("合川区", "500117", 2),
    _cq("永川区", "500118", 2), _cq("南川区", "500119"), _cq("綦江区", "500110", 2),
    _cq("大足区", "500111", 2), _cq("璧山区", "500120", 3), _cq("铜梁区", "500151", 2),
    _cq("潼南区", "500152"), _cq("荣昌区", "500153"), _cq("开州区", "500154"),
    _cq("梁平区", "500155"), _cq("武隆区", "500156"), _cq("丰都县", "500230"),
    _cq("垫江县", "500231"), _cq("忠县", "500233"), _cq("云阳县", "500235"),
    _cq("奉节县", "500236"), _cq("石柱土家族自治县", "500240"),
    _cq("两江新区", "500112", 6), _cq("重庆高新区", "500106", 4),
)

# Chinese places outside Chongqing: the region column names the province or municipality.
ELSEWHERE: tuple[Place, ...] = (
    Place("四川省", "成都", "510107", 4), Place("四川省", "德阳", "510603", 2),
    Place("上海市", "上海", "310115", 3), Place("江苏省", "苏州", "320505", 2),
    Place("湖南省", "长沙", "430104", 2), Place("北京市", "北京", "110108", 2),
    Place("陕西省", "西安", "610113", 1), Place("湖北省", "武汉", "420111", 1),
    Place("辽宁省", "沈阳", "210106", 1), Place("广东省", "深圳", "440305", 1),
)

# Abroad: the region column is an ISO country code.
FOREIGN: tuple[Place, ...] = (
    Place("DE", "德国", "", 3), Place("JP", "日本", "", 1), Place("IT", "意大利", "", 1),
    Place("SE", "瑞典", "", 1),
)

# Fictional two-character brand words: old Chongqing place names, mountains, rivers, virtues.
def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


BRANDS: tuple[str, ...] = _words(
    "渝江 山城 巴山 缙云 朝天 鹅岭 南山 龙溪 金凤 长嘉 华岩 铜锣 明月 黛湖 歌乐 双碑 磁器 悦来 "
    "水土 蔡家 礼嘉 鱼洞 西彭 双福 白市 界石 茶园 龙兴 复盛 寸滩 果园 木洞 圣灯 渝新 渝盛 渝泰 "
    "渝恒 渝能 渝安 瑞渝 中渝 华渝 兴渝 博渝 巴渝 嘉陵 綦河 涪江 乌江 大宁 龙门 九峰 云篆 玉峰 "
    "金佛 四面 黑山 仙女 天坑 石林 峡江 三峡 夔门 白帝 钓鱼 合阳 双凤 凤鸣 来凤 青木 丁家 璧泉 "
    "安居 宝顶 昌州 海棠 万盛 花溪 长生 虎溪 陈家 西永 曾家 井口 童家 歇马 施家 静观 澄江 天府 "
    "蔡坝 洛碛 晏家 鱼嘴 郭家 复兴 两路 回兴 宝圣 玉带 金开 星光 汇川 弘渝 同创 启明 精诚 恒通 "
    "远景 聚鑫 鼎盛 卓越 凌云 致远 宏图 锐思 力行 嘉信 合众 智远 捷力 川渝 成渝 西部 长江"
)


@dataclass(frozen=True)
class Sector:
    """An industry that owns projects: its user organisations and what they are called."""

    key: str
    user_words: tuple[str, ...]  # industry word in an owner's name
    user_suffix: str
    design_word: str  # a design institute of the sector is a "...{word}设计研究院"


SECTORS: tuple[Sector, ...] = (
    Sector("metro", ("轨道交通", "城市轨道"), "（集团）有限公司", "轨道交通"),
    Sector("transport", ("交通建设", "高速公路", "铁路投资"), "集团有限公司", "交通规划勘察"),
    Sector("water", ("水利投资", "水资源开发", "水务"), "集团有限公司", "水利电力"),
    Sector("energy", ("能源", "发电", "清洁能源"), "有限公司", "电力"),
    Sector("grid", ("电力", "供电", "输变电"), "有限公司", "电力"),
    Sector("oilgas", ("页岩气勘探开发", "天然气", "石化"), "有限公司", "石油化工"),
    Sector("chemical", ("化工", "新材料", "天然气化工"), "股份有限公司", "化工"),
    Sector("mining", ("煤矿", "矿业", "能源投资"), "有限责任公司", "煤炭"),
    Sector("metal", ("钢铁", "铝业", "特钢"), "（集团）有限责任公司", "冶金"),
    Sector("auto", ("汽车", "摩托车", "汽车零部件"), "股份有限公司", "机械工业"),
    Sector("machinery", ("机械", "齿轮", "精密制造"), "有限公司", "机械工业"),
    Sector("aero", ("航空工业", "通用航空", "机场"), "集团有限公司", "航空工业"),
    Sector("health", ("人民医院", "中心医院", "医科大学附属医院"), "", "医疗建筑"),
    Sector("environment", ("环境", "环保产业", "固废处置"), "集团有限公司", "市政环境"),
    Sector("electronics", ("电子", "半导体", "显示科技"), "有限公司", "电子工程"),
    Sector("logistics", ("港务物流", "航运", "物流"), "集团有限公司", "港口航道"),
    Sector("agri", ("农业发展", "农业投资", "现代农业"), "集团有限公司", "农业工程"),
    Sector("consumer", ("食品", "纸业", "纺织"), "股份有限公司", "轻工"),
    Sector("emergency", ("应急救援中心", "安全应急保障中心", "防汛抗旱物资中心"), "", "安全工程"),
    Sector("defense", ("装备保障", "机电", "精密机械"), "厂", "兵器工业"),
)
