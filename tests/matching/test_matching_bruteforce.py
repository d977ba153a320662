"""The fast matcher against a brute-force reference of the documented definition.

The reference visits every treated unit in the documented order and compares it with every
control, choosing the smallest ``(|s_t - s_c|, position)`` among eligible controls (same
exact group, still available without replacement, within the caliper). Pairs must agree
one for one, on data with and without tied scores.
"""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation.estimators.matching import match
from evaluation.estimators.matching._kernels import nearest_1d, nearest_mahalanobis


def brute_force(
    score: npt.NDArray[np.float64],
    treat: npt.NDArray[np.bool_],
    order: npt.NDArray[np.int64],
    ratio: int,
    replace: bool,
    group: npt.NDArray[np.int64] | None = None,
    cal_score: npt.NDArray[np.float64] | None = None,
    caliper: float | None = None,
) -> list[tuple[int, int, int]]:
    """(treated, control, rank) links by exhaustive search, in the order they are made."""
    n = score.size
    grp = np.zeros(n, dtype=np.int64) if group is None else group
    ctl = np.flatnonzero(~treat)
    available = np.ones(n, dtype=bool)
    links: list[tuple[int, int, int]] = []

    def eligible(t: int) -> npt.NDArray[np.int64]:
        ok = grp[ctl] == grp[t]
        if not replace:
            ok &= available[ctl]
        if caliper is not None and cal_score is not None:
            ok &= np.abs(cal_score[ctl] - cal_score[t]) <= caliper
        return ctl[ok]

    if replace:
        for t in order.tolist():
            c = eligible(t)
            d = np.abs(score[t] - score[c])
            best = c[np.lexsort((c, d))][:ratio]
            links.extend((t, int(j), r) for r, j in enumerate(best.tolist(), start=1))
        return links
    active = order.tolist()
    for r in range(1, ratio + 1):
        still = []
        for t in active:
            c = eligible(t)
            if c.size == 0:
                continue
            d = np.abs(score[t] - score[c])
            j = int(c[np.lexsort((c, d))[0]])
            available[j] = False
            links.append((t, j, r))
            still.append(t)
        active = still
    return links


def fast(**kwargs: object) -> list[tuple[int, int, int]]:
    p = nearest_1d(**kwargs)  # type: ignore[arg-type]
    return list(zip(p.treated.tolist(), p.control.tolist(), p.rank.tolist(), strict=True))


def make_scores(kind: str, n: int, rng: np.random.Generator) -> npt.NDArray[np.float64]:
    """Scores without ties, with many exact ties, and with near-ties in floating point."""
    u = rng.uniform(size=n)
    if kind == "continuous":
        return u
    if kind == "tied":
        return np.floor(u * 8) / 8  # exact binary fractions: many exact ties
    return np.round(u, 2)  # decimal grid: |0.2 - 0.1| != |0.3 - 0.2| in floating point


CASES = list(
    itertools.product(
        ["continuous", "tied", "decimal"],  # scores
        [False, True],  # replace
        [1, 3],  # ratio
        [False, True],  # caliper
        [False, True],  # exact groups
    )
)


@pytest.mark.parametrize(("kind", "replace", "ratio", "use_caliper", "use_exact"), CASES)
def test_fast_equals_brute_force(
    kind: str, replace: bool, ratio: int, use_caliper: bool, use_exact: bool
) -> None:
    for seed in range(3):
        rng = np.random.default_rng(seed)
        n = 240
        score = make_scores(kind, n, rng)
        treat = rng.uniform(size=n) < 0.3
        order = rng.permutation(np.flatnonzero(treat)).astype(np.int64)
        group = rng.integers(0, 3, size=n).astype(np.int64) if use_exact else None
        cal_score = np.log(score + 0.01) if use_caliper else None  # increasing in score
        caliper = 0.05 if use_caliper else None
        kw = dict(
            score=score,
            treat=treat,
            order=order,
            ratio=ratio,
            replace=replace,
            group=group,
            cal_score=cal_score,
            caliper=caliper,
        )
        expected = brute_force(score, treat, order, ratio, replace, group, cal_score, caliper)
        assert fast(**kw) == expected


def test_scarce_controls_leave_later_treated_unmatched() -> None:
    # 5 treated, 3 controls, 1:2 without replacement: rounds exhaust the controls.
    score = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.15, 0.35, 0.45])
    treat = np.array([True] * 5 + [False] * 3)
    order = np.arange(5, dtype=np.int64)
    got = fast(score=score, treat=treat, order=order, ratio=2, replace=False)
    assert got == brute_force(score, treat, order, 2, False)
    assert len(got) == 3


def test_tie_rule_prefers_earlier_row() -> None:
    # Controls at positions 1 and 2 are equally close (0.5 +- 0.25) to treated unit 0.
    score = np.array([0.5, 0.75, 0.25, 0.5, 0.5])
    treat = np.array([True, False, False, False, False])
    got = fast(score=score, treat=treat, order=np.array([0]), ratio=4, replace=True)
    # Distance 0 first (positions 3, 4), then the tie 0.25 broken by position (1 before 2).
    assert [c for _, c, _ in got] == [3, 4, 1, 2]


@pytest.mark.filterwarnings("ignore::evaluation.estimators.matching.MatchWarning")
def test_public_api_pairs_equal_brute_force(make_synthetic) -> None:  # type: ignore[no-untyped-def]
    data = make_synthetic(400, seed=3)
    data["x2"] = np.round(data["x2"], 0)  # coarse covariates: tied propensity scores
    data["x1"] = np.round(data["x1"], 0)
    for order in ("largest", "smallest", "data", "random"):
        res = match(data, treatment="treat", covariates=["x1", "x2", "x3"], order=order, seed=5)
        ps = res.propensity.to_numpy()
        treat = data["treat"].to_numpy().astype(bool)
        t = np.flatnonzero(treat)
        if order == "largest":
            ordr = t[np.argsort(-ps[t], kind="stable")]
        elif order == "smallest":
            ordr = t[np.argsort(ps[t], kind="stable")]
        elif order == "data":
            ordr = t
        else:
            ordr = t[np.random.default_rng(5).permutation(t.size)]
        expected = brute_force(ps, treat, ordr.astype(np.int64), 1, False)
        p = res.pairs
        got = list(
            zip(
                p["treated_row"].tolist(),
                p["control_row"].tolist(),
                p["rank"].tolist(),
                strict=True,
            )
        )
        # Labels and positions agree (unique index).
        assert (data.index[p["treated_row"]] == p["treated"]).all()
        assert got == expected, order


def test_mahalanobis_on_one_covariate_equals_score_matching() -> None:
    # With one covariate the Mahalanobis distance is |x_t - x_c| / sd: same pairs.
    rng = np.random.default_rng(11)
    x = np.round(rng.normal(size=300), 1)
    treat = rng.uniform(size=300) < 0.25
    order = np.flatnonzero(treat).astype(np.int64)
    for replace in (False, True):
        a = nearest_mahalanobis((x / 1.7)[:, None], treat, order=order, ratio=2, replace=replace)
        b = nearest_1d(x / 1.7, treat, order=order, ratio=2, replace=replace)
        assert a.treated.tolist() == b.treated.tolist()
        assert a.control.tolist() == b.control.tolist()


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(
        st.one_of(
            st.sampled_from([0.0, 0.1, 0.2, 0.25, 0.3, 0.5, 0.7, 1.0]),
            st.floats(0.0, 1.0, allow_nan=False),
        ),
        min_size=2,
        max_size=40,
    ),
    data=st.data(),
)
def test_fast_equals_brute_force_property(values: list[float], data: st.DataObject) -> None:
    n = len(values)
    score = np.asarray(values, dtype=np.float64)
    treat = np.asarray(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    if treat.all() or not treat.any():
        treat[0] = not treat[0]
    t = np.flatnonzero(treat)
    order = np.asarray(data.draw(st.permutations(t.tolist())), dtype=np.int64)
    ratio = data.draw(st.integers(1, 3))
    replace = data.draw(st.booleans())
    group = np.asarray(data.draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)))
    caliper = data.draw(st.one_of(st.none(), st.sampled_from([0.0, 0.05, 0.1, 0.3])))
    cal_score = 3.0 * score - 1.0 if caliper is not None else None
    expected = brute_force(score, treat, order, ratio, replace, group, cal_score, caliper)
    got = fast(
        score=score,
        treat=treat,
        order=order,
        ratio=ratio,
        replace=replace,
        group=group.astype(np.int64),
        cal_score=cal_score,
        caliper=caliper,
    )
    assert got == expected
