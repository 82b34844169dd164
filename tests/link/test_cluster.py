"""Clustering: connected components that never join two different identifiers."""

import numpy as np

from linkage.link.cluster import cluster


def test_components_and_representatives():
    ids = np.array([3, 5, 8, 10, 11])
    rep = cluster(ids, np.array([3, 8]), np.array([5, 10]), np.array([5.0, 5.0]),
                  np.full((5, 1), -1))
    assert rep.tolist() == [3, 3, 8, 8, 11]


def test_the_weakest_link_between_two_identifiers_is_refused():
    # 1 (ID A) - 2 (no ID) - 3 (no ID) - 4 (ID B); 4 - 5 (ID B); the 2-3 link is the weakest
    ids = np.arange(1, 6)
    codes = np.array([[0], [-1], [-1], [1], [1]])
    left, right = np.array([1, 2, 3, 4]), np.array([2, 3, 4, 5])
    weight = np.array([20.0, 6.0, 15.0, 30.0])
    rep = cluster(ids, left, right, weight, codes)
    assert rep.tolist() == [1, 1, 3, 3, 3]
    # never two identifiers in one entity, whatever the weights
    weight = np.array([20.0, 25.0, 15.0, 30.0])
    rep = cluster(ids, left, right, weight, codes)
    assert rep.tolist() == [1, 1, 1, 4, 4]


def test_other_components_are_untouched_by_a_conflict():
    ids = np.arange(1, 7)
    codes = np.array([[0], [1], [-1], [-1], [-1], [-1]])
    rep = cluster(ids, np.array([1, 3, 5]), np.array([2, 4, 6]), np.array([9.0, 9.0, 9.0]), codes)
    assert rep.tolist() == [1, 2, 3, 3, 5, 5]
