"""Shared fixtures of the self-evaluation template tests (written once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluation.synthetic.filled_workbooks import write_filled_workbooks
from evaluation.workbook.reader import Submissions, read_workbooks

#: Seed of the synthetic filled workbooks used across the tests.
SEED = 7


@pytest.fixture(scope="session")
def filled_fi(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The six pilots' filled workbooks in Finnish."""
    return write_filled_workbooks(tmp_path_factory.mktemp("filled_fi"), seed=SEED, lang="fi")


@pytest.fixture(scope="session")
def read_fi(filled_fi: list[Path]) -> Submissions:
    """The Finnish filled workbooks read back."""
    return read_workbooks(filled_fi)
