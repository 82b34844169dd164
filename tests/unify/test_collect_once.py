"""Collect once: which departments stop keying which fields, and the hours saved."""

import pytest

from linkage.engine import Scratch
from linkage.unify.authority import authority_relation
from linkage.unify.collect_once import collect_once
from linkage.unify.proposal import propose


def _run(engine) -> dict:
    with Scratch(engine) as scratch:
        authority, _ = authority_relation(engine, scratch)
        return collect_once(engine, propose(engine).schema, authority)


def test_savings_from_measured_reentry(measured):
    once = _run(measured)
    assert once["basis"] == "metric_field_reentry"
    person = once["totals"]["person"]
    # core name + phone rows of the hand-made metric_field_reentry: 1.0 + 0.5 + 2.0 + 1.0 hours
    assert person["hours_per_year_saved"] == pytest.approx(4.5)
    assert person["reentries_saved"] == pytest.approx(4.5)
    assert person["hours_per_year_remaining"] == pytest.approx(0.25)    # gender: jzdj extension
    assert person["fields_stop_keying"] == 2
    fields = {f["attribute"]: f for f in once["fields"]}
    assert fields["phone"]["authoritative_source"] == "jisheng"
    assert fields["phone"]["stop_keying"] == ["jzdj"]
    assert fields["name"]["authoritative_source"] == "jzdj"
    assert fields["name"]["stop_keying"] == ["jisheng"]
    actions = measured.sql("SELECT attribute, source, action FROM collect_once ORDER BY 1, 2").rows()
    assert actions == [("gender", "jzdj", "keep"), ("name", "jisheng", "stop_keying"),
                       ("name", "jzdj", "collect"), ("phone", "jisheng", "collect"),
                       ("phone", "jzdj", "stop_keying")]


def test_estimated_reentry_without_measure(engine):
    once = _run(engine)
    assert once["basis"] == "estimated"
    person = once["totals"]["person"]
    # re-entries beyond the first per entity: name 3 + 2, id_number 3 + 0, phone 2 + 1, address 1 + 1
    assert person["reentries_saved"] == pytest.approx(13)
    # shares (n−1)/n per keyed value × seconds (name 5, id 12, phone 8, address 20) × updates
    # (jzdj 1, jisheng 4): name 46.25 s, id_number 63 s, phone 40 s, address 100 s
    assert person["hours_per_year_saved"] == pytest.approx(249.25 / 3600, abs=1e-6)
    # gender (extension): 2 re-entries × 2 s
    assert person["hours_per_year_remaining"] == pytest.approx(4 / 3600, abs=1e-6)
    enterprise = once["totals"]["enterprise"]
    assert enterprise["fields_stop_keying"] == 0
    assert enterprise["reentries_saved"] == pytest.approx(1)     # 甲公司 keyed twice
