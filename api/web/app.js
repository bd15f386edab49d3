// firstset web page: an overview of the ecosystem and the jobs, for people who do not write code.
// Chinese first, English switch. Every result shows a match level and a 0–100 score (readable()),
// its score parts with names and meanings (PARTS), and evidence as sentences with names.
"use strict";

// ---- words ----------------------------------------------------------------------------------

// Score parts: [Chinese name, meaning], [English name, meaning]. One table for cards and help.
const PARTS = {
  dense_org: [["整体语义相似", "单位整体资料与需求描述在语义上的接近程度"], ["profile similarity", "how close the organisation's profile is to the demand, in meaning"]],
  dense_item: [["最佳产品/专利相似", "最接近需求的一项产品或专利的语义相似度"], ["best product/patent", "similarity of its single closest product or patent"]],
  lexical: [["关键词匹配", "需求中的关键词在单位资料中出现的程度"], ["keyword match", "how many of the demand's words appear in its records"]],
  ipc: [["IPC 分类相符", "专利的 IPC 分类与需求的技术领域相符"], ["IPC match", "its patents' IPC classes fit the demand's field"]],
  field: [["领域相符", "产品所属领域与需求领域一致"], ["field match", "its products are in the demand's field"]],
  field_text: [["领域名称相符", "需求文字与单位所在领域的中英文名称相近（英文需求也能对上领域）"], ["field name match", "the demand's words match the names of its field, Chinese or English"]],
  dense: [["语义相似", "文字描述在语义上的接近程度"], ["semantic similarity", "how close the descriptions are in meaning"]],
  item: [["最佳产品/专利相似", "单位最接近该需求的一项产品、专利或技术的语义相似度"], ["best product/patent", "similarity of the organisation's single closest product, patent or technology"]],
  proximity: [["与业主的关系", "知识图谱中与项目业主的距离（合作、共同参与）"], ["tie to the owner", "closeness to the project owner in the graph (shared projects, alliances)"]],
  catalogue: [["目录内", "有产品列入首台（套）推广应用目录"], ["catalogued", "has products in a first-set catalogue"]],
  insured: [["首台套保险", "有产品投保首台（套）综合保险"], ["insured", "has products under first-set insurance"]],
  local: [["本地企业（显式加分）", "仅在勾选“优先本地”时计入"], ["local firm (explicit)", "counted only when 'prefer local' is ticked"]],
  fit: [["需求契合", "成员与项目需求的契合程度"], ["fit", "how well the members fit the project's demands"]],
  cohesion: [["协作紧密", "成员之间以往共同参与项目、同属联盟的紧密程度"], ["cohesion", "how closely the members have worked together before"]],
  text: [["文本相似", "文字描述的相似程度"], ["text similarity", "similarity of the descriptions"]],
  maturity: [["成熟度", "技术成熟度（TRL）或所处阶段"], ["maturity", "technology readiness (TRL) or stage"]],
  patents: [["专利", "相关专利的支撑"], ["patents", "support from relevant patents"]],
  products: [["产品", "相关产品的支撑"], ["products", "support from relevant products"]],
  technical_level: [["技术水平", "技术指标的先进程度"], ["technical level", "how advanced the technical figures are"]],
  advancement: [["先进性", "与现有方案相比的先进性"], ["advancement", "advance over existing solutions"]],
  market_demand: [["市场需求", "回应开放需求的程度"], ["market demand", "how much open demand it answers"]],
  conversion_benefit: [["转化效益", "成果转化的预期效益"], ["conversion benefit", "expected benefit of bringing it to market"]],
  coparticipation: [["共同参与", "与已有成员共同参与过的项目"], ["co-participation", "projects shared with the members already in"]],
  similar_projects: [["相似项目", "参与过相似项目"], ["similar projects", "took part in similar projects"]],
  name_text: [["名称相关", "名称与项目的相关程度"], ["name relevance", "how its name relates to the project"]],
  country: [["地区", "所在地区相符"], ["region", "located in the right region"]],
  kind: [["类型", "单位类型符合席位"], ["kind", "its kind fits the seat"]],
  newcomer: [["新单位", "给新单位的机会（不奖励历史业绩）"], ["newcomer", "a chance for newcomers (no reward for track record)"]],
  als: [["合作网络位置相近", "在项目参与网络中的位置与已有成员相近（潜在因子）"], ["network position", "its place in the participation network is close to the members' (latent factors)"]],
  ppr_wide: [["关系可达", "从已有成员出发，经共同项目和所在地区能到达它的程度"], ["reach from the members", "how readily the members reach it through shared projects and regions"]],
  past_projects: [["以往项目相近", "它以往参与的项目与本项目的文字相近"], ["similar past projects", "its past projects read like this one"]],
  degree: [["参与经验", "参与过的项目数量"], ["experience", "how many projects it has taken part in"]],
  newcomer_country: [["新单位·地区", "尚无项目记录的单位：所在地区与成员相符"], ["newcomer: region", "no recorded projects yet; located where the members are"]],
  newcomer_kind: [["新单位·类型", "尚无项目记录的单位：单位类型与成员相符"], ["newcomer: kind", "no recorded projects yet; of the members' kind"]],
  newcomer_name: [["新单位·名称", "尚无项目记录的单位：名称与项目相关"], ["newcomer: name", "no recorded projects yet; its name relates to the project"]],
  coordinator: [["与牵头单位合作过", "与项目牵头单位共同参与过的项目"], ["tie to the lead", "projects shared with the project's lead"]],
  projects: [["项目经验", "参与过的项目数"], ["projects", "how many projects it has taken part in"]],
  cosine: [["与成员合作紧密", "与各成员共同参与的项目数（按双方各自的项目数归一）"], ["ties to the members", "projects shared with each member, relative to both sides' totals"]],
};

const REL_ZH = { MAKES: "生产", OWNS: "拥有", MEMBER_OF: "是成员", PARTICIPATES_IN: "参与", OWNED_BY: "业主为", NEEDS: "需要",
  PRESENTS: "路演", DEMONSTRATED_IN: "示范应用于", CITES: "引用", IN_FIELD: "属于领域", LOCATED_IN: "位于", COLLABORATED_WITH: "合作" };
const REL_EN = { MAKES: "makes", OWNS: "owns", MEMBER_OF: "is a member of", PARTICIPATES_IN: "took part in", OWNED_BY: "is owned by",
  NEEDS: "needs", PRESENTS: "presents", DEMONSTRATED_IN: "was demonstrated in", CITES: "cites", IN_FIELD: "is in field",
  LOCATED_IN: "is located in", COLLABORATED_WITH: "worked with" };

const I18N = {
  zh: {
    skip: "跳到正文", title: "首台（套）重大技术装备 供需匹配",
    subtitle: "为项目业主、联盟和路演组织者找到合适的伙伴，并给出依据。",
    apiKey: "API 密钥", useKey: "使用", anonymous: "未登录（公开只读）",
    tabOverview: "概览", tabSuppliers: "找供应商", tabConsortium: "组建联合体", tabPartners: "补全伙伴", tabShortlist: "路演遴选",
    tabTransfers: "军民技术匹配", tabUpload: "导入数据",
    tabServices: "知识产权与招标", tabCatalogue: "目录与评价", tabWatches: "关注与预警",
    ipTitle: "知识产权预警", ipIntro: "与产品最接近的他人专利（不含制造方、同一集团和合作方），并说明风险等级的依据。",
    ipEquipment: "产品（输入名称查找），或在下方描述", ipText: "产品描述（未选产品时使用）", ipCheck: "检索风险专利",
    needIp: "请选择产品或填写产品描述。", patent: "专利", owner: "权利人", similarity: "相似度", expires: "到期", inForce: "有效",
    why: "依据", risk: "风险", noRisks: "没有发现高度相似的他人专利。", level_none: "无",
    tenderTitle: "招标文件合规提示", tenderIntro: "找出违反渝府办发〔2018〕170号 十四（不得要求市场占有率、使用业绩等）的条款，并给出修改建议。",
    tenderText: "招标文件条款（粘贴文字）", tenderCheck: "检查条款", clause: "条款", rule: "规则", suggestion: "修改建议",
    noFindings: "未发现违反规定的条款。", clausesChecked: "已检查条款数",
    catEquipment: "装备（输入名称查找）", catOn: "日期", catShow: "查看状态与目录历史", status: "状态", statusOn: "当日状态",
    catHistory: "目录历史", evaluations: "示范效果评价", insurance: "保险补偿测算", eligible: "符合条件", compensation: "补偿金额（万元）",
    yes: "是", no: "否", none: "无",
    st_developing: "研制中", st_catalogued: "已列入目录", st_evaluated: "已通过评定", st_demonstrated: "已示范应用", st_insured: "已投保",
    watchIntro: "保存一条需求：新导入的数据与它相符时产生预警。", watchText: "关注的需求描述", watchThreshold: "阈值（高出一般条目的标准差数）",
    watchSave: "保存关注", watchList: "我的关注", alertList: "预警", noWatches: "还没有关注。", noAlerts: "还没有预警。",
    watchSaved: "已保存关注。", created_at: "时间", matched: "相符条目", delete: "删除",
    ovTitle: "生态概览", ovIntro: "按您的密级可见的单位、产品、需求、联盟与路演项目。点击图表中的柱形查看背后的清单。",
    chOrgKind: "单位类型", chOrgDistrict: "单位所在区县", chEquipmentField: "产品领域（已列目录 / 已投保）", chEquipmentBatch: "目录批次",
    chDemandField: "开放需求（有 ≥3 家良好供应商 / 供给缺口）", chAlliance: "联盟及成员数", chPitchStage: "路演项目阶段",
    gapsTitle: "供给缺口（补短板）", gapsIntro: "没有一家“高”或“中”匹配供应商的开放需求。", noGaps: "目前没有供给缺口。",
    ovFigures: "图表数据（表格）", count: "数量", catalogued_n: "已列目录", insured_n: "已投保", open_n: "开放需求",
    well_n: "≥3 家良好供应商", gap_n: "供给缺口", members_n: "成员数", listOf: "清单：", project: "项目", demand: "需求",
    findFor: "找供应商", notJudged: "（未评估）",
    demandLabel: "描述您需要的装备（中文或英文）",
    demandPlaceholder: "例如：直径 8 米以上的土压平衡盾构机，用于轨道交通隧道施工",
    fieldOpt: "领域", regionOpt: "地区", optional: "可选", pickOrType: "输入以查找，可选", local: "优先本地（重庆）企业",
    catalogued: "仅目录内", insured: "仅已投保", top: "数量", findSuppliers: "查找供应商",
    pickFromList: "请从列表中选择", projectLabel: "项目（输入名称查找）", projectPlaceholder: "例如：轨道交通",
    pinnedLabel: "已确定的成员（可选，输入单位名称添加）", orgPlaceholder: "例如：重庆大学", remove: "移除",
    membersLabel: "已有成员（输入单位名称添加）", kindLabel: "单位类型", anyKind: "不限", findPartners: "推荐伙伴",
    partnersIntro: "联合体已有部分成员时，为下一个席位推荐单位。",
    kind_manufacturer: "制造商", kind_design_institute: "设计院", kind_integrator: "集成商", kind_research_institute: "科研院所",
    kind_university: "高校", kind_testing_body: "检测机构", kind_user: "用户（业主）", kind_military_unit: "军工单位", kind_other: "其他",
    roles: "角色：", role_user: "用户（牵头）", role_design_institute: "设计院", role_integrator: "集成商",
    role_research: "科研院所/高校", role_manufacturer: "制造商", role_testing_body: "检测机构",
    alternatives: "备选方案数", localOnly: "仅本地（重庆）", buildConsortium: "组建联合体",
    size: "入围数量", quotas: "领域配额（每行 领域=数量）", makeShortlist: "生成入围名单",
    transferLabel: "技术、需求或单位（输入名称查找）", matchTech: "匹配",
    uploadIntro: "上传 CSV、JSONL、XLSX 文件或数据文件夹的 zip。先校验：列的对应关系和每一条错误行都会列出，校验通过前不会写入任何数据。",
    uploadFile: "数据文件", uploadCheck: "校验（不写入）", uploadLoad: "导入", uploadProgress: "进度",
    needFile: "请先选择文件。", checking: "正在校验…", uploading: "正在上传…", loadingData: "正在写入…",
    checkOk: "校验通过，尚未写入。可以导入。", checkBad: "校验未通过：以下各行有误，未写入任何数据。", loaded: "导入完成。",
    badRows: "错误行", file: "文件", line: "行", column: "列", reason: "原因", mapping: "列的对应关系",
    files: "文件", rows: "行数", nodes: "节点", edges: "关系", created: "新增", updated: "更新", unchanged: "未变",
    merged: "合并的单位", duplicates: "疑似重复",
    close: "关闭", print: "打印", back: "返回", footer: "依据渝府办发〔2018〕170号；评分不奖励历史业绩，仅作展示。",
    score: "评分", rawScore: "原始得分", level: "匹配度", level_high: "高", level_medium: "中", level_low: "低",
    parts: "得分构成", part: "项目", meaning: "含义", evidence: "依据", showGraph: "关系图", accept: "采纳", reject: "否决",
    thanks: "已记录反馈，谢谢。", noResults: "没有找到结果。请换一种说法，或放宽筛选条件。",
    working: "正在计算…", queryTerms: "英文需求另以这些中文词检索：", needText: "请先描述需要的装备。", needProject: "请先从列表中选择一个项目。",
    needPick: "请先从列表中选择一项。", option: "方案", members: "成员", role: "角色", reasons: "理由",
    answers: "回应的需求", noEvidence: "（无具体依据）", graphOf: "关系图：",
    exportXlsx: "导出 Excel", exportCsv: "导出 CSV", proposal: "打印建议书",
    proposalTitle: "示范应用联合体组建建议", proposalLead: "牵头单位：项目业主（用户）。检测机构独立于制造商。",
    proposalPolicy: "依据《重庆市人民政府办公厅关于推进首台（套）重大技术装备示范应用的实施意见》（渝府办发〔2018〕170号）。",
    proposalDate: "生成日期", optionScore: "方案评分",
    scoreHelp: "评分怎么看？",
    scoreHelpText: "每条结果给出匹配度（高/中/低）和 0–100 的评分：评分是匹配成功的估计概率（×100）。70 分以上为“高”，40–69 为“中”，40 分以下为“低”。下表是构成评分的各项及其含义；政策规定不奖励历史业绩。",
    err401: "需要有效的 API 密钥。请在右上角输入密钥。", err403: "您的密钥权限不足，无法执行此操作。",
    err404: "没有找到该对象（或您的密级不允许查看）。", err413: "提交的内容过大。",
    err422: "输入有误", errNet: "无法连接服务，请稍后重试。", err500: "服务出错，请稍后重试。",
    keyBad: "密钥无效。请检查后重新输入；清空密钥并点“使用”可按公开只读方式继续。", roleLabel: "角色", clearance: "密级",
    gDemands: "可对接的需求", gOrganizations: "可承接的单位", gTechnologies: "可用的技术",
    undescribed: "有 {n} 个产品只有名称和型号、没有产品说明，按功能描述的需求难以找到其厂家，请补充用途和技术指标：",
    kinds: { product: "产品", equipment: "产品", description: "简介", patent: "专利", technology: "技术", path: "关系路径", alliance: "联盟", project: "项目", catalogue: "目录", insured: "保险", track_record: "示范业绩", demand: "需求", newcomer: "新单位", shared_project: "共同项目", cohesion: "协作", field: "领域", ipc: "IPC", profile_note: "资料提示", evaluation: "评价" },
    labels: { Organization: "单位", Equipment: "产品", Patent: "专利", Technology: "技术", Alliance: "联盟", Project: "项目", Demand: "需求", Pitch: "路演项目", Field: "领域", Region: "地区" },
  },
  en: {
    skip: "Skip to content", title: "First-set equipment matching",
    subtitle: "Find the right partners for project owners, alliances and roadshows — with the reasons.",
    apiKey: "API key", useKey: "Use", anonymous: "not signed in (public, read-only)",
    tabOverview: "Overview", tabSuppliers: "Find suppliers", tabConsortium: "Build a consortium", tabPartners: "Complete a team",
    tabShortlist: "Roadshow shortlist", tabTransfers: "Military–civil match", tabUpload: "Load data",
    tabServices: "IP & tenders", tabCatalogue: "Catalogue & evaluations", tabWatches: "Watches & alerts",
    ipTitle: "IP early warning", ipIntro: "Other organisations' patents closest to a product (not the maker, its group or partners), with the rule behind each level.",
    ipEquipment: "Product (type to search), or describe it below", ipText: "Product description (when no product is chosen)", ipCheck: "Find risky patents",
    needIp: "Choose a product or describe it.", patent: "patent", owner: "owner", similarity: "similarity", expires: "expires", inForce: "in force",
    why: "why", risk: "risk", noRisks: "No closely similar patents of others found.", level_none: "none",
    tenderTitle: "Tender check", tenderIntro: "Clauses that break 渝府办发〔2018〕170号 §14 (no market-share or track-record requirements), with a suggested rewording.",
    tenderText: "Tender clauses (paste the text)", tenderCheck: "Check clauses", clause: "clause", rule: "rule", suggestion: "suggestion",
    noFindings: "No clause breaks the rules.", clausesChecked: "clauses checked",
    catEquipment: "Equipment (type to search)", catOn: "Date", catShow: "Show status and catalogue history", status: "status", statusOn: "status on the day",
    catHistory: "Catalogue history", evaluations: "Demonstration evaluations", insurance: "Insurance compensation", eligible: "eligible", compensation: "compensation (10k yuan)",
    yes: "yes", no: "no", none: "none",
    st_developing: "developing", st_catalogued: "catalogued", st_evaluated: "evaluated", st_demonstrated: "demonstrated", st_insured: "insured",
    watchIntro: "Save a demand: new data that matches it raises an alert.", watchText: "Demand to watch", watchThreshold: "Threshold (standard deviations above a typical item)",
    watchSave: "Save watch", watchList: "My watches", alertList: "Alerts", noWatches: "No watches yet.", noAlerts: "No alerts yet.",
    watchSaved: "Watch saved.", created_at: "time", matched: "matched item", delete: "Delete",
    ovTitle: "The ecosystem", ovIntro: "Organisations, products, demands, alliances and pitches your clearance lets you see. Click a bar for the list behind it.",
    chOrgKind: "Organisations by kind", chOrgDistrict: "Organisations by district", chEquipmentField: "Products by field (catalogued / insured)",
    chEquipmentBatch: "Catalogue batches", chDemandField: "Open demands (≥3 good suppliers / supply gaps)", chAlliance: "Alliances and members",
    chPitchStage: "Pitches by stage",
    gapsTitle: "Supply gaps", gapsIntro: "Open demands without a single high or medium match.", noGaps: "No supply gaps right now.",
    ovFigures: "Chart figures (tables)", count: "count", catalogued_n: "catalogued", insured_n: "insured", open_n: "open demands",
    well_n: "≥3 good suppliers", gap_n: "supply gaps", members_n: "members", listOf: "List: ", project: "Project", demand: "Demand",
    findFor: "Find suppliers", notJudged: "(not judged)",
    demandLabel: "Describe the equipment you need (Chinese or English)",
    demandPlaceholder: "e.g. earth-pressure-balance shield tunnelling machine, over 8 m diameter, for a metro tunnel",
    fieldOpt: "Field", regionOpt: "Region", optional: "optional", pickOrType: "type to search, optional", local: "Prefer local (Chongqing) firms",
    catalogued: "Catalogued only", insured: "Insured only", top: "How many", findSuppliers: "Find suppliers",
    pickFromList: "please choose from the list", projectLabel: "Project (type to search)", projectPlaceholder: "e.g. metro",
    pinnedLabel: "Members already agreed (optional: type a name to add)", orgPlaceholder: "e.g. Chongqing University", remove: "remove",
    membersLabel: "Members already in (type a name to add)", kindLabel: "Kind", anyKind: "any", findPartners: "Recommend partners",
    partnersIntro: "When part of a consortium is agreed, recommend organisations for the next seat.",
    kind_manufacturer: "Manufacturer", kind_design_institute: "Design institute", kind_integrator: "Integrator", kind_research_institute: "Research institute",
    kind_university: "University", kind_testing_body: "Testing body", kind_user: "User (owner)", kind_military_unit: "Military unit", kind_other: "Other",
    roles: "Roles:", role_user: "User (lead)", role_design_institute: "Design institute", role_integrator: "Integrator",
    role_research: "Research / university", role_manufacturer: "Manufacturer", role_testing_body: "Testing body",
    alternatives: "Alternatives", localOnly: "Local (Chongqing) only", buildConsortium: "Build consortium",
    size: "Shortlist size", quotas: "Field quotas (one field=N per line)", makeShortlist: "Make shortlist",
    transferLabel: "Technology, demand or organisation (type to search)", matchTech: "Match",
    uploadIntro: "Upload a CSV, JSONL or XLSX file, or a zip of a data folder. Check first: the column mapping and every bad row are listed, and nothing is written until the check passes.",
    uploadFile: "Data file", uploadCheck: "Check (writes nothing)", uploadLoad: "Load", uploadProgress: "Progress",
    needFile: "Please choose a file first.", checking: "Checking…", uploading: "Uploading…", loadingData: "Writing…",
    checkOk: "The check passed; nothing written yet. You can load it.", checkBad: "The check failed: these rows are wrong. Nothing was written.", loaded: "Loaded.",
    badRows: "Bad rows", file: "file", line: "line", column: "column", reason: "reason", mapping: "Column mapping",
    files: "files", rows: "rows", nodes: "nodes", edges: "relationships", created: "created", updated: "updated", unchanged: "unchanged",
    merged: "merged organisations", duplicates: "likely duplicates",
    close: "Close", print: "Print", back: "Back", footer: "Per Chongqing 渝府办发〔2018〕170号: scores never reward past sales; track record is shown only.",
    score: "Score", rawScore: "raw score", level: "Match", level_high: "high", level_medium: "medium", level_low: "low",
    parts: "Score parts", part: "part", meaning: "meaning", evidence: "Evidence", showGraph: "Graph", accept: "Accept", reject: "Reject",
    thanks: "Feedback recorded, thank you.", noResults: "No results. Try other words or fewer filters.",
    working: "Working…", queryTerms: "Also searched with these Chinese words: ", needText: "Please describe the equipment first.", needProject: "Please pick a project from the list first.",
    needPick: "Please pick an item from the list first.", option: "Option", members: "Members", role: "Role", reasons: "Reasons",
    answers: "Demands answered", noEvidence: "(no specific evidence)", graphOf: "Graph: ",
    exportXlsx: "Export Excel", exportCsv: "Export CSV", proposal: "Printable proposal",
    proposalTitle: "Proposed demonstration consortium", proposalLead: "Led by the project owner (user). The testing body is independent of the manufacturer.",
    proposalPolicy: "Per Chongqing's implementation opinions on first-set equipment demonstration (渝府办发〔2018〕170号).",
    proposalDate: "Date", optionScore: "option score",
    scoreHelp: "How to read the score",
    scoreHelpText: "Each result has a match level (high / medium / low) and a score from 0 to 100: the estimated probability of a good match, ×100. 70 and above is high, 40–69 medium, below 40 low. The table lists the parts of the score and what they mean; by policy, past sales earn nothing.",
    err401: "A valid API key is needed. Enter it at the top right.", err403: "Your key's role does not allow this.",
    err404: "Not found (or above your clearance).", err413: "What you sent is too large.",
    err422: "Please check your input", errNet: "Cannot reach the service; please try again.", err500: "The service failed; please try again.",
    keyBad: "That key is not valid. Check it and try again, or clear it and press Use to continue read-only.", roleLabel: "role", clearance: "clearance",
    gDemands: "Demands it answers", gOrganizations: "Organisations able to take it on", gTechnologies: "Technologies that fit",
    undescribed: "{n} products have only a name and a model number, no description, so demands told by function will hardly find their makers; add what they do and their specifications: ",
    kinds: { product: "product", equipment: "product", description: "profile", patent: "patent", technology: "technology", path: "path", alliance: "alliance", project: "project", catalogue: "catalogue", insured: "insured", track_record: "track record", demand: "demand", newcomer: "newcomer", shared_project: "shared project", cohesion: "cohesion", field: "field", ipc: "IPC", profile_note: "profile note", evaluation: "evaluation" },
    labels: { Organization: "organisation", Equipment: "product", Patent: "patent", Technology: "technology", Alliance: "alliance", Project: "project", Demand: "demand", Pitch: "pitch", Field: "field", Region: "region" },
  },
};

let lang = localStorage.getItem("firstset.lang") || "zh";
let me = null;
let cy = null;
const charts = {};
let overviewData = null;
const names = new Map(); // id → name of every node the page has seen (evidence is written with names)
const t = (k) => (I18N[lang][k] ?? I18N.zh[k] ?? k);
const $ = (sel) => document.querySelector(sel);
const labelName = (label) => (I18N[lang].labels || {})[label] || label;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function applyLang() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.querySelectorAll("[data-i18n]").forEach((n) => { n.textContent = t(n.dataset.i18n); });
  document.querySelectorAll("[data-i18n-placeholder]").forEach((n) => { n.placeholder = t(n.dataset.i18nPlaceholder); });
  document.querySelectorAll("[data-i18n-aria]").forEach((n) => { n.setAttribute("aria-label", t(n.dataset.i18nAria)); });
  $("#lang").textContent = lang === "zh" ? "English" : "中文";
  showWho();
  renderPartsHelp();
  if (overviewData) renderOverview(overviewData);
}

// ---- API ------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, body) {
    super(body?.error || String(status));
    this.status = status;
    this.body = body || {};
  }
}

function authHeaders() {
  const headers = {};
  const key = localStorage.getItem("firstset.key");
  if (key) headers["X-API-Key"] = key;
  return headers;
}

async function api(path, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json", ...authHeaders() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, { error: t("errNet") });
  }
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

function explain(err) {
  const status = err.status || 0;
  const base = { 0: t("errNet"), 401: t("err401"), 403: t("err403"), 404: t("err404"), 413: t("err413"), 422: t("err422") }[status]
    || (status >= 500 ? t("err500") : "");
  const server = err.body?.error || "";
  const field = err.body?.field ? ` [${err.body.field}]` : "";
  if (status === 422) return `${base}${field}: ${server}`;
  if (status === 404 || status === 413 || status === 0) return base;
  return server && !base.includes(server) ? `${base} ${server}` : base;
}

function showError(err) {
  const box = $("#error");
  box.textContent = typeof err === "string" ? err : explain(err);
  box.hidden = false;
  box.scrollIntoView({ block: "nearest" });
}
function clearError() { $("#error").hidden = true; $("#error").textContent = ""; }
function working(target) { target.replaceChildren(el("p", { class: "working" }, t("working"))); }

// ---- exports: the same request again with ?format=, saved as a file ---------------------------

async function download(path, { method = "GET", body } = {}, filename) {
  const headers = authHeaders();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) { let data = null; try { data = await res.json(); } catch (e) { /* not JSON */ } throw new ApiError(res.status, data); }
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = el("a", { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function exportButtons(target, path, request, name) {
  const box = typeof target === "string" ? $(target) : target;
  const sep = path.includes("?") ? "&" : "?";
  const go = (fmt) => async () => {
    try { await download(`${path}${sep}format=${fmt}`, request, `${name}.${fmt}`); } catch (e) { showError(e); }
  };
  box.replaceChildren(
    el("button", { type: "button", class: "export-xlsx", onclick: go("xlsx") }, t("exportXlsx")),
    el("button", { type: "button", class: "export-csv", onclick: go("csv") }, t("exportCsv")));
}

// ---- who am I -------------------------------------------------------------------------------

async function loadMe() {
  try {
    me = await api("/api/me");
  } catch (e) {
    me = null;
    if (e.status === 401 && localStorage.getItem("firstset.key")) showError(t("keyBad"));
    else if (e.status !== 401) showError(e);
  }
  showWho();
  const cleared = me && me.clearance && me.clearance !== "public";
  const editor = me && me.authenticated && (me.role === "editor" || me.role === "admin");
  $("#tab-transfers").hidden = !cleared;
  $("#tab-upload").hidden = !editor;
  $("#tab-watches").hidden = !(me && me.authenticated);
  const active = document.querySelector(".tab.active");
  if (active && active.hidden) selectTab("overview");
  loadOverview();
}

function showWho() {
  const who = $("#who");
  if (!who) return;
  if (!me) { who.textContent = ""; return; }
  who.textContent = me.authenticated ? `${t("roleLabel")}: ${me.role} · ${t("clearance")}: ${me.clearance}` : t("anonymous");
}

// ---- readable results -----------------------------------------------------------------------

// The one place that turns a result into what people read: a 0–100 score and a level.
// Uses the service's score_100 / level (from a calibrated probability) when present; until
// then, the probability, a member's fit in [0, 1], or a logistic of the raw score.
function readable(hit) {
  if (Number.isFinite(hit.score_100) && ["high", "medium", "low"].includes(hit.level)) {
    return { score: Math.round(hit.score_100), level: hit.level };
  }
  let p;
  if (Number.isFinite(hit.probability)) p = hit.probability;
  else if (Number.isFinite(hit.fit) && hit.fit >= 0 && hit.fit <= 1) p = hit.fit;
  else p = 1 / (1 + Math.exp(-(Number(hit.score) || 0)));
  const score = Math.max(0, Math.min(100, Math.round(100 * p)));
  return { score, level: score >= 70 ? "high" : score >= 40 ? "medium" : "low" };
}

function scoreBadge(hit) {
  const r = readable(hit);
  return el("span", { class: `score level-${r.level}`, "data-score": r.score, "data-level": r.level },
    el("span", { class: "level" }, `${t("level")} ${t(`level_${r.level}`)}`),
    el("span", { class: "score100" }, `${t("score")} ${r.score}`, el("small", {}, "/100")),
    el("meter", { min: 0, max: 100, low: 40, high: 70, optimum: 100, value: r.score, "aria-label": `${t("score")} ${r.score}/100` }));
}

const partName = (key) => (PARTS[key] ? PARTS[key][lang === "zh" ? 0 : 1][0] : key);
const partMeaning = (key) => (PARTS[key] ? PARTS[key][lang === "zh" ? 0 : 1][1] : "");
const fmt = (x) => (typeof x === "number" ? (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(2)) : String(x));

function partsTable(parts) {
  const entries = Object.entries(parts || {}).filter(([, v]) => typeof v === "number");
  if (!entries.length) return null;
  const max = Math.max(...entries.map(([, v]) => Math.abs(v)), 1e-9);
  return el("table", { class: "parts" },
    el("caption", {}, t("parts")),
    entries.map(([name, v]) => el("tr", {},
      el("th", { scope: "row", title: partMeaning(name) }, partName(name)),
      el("td", { class: "bar", "aria-hidden": "true" }, el("span", { style: `width:${Math.round((Math.abs(v) / max) * 100)}%`, class: v < 0 ? "neg" : "" })),
      el("td", { class: "meaning" }, partMeaning(name)))));
}

function renderPartsHelp() {
  const table = $("#parts-help");
  if (!table) return;
  table.replaceChildren(el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("part")), el("th", { scope: "col" }, t("meaning")))),
    el("tbody", {}, Object.keys(PARTS).map((k) => el("tr", {}, el("th", { scope: "row" }, partName(k)), el("td", {}, partMeaning(k))))));
}

const ID_TOKEN = /\b(?:org|proj|prj|dem|eq|pat|tech|al|all|pitch|field|region):[\w.:-]*\w/g;
const ARROW = /\s*-\[([A-Z_]+)\]-?>?\s*/;

// Evidence text as people read it: graph paths as sentences, ids replaced by names.
function sentence(text) {
  let out = String(text || "");
  if (ARROW.test(out)) {
    const parts = out.split(/\s*<?-\[([A-Z_]+)\]->?\s*/);
    const steps = [];
    for (let i = 1; i < parts.length; i += 2) {
      const rel = (lang === "zh" ? REL_ZH : REL_EN)[parts[i]] || parts[i].toLowerCase();
      steps.push(lang === "zh" ? `${parts[i - 1]} ${rel} ${parts[i + 1]}` : `${parts[i - 1]} ${rel} ${parts[i + 1]}`);
    }
    out = steps.join(lang === "zh" ? "；" : "; ");
  }
  const m = out.match(/^co-participated in (\d+) project\(s\):\s*(.*)$/);
  if (m) out = lang === "zh" ? `曾共同参与 ${m[1]} 个项目：${m[2]}` : `worked together on ${m[1]} project(s): ${m[2]}`;
  const shared = out.match(/^(\d+) shared project\(s\) with (.*)$/);
  if (shared && lang === "zh") out = `与 ${shared[2]} 曾共同参与 ${shared[1]} 个项目`;
  out = out.replace(/\b(national|chongqing)-(\d{4})\b/g, (all, scope, year) => (lang === "zh"
    ? `${scope === "national" ? "国家首台（套）指导目录" : "重庆市首台（套）目录"} ${year}年`
    : `${scope === "national" ? "national" : "Chongqing"} catalogue ${year}`));
  return out.replace(ID_TOKEN, (id) => names.get(id) || id);
}

async function learnNames(texts) {
  const ids = new Set();
  for (const text of texts) for (const id of String(text || "").match(ID_TOKEN) || []) if (!names.has(id)) ids.add(id);
  await Promise.all([...ids].slice(0, 40).map(async (id) => {
    try { const n = await api(`/api/nodes/${encodeURIComponent(id)}`); names.set(id, n.name || n.title || id); } catch (e) { /* hidden or gone */ }
  }));
}

function remember(items) {
  for (const x of items || []) if (x && x.id && (x.name || x.title)) names.set(x.id, x.name || x.title);
}

function evidenceList(evidence) {
  const items = (evidence || []).filter((e) => e && e.text);
  return el("div", { class: "evidence" },
    el("h4", {}, t("evidence")),
    items.length
      ? el("ul", {}, items.map((e) => el("li", {},
          el("span", { class: `kind kind-${e.kind || "item"}` }, (I18N[lang].kinds || {})[e.kind] || e.kind || "·"),
          " ", e.id ? el("a", { href: "#", class: "node-link", onclick: (ev) => { ev.preventDefault(); openGraph(e.id, names.get(e.id) || sentence(e.text)); } }, sentence(e.text)) : sentence(e.text))))
      : el("p", { class: "muted" }, t("noEvidence")));
}

function graphButton(id, name) {
  return el("button", { type: "button", class: "graph-btn", onclick: () => openGraph(id, name) }, t("showGraph"));
}

function feedbackButtons(job, query, demand, hit) {
  if (!me || !me.authenticated || me.role === "viewer") return null;
  const send = async (label, btn) => {
    try {
      await api("/api/feedback", { method: "POST", body: { job, query: query || "", demand: demand || null, candidate: hit.id, label, parts: numericParts(hit.parts) } });
      btn.parentElement.replaceChildren(el("span", { class: "muted" }, t("thanks")));
    } catch (e) { showError(e); }
  };
  return el("span", { class: "feedback" },
    el("button", { type: "button", onclick: (ev) => send("accept", ev.target) }, t("accept")),
    el("button", { type: "button", onclick: (ev) => send("reject", ev.target) }, t("reject")));
}

function numericParts(parts) {
  const out = {};
  for (const [k, v] of Object.entries(parts || {})) if (typeof v === "number") out[k] = v;
  return out;
}

function resultCard(hit, extra = {}) {
  const name = hit.name || hit.title || hit.id;
  return el("article", { class: "result", "data-id": hit.id },
    el("header", {},
      el("h3", {}, name),
      scoreBadge(hit),
      graphButton(hit.id, name),
      extra.feedback || null),
    extra.before || null,
    evidenceList(hit.evidence),
    el("details", { class: "parts-box", open: extra.open }, el("summary", {}, t("parts")), partsTable(hit.parts)),
    extra.after || null);
}

async function showRanked(out, hits, opts = {}) {
  remember(hits);
  await learnNames(hits.flatMap((h) => (h.evidence || []).map((e) => e.text)));
  // the first result shows its score parts open: how a score is made, once, without a click
  out.replaceChildren(...(hits.length ? hits.map((h, i) => resultCard(h, { open: i === 0, ...(opts.card ? opts.card(h) : {}) }))
    : [el("p", { class: "muted" }, t("noResults"))]));
}

// ---- graph ----------------------------------------------------------------------------------

const COLORS = { Organization: "#1f6feb", Equipment: "#2da44e", Patent: "#8250df", Technology: "#cf222e", Alliance: "#bf8700",
  Project: "#0a7ea4", Demand: "#d1242f", Pitch: "#fb8500", Field: "#6e7781", Region: "#8c959f" };

async function openGraph(id, name, extraEdges) {
  clearError();
  let data;
  try {
    data = await api(`/api/nodes/${encodeURIComponent(id)}/neighbourhood?depth=1&limit=60`);
  } catch (e) { showError(e); return; }
  drawGraph(`${t("graphOf")}${name || names.get(id) || id}`, data.nodes, data.edges, id, extraEdges);
}

function drawGraph(title, nodes, edges, center, extraEdges = []) {
  const box = $("#graph-box");
  box.hidden = false;
  $("#graph-title").textContent = title;
  $("#graph-info").textContent = "";
  remember(nodes);
  const ids = new Set(nodes.map((n) => n.id));
  const rel = lang === "zh" ? REL_ZH : REL_EN;
  const elements = [
    ...nodes.map((n) => ({ data: { id: n.id, label: (n.name || n.title || n.id).slice(0, 18), kind: n.label, full: n.name || n.title, center: n.id === center ? 1 : 0 } })),
    ...[...edges, ...extraEdges].filter((e) => ids.has(e.source) && ids.has(e.target))
      .map((e, i) => ({ data: { id: `e${i}`, source: e.source, target: e.target, label: rel[e.type] || t(`role_${e.type}`) } })),
  ];
  if (typeof cytoscape !== "function") { $("#graph").textContent = `${nodes.length} / ${edges.length}`; return; }
  if (cy) cy.destroy();
  cy = cytoscape({
    container: $("#graph"),
    elements,
    layout: { name: "cose", animate: false, randomize: false, nodeRepulsion: 6000 },
    style: [
      { selector: "node", style: { label: "data(label)", "font-size": 9, "text-valign": "bottom", "text-margin-y": 2, width: 16, height: 16,
        "background-color": (n) => COLORS[n.data("kind")] || "#999" } },
      { selector: "node[center = 1]", style: { width: 26, height: 26, "border-width": 3, "border-color": "#111" } },
      { selector: "edge", style: { width: 1.2, "curve-style": "bezier", "target-arrow-shape": "triangle", "arrow-scale": 0.6,
        label: "data(label)", "font-size": 7, color: "#555", "line-color": "#bbb", "target-arrow-color": "#bbb" } },
    ],
  });
  window.cyNodes = () => (cy ? cy.nodes().length : 0);
  cy.on("tap", "node", (ev) => {
    const d = ev.target.data();
    $("#graph-info").textContent = `${labelName(d.kind)}：${d.full || d.label}`;
  });
  box.scrollIntoView({ block: "nearest" });
}

// ---- tabs -----------------------------------------------------------------------------------

function selectTab(name) {
  document.querySelectorAll(".tab").forEach((b) => {
    b.classList.toggle("active", b.dataset.tab === name);
    b.setAttribute("aria-selected", b.dataset.tab === name ? "true" : "false");
  });
  document.querySelectorAll(".panel").forEach((p) => { p.hidden = p.id !== `panel-${name}`; });
  $("#proposal").hidden = true;
  document.body.classList.remove("printing");
  clearError();
  if (name === "overview" && overviewData) requestAnimationFrame(() => Object.values(charts).forEach((c) => c.resize()));
  if (name === "watches") loadWatches();
}

// ---- pickers (search as you type) -----------------------------------------------------------

function optionList(input, list, items, onPick) {
  list.replaceChildren(...items.map((h, i) => el("li", { role: "option", tabindex: -1, id: `${list.id}-${i}`, "data-id": h.id,
    onmousedown: (ev) => ev.preventDefault(),
    onclick: () => { input.value = h.name; list.hidden = true; input.setAttribute("aria-expanded", "false"); onPick(h); } },
  h.name, h.note ? el("small", {}, ` ${h.note}`) : null)));
  list.hidden = items.length === 0;
  input.setAttribute("aria-expanded", items.length ? "true" : "false");
}

function keyboard(input, list) {
  input.addEventListener("keydown", (ev) => {
    const opts = [...list.querySelectorAll("li")];
    if (list.hidden || !opts.length) return;
    let i = opts.findIndex((o) => o.classList.contains("focus"));
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      ev.preventDefault();
      i = ev.key === "ArrowDown" ? Math.min(opts.length - 1, i + 1) : Math.max(0, i - 1);
      opts.forEach((o, j) => o.classList.toggle("focus", j === i));
      input.setAttribute("aria-activedescendant", opts[i].id);
    } else if (ev.key === "Enter" && i >= 0) {
      ev.preventDefault();
      opts[i].click();
    } else if (ev.key === "Escape") {
      list.hidden = true;
    }
  });
  input.addEventListener("blur", () => setTimeout(() => { list.hidden = true; input.setAttribute("aria-expanded", "false"); }, 150));
}

// Names from /api/search (organisations, projects, technologies…).
function picker(input, list, labels, onPick) {
  let timer = null;
  keyboard(input, list);
  input.addEventListener("input", () => {
    clearTimeout(timer);
    onPick(null);
    const q = input.value.trim();
    if (!q) { list.hidden = true; return; }
    timer = setTimeout(async () => {
      try {
        const results = [];
        for (const label of labels) {
          const data = await api(`/api/search?q=${encodeURIComponent(q)}&top=8${label ? `&label=${label}` : ""}`);
          results.push(...data.results);
        }
        remember(results);
        optionList(input, list, results.slice(0, 12).map((h) => ({ ...h, note: labelName(h.label) })), onPick);
      } catch (e) { showError(e); }
    }, 200);
  });
}

// Terms of the taxonomy (fields, regions), fetched once, filtered as the user types.
const terms = {};
async function taxonomy(kind) {
  if (!terms[kind]) terms[kind] = api(`/api/taxonomy/${kind}`).then((d) => d.terms).catch((e) => { delete terms[kind]; throw e; });
  return terms[kind];
}

function termPicker(input, list, hidden, kind) {
  keyboard(input, list);
  const show = async () => {
    hidden.value = "";
    const q = input.value.trim().toLowerCase();
    let all;
    try { all = await taxonomy(kind); } catch (e) { showError(e); return; }
    const hits = all.filter((x) => !q || x.name.toLowerCase().includes(q) || x.name_en.toLowerCase().includes(q) || x.id.toLowerCase().includes(q));
    hits.sort((a, b) => (b.name.startsWith(q) || b.name_en.toLowerCase().startsWith(q)) - (a.name.startsWith(q) || a.name_en.toLowerCase().startsWith(q)));
    optionList(input, list, hits.slice(0, 15).map((x) => ({ id: x.id, name: lang === "zh" ? x.name : x.name_en,
      note: lang === "zh" ? `${x.name_en}${x.parent_name ? ` · ${x.parent_name}` : ""}` : x.name })), (h) => { hidden.value = h ? h.id : ""; });
  };
  input.addEventListener("input", show);
  input.addEventListener("focus", show);
}

// The id a term picker stands for: the chosen one, or an exact name typed in full.
async function termValue(input, hidden, kind, field) {
  const text = input.value.trim();
  if (!text) return null;
  if (hidden.value) return hidden.value;
  const all = await taxonomy(kind);
  const exact = all.find((x) => [x.id, x.name, x.name_en.toLowerCase()].includes(text) || x.name_en.toLowerCase() === text.toLowerCase());
  if (exact) { hidden.value = exact.id; return exact.id; }
  throw new ApiError(422, { error: `${t("pickFromList")}：“${text}”`, field });
}

// Several organisations (pinned consortium members, members already in).
function multiPicker(input, list, chips) {
  const chosen = new Map();
  const draw = () => chips.replaceChildren(...[...chosen].map(([id, name]) => el("li", { "data-id": id }, name,
    el("button", { type: "button", class: "chip-x", "aria-label": `${t("remove")} ${name}`, onclick: () => { chosen.delete(id); draw(); } }, "×"))));
  picker(input, list, ["Organization"], (h) => { if (h) { chosen.set(h.id, h.name); input.value = ""; draw(); } });
  return () => [...chosen.keys()];
}

// ---- overview -------------------------------------------------------------------------------

const PALETTE = ["#1f6feb", "#2da44e", "#bf8700", "#cf222e", "#8250df", "#0a7ea4", "#fb8500", "#6e7781", "#d63384", "#20c997"];
const nameOfRow = (r) => (lang === "zh" ? r.name : r.name_en || r.name);

// Which chart draws what: [figures key, list chart id, datasets (row field, label key, colour)].
const CHART_SPECS = {
  org_kind: { rows: (d) => d.organizations_by_kind, sets: [["count", "count", 0]] },
  org_district: { rows: (d) => d.organizations_by_district.slice(0, 20), sets: [["count", "count", 5]], horizontal: true },
  equipment_field: { rows: (d) => d.equipment_by_field, sets: [["count", "count", 7], ["catalogued", "catalogued_n", 1], ["insured", "insured_n", 2]], horizontal: true },
  equipment_batch: { rows: (d) => d.equipment_by_batch, sets: [["count", "count", 1], ["insured", "insured_n", 2]] },
  demand_field: { rows: (d) => d.demands_by_field, sets: [["count", "open_n", 0], ["well_supplied", "well_n", 1], ["gap", "gap_n", 3]], horizontal: true },
  alliance: { rows: (d) => d.alliances.map((a) => ({ key: a.id, name: a.name, name_en: a.name, members: a.members })), sets: [["members", "members_n", 2]], horizontal: true },
  pitch_stage: { rows: (d) => d.pitches_by_stage, sets: [["count", "count", 6]], doughnut: true },
};

async function loadOverview() {
  if (!overviewData) working($("#ov-totals"));
  try {
    overviewData = await api("/api/overview");
    renderOverview(overviewData);
  } catch (e) { if (e.status !== 401) showError(e); }
}

function renderOverview(d) {
  $("#ov-totals").replaceChildren(...d.totals.map((r) => el("button", { type: "button", class: "kpi", "data-key": r.key,
    onclick: () => showList("label", r.key, `${nameOfRow(r)}`) }, el("strong", {}, String(r.count)), el("span", {}, nameOfRow(r)))));
  const tables = [];
  window.firstsetCharts = {};
  for (const [id, spec] of Object.entries(CHART_SPECS)) {
    const rows = spec.rows(d) || [];
    const labels = rows.map(nameOfRow);
    const datasets = spec.sets.map(([field, label, colour]) => ({ label: t(label), data: rows.map((r) => r[field] ?? 0),
      backgroundColor: spec.doughnut ? PALETTE : PALETTE[colour] }));
    window.firstsetCharts[id] = { keys: rows.map((r) => r.key), labels, data: Object.fromEntries(spec.sets.map(([f], i) => [f, datasets[i].data])) };
    const canvas = $(`#ch-${id}`);
    const caption = canvas.closest("figure").querySelector("figcaption").textContent;
    canvas.setAttribute("aria-label", `${caption}: ${rows.map((r, i) => `${labels[i]} ${datasets[0].data[i]}`).join("，")}`);
    tables.push(el("table", { class: "figure-table", "data-chart": id }, el("caption", {}, caption),
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, ""), datasets.map((s) => el("th", { scope: "col" }, s.label)))),
      el("tbody", {}, rows.map((r, i) => el("tr", { "data-key": r.key }, el("th", { scope: "row" },
        el("a", { href: "#", onclick: (ev) => { ev.preventDefault(); showList(id, r.key, labels[i]); } }, labels[i])),
        datasets.map((s) => el("td", { class: "num" }, String(s.data[i]))))))));
    if (typeof Chart !== "function") continue;
    if (charts[id]) charts[id].destroy();
    charts[id] = new Chart(canvas, {
      type: spec.doughnut ? "doughnut" : "bar",
      data: { labels, datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        indexAxis: spec.horizontal ? "y" : "x",
        plugins: { legend: { display: spec.sets.length > 1 || !!spec.doughnut, position: "bottom" } },
        scales: spec.doughnut ? {} : { x: { ticks: { autoSkip: false, font: { size: 11 } } }, y: { ticks: { autoSkip: false, font: { size: 11 } } } },
        onClick: (ev, active) => { if (active.length) { const i = active[0].index; showList(id, rows[i].key, labels[i]); } },
        onHover: (ev, active) => { ev.native.target.style.cursor = active.length ? "pointer" : "default"; },
      },
    });
  }
  $("#ov-tables").replaceChildren(...tables);
  const gaps = d.supply_gaps || [];
  $("#ov-gaps").replaceChildren(gaps.length
    ? el("table", { class: "list gaps-table" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("demand")), el("th", { scope: "col" }, t("fieldOpt")), el("th", { scope: "col" }, t("project")), el("th", { scope: "col" }, ""))),
      el("tbody", {}, gaps.map((g) => el("tr", { "data-id": g.id }, el("td", {}, g.text),
        el("td", {}, lang === "zh" ? g.field_name : g.field_name_en), el("td", {}, g.project_name || ""),
        el("td", {}, el("button", { type: "button", onclick: () => searchDemand(g) }, t("findFor")))))))
    : el("p", { class: "muted" }, d.demands && !d.demands.judged ? t("notJudged") : t("noGaps")));
  if (d.demands && d.demands.judged && !d.demands.judged_all) {
    $("#ov-gaps").append(el("p", { class: "muted" }, lang === "zh" ? `（已评估 ${d.demands.open} 条开放需求中的前 ${d.demands.judged} 条）`
      : `(the first ${d.demands.judged} of ${d.demands.open} open demands were judged)`));
  }
}

async function showList(chart, key, title) {
  const box = $("#ov-list");
  box.hidden = false;
  $("#ov-list-title").textContent = `${t("listOf")}${title}`;
  const path = `/api/overview/list?chart=${encodeURIComponent(chart)}&key=${encodeURIComponent(key)}`;
  exportButtons($("#ov-list-export"), path, {}, `overview-${chart}`);
  const body = $("#ov-list-body");
  working(body);
  try {
    const data = await api(path);
    remember(data.items);
    body.replaceChildren(el("table", { class: "list", "data-chart": chart },
      el("tbody", {}, data.items.map((x) => el("tr", { "data-id": x.id },
        el("td", {}, el("a", { href: "#", class: "node-link", onclick: (ev) => { ev.preventDefault(); openGraph(x.id, x.name); } }, x.name)),
        el("td", { class: "muted" }, labelName(x.label)), el("td", { class: "muted" }, x.detail || ""))))));
    box.scrollIntoView({ block: "nearest" });
  } catch (e) { body.replaceChildren(); showError(e); }
}

function searchDemand(gap) {
  selectTab("suppliers");
  $("#demand-text").value = gap.text;
  $("#suppliers-form").requestSubmit();
}

// ---- the jobs -------------------------------------------------------------------------------

async function findSuppliers(ev) {
  ev.preventDefault();
  clearError();
  const text = $("#demand-text").value.trim();
  if (!text) { showError(t("needText")); return; }
  const body = { text, local: $("#s-local").checked, catalogued: $("#s-catalogued").checked, insured: $("#s-insured").checked,
    top: Number($("#s-top").value) || 10 };
  try {
    const field = await termValue($("#s-field"), $("#s-field-id"), "fields", "field");
    const region = await termValue($("#s-region"), $("#s-region-id"), "regions", "region");
    if (field) body.field = field;
    if (region) body.region = region;
  } catch (e) { showError(e); return; }
  const out = $("#suppliers-results");
  working(out);
  try {
    const data = await api("/api/suppliers/search", { method: "POST", body });
    exportButtons("#suppliers-exports", "/api/suppliers/search", { method: "POST", body }, "suppliers");
    await showRanked(out, data.results || [], { card: (h) => ({ feedback: feedbackButtons("suppliers", text, null, h) }) });
    // an English demand: say which Chinese words it was also searched with
    const terms = data.query_terms || [];
    if (terms.length) out.prepend(el("p", { class: "muted query-terms" }, t("queryTerms") + terms.join("、")));
  } catch (e) { out.replaceChildren(); showError(e); }
}

function memberRows(members) {
  return el("table", { class: "members" },
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("role")), el("th", { scope: "col" }, t("members")), el("th", { scope: "col" }, t("score")), el("th", { scope: "col" }, t("reasons")))),
    el("tbody", {}, (members || []).map((m) => el("tr", { "data-id": m.id },
      el("th", { scope: "row" }, roleName(m.role)),
      el("td", {}, el("a", { href: "#", class: "node-link", onclick: (ev) => { ev.preventDefault(); openGraph(m.id, m.name); } }, m.name || m.id)),
      el("td", { class: "num" }, m.role === "user" ? "—" : `${readable(m).score}`),
      el("td", {}, (m.evidence || []).slice(0, 3).map((e) => sentence(e.text)).filter(Boolean).join("；"))))));
}

const roleName = (role) => (t(`role_${role}`) !== `role_${role}` ? t(`role_${role}`) : role);

let lastConsortium = null;

async function buildConsortium(ev) {
  ev.preventDefault();
  clearError();
  const project = $("#project-id").value;
  if (!project) { showError(t("needProject")); return; }
  const roles = [...document.querySelectorAll("input[name=role]:checked")].map((i) => i.value);
  const body = { project, roles, with: pinnedMembers(), alternatives: Number($("#c-alternatives").value) || 3, local: $("#c-local").checked };
  const out = $("#consortium-results");
  working(out);
  try {
    const data = await api("/api/consortia", { method: "POST", body });
    const alts = data.alternatives || [];
    exportButtons("#consortium-exports", "/api/consortia", { method: "POST", body }, "consortia");
    if (!alts.length) { out.replaceChildren(el("p", { class: "muted" }, t("noResults"))); return; }
    names.set(project, $("#project-query").value);
    for (const alt of alts) remember(alt.members);
    await learnNames(alts.flatMap((a) => (a.members || []).flatMap((m) => (m.evidence || []).map((e) => e.text))));
    lastConsortium = { project, projectName: $("#project-query").value, alts };
    out.replaceChildren(...alts.map((alt, i) => {
      const members = alt.members || [];
      return el("article", { class: "result consortium", "data-option": i + 1 },
        el("header", {}, el("h3", {}, `${t("option")} ${i + 1}`), scoreBadge(alt),
          el("button", { type: "button", class: "graph-btn", onclick: () => consortiumGraph(project, members, i + 1) }, t("showGraph")),
          el("button", { type: "button", class: "proposal-btn", onclick: () => showProposal(i) }, t("proposal"))),
        memberRows(members),
        el("details", { class: "parts-box", open: i === 0 }, el("summary", {}, t("parts")), partsTable(alt.parts)));
    }));
  } catch (e) { out.replaceChildren(); showError(e); }
}

function showProposal(i) {
  const { projectName, alts } = lastConsortium;
  const alt = alts[i];
  $("#proposal-title").textContent = `${t("proposalTitle")}：${projectName}（${t("option")} ${i + 1}）`;
  $("#proposal-body").replaceChildren(
    el("p", {}, `${t("proposalDate")}：${new Date().toLocaleDateString(lang === "zh" ? "zh-CN" : "en-GB")} · ${t("optionScore")} ${readable(alt).score}/100（${t(`level_${readable(alt).level}`)}）`),
    el("table", { class: "roster" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "#"), el("th", { scope: "col" }, t("role")), el("th", { scope: "col" }, t("members")), el("th", { scope: "col" }, t("reasons")))),
      el("tbody", {}, (alt.members || []).map((m, j) => el("tr", {}, el("td", {}, String(j + 1)), el("td", {}, roleName(m.role)), el("td", {}, m.name),
        el("td", {}, el("ul", {}, (m.evidence || []).slice(0, 4).map((e) => el("li", {}, sentence(e.text))))))))),
    el("p", {}, t("proposalLead")),
    el("p", { class: "muted" }, t("proposalPolicy")));
  document.querySelectorAll(".panel").forEach((p) => { p.hidden = true; });
  $("#proposal").hidden = false;
  document.body.classList.add("printing");
  $("#proposal").scrollIntoView({ block: "start" });
}

function closeProposal() {
  $("#proposal").hidden = true;
  document.body.classList.remove("printing");
  selectTab("consortium");
}

async function consortiumGraph(project, members, n) {
  const ids = [project, ...members.map((m) => m.id)];
  const nodes = [];
  for (const id of ids) {
    try { nodes.push(await api(`/api/nodes/${encodeURIComponent(id)}`)); } catch (e) { /* hidden or gone */ }
  }
  const edges = members.filter((m) => m.id !== project).map((m) => ({ source: m.id, target: project, type: m.role }));
  drawGraph(`${t("graphOf")}${t("option")} ${n}`, nodes, [], project, edges);
}

let pinnedMembers = () => [];
let partnerMembers = () => [];

async function findPartners(ev) {
  ev.preventDefault();
  clearError();
  const project = $("#p-project-id").value;
  if (!project) { showError(t("needProject")); return; }
  const body = { project, members: partnerMembers(), top: Number($("#p-top").value) || 10 };
  if ($("#p-kind").value) body.kind = $("#p-kind").value;
  const out = $("#partners-results");
  working(out);
  try {
    const data = await api("/api/partners", { method: "POST", body });
    exportButtons("#partners-exports", "/api/partners", { method: "POST", body }, "partners");
    await showRanked(out, data.results || []);
  } catch (e) { out.replaceChildren(); showError(e); }
}

async function makeShortlist(ev) {
  ev.preventDefault();
  clearError();
  const quota = {};
  for (const line of $("#r-quotas").value.split(/[\n,;，；]+/)) {
    const m = line.trim().match(/^(.+?)\s*[=:：]\s*(\d+)$/);
    if (line.trim() && !m) { showError(`${t("err422")} [quota]: ${line}`); return; }
    if (m) quota[m[1].trim()] = Number(m[2]);
  }
  const body = { size: Number($("#r-size").value) || 10, quota };
  const out = $("#shortlist-results");
  working(out);
  try {
    const data = await api("/api/shortlists", { method: "POST", body });
    exportButtons("#shortlist-exports", "/api/shortlists", { method: "POST", body }, "shortlist");
    const hits = (data.pitches || []).map((h) => ({ ...h, name: h.title || h.name }));
    await showRanked(out, hits, { card: (h) => ({
      after: h.demands && h.demands.length ? el("div", { class: "answers" }, el("h4", {}, t("answers")),
        el("ul", {}, h.demands.map((d) => el("li", {}, typeof d === "string" ? sentence(d) : sentence(d.text || d.name || d.id))))) : null,
    }) });
  } catch (e) { out.replaceChildren(); showError(e); }
}

async function matchTransfers(ev) {
  ev.preventDefault();
  clearError();
  const id = $("#t-id").value;
  const kind = $("#t-kind").value;
  if (!id) { showError(t("needPick")); return; }
  const key = { Technology: "technology", Demand: "demand", Organization: "org" }[kind] || "technology";
  const body = { [key]: id };
  const out = $("#transfers-results");
  working(out);
  try {
    const data = await api("/api/transfers", { method: "POST", body });
    exportButtons("#transfers-exports", "/api/transfers", { method: "POST", body }, "transfers");
    const groups = [["demands", t("gDemands")], ["organizations", t("gOrganizations")], ["technologies", t("gTechnologies")]]
      .filter(([k]) => (data[k] || []).length);
    const all = groups.flatMap(([k]) => data[k]);
    remember(all);
    await learnNames(all.flatMap((h) => (h.evidence || []).map((e) => e.text)));
    out.replaceChildren(...(groups.length ? groups.flatMap(([k, title]) => [el("h3", { class: "group" }, title), ...data[k].map((h) => resultCard(h))])
      : [el("p", { class: "muted" }, t("noResults"))]));
  } catch (e) { out.replaceChildren(); showError(e); }
}

// ---- IP risk, tender check (issue 15) ---------------------------------------------------------

const bilingual = (text) => {
  // Texts written "中文 / English": the half for the page's language.
  const s = String(text ?? "");
  const i = s.indexOf(" / ");
  if (i < 0) return s;
  return lang === "zh" ? s.slice(0, i) : s.slice(i + 3);
};

function levelChip(level) {
  const key = ["high", "medium", "low"].includes(level) ? level : "none";
  return el("span", { class: `score level-${key}` }, el("span", { class: "level" }, t(`level_${key}`)));
}

async function checkIpRisk(ev) {
  ev.preventDefault();
  clearError();
  const id = $("#ip-id").value;
  const text = $("#ip-text").value.trim();
  if (!id && !text) { showError(t("needIp")); return; }
  const body = id ? { equipment: id, top: 10 } : { text, top: 10 };
  const out = $("#ip-results");
  working(out);
  try {
    const data = await api("/api/ip-risk", { method: "POST", body });
    const risks = data.risks || [];
    out.replaceChildren(risks.length ? el("table", { class: "list ip-risks" },
      el("thead", {}, el("tr", {}, ["risk", "patent", "owner", "similarity", "expires", "why"].map((k) => el("th", { scope: "col" }, t(k))))),
      el("tbody", {}, risks.map((r) => el("tr", { "data-id": r.patent },
        el("td", {}, levelChip(r.level)), el("td", {}, r.title || r.patent),
        el("td", {}, (r.owner && r.owner.name) || ""), el("td", { class: "num" }, typeof r.similarity === "number" ? r.similarity.toFixed(2) : ""),
        el("td", {}, r.expires || ""), el("td", { class: "muted" }, bilingual(r.rule || r.why || ""))))))
      : el("p", { class: "muted" }, t("noRisks")));
  } catch (e) { out.replaceChildren(); showError(e); }
}

async function checkTender(ev) {
  ev.preventDefault();
  clearError();
  const text = $("#tender-text").value.trim();
  if (!text) { showError(t("needText")); return; }
  const out = $("#tender-results");
  working(out);
  try {
    const data = await api("/api/tender-check", { method: "POST", body: { text } });
    const findings = data.findings || [];
    out.replaceChildren(el("p", { class: "muted" }, `${t("clausesChecked")}：${data.clauses}`),
      findings.length ? el("table", { class: "list tender-findings" },
        el("thead", {}, el("tr", {}, ["clause", "rule", "suggestion"].map((k) => el("th", { scope: "col" }, t(k))))),
        el("tbody", {}, findings.map((f) => el("tr", {}, el("td", {}, f.clause, el("br"), el("small", { class: "muted" }, bilingual(f.why))),
          el("td", {}, bilingual(f.rule)), el("td", {}, bilingual(f.suggestion))))))
        : el("p", { class: "ok" }, t("noFindings")));
  } catch (e) { out.replaceChildren(); showError(e); }
}

// ---- catalogue, evaluations, insurance (issue 16) ---------------------------------------------

const statusName = (st) => (t(`st_${st}`) !== `st_${st}` ? t(`st_${st}`) : st);

async function showCatalogue(ev) {
  ev.preventDefault();
  clearError();
  const id = $("#cat-id").value;
  if (!id) { showError(t("needPick")); return; }
  const on = $("#cat-on").value;
  const out = $("#cat-results");
  working(out);
  try {
    const q = on ? `?on=${encodeURIComponent(on)}` : "";
    const [st, ins] = await Promise.all([api(`/api/equipment/${encodeURIComponent(id)}/status${q}`),
      api(`/api/insurance/${encodeURIComponent(id)}`).catch(() => null)]);
    const parts = [el("h3", {}, st.name),
      el("p", { class: "cat-status" }, `${t("statusOn")}（${st.on}）：`, el("strong", {}, statusName(st.status))),
      (st.reasons || []).length ? el("ul", {}, st.reasons.map((r) => el("li", {}, bilingual(r)))) : null,
      el("h4", {}, t("catHistory")),
      (st.catalogue || []).length ? genericTable(st.catalogue) : el("p", { class: "muted" }, t("none")),
      el("h4", {}, t("evaluations")),
      (st.evaluations || []).length ? el("table", { class: "list" }, el("tbody", {}, st.evaluations.map((e) => el("tr", {},
        el("td", {}, e.date), el("td", {}, e.body_name), el("td", {}, e.verdict_zh || e.verdict), el("td", {}, e.report_ref || "")))))
        : el("p", { class: "muted" }, t("none"))];
    if (ins) {
      parts.push(el("h4", {}, t("insurance")), el("p", {}, `${t("eligible")}：${ins.eligible ? t("yes") : t("no")} · ${t("compensation")}：${ins.compensation_wan}`),
        el("ul", {}, (ins.conditions || []).map((c) => el("li", { class: c.ok ? "ok" : "bad" }, `${c.ok ? "✓" : "✗"} ${bilingual(c.detail)}`))));
    }
    out.replaceChildren(...parts);
  } catch (e) { out.replaceChildren(); showError(e); }
}

// ---- watches and alerts (issue 16) ------------------------------------------------------------

async function loadWatches() {
  if (!me || !me.authenticated) return;
  try {
    const [w, a] = await Promise.all([api("/api/watches"), api("/api/alerts")]);
    const editor = me.role === "editor" || me.role === "admin";
    $("#watch-list").replaceChildren(w.watches.length ? el("table", { class: "list watches" }, el("tbody", {}, w.watches.map((x) => el("tr", { "data-id": x.id },
      el("td", {}, x.text || names.get(x.demand) || names.get(x.technology) || x.query), el("td", { class: "num" }, String(x.threshold)),
      el("td", {}, x.created.slice(0, 10)),
      el("td", {}, editor ? el("button", { type: "button", "aria-label": `${t("delete")} ${x.query}`, onclick: async () => {
        try {
          await api(`/api/watches/${encodeURIComponent(x.id)}`, { method: "DELETE" });
          loadWatches();
        } catch (e) { showError(e); }
      } }, t("delete")) : null)))))
      : el("p", { class: "muted" }, t("noWatches")));
    exportButtons("#alerts-exports", "/api/alerts", {}, "alerts");
    await showRanked($("#alert-list"), a.alerts.map((x) => ({ ...x, id: x.item })), {});
    if (!a.alerts.length) $("#alert-list").replaceChildren(el("p", { class: "muted" }, t("noAlerts")));
  } catch (e) { showError(e); }
}

async function saveWatch(ev) {
  ev.preventDefault();
  clearError();
  const text = $("#watch-text").value.trim();
  if (!text) { showError(t("needText")); return; }
  try {
    await api("/api/watches", { method: "POST", body: { text, threshold: Number($("#watch-threshold").value) || 2 } });
    $("#watch-text").value = "";
    loadWatches();
  } catch (e) { showError(e); }
}

// ---- upload: check first (dry run), then load with progress ----------------------------------

function upload(file, dryRun, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/ingest${dryRun ? "?dry_run=true" : ""}`);
    for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(Math.round((e.loaded / e.total) * 90), "uploading"); };
    xhr.upload.onload = () => onProgress(90, dryRun ? "checking" : "loadingData");
    xhr.onerror = () => reject(new ApiError(0, { error: t("errNet") }));
    xhr.onload = () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data); else reject(new ApiError(xhr.status, data));
    };
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
}

function genericTable(value) {
  // The mapping the dry run returns, whatever its shape: rows of objects, or name → value.
  if (Array.isArray(value)) {
    const rows = value.filter((x) => x && typeof x === "object");
    if (!rows.length) return el("p", {}, value.join("、"));
    const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    return el("table", { class: "list" }, el("thead", {}, el("tr", {}, cols.map((c) => el("th", { scope: "col" }, c)))),
      el("tbody", {}, rows.map((r) => el("tr", {}, cols.map((c) => el("td", {}, typeof r[c] === "object" && r[c] !== null ? genericTable(r[c]) : String(r[c] ?? "")))))));
  }
  if (value && typeof value === "object") {
    return el("table", { class: "list" }, el("tbody", {}, Object.entries(value).map(([k, v]) => el("tr", {}, el("th", { scope: "row" }, k),
      el("td", {}, typeof v === "object" && v !== null ? genericTable(v) : String(v ?? ""))))));
  }
  return el("span", {}, String(value ?? ""));
}

function uploadSummary(data) {
  const keys = ["files", "rows", "nodes", "edges", "created", "updated", "unchanged"];
  const out = [el("table", { class: "list upload-summary" }, el("tbody", {}, keys.filter((k) => k in data).map((k) =>
    el("tr", { "data-key": k }, el("th", { scope: "row" }, t(k)), el("td", {}, Array.isArray(data[k]) ? data[k].join("、") : String(data[k]))))))];
  for (const table of Array.isArray(data.tables) ? data.tables : []) {
    out.push(el("h4", {}, `${t("mapping")}：${table.file || ""}${table.sheet ? ` · ${table.sheet}` : ""} → ${table.kind || ""}`),
      el("table", { class: "list mapping" }, el("thead", {}, el("tr", {}, ["col", "header", "to"].map((k) => el("th", { scope: "col" }, { col: t("column"), header: lang === "zh" ? "表头" : "header", to: lang === "zh" ? "对应到" : "maps to" }[k])))),
        el("tbody", {}, (table.columns || []).map((c) => el("tr", {}, el("td", { class: "num" }, String(c.col ?? "")), el("td", {}, c.header ?? ""), el("td", {}, c.to ?? c.became ?? ""))))));
  }
  for (const key of ["field_warnings", "review"]) {
    if ((data[key] || []).length) out.push(el("h4", {}, key === "review" ? (lang === "zh" ? "需复核的单位" : "organisations to review") : (lang === "zh" ? "领域提示" : "field warnings")), genericTable(data[key]));
  }
  for (const key of ["mapping", "columns", "sheets"]) {
    if (data[key] && (Array.isArray(data[key]) ? data[key].length : Object.keys(data[key]).length)) {
      out.push(el("h4", {}, t("mapping")), el("div", { class: "mapping" }, genericTable(data[key])));
    }
  }
  if ((data.merged || []).length) out.push(el("h4", {}, t("merged")), genericTable(data.merged.map((g) => g.join(" = "))));
  if ((data.likely_duplicates || []).length) out.push(el("h4", {}, t("duplicates")), genericTable(data.likely_duplicates.map((g) => g.join(" ~ "))));
  if (data.undescribed_products) {
    const names = (data.undescribed_examples || []).join("、") + (data.undescribed_products > (data.undescribed_examples || []).length ? (lang === "zh" ? " 等" : " …") : "");
    out.push(el("p", { class: "undescribed" }, `${t("undescribed").replace("{n}", String(data.undescribed_products))}${names}`));
  }
  return out;
}

function badRowsTable(err) {
  const rows = Array.isArray(err.body?.detail) ? err.body.detail : [];
  if (!rows.length) return null;
  return el("table", { class: "list bad-rows" },
    el("caption", {}, `${t("badRows")}（${rows.length}）`),
    el("thead", {}, el("tr", {}, ["file", "line", "column", "reason"].map((k) => el("th", { scope: "col" }, t(k))))),
    el("tbody", {}, rows.map((r) => {
      const [file, line, column] = Array.isArray(r.loc) ? r.loc : [];
      return el("tr", {}, el("td", {}, String(file ?? "")), el("td", { class: "num" }, String(line ?? "")), el("td", {}, String(column ?? "")), el("td", {}, r.msg || ""));
    })));
}

async function sendUpload(dryRun) {
  // Check (a dry run: nothing written, then the load button opens) or load the chosen file.
  clearError();
  const file = $("#u-file").files[0];
  const out = $("#upload-results");
  $("#u-load").disabled = true;
  if (!file) { showError(t("needFile")); return; }
  const progress = (value, state) => { $("#u-progress").value = value; $("#u-status").textContent = t(state); };
  if (dryRun) progress(0, "uploading");
  try {
    const data = await upload(file, dryRun, progress);
    const done = dryRun ? "checkOk" : "loaded";
    progress(100, done);
    out.replaceChildren(el("p", { class: "ok" }, t(done)), ...uploadSummary(data));
    if (dryRun) $("#u-load").disabled = false; else loadOverview();
  } catch (e) {
    $("#u-progress").value = 0;
    $("#u-status").textContent = "";
    const table = badRowsTable(e);
    out.replaceChildren(...(table ? [el("p", { class: "bad" }, t("checkBad")), table] : []));
    if (!table) showError(e);
  }
}

// ---- start ----------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  $("#api-key").value = localStorage.getItem("firstset.key") || "";
  $("#lang").addEventListener("click", () => { lang = lang === "zh" ? "en" : "zh"; localStorage.setItem("firstset.lang", lang); applyLang(); });
  $("#key-save").addEventListener("click", () => {
    const key = $("#api-key").value.trim();
    if (key) localStorage.setItem("firstset.key", key); else localStorage.removeItem("firstset.key");
    clearError();
    loadMe();
  });
  document.querySelectorAll(".tab").forEach((b) => b.addEventListener("click", () => selectTab(b.dataset.tab)));
  $("#graph-close").addEventListener("click", () => { $("#graph-box").hidden = true; if (cy) { cy.destroy(); cy = null; } });
  $("#suppliers-form").addEventListener("submit", findSuppliers);
  $("#consortium-form").addEventListener("submit", buildConsortium);
  $("#partners-form").addEventListener("submit", findPartners);
  $("#shortlist-form").addEventListener("submit", makeShortlist);
  $("#transfers-form").addEventListener("submit", matchTransfers);
  $("#upload-form").addEventListener("submit", (ev) => { ev.preventDefault(); sendUpload(true); });
  $("#ip-form").addEventListener("submit", checkIpRisk);
  $("#tender-form").addEventListener("submit", checkTender);
  $("#cat-form").addEventListener("submit", showCatalogue);
  $("#watch-form").addEventListener("submit", saveWatch);
  picker($("#ip-query"), $("#ip-options"), ["Equipment"], (h) => { $("#ip-id").value = h ? h.id : ""; });
  picker($("#cat-query"), $("#cat-options"), ["Equipment"], (h) => { $("#cat-id").value = h ? h.id : ""; });
  $("#u-load").addEventListener("click", () => sendUpload(false));
  $("#u-file").addEventListener("change", () => { $("#u-load").disabled = true; $("#upload-results").replaceChildren(); $("#u-progress").value = 0; $("#u-status").textContent = ""; });
  $("#proposal-print").addEventListener("click", () => window.print());
  $("#proposal-close").addEventListener("click", closeProposal);
  termPicker($("#s-field"), $("#s-field-options"), $("#s-field-id"), "fields");
  termPicker($("#s-region"), $("#s-region-options"), $("#s-region-id"), "regions");
  picker($("#project-query"), $("#project-options"), ["Project"], (h) => { $("#project-id").value = h ? h.id : ""; });
  picker($("#p-project-query"), $("#p-project-options"), ["Project"], (h) => { $("#p-project-id").value = h ? h.id : ""; });
  pinnedMembers = multiPicker($("#c-with-query"), $("#c-with-options"), $("#c-with"));
  partnerMembers = multiPicker($("#p-members-query"), $("#p-members-options"), $("#p-members"));
  picker($("#t-query"), $("#t-options"), ["Technology", "Demand", "Organization"], (h) => {
    $("#t-id").value = h ? h.id : ""; $("#t-kind").value = h ? h.label : "";
  });
  applyLang();
  loadMe();
});
