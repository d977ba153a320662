"""One interval keyword, ``alpha`` (issue 18): ``level`` still works, with a warning."""

from __future__ import annotations

import pytest

from evaluation.contract import interval_alpha
from evaluation.errors import OptionError
from evaluation.estimators.meta import meta_analysis

EFFECTS = [0.10, 0.25, -0.05, 0.30]
STD_ERRORS = [0.08, 0.12, 0.10, 0.15]


def test_alpha_passes_and_level_is_converted_with_a_warning() -> None:
    assert interval_alpha(0.1, where="f()") == 0.1
    with pytest.warns(DeprecationWarning, match=r"f\(\): `level` is deprecated; pass alpha=0.1"):
        assert interval_alpha(0.05, 0.9, where="f()") == pytest.approx(0.1)
    with pytest.raises(OptionError, match="alpha"):
        interval_alpha(1.5, where="f()")


def test_meta_analysis_level_is_deprecated_and_means_the_same() -> None:
    new = meta_analysis(EFFECTS, STD_ERRORS, alpha=0.1)
    with pytest.warns(DeprecationWarning):
        old = meta_analysis(EFFECTS, STD_ERRORS, level=0.9)
    assert old.conf_low == pytest.approx(new.conf_low, rel=1e-12)
    assert new.level == pytest.approx(0.9)
    assert meta_analysis(EFFECTS, STD_ERRORS).level == 0.95  # the default is unchanged


def _public_callables() -> list[tuple[str, object]]:
    """Every public function (and result method) exported by an ``evaluation`` package."""
    import importlib
    import inspect
    import pkgutil

    import evaluation

    found: dict[str, object] = {}
    for info in pkgutil.walk_packages(evaluation.__path__, "evaluation."):
        if any(part.startswith("_") for part in info.name.split(".")) or "portal" in info.name:
            continue
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name, None)
            if inspect.isfunction(obj):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
            elif inspect.isclass(obj):
                for meth_name, meth in vars(obj).items():
                    if inspect.isfunction(meth) and not meth_name.startswith("_"):
                        found[f"{obj.__module__}.{meth.__qualname__}"] = meth
    return sorted(found.items())


def test_every_interval_keyword_is_alpha() -> None:
    """A public function that still takes ``level``/``conf_level`` (deprecated) also takes
    ``alpha``; none takes only the old names."""
    import inspect

    old_names = {"level", "conf_level"}
    not_intervals = {"evaluation.reporting.blocks.heading"}  # a heading's level
    only_old = []
    checked = 0
    for name, fn in _public_callables():
        params = set(inspect.signature(fn).parameters)  # type: ignore[arg-type]
        if params & old_names:
            checked += 1
            if "alpha" not in params and name not in not_intervals:
                only_old.append(name)
    assert checked >= 10  # the walk found the functions that kept a deprecated keyword
    assert not only_old, only_old


def test_process_and_instrument_intervals_take_alpha() -> None:
    import pandas as pd

    from evaluation.process.gas import goal_attainment

    goals = pd.DataFrame(
        {
            "pilot": ["A"] * 12,
            "client_id": [f"c{i // 2}" for i in range(12)],
            "attainment": [-1, 0, 1, 2, 0, 0, -2, 1, 1, 1, 0, 2],
        }
    )
    new = goal_attainment(goals, alpha=0.1).pilots
    with pytest.warns(DeprecationWarning, match="conf_level"):
        old = goal_attainment(goals, conf_level=0.9).pilots
    pd.testing.assert_frame_equal(new, old)
    wide = goal_attainment(goals).pilots  # default: 95% intervals, wider than 90%
    width = (wide["conf_high"] - wide["conf_low"]).iloc[0]
    assert width > (new["conf_high"] - new["conf_low"]).iloc[0]


def test_alpha_of_level_hides_float_noise() -> None:
    from evaluation.contract import alpha_of_level

    assert 1 - 0.95 != 0.05  # the noise alpha_of_level rounds away
    assert alpha_of_level(0.95) == 0.05
    assert alpha_of_level(1 - 0.1) == 0.1
