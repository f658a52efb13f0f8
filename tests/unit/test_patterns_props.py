"""Property-based checks of the matcher against Python-level definitions."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from lambdalite.patterns import compile_pattern

keys = st.text(alphabet="abcdefgh-_", min_size=1, max_size=6).filter(lambda k: k != "$or")
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**9), 10**9),
    st.floats(-1e9, 1e9, allow_nan=False),
    st.text(max_size=8),
)
events: st.SearchStrategy[dict[str, Any]] = st.recursive(
    st.dictionaries(keys, scalars, max_size=4),
    lambda inner: st.dictionaries(
        keys, st.one_of(scalars, inner, st.lists(scalars, max_size=3)), max_size=4
    ),
    max_leaves=12,
)
FAST = settings(max_examples=40, deadline=None)


def exact_pattern(event: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in event.items():
        if isinstance(v, dict):
            if v:
                out[k] = exact_pattern(v)
        elif isinstance(v, list):
            if v:
                out[k] = [v[-1]]
        else:
            out[k] = [v]
    return out


@FAST
@given(events)
def test_exact_pattern_from_event_matches_it(event: dict[str, Any]) -> None:
    assert compile_pattern(exact_pattern(event)).matches(event)


@FAST
@given(keys, st.one_of(st.text(max_size=8), st.integers(), st.floats(allow_nan=False)))
def test_anything_but_actual_value_never_matches(key: str, value: Any) -> None:
    p = compile_pattern({key: [{"anything-but": value}]})
    assert not p.matches({key: value})
    assert not p.matches({key: [value, value]})


@FAST
@given(keys, st.text(max_size=6), st.text(max_size=6))
def test_prefix_and_suffix_of_built_string(key: str, head: str, tail: str) -> None:
    value = head + tail
    assert compile_pattern({key: [{"prefix": head}]}).matches({key: value})
    assert compile_pattern({key: [{"suffix": tail}]}).matches({key: value})
    ignore = {"prefix": {"equals-ignore-case": head.swapcase()}}
    assert compile_pattern({key: [ignore]}).matches({key: value}) == value.lower().startswith(
        head.swapcase().lower()
    )


small = st.integers(-50, 50)


@FAST
@given(small, small, st.one_of(small, st.floats(-60, 60, allow_nan=False)))
def test_numeric_range_agrees_with_python(lo: int, hi: int, x: float) -> None:
    if lo < hi:
        for lo_op, lo_fn in ((">", float.__gt__), (">=", float.__ge__)):
            for hi_op, hi_fn in (("<", float.__lt__), ("<=", float.__le__)):
                p = compile_pattern({"v": [{"numeric": [lo_op, lo, hi_op, hi]}]})
                assert p.matches({"v": x}) == (lo_fn(float(x), lo) and hi_fn(float(x), hi))
    assert compile_pattern({"v": [{"numeric": ["=", lo]}]}).matches({"v": x}) == (x == lo)
    assert not compile_pattern({"v": [{"numeric": [">", lo]}]}).matches({"v": str(x)})


branch = st.dictionaries(
    keys,
    st.lists(st.sampled_from(["a", "b", 1, None]), min_size=1, max_size=2),
    min_size=1,
    max_size=2,
)


@FAST
@given(branch, branch, st.dictionaries(keys, st.sampled_from(["a", "b", 1, None, "c"]), max_size=4))
def test_or_is_union_of_branches(
    p: dict[str, Any], q: dict[str, Any], event: dict[str, Any]
) -> None:
    either = compile_pattern(p).matches(event) or compile_pattern(q).matches(event)
    assert compile_pattern({"$or": [p, q]}).matches(event) == either


@FAST
@given(
    keys,
    st.lists(st.text(alphabet="ab", min_size=1, max_size=3), min_size=1, max_size=3),
    st.text(alphabet="ab", max_size=6),
)
def test_wildcard_agrees_with_fnmatch_star(key: str, parts: list[str], value: str) -> None:
    import fnmatch

    pattern = "*" + "*".join(parts) if len(parts) % 2 else "*".join(parts)
    expected = fnmatch.fnmatchcase(value, pattern)
    assert compile_pattern({key: [{"wildcard": pattern}]}).matches({key: value}) == expected
