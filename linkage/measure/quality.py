"""Quality per source and attribute: fill rate, validity rate and format conformance.

Over the attributes a source collects (source_columns), with the normalized values:
- fill_rate = records with a value / records of the source (placeholders such as 无 are blank);
- validity_rate = values whose normalization flag is fully valid (valid, parsed; org_code, an
  organisation code keyed into a credit-code column; area_code_added, a local phone number
  completed with the area code of its place) / flagged values;
- format_rate = values whose flag is not a format failure (wrong_length, not_an_id,
  invalid_chars, invalid, unparsed, precision_lost) / flagged values — e.g. an ID number with a
  bad check digit has the right format but is not valid.
Both rates are null for attributes the normalizer does not flag (free text, codes, numbers).

Table written: metric_quality: entity_type, source, system, attribute, records, filled,
fill_rate, flagged, valid, validity_rate, conforming, format_rate.
"""

from __future__ import annotations

from linkage.engine import Engine


def measure_quality(engine: Engine) -> None:
    """Write metric_quality (see the module docstring); `_m_values.fc` holds the flag class."""
    engine.create_table("metric_quality", """
        WITH v AS (
            SELECT sid, aid, count(*) AS filled, count(fc) AS flagged,
                   count(*) FILTER (WHERE fc = 2) AS valid,
                   count(*) FILTER (WHERE fc >= 1) AS conforming
            FROM _m_values GROUP BY sid, aid)
        SELECT a.entity_type, a.source, a.system, a.attribute, a.records,
               coalesce(v.filled, 0) AS filled,
               CASE WHEN a.records > 0 THEN coalesce(v.filled, 0) / a.records END AS fill_rate,
               coalesce(v.flagged, 0) AS flagged, coalesce(v.valid, 0) AS valid,
               CASE WHEN v.flagged > 0 THEN v.valid / v.flagged END AS validity_rate,
               coalesce(v.conforming, 0) AS conforming,
               CASE WHEN v.flagged > 0 THEN v.conforming / v.flagged END AS format_rate
        FROM _m_source_attributes a LEFT JOIN v USING (sid, aid)
        ORDER BY a.entity_type, a.source, a.attribute""")
