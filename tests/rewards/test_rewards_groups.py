"""The one group parser: `group_ids` / `group_size` -> group numbers, shared by rewards and advantages."""

from __future__ import annotations

import numpy as np
import pytest

from widget2code.rewards.composite import CompositeRewardError, group_index
from widget2code.rewards.groups import GroupSpecError, group_labels, group_members


def test_ids_are_numbered_in_order_of_first_appearance() -> None:
    assert group_labels(5, group_ids=["b", "a", "b", 7, "a"]) == [0, 1, 0, 2, 1]
    assert group_members([0, 1, 0, 2, 1]) == [[0, 2], [1, 4], [3]]


def test_size_gives_consecutive_runs_and_ids_win_over_size() -> None:
    assert group_labels(6, group_size=3) == [0, 0, 0, 1, 1, 1]
    assert group_labels(4, group_size=np.int64(2)) == [0, 0, 1, 1]
    assert group_labels(2, group_ids=[1, 0], group_size=2) == [0, 1]
    assert group_labels(3) is None


@pytest.mark.parametrize(("ids", "size", "word"), [
    (["a", "b"], None, "group_ids"),  # one id short
    ("abc", None, "group_ids"),  # a string is not a list of ids
    ([[1], [1], [2]], None, "hashable"),
    (None, 2, "group_size"),  # does not divide 3
    (None, 0, "group_size"),
    (None, True, "group_size"),
    (None, 1.5, "group_size"),
])  # fmt: skip
def test_bad_specs_raise_a_typed_error_naming_the_input(ids, size, word) -> None:
    with pytest.raises(GroupSpecError, match=word):
        group_labels(3, group_ids=ids, group_size=size)


def test_callers_keep_their_own_error_type() -> None:
    with pytest.raises(CompositeRewardError, match="group_size"):
        group_index(3, {"group_size": 2})
    assert issubclass(GroupSpecError, ValueError)  # the tournament's callers catch ValueError
