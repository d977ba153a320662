"""Register spells: code table, spell validation, person-month and person-year panels.

The flow, all inside DuckDB (pandas, parquet/CSV paths or DuckDB relations in; DuckDB
tables out, with ``.to_pandas()``, ``.to_arrow()``, ``.to_parquet()`` and ``.relation``)::

    spells (person_id, code, start, end, ...)       codes.CODE_TABLE (groups, flags, rank)
          |  validate_spells: every bad row listed (SpellError), nothing dropped
          v
    build_person_month_panel(spells, start=, end=, participants=)  -> PersonMonthPanel
          |  months_employed_in_window / months_in_window / outcome_at_months
          v
    build_person_year_panel(panel)                                  -> PersonYearPanel
          |  need_indicators(years, population): target group's benefit use by region
          v
    register_outcomes(anchors, jobseeker=, care=, payments=)         -> RegisterOutcomes

Example
-------
>>> from evaluation.registers import build_person_month_panel, months_employed_in_window
>>> panel = build_person_month_panel(spells, start="2016-01", end="2020-12",
...                                  participants=participants)       # doctest: +SKIP
>>> employed = months_employed_in_window(panel, window=(1, 12))      # doctest: +SKIP

Rules (month coverage, open spells, precedence) are documented in
:mod:`evaluation.registers.panel`; the spell schema in :mod:`evaluation.registers.spells`.
"""

from __future__ import annotations

from evaluation.registers._duck import (
    DEFAULT_MEMORY_LIMIT,
    DuckTable,
    connect,
    default_temp_directory,
)
from evaluation.registers.codes import (
    BENEFIT_GROUP_LABELS,
    BENEFIT_GROUPS,
    BENEFIT_UNITS,
    CODE_TABLE,
    CODES,
    KINDS,
    NO_STATUS,
    StatusCode,
    closest_code,
    code_table,
    get_code,
)
from evaluation.registers.indicators import (
    RegisterIndicator,
    register_indicator,
    register_indicators,
)
from evaluation.registers.measures import (
    CARE_KINDS,
    JOBSEEKER_STATUSES,
    RegisterOutcomes,
    jobseeker_months,
    register_outcomes,
)
from evaluation.registers.need import NeedIndicators, need_indicators
from evaluation.registers.panel import (
    GROUP_COLUMNS,
    MONTH_RULES,
    OUTCOME_COLUMNS,
    PANEL_COLUMNS,
    ParticipantError,
    PersonMonthPanel,
    build_person_month_panel,
    months_employed_in_window,
    months_in_window,
    outcome_at_months,
    store_person_month_panel,
    validated_panel_inputs,
)
from evaluation.registers.spells import SPELL_COLUMNS, Spells, validate_spells
from evaluation.registers.yearly import RECEIVED_COLUMNS, PersonYearPanel, build_person_year_panel

__all__ = [
    "BENEFIT_GROUPS",
    "BENEFIT_GROUP_LABELS",
    "BENEFIT_UNITS",
    "CARE_KINDS",
    "CODES",
    "CODE_TABLE",
    "DEFAULT_MEMORY_LIMIT",
    "GROUP_COLUMNS",
    "JOBSEEKER_STATUSES",
    "KINDS",
    "MONTH_RULES",
    "NO_STATUS",
    "OUTCOME_COLUMNS",
    "PANEL_COLUMNS",
    "RECEIVED_COLUMNS",
    "SPELL_COLUMNS",
    "DuckTable",
    "NeedIndicators",
    "ParticipantError",
    "PersonMonthPanel",
    "PersonYearPanel",
    "RegisterIndicator",
    "RegisterOutcomes",
    "Spells",
    "StatusCode",
    "build_person_month_panel",
    "build_person_year_panel",
    "closest_code",
    "code_table",
    "connect",
    "default_temp_directory",
    "get_code",
    "jobseeker_months",
    "months_employed_in_window",
    "months_in_window",
    "need_indicators",
    "outcome_at_months",
    "register_indicator",
    "register_indicators",
    "register_outcomes",
    "store_person_month_panel",
    "validate_spells",
    "validated_panel_inputs",
]
