from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracking_core import rules

JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=300)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(st.dictionaries(st.text(max_size=60), JSON_VALUES, max_size=14) | JSON_VALUES)
def test_props_are_a_small_flat_object_of_short_printable_text_or_refused(raw: object) -> None:
    try:
        props = rules.clean_props(raw)
    except rules.RuleBroken:
        return
    assert len(props) <= rules.MAX_PROPS
    for key, value in props.items():
        assert 0 < len(key) <= rules.MAX_PROP_KEY
        assert isinstance(value, str)
        assert len(value) <= rules.MAX_PROP_VALUE
        assert value.isprintable() or value == ""


def test_props_keep_numbers_and_booleans_as_text() -> None:
    assert rules.clean_props({"plan": " pro ", "n": 9, "x": 1.5, "ok": True}) == {
        "plan": "pro",
        "n": "9",
        "x": "1.5",
        "ok": "true",
    }


@pytest.mark.parametrize("raw", [float("nan"), float("inf"), None, [1], {"a": 1}])
def test_props_refuse_values_that_are_not_finite_scalars(raw: object) -> None:
    with pytest.raises(rules.RuleBroken):
        rules.clean_props({"k": raw})


@given(st.integers() | st.text(max_size=10) | st.booleans() | st.floats() | st.none())
def test_width_is_a_whole_number_in_range_or_refused(raw: object) -> None:
    try:
        width = rules.clean_width(raw)
    except rules.RuleBroken:
        return
    assert isinstance(width, int)
    assert not isinstance(width, bool)
    assert 0 < width <= rules.MAX_WIDTH


def test_width_accepts_digits_from_a_query_string() -> None:
    assert rules.clean_width(" 1280 ") == 1280
