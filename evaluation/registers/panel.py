"""Spells -> person-month panel, inside DuckDB.

Rules
-----
*Coverage.* A spell counts in a calendar month when it covers at least one day of that
month (``start <= last day of month`` and ``end >= first day of month``, ``end`` inclusive).
A one-day spell on 31 January therefore counts in January only; a spell from 31 January to
1 February counts in both months.

*Month rule.* ``month_rule`` says how many days of a month a spell must cover for the
month to count: ``"any_day"`` (the default, the rule above: at least one day),
``"full_month"`` (every day of the calendar month) or ``"min_days=N"`` (at least ``N``
days, or the whole month when it has fewer than ``N`` days; ``"min_days=1"`` is
``"any_day"`` and ``"min_days=31"`` is ``"full_month"``). The rule is applied to each spell
on its own (two back-to-back spells of the same code are not merged) and to every code.
The report's rule (``001_…`` l.5359-5360, Liite 4 heading l.9956): a person received a
benefit in a year when they received it "for at least a month" (vähintään kuukauden ajan),
counted on registers that record the benefit months *granted* per person and year
(myönnettyjen ... kuukausien määränä, l.5318-5320). The report sets no day threshold: its
month is the register's granted month, and "at least a month" is a threshold on the
number of such months (``received_<group>`` and ``n_benefits`` of the person-year panel
need one month). A register counts a month as granted when the benefit was granted for it,
whole or in part (social assistance is granted per calendar month), so ``"any_day"`` is
the rule that reproduces the report's month and stays the default. ``"full_month"`` and
``"min_days=N"`` are stricter sensitivity rules: they drop the partly covered first and
last months of a spell, which the register counts.

*Open spells.* A spell without ``end`` is ongoing: it runs to ``extract_date`` when that is
given, else to the end of the panel window.

*Precedence.* When several spells cover the same month, ``status`` is the covering code with
the smallest precedence rank of :data:`evaluation.registers.codes.CODE_TABLE` (employment
beats study, study beats services, services beat benefits; among benefits, rehabilitation
and incapacity beat accident and family benefits, which beat unemployment benefits, which
beat the supplementary study grant, social assistance and housing allowance). Months no
spell covers have status ``"none"``. Precedence only decides ``status``: the 0/1 outcome
columns count *every* covering spell, so a month can be both ``employed`` and
``on_main_benefit`` (e.g. partial sickness allowance while working part time).

*Persons.* The panel has one row per person x month of the window for every person who has
at least one spell (anywhere in time), is a participant, or is listed in ``persons``.

Columns
-------
``person_id`` (str), ``month`` (date, first day), ``month_index`` (``year*12 + month-1``),
``status`` (code or ``"none"``), 0/1 int8 outcomes ``employed, employed_open_market,
on_main_benefit, on_unemployment_benefit, on_health_benefit, in_education, in_service``, one
0/1 int8 column ``benefit_<group>`` per Liite 4 benefit group, and for participants
``pilot, first_pilot_month`` (month of ``entry_date``), ``months_since_entry`` (``month_index``
minus the entry month's index; negative before entry, 0 in the entry month) and ``in_pilot``
(1 from the entry month to the exit month inclusive); these four are null for others;
then ``benefit_units`` (int32 bit mask: bit k set when a benefit of unit k of
:data:`~evaluation.registers.codes.BENEFIT_UNITS` covers the month; the family benefits are
one unit and the accident compensations another, as in the report's benefit count).

Implementation
--------------
The rules are stated once, in :mod:`evaluation.registers.panel_rules`; this builder
renders them as DuckDB SQL and :func:`evaluation.scale.person_month_panel` as Ibis
expressions. Everything runs in DuckDB SQL, in batches of persons (about :data:`BATCH_ROWS`
person-months each): a person's spells, clipped to the window, are collected into a list,
list lambdas give one status and one flag mask per month, and the lists are unnested into
rows in (person, month) order, so there is no person x month join and no global sort. The
stored table keeps the flags packed in one ``SMALLINT`` and is compressed after each batch
(:func:`evaluation.registers.connect` opens a compressed in-memory database); the panel's
``table`` is a view that unpacks them. 1M persons x 60 months build in about 45 s with
1.6 GiB peak RSS on two shared cores (``benchmarks/bench_panel.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
from matplotlib.figure import Figure

from evaluation.errors import (
    InputDataError,
    MissingColumnError,
    OptionError,
    Problem,
    ProblemsFound,
)
from evaluation.registers import panel_rules as rules
from evaluation.registers._duck import (
    DuckTable,
    TableInput,
    connect,
    load_table,
    quote_ident,
    quote_literal,
    release,
    unique_name,
)
from evaluation.registers.codes import (
    BENEFIT_GROUPS,
    BENEFIT_UNITS,
    CODE_TABLE,
    NO_STATUS,
    StatusCode,
)
from evaluation.registers.ids import normalise_ids, register_id_function
from evaluation.registers.intake import csv_read_error, missing_column_error
from evaluation.registers.screening import refuse_identity_codes, refuse_identity_codes_in_frame
from evaluation.registers.spells import (
    Spells,
    date_expression,
    id_expression,
    normalised_notes,
    raw_missing_expression,
    validate_spells,
)

#: The 0/1 outcome columns of the contract, in order.
OUTCOME_COLUMNS: tuple[str, ...] = (
    "employed",
    "employed_open_market",
    "on_main_benefit",
    "on_unemployment_benefit",
    "on_health_benefit",
    "in_education",
    "in_service",
)

#: 0/1 columns per benefit group (``benefit_education`` ...), in Liite 4 order.
GROUP_COLUMNS: tuple[str, ...] = tuple(f"benefit_{g}" for g in BENEFIT_GROUPS)

#: Participant columns of the panel (null for non-participants).
PARTICIPANT_COLUMNS: tuple[str, ...] = (
    "pilot",
    "first_pilot_month",
    "months_since_entry",
    "in_pilot",
)

#: Required columns of a participant (client sheet) input; ``exit_date`` is optional.
PARTICIPANT_INPUT_COLUMNS: tuple[str, ...] = ("person_id", "pilot", "entry_date")

#: Bit mask of the distinct benefits (counting units) covering the month.
UNITS_COLUMN = "benefit_units"

#: Columns of the panel, in order.
PANEL_COLUMNS: tuple[str, ...] = (
    "person_id",
    "month",
    "month_index",
    "status",
    *OUTCOME_COLUMNS,
    *GROUP_COLUMNS,
    *PARTICIPANT_COLUMNS,
    UNITS_COLUMN,
)

#: The fixed values of ``month_rule``; ``"min_days=N"`` (1 <= N <= 31) is also allowed.
MonthRule = Literal["any_day", "full_month"] | str
MONTH_RULES: dict[str, int] = {"any_day": 1, "full_month": 31}

#: First bit of the benefit-unit mask inside the build's combined BIGINT mask.
UNIT_SHIFT = 16

#: Default person-months per batch of the panel build (bounds working memory).
BATCH_ROWS = 4_000_000

#: Name of the DuckDB ENUM type of ``status`` (created in the connection on first use).
STATUS_TYPE = "pilot_eval_status_v3"

DateLike = str | pd.Timestamp | np.datetime64 | object
AnchorLike = Literal["first_pilot_month"] | DateLike | pd.DataFrame


class ParticipantError(ProblemsFound):
    """Participant rows with problems (missing id or pilot, bad dates, duplicate persons)."""


def flag_bits() -> list[tuple[str, str]]:
    """The status flags packed into ``flag_bits``, in bit order.

    Returns
    -------
    list of (str, str)
        ``(panel column, StatusCode attribute or benefit group)``; bit ``k`` is the k-th entry.
    """
    # (column, StatusCode attribute or benefit group) in bit order
    attrs = [
        ("employed", "is_employment"),
        ("employed_open_market", "is_open_market_employment"),
        ("on_main_benefit", "is_main_benefit"),
        ("on_unemployment_benefit", "is_unemployment_benefit"),
        ("on_health_benefit", "is_health_benefit"),
        ("in_education", "is_education"),
        ("in_service", "is_service"),
    ]
    return attrs + [(f"benefit_{g}", g) for g in BENEFIT_GROUPS]


def _code_masks() -> list[tuple[str, int, int]]:
    """(code, precedence, bit mask of the outcome and group columns) per code."""
    out = []
    bits = flag_bits()
    for c in CODE_TABLE:
        mask = 0
        for k, (_col, attr) in enumerate(bits):
            on = c.benefit_group == attr if attr in BENEFIT_GROUPS else bool(getattr(c, attr))
            mask |= int(on) << k
        out.append((c.code, c.precedence, mask))
    return out


def unit_mask(code: StatusCode) -> int:
    """Bit mask of the code's counting unit in ``benefit_units`` (0 for non-benefits)."""
    unit = code.counting_unit
    return 0 if unit is None else 1 << BENEFIT_UNITS.index(unit)


def min_days(month_rule: MonthRule, *, where: str = "month_rule") -> int:
    """Days of a month a spell must cover under ``month_rule`` (1 for ``"any_day"``).

    Raises
    ------
    evaluation.errors.OptionError
        If the rule is not ``"any_day"``, ``"full_month"`` or ``"min_days=N"`` with
        ``1 <= N <= 31``.
    """
    rule = str(month_rule).strip()
    if rule in MONTH_RULES:
        return MONTH_RULES[rule]
    name, _, value = rule.partition("=")
    if name.strip() == "min_days" and value.strip().isdigit() and 1 <= int(value) <= 31:
        return int(value)
    raise OptionError(
        f"unknown month rule {month_rule!r}",
        where=where,
        fix="use 'any_day', 'full_month' or 'min_days=N' with N from 1 to 31",
    )


def code_flag_table() -> pd.DataFrame:
    """The status codes with their precedence rank and 0/1 outcome and group columns.

    One row per code of :data:`~evaluation.registers.codes.CODE_TABLE`: ``code``, ``rank``
    (0 = strongest; the panel's ``status`` is the covering code of the smallest rank) and
    one int8 column per outcome and benefit-group column of the panel, and the int32
    ``benefit_units`` mask of the code's counting unit. Engines that build the panel without
    DuckDB's list functions (:mod:`evaluation.scale`) join on it.
    """
    bits = flag_bits()
    table = pd.DataFrame(
        {
            "code": pd.array([c.code for c in CODE_TABLE], dtype="string"),
            "rank": np.arange(len(CODE_TABLE), dtype="int32"),
        }
    )
    for k, (col, _attr) in enumerate(bits):
        table[col] = np.array([(m >> k) & 1 for _c, _p, m in _code_masks()], dtype="int8")
    table[UNITS_COLUMN] = np.array([unit_mask(c) for c in CODE_TABLE], dtype="int32")
    return table


def to_month(value: DateLike, *, name: str) -> pd.Timestamp:
    """Return the first day of the month of ``value`` (``"2016-01"``, a date, ...).

    Raises
    ------
    evaluation.errors.OptionError
        If ``value`` is not a date.
    """
    ts: object
    try:
        ts = pd.Timestamp(value)  # type: ignore[arg-type]
    except (ValueError, TypeError):
        ts = None
    if not isinstance(ts, pd.Timestamp) or pd.isna(ts):
        raise OptionError(
            f"{name}={value!r} is not a date",
            where=name,
            fix="give a date or month like '2016-01' or '2016-01-01'",
        )
    return pd.Timestamp(year=ts.year, month=ts.month, day=1)


def month_index(month: pd.Timestamp) -> int:
    """``year*12 + (month-1)`` of a timestamp."""
    return rules.month_number(month)


def _window_months_sql(
    need: int, extract: pd.Timestamp | None, m_end: pd.Timestamp, lo: int, hi: int
) -> tuple[rules.Sql, rules.Sql, rules.Sql]:
    """SQL of the spells ``s`` that count in the window and their clipped month range."""
    open_end, last_day = rules.open_spell_end(extract, m_end)
    first, last = rules.counted_months(
        rules.SQL,
        rules.Sql("s.start"),
        rules.Sql('s."end"'),
        need=need,
        open_end=open_end,
        last_day=last_day,
    )
    keep, a, b = rules.window_months(rules.SQL, first, last, lo=lo, hi=hi)
    return keep, a, b


def _packed_fill() -> int:
    """The packed flags-and-units mask of a month no spell covers."""
    flags = sum(rules.FILL_FLAG << k for k in range(len(flag_bits())))
    return flags | (rules.FILL_UNITS << UNIT_SHIFT)


def _ensure_status_type(con: duckdb.DuckDBPyConnection) -> None:
    # Codes in precedence order, so min() over the ENUM picks the dominant code.
    labels = ", ".join(quote_literal(c) for c in (*(c.code for c in CODE_TABLE), NO_STATUS))
    con.execute(f"CREATE TYPE IF NOT EXISTS {STATUS_TYPE} AS ENUM ({labels})")


@dataclass(frozen=True)
class PersonMonthPanel(DuckTable):
    """A person-month panel kept in DuckDB (see the module docstring for rules and columns).

    Attributes
    ----------
    start, end:
        First and last month of the window (first days of months).
    n_persons:
        Number of persons.
    extract_date:
        Date open spells run to (``None``: to the end of the window).
    source:
        Name of the spell input.
    """

    start: pd.Timestamp
    end: pd.Timestamp
    n_persons: int
    extract_date: pd.Timestamp | None
    source: str
    #: Located notes on the inputs that are not errors (normalised ids, overlapping spells).
    notes: tuple[Problem, ...] = ()

    @property
    def storage(self) -> str:
        """Name of the stored table behind the view ``table`` (packed ``flags``, ``pid``)."""
        return f"{self.table}_data"

    @property
    def n_months(self) -> int:
        """Number of months in the window."""
        return month_index(self.end) - month_index(self.start) + 1

    def tidy(self) -> pd.DataFrame:
        """Share of persons with each outcome, by month.

        Returns
        -------
        pandas.DataFrame
            Columns ``month, outcome, n_persons, n_with_outcome, share`` (one row per month x
            outcome column).
        """
        sums = ", ".join(f"sum({c})::BIGINT AS {c}" for c in OUTCOME_COLUMNS)
        wide: pd.DataFrame = self.con.sql(
            f"SELECT month, count(*) AS n_persons, {sums} FROM {self.table} "
            "GROUP BY month ORDER BY month"
        ).df()
        long = wide.melt(
            id_vars=["month", "n_persons"],
            value_vars=list(OUTCOME_COLUMNS),
            var_name="outcome",
            value_name="n_with_outcome",
        )
        long["share"] = long["n_with_outcome"] / long["n_persons"]
        return long[["month", "outcome", "n_persons", "n_with_outcome", "share"]]

    def status_counts(self) -> pd.DataFrame:
        """Number of persons by month and ``status`` (columns ``month, status, n``)."""
        counts: pd.DataFrame = self.con.sql(
            f"SELECT month, CAST(status AS VARCHAR) AS status, count(*) AS n "
            f"FROM {self.table} GROUP BY ALL ORDER BY month, status"
        ).df()
        return counts

    def summary(self) -> str:
        """Persons, months, participants and the overall share of each outcome."""
        sums = ", ".join(f"avg({c})" for c in OUTCOME_COLUMNS)
        row = self.con.execute(
            f"SELECT count(*), count(DISTINCT person_id) FILTER (pilot IS NOT NULL), {sums} "
            f"FROM {self.table}"
        ).fetchall()[0]
        n_rows, n_part, *shares = row if row else (0, 0, *([None] * len(OUTCOME_COLUMNS)))
        open_to = (
            f"open spells run to {self.extract_date.date()}"
            if self.extract_date is not None
            else "open spells run to the end of the window"
        )
        lines = [
            f"Person-month panel from {self.source}: {self.n_persons} persons x "
            f"{self.n_months} months ({self.start:%Y-%m} .. {self.end:%Y-%m}) = {n_rows} rows; "
            f"{n_part} participants; {open_to}.",
            "Share of person-months:",
        ]
        for col, share in zip(OUTCOME_COLUMNS, shares, strict=True):
            lines.append(f"  {col:<26} {float(share or 0.0):7.3f}")
        return "\n".join(lines)

    def plot(self, *, outcomes: Sequence[str] = OUTCOME_COLUMNS) -> Figure:
        """Line plot of the monthly share of persons with each outcome."""
        tidy = self.tidy()
        fig = Figure(figsize=(8, 4.5))
        ax = fig.add_subplot()
        for name in outcomes:
            part = tidy[tidy["outcome"] == name]
            ax.plot(part["month"], part["share"], label=name)
        ax.set_ylabel("share of persons")
        ax.set_ylim(0, 1)
        ax.legend(fontsize="small", ncols=2)
        ax.set_title("Register status by month")
        return fig


def _load_ids(
    persons: pd.DataFrame | pd.Series | Sequence[str] | None,
    con: duckdb.DuckDBPyConnection,
) -> str | None:
    if persons is None:
        return None
    if isinstance(persons, pd.DataFrame):
        if "person_id" not in persons.columns:
            raise MissingColumnError(
                ["person_id"], where="persons", available=[str(c) for c in persons.columns]
            )
        ids = persons["person_id"]
    else:
        ids = pd.Series(list(persons) if not isinstance(persons, pd.Series) else persons)
    refuse_identity_codes_in_frame(pd.DataFrame({"person_id": ids}), source="persons")
    ids = normalise_ids(ids)
    missing = np.flatnonzero(ids.isna().to_numpy())
    if missing.size:
        raise ProblemsFound(
            "persons",
            [
                Problem(
                    f"persons row {i + 1}, column 'person_id'", "person id is missing", "fill it in"
                )
                for i in missing
            ],
        )
    name = unique_name("ids")
    con.register(name, pd.DataFrame({"person_id": ids}))
    return name


def _load_participants(
    participants: TableInput, con: duckdb.DuckDBPyConnection, source: str
) -> tuple[str, list[Problem]]:
    """Validate participants: a temp table (person_id, pilot, entry_mi, exit_mi), notes."""
    view = load_table(participants, con=con, kind="part_in", row_column="_row", where=source)
    try:
        refuse_identity_codes(con, view, source=source, row_column="_row")
        table = _participants_loaded(con, view, source)
        return table, normalised_notes(con, f"{view}_typed", source)
    except duckdb.InvalidInputException as exc:
        raise csv_read_error(exc, where=source) from None
    finally:
        release(con, view)


def _participants_loaded(con: duckdb.DuckDBPyConnection, view: str, source: str) -> str:
    rel = con.table(view)
    types = {c: str(t) for c, t in zip(rel.columns, rel.types, strict=True)}
    available = [c for c in rel.columns if c != "_row"]
    missing = [c for c in PARTICIPANT_INPUT_COLUMNS if c not in types]
    if missing:
        raise missing_column_error(missing, where=source, available=available)
    register_id_function(con)
    pid = id_expression("person_id", types["person_id"], where=source)
    entry = date_expression("entry_date", types["entry_date"], where=source)
    entry_missing = raw_missing_expression("entry_date", types["entry_date"])
    if "exit_date" in types:
        exit_ = date_expression("exit_date", types["exit_date"], where=source)
        exit_missing = raw_missing_expression("exit_date", types["exit_date"])
    else:
        exit_, exit_missing = "CAST(NULL AS DATE)", "TRUE"
    typed = f"{view}_typed"
    con.execute(
        f"CREATE TEMP VIEW {typed} AS SELECT _row, {pid} AS _pid, person_id, "
        f"nullif(trim(CAST(pilot AS VARCHAR)), '') AS _pilot, {entry} AS _entry, "
        f"{entry_missing} AS _entry_missing, {exit_} AS _exit, {exit_missing} AS _exit_missing, "
        f"count(*) OVER (PARTITION BY {pid}) AS _n FROM {view}"
    )
    rows = con.execute(
        f"""SELECT _row, _pid, _pilot IS NULL, _entry_missing, _entry IS NULL, _exit_missing,
               _exit IS NULL, _exit < _entry, _n, _entry, _exit FROM {typed}
        WHERE _pid IS NULL OR _pilot IS NULL OR _entry IS NULL
           OR (NOT _exit_missing AND _exit IS NULL) OR _exit < _entry OR _n > 1
        ORDER BY _row"""
    ).fetchall()
    problems: list[Problem] = []
    for r in rows:
        n, pid_v, no_pilot, entry_miss, entry_null, exit_miss, exit_null, backwards, dup = r[:9]

        def at(col: str, n: object = n) -> str:
            return f"{source} row {n}, column '{col}'"

        if pid_v is None:
            problems.append(Problem(at("person_id"), "person id is missing", "fill it in"))
        elif dup > 1:
            problems.append(
                Problem(
                    at("person_id"),
                    f"person {pid_v!r} appears on {dup} rows",
                    "keep one row per person (their first pilot entry)",
                )
            )
        if no_pilot:
            problems.append(Problem(at("pilot"), "pilot is missing", "fill in the pilot's name"))
        if entry_miss:
            problems.append(Problem(at("entry_date"), "entry date is missing", "fill it in"))
        elif entry_null:
            problems.append(
                Problem(
                    at("entry_date"),
                    "entry date cannot be read as a date",
                    "write dates like 2017-03-15 or 15.3.2017",
                )
            )
        if not exit_miss and exit_null:
            problems.append(
                Problem(
                    at("exit_date"),
                    "exit date cannot be read as a date",
                    "write dates like 2017-03-15, or leave empty if still in the pilot",
                )
            )
        if backwards:
            problems.append(
                Problem(
                    at("exit_date"),
                    f"exit date {r[10]} is before entry date {r[9]}",
                    "correct or swap the dates",
                )
            )
    if problems:
        raise ParticipantError(source, problems)
    out = unique_name("participants")
    con.execute(
        f"CREATE TEMP TABLE {out} AS SELECT _pid AS person_id, _pilot AS pilot, "
        f"{rules.month_index(rules.SQL, '_entry')} AS entry_mi, "
        f"{rules.month_index(rules.SQL, '_exit')} AS exit_mi FROM {typed}"
    )
    return out


def _create_unpacking_view(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """The panel view ``table`` over its stored ``{table}_data`` (flags unpacked)."""
    flags = ",\n".join(
        f"CAST((flags >> {k}) & 1 AS TINYINT) AS {quote_ident(col)}"
        for k, (col, _a) in enumerate(flag_bits())
    )
    con.execute(
        f"""CREATE VIEW {table} AS
        SELECT person_id, month, month_index, status,
               {flags},
               pilot, first_pilot_month, months_since_entry, in_pilot, {UNITS_COLUMN}
        FROM {table}_data"""
    )


def validated_panel_inputs(
    spells: TableInput,
    *,
    participants: TableInput | None = None,
    persons: pd.DataFrame | pd.Series | Sequence[str] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    source: str = "spells",
    participants_source: str = "participants",
) -> tuple[pa.Table, pa.Table]:
    """Validate the panel's inputs in DuckDB and return them typed, for another engine.

    Runs the same checks as :func:`build_person_month_panel` (every bad spell or
    participant row listed) and returns two Arrow tables: the spells (``person_id, code,
    start, end``) and the persons (``person_id, pilot, entry_month, exit_month``: every
    person with a spell, every participant and every extra id, one row each; the pilot
    columns are null for non-participants). :mod:`evaluation.scale` builds the panel from
    them on any Ibis backend.

    Raises
    ------
    evaluation.errors.SpellError, ParticipantError, evaluation.errors.ProblemsFound
        Bad rows, all of them listed.
    """
    con = con if con is not None else connect()
    valid = validate_spells(spells, source=source, con=con)
    part, _notes = (
        _load_participants(participants, con, participants_source)
        if participants is not None
        else (None, [])
    )
    extra_ids = _load_ids(persons, con)
    try:
        id_sources = [f"SELECT DISTINCT person_id FROM {valid.table}"]
        if part:
            id_sources.append(f"SELECT person_id FROM {part}")
        if extra_ids:
            id_sources.append(f"SELECT person_id FROM {extra_ids}")
        part_cols = (
            f"p.pilot, {rules.month_start(rules.SQL, rules.Sql('p.entry_mi'))} AS entry_month, "
            f"{rules.month_start(rules.SQL, rules.Sql('p.exit_mi'))} AS exit_month"
            if part
            else "NULL::VARCHAR AS pilot, NULL::DATE AS entry_month, NULL::DATE AS exit_month"
        )
        part_join = f"LEFT JOIN {part} p USING (person_id)" if part else ""
        people: pa.Table = con.sql(
            f"""SELECT ids.person_id, {part_cols}
            FROM (SELECT DISTINCT person_id FROM ({" UNION ALL ".join(id_sources)})) ids
            {part_join} ORDER BY ids.person_id"""
        ).to_arrow_table()
        kept: pa.Table = con.sql(
            f'SELECT person_id, CAST(code AS VARCHAR) AS code, start, "end" FROM {valid.table} '
            "ORDER BY person_id, start, code, spell_row"
        ).to_arrow_table()
    finally:
        con.execute(f"DROP TABLE IF EXISTS {valid.table}")
        if part:
            con.execute(f"DROP TABLE {part}")
        if extra_ids:
            con.unregister(extra_ids)
    return kept, people


def store_person_month_panel(
    frame: pa.Table | pd.DataFrame,
    *,
    start: DateLike,
    end: DateLike,
    extract_date: DateLike | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    source: str = "spells",
) -> PersonMonthPanel:
    """Store a person-month panel computed elsewhere (e.g. on Spark) as a DuckDB panel.

    ``frame`` has the :data:`PANEL_COLUMNS`; it is stored in the layout of
    :func:`build_person_month_panel` (flags packed, canonical row order), so every function
    that takes a :class:`PersonMonthPanel` works on it.
    """
    missing = (
        [c for c in PANEL_COLUMNS if c not in frame.column_names]
        if isinstance(frame, pa.Table)
        else [c for c in PANEL_COLUMNS if c not in frame.columns]
    )
    if missing:
        raise MissingColumnError(missing, where="person-month panel", available=PANEL_COLUMNS)
    m_start, m_end = to_month(start, name="start"), to_month(end, name="end")
    extract = None if extract_date is None else pd.Timestamp(extract_date).normalize()  # type: ignore[arg-type]
    con = con if con is not None else connect()
    _ensure_status_type(con)
    src = unique_name("panel_in")
    con.register(src, frame)
    packed = " | ".join(
        f"(CAST({quote_ident(col)} AS SMALLINT) << {k})" for k, (col, _a) in enumerate(flag_bits())
    )
    table = unique_name("person_month")
    try:
        con.execute(
            f"""CREATE TABLE {table}_data AS
            SELECT CAST(dense_rank() OVER (ORDER BY person_id) AS INTEGER) AS pid,
                   CAST(person_id AS VARCHAR) AS person_id, CAST(month AS DATE) AS month,
                   CAST(month_index AS INTEGER) AS month_index,
                   CAST(CAST(status AS VARCHAR) AS {STATUS_TYPE}) AS status,
                   CAST({packed} AS SMALLINT) AS flags,
                   CAST(pilot AS VARCHAR) AS pilot,
                   CAST(first_pilot_month AS DATE) AS first_pilot_month,
                   CAST(months_since_entry AS INTEGER) AS months_since_entry,
                   CAST(in_pilot AS TINYINT) AS in_pilot,
                   CAST({UNITS_COLUMN} AS INTEGER) AS {UNITS_COLUMN}
            FROM {src} ORDER BY person_id, month_index"""
        )
    finally:
        con.unregister(src)
    con.execute("CHECKPOINT")
    _create_unpacking_view(con, table)
    n_persons = int(con.execute(f"SELECT count(DISTINCT pid) FROM {table}_data").fetchall()[0][0])
    return PersonMonthPanel(
        con=con,
        table=table,
        order_by=("person_id", "month_index"),
        start=m_start,
        end=m_end,
        n_persons=n_persons,
        extract_date=extract,
        source=source,
    )


def build_person_month_panel(
    spells: TableInput | Spells,
    *,
    start: DateLike,
    end: DateLike,
    participants: TableInput | None = None,
    persons: pd.DataFrame | pd.Series | Sequence[str] | None = None,
    extract_date: DateLike | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    source: str = "spells",
    participants_source: str = "participants",
    batch_persons: int | None = None,
    month_rule: MonthRule = "any_day",
) -> PersonMonthPanel:
    """Build the person-month panel from register spells (month expansion in DuckDB SQL).

    Parameters
    ----------
    spells:
        Spells (DataFrame, parquet/CSV path, DuckDB relation) or already validated
        :class:`~evaluation.registers.spells.Spells`; validated with
        :func:`~evaluation.registers.spells.validate_spells` first.
    start, end:
        First and last month of the window (inclusive; any day of the month will do).
    participants:
        Optional pilot client table with ``person_id, pilot, entry_date`` and optional
        ``exit_date`` (one row per person).
    persons:
        Optional extra person ids to include even without spells (e.g. the whole comparison
        population); a DataFrame with ``person_id``, a Series or a list.
    extract_date:
        Extract date of the register data; open spells run to it. Default: open spells run
        to the end of the window.
    con:
        DuckDB connection; default a new in-memory one from
        :func:`evaluation.registers.connect`. Pass a file-backed connection to keep a large
        panel on disk.
    source, participants_source:
        Names of the inputs used in messages.
    batch_persons:
        Persons per SQL batch (default: about :data:`BATCH_ROWS` person-months per batch).
        Batches bound DuckDB's working memory; the result does not depend on them.
    month_rule:
        When a spell counts in a month: ``"any_day"`` (default), ``"full_month"`` or
        ``"min_days=N"`` (see the module docstring for the report's rule).

    Returns
    -------
    PersonMonthPanel
        Frozen result holding the DuckDB table; ``.to_pandas()``, ``.to_arrow()``,
        ``.to_parquet(path)``, ``.relation``, ``.summary()``, ``.tidy()``, ``.plot()``.

    Raises
    ------
    evaluation.errors.OptionError
        ``end`` before ``start`` or dates that are not dates.
    evaluation.errors.SpellError
        Bad spell rows (all of them listed).
    ParticipantError
        Bad participant rows (all of them listed).
    """
    m_start = to_month(start, name="start")
    m_end = to_month(end, name="end")
    min_days(month_rule, where="build_person_month_panel(month_rule=...)")
    if m_end < m_start:
        raise OptionError(
            f"end month {m_end:%Y-%m} is before start month {m_start:%Y-%m}",
            where="build_person_month_panel",
            fix="swap start and end",
        )
    extract: pd.Timestamp | None = None
    if extract_date is not None:
        to_month(extract_date, name="extract_date")  # raises OptionError if not a date
        extract = pd.Timestamp(extract_date).normalize()  # type: ignore[arg-type]
    if isinstance(spells, Spells):
        valid = spells
        con = spells.con if con is None else con
        if con is not spells.con:
            raise OptionError(
                "validated spells live in another DuckDB connection",
                where="build_person_month_panel",
                fix="pass the same con, or pass the raw spells",
            )
    else:
        con = con if con is not None else connect()
        valid = validate_spells(spells, source=source, con=con)
    _ensure_status_type(con)

    lo, hi = month_index(m_start), month_index(m_end)

    part, part_notes = (
        _load_participants(participants, con, participants_source)
        if participants is not None
        else (None, [])
    )
    extra_ids = _load_ids(persons, con)

    # -- persons: dense integer ids in person_id order (cheap keys for the aggregation) ----
    id_sources = [f"SELECT DISTINCT person_id FROM {valid.table}"]
    if part:
        id_sources.append(f"SELECT person_id FROM {part}")
    if extra_ids:
        id_sources.append(f"SELECT person_id FROM {extra_ids}")
    people = unique_name("people")
    part_cols = (
        "p.pilot, p.entry_mi, p.exit_mi"
        if part
        else "NULL::VARCHAR AS pilot, NULL::INTEGER AS entry_mi, NULL::INTEGER AS exit_mi"
    )
    part_join = f"LEFT JOIN {part} p USING (person_id)" if part else ""
    con.execute(
        f"""CREATE TEMP TABLE {people} AS
        SELECT (row_number() OVER (ORDER BY person_id))::INTEGER AS pid, person_id, {part_cols}
        FROM (SELECT DISTINCT person_id FROM ({" UNION ALL ".join(id_sources)})) ids
        {part_join}
        ORDER BY pid"""
    )

    # -- code table with precedence and flag bit masks ------------------------------------
    # (the flag bits, then the benefit-unit mask from bit UNIT_SHIFT, in one BIGINT)
    codes = unique_name("codes")
    con.register(
        codes,
        pd.DataFrame(
            [
                (code, prec, mask | (unit_mask(CODE_TABLE[k]) << UNIT_SHIFT))
                for k, (code, prec, mask) in enumerate(_code_masks())
            ],
            columns=["code", "prec", "mask"],
        ).astype({"prec": "int8", "mask": "int64"}),
    )

    # -- spell keys clipped to the window: pid, first/last month offset, status, flag mask ----
    keep, first_mi, last_mi = _window_months_sql(min_days(month_rule), extract, m_end, lo, hi)
    keys = unique_name("keys")
    con.execute(
        f"""CREATE TEMP TABLE {keys} AS
        SELECT pid, ({first_mi} - {lo})::SMALLINT AS a, ({last_mi} - {lo})::SMALLINT AS b,
               CAST(code AS {STATUS_TYPE}) AS st, mask
        FROM {valid.table} s JOIN {people} USING (person_id) JOIN {codes} USING (code)
        WHERE {keep}
        ORDER BY pid"""
    )

    # -- per batch of persons: each person's spells -> one status and one flag mask per month.
    # The month loop runs inside DuckDB as list lambdas over the person's (few) spells; the
    # lists are then unnested to rows in (person, month) order: no big join and no big sort.
    n_persons = int(con.execute(f"SELECT count(*) FROM {people}").fetchall()[0][0])
    n_months = hi - lo + 1
    if batch_persons is not None and batch_persons < 1:
        raise OptionError(
            f"batch_persons={batch_persons} must be positive",
            where="batch_persons",
            fix="use 1 or more, or leave it out",
        )
    step = batch_persons or max(1, BATCH_ROWS // n_months)
    covering = "list_filter(s.sp, lambda x: x.a <= i AND i <= x.b)"
    month_list = (
        "["
        + ", ".join(
            f"DATE '{(m_start + pd.DateOffset(months=k)):%Y-%m-%d}'" for k in range(n_months)
        )
        + "]"
    )

    month, entry, exit_ = rules.Sql("mi"), rules.Sql("entry_mi"), rules.Sql("exit_mi")
    fill = _packed_fill()

    def batch_sql(first: int, last: int) -> str:
        return f"""
        WITH s AS (
            SELECT pid, list(struct_pack(a := a, b := b, st := st, m := mask)) AS sp
            FROM {keys} WHERE pid BETWEEN {first} AND {last} GROUP BY pid
        ), per_person AS (
            SELECT p.pid, p.person_id, p.pilot, p.entry_mi, p.exit_mi,
                   list_transform(range({n_months}), lambda i:
                       list_aggregate(list_transform({covering}, lambda x: x.st),
                                      '{rules.STATUS_COMBINE}')) AS sts,
                   list_transform(range({n_months}), lambda i:
                       list_aggregate(list_transform({covering}, lambda x: x.m),
                                      '{rules.PACKED_COMBINE}')) AS masks
            FROM {people} p LEFT JOIN s USING (pid)
            WHERE p.pid BETWEEN {first} AND {last}
            ORDER BY p.pid
        ), person_months AS (
            SELECT pid, person_id, pilot, entry_mi, exit_mi,
                   unnest({month_list}) AS month, unnest(range({lo}, {hi + 1})) AS mi,
                   unnest(sts) AS st, unnest(masks) AS mask
            FROM per_person
        )
        SELECT pid, person_id, month, mi::INTEGER AS month_index,
               coalesce(st, {quote_literal(rules.FILL_STATUS)}::{STATUS_TYPE}) AS status,
               CAST(coalesce(mask, {fill}) & {(1 << UNIT_SHIFT) - 1} AS SMALLINT) AS flags,
               pilot,
               {rules.first_pilot_month(rules.SQL, entry)} AS first_pilot_month,
               {rules.months_since_entry(rules.SQL, month, entry)} AS months_since_entry,
               {rules.in_pilot(rules.SQL, month, entry, exit_, hi=hi)} AS in_pilot,
               CAST(coalesce(mask, {fill}) >> {UNIT_SHIFT} AS INTEGER) AS {UNITS_COLUMN}
        FROM person_months"""

    # Stored: the flags packed in one SMALLINT (15 int8 columns cost ~5x more to compress)
    # and the dense person number pid (for batched reads); the panel itself is a view that
    # unpacks the flags into the 0/1 columns of the contract.
    table = unique_name("person_month")
    data = f"{table}_data"
    con.execute(f"CREATE TABLE {data} AS {batch_sql(1, 0)}")  # empty, with the schema
    for first in range(1, n_persons + 1, step):
        con.execute(f"INSERT INTO {data} {batch_sql(first, first + step - 1)}")
        con.execute("CHECKPOINT")  # compresses the batch (compressed or file-backed database)
    _create_unpacking_view(con, table)
    # Free the helpers (and the spells validated here; spells passed in stay with the caller).
    con.execute(f"DROP TABLE {keys}")
    con.execute(f"DROP TABLE {people}")
    con.unregister(codes)
    if part:
        con.execute(f"DROP TABLE {part}")
    if extra_ids:
        con.unregister(extra_ids)
    if valid is not spells:
        con.execute(f"DROP TABLE {valid.table}")
    return PersonMonthPanel(
        con=con,
        table=table,
        order_by=("person_id", "month_index"),
        start=m_start,
        end=m_end,
        n_persons=n_persons,
        extract_date=extract,
        source=valid.source,
        notes=(*valid.notes, *part_notes),
    )


# ----------------------------------------------------------------------------------------
# Outcomes relative to a reference month
# ----------------------------------------------------------------------------------------


#: SQL of the anchor month (first day) of an anchor table row ``a``.
_ANCHOR_MONTH = rules.month_start(rules.SQL, rules.Sql("a.anchor_mi"))


def _anchor_table(panel: PersonMonthPanel, anchor: AnchorLike) -> str:
    """Temp view (person_id, anchor_mi) for the given anchor."""
    con = panel.con
    name = unique_name("anchor")
    if isinstance(anchor, str) and anchor == "first_pilot_month":
        con.execute(
            f"CREATE TEMP VIEW {name} AS SELECT DISTINCT person_id, "
            f"{rules.month_index(rules.SQL, 'first_pilot_month')} AS anchor_mi FROM {panel.table} "
            "WHERE first_pilot_month IS NOT NULL"
        )
        return name
    if isinstance(anchor, pd.DataFrame):
        need = [c for c in ("person_id", "anchor_month") if c not in anchor.columns]
        if need:
            raise MissingColumnError(
                need, where="anchor", available=[str(c) for c in anchor.columns]
            )
        months = pd.to_datetime(anchor["anchor_month"], errors="coerce")
        bad = np.flatnonzero(months.isna().to_numpy() | anchor["person_id"].isna().to_numpy())
        if bad.size:
            raise ProblemsFound(
                "anchor",
                [
                    Problem(
                        f"anchor row {i + 1}",
                        "person_id or anchor_month is missing or not a date",
                        "give every person an id and an anchor date",
                    )
                    for i in bad
                ],
            )
        if anchor["person_id"].duplicated().any():
            raise InputDataError(
                "anchor has several rows for one person",
                where="anchor, column 'person_id'",
                fix="give one anchor month per person",
            )
        frame = pd.DataFrame(
            {
                "person_id": normalise_ids(anchor["person_id"]),
                "anchor_mi": (months.dt.year * 12 + months.dt.month - 1).astype("int64"),
            }
        )
        con.register(name, frame)
        return name
    month = to_month(anchor, name="anchor")
    con.execute(
        f"CREATE TEMP VIEW {name} AS SELECT DISTINCT person_id, {month_index(month)} AS anchor_mi "
        f"FROM {panel.table}"
    )
    return name


def _check_outcome(outcome: str) -> None:
    allowed = (*OUTCOME_COLUMNS, *GROUP_COLUMNS)
    if outcome not in allowed:
        raise OptionError(
            f"unknown outcome {outcome!r}",
            where="outcome",
            fix=f"use one of {', '.join(allowed)}",
        )


def months_in_window(
    panel: PersonMonthPanel,
    *,
    anchor: AnchorLike = "first_pilot_month",
    window: tuple[int, int] = (1, 12),
    outcome: str = "employed",
) -> pd.DataFrame:
    """Count months with ``outcome`` in a window of months after a reference month.

    Parameters
    ----------
    panel:
        A :class:`PersonMonthPanel`.
    anchor:
        Reference month: ``"first_pilot_month"`` (participants only), one date for everyone
        (e.g. ``"2017-01"``), or a DataFrame with ``person_id, anchor_month`` (e.g. pseudo
        entry months of matched comparison persons).
    window:
        ``(first, last)`` months relative to the anchor, inclusive; ``(1, 12)`` is the 12
        months after the anchor month, ``(-12, -1)`` the 12 months before it.
    outcome:
        A 0/1 panel column (``employed``, ``on_main_benefit``, ``benefit_<group>`` ...).

    Returns
    -------
    pandas.DataFrame
        One row per anchored person (ordered by ``person_id``): ``person_id, anchor_month,
        window_months`` (length of the window), ``months_observed`` (window months inside
        the panel), ``months_<outcome>``, ``share_<outcome>`` (of observed months; NaN if none)
        and ``complete`` (whole window observed). Persons whose window leaves the panel are
        kept, with ``complete = False``.
    """
    _check_outcome(outcome)
    first, last = (int(window[0]), int(window[1]))
    if last < first:
        raise OptionError(
            f"window {window} ends before it starts", where="window", fix="give (first, last)"
        )
    anchors = _anchor_table(panel, anchor)
    length = last - first + 1
    out: pd.DataFrame = panel.con.sql(
        f"""SELECT a.person_id, {_ANCHOR_MONTH} AS anchor_month,
               {length} AS window_months,
               count(p.month_index)::INTEGER AS months_observed,
               coalesce(sum(p.{outcome}), 0)::INTEGER AS months_{outcome}
        FROM {anchors} a LEFT JOIN {panel.table} p
          ON p.person_id = a.person_id
         AND p.month_index BETWEEN a.anchor_mi + {first} AND a.anchor_mi + {last}
        GROUP BY a.person_id, a.anchor_mi ORDER BY a.person_id"""
    ).df()
    observed = out["months_observed"].to_numpy(dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        share = out[f"months_{outcome}"].to_numpy(dtype="float64") / observed
    out[f"share_{outcome}"] = np.where(observed > 0, share, np.nan)
    out["complete"] = out["months_observed"] == length
    return out


def months_employed_in_window(
    panel: PersonMonthPanel,
    *,
    anchor: AnchorLike = "first_pilot_month",
    window: tuple[int, int] = (1, 12),
    open_market: bool = False,
) -> pd.DataFrame:
    """Months employed in a window after a reference month (see :func:`months_in_window`).

    ``open_market=True`` counts open-market employment only (no pay subsidy).
    """
    outcome = "employed_open_market" if open_market else "employed"
    return months_in_window(panel, anchor=anchor, window=window, outcome=outcome)


def outcome_at_months(
    panel: PersonMonthPanel,
    *,
    anchor: AnchorLike = "first_pilot_month",
    months: Sequence[int] = (3, 6, 12),
    outcome: str = "employed",
) -> pd.DataFrame:
    """The 0/1 ``outcome`` exactly ``k`` months after the reference month, for each ``k``.

    Returns
    -------
    pandas.DataFrame
        ``person_id, anchor_month`` and one nullable ``Int8`` column ``<outcome>_at_<k>`` per
        ``k`` (``<NA>`` when that month is outside the panel), ordered by ``person_id``.
    """
    _check_outcome(outcome)
    ks = [int(k) for k in months]
    if not ks:
        raise OptionError("months is empty", where="months", fix="give e.g. (3, 6, 12)")
    anchors = _anchor_table(panel, anchor)
    cols = ", ".join(
        f"max(p.{outcome}) FILTER (p.month_index = a.anchor_mi + ({k})) AS "
        f"{quote_ident(f'{outcome}_at_{k}')}"
        for k in ks
    )
    out: pd.DataFrame = panel.con.sql(
        f"""SELECT a.person_id, {_ANCHOR_MONTH} AS anchor_month, {cols}
        FROM {anchors} a LEFT JOIN {panel.table} p
          ON p.person_id = a.person_id
         AND p.month_index IN ({", ".join(f"a.anchor_mi + ({k})" for k in ks)})
        GROUP BY a.person_id, a.anchor_mi ORDER BY a.person_id"""
    ).df()
    for k in ks:
        out[f"{outcome}_at_{k}"] = out[f"{outcome}_at_{k}"].astype("Int8")
    return out
