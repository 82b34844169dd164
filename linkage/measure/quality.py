"""Quality per source and attribute: fill rate, validity rate and format conformance.

Over the attributes a source collects (source_columns), with the normalized values:
- fill_rate = records with a value / records of the source (placeholders such as 无 are blank);
- validity_rate = values whose normalization flag is fully valid (valid, parsed) / flagged values;
- format_rate = values whose flag is not a format failure (wrong_length, not_an_id,
  invalid_chars, invalid, unparsed) / flagged values — e.g. an ID number with a bad check digit
  has the right format but is not valid.
Both rates are null for attributes the normalizer does not flag (free text, codes, numbers).

Table written: metric_quality: entity_type, source, system, attribute, records, filled,
fill_rate, flagged, valid, validity_rate, conforming, format_rate.
"""

from __future__ import annotations

from linkage.engine import Engine
from linkage.measure.base import NONCONFORMING_FLAGS, VALID_FLAGS, sql_list


def measure_quality(engine: Engine) -> None:
    """Write metric_quality (see the module docstring)."""
    engine.execute(f"""
        CREATE OR REPLACE TABLE metric_quality AS
        WITH v AS (
            SELECT source, attribute, count(*) AS filled, count(flag) AS flagged,
                   count(*) FILTER (WHERE flag IN ({sql_list(VALID_FLAGS)})) AS valid,
                   count(*) FILTER (WHERE flag IS NOT NULL
                                      AND flag NOT IN ({sql_list(NONCONFORMING_FLAGS)})) AS conforming
            FROM _m_values GROUP BY source, attribute)
        SELECT a.entity_type, a.source, a.system, a.attribute, a.records,
               coalesce(v.filled, 0) AS filled,
               CASE WHEN a.records > 0 THEN coalesce(v.filled, 0) / a.records END AS fill_rate,
               coalesce(v.flagged, 0) AS flagged, coalesce(v.valid, 0) AS valid,
               CASE WHEN v.flagged > 0 THEN v.valid / v.flagged END AS validity_rate,
               coalesce(v.conforming, 0) AS conforming,
               CASE WHEN v.flagged > 0 THEN v.conforming / v.flagged END AS format_rate
        FROM _m_source_attributes a LEFT JOIN v USING (source, attribute)
        ORDER BY a.entity_type, a.source, a.attribute""")
