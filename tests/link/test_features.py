"""The feature table's term frequencies: each value's share of its column's non-null values,
with the columns taken one table each and all at once (`Dialect.subquery_per_column`)."""

import numpy as np
import pytest

from linkage.engine import open_engine
from linkage.link.comparisons import compile_comparisons
from linkage.link.features import build_features
from linkage.link.settings import LinkageSettings
from tests.conftest import FORMS, in_form
from tests.link.conftest import PERSON_COLUMNS, records


@pytest.fixture(params=FORMS)
def engine(request):
    eng = in_form(open_engine(), request.param)
    yield eng
    eng.close()


def test_term_frequencies_are_shares_of_each_columns_values(engine):
    rows = [{"name": "张伟", "phone": "13800000001"}, {"name": "张伟", "phone": "13800000001"},
            {"name": "张伟", "phone": "13800000002"}, {"name": "李娜"}, {}]
    engine.load("records", records(rows, columns=PERSON_COLUMNS))
    s = LinkageSettings().resolved("person")
    build_features(engine, "person", compile_comparisons(s.comparisons), [], s.identifiers)
    got = engine.sql('SELECT record_id, "tf__name", "tf__phone", "tf__address" '
                     "FROM _link_features ORDER BY record_id").rows()
    third, two = float(np.float32(1 / 3)), float(np.float32(2 / 3))  # FLOAT shares
    assert got == [(1, 0.75, two, None), (2, 0.75, two, None), (3, 0.75, third, None),
                   (4, 0.25, None, None), (5, None, None, None)]
    assert not [t for t in engine.tables() if t.startswith("_link_tf")]
