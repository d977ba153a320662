"""Shared fixtures of the process-evaluation tests (written once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluation.synthetic.filled_workbooks import write_filled_workbooks
from evaluation.workbook.reader import Submissions, read_workbooks

#: Seed of the synthetic filled workbooks used across the tests.
SEED = 11


@pytest.fixture(scope="session")
def process_read_en(tmp_path_factory: pytest.TempPathFactory) -> Submissions:
    """The six pilots' filled workbooks in English, read back (Savon Ote fails)."""
    paths = write_filled_workbooks(tmp_path_factory.mktemp("proc_en"), seed=SEED, lang="en")
    return read_workbooks(paths)


@pytest.fixture(scope="session")
def process_paths_en(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Paths of freshly written English workbooks (for tests that edit them)."""
    return write_filled_workbooks(tmp_path_factory.mktemp("proc_en_p"), seed=SEED, lang="en")
