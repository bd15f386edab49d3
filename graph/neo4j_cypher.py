"""Every Cypher statement the Bolt store (:mod:`graph.neo4j_store`) can send, and the one way
text gets into a statement.

Every statement is parameterised Cypher held in a module constant and listed in
:data:`STATEMENTS`. The only text put into a statement is a label, relationship type or
constraint name, and only after it matched ``[A-Za-z][A-Za-z0-9_]*`` (:func:`ident`) and was
quoted with backticks (:func:`render`); everything that comes from data is a ``$parameter``.
:func:`all_statements` renders every template, which is what the grammar check in the tests
runs through Neo4j's own parser (``tools/cypher-lint``).

Names on the server: every node of the graph carries ``FsNode`` (:data:`NODE_LABEL`) and its own
label; ``(:FsMeta {key})`` holds the version counter, ``(:FsCache {ck})`` the blob cache.

Examples
--------
>>> render(CREATE_NODES, label="Patent")
'UNWIND $rows AS r CREATE (n:FsNode:`Patent`) SET n = r.props'
>>> sorted(all_statements())[:2]
['ALL_EDGES', 'ALL_NODES[Organization]']
"""

from __future__ import annotations

import re
from typing import Final

from graph.errors import StoreError
from graph.model import Label, Rel

__all__ = [
    "CACHE_LABEL",
    "META_LABEL",
    "NODE_LABEL",
    "RESERVED_LABELS",
    "STATEMENTS",
    "all_statements",
    "constraint_name",
    "ident",
    "is_ident",
    "render",
]

# ---- names --------------------------------------------------------------------------------

NODE_LABEL: Final = "FsNode"
META_LABEL: Final = "FsMeta"
CACHE_LABEL: Final = "FsCache"
RESERVED_LABELS: Final = frozenset({NODE_LABEL, META_LABEL, CACHE_LABEL})
"""Labels the store keeps for itself: no node of the graph may carry one as its own."""
OWN_KEYS: Final = ((NODE_LABEL, "id"), (META_LABEL, "key"), (CACHE_LABEL, "ck"))
"""(label, property) of the store's own uniqueness constraints."""
_IDENT = re.compile(r"[A-Za-z][A-Za-z0-9_]*")

# ---- the statements -----------------------------------------------------------------------
# ``__LABEL__``, ``__TYPE__``, ``__NAME__`` and ``__PROP__`` are filled by ``render`` with a
# checked identifier; everything that comes from data is a $parameter.

CREATE_ID_CONSTRAINT: Final = (
    "CREATE CONSTRAINT `__NAME__` IF NOT EXISTS FOR (n:`__LABEL__`) REQUIRE n.`__PROP__` IS UNIQUE"
)
NODES_BY_ID: Final = (
    "UNWIND $ids AS id MATCH (n:FsNode {id: id}) "
    "RETURN n.id AS id, labels(n) AS labels, properties(n) AS props"
)
IDS_PRESENT: Final = "UNWIND $ids AS id MATCH (n:FsNode {id: id}) RETURN n.id AS id"
# New and existing nodes are told apart by NODES_BY_ID in the same transaction, so nodes are
# written with CREATE / MATCH … SET rather than MERGE: ArcadeDB answers a MERGE on a two-label
# pattern with a full scan (500 rows into 20k nodes: 56 s), and adding the second label ON CREATE
# breaks its unique index. The uniqueness constraints still refuse a duplicate written by a
# concurrent transaction; that ConstraintError makes the upsert run again, and then it updates.
CREATE_NODES: Final = "UNWIND $rows AS r CREATE (n:FsNode:`__LABEL__`) SET n = r.props"
UPDATE_NODES: Final = "UNWIND $rows AS r MATCH (n:FsNode {id: r.id}) SET n = r.props"
EDGES_BY_KEY: Final = (
    "UNWIND $keys AS k MATCH (a:FsNode {id: k.s})-[e:`__TYPE__`]->(b:FsNode {id: k.t}) "
    "RETURN a.id AS s, b.id AS t, properties(e) AS props"
)
MERGE_EDGES: Final = (
    "UNWIND $rows AS r MATCH (a:FsNode {id: r.s}) MATCH (b:FsNode {id: r.t}) "
    "MERGE (a)-[e:`__TYPE__`]->(b) SET e = r.props"
)
BUMP_VERSION: Final = (
    "MERGE (m:FsMeta {key: 'version'}) ON CREATE SET m.value = 0 "
    "SET m.value = m.value + 1 RETURN m.value AS value"
)
GET_VERSION: Final = "MATCH (m:FsMeta {key: 'version'}) RETURN m.value AS value"
FIND_NODES: Final = (
    "MATCH (n:`__LABEL__`) "
    "WHERE all(c IN $conds WHERE n[c.k] = c.v "
    "OR (CASE WHEN n[c.k] IS :: LIST<ANY> THEN c.v IN n[c.k] ELSE false END)) "
    "RETURN n.id AS id, labels(n) AS labels, properties(n) AS props ORDER BY n.id"
)
ALL_NODES: Final = (
    "MATCH (n:`__LABEL__`) RETURN n.id AS id, labels(n) AS labels, properties(n) AS props "
    "ORDER BY n.id"
)
ALL_EDGES: Final = (
    "MATCH (a:FsNode)-[e]->(b:FsNode) "
    "RETURN a.id AS s, type(e) AS type, b.id AS t, properties(e) AS props"
)
EDGES_OF_TYPE: Final = (
    "MATCH (a:FsNode)-[e:`__TYPE__`]->(b:FsNode) "
    "RETURN a.id AS s, type(e) AS type, b.id AS t, properties(e) AS props"
)
OUT_EDGES: Final = (
    "MATCH (a:FsNode {id: $id})-[e]->(b:FsNode) WHERE $rel IS NULL OR type(e) = $rel "
    "RETURN a.id AS s, type(e) AS type, b.id AS t, properties(e) AS props"
)
IN_EDGES: Final = (
    "MATCH (a:FsNode)-[e]->(b:FsNode {id: $id}) WHERE $rel IS NULL OR type(e) = $rel "
    "RETURN a.id AS s, type(e) AS type, b.id AS t, properties(e) AS props"
)
NEXT_LEVEL: Final = (
    "UNWIND $ids AS id MATCH (a:FsNode {id: id})-[e]-(b:FsNode) "
    "WHERE $rel IS NULL OR type(e) = $rel RETURN DISTINCT b.id AS id"
)
EDGES_AMONG: Final = (
    "UNWIND $ids AS id MATCH (a:FsNode {id: id})-[e]->(b:FsNode) "
    "WHERE b.id IN $ids AND ($rel IS NULL OR type(e) = $rel) "
    "RETURN a.id AS s, type(e) AS type, b.id AS t, properties(e) AS props"
)
OUT_EDGES_MANY: Final = (
    "UNWIND $ids AS id MATCH (a:FsNode {id: id})-[e]->(b:FsNode) "
    "WHERE $rel IS NULL OR type(e) = $rel "
    "RETURN a.id AS s, type(e) AS type, b.id AS t, properties(e) AS props"
)
COUNT_LABELS: Final = (
    "MATCH (n:FsNode) UNWIND labels(n) AS label WITH label WHERE label <> 'FsNode' "
    "RETURN label AS name, count(*) AS n"
)
COUNT_TYPES: Final = "MATCH ()-[e]->() RETURN type(e) AS name, count(*) AS n"
CACHE_GET: Final = (
    "UNWIND $cks AS ck MATCH (c:FsCache {ck: ck}) RETURN c.key AS key, c.value AS value"
)
CACHE_PUT: Final = (
    "UNWIND $rows AS r MERGE (c:FsCache {ck: r.ck}) "
    "SET c.ns = r.ns, c.key = r.key, c.value = r.value"
)
CLEAR_BATCH: Final = (
    "MATCH (n) WHERE NOT n:FsMeta WITH n LIMIT $batch DETACH DELETE n RETURN count(*) AS n"
)
PING: Final = "RETURN 1 AS ok"
SHOW_CONSTRAINTS: Final = (
    "SHOW CONSTRAINTS YIELD type, labelsOrTypes, properties "
    "RETURN type, labelsOrTypes AS labels, properties AS props"
)
SERVER_COMPONENTS: Final = (
    "CALL dbms.components() YIELD name, versions, edition "
    "RETURN name, versions[0] AS version, edition"
)

_NOT_STATEMENTS: Final = frozenset(
    {"NODE_LABEL", "META_LABEL", "CACHE_LABEL", "RESERVED_LABELS", "OWN_KEYS"}
)
STATEMENTS: Final[dict[str, str]] = {
    name: value
    for name, value in dict(globals()).items()
    if name.isupper() and isinstance(value, str) and name not in _NOT_STATEMENTS
}
"""Every statement template, by constant name (every upper-case string constant above)."""

_PLACEHOLDERS = ("__LABEL__", "__TYPE__", "__NAME__", "__PROP__")


def is_ident(value: str) -> bool:
    """True when ``value`` may be put into a statement as a label or type.

    >>> is_ident("Patent"), is_ident("Patent`) DETACH DELETE (n")
    (True, False)
    """
    return _IDENT.fullmatch(value) is not None


def ident(value: str, what: str) -> str:
    """``value`` when it is a plain identifier, else ``StoreError`` naming ``what``."""
    if not is_ident(value):
        raise StoreError(f"{what} {value!r} is not a plain identifier ([A-Za-z][A-Za-z0-9_]*)")
    return value


def render(template: str, **names: str) -> str:
    """Fill a statement template's placeholders with checked identifiers.

    >>> render(EDGES_OF_TYPE, type="MAKES").startswith("MATCH (a:FsNode)-[e:`MAKES`]")
    True
    """
    text = template
    for key, value in names.items():
        text = text.replace(f"__{key.upper()}__", ident(value, key))
    if any(p in text for p in _PLACEHOLDERS):
        raise StoreError(f"statement template not fully rendered: {text}")
    return text


def constraint_name(label: str, prop: str) -> str:
    """The name of the uniqueness constraint on ``label.prop``.

    >>> constraint_name("Organization", "id")
    'fs_organization_id_unique'
    """
    return f"fs_{label.lower()}_{prop}_unique"


def all_statements(*, every_label: bool = False) -> dict[str, str]:
    """Every statement template, rendered: what the grammar check in the tests runs over.

    Labels and types enter a statement only as backtick-quoted identifiers, so one rendering
    per template shows its grammar; ``every_label`` renders each for every label and type of
    the model instead (what the store can issue for the model's data).
    """
    labels: list[str] = [NODE_LABEL, *Label] if every_label else [str(Label.ORGANIZATION)]
    rels: list[str] = list(Rel) if every_label else [str(Rel.MEMBER_OF)]
    out: dict[str, str] = {}
    for name, template in STATEMENTS.items():
        if "__LABEL__" in template and "__NAME__" in template:  # constraints
            keys = [(label, "id") for label in labels]
            keys += [key for key in OWN_KEYS if key[0] != NODE_LABEL or not every_label]
            for label, prop in keys:
                out[f"{name}[{label}]"] = render(
                    template, label=label, name=constraint_name(label, prop), prop=prop
                )
        elif "__LABEL__" in template:
            for label in labels:
                out[f"{name}[{label}]"] = render(template, label=label)
        elif "__TYPE__" in template:
            for rel in rels:
                out[f"{name}[{rel}]"] = render(template, type=rel)
        else:
            out[name] = render(template)
    return out
