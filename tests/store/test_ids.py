"""Stable ids: persist, merge (the oldest survives), split (the largest part keeps it), new,
retired — and the history that explains each change."""

from __future__ import annotations

import polars as pl

from linkage.store.ids import stable_ids


def _current(clusters: dict[str, list[str]]) -> pl.DataFrame:
    """{cluster: [record keys]} → this run's records (record ids in key order)."""
    rows = sorted((key, cluster) for cluster, keys in clusters.items() for key in keys)
    return pl.DataFrame({"record_id": range(1, len(rows) + 1), "entity_type": "person", "source": "s",
                         "record_key": [k for k, _ in rows], "cluster": [c for _, c in rows]})


def _previous(entities: dict[str, list[str]]) -> pl.DataFrame:
    return pl.DataFrame([{"entity_type": "person", "source": "s", "record_key": k, "entity_id": e}
                         for e, keys in entities.items() for k in keys])


AGES = pl.DataFrame({"entity_type": "person", "entity_id": ["P000000001", "P000000002", "P000000003"],
                     "created_run": [1, 2, 1]})
BEFORE = {"P000000001": ["a", "b"], "P000000002": ["c", "d", "e"], "P000000003": ["f"]}


def _run(clusters: dict[str, list[str]]):
    assigned = stable_ids(_current(clusters), _previous(BEFORE), AGES, {"person": 4}, run=3)
    ids = dict(_current(clusters).join(assigned.ids, on="record_id")
               .select("record_key", "entity_id").iter_rows())
    history = assigned.history.select("kind", "old_id", "new_id", "records").rows()
    return ids, history, assigned


def test_unchanged_entities_keep_their_ids_and_nothing_is_recorded():
    ids, history, assigned = _run({"x": ["a", "b"], "y": ["c", "d", "e"], "z": ["f"]})
    assert ids == {"a": "P000000001", "b": "P000000001", "c": "P000000002", "d": "P000000002",
                   "e": "P000000002", "f": "P000000003"}
    assert history == [] and assigned.next_number == {"person": 4}


def test_a_merge_keeps_the_oldest_id():
    # P2 (run 2) and P3 (run 1) merge: P3 is older although P2 has more records
    ids, history, _ = _run({"x": ["a", "b"], "y": ["c", "d", "e", "f"]})
    assert {ids[k] for k in "cdef"} == {"P000000003"}
    assert history == [("merged", "P000000002", "P000000003", 3)]


def test_a_split_leaves_the_id_with_the_largest_part_and_numbers_the_rest_on():
    ids, history, assigned = _run({"x": ["a", "b"], "y": ["c", "d"], "w": ["e"], "z": ["f"]})
    assert ids["c"] == ids["d"] == "P000000002" and ids["e"] == "P000000004"
    assert history == [("split", "P000000002", "P000000004", 1)]
    assert assigned.next_number == {"person": 5}


def test_new_records_make_new_entities_and_gone_entities_retire():
    ids, history, assigned = _run({"x": ["a", "b"], "y": ["c", "d", "e"], "n": ["g", "h"]})
    assert ids["g"] == ids["h"] == "P000000004"
    assert history == [("new", None, "P000000004", 2), ("retired", "P000000003", None, 1)]
    assert assigned.history.filter(pl.col("kind") == "retired")["record_keys"].to_list() == [["s:f"]]
    assert assigned.created["entity_id"].to_list() == ["P000000004"]


def test_a_record_added_to_an_entity_changes_no_id():
    ids, history, _ = _run({"x": ["a", "b", "g"], "y": ["c", "d", "e"], "z": ["f"]})
    assert ids["g"] == "P000000001" and history == []
