"""The register-based indicators of the shared indicator dictionary.

The self-evaluation workbook's indicators (:mod:`evaluation.schema`, ``indicators.yaml``)
are computed from the pilots' own client sheets. The indicators here need register extracts
(population, benefits, the jobseeker register, the care register, Income Register payments):
the target group's need in the region (``002_…`` l.1023-1024, l.1036-1037) and the health,
benefit and cost outcomes of recommendation 7 (``001_…`` l.9193-9199). Each names the seed
line it answers and the toolkit function that computes it; :func:`register_indicators`
reads them from ``indicators.yaml`` beside this module.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from evaluation.schema import Lang
from evaluation.schema.model import Text, Unit

#: File of the register indicators (beside this module).
REGISTER_INDICATORS_FILE = Path(__file__).with_name("indicators.yaml")

RegisterDomain = Literal["need", "availability_use", "client_experience", "process_effectiveness"]


class RegisterIndicator(BaseModel):
    """One register-based indicator of the dictionary."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    domain: RegisterDomain
    unit: Unit
    seed_source: str
    function: str
    name: Text
    definition: Text
    data_source: Text

    def label(self, lang: Lang) -> str:
        """The indicator's name in ``lang``."""
        return self.name(lang)


@functools.cache
def register_indicators() -> tuple[RegisterIndicator, ...]:
    """The register-based indicators, in dictionary order."""
    import yaml

    rows = yaml.safe_load(REGISTER_INDICATORS_FILE.read_text(encoding="utf-8"))
    return tuple(RegisterIndicator.model_validate(r) for r in rows)


def register_indicator(indicator_id: str) -> RegisterIndicator:
    """The register indicator with id ``indicator_id``.

    Raises
    ------
    KeyError
        If there is none.
    """
    for ind in register_indicators():
        if ind.id == indicator_id:
            return ind
    raise KeyError(indicator_id)
