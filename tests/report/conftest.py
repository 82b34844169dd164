"""A small finished run, built by hand: the tables and metrics the report reads.

Two person systems (居住登记 jzdj, 计生 jsxt) and one enterprise system (劳保 lb); raw ID numbers
and phones appear in the consistency examples and a credit code in free text, so masking is
tested.  Things to improve are planted: a sniffed phone column (confidence 0.82), sources that
carry only a name (jsxt, lb), one possible match, one quarantined row and an enterprise recall
estimate of 80 %.
"""

from __future__ import annotations

import polars as pl
import pytest

from linkage.engine import open_engine

RAW_ID = "11010519491231002X"
RAW_PHONE = "13812345678"
RAW_USCC = "91440300MA5DC1XK7R"


def base_metrics() -> dict:
    """The pipeline's own parts of metrics.json: run, row_accounting, link."""
    return {
        "run": {"name": "demo", "version": "0.1.0", "config": "demo.yaml"},
        "row_accounting": [
            {"source": "jsxt", "rows_in": 5, "records": 4, "quarantined": 1, "balanced": True},
            {"source": "jzdj", "rows_in": 6, "records": 6, "quarantined": 0, "balanced": True},
            {"source": "lb", "rows_in": 3, "records": 3, "quarantined": 0, "balanced": True},
        ],
        "link": {
            "person": {"records": 10, "entities": 7, "candidate_pairs": 6, "linked_pairs": 4,
                       "pairs_per_rule": {"id_number": 3, "phone": 2,
                                          "name_pinyin + birth_date": 1},
                       "threshold": 0.9, "iterations": 12, "converged": True, "lambda": 0.3,
                       "trained_on": "EM", "seconds": {}},
            "enterprise": {"records": 3, "entities": 2, "candidate_pairs": 2, "linked_pairs": 1,
                               "pairs_per_rule": {"uscc": 1, "name_core": 1}, "threshold": 0.9,
                           "iterations": 5, "converged": True, "lambda": 0.2,
                           "trained_on": "EM", "seconds": {},
                           "recall_estimate": {"estimated": True, "pairwise_recall": 0.8,
                                               "pairwise_recall_low": 0.7,
                                               "pairwise_recall_high": 0.9, "missed_records": 0.6,
                                               "distinct_entities": 2.4,
                                               "distinct_entities_low": 2.1,
                                               "distinct_entities_high": 2.7,
                                               "redundant_records": 1.6,
                                               "redundant_records_low": 1.3,
                                               "redundant_records_high": 1.9}},
        },
    }


def stage_metrics(tables: dict[str, pl.DataFrame]) -> dict:
    """The "measure" and "unify" parts of metrics.json, as linkage.measure/unify document them."""
    rows = {name: frame.to_dicts() for name, frame in tables.items()}
    return {
        "measure": {
            "overview": {
                "person": {"records": 10, "entities": 7, "redundant_records": 3,
                           "within_source_duplicates": 1, "multi_system_entities": 2},
                "enterprise": {"records": 3, "entities": 2, "redundant_records": 1,
                               "within_source_duplicates": 1, "multi_system_entities": 0}},
            "sources": rows["metric_source"], "systems": rows["metric_system"],
            "system_pairs": rows["metric_system_pair"], "combinations": rows["metric_combination"],
            "reentry": {"totals": {"person": {"hours_per_year": 12.5},
                                   "enterprise": {"hours_per_year": 0.0}},
                        "fields": rows["metric_field_reentry"]},
            "communities": [r for r in rows["metric_community"] if r["area"] is not None],
            "consistency": {
                "attributes": rows["metric_consistency"],
                "examples": [{"entity_type": "person", "attribute": "phone",
                              "entity_id": "P000000001",
                              "values": [{"source": "jzdj", "value": RAW_PHONE},
                                         {"source": "jsxt", "value": "13912345678"}]},
                             {"entity_type": "person", "attribute": "id_number",
                              "entity_id": "P000000002",
                              "values": [{"source": "jzdj", "value": RAW_ID},
                                         {"source": "jsxt", "value": "110105194912310038"}]}]},
            "quality": rows["metric_quality"], "authority": rows["metric_authority"],
        },
        "unify": {
            "schema": {"person": {"core_table": "person", "columns": [
                {k: v for k, v in row.items() if k not in ("entity_type", "label_zh", "label_en")}
                for row in rows["unified_schema"]]}},
            "crosswalk": {"source_columns": 20, "mapped": 15, "unmapped": 5, "to_core": 12,
                          "to_extension": 6, "dropped": 2},
            "collect_once": {
                "totals": {"person": {"core_attributes": 5, "fields_stop_keying": 3,
                                      "reentries_saved": 4.5, "hours_per_year_saved": 7.25,
                                      "hours_per_year_remaining": 0.5}},
                "fields": [{"entity_type": "person", "attribute": "phone",
                            "authoritative_source": "jzdj", "stop_keying": ["jsxt"],
                            "reentries": 1.5, "hours_per_year": 7.25}],
                "hours_per_year_saved": 7.25},
        },
    }


def run_tables() -> dict[str, pl.DataFrame]:
    """The run's tables the report reads (the metric_* tables as linkage.measure writes them)."""
    return {
        "sources": pl.DataFrame({
            "source": ["jzdj", "jsxt", "lb"], "system": ["jzdj", "jsxt", "lb"],
            "title": ["居住登记", "计生", "劳保"], "entity_type": ["person", "person", "enterprise"],
            "rows_in": [6, 5, 3]}),
        "quarantine": pl.DataFrame({
            "source": ["jsxt"], "source_row": [5], "line": [6], "code": ["too_many_fields"],
            "detail": ['{"expected": 4, "found": 5}'],
            "reason": ["too many fields: 5 values for 4 columns (line 6)"],
            "raw": [f'{{"phone": "{RAW_PHONE}"}}']}),
        "pairs": pl.DataFrame({
            "record_id_l": [1, 1, 2, 3, 4, 5, 11, 11], "record_id_r": [7, 8, 9, 10, 6, 6, 12, 13],
            "entity_type": ["person"] * 6 + ["enterprise"] * 2,
            "match_weight": [12.0, 9.5, 8.0, 4.0, -3.0, -6.5, 10.0, -2.0],
            "match_probability": [1.0, 0.99, 0.99, 0.94, 0.11, 0.01, 0.99, 0.2]}),
        "blocking_stats": pl.DataFrame({
            "entity_type": ["person"] * 3 + ["enterprise"] * 2, "rule_order": [0, 1, 2, 0, 1],
            "rule": ["id_number", "phone", "name_pinyin + birth_date", "uscc", "name_core"],
            "pairs": [3, 2, 1, 1, 1], "candidate_pairs": [3, 3, 1, 1, 2]}),
        "metric_source": pl.DataFrame({
            "entity_type": ["person", "person", "enterprise"], "source": ["jsxt", "jzdj", "lb"],
            "system": ["jsxt", "jzdj", "lb"], "title": ["计生", "居住登记", "劳保"],
            "records": [4, 6, 3], "entities": [4, 5, 2], "within_duplicates": [0, 1, 1],
            "shared_entities": [2, 2, 0], "shared_share": [0.5, 0.4, 0.0]}),
        "metric_system": pl.DataFrame({
            "entity_type": ["person", "person", "enterprise"], "system": ["jsxt", "jzdj", "lb"],
            "records": [4, 6, 3], "entities": [4, 5, 2], "within_duplicates": [0, 1, 1],
            "shared_entities": [2, 2, 0], "shared_share": [0.5, 0.4, 0.0]}),
        "metric_system_pair": pl.DataFrame({
            "entity_type": ["person"], "system_l": ["jsxt"], "system_r": ["jzdj"],
            "entities_l": [4], "entities_r": [5], "shared_entities": [2],
            "share_of_l": [0.5], "share_of_r": [0.4]}),
        "metric_combination": pl.DataFrame({
            "level": ["system"] * 4, "entity_type": ["person", "person", "person", "enterprise"],
            "members": ["jzdj", "jsxt+jzdj", "jsxt", "lb"], "degree": [1, 2, 1, 1],
            "entities": [3, 2, 2, 2], "records": [4, 4, 2, 3]}),
        "metric_field_reentry": pl.DataFrame({
            "entity_type": ["person"] * 4, "attribute": ["name", "name", "phone", "id_number"],
            "system": ["jsxt", "jzdj", "jzdj", "jzdj"], "source": ["jsxt", "jzdj", "jzdj", "jzdj"],
            "entities": [4, 5, 5, 5], "values_keyed": [4, 6, 6, 6],
            "reentries": [1.0, 2.0, 1.5, 3.0], "seconds_per_field": [5.0, 5.0, 8.0, 12.0],
            "seconds": [5.0, 10.0, 12.0, 36.0], "updates_per_year": [4.0, 4.0, 4.0, 4.0],
            "hours_per_year": [0.0056, 0.0111, 0.0133, 0.04]}),
        "metric_community": pl.DataFrame({
            "entity_type": ["person"] * 3, "level": ["community"] * 3,
            "area": ["华强北社区", "福田社区", None], "records": [6, 3, 1], "entities": [4, 2, 1],
            "reentries": [3.0, 1.0, 0.0], "seconds": [30.0, 10.0, 0.0],
            "hours_per_year": [0.05, 0.02, 0.0]}),
        "metric_consistency": pl.DataFrame({
            "entity_type": ["person", "person"], "attribute": ["phone", "id_number"],
            "entities_compared": [3, 3], "entities_disagreeing": [1, 0],
            "disagreement_rate": [1 / 3, 0.0]}),
        "metric_consistency_pair": pl.DataFrame({
            "entity_type": ["person"], "attribute": ["phone"], "source_l": ["jsxt"],
            "source_r": ["jzdj"], "entities_compared": [2], "entities_disagreeing": [1],
            "disagreement_rate": [0.5]}),
        "metric_quality": pl.DataFrame({
            "entity_type": ["person", "enterprise"], "source": ["jzdj", "lb"],
            "attribute": ["id_number", "uscc"], "fill_rate": [1.0, 0.67],
            "validity_rate": [0.83, 1.0]}),
        "metric_authority": pl.DataFrame({
            "entity_type": ["person", "person"], "attribute": ["phone", "phone"],
            "source": ["jzdj", "jsxt"], "system": ["jzdj", "jsxt"], "completeness": [1.0, 0.5],
            "validity": [1.0, 0.9], "agreement": [0.9, 0.6], "score": [0.97, 0.66],
            "rank": [1, 2]}),
        "unified_schema": pl.DataFrame({
            "entity_type": ["person"] * 3, "table_name": ["person", "person", "person_jsxt"],
            "column_name": ["entity_id", "id_number", "hunyin"], "position": [1, 2, 1],
            "placement": ["key", "core", "extension"], "system": [None, None, "jsxt"],
            "sql_type": ["VARCHAR", "VARCHAR(18)", "VARCHAR"], "nullable": [False, True, True],
            "standard": [None, "GB 11643", None], "label_zh": ["实体编号", "公民身份号码", "婚育"],
            "label_en": ["Entity ID", "ID number", "Marriage"],
            "rationale_zh": ["主键", "识别字段", "仅计生采集"],
            "rationale_en": ["key", "identifying", "only jsxt collects it"]}),
        "model_params": pl.DataFrame({
            "entity_type": ["person"] * 5 + ["enterprise"] * 2,
            "comparison": ["id_number", "id_number", "name", "name", "name", "registration",
                           "registration"],
            "gamma": [1, 0, 2, 1, 0, 1, 0],
            "level": ["exact", "different", "exact", "same pinyin (homophone)", "different",
                      "same credit code", "different"],
            "level_zh": ["完全一致", "不同", "完全一致", "同音(拼音相同)", "不同", "统一社会信用代码相同",
                         "不同"],
            "m": [0.95, 0.05, 0.9, 0.06, 0.04, 0.97, 0.03],
            "u": [0.001, 0.999, 0.002, 0.0001, 0.9979, 0.0005, 0.9995],
            "bayes_factor": [950.0, 0.05005, 450.0, 600.0, 0.04008, 1940.0, 0.030015],
            "match_weight": [9.891, -4.321, 8.814, 9.229, -4.641, 10.922, -5.058],
            "tf": [False] * 7}),
        "blocking_plan": pl.DataFrame({
            "entity_type": ["person"] * 3 + ["enterprise"] * 2, "rule_order": [0, 1, 2, 0, 1],
            "rule": ["id_number", "phone", "name_pinyin + birth_date", "uscc", "name_core"],
            "reason": ["identifier", "identifier", "name with a supporting attribute",
                       "identifier", "a rare name alone (sparse records)"],
            "planned": [True] * 5}),
        "blocking_coverage": pl.DataFrame({
            "entity_type": ["person", "person", "enterprise"], "source_l": ["jsxt", "jsxt", "lb"],
            "source_r": ["jsxt", "jzdj", "lb"], "shared": ["id_number, name", "name, phone", "name"],
            "rules": [3, 1, 1], "fragile": ["", "phone", "name"]}),
        "attribute_fill": pl.DataFrame({
            "entity_type": ["person"] * 4 + ["enterprise"],
            "source": ["jzdj", "jzdj", "jzdj", "jsxt", "lb"],
            "attribute": ["name", "id_number", "phone", "name", "name"],
            "key": ["name_pinyin", "id_number", "phone", "name_pinyin", "name_core"],
            "fill": [1.0, 0.9, 0.8, 1.0, 1.0]}),
        "source_columns": pl.DataFrame({
            "source": ["jzdj", "jzdj", "jsxt", "lb"], "column_index": [0, 1, 0, 0],
            "header": ["姓名", "备用号码", "xm", "单位"],
            "attribute": ["name", "phone", "name", "name"],
            "method": ["synonym", "sniffed", "synonym", "config"],
            "confidence": [1.0, 0.82, 1.0, 1.0], "fill_rate": [1.0, 0.5, 1.0, 1.0]}),
        "possible_matches": pl.DataFrame({
            "entity_type": ["person"], "record_id_l": [4], "record_id_r": [6],
            "match_probability": [0.11], "match_weight": [-3.0]}),
        "crosswalk": pl.DataFrame({
            "entity_type": ["person"], "source": ["jsxt"], "system": ["jsxt"],
            "source_column": ["身份证号"], "attribute": ["id_number"], "method": ["synonym"],
            "transformation": ["GB 11643 check"], "target": ["person.id_number"],
            "rationale_zh": [f"标准字段，如 {RAW_USCC}"],
            "rationale_en": [f"canonical, e.g. {RAW_USCC}"]}),
    }


def full_metrics() -> dict:
    """metrics.json of the hand-built run, as the pipeline writes it."""
    return {**base_metrics(), **stage_metrics(run_tables())}


@pytest.fixture
def metrics() -> dict:
    return full_metrics()


@pytest.fixture(scope="module")
def run_engine():
    """The run's tables in an in-memory engine (shared by a module's tests: none writes to it)."""
    engine = open_engine()
    for name, frame in run_tables().items():
        engine.load(name, frame)
    yield engine
    engine.close()
