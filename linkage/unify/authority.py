"""The authority rank (一数一源) survivorship and collect-once use, with a fallback.

`metric_authority` (written by linkage.measure) ranks each attribute's sources by completeness,
validity and agreement with the majority.  When that table is absent (unify run on its own),
sources are ranked here by completeness × validity of the attribute in `records`: completeness
= share of the source's records with a value, validity = share of those values whose
normalizer flag is valid or absent (1 when the attribute has no flag); ties by source key.
"""

from __future__ import annotations

from linkage.attributes import ATTRIBUTES
from linkage.columns import flag as flag_of
from linkage.engine import Engine, Scratch
from linkage.measure.base import VALID_FLAGS

AUTHORITY_COLUMNS = {"entity_type", "attribute", "source", "rank"}
FALLBACK = "_unify_authority"


def authority_relation(engine: Engine, scratch: Scratch) -> tuple[str, str]:
    """(relation with entity_type, attribute, source, rank; basis "metric_authority" |
    "fill_and_validity").  The fallback is a working table in `scratch`."""
    if "metric_authority" in engine.tables() and AUTHORITY_COLUMNS <= set(engine.columns("metric_authority")):
        return "(SELECT entity_type, attribute, source, rank FROM metric_authority)", "metric_authority"
    d = engine.dialect
    columns = set(engine.columns("records"))
    selects = []
    for entity, attributes in ATTRIBUTES.items():
        for name in attributes:
            if name not in columns:
                continue
            flag = flag_of(name)
            valid = (f"avg(CASE WHEN coalesce({flag} IN ({d.in_list(VALID_FLAGS)}), {flag} IS NULL) "
                     "THEN 1.0 ELSE 0.0 END) "
                     f"FILTER (WHERE {name} IS NOT NULL)" if flag in columns else "1.0")
            selects.append(f"""
                SELECT {d.literal(entity)} AS entity_type, {d.literal(name)} AS attribute, source,
                       count({name}) / count(*) AS completeness, coalesce({valid}, 0.0) AS validity
                FROM records WHERE entity_type = {d.literal(entity)} GROUP BY source""")
    body = " UNION ALL ".join(selects) or (
        f"SELECT {d.null('text')} entity_type, {d.null('text')} attribute, {d.null('text')} source, "
        "0.0 completeness, 0.0 validity WHERE false")
    scratch.create(FALLBACK, f"""
        SELECT entity_type, attribute, source, row_number() OVER (
                   PARTITION BY entity_type, attribute ORDER BY completeness * validity DESC, source) AS rank
        FROM ({body})""")
    return FALLBACK, "fill_and_validity"
