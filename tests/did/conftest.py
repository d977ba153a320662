"""Shared fixtures of the DiD tests: mpdta from the installed moderndid package."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import moderndid
import pandas as pd
import pytest

REFERENCE = Path(__file__).with_name("reference") / "mpdta_reference.json"


@pytest.fixture(scope="session")
def mpdta() -> pd.DataFrame:
    """The mpdta teen-employment panel (500 counties x 2003-2007) shipped by moderndid."""
    return moderndid.load_mpdta().to_pandas()


@pytest.fixture(scope="session")
def reference() -> dict[str, Any]:
    """Stored reference values (see reference/make_mpdta_reference.py)."""
    return dict(json.loads(REFERENCE.read_text()))
