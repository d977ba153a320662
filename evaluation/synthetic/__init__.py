"""Synthetic data with known truth, for the demo, docs and tests.

* :mod:`evaluation.synthetic.ote4`: the six OTE 4 pilots (single source of pilot facts).
* :mod:`evaluation.synthetic.extract`: :func:`generate_registers`, a seeded national register
  extract (persons, spells, participants) with the true pilot effects beside it.
* :mod:`evaluation.synthetic.extract_commands`: ``pilot-eval synthetic registers|pilots``.
"""

from __future__ import annotations

from evaluation.synthetic.extract import (
    REGIONS,
    SPELL_CODES,
    SyntheticRegisters,
    generate_registers,
)
from evaluation.synthetic.ote4 import (
    OTE4_PILOTS,
    PILOT_NAMES,
    PILOTS_BY_NAME,
    TARGET_GROUP_LABELS,
    TARGET_GROUPS,
    Ote4Pilot,
    get_pilot,
    pilots_frame,
)

__all__ = [
    "OTE4_PILOTS",
    "PILOTS_BY_NAME",
    "PILOT_NAMES",
    "REGIONS",
    "SPELL_CODES",
    "TARGET_GROUPS",
    "TARGET_GROUP_LABELS",
    "Ote4Pilot",
    "SyntheticRegisters",
    "generate_registers",
    "get_pilot",
    "pilots_frame",
]
