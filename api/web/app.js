// firstset web page: four jobs for people who do not write code. Chinese first, English switch.
"use strict";

const I18N = {
  zh: {
    title: "首台（套）重大技术装备 供需匹配",
    subtitle: "为项目业主、联盟和路演组织者找到合适的伙伴，并给出依据。",
    apiKey: "API 密钥", useKey: "使用", anonymous: "未登录（公开只读）",
    tabSuppliers: "找供应商", tabConsortium: "组建联合体", tabShortlist: "路演遴选", tabTransfers: "军民技术匹配",
    demandLabel: "描述您需要的装备（中文或英文）",
    demandPlaceholder: "例如：直径 8 米以上的土压平衡盾构机，用于轨道交通隧道施工",
    fieldOpt: "领域", regionOpt: "地区", optional: "可选", local: "优先本地（重庆）企业",
    catalogued: "仅目录内", insured: "仅已投保", top: "数量", findSuppliers: "查找供应商",
    projectLabel: "项目（输入名称查找）", projectPlaceholder: "例如：轨道交通 或 项目编号",
    roles: "角色：", role_user: "用户（牵头）", role_design_institute: "设计院", role_integrator: "集成商",
    role_research: "科研院所/高校", role_manufacturer: "制造商", role_testing_body: "检测机构",
    alternatives: "备选方案数", localOnly: "仅本地（重庆）", buildConsortium: "组建联合体",
    size: "入围数量", quotas: "领域配额（每行 领域=数量）", makeShortlist: "生成入围名单",
    transferLabel: "技术、需求或单位（输入名称查找）", matchTech: "匹配",
    close: "关闭", footer: "依据渝府办发〔2018〕170号；评分不奖励历史业绩，仅作展示。",
    score: "得分", parts: "得分构成", evidence: "依据", showGraph: "关系图", accept: "采纳", reject: "否决",
    thanks: "已记录反馈，谢谢。", noResults: "没有找到结果。请换一种说法，或放宽筛选条件。",
    working: "正在计算…", needText: "请先描述需要的装备。", needProject: "请先从列表中选择一个项目。",
    needPick: "请先从列表中选择一项。", option: "方案", members: "成员",
    answers: "回应的需求", noEvidence: "（无具体依据）", graphOf: "关系图：",
    err401: "需要有效的 API 密钥。请在右上角输入密钥。", err403: "您的密钥权限不足，无法执行此操作。",
    err404: "没有找到该对象（或您的密级不允许查看）。", err413: "提交的内容过大。",
    err422: "输入有误", errNet: "无法连接服务，请稍后重试。", err500: "服务出错，请稍后重试。",
    keyBad: "密钥无效。请检查后重新输入；清空密钥并点“使用”可按公开只读方式继续。", role: "角色", clearance: "密级",
    partNames: { dense_org: "整体语义相似", dense_item: "最佳产品/专利相似", lexical: "关键词匹配", ipc: "IPC 分类相符",
      field: "领域相符", proximity: "与业主的关系", catalogue: "目录内", insured: "首台套保险", local: "本地企业（显式加分）",
      fit: "需求契合", cohesion: "协作紧密", text: "文本相似", maturity: "成熟度", patents: "专利", products: "产品",
      technical_level: "技术水平", advancement: "先进性", market_demand: "市场需求", conversion_benefit: "转化效益",
      coparticipation: "共同参与", similar_projects: "相似项目", name_text: "名称相关", country: "地区", kind: "类型", newcomer: "新单位" },
    gDemands: "可对接的需求", gOrganizations: "可承接的单位", gTechnologies: "可用的技术",
    kinds: { product: "产品", equipment: "产品", description: "简介", patent: "专利", technology: "技术", path: "关系路径", alliance: "联盟", project: "项目", catalogue: "目录", insured: "保险", track_record: "示范业绩", demand: "需求", newcomer: "新单位", shared_project: "共同项目", cohesion: "协作" },
  },
  en: {
    title: "First-set equipment matching",
    subtitle: "Find the right partners for project owners, alliances and roadshows — with the reasons.",
    apiKey: "API key", useKey: "Use", anonymous: "not signed in (public, read-only)",
    tabSuppliers: "Find suppliers", tabConsortium: "Build a consortium", tabShortlist: "Roadshow shortlist", tabTransfers: "Military–civil match",
    demandLabel: "Describe the equipment you need (Chinese or English)",
    demandPlaceholder: "e.g. earth-pressure-balance shield tunnelling machine, over 8 m diameter, for a metro tunnel",
    fieldOpt: "Field", regionOpt: "Region", optional: "optional", local: "Prefer local (Chongqing) firms",
    catalogued: "Catalogued only", insured: "Insured only", top: "How many", findSuppliers: "Find suppliers",
    projectLabel: "Project (type to search)", projectPlaceholder: "e.g. metro, or a project id",
    roles: "Roles:", role_user: "User (lead)", role_design_institute: "Design institute", role_integrator: "Integrator",
    role_research: "Research / university", role_manufacturer: "Manufacturer", role_testing_body: "Testing body",
    alternatives: "Alternatives", localOnly: "Local (Chongqing) only", buildConsortium: "Build consortium",
    size: "Shortlist size", quotas: "Field quotas (one field=N per line)", makeShortlist: "Make shortlist",
    transferLabel: "Technology, demand or organisation (type to search)", matchTech: "Match",
    close: "Close", footer: "Per Chongqing 渝府办发〔2018〕170号: scores never reward past sales; track record is shown only.",
    score: "Score", parts: "Score parts", evidence: "Evidence", showGraph: "Graph", accept: "Accept", reject: "Reject",
    thanks: "Feedback recorded, thank you.", noResults: "No results. Try other words or fewer filters.",
    working: "Working…", needText: "Please describe the equipment first.", needProject: "Please pick a project from the list first.",
    needPick: "Please pick an item from the list first.", option: "Option", members: "Members",
    answers: "Demands answered", noEvidence: "(no specific evidence)", graphOf: "Graph: ",
    err401: "A valid API key is needed. Enter it at the top right.", err403: "Your key's role does not allow this.",
    err404: "Not found (or above your clearance).", err413: "What you sent is too large.",
    err422: "Please check your input", errNet: "Cannot reach the service; please try again.", err500: "The service failed; please try again.",
    keyBad: "That key is not valid. Check it and try again, or clear it and press Use to continue read-only.", role: "role", clearance: "clearance",
    partNames: { dense_org: "profile similarity", dense_item: "best product/patent", lexical: "keyword match", ipc: "IPC match",
      field: "field match", proximity: "tie to the owner", catalogue: "catalogued", insured: "insured", local: "local firm (explicit)",
      fit: "fit", cohesion: "cohesion", text: "text similarity", maturity: "maturity", patents: "patents", products: "products",
      technical_level: "technical level", advancement: "advancement", market_demand: "market demand", conversion_benefit: "conversion benefit",
      coparticipation: "co-participation", similar_projects: "similar projects", name_text: "name relevance", country: "region", kind: "kind", newcomer: "newcomer" },
    gDemands: "Demands it answers", gOrganizations: "Organisations able to take it on", gTechnologies: "Technologies that fit",
    kinds: { product: "product", equipment: "product", description: "profile", patent: "patent", technology: "technology", path: "path", alliance: "alliance", project: "project", catalogue: "catalogue", insured: "insured", track_record: "track record", demand: "demand", newcomer: "newcomer", shared_project: "shared project", cohesion: "cohesion" },
  },
};

let lang = localStorage.getItem("firstset.lang") || "zh";
let me = null;
let cy = null;
const t = (k) => (I18N[lang][k] ?? I18N.zh[k] ?? k);
const $ = (sel) => document.querySelector(sel);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) node.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function applyLang() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.querySelectorAll("[data-i18n]").forEach((n) => { n.textContent = t(n.dataset.i18n); });
  document.querySelectorAll("[data-i18n-placeholder]").forEach((n) => { n.placeholder = t(n.dataset.i18nPlaceholder); });
  $("#lang").textContent = lang === "zh" ? "English" : "中文";
  showWho();
}

// ---- API ------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, body) {
    super(body?.error || String(status));
    this.status = status;
    this.body = body || {};
  }
}

async function api(path, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  const key = localStorage.getItem("firstset.key");
  if (key) headers["X-API-Key"] = key;
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
  const allowed = me && me.clearance && me.clearance !== "public";
  $("#tab-transfers").hidden = !allowed;
  if (!allowed && !$("#panel-transfers").hidden) selectTab("suppliers");
}

function showWho() {
  const who = $("#who");
  if (!who) return;
  if (!me) { who.textContent = ""; return; }
  who.textContent = me.authenticated ? `${t("role")}: ${me.role} · ${t("clearance")}: ${me.clearance}` : t("anonymous");
}

// ---- rendering ------------------------------------------------------------------------------

const fmt = (x) => (typeof x === "number" ? (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(3)) : String(x));

function partsTable(parts) {
  const entries = Object.entries(parts || {}).filter(([, v]) => typeof v === "number");
  if (!entries.length) return null;
  const max = Math.max(...entries.map(([, v]) => Math.abs(v)), 1e-9);
  return el("table", { class: "parts" },
    el("caption", {}, t("parts")),
    entries.map(([name, v]) => el("tr", {},
      el("th", { title: name }, (I18N[lang].partNames || {})[name] || name),
      el("td", { class: "bar" }, el("span", { style: `width:${Math.round((Math.abs(v) / max) * 100)}%`, class: v < 0 ? "neg" : "" })),
      el("td", { class: "num" }, fmt(v)))));
}

function evidenceList(evidence) {
  const items = (evidence || []).filter((e) => e && (e.text || e.id));
  return el("div", { class: "evidence" },
    el("h4", {}, t("evidence")),
    items.length
      ? el("ul", {}, items.map((e) => el("li", {},
          el("span", { class: `kind kind-${e.kind || "item"}` }, (I18N[lang].kinds || {})[e.kind] || e.kind || "·"),
          " ", e.id ? el("a", { href: "#", class: "node-link", onclick: (ev) => { ev.preventDefault(); openGraph(e.id, e.text || e.id); } }, e.text || e.id) : (e.text || ""),
          typeof e.score === "number" ? el("span", { class: "ev-score" }, ` ${fmt(e.score)}`) : null)))
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
  return el("article", { class: "result", "data-id": hit.id },
    el("header", {},
      el("h3", {}, hit.name || hit.title || hit.id),
      el("span", { class: "score" }, `${t("score")} ${fmt(hit.score ?? 0)}`),
      graphButton(hit.id, hit.name || hit.id),
      extra.feedback || null),
    extra.before || null,
    partsTable(hit.parts),
    evidenceList(hit.evidence),
    extra.after || null);
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
  drawGraph(`${t("graphOf")}${name || id}`, data.nodes, data.edges, id, extraEdges);
}

function drawGraph(title, nodes, edges, center, extraEdges = []) {
  const box = $("#graph-box");
  box.hidden = false;
  $("#graph-title").textContent = title;
  $("#graph-info").textContent = "";
  const ids = new Set(nodes.map((n) => n.id));
  const elements = [
    ...nodes.map((n) => ({ data: { id: n.id, label: (n.name || n.id).slice(0, 18), kind: n.label, full: n.name, center: n.id === center ? 1 : 0 } })),
    ...[...edges, ...extraEdges].filter((e) => ids.has(e.source) && ids.has(e.target))
      .map((e, i) => ({ data: { id: `e${i}`, source: e.source, target: e.target, label: e.type } })),
  ];
  if (typeof cytoscape !== "function") { $("#graph").textContent = `${nodes.length} nodes, ${edges.length} edges`; return; }
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
    $("#graph-info").textContent = `${d.kind}: ${d.full || d.id} (${d.id})`;
  });
  box.scrollIntoView({ block: "nearest" });
}

// ---- tabs -----------------------------------------------------------------------------------

function selectTab(name) {
  document.querySelectorAll(".tab").forEach((b) => b.classList.toggle("active", b.dataset.tab === name));
  document.querySelectorAll(".panel").forEach((p) => { p.hidden = p.id !== `panel-${name}`; });
  clearError();
}

// ---- pickers (search as you type) -----------------------------------------------------------

function picker(input, list, labels, onPick) {
  let timer = null;
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
        list.replaceChildren(...results.slice(0, 12).map((h) => el("li", { tabindex: 0, "data-id": h.id,
          onclick: () => { input.value = h.name; list.hidden = true; onPick(h); } }, `${h.name}`, el("small", {}, ` ${h.label} · ${h.id}`))));
        list.hidden = results.length === 0;
      } catch (e) { showError(e); }
    }, 200);
  });
}

// ---- the four jobs --------------------------------------------------------------------------

async function findSuppliers(ev) {
  ev.preventDefault();
  clearError();
  const text = $("#demand-text").value.trim();
  if (!text) { showError(t("needText")); return; }
  const body = { text, local: $("#s-local").checked, catalogued: $("#s-catalogued").checked, insured: $("#s-insured").checked,
    top: Number($("#s-top").value) || 10 };
  if ($("#s-field").value.trim()) body.field = $("#s-field").value.trim();
  if ($("#s-region").value.trim()) body.region = $("#s-region").value.trim();
  const out = $("#suppliers-results");
  working(out);
  try {
    const data = await api("/api/suppliers/search", { method: "POST", body });
    const hits = data.results || [];
    out.replaceChildren(...(hits.length ? hits.map((h) => resultCard(h, { feedback: feedbackButtons("suppliers", text, null, h) }))
      : [el("p", { class: "muted" }, t("noResults"))]));
  } catch (e) { out.replaceChildren(); showError(e); }
}

function memberRows(members) {
  return el("table", { class: "members" }, (members || []).map((m) => el("tr", {},
    el("th", {}, t(`role_${m.role}`) !== `role_${m.role}` ? t(`role_${m.role}`) : m.role),
    el("td", {}, el("a", { href: "#", class: "node-link", onclick: (ev) => { ev.preventDefault(); openGraph(m.id, m.name); } }, m.name || m.id)),
    el("td", { class: "num" }, typeof (m.fit ?? m.score) === "number" ? fmt(m.fit ?? m.score) : ""),
    el("td", {}, (m.evidence || []).slice(0, 2).map((e) => e.text || e.id).join("；")))));
}

async function buildConsortium(ev) {
  ev.preventDefault();
  clearError();
  const project = $("#project-id").value;
  if (!project) { showError(t("needProject")); return; }
  const roles = [...document.querySelectorAll("input[name=role]:checked")].map((i) => i.value);
  const body = { project, roles, alternatives: Number($("#c-alternatives").value) || 3, local: $("#c-local").checked };
  const out = $("#consortium-results");
  working(out);
  try {
    const data = await api("/api/consortia", { method: "POST", body });
    const alts = data.alternatives || data.consortia || [];
    if (!alts.length) { out.replaceChildren(el("p", { class: "muted" }, t("noResults"))); return; }
    out.replaceChildren(...alts.map((alt, i) => {
      const members = alt.members || [];
      const card = el("article", { class: "result consortium", "data-option": i + 1 },
        el("header", {}, el("h3", {}, `${t("option")} ${i + 1}`), el("span", { class: "score" }, `${t("score")} ${fmt(alt.score ?? 0)}`),
          el("button", { type: "button", class: "graph-btn", onclick: () => consortiumGraph(project, members, i + 1) }, t("showGraph"))),
        memberRows(members), partsTable(alt.parts), evidenceList(alt.evidence || members.flatMap((m) => (m.evidence || []).slice(0, 1))));
      return card;
    }));
  } catch (e) { out.replaceChildren(); showError(e); }
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
    const hits = data.pitches || [];
    out.replaceChildren(...(hits.length ? hits.map((h) => resultCard({ ...h, name: h.title || h.name }, {
      after: h.demands && h.demands.length ? el("div", { class: "answers" }, el("h4", {}, t("answers")),
        el("ul", {}, h.demands.map((d) => el("li", {}, typeof d === "string" ? d : `${d.text || d.id}${typeof d.score === "number" ? ` (${fmt(d.score)})` : ""}`)))) : null,
    })) : [el("p", { class: "muted" }, t("noResults"))]));
  } catch (e) { out.replaceChildren(); showError(e); }
}

async function matchTransfers(ev) {
  ev.preventDefault();
  clearError();
  const id = $("#t-id").value;
  const kind = $("#t-kind").value;
  if (!id) { showError(t("needPick")); return; }
  const key = { Technology: "technology", Demand: "demand", Organization: "org" }[kind] || "technology";
  const out = $("#transfers-results");
  working(out);
  try {
    const data = await api("/api/transfers", { method: "POST", body: { [key]: id } });
    const groups = [["demands", t("gDemands")], ["organizations", t("gOrganizations")], ["technologies", t("gTechnologies")]]
      .filter(([k]) => (data[k] || []).length);
    out.replaceChildren(...(groups.length ? groups.flatMap(([k, title]) => [el("h3", { class: "group" }, title), ...data[k].map((h) => resultCard(h))])
      : [el("p", { class: "muted" }, t("noResults"))]));
  } catch (e) { out.replaceChildren(); showError(e); }
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
  $("#shortlist-form").addEventListener("submit", makeShortlist);
  $("#transfers-form").addEventListener("submit", matchTransfers);
  picker($("#project-query"), $("#project-options"), ["Project"], (h) => { $("#project-id").value = h ? h.id : ""; });
  picker($("#t-query"), $("#t-options"), ["Technology", "Demand", "Organization"], (h) => {
    $("#t-id").value = h ? h.id : ""; $("#t-kind").value = h ? h.label : "";
  });
  applyLang();
  loadMe();
});
