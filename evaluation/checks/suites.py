"""Expectation suites, generated from the schema and the register code table.

Nothing here is maintained by hand: every suite is built from

* the self-evaluation schema (:func:`evaluation.schema.load_schema`): per-field type,
  ``required``, allowed codes, ``min``/``max``, ``max_length``, ``pattern``, ``unique``,
  ``unique_together`` and ``date_order`` of every table section;
* the register code table (:mod:`evaluation.registers.codes`): allowed spell codes and
  panel statuses;
* the register data contract (spell and panel columns) and the staggered-DiD input rules.

Suites are written in Great Expectations' (1.x) suite format -- ``{"name", "expectations":
[{"type", "kwargs", "meta"}], "meta"}`` -- so GE loads them as they are; ``meta.family`` of
each expectation names the defect family it catches (``required``, ``code``, ``range``, ...),
which is what reports group by. Aggregate rules that need a whole table (one cohort per
unit, no gaps, ...) are GE's ``unexpected_rows_expectation``: a SQL query over ``{batch}``
returning the offending rows; we run those in DuckDB.

:func:`write_suites` regenerates the committed files in ``checks/``; a test asserts the
committed JSON equals :func:`suite_documents`, so the two are never kept in step by hand.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from evaluation._paths import project_folder
from evaluation.privacy import CHECK_CHARACTERS
from evaluation.registers.codes import CODES, NO_STATUS
from evaluation.schema import Condition, Schema, Section, load_schema

Kind = Literal["submission", "spells", "panel", "did_input"]
#: Kinds accepted by :func:`evaluation.checks.validate`.
KINDS: tuple[Kind, ...] = ("submission", "spells", "panel", "did_input")

#: A Finnish personal identity code as a regular expression, for the suites (GE and DuckDB
#: need a regex; RE2-compatible: no look-arounds). Built from the one detector's facts
#: (:mod:`evaluation.privacy`): any century mark (2023 ones too), space or no separator, a
#: check character of :data:`~evaluation.privacy.CHECK_CHARACTERS`. The regex cannot test
#: the check character itself; the intake (:mod:`evaluation.intake`) does.
HETU_CORE = (
    r"(?:0[1-9]|[12][0-9]|3[01])(?:0[1-9]|1[0-2])[0-9]{2}(?:[-+A-FU-Y]|"
    "[ \u00a0]"  # a space or a no-break space itself (RE2 has no \\u escapes)
    r")?[0-9]{3}"
    rf"[{CHECK_CHARACTERS}]"
)
#: A store pseudonym (``PS`` + 32 or 64 hex digits): also refused in any input.
PSEUDONYM_CORE = r"PS[0-9A-F]{32}(?:[0-9A-F]{32})?"
#: Either, not inside a longer word, case-insensitive.
HETU_REGEX = rf"(?i)(?:^|[^0-9A-Za-z])(?:{HETU_CORE}|{PSEUDONYM_CORE})(?:$|[^0-9A-Za-z])"

#: Panel outcome columns (0/1) checked by the panel suite (the register data contract).
PANEL_OUTCOMES: tuple[str, ...] = (
    "employed",
    "employed_open_market",
    "on_main_benefit",
    "on_unemployment_benefit",
    "on_health_benefit",
    "in_education",
    "in_service",
)

#: Default column names of the staggered-DiD input (rename yours with ``columns=``).
DID_COLUMNS: dict[str, str] = {
    "unit": "unit",
    "time": "time",
    "cohort": "cohort",
    "treated": "treated",
    "outcome": "outcome",
}
#: Default minimum number of comparison units (never-treated or not yet treated) per cohort.
DEFAULT_MIN_COMPARISON_UNITS = 5

SUITES_DIR = project_folder("checks")


@dataclass(frozen=True)
class Expectation:
    """One expectation: a GE expectation type with its kwargs and our defect family."""

    type: str
    kwargs: Mapping[str, Any]
    family: str

    @property
    def column(self) -> str | None:
        """The main column the expectation is about (``None`` for table-level rules)."""
        for key in ("column", "column_A"):
            if key in self.kwargs:
                return str(self.kwargs[key])
        if "column_list" in self.kwargs:
            return ", ".join(self.kwargs["column_list"])
        col = self.kwargs.get("meta_column")
        return None if col is None else str(col)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the expectation reads (to skip it when one is missing)."""
        out: list[str] = []
        for key in ("column", "column_A", "column_B"):
            if key in self.kwargs:
                out.append(str(self.kwargs[key]))
        out += list(self.kwargs.get("column_list", ()))
        out += list(self.kwargs.get("needs_columns", ()))
        return tuple(out)

    def ge_kwargs(self) -> dict[str, Any]:
        """The kwargs GE accepts (without our bookkeeping keys)."""
        return {k: v for k, v in self.kwargs.items() if k not in ("meta_column", "needs_columns")}

    def to_json(self) -> dict[str, Any]:
        meta: dict[str, Any] = {"family": self.family}
        if "meta_column" in self.kwargs:
            meta["column"] = self.kwargs["meta_column"]
        if "needs_columns" in self.kwargs:
            meta["needs_columns"] = list(self.kwargs["needs_columns"])
        return {"type": self.type, "kwargs": _plain(self.ge_kwargs()), "meta": meta}


@dataclass(frozen=True)
class Suite:
    """A named list of expectations for one table."""

    name: str
    kind: Kind
    table: str
    expectations: tuple[Expectation, ...]
    columns: tuple[str, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The suite in Great Expectations' JSON format."""
        return {
            "name": self.name,
            "expectations": [e.to_json() for e in self.expectations],
            "meta": _plain(
                {"kind": self.kind, "table": self.table, "columns": list(self.columns), **self.meta}
            ),
        }


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _e(type_: str, family: str, **kwargs: Any) -> Expectation:
    return Expectation(type=type_, kwargs=kwargs, family=family)


def _rows(query: str, family: str, column: str, needs: tuple[str, ...], what: str) -> Expectation:
    return _e(
        "unexpected_rows_expectation",
        family,
        unexpected_rows_query=" ".join(query.split()),
        description=what,
        meta_column=column,
        needs_columns=list(needs),
    )


# -- submissions (tidy tables of a filled workbook) ----------------------------------
def _sql_value(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _condition_sql(c: Condition) -> str:
    """SQL of a schema row condition (missing values never meet a comparison)."""
    col = f'"{c.field}"'
    if c.op == "notnull":
        return f"{col} IS NOT NULL"
    if c.op == "isnull":
        return f"{col} IS NULL"
    if c.op in ("in", "notin"):
        vals = ", ".join(_sql_value(v) for v in c.value)
        neg = "NOT " if c.op == "notin" else ""
        return f"{col} IS NOT NULL AND {col} {neg}IN ({vals})"
    ops = {"eq": "=", "ne": "<>", "ge": ">=", "le": "<=", "gt": ">", "lt": "<"}
    return f"{col} IS NOT NULL AND {col} {ops[c.op]} {_sql_value(c.value)}"


def _table_suite(schema: Schema, section: Section) -> Suite:
    exps: list[Expectation] = []
    cols = ("pilot", *section.field_ids)
    exps += [_e("expect_column_to_exist", "columns", column=c) for c in cols]
    for f in section.fields:
        if f.required:
            exps.append(_e("expect_column_values_to_not_be_null", "required", column=f.id))
        if f.codelist is not None:
            codes = list(schema.codelist(f.codelist).ids)
            exps.append(
                _e("expect_column_values_to_be_in_set", "code", column=f.id, value_set=codes)
            )
        if f.type in ("integer", "number") and (f.min is not None or f.max is not None):
            exps.append(
                _e(
                    "expect_column_values_to_be_between",
                    "range",
                    column=f.id,
                    min_value=f.min,
                    max_value=f.max,
                )
            )
        if f.max_length is not None:
            exps.append(
                _e(
                    "expect_column_value_lengths_to_be_between",
                    "length",
                    column=f.id,
                    min_value=0,
                    max_value=f.max_length,
                )
            )
        if f.pattern is not None:
            exps.append(
                _e("expect_column_values_to_match_regex", "pattern", column=f.id, regex=f.pattern)
            )
        if f.unique:
            exps.append(_e("expect_column_values_to_be_unique", "unique", column=f.id))
        if f.type == "text":
            exps.append(
                _e(
                    "expect_column_values_to_not_match_regex",
                    "personal_id",
                    column=f.id,
                    regex=HETU_REGEX,
                )
            )
    singles = {f.id for f in section.fields if f.unique}
    for group in section.unique_together:
        if len(group) == 1 and group[0] not in singles:
            exps.append(_e("expect_column_values_to_be_unique", "unique", column=group[0]))
        elif len(group) > 1:
            exps.append(
                _e("expect_compound_columns_to_be_unique", "unique", column_list=list(group))
            )
    for f in section.fields:
        if f.required_if is not None:
            cond = _condition_sql(f.required_if)
            exps.append(
                _rows(
                    f'SELECT * FROM {{batch}} WHERE "{f.id}" IS NULL AND ({cond})',
                    "required_if",
                    f.id,
                    (f.id, f.required_if.field),
                    f"{f.id} is required when {f.required_if.field} {f.required_if.op} "
                    f"{f.required_if.value if f.required_if.value is not None else ''}".rstrip(),
                )
            )
    for d in section.date_order:
        exps.append(
            _e(
                "expect_column_pair_values_a_to_be_greater_than_b",
                "date_order",
                column_A=d.later,
                column_B=d.earlier,
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            )
        )
    return Suite(
        name=f"submission.{section.id}",
        kind="submission",
        table=section.id,
        expectations=tuple(exps),
        columns=cols,
        meta={"source": f"evaluation.schema (version {schema.version})"},
    )


def _forms_suite(schema: Schema) -> Suite:
    """Form answers as one long table ``section, field, value`` (value as text)."""
    exps = [
        _e("expect_column_to_exist", "columns", column=c)
        for c in ("pilot", "section", "field", "value")
    ]
    required = [
        f"('{s.id}', '{f.id}')"
        for s in schema.sections
        if s.kind == "form"
        for f in s.fields
        if f.required
    ]
    if required:
        exps.append(
            _rows(
                f"SELECT * FROM {{batch}} WHERE value IS NULL AND (section, field) IN "
                f"(VALUES {', '.join(required)})",
                "required",
                "value",
                ("section", "field", "value"),
                "a required answer of a form section is empty",
            )
        )
    for s in schema.sections:
        for f in s.fields if s.kind == "form" else ():
            if f.max_length is not None:
                exps.append(
                    _rows(
                        f"SELECT * FROM {{batch}} WHERE section = '{s.id}' AND field = "
                        f"'{f.id}' AND length(value) > {int(f.max_length)}",
                        "length",
                        "value",
                        ("section", "field", "value"),
                        f"the answer {s.id}.{f.id} is longer than {f.max_length} characters",
                    )
                )
    exps.append(
        _e(
            "expect_column_values_to_not_match_regex",
            "personal_id",
            column="value",
            regex=HETU_REGEX,
        )
    )
    return Suite(
        name="submission.forms",
        kind="submission",
        table="forms",
        expectations=tuple(exps),
        columns=("pilot", "section", "field", "value"),
        meta={"source": f"evaluation.schema (version {schema.version})"},
    )


def submission_suites(schema: Schema | None = None) -> tuple[Suite, ...]:
    """Suites of a filled self-evaluation: one for the form answers, one per table section."""
    schema = schema or load_schema()
    out = [_forms_suite(schema)]
    out += [_table_suite(schema, s) for s in schema.sections if s.kind == "table"]
    return tuple(out)


# -- register spells -----------------------------------------------------------------
def spells_suite() -> Suite:
    """Suite of register spells (``person_id, code, start, end``)."""
    cols = ("person_id", "code", "start", "end")
    exps = [_e("expect_column_to_exist", "columns", column=c) for c in cols]
    exps += [
        _e("expect_column_values_to_not_be_null", "required", column=c)
        for c in ("person_id", "code", "start")
    ]
    exps.append(
        _e("expect_column_values_to_be_in_set", "code", column="code", value_set=list(CODES))
    )
    exps.append(
        _e(
            "expect_column_pair_values_a_to_be_greater_than_b",
            "date_order",
            column_A="end",
            column_B="start",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        )
    )
    exps.append(
        _e(
            "expect_compound_columns_to_be_unique",
            "unique",
            column_list=["person_id", "code", "start"],
        )
    )
    exps.append(
        _e(
            "expect_column_values_to_not_match_regex",
            "personal_id",
            column="person_id",
            regex=HETU_REGEX,
        )
    )
    return Suite(
        name="spells",
        kind="spells",
        table="spells",
        expectations=tuple(exps),
        columns=cols,
        meta={"source": "evaluation.registers.codes + data contract"},
    )


# -- person-month panels ---------------------------------------------------------------
def panel_suite() -> Suite:
    """Suite of a person-month panel (the register data contract)."""
    cols = ("person_id", "month", "month_index", "status", *PANEL_OUTCOMES)
    exps = [_e("expect_column_to_exist", "columns", column=c) for c in cols]
    exps += [
        _e("expect_column_values_to_not_be_null", "required", column=c)
        for c in ("person_id", "month", "month_index", "status")
    ]
    exps.append(
        _e(
            "expect_column_values_to_be_in_set",
            "code",
            column="status",
            value_set=[*CODES, NO_STATUS],
        )
    )
    exps += [
        _e("expect_column_values_to_be_in_set", "domain", column=c, value_set=[0, 1])
        for c in PANEL_OUTCOMES
    ]
    exps.append(
        _e("expect_compound_columns_to_be_unique", "unique", column_list=["person_id", "month"])
    )
    exps.append(
        _rows(
            "SELECT * FROM {batch} WHERE month IS NOT NULL AND month_index IS NOT NULL AND "
            "(day(month) <> 1 OR month_index <> year(month) * 12 + month(month) - 1)",
            "month_index",
            "month_index",
            ("month", "month_index"),
            "month is not the first day of a month or month_index is not year*12 + month-1",
        )
    )
    exps.append(
        _rows(
            "SELECT * FROM {batch} WHERE person_id IN (SELECT person_id FROM {batch} "
            "WHERE month_index IS NOT NULL GROUP BY person_id "
            "HAVING max(month_index) - min(month_index) + 1 <> count(DISTINCT month_index))",
            "gaps",
            "month_index",
            ("person_id", "month_index"),
            "a person's months are not consecutive (gaps in the panel)",
        )
    )
    exps.append(
        _rows(
            "SELECT * FROM {batch} WHERE person_id IN (SELECT person_id FROM {batch} "
            "GROUP BY person_id HAVING count(DISTINCT first_pilot_month) > 1 "
            "OR count(DISTINCT pilot) > 1)",
            "cohort",
            "first_pilot_month",
            ("person_id", "pilot", "first_pilot_month"),
            "a participant has more than one pilot or entry month",
        )
    )
    exps.append(
        _rows(
            "SELECT * FROM {batch} WHERE first_pilot_month IS NOT NULL AND "
            "months_since_entry IS DISTINCT FROM month_index - (year(first_pilot_month) * 12 "
            "+ month(first_pilot_month) - 1)",
            "months_since_entry",
            "months_since_entry",
            ("month_index", "first_pilot_month", "months_since_entry"),
            "months_since_entry is not month_index minus the entry month's index",
        )
    )
    return Suite(
        name="panel",
        kind="panel",
        table="panel",
        expectations=tuple(exps),
        columns=cols,
        meta={"source": "evaluation.registers.codes + data contract"},
    )


# -- staggered DiD input ---------------------------------------------------------------
def did_input_suite(
    *,
    outcome_min: float | None = 0.0,
    outcome_max: float | None = 1.0,
    min_comparison_units: int = DEFAULT_MIN_COMPARISON_UNITS,
    treated: bool = True,
) -> Suite:
    """Suite of a staggered-DiD input panel with columns ``unit, time, cohort[, treated],
    outcome`` (cohort = first treated period, 0 or missing for never-treated units).

    Parameters
    ----------
    outcome_min, outcome_max:
        The outcome's domain (inclusive; ``None`` = unbounded). Default 0..1 (shares).
    min_comparison_units:
        Each cohort needs at least this many never-treated or not-yet-treated units at its
        first treated period.
    treated:
        Whether the input has a 0/1 ``treated`` column (checked to be absorbing and to
        agree with ``cohort``).
    """
    cols = ("unit", "time", "cohort", *(("treated",) if treated else ()), "outcome")
    exps = [_e("expect_column_to_exist", "columns", column=c) for c in cols]
    exps += [
        _e("expect_column_values_to_not_be_null", "required", column=c)
        for c in ("unit", "time", "outcome")
    ]
    exps.append(_e("expect_compound_columns_to_be_unique", "unique", column_list=["unit", "time"]))
    if outcome_min is not None or outcome_max is not None:
        exps.append(
            _e(
                "expect_column_values_to_be_between",
                "domain",
                column="outcome",
                min_value=outcome_min,
                max_value=outcome_max,
            )
        )
    g = "coalesce(cohort, 0)"
    exps.append(
        _rows(
            "SELECT * FROM {batch} WHERE unit IN (SELECT unit FROM {batch} GROUP BY unit "
            f"HAVING count(DISTINCT {g}) > 1)",
            "cohort",
            "cohort",
            ("unit", "cohort"),
            "a unit has more than one cohort (first treated period)",
        )
    )
    exps.append(
        _rows(
            "SELECT * FROM {batch} WHERE unit IN (SELECT unit FROM {batch} WHERE time IS NOT NULL "
            "GROUP BY unit HAVING max(time) - min(time) + 1 <> count(DISTINCT time))",
            "gaps",
            "time",
            ("unit", "time"),
            "a unit's periods are not consecutive (gaps in the panel)",
        )
    )
    exps.append(
        _rows(
            f"SELECT * FROM {{batch}} WHERE {g} <> 0 AND {g} <= (SELECT min(time) FROM {{batch}})",
            "cohort_window",
            "cohort",
            ("cohort", "time"),
            "a unit is treated from the first period on (no pre-treatment period)",
        )
    )
    if treated:
        exps.append(
            _e("expect_column_values_to_be_in_set", "domain", column="treated", value_set=[0, 1])
        )
        exps.append(
            _rows(
                "SELECT * FROM {batch} WHERE treated IS NOT NULL AND time IS NOT NULL AND "
                f"treated <> CASE WHEN {g} <> 0 AND time >= {g} THEN 1 ELSE 0 END",
                "absorbing",
                "treated",
                ("treated", "time", "cohort"),
                "treatment is not absorbing: treated must be 1 from the cohort period on and 0 "
                "before (and 0 for never-treated units)",
            )
        )
    exps.append(
        _rows(
            f"WITH u AS (SELECT unit, max({g}) AS g FROM {{batch}} GROUP BY unit), "
            "c AS (SELECT DISTINCT g FROM u WHERE g <> 0) "
            "SELECT c.g AS cohort, (SELECT count(*) FROM u WHERE u.g = 0 OR u.g > c.g) "
            "AS comparison_units FROM c WHERE (SELECT count(*) FROM u WHERE u.g = 0 OR u.g > c.g) "
            f"< {int(min_comparison_units)} ORDER BY c.g",
            "comparison",
            "cohort",
            ("unit", "cohort"),
            f"a cohort has fewer than {int(min_comparison_units)} never-treated or not-yet-treated "
            "comparison units",
        )
    )
    return Suite(
        name="did_input",
        kind="did_input",
        table="did_input",
        expectations=tuple(exps),
        columns=cols,
        meta={
            "source": "staggered DiD design rules (Callaway & Sant'Anna 2021)",
            "min_comparison_units": int(min_comparison_units),
        },
    )


def suites_for(kind: str, **options: Any) -> tuple[Suite, ...]:
    """The suites of ``kind`` (``options`` go to the DiD-input builder)."""
    if kind == "submission":
        return submission_suites()
    if kind == "spells":
        return (spells_suite(),)
    if kind == "panel":
        return (panel_suite(),)
    if kind == "did_input":
        return (did_input_suite(**options),)
    from evaluation.errors import OptionError

    raise OptionError(
        f"unknown check kind {kind!r}",
        where="validate(kind=...)",
        fix=f"use one of: {', '.join(KINDS)}",
    )


def all_suites() -> tuple[Suite, ...]:
    """Every default suite, in file order."""
    return (*submission_suites(), spells_suite(), panel_suite(), did_input_suite())


def suite_documents() -> dict[str, str]:
    """File name -> JSON text of every suite (what ``checks/`` must hold)."""
    return {
        f"{s.name}.json": json.dumps(s.to_json(), indent=2, ensure_ascii=False) + "\n"
        for s in all_suites()
    }


def write_suites(folder: str | Path = SUITES_DIR) -> list[Path]:
    """(Re)generate the suite files in ``folder`` and return their paths.

    Run ``python -m evaluation.checks`` after changing the schema or the code table.
    Stale ``*.json`` files of suites that no longer exist are removed.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    docs = suite_documents()
    for old in out.glob("*.json"):
        if old.name not in docs:
            old.unlink()
    paths = []
    for name, text in docs.items():
        path = out / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
