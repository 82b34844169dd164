"""Review labels in a run: the file format, must- and cannot-links in clustering, labels in EM."""

import numpy as np
import pytest

from linkage.link import run_linkage
from linkage.link.cluster import cluster
from linkage.link.explain import explain_pair
from linkage.link.labels import COLUMNS, LabelsError, current, parse, read_labels, run_labels
from linkage.link.model import Model, estimate_m, known_patterns
from tests.link.conftest import FAST, people, records

HEADER = ",".join(COLUMNS) + "\n"


def _row(l, r, decision, at="2024-06-01T08:00:00.000+00:00", source="s", kind="pair",
         entity="person") -> str:
    return (f"{at},clerk,a1,{kind},{decision},possible,{entity},{source},{l},{source},{r},"
            "source_row,\n")


def _write(path, rows) -> None:
    path.write_text(HEADER + "".join(rows), encoding="utf-8")


def test_last_decision_wins_in_either_spelling_and_retracted_undecides():
    data = (HEADER + _row(1, 2, "same") + _row(2, 1, "different", "2024-06-01T09:00:00.000+00:00")
            + _row(3, 4, "same") + _row(3, 4, "retracted", "2024-06-01T09:00:00.000+00:00")
            + _row(5, 6, "unsure"))
    rows = parse(data.encode(), "labels.csv")
    assert rows["line"].to_list() == [2, 3, 4, 5, 6]
    now = current(rows)
    assert now.select("key_l", "key_r", "decision").rows() == [("1", "2", "different"),
                                                               ("5", "6", "unsure")]


def test_a_byte_order_mark_is_no_part_of_the_header():
    rows = parse(b"\xef\xbb\xbf" + (HEADER + _row(1, 2, "same")).encode(), "x")
    assert rows["labelled_at"].to_list() == ["2024-06-01T08:00:00.000+00:00"]


def test_equal_times_keep_file_order():
    rows = parse((HEADER + _row(1, 2, "same") + _row(1, 2, "different")).encode(), "x")
    assert current(rows)["decision"].to_list() == ["different"]


def test_a_torn_last_line_is_ignored(tmp_path):
    path = tmp_path / "l.csv"
    path.write_bytes((HEADER + _row(1, 2, "same")).encode() + b"2024-06-01T10:00,cle")
    assert read_labels(path).height == 1
    assert read_labels(tmp_path / "absent.csv").height == 0


@pytest.mark.parametrize("bad, column", [
    (_row(1, 2, "maybe"), "decision"), (_row(1, 2, "same", kind="group"), "kind"),
    (_row("x", 2, "same"), "key_l"), (_row(1, 2, "same").replace("source_row", "hash"), "key_type"),
])
def test_a_bad_value_names_the_line_and_column(bad, column):
    with pytest.raises(LabelsError, match=rf"labels.csv: line 3, column {column}:"):
        parse((HEADER + _row(1, 2, "same") + bad).encode(), "labels.csv")


def test_a_file_without_the_columns_is_refused():
    with pytest.raises(LabelsError, match="missing column"):
        parse(b"a,b\n1,2\n", "labels.csv")


def test_labels_resolve_to_record_ids_of_one_entity_type(engine, tmp_path):
    engine.load("records", records([{"name": "张三"}] * 4))
    path = tmp_path / "l.csv"
    _write(path, [_row(3, 1, "same"), _row(2, 4, "different"), _row(1, 99, "same"),
                  _row(1, 2, "same", entity="enterprise"), _row(2, 3, "unsure")])
    labels = run_labels(engine, path, "person")
    assert list(zip(labels.left, labels.right, labels.same)) == [(1, 3, True), (2, 4, False)]
    assert labels.unresolved == 1  # row 99 is not in this run
    assert labels.state(np.array([1, 2, 1]), np.array([3, 4, 2])).tolist() == [1, 0, -1]


def test_a_cannot_link_is_never_joined_through_other_records():
    # 1 - 2 - 3 linked strongly; a reviewer said 1 and 3 are different people
    ids = np.array([1, 2, 3, 4])
    left, right, weight = np.array([1, 2, 3]), np.array([2, 3, 4]), np.array([9.0, 20.0, 30.0])
    none = np.full((4, 1), -1)
    assert cluster(ids, left, right, weight, none).tolist() == [1, 1, 1, 1]
    rep = cluster(ids, left, right, weight, none, cannot=(np.array([1]), np.array([3])))
    assert rep[0] != rep[2]
    assert rep.tolist() == [1, 2, 2, 2]  # the weakest link (1-2) gives way


def test_a_must_link_joins_two_identifiers_and_their_records_follow():
    # 1 (ID A) and 2 (ID B): a reviewer said same (one person, two ID numbers); 3 has ID B
    ids = np.array([1, 2, 3, 4])
    codes = np.array([[0], [1], [1], [-1]])
    left, right, weight = np.array([2]), np.array([3]), np.array([30.0])
    assert cluster(ids, left, right, weight, codes).tolist() == [1, 2, 2, 4]
    rep = cluster(ids, left, right, weight, codes, must=(np.array([1]), np.array([2])))
    assert rep.tolist() == [1, 1, 1, 4]
    # a record with a third ID still cannot join them
    codes = np.array([[0], [1], [1], [2]])
    rep = cluster(ids, np.array([2, 3]), np.array([3, 4]), np.array([30.0, 30.0]), codes,
                  must=(np.array([1]), np.array([2])))
    assert rep.tolist() == [1, 1, 1, 4]


def test_contradictory_labels_keep_the_cannot_link():
    ids = np.array([1, 2, 3])
    none = np.full((3, 1), -1)
    rep = cluster(ids, np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), none,
                  must=(np.array([1, 2]), np.array([2, 3])), cannot=(np.array([1]), np.array([3])))
    assert rep[0] != rep[2] and len(set(rep.tolist())) == 2


def test_decided_pairs_are_held_in_em_and_move_m_by_their_number():
    comparisons = [type("C", (), {"levels": [0, 0], "group": None, "columns": ("x",)})()] * 2
    # 300 pairs agreeing on both comparisons, 700 disagreeing on both, 200 agreeing on the
    # first only: EM calls these half-matches
    gamma = np.array([[2, 2]] * 300 + [[0, 0]] * 700 + [[2, 0]] * 200, dtype=np.int8)
    u = [np.array([0.9, 0.05, 0.05])] * 2

    def m_after(n_labelled):
        known = np.full(len(gamma), -1, np.int8)
        known[1000:1000 + n_labelled] = 1  # a reviewer said the first n are the same
        patterns, counts, decided = known_patterns(gamma, known)
        model = Model(comparisons, u)
        estimate_m(patterns, counts, model, 200, 1e-9, known=decided)
        return model.m[1][0]  # share of matches disagreeing on the second comparison

    shares = [m_after(n) for n in (0, 10, 200)]
    assert shares[0] < shares[1] < shares[2]
    assert shares[1] - shares[0] < shares[2] - shares[1]


def _entity(engine, record_id) -> str:
    return engine.sql("SELECT entity_id FROM clusters WHERE record_id = ?", [record_id]).item()


def test_a_run_honours_the_reviewers_decisions(engine, tmp_path):
    frame, truth = people(300)
    engine.load("records", frame)
    run_linkage(engine, FAST)
    linked = engine.sql("SELECT record_id_l, record_id_r FROM pairs WHERE match_probability >= 0.9 "
                        "AND rule = 'same_identifier' ORDER BY 1 LIMIT 1").row(0)
    apart = engine.sql("SELECT a.record_id AS l, b.record_id AS r FROM clusters a JOIN clusters b "
                       "ON a.entity_id < b.entity_id ORDER BY 1, 2 LIMIT 1").row(0)
    assert _entity(engine, linked[0]) == _entity(engine, linked[1])
    assert _entity(engine, apart[0]) != _entity(engine, apart[1])
    path = tmp_path / "demo.labels.csv"
    _write(path, [_row(*linked, "different"), _row(*apart, "same"), _row(7, 999_999, "same")])
    stats = run_linkage(engine, FAST, labels=path)
    assert _entity(engine, linked[0]) != _entity(engine, linked[1])
    assert _entity(engine, apart[0]) == _entity(engine, apart[1])
    assert stats["person"]["review_labels"] == {"same": 1, "different": 1, "in_em": 1,
                                                "unresolved": 1}
    assert "1 reviewed pairs held at their decision" in stats["person"]["trained_on"]
    rule = engine.sql("SELECT rule, match_probability FROM pairs WHERE record_id_l = ? "
                      "AND record_id_r = ?", list(linked)).row(0)
    assert rule == ("review_different", 0.0)
    assert "rule override: a reviewer decided: different" in explain_pair(engine, *linked, "en")
    assert engine.sql("SELECT count(*) FROM possible_matches WHERE record_id_l = ? "
                      "AND record_id_r = ?", list(linked)).item() == 0


def test_without_a_labels_file_nothing_changes(engine, tmp_path):
    frame, _ = people(150)
    engine.load("records", frame)
    before = run_linkage(engine, FAST)
    clusters = engine.sql("SELECT * FROM clusters ORDER BY record_id")
    after = run_linkage(engine, FAST, labels=tmp_path / "none.labels.csv")
    assert engine.sql("SELECT * FROM clusters ORDER BY record_id").equals(clusters)
    assert after["person"]["lambda"] == before["person"]["lambda"]
    assert after["person"]["review_labels"]["same"] == 0
