"""Graph algorithms for the jobs, against networkx oracles on random graphs."""

from __future__ import annotations

import networkx as nx
import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.model import Edge, Node
from graph.proximity import CollaborationIndex, cohesion_matrix, personalized_pagerank_vectors


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(2, 12),
    edges=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11)), min_size=1, max_size=30),
    seed=st.integers(0, 11),
    alpha=st.sampled_from([0.5, 0.85]),
)
def test_ppr_matches_networkx(n: int, edges: list[tuple[int, int]], seed: int, alpha: float) -> None:
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from((a % n, b % n) for a, b in edges if a % n != b % n)
    a = sp.csr_matrix(nx.to_scipy_sparse_array(g, nodelist=range(n), dtype=float))
    seeds = np.zeros(n)
    seeds[seed % n] = 1.0
    ours = personalized_pagerank_vectors(a, seeds, alpha=alpha, iterations=500, tol=1e-13)
    want = nx.pagerank(
        g, alpha=alpha, personalization={i: float(seeds[i]) for i in range(n)},
        dangling={i: float(seeds[i]) for i in range(n)}, tol=1e-13, max_iter=1000,
    )
    assert np.allclose(ours, [want[i] for i in range(n)], atol=1e-6)


def _index() -> CollaborationIndex:
    nodes = [Node(x, "Organization", {"name": x}) for x in ("a", "b", "c", "d")]
    nodes[3] = Node("d", "Organization", {"name": "d", "parent_id": "c"})
    nodes += [Node("p1", "Project", {}), Node("p2", "Project", {}), Node("al", "Alliance", {"name": "L"})]
    edges = [
        Edge("a", "PARTICIPATES_IN", "p1"),
        Edge("b", "PARTICIPATES_IN", "p1"),
        Edge("b", "PARTICIPATES_IN", "p2"),
        Edge("c", "PARTICIPATES_IN", "p2"),
        Edge("c", "MEMBER_OF", "al", {"role": "lead"}),
        Edge("a", "MEMBER_OF", "al", {"role": "member"}),
    ]
    return CollaborationIndex.from_parts(nodes, edges)


def test_collaboration_questions() -> None:
    idx = _index()
    assert idx.co_participation("a", "b") == 1
    assert idx.co_participation("a", "c") == 0
    assert idx.shared_alliances("a", "c") == ["al"]
    assert idx.leads_alliance_of("c", "a") == ["al"]
    assert idx.leads_alliance_of("a", "c") == []
    assert idx.ownership_linked("c", "d") and not idx.ownership_linked("a", "d")
    assert idx.path_length("a", "d") is None
    assert idx.path_length("a", "b") == 1


def test_cohesion_matrix_direct_and_common() -> None:
    idx = _index()
    m = cohesion_matrix(idx, ["a", "b", "c", "d"])
    assert np.allclose(m, m.T)
    assert m[0, 1] > 0.5  # shared project
    assert 0 < m[0, 2] < 1  # shared alliance (0.5) and a common collaborator
    assert m[0, 3] == 0.0
