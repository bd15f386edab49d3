"""Project types and technologies of the demo ecosystem.

A ``ProjectType`` is a kind of key project an owner in some sector builds, with the equipment
families its demands draw on. A ``TechSpec`` is a technology; military ones (军转民) name the
civil families they could serve, and those families appear in project demands.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PROJECT_TYPES", "TECHS", "ProjectType", "TechSpec"]


@dataclass(frozen=True)
class ProjectType:
    key: str
    sector: str
    kind: str  # key_project, demonstration, military
    names: tuple[str, ...]  # templates with {n} (a number), {brand} and {district}
    purpose: str  # what it is for, in a description
    families: tuple[str, ...]  # Family keys its demands may need
    budget: tuple[int, int]  # total budget, 万元
    weight: int = 2


def _p(
    key: str, sector: str, kind: str, names: str, purpose: str, families: str,
    budget: tuple[int, int], weight: int = 2,
) -> ProjectType:
    return ProjectType(
        key, sector, kind, tuple(names.split("|")), purpose, tuple(families.split()), budget,
        weight,
    )


PROJECT_TYPES: tuple[ProjectType, ...] = (
    _p("metro_line", "metro", "key_project",
       "重庆轨道交通{n}号线{district}段工程|重庆轨道交通{n}号线二期工程|{district}市域快线工程",
       "新建地下线路及车站，缓解中心城区通勤压力",
       "epb_shield epb_shield tbm_cutter metro_vehicle cbtc traction_power platform_door "
       "main_bearing", (800_000, 3_200_000), 4),
    _p("monorail_line", "metro", "key_project",
       "跨座式单轨{n}号线延伸段工程|{district}跨座式单轨环线工程",
       "山地城市跨座式单轨线路延伸，穿越大坡度小半径地段",
       "monorail monorail cbtc traction_power platform_door rail_inspection",
       (300_000, 1_200_000), 2),
    _p("river_tunnel", "transport", "key_project",
       "{brand}长江隧道工程|{brand}嘉陵江越江隧道|{district}过江通道工程",
       "大直径盾构穿越长江主航道，建设城市快速通道",
       "slurry_shield slurry_shield main_seal tbm_cutter concrete_pump hydraulic_cylinder",
       (400_000, 1_500_000), 2),
    _p("mountain_tunnel", "transport", "key_project",
       "{brand}隧道及连接线工程|渝{n}高速{district}段隧道工程|{brand}铁路隧道群工程",
       "穿越中梁山、缙云山等山脉的长大隧道",
       "hard_rock_tbm drill_jumbo tbm_cutter roadheader rescue_pump slope_radar",
       (200_000, 900_000), 2),
    _p("water_diversion", "water", "key_project",
       "渝西水资源配置工程{district}段|{brand}水库及引水隧洞工程|{district}城乡供水一体化工程",
       "新建水库、引水隧洞和输水管线，保障区县供水安全",
       "hard_rock_tbm hydro_gate pipe_jacking drill_jumbo process_meter",
       (150_000, 800_000), 2),
    _p("pipe_gallery", "transport", "key_project",
       "{district}城市综合管廊工程|{brand}地下人行通道工程",
       "采用非开挖技术建设综合管廊和地下通道，减少对交通的影响",
       "pipe_jacking pipe_jacking epb_shield concrete_pump", (50_000, 300_000), 1),
    _p("bridge", "transport", "key_project",
       "{brand}长江大桥工程|{district}跨江大桥工程|成渝中线高铁{district}段桥梁工程",
       "新建大跨度桥梁及桩基工程",
       "bridge_erector rotary_drill tower_crane concrete_pump excavator",
       (100_000, 600_000), 2),
    _p("hydro_station", "water", "key_project",
       "乌江{brand}水电站扩机工程|{brand}抽水蓄能电站|{district}水电站增容改造工程",
       "建设抽水蓄能及常规水电，提升电网调峰能力",
       "pumped_storage hydro_turbine hydro_gate gis uhv_transformer hv_cable vertical_lathe",
       (300_000, 1_600_000), 2),
    _p("wind_farm", "energy", "demonstration",
       "{district}{brand}山地风电场项目|{brand}风电场二期工程",
       "在高海拔山地建设大功率风电，配套储能",
       "wind_turbine wind_gearbox battery_storage gis industrial_uav", (60_000, 300_000), 2),
    _p("pv_storage", "energy", "demonstration",
       "{district}农光互补光伏储能示范项目|{brand}园区源网荷储一体化项目",
       "分布式光伏与储能一体化，提高园区绿电比例",
       "battery_storage pv_inverter charging_station relay_protection", (20_000, 120_000), 2),
    _p("uhv_substation", "grid", "key_project",
       "川渝特高压{brand}换流站工程|{district}500千伏输变电工程|{brand}变电站扩建工程",
       "川渝电网一体化，提升西电东送和主网供电能力",
       "uhv_transformer reactor gis relay_protection hv_cable substation_robot industrial_uav",
       (200_000, 1_000_000), 3),
    _p("gas_power", "energy", "key_project",
       "{district}燃气调峰电站项目|{brand}天然气热电联产工程",
       "建设燃气-蒸汽联合循环调峰电站",
       "gas_turbine compressor heat_exchanger flue_gas process_meter", (150_000, 600_000), 1),
    _p("coal_power", "energy", "key_project",
       "{brand}电厂超低排放改造工程|{district}煤电机组升级改造项目",
       "煤电机组节能降碳和超低排放改造",
       "cfb_boiler flue_gas process_meter", (50_000, 300_000), 1),
    _p("shale_gas", "oilgas", "demonstration",
       "涪陵页岩气田{brand}区块产能建设|{district}页岩气示范区{n}期工程",
       "页岩气水平井钻完井及电驱压裂示范",
       "frac_pump drilling_rig compressor process_meter", (100_000, 500_000), 2),
    _p("chem_park", "chemical", "key_project",
       "长寿经开区{brand}新材料一体化项目|{district}天然气化工升级项目",
       "天然气化工及新材料产业链延伸",
       "hydro_reactor compressor heat_exchanger mvr_evaporator process_meter fire_robot",
       (100_000, 700_000), 2),
    _p("smart_mine", "mining", "demonstration",
       "{brand}煤矿智能化示范工程|{district}矿区智能综采工作面建设",
       "薄煤层智能化开采示范",
       "shearer hydraulic_support roadheader rescue_pump slope_radar", (20_000, 150_000), 2),
    _p("metal_upgrade", "metal", "key_project",
       "{brand}高端铝材产业园项目|{district}特钢产线智能化升级项目",
       "航空及汽车用高端铝板带和特钢产线建设",
       "rolling_mill continuous_caster ladle_furnace flue_gas industrial_ct",
       (100_000, 600_000), 2),
    _p("auto_plant", "auto", "key_project",
       "{brand}新能源汽车智能工厂项目|{district}整车基地产能提升项目",
       "新能源整车及核心零部件智能制造基地",
       "welding_line die_casting servo_press welding_robot painting_robot heavy_agv "
       "vision_inspection laser_welding ev_drive", (200_000, 1_200_000), 4),
    _p("gear_plant", "machinery", "demonstration",
       "{brand}高精度齿轮智能工厂项目|{district}精密减速器产业化项目",
       "高精度齿轮及减速器智能化产线",
       "gear_hobbing gear_grinder five_axis vertical_lathe rv_reducer vision_inspection",
       (20_000, 150_000), 3),
    _p("aero_parts", "aero", "key_project",
       "{brand}航空发动机零部件产业园|{district}通用航空产业基地项目",
       "航空零部件精密制造和通航产业集聚",
       "aero_blade five_axis metal_am industrial_ct industrial_uav", (80_000, 400_000), 2),
    _p("airport", "aero", "key_project",
       "重庆{brand}国际机场T{n}航站楼工程|{district}支线机场改扩建工程",
       "航站楼及配套设施建设",
       "baggage_system smart_warehouse fire_robot charging_station", (300_000, 1_500_000), 1),
    _p("hospital", "health", "key_project",
       "{brand}医学中心建设项目|{district}区域医疗中心项目|{brand}人民医院新院区工程",
       "区域医疗中心建设，提升高端诊疗能力",
       "ct_scanner surgical_robot ultrasound rehab_robot", (60_000, 400_000), 3),
    _p("waste_energy", "environment", "key_project",
       "{district}生活垃圾焚烧发电项目|{brand}固废综合处置中心",
       "生活垃圾焚烧发电及飞灰、污泥协同处置",
       "incinerator flue_gas sludge_dryer mvr_evaporator", (50_000, 250_000), 2),
    _p("water_plant", "environment", "demonstration",
       "{district}污水处理厂提标改造工程|{brand}工业园区废水零排放项目",
       "污水提标改造和高盐废水零排放",
       "mvr_evaporator sludge_dryer process_meter", (10_000, 80_000), 1),
    _p("chip_fab", "electronics", "key_project",
       "{brand}功率半导体封测项目|{district}新型显示模组产业园",
       "功率半导体封测及显示模组产业化",
       "wafer_dicing smt_placer display_inspection vision_inspection smart_warehouse",
       (100_000, 800_000), 2),
    _p("port", "logistics", "key_project",
       "果园港{brand}作业区扩建工程|{district}长江绿色航运示范项目",
       "长江上游航运中心建设和绿色船舶示范",
       "lng_ship marine_propulsion smart_warehouse heavy_agv tower_crane", (80_000, 500_000), 2),
    _p("hill_farming", "agri", "demonstration",
       "{district}丘陵山地宜机化改造示范项目|{brand}柑橘产业园智慧农业项目",
       "丘陵山区农业机械化和智慧果园示范",
       "hill_tractor combine_harvester plant_uav", (3_000, 30_000), 2),
    _p("hydrogen", "logistics", "demonstration",
       "成渝氢走廊{district}示范项目|{brand}绿色物流园充换电项目",
       "氢燃料电池重卡与换电重卡干线物流示范",
       "fuel_cell_truck charging_station ev_drive", (20_000, 150_000), 2),
    _p("consumer_plant", "consumer", "key_project",
       "{brand}生活用纸产业园项目|{district}食品智能工厂项目|{brand}纺织产业园项目",
       "轻工产品产能提升和智能化改造",
       "tissue_machine air_jet_loom aseptic_filling smart_warehouse", (20_000, 200_000), 2),
    _p("emergency", "emergency", "demonstration",
       "{district}应急救援能力提升项目|{brand}地质灾害监测预警示范工程",
       "城市内涝、地质灾害和危化品事故应急能力建设",
       "fire_robot rescue_pump slope_radar industrial_uav", (5_000, 50_000), 2),
    _p("military_base", "defense", "military",
       "某型装备保障基地建设项目（{district}）|{brand}军工智能制造升级项目",
       "军工装备保障和精密制造能力建设",
       "industrial_ct metal_am five_axis heavy_agv industrial_uav", (30_000, 200_000), 1),
)


@dataclass(frozen=True)
class TechSpec:
    name: str
    origin: str  # military, civil
    field: str
    description: str
    serves: tuple[str, ...]  # Family keys of the civil demand it could serve
    trl: tuple[int, int]
    clearance: str


def _t(
    name: str, origin: str, field: str, description: str, serves: str, trl: tuple[int, int],
    clearance: str = "public",
) -> TechSpec:
    return TechSpec(name, origin, "field:" + field, description, tuple(serves.split()), trl,
                    clearance)


TECHS: tuple[TechSpec, ...] = (
    # 军转民: military technologies with plausible civil uses
    _t("装甲车辆液力机械综合传动技术", "military", "components.bearing",
       "源自履带式装甲车辆的大功率液力机械综合传动，功率密度高、换挡平顺，可转用于矿用自卸车、"
       "大型挖掘机和采煤机的重载传动。", "excavator shearer wind_gearbox", (6, 8), "restricted"),
    _t("舰船低噪声永磁推进电机技术", "military", "marine",
       "源自舰艇的大功率低噪声永磁推进电机及变频驱动，可用于内河电动船舶、港作拖轮的综合电力推进。",
       "marine_propulsion lng_ship", (6, 8), "secret"),
    _t("光纤惯性与卫星组合导航技术", "military", "instrument",
       "高精度光纤陀螺惯性导航与北斗组合定位，不依赖外部信号保持姿态精度，可用于盾构机姿态自动"
       "导向、钻机定向和无人机飞控。", "epb_shield slurry_shield drilling_rig industrial_uav",
       (7, 9), "restricted"),
    _t("非制冷红外热成像探测技术", "military", "instrument",
       "源自单兵夜视的非制冷红外焦平面探测器，测温精度高、体积小，可用于变电站巡检机器人、消防"
       "侦察机器人和电力无人机巡检。", "substation_robot fire_robot industrial_uav", (8, 9),
       "public"),
    _t("火炮身管内膛激光熔覆强化技术", "military", "machine_tool.forming",
       "炮管内壁高硬耐磨涂层的激光熔覆工艺，可转用于盾构滚刀刀圈、液压油缸活塞杆和压铸模具的表面"
       "强化，显著延长寿命。", "tbm_cutter hydraulic_cylinder die_casting", (6, 8), "restricted"),
    _t("地面目标监视雷达形变测量技术", "military", "safety",
       "战场监视雷达的干涉测量与微动检测算法，可用于三峡库区滑坡、露天矿边坡的毫米级形变监测预警。",
       "slope_radar", (7, 9), "public"),
    _t("无人机集群协同控制技术", "military", "aviation",
       "多无人机自组网与协同任务分配，可用于输电线路与山区应急的多机协同巡检和物资投送。",
       "industrial_uav plant_uav", (5, 7), "secret"),
    _t("弹药自动装填机械手技术", "military", "intelligent.robot",
       "重载高速精确定位的自动装填机构，可转用于重载搬运机器人、压铸件取件和大件装配。",
       "heavy_agv welding_robot die_casting", (6, 8), "restricted"),
    _t("特种车辆油气悬挂与液压驱动技术", "military", "components.hydraulic",
       "重型特种车辆的油气悬挂和高压液压驱动，可用于丘陵山地拖拉机车身调平和重载液压系统。",
       "hill_tractor hydraulic_pump hydraulic_cylinder", (7, 9), "public"),
    _t("高能X射线工业CT检测技术", "military", "instrument",
       "用于固体发动机装药检测的高能加速器CT，可转用于汽车一体化压铸件、航空铸件的无损检测。",
       "industrial_ct die_casting aero_blade", (7, 9), "secret"),
    # 民用技术
    _t("复合地层盾构刀盘常压换刀技术", "civil", "construction.tunnel",
       "刀具在常压下从刀盘内部更换，避免带压进仓，适用于砂卵石与泥岩复合地层。",
       "epb_shield slurry_shield", (7, 9)),
    _t("山地风电机组载荷自适应控制技术", "civil", "power.wind",
       "根据湍流和地形实时调整变桨与偏航，降低山地风电机组疲劳载荷。", "wind_turbine",
       (6, 8)),
    _t("齿轮高速干切滚齿工艺", "civil", "machine_tool.cnc",
       "无切削液的高速干式滚齿与刀具涂层配套工艺，降低齿轮加工成本和油雾污染。",
       "gear_hobbing", (8, 9)),
    _t("一体化压铸模具热平衡控制技术", "civil", "machine_tool.forming",
       "模具多区温度闭环控制，提升超大型压铸件良率。", "die_casting", (6, 8)),
    _t("跨座式单轨道岔及转向架技术", "civil", "rail.vehicle",
       "适用于大坡度、小半径线路的单轨关节型道岔和转向架设计。", "monorail", (8, 9)),
    _t("换流变压器低局放绝缘技术", "civil", "grid.transformer",
       "特高压换流变压器绝缘结构优化和油纸绝缘工艺。", "uhv_transformer reactor", (7, 9)),
    _t("锂电储能热失控早期预警技术", "civil", "power.solar",
       "基于气体与温度多源信号的电芯级热失控早期预警。", "battery_storage", (6, 8)),
    _t("页岩气电驱压裂集中控制技术", "civil", "petrochem.drilling",
       "多台电驱压裂泵的集中协同控制和远程操作。", "frac_pump", (7, 9)),
    _t("低剂量CT迭代重建算法", "civil", "medical",
       "深度学习与迭代重建结合，显著降低CT辐射剂量。", "ct_scanner", (6, 8)),
    _t("工业缺陷小样本深度学习检测技术", "civil", "intelligent.line",
       "少量样本即可训练的表面缺陷检测模型。", "vision_inspection display_inspection", (5, 7)),
    _t("垃圾焚烧炉排燃烧智能控制技术", "civil", "environment",
       "基于火焰图像的炉排速度与配风智能控制。", "incinerator", (7, 9)),
    _t("丘陵农机底盘自动调平技术", "civil", "agri",
       "坡地作业时车身自动调平与防侧翻。", "hill_tractor combine_harvester", (6, 8)),
    _t("质子交换膜燃料电池电堆技术", "civil", "vehicle",
       "高功率密度金属双极板电堆及低温冷启动。", "fuel_cell_truck", (6, 8)),
    _t("RV减速器摆线齿形修形技术", "civil", "components.bearing",
       "摆线轮齿形修形与高精度磨削，提高减速器精度保持性。", "rv_reducer", (7, 9)),
    _t("就地化继电保护技术", "civil", "grid.switchgear",
       "保护装置就地安装、即插即用，减少二次电缆。", "relay_protection", (7, 9)),
    _t("晶圆激光隐形切割技术", "civil", "electronics",
       "激光在晶圆内部形成改质层后扩膜分离，无崩边。", "wafer_dicing", (5, 7)),
    _t("大直径主轴承国产化技术", "civil", "components.bearing",
       "大直径三排滚子主轴承的材料、热处理和滚子修形技术。", "main_bearing epb_shield", (6, 8)),
    _t("薄煤层智能开采技术", "civil", "coal",
       "煤岩识别与记忆截割结合的薄煤层无人化开采。", "shearer hydraulic_support", (6, 8)),
    _t("铝板带热轧板形控制技术", "civil", "metallurgy",
       "多变量板形闭环控制和轧辊热凸度补偿。", "rolling_mill", (7, 9)),
    _t("高灵敏质谱离子源技术", "civil", "instrument",
       "高效电喷雾离子源与离子传输设计。", "mass_spec", (5, 7)),
)
