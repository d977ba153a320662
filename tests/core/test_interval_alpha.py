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
