"""Synthetic national register extract with the six OTE 4 pilots and known truth.

:func:`generate_registers` draws a seeded, realistic-looking register extract (persons,
status/benefit spells, pilot participants) in which the true effect of each pilot on monthly
employment is known, so that estimators can be checked against it.

Data-generating process
-----------------------
*Population.* Persons aged 18-62 in 2016 are drawn over the 19 maakunnat by their 2016
population, with the smaller pilot regions oversampled (``pilot_region_oversampling``) as a
register sample drawn for an evaluation would. Observables: birth year, sex, region, education,
mother tongue, disability (disability-service client) and partial work ability.

*Employment.* Each person has a time-invariant employment propensity

    a_i = clip(f(age, sex, region, education, mother tongue, disability, partial work
          ability) + u_i, A_MIN, A_MAX),   u_i ~ N(0, unobserved_sd^2),

and an untreated monthly employment probability ``p_it = a_i + tau_t`` with a common calendar
trend ``tau_t`` (a dip in 2015, recovery to 2018, a summer peak); regions differ only by
constants inside ``a_i``. Employment ``E_it`` follows a two-state Markov chain that keeps the
marginal probability exactly at ``p_it``:

    P(E_it = 1 | E_i,t-1) = p_it + rho * (E_i,t-1 - p_i,t-1).

A participant entering in month ``e_i`` has the treated probability ``p_it + delta_pilot(k)``,
``k = t - e_i >= 0``, with ``delta(k) = effect_max * (1 - exp(-(k + 1) / effect_months))``
(see :mod:`evaluation.synthetic.ote4`). Treated and untreated chains use the same uniform
draws (common random numbers): before entry they coincide; the realised sample ATT is the
mean of ``Y1 - Y0`` over participants. Parameters are checked up front so that the chain's
conditional probabilities stay in [0, 1] for every propensity and entry month (no clipping).

*Selection.* For each pilot, persons in its regions who belong to its target group and have
``a_i <= A_ELIGIBLE_MAX`` are eligible; participation is a logistic draw whose score falls
steeply in ``a_i`` and rises with disability and partial work ability (targeted pilots:
disability-service clients; Fokus: people aged at most 29). The intercept is solved so that
the expected number of participants is ``participants_per_20k * persons / 20,000``.
Selection is thus on observables and on the *long-run* employment propensity ``a_i`` (the
expectation of a person's long-run employment history), never on a transient dip: the entry
month is drawn uniformly in the enrolment period, independently of employment. Hence

* staggered DiD with not-yet-treated or never-treated controls is unbiased (selection on a
  time-invariant level, common trend);
* matching on observables (with a propensity model flexible enough for the step-wise age
  profile and the floor ``A_MIN``) and pre-entry employment history is nearly unbiased; the
  residual bias comes only from the small unobserved part ``u_i`` (``unobserved_sd``): about
  the participants' mean ``u_i``, -0.001 to -0.009 by pilot at the defaults (stored as
  ``parameters["selection"][pilot]["mean_unobserved_participants"]``);
* a naive participant-versus-others comparison is strongly biased downwards (participants'
  mean propensity is far below the population's).

*Statuses.* Non-employed months are mapped to plausible statuses: degree study (and the
study grant) until a person's study end year; parental allowance (10 months after a birth);
disability pension for most disability-service clients and some persons aged 55+ with
partial work ability (one spell from its start, at age 18-20 for disability-service
clients, through the whole extract, alongside work); for part of the others with partial
work ability a health path (sickness allowance up to month 9 of non-employment, then
rehabilitation allowance or vocational rehabilitation to month 18, then disability pension);
otherwise unemployment (earnings-related or basic allowance for 14 months when the work
condition of 6 employment months in the last 28 was met, labour market subsidy after that or
without the condition; half of the first months of gaps go unclaimed), and for about a
fifth of persons outside these groups no benefit at all (outside the labour force).
Alongside: basic social assistance and general
housing allowance for low-income persons, partial sickness allowance for employed persons
with partial work ability, accident allowance, TE and municipal services (labour market
training, rehabilitative work activity, social rehabilitation) and, for participants, job
coaching from entry and work trials. Jobs of participants after entry are often
pay-subsidised. Employed months are covered by exactly one employment spell, so the
panel's ``employed`` reproduces the simulated employment.

*Spells.* Each status series is run-length encoded over months: a spell starts on the first
day of its first month and ends on the last day of its last month (``end`` is NaT for spells
still running in the last month of the extract when ``open_ended=True``), so a spell counts
in exactly the months it was simulated in under the panel's rule "a spell counts in a month
when it covers at least one day of it". The simulation has a
36-month burn-in before the extract window, so spells that started before the window keep
their true start date; only spells overlapping the window are in the extract.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
from matplotlib.figure import Figure

from evaluation.errors import OptionError, SchemaError
from evaluation.registers.codes import CODES as _REGISTER_CODES
from evaluation.safe_io import atomic_write, output_folder, write_text
from evaluation.synthetic.extras import RegisterExtras, register_extras
from evaluation.synthetic.ote4 import (
    OTE4_PILOTS,
    TARGET_DISABLED,
    TARGET_LONG_TERM_UNEMPLOYED,
    TARGET_MENTAL_HEALTH,
    TARGET_PARTIAL_WORK_ABILITY,
    TARGET_STUDENT,
    Ote4Pilot,
    pilots_frame,
)

Bool = npt.NDArray[np.bool_]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]

# ---------------------------------------------------------------------------------------
# Codes (strings of evaluation.registers.codes); index 0 of the channel matrices = no spell.
# ---------------------------------------------------------------------------------------
SPELL_CODES: tuple[str, ...] = (
    "",  # 0: no spell
    "employment_open",
    "employment_pay_subsidy",
    "study_degree",
    "parental_allowance",
    "sickness_allowance",
    "rehabilitation_allowance",
    "vocational_rehabilitation",
    "disability_pension",
    "unemployment_allowance_earnings_related",
    "unemployment_allowance_basic",
    "labour_market_subsidy",
    "study_grant",
    "social_assistance_basic",
    "housing_allowance",
    "partial_sickness_allowance",
    "accident_allowance",
    "service_job_coaching",
    "service_work_trial",
    "service_rehabilitative_work_activity",
    "service_labour_market_training",
    "service_social_rehabilitation",
)
_C = {code: i for i, code in enumerate(SPELL_CODES)}

_unknown = [c for c in SPELL_CODES[1:] if c not in _REGISTER_CODES]
if _unknown:  # developer error: the two tables drifted apart
    raise SchemaError(f"synthetic spell codes missing from the code table: {_unknown}")

# ---------------------------------------------------------------------------------------
# Fixed model constants (documented assumptions)
# ---------------------------------------------------------------------------------------
#: Bounds of the employment propensity a_i.
A_MIN, A_MAX = 0.06, 0.92
#: Persons with a_i above this are not in any pilot's target group.
A_ELIGIBLE_MAX = 0.60
#: Months simulated before the extract window (gives spells their true start dates).
BURN_IN_MONTHS = 36
#: Reference year for ages in the selection and the propensity.
REFERENCE_YEAR = 2016

#: 2016 population (thousands) of the maakunnat; Uusimaa includes former Itä-Uusimaa.
REGION_POPULATION: dict[str, float] = {
    "Uusimaa": 1620.0,
    "Varsinais-Suomi": 475.0,
    "Satakunta": 221.0,
    "Kanta-Häme": 174.0,
    "Pirkanmaa": 506.0,
    "Päijät-Häme": 201.0,
    "Kymenlaakso": 178.0,
    "Etelä-Karjala": 131.0,
    "Etelä-Savo": 148.0,
    "Pohjois-Savo": 248.0,
    "Pohjois-Karjala": 165.0,
    "Keski-Suomi": 276.0,
    "Etelä-Pohjanmaa": 191.0,
    "Pohjanmaa": 181.0,
    "Keski-Pohjanmaa": 69.0,
    "Pohjois-Pohjanmaa": 411.0,
    "Kainuu": 75.0,
    "Lappi": 181.0,
    "Ahvenanmaa": 29.0,
}
REGIONS: tuple[str, ...] = tuple(REGION_POPULATION)

#: Region constants in the employment propensity (regional labour-market differences).
_REGION_SHIFT: dict[str, float] = {
    "Uusimaa": 0.03,
    "Pohjanmaa": 0.03,
    "Ahvenanmaa": 0.05,
    "Pirkanmaa": 0.0,
    "Kainuu": -0.04,
    "Pohjois-Karjala": -0.04,
    "Lappi": -0.03,
    "Kymenlaakso": -0.03,
    "Päijät-Häme": -0.03,
    "Etelä-Savo": -0.02,
    "Satakunta": -0.02,
    "Etelä-Karjala": -0.02,
}
#: Swedish- and other-speaking shares by region (default 0.005 and 0.05).
_SV_SHARE = {
    "Uusimaa": 0.08,
    "Pohjanmaa": 0.50,
    "Varsinais-Suomi": 0.055,
    "Keski-Pohjanmaa": 0.08,
    "Ahvenanmaa": 0.87,
}
_OTHER_SHARE = {"Uusimaa": 0.14, "Ahvenanmaa": 0.07, "Varsinais-Suomi": 0.08}
_EDUCATION = ("basic", "secondary", "tertiary")
_TONGUES = ("fi", "sv", "other")


@dataclass(frozen=True)
class GeneratorOptions:
    """Validated options of :func:`generate_registers` (see its docstring)."""

    persons: int
    seed: int
    start: str
    end: str
    persistence: float
    participant_scale: float
    unobserved_sd: float
    pilot_region_oversampling: float
    open_ended: bool
    pilots: tuple[Ote4Pilot, ...]

    def to_json(self) -> dict[str, Any]:
        """Options as JSON-ready values."""
        out: dict[str, Any] = {
            k: getattr(self, k)
            for k in (
                "persons",
                "seed",
                "start",
                "end",
                "persistence",
                "participant_scale",
                "unobserved_sd",
                "pilot_region_oversampling",
                "open_ended",
            )
        }
        out["pilots"] = [
            {
                "name": p.name,
                "start_month": p.start_month,
                "enrolment_months": p.enrolment_months,
                "participants_per_20k": p.participants_per_20k,
                "effect_max": p.effect_max,
                "effect_months": p.effect_months,
            }
            for p in self.pilots
        ]
        return out


@dataclass(frozen=True, eq=False)
class SyntheticRegisters:
    """A synthetic register extract with the truth beside it.

    Attributes
    ----------
    persons:
        One row per person: ``person_id, birth_year, sex, region, education, mother_tongue,
        partial_work_ability, disability`` (data contract).
    spells:
        ``person_id, code, start, end`` (``end`` inclusive, NaT = ongoing), ordered by
        person, start and code.
    participants:
        ``person_id, pilot, entry_date, exit_date`` (NaT = still in), ``target_group``.
    pilots:
        The pilot table (:func:`evaluation.synthetic.ote4.pilots_frame`) with the true start
        months used, plus ``n_participants``.
    truth:
        ``pilot, months_since_entry, true_att`` (population parameter ``delta(k)``),
        ``sample_att`` (mean of ``Y1 - Y0`` over participants observed at ``k``),
        ``n_participants`` (participants observed at ``k`` within the window).
    latent:
        Hidden person-level truth: ``person_id, propensity`` (``a_i``), ``unobserved``
        (``u_i``), ``participant`` (bool), ``pilot`` (null for others).
    potential_outcomes:
        Participants' person-months in the window: ``person_id, pilot, month,
        month_index, months_since_entry, employed_0, employed_1, effect``.
    employment:
        Observed monthly employment, int8 array (persons x months of the window), rows in
        the order of ``persons``.
    months:
        The window's months (first day of each month).
    parameters:
        Options, derived constants and counts (written as ``parameters.json``).
    """

    persons: pd.DataFrame
    spells: pd.DataFrame
    participants: pd.DataFrame
    pilots: pd.DataFrame
    truth: pd.DataFrame
    latent: pd.DataFrame
    potential_outcomes: pd.DataFrame
    employment: npt.NDArray[np.int8] = field(repr=False)
    months: pd.DatetimeIndex
    parameters: dict[str, Any]

    @functools.cached_property
    def extras(self) -> RegisterExtras:
        """Jobseeker, care-register and payment extracts (drawn on first use from the
        spells with their own random stream; :mod:`evaluation.synthetic.extras`)."""
        return register_extras(
            self.spells,
            self.persons["person_id"],
            self.months,
            seed=int(self.parameters["options"]["seed"]),
        )

    def employment_panel(self) -> pd.DataFrame:
        """Observed employment as a long person-month frame.

        Returns
        -------
        pandas.DataFrame
            ``person_id, month, month_index, employed`` (int8), ordered by person and month.
        """
        n, t = self.employment.shape
        month_index = self.months.year * 12 + self.months.month - 1
        return pd.DataFrame(
            {
                "person_id": self.persons["person_id"].repeat(t).reset_index(drop=True),
                "month": np.tile(self.months.to_numpy(), n),
                "month_index": np.tile(month_index.to_numpy().astype(np.int64), n),
                "employed": self.employment.reshape(-1),
            }
        )

    def pilot_truth(self) -> pd.DataFrame:
        """Per-pilot truth averaged over participants' observed post-entry months.

        Returns
        -------
        pandas.DataFrame
            ``pilot, start_month, n_participants, person_months, true_att, sample_att``:
            the mean of ``delta(k)`` and of ``Y1 - Y0`` over all participant-months from entry
            to the end of the window (the estimand of a simple pooled post-entry ATT).
        """
        po = self.potential_outcomes
        post = po[po["months_since_entry"] >= 0]
        diff = (post["employed_1"] - post["employed_0"]).astype(np.float64)
        agg = (
            post.assign(diff=diff)
            .groupby("pilot", sort=False)
            .agg(
                person_months=("diff", "size"),
                true_att=("effect", "mean"),
                sample_att=("diff", "mean"),
            )
        )
        base = self.pilots[["pilot", "start_month", "n_participants"]].set_index("pilot")
        out = base.join(agg, how="left").reset_index()
        out["person_months"] = out["person_months"].fillna(0).astype(np.int64)
        return out

    def tidy(self) -> pd.DataFrame:
        """The truth table (a copy): one row per pilot and month since entry.

        Columns ``pilot, months_since_entry, true_att, sample_att, n_participants``.
        """
        return self.truth.copy()

    def plot(self) -> Figure:
        """True effect ``delta(k)`` (lines) and realised sample ATT (dots) by pilot."""
        fig = Figure(figsize=(8.0, 4.5))
        ax = fig.add_subplot(1, 1, 1)
        for j, (pilot, rows) in enumerate(self.truth.groupby("pilot", sort=False)):
            color = f"C{j}"
            k = rows["months_since_entry"]
            ax.plot(k, rows["true_att"], color=color, label=str(pilot))
            ax.plot(k, rows["sample_att"], "o", color=color, markersize=2.5, alpha=0.6)
        ax.axhline(0.0, color="0.6", linewidth=0.8)
        ax.set_xlabel("Months since entry")
        ax.set_ylabel("Effect on monthly employment probability")
        ax.set_title("Synthetic truth: population effect (line), sample ATT (dots)")
        ax.legend(fontsize=8, frameon=False)
        return fig

    def summary(self) -> str:
        """Short text description of the extract and its truth."""
        lines = [
            f"Synthetic register extract (seed {self.parameters['options']['seed']}): "
            f"{len(self.persons)} persons, {len(self.spells)} spells, "
            f"{len(self.participants)} participants, window "
            f"{self.months[0]:%Y-%m}..{self.months[-1]:%Y-%m}",
        ]
        for row in self.pilot_truth().itertuples(index=False):
            lines.append(
                f"  {row.pilot:<18} start {row.start_month:%Y-%m}  n={row.n_participants:>6}"
                f"  true ATT {row.true_att:6.3f}  sample ATT {row.sample_att:6.3f}"
            )
        return "\n".join(lines)

    def write(
        self,
        folder: str | Path,
        *,
        fmt: Literal["parquet", "csv"] = "parquet",
        extras: bool = False,
    ) -> Path:
        """Write the extract and its truth to ``folder``.

        Files: ``persons``, ``spells``, ``participants``, ``latent``,
        ``potential_outcomes`` (``.parquet`` or ``.csv`` by ``fmt``), with ``extras=True``
        also ``jobseeker``, ``care`` and ``payments`` (:attr:`extras`); ``pilots.csv`` and
        ``truth.csv`` (always CSV, small and human-readable); ``parameters.json`` (options,
        constants, counts, file list and a description of the truth).

        Returns
        -------
        pathlib.Path
            The folder.
        """
        if fmt not in ("parquet", "csv"):
            raise OptionError(f"unknown format {fmt!r}", fix="use 'parquet' or 'csv'")
        out = output_folder(folder)
        files: list[str] = []
        tables = {
            name: getattr(self, name)
            for name in ("persons", "spells", "participants", "latent", "potential_outcomes")
        }
        if extras:
            tables.update(vars(self.extras))
        for name, frame in tables.items():
            path = out / f"{name}.{fmt}"
            with atomic_write(path, where="option --out") as tmp:
                if fmt == "parquet":
                    frame.to_parquet(tmp, index=False)
                else:
                    frame.to_csv(tmp, index=False, date_format="%Y-%m-%d")
            files.append(path.name)
        for name in ("pilots", "truth"):
            path = out / f"{name}.csv"
            with atomic_write(path, where="option --out") as tmp:
                getattr(self, name).to_csv(tmp, index=False, date_format="%Y-%m-%d")
            files.append(path.name)
        meta = dict(self.parameters)
        meta["files"] = files
        meta["truth_description"] = (
            "truth.csv: per pilot and months since entry k (0 = entry month), true_att = "
            "delta_pilot(k), the population effect on the monthly employment probability; "
            "sample_att = mean of Y1 - Y0 over participants observed at k; pilots.csv "
            "start_month = true pilot start month."
        )
        write_text(
            out / "parameters.json", json.dumps(meta, indent=2, ensure_ascii=False, default=str)
        )
        return out


# ---------------------------------------------------------------------------------------
# Public entry
# ---------------------------------------------------------------------------------------
def generate_registers(
    *,
    persons: int = 20_000,
    seed: int = 2016,
    start: str = "2014-01",
    end: str = "2018-12",
    persistence: float = 0.85,
    participant_scale: float = 1.0,
    unobserved_sd: float = 0.04,
    pilot_region_oversampling: float = 3.0,
    open_ended: bool = True,
    pilots: tuple[Ote4Pilot, ...] = OTE4_PILOTS,
) -> SyntheticRegisters:
    """Generate a synthetic register extract with the six OTE 4 pilots and known truth.

    Parameters
    ----------
    persons:
        Number of persons in the extract (>= 2,000).
    seed:
        Seed of :func:`numpy.random.default_rng`; the output is identical for a seed.
    start, end:
        Extract window ``"YYYY-MM"``; it must hold >= 24 months before the first pilot start
        and all enrolment periods plus at least 6 months.
    persistence:
        ``rho`` of the employment Markov chain, in [0, 0.95].
    participant_scale:
        Multiplies the expected number of participants per pilot
        (``participants_per_20k * persons / 20,000``), > 0.
    unobserved_sd:
        SD of the unobserved part ``u_i`` of the employment propensity, in [0, 0.2].
    pilot_region_oversampling:
        Sampling weight of the pilot regions other than Uusimaa relative to their
        population share, >= 1.
    open_ended:
        Give spells still running in the last window month a missing end (NaT).
    pilots:
        Pilot table (defaults to :data:`evaluation.synthetic.ote4.OTE4_PILOTS`); pass a
        modified copy (``dataclasses.replace``) e.g. for zero effects or other start months.

    Returns
    -------
    SyntheticRegisters

    Raises
    ------
    evaluation.errors.OptionError
        If an option is out of range or the chain's probabilities could leave [0, 1].
    """
    opts = _validate(
        GeneratorOptions(
            persons=persons,
            seed=seed,
            start=start,
            end=end,
            persistence=persistence,
            participant_scale=participant_scale,
            unobserved_sd=unobserved_sd,
            pilot_region_oversampling=pilot_region_oversampling,
            open_ended=open_ended,
            pilots=tuple(pilots),
        )
    )
    return _generate(opts)


def _month_index(text: str, *, option: str) -> int:
    try:
        ts = pd.Timestamp(f"{text}-01")
    except (ValueError, TypeError):
        raise OptionError(
            f"{option}={text!r} is not a month", fix="give the month as 'YYYY-MM', e.g. '2014-01'"
        ) from None
    return int(ts.year * 12 + ts.month - 1)


def _validate(opts: GeneratorOptions) -> GeneratorOptions:
    if isinstance(opts.persons, bool) or not isinstance(opts.persons, int) or opts.persons < 2000:
        raise OptionError(
            f"persons={opts.persons!r} is too small",
            fix="give an integer >= 2000 (pilot regions need enough eligible persons)",
        )
    if not isinstance(opts.seed, int | np.integer):
        raise OptionError(f"seed={opts.seed!r} is not an integer", fix="give an integer seed")
    if not 0.0 <= opts.persistence <= 0.95:
        raise OptionError(f"persistence={opts.persistence} is outside [0, 0.95]", fix="use 0.85")
    if not opts.participant_scale > 0:
        raise OptionError(
            f"participant_scale={opts.participant_scale} is not positive", fix="use 1.0"
        )
    if not 0.0 <= opts.unobserved_sd <= 0.2:
        raise OptionError(f"unobserved_sd={opts.unobserved_sd} is outside [0, 0.2]", fix="use 0.04")
    if not opts.pilot_region_oversampling >= 1.0:
        raise OptionError(
            f"pilot_region_oversampling={opts.pilot_region_oversampling} is below 1",
            fix="use 1 (no oversampling) or more",
        )
    if not opts.pilots:
        raise OptionError("no pilots given", fix="pass at least one pilot, e.g. OTE4_PILOTS")
    names = [p.name for p in opts.pilots]
    if len(set(names)) != len(names):
        raise OptionError(f"duplicate pilot names in {names}", fix="give each pilot once")
    first = _month_index(opts.start, option="start")
    last = _month_index(opts.end, option="end")
    for p in opts.pilots:
        bad = [r for r in p.regions if r not in REGION_POPULATION]
        if bad:
            raise OptionError(
                f"pilot {p.name!r} has unknown region(s) {bad}",
                fix=f"use maakunta names: {', '.join(REGIONS)}",
            )
        s = _month_index(p.start_month, option=f"start_month of {p.name!r}")
        if s - first < 24:
            raise OptionError(
                f"pilot {p.name!r} starts {p.start_month}, less than 24 months after the "
                f"window start {opts.start}",
                fix="move start earlier or the pilot's start_month later",
            )
        if p.enrolment_months < 1 or s + p.enrolment_months - 1 + 6 > last:
            raise OptionError(
                f"pilot {p.name!r}: enrolment {p.start_month} + {p.enrolment_months} months "
                f"does not end at least 6 months before the window end {opts.end}",
                fix="move end later or shorten enrolment_months (>= 1)",
            )
        if p.effect_months <= 0 or p.participants_per_20k < 1:
            raise OptionError(
                f"pilot {p.name!r}: effect_months must be > 0 and participants_per_20k >= 1",
                fix="correct the pilot table entry",
            )
    _check_chain(opts, first, last)
    return opts


def _calendar_trend(first: int, last: int) -> F64:
    """Common calendar trend tau_t over the burn-in and the window."""
    months = np.arange(first - BURN_IN_MONTHS, last + 1)
    # knots: flat to 2014-01, dip to 2015-12, recovery to 2018-12 (Finnish cycle), then flat
    knots = np.array([2014 * 12, 2015 * 12 + 11, 2018 * 12 + 11], dtype=np.float64)
    values = np.array([0.0, -0.01, 0.02])
    trend = np.interp(months.astype(np.float64), knots, values)
    season = 0.005 * np.cos(2.0 * math.pi * ((months % 12) - 6) / 12.0)  # July peak
    return np.asarray(trend + season, dtype=np.float64)


def _chain_ok(p: F64, rho: float) -> bool:
    """Markov chain with marginal p keeps conditional probabilities within [0, 1]."""
    if p.min() < 0.0 or p.max() > 1.0:
        return False
    lo = p[1:] - rho * p[:-1]  # P(E_t=1 | E_{t-1}=0)
    hi = p[1:] + rho * (1.0 - p[:-1])  # P(E_t=1 | E_{t-1}=1)
    return bool(lo.min() >= -1e-12 and hi.max() <= 1.0 + 1e-12)


def _check_chain(opts: GeneratorOptions, first: int, last: int) -> None:
    # constraints are linear in a_i, so the extremes of the propensity range suffice
    tau = _calendar_trend(first, last)
    months = np.arange(first - BURN_IN_MONTHS, last + 1)
    rho = opts.persistence
    for a in (A_MIN, A_MAX):
        if not _chain_ok(a + tau, rho):
            raise OptionError(
                f"persistence={rho} lets monthly employment probabilities leave [0, 1]",
                fix="use a smaller persistence (the default 0.85 is safe)",
            )
    for p in opts.pilots:
        s = p.start_month_index
        for e in range(s, s + p.enrolment_months):
            effect = p.true_effect(months - e)
            for a in (A_MIN, A_ELIGIBLE_MAX):
                if not _chain_ok(a + tau + effect, rho):
                    raise OptionError(
                        f"pilot {p.name!r}: effect_max={p.effect_max}, effect_months="
                        f"{p.effect_months} with persistence={rho} let the treated employment "
                        "probability leave [0, 1]",
                        fix="use a smaller effect_max (<= 0.3), a larger effect_months or a "
                        "smaller persistence",
                    )


# ---------------------------------------------------------------------------------------
# Kernels
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class _Population:
    birth_year: I64
    female: Bool
    region: I64  # index into REGIONS
    education: I64  # index into _EDUCATION
    tongue: I64  # index into _TONGUES
    disability: Bool
    pwa: Bool
    propensity: F64
    unobserved: F64


def _draw_population(rng: np.random.Generator, opts: GeneratorOptions) -> _Population:
    n = opts.persons
    pilot_regions = {r for p in opts.pilots for r in p.regions}
    weights = np.array(
        [
            pop * (opts.pilot_region_oversampling if r in pilot_regions and pop < 500 else 1.0)
            for r, pop in REGION_POPULATION.items()
        ]
    )
    region = rng.choice(len(REGIONS), size=n, p=weights / weights.sum()).astype(np.int64)
    birth_year = rng.integers(REFERENCE_YEAR - 62, REFERENCE_YEAR - 18 + 1, size=n)
    age = REFERENCE_YEAR - birth_year
    female = rng.random(n) < 0.49

    sv = np.array([_SV_SHARE.get(r, 0.005) for r in REGIONS])[region]
    other = np.array([_OTHER_SHARE.get(r, 0.05) for r in REGIONS])[region]
    u = rng.random(n)
    tongue = np.where(u < sv, 1, np.where(u < sv + other, 2, 0)).astype(np.int64)

    # education by age (younger: still studying), other mother tongue shifts to basic
    p_basic = np.select(
        [age < 20, age < 25, age < 35, age < 55], [0.80, 0.20, 0.10, 0.12], default=0.25
    )
    p_tert = np.select(
        [age < 20, age < 25, age < 35, age < 55], [0.0, 0.10, 0.45, 0.43], default=0.33
    )
    p_basic = np.minimum(p_basic + 0.15 * (tongue == 2), 0.95)
    p_tert = np.minimum(p_tert, 1.0 - p_basic)
    u = rng.random(n)
    education = np.where(u < p_basic, 0, np.where(u < p_basic + p_tert, 2, 1)).astype(np.int64)

    disability = rng.random(n) < 0.05
    pwa = rng.random(n) < (0.05 + 0.0025 * (age - 18) + 0.20 * disability)

    f = (
        0.79
        + np.array([-0.15, 0.0, 0.08])[education]
        + np.select(
            [age < 20, age < 25, age < 30, age >= 60, age >= 55],
            [-0.35, -0.15, -0.05, -0.15, -0.05],
            default=0.0,
        )
        - 0.01 * female
        + np.array([0.0, 0.03, -0.15])[tongue]
        - 0.35 * disability
        - 0.30 * pwa
        + np.array([_REGION_SHIFT.get(r, 0.0) for r in REGIONS])[region]
    )
    unobserved = (
        rng.normal(0.0, opts.unobserved_sd, size=n) if opts.unobserved_sd > 0 else (np.zeros(n))
    )
    propensity = np.clip(f + unobserved, A_MIN, A_MAX)
    return _Population(
        birth_year=birth_year.astype(np.int64),
        female=female,
        region=region,
        education=education,
        tongue=tongue,
        disability=disability,
        pwa=pwa,
        propensity=propensity,
        unobserved=unobserved,
    )


def _solve_intercept(score: F64, target: float) -> float:
    """Intercept alpha with sum(sigmoid(alpha + score)) == target (bisection)."""
    lo, hi = -40.0, 40.0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        total = float((1.0 / (1.0 + np.exp(-(mid + score)))).sum())
        if total < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


@dataclass(frozen=True, eq=False)
class _Selection:
    person: I64  # row index of participant
    pilot: I64  # index into opts.pilots
    entry: I64  # entry month (absolute month index)
    exit: I64  # exit month (absolute month index)
    entry_day: I64
    exit_day: I64
    target_group: npt.NDArray[np.object_]
    n_eligible: list[int]
    n_expected: list[float]


def _select_participants(
    rng: np.random.Generator, pop: _Population, opts: GeneratorOptions
) -> _Selection:
    n = opts.persons
    a = pop.propensity
    age = REFERENCE_YEAR - pop.birth_year
    taken = np.zeros(n, dtype=bool)
    people: list[I64] = []
    pilot_ix: list[I64] = []
    n_eligible: list[int] = []
    n_expected: list[float] = []
    for j, p in enumerate(opts.pilots):
        in_region = np.isin(pop.region, [REGIONS.index(r) for r in p.regions])
        eligible = in_region & (a <= A_ELIGIBLE_MAX) & ~taken
        if p.kind == "targeted" and TARGET_DISABLED in p.target_groups:
            eligible &= pop.disability
            score = -3.0 * (a - 0.3) + 0.5 * pop.pwa
        elif TARGET_STUDENT in p.target_groups and p.kind == "targeted":
            eligible &= (age + (p.start.year - REFERENCE_YEAR)) <= 29
            eligible &= pop.pwa | pop.disability | (pop.education == 0) | (a <= 0.45)
            score = -5.0 * (a - 0.35) + 1.0 * pop.disability + 1.0 * pop.pwa
        else:
            eligible &= pop.pwa | pop.disability | (a <= 0.45) | (age <= 29)
            score = (
                -6.0 * (a - 0.4) + 0.6 * pop.pwa + 0.2 * pop.disability + 0.4 * (pop.education == 0)
            )
        idx = np.flatnonzero(eligible)
        target = p.participants_per_20k * opts.participant_scale * n / 20_000
        target = min(target, 0.8 * idx.size)
        n_eligible.append(int(idx.size))
        n_expected.append(float(target))
        if idx.size == 0 or target <= 0:
            continue
        s = np.asarray(score, dtype=np.float64)[idx]
        alpha = _solve_intercept(s, target)
        chosen = idx[rng.random(idx.size) < 1.0 / (1.0 + np.exp(-(alpha + s)))]
        taken[chosen] = True
        people.append(chosen)
        pilot_ix.append(np.full(chosen.size, j, dtype=np.int64))
    person = np.concatenate(people) if people else np.zeros(0, dtype=np.int64)
    pilot = np.concatenate(pilot_ix) if pilot_ix else np.zeros(0, dtype=np.int64)
    order = np.argsort(person, kind="stable")
    person, pilot = person[order], pilot[order]
    m = person.size

    start = np.array([p.start_month_index for p in opts.pilots], dtype=np.int64)[pilot]
    enrol = np.array([p.enrolment_months for p in opts.pilots], dtype=np.int64)[pilot]
    entry = start + np.floor(rng.random(m) * enrol).astype(np.int64)
    exit_ = entry + rng.integers(6, 19, size=m)
    entry_day = rng.integers(1, 29, size=m)
    exit_day = rng.integers(1, 29, size=m)

    # target group labels from observables (label only; selection used the score above)
    kind_targeted = np.array([p.kind == "targeted" for p in opts.pilots])[pilot]
    student_pilot = np.array([TARGET_STUDENT in p.target_groups for p in opts.pilots])[pilot]
    dis, pw = pop.disability[person], pop.pwa[person]
    young = (REFERENCE_YEAR - pop.birth_year[person]) <= 21
    mental = rng.random(m) < 0.35
    general = np.select(
        [dis, pw & mental, pw, young],
        [TARGET_DISABLED, TARGET_MENTAL_HEALTH, TARGET_PARTIAL_WORK_ABILITY, TARGET_STUDENT],
        default=TARGET_LONG_TERM_UNEMPLOYED,
    )
    group = np.where(
        kind_targeted, np.where(student_pilot, TARGET_STUDENT, TARGET_DISABLED), general
    ).astype(object)
    return _Selection(
        person=person,
        pilot=pilot,
        entry=entry,
        exit=exit_,
        entry_day=entry_day,
        exit_day=exit_day,
        target_group=group,
        n_eligible=n_eligible,
        n_expected=n_expected,
    )


@dataclass(frozen=True, eq=False)
class _Employment:
    observed: npt.NDArray[np.int8]  # (burn-in + window, n), time-major
    y0: npt.NDArray[np.int8]  # participants' untreated outcomes (m, window)
    y1: npt.NDArray[np.int8]  # participants' treated outcomes (m, window)
    effect: F64  # participants' delta (m, window)


def _simulate_employment(
    rng: np.random.Generator,
    pop: _Population,
    sel: _Selection,
    opts: GeneratorOptions,
    tau: F64,
    first_abs: int,
) -> _Employment:
    """Markov chain of employment for everyone, and the treated chain for participants."""
    n, tt = pop.propensity.size, tau.size
    rho = opts.persistence
    a = pop.propensity
    part = sel.person
    m = part.size
    months_abs = np.arange(tt, dtype=np.int64) + first_abs
    # participants' effects delta(t - e_i), (m, tt)
    effect = np.zeros((m, tt), dtype=np.float64)
    for j, p in enumerate(opts.pilots):
        rows = np.flatnonzero(sel.pilot == j)
        if rows.size:
            effect[rows] = p.true_effect(months_abs[None, :] - sel.entry[rows, None])
    observed = np.empty((tt, n), dtype=np.int8)  # time-major: rows written contiguously
    y0p = np.empty((tt, m), dtype=np.int8)

    p_prev = a + tau[0]
    e0 = rng.random(n) < p_prev
    e1 = e0[part].copy()
    p1_prev = p_prev[part] + effect[:, 0]
    observed[0] = e0
    observed[0, part] = e1
    y0p[0] = e0[part]
    for t in range(1, tt):
        u = rng.random(n)
        p_t = a + tau[t]
        e0 = u < p_t + rho * (e0 - p_prev)
        p1_t = p_t[part] + effect[:, t]
        e1 = u[part] < p1_t + rho * (e1 - p1_prev)
        observed[t] = e0
        observed[t, part] = e1
        y0p[t] = e0[part]
        p_prev, p1_prev = p_t, p1_t
    w = slice(BURN_IN_MONTHS, tt)
    return _Employment(
        observed=observed,
        y0=np.ascontiguousarray(y0p[w].T),
        y1=np.ascontiguousarray(observed[w][:, part].T),
        effect=np.ascontiguousarray(effect[:, w]),
    )


@dataclass(frozen=True, eq=False)
class _Channels:
    """Monthly code matrices (months x persons, 0 = no spell) and direct spells."""

    matrices: tuple[U8, ...]
    direct: tuple[I64, I64, I64, I64]  # person, code, first month, last month (relative)


def _statuses(
    rng: np.random.Generator,
    pop: _Population,
    sel: _Selection,
    emp: _Employment,
    opts: GeneratorOptions,
    first_abs: int,
) -> _Channels:
    """Map employment and person traits to monthly status/benefit/service codes."""
    e_all = emp.observed
    tt, n = e_all.shape
    a = pop.propensity
    months_abs = np.arange(tt, dtype=np.int64) + first_abs
    year = months_abs // 12

    # person-level traits (one draw each, fixed order)
    u = rng.random((12, n))
    older = (REFERENCE_YEAR - pop.birth_year) >= 55
    # disability pension for most disability-service clients and some older persons with
    # partial work ability (a permanent pension; work alongside it is allowed)
    pension_all = (pop.disability & (u[0] < 0.75)) | (pop.pwa & older & (u[0] < 0.40))
    health_path = pop.pwa & ~pension_all & (u[1] < 0.60)
    vocational = u[2] < 0.40
    inactive = ~(pop.pwa | pop.disability) & (u[3] < 0.22 + 0.05 * older)
    fund_member = u[4] < np.where(pop.education == 0, 0.60, 0.85)
    grant_flag = u[5] < 0.75
    low_income = u[6] < np.select([a < 0.35, a < 0.55], [0.50, 0.15], default=0.03)
    renter = u[7] < np.select([a < 0.35, a < 0.55], [0.60, 0.30], default=0.08)
    work_activity = pension_all & (u[8] < 0.45)
    # years of study after birth: basic 16-19 (some still in upper secondary), secondary 19-24
    # (some continue to a polytechnic), tertiary 24-28
    study_len = np.array([16, 19, 24])[pop.education] + np.floor(
        u[9] * np.array([4, 6, 5])[pop.education]
    ).astype(np.int64)
    study_end_year = pop.birth_year + study_len
    # parental allowance: one birth for some women aged 22-40, 10 months from the birth month
    age = REFERENCE_YEAR - pop.birth_year
    mother = pop.female & (age >= 22) & (age <= 40) & (u[10] < 0.35)
    birth_t = np.where(mother, np.floor(u[11] * tt).astype(np.int64), -100)
    pay_sub_base = np.where(pop.pwa | pop.disability, 0.15, np.where(a < 0.35, 0.10, 0.01))

    # participants: person-level arrays (entry month relative to simulation start)
    entry_rel = np.full(n, 10**6, dtype=np.int64)
    entry_rel[sel.person] = sel.entry - first_abs
    exit_rel = np.full(n, 10**6, dtype=np.int64)
    exit_rel[sel.person] = sel.exit - first_abs
    pilot_kind_targeted = np.array([p.kind == "targeted" for p in opts.pilots])
    trial_p = np.where(pilot_kind_targeted, 0.20, 0.35)[sel.pilot]
    trial = np.zeros(n, dtype=bool)
    trial[sel.person] = rng.random(sel.person.size) < trial_p
    trial_start = np.full(n, 10**6, dtype=np.int64)
    trial_start[sel.person] = entry_rel[sel.person] + rng.integers(1, 4, size=sel.person.size)

    main = np.zeros((tt, n), dtype=np.uint8)
    grant = np.zeros((tt, n), dtype=np.uint8)
    social = np.zeros((tt, n), dtype=np.uint8)
    housing = np.zeros((tt, n), dtype=np.uint8)
    serv = np.zeros((tt, n), dtype=np.uint8)
    accident = np.zeros((tt, n), dtype=np.uint8)
    partial = np.zeros((tt, n), dtype=np.uint8)

    dur = np.zeros(n, dtype=np.int16)  # consecutive non-employed months incl. current
    emp28 = np.zeros(n, dtype=np.int16)  # employed months in the 28 months before t
    er_elig = np.zeros(n, dtype=bool)
    job = np.zeros(n, dtype=np.uint8)  # current employment code
    blk_code = np.zeros(n, dtype=np.uint8)  # running service block
    blk_left = np.zeros(n, dtype=np.int8)
    acc_left = np.zeros(n, dtype=np.int8)
    psa_left = np.zeros(n, dtype=np.int8)
    e_prev = np.zeros(n, dtype=bool)
    housing_reform = 2017 * 12 + 7  # students to general housing allowance from 2017-08
    # codes as uint8 scalars (keeps every array below uint8)
    c = {k: np.uint8(v) for k, v in _C.items() if k}
    health_mid = np.where(vocational, c["vocational_rehabilitation"], c["rehabilitation_allowance"])
    ur_code = np.where(
        fund_member, c["unemployment_allowance_earnings_related"], c["unemployment_allowance_basic"]
    )
    not_unemp_path = pension_all | health_path | inactive
    for t in range(tt):
        e = e_all[t].view(np.bool_)
        nonemp = ~e
        h = rng.random((7, n), dtype=np.float32)
        if t > 0:
            emp28 += e_all[t - 1]
        if t > 28:
            emp28 -= e_all[t - 29]
        dur += 1
        dur[e] = 0
        np.copyto(er_elig, emp28 >= 6, where=dur == 1)  # work condition at spell start

        # employment: job type drawn at the start of each employment run
        new_job = e & ~e_prev
        p_sub = np.where(t >= entry_rel, 0.45, pay_sub_base)
        np.copyto(
            job,
            np.where(h[0] < p_sub, c["employment_pay_subsidy"], c["employment_open"]),
            where=new_job,
        )
        code = np.where(e, job, np.uint8(0))

        studying = year[t] < study_end_year
        parental = (t >= birth_t) & (t < birth_t + 10)
        free_ne = nonemp & ~studying & ~parental  # non-employed, not studying or on leave
        code[nonemp & studying] = c["study_degree"]
        code[nonemp & ~studying & parental] = c["parental_allowance"]
        health = free_ne & health_path
        hcode = np.where(
            dur <= 9,
            c["sickness_allowance"],
            np.where(dur <= 18, health_mid, c["disability_pension"]),
        )
        np.copyto(code, hcode, where=health)
        # first month of a gap between jobs often goes unclaimed (waiting days, short gaps)
        unemployed = free_ne & ~not_unemp_path & ~((dur == 1) & (h[6] >= 0.5))
        ucode = np.where((dur <= 14) & er_elig, ur_code, c["labour_market_subsidy"])
        np.copyto(code, ucode, where=unemployed)
        main[t] = code

        # supplementary benefits
        grant[t, nonemp & studying & grant_flag & (year[t] - pop.birth_year >= 17)] = c[
            "study_grant"
        ]
        low = (
            (code == c["unemployment_allowance_basic"])
            | (code == c["labour_market_subsidy"])
            | (code == 0)
        )
        social[t, low_income & nonemp & low] = c["social_assistance_basic"]
        house = renter & nonemp & (~studying | (months_abs[t] >= housing_reform))
        housing[t, house] = c["housing_allowance"]

        # service blocks (end when the person gets a job)
        blk_left[blk_left > 0] -= 1
        blk_left[e] = 0
        free = nonemp & (blk_left == 0)
        start_sr = free & pop.pwa & ~pension_all & (h[3] < 0.01)
        start_rwa = free & (code == c["labour_market_subsidy"]) & (dur > 24) & (h[2] < 0.02)
        start_lmt = free & unemployed & (dur >= 3) & (dur <= 24) & (h[1] < 0.012)
        start_wt = trial & nonemp & (t == trial_start) & (t <= exit_rel)
        # later assignments win: work trial > training > work activity > social rehab
        for started, code_name, months in (
            (start_sr, "service_social_rehabilitation", 6),
            (start_rwa, "service_rehabilitative_work_activity", 6),
            (start_lmt, "service_labour_market_training", 4),
            (start_wt, "service_work_trial", 3),
        ):
            blk_code[started] = c[code_name]
            blk_left[started] = months
        scode = np.where(blk_left > 0, blk_code, np.uint8(0))
        scode[(scode == 0) & nonemp & work_activity] = c["service_rehabilitative_work_activity"]
        serv[t] = scode

        # accident allowance after a job month; partial sickness allowance while employed
        acc_left[(acc_left == 0) & e_prev & (h[4] < 0.0008)] = 2
        accident[t, acc_left > 0] = c["accident_allowance"]
        acc_left[acc_left > 0] -= 1
        psa_left[(psa_left == 0) & e & pop.pwa & (h[5] < 0.02)] = 3
        psa_left[nonemp] = 0
        partial[t, psa_left > 0] = c["partial_sickness_allowance"]
        psa_left[psa_left > 0] -= 1
        e_prev = e

    # direct spells: disability pension (whole extract) and participants' job coaching
    # pension start (months from the simulation start; negative = before the burn-in):
    # disability-service clients at age 18-20, older persons 0-5 years before the burn-in
    pens = np.flatnonzero(pension_all)
    young_start = (pop.birth_year[pens] + 18 + rng.integers(0, 3, size=pens.size)) * 12
    young_start += rng.integers(0, 12, size=pens.size) - first_abs
    late_start = -rng.integers(0, 61, size=pens.size)
    pens_first = np.minimum(np.where(pop.disability[pens], young_start, late_start), tt - 1)
    coach_len = rng.integers(4, 13, size=sel.person.size)
    c_first = sel.entry - first_abs
    c_last = np.minimum(np.minimum(sel.exit - first_abs, c_first + coach_len - 1), tt - 1)
    direct = (
        np.concatenate([pens, sel.person]),
        np.concatenate(
            [
                np.full(pens.size, _C["disability_pension"], dtype=np.int64),
                np.full(sel.person.size, _C["service_job_coaching"], dtype=np.int64),
            ]
        ),
        np.concatenate([pens_first, c_first]),
        np.concatenate([np.full(pens.size, tt - 1, dtype=np.int64), c_last]),
    )
    return _Channels(
        matrices=(main, grant, social, housing, serv, accident, partial), direct=direct
    )


def _run_length(matrix: U8) -> tuple[I64, I64, I64, I64]:
    """Runs of equal non-zero codes per row: (row, code, first column, last column)."""
    t = matrix.shape[1]
    flat = matrix.reshape(-1)  # row-major: one person's months are contiguous
    nz = flat != 0
    change = np.empty(flat.size, dtype=bool)
    change[0] = True
    np.not_equal(flat[1:], flat[:-1], out=change[1:])
    change[::t] = True  # a row's first month always starts a run
    starts = np.flatnonzero(change & nz)
    change[:-1] = change[1:]  # now: the next month starts a new run
    change[-1] = True
    change[t - 1 :: t] = True  # a row's last month always ends a run
    ends = np.flatnonzero(change & nz)
    rows, first = np.divmod(starts, t)
    return rows, flat[starts].astype(np.int64), first, ends - rows * t


def _spells_frame(
    channels: _Channels, ids: pd.Series, opts: GeneratorOptions, first_abs: int, tt: int
) -> pd.DataFrame:
    # one person-major copy at a time (bounded memory)
    parts = [_run_length(np.ascontiguousarray(mx.T)) for mx in channels.matrices]
    parts.append(channels.direct)
    rows = np.concatenate([p[0] for p in parts])
    code = np.concatenate([p[1] for p in parts])
    first = np.concatenate([p[2] for p in parts])
    last = np.concatenate([p[3] for p in parts])
    keep = last >= BURN_IN_MONTHS  # spells overlapping the window
    rows, code, first, last = rows[keep], code[keep], first[keep], last[keep]
    order = np.lexsort((code, first, rows))
    rows, code, first, last = rows[order], code[order], first[order], last[order]

    base = np.datetime64("1970-01", "M") + (first_abs - 1970 * 12)
    start = (base + first).astype("datetime64[D]")  # first may precede the burn-in
    end = (base + last + 1).astype("datetime64[D]") - np.timedelta64(1, "D")
    end_us = end.astype("datetime64[us]")
    if opts.open_ended:
        end_us = np.where(last == tt - 1, np.datetime64("NaT", "us"), end_us)
    frame = pd.DataFrame(
        {
            "person_id": _take_str(ids, rows),
            "code": _take_str(SPELL_CODES, code),
            "start": start.astype("datetime64[us]"),
            "end": end_us,
        }
    )
    return frame


def _generate(opts: GeneratorOptions) -> SyntheticRegisters:
    rng = np.random.default_rng(opts.seed)
    first = _month_index(opts.start, option="start")
    last = _month_index(opts.end, option="end")
    first_abs = first - BURN_IN_MONTHS
    tau = _calendar_trend(first, last)
    tt = tau.size
    n_window = last - first + 1

    pop = _draw_population(rng, opts)
    sel = _select_participants(rng, pop, opts)
    emp = _simulate_employment(rng, pop, sel, opts, tau, first_abs)
    channels = _statuses(rng, pop, sel, emp, opts, first_abs)

    width = max(7, len(str(opts.persons)))
    ids = pd.Series([f"P{i:0{width}d}" for i in range(1, opts.persons + 1)], dtype="str")
    spells = _spells_frame(channels, ids, opts, first_abs, tt)

    persons = pd.DataFrame(
        {
            "person_id": ids,
            "birth_year": pop.birth_year.astype(np.int64),
            "sex": _take_str(("M", "F"), pop.female.astype(np.int64)),
            "region": _take_str(REGIONS, pop.region),
            "education": _take_str(_EDUCATION, pop.education),
            "mother_tongue": _take_str(_TONGUES, pop.tongue),
            "partial_work_ability": pop.pwa,
            "disability": pop.disability,
        }
    )

    names = np.array([p.name for p in opts.pilots], dtype=object)
    participants = pd.DataFrame(
        {
            "person_id": _take_str(ids, sel.person),
            "pilot": _take_str(tuple(names), sel.pilot),
            "entry_date": _month_day(sel.entry, sel.entry_day),
            "exit_date": _month_day(sel.exit, sel.exit_day),
            "target_group": pd.Series(sel.target_group, dtype="str"),
        }
    )
    participants.loc[sel.exit > last, "exit_date"] = pd.NaT

    months = pd.DatetimeIndex(
        pd.date_range(f"{opts.start}-01", periods=n_window, freq="MS").astype("datetime64[us]")
    )
    truth = _truth_table(sel, emp, opts, first)
    pilot_table = pilots_frame(opts.pilots)
    pilot_table["n_participants"] = np.bincount(sel.pilot, minlength=len(opts.pilots)).astype(
        np.int64
    )

    pilot_of = np.full(opts.persons, None, dtype=object)
    pilot_of[sel.person] = names[sel.pilot]
    participant = np.zeros(opts.persons, dtype=bool)
    participant[sel.person] = True
    latent = pd.DataFrame(
        {
            "person_id": ids,
            "propensity": pop.propensity,
            "unobserved": pop.unobserved,
            "participant": participant,
            "pilot": pd.Series(pilot_of, dtype="str"),
        }
    )
    potential = _potential_outcomes(sel, emp, ids, names, months, first)

    employment = np.ascontiguousarray(emp.observed[BURN_IN_MONTHS:].T)
    parameters: dict[str, Any] = {
        "generator": "evaluation.synthetic.generate_registers",
        "options": opts.to_json(),
        "constants": {
            "A_MIN": A_MIN,
            "A_MAX": A_MAX,
            "A_ELIGIBLE_MAX": A_ELIGIBLE_MAX,
            "BURN_IN_MONTHS": BURN_IN_MONTHS,
            "REFERENCE_YEAR": REFERENCE_YEAR,
        },
        "calendar_trend": {
            f"{m:%Y-%m}": round(float(v), 6)
            for m, v in zip(months, tau[BURN_IN_MONTHS:], strict=True)
        },
        "selection": {
            p.name: {
                "eligible": e,
                "expected_participants": round(x, 2),
                # approx. bias of a perfect match on observables alone (u_i is unobserved)
                "mean_unobserved_participants": round(
                    float(pop.unobserved[sel.person[sel.pilot == j]].mean())
                    if (sel.pilot == j).any()
                    else 0.0,
                    5,
                ),
            }
            for j, (p, e, x) in enumerate(
                zip(opts.pilots, sel.n_eligible, sel.n_expected, strict=True)
            )
        },
        "counts": {
            "persons": int(opts.persons),
            "spells": len(spells),
            "participants": len(participants),
        },
        "model": {
            "propensity": "a_i = clip(f(observables) + u_i, A_MIN, A_MAX), u_i ~ N(0, sd^2)",
            "untreated": "P(E_it = 1) = a_i + tau_t (tau_t in calendar_trend)",
            "chain": "P(E_it = 1 | E_i,t-1) = p_it + rho * (E_i,t-1 - p_i,t-1)",
            "treated": "p_it + delta_pilot(k), delta(k) = effect_max * (1 - exp(-(k+1) / "
            "effect_months)), k = months since entry",
            "selection": "logistic in a_i, disability, partial work ability (and age for "
            "Fokus) among eligible persons of the pilot regions; entry month uniform in the "
            "enrolment period, independent of employment",
        },
        "spell_month_rule": (
            "spells are monthly runs: start = first day, end = last day of the month; a "
            "spell counts in a month when it covers at least one day of it"
        ),
    }
    return SyntheticRegisters(
        persons=persons,
        spells=spells,
        participants=participants,
        pilots=pilot_table,
        truth=truth,
        latent=latent,
        potential_outcomes=potential,
        employment=employment,
        months=months,
        parameters=parameters,
    )


def _take_str(
    values: pd.Series | tuple[str, ...], index: npt.NDArray[np.integer[Any]]
) -> pd.Series:
    """``values[index]`` as a pandas ``str`` Series (via Arrow: fast for millions of rows)."""
    arr = pa.array(values.to_numpy() if isinstance(values, pd.Series) else list(values))
    return pd.Series(pd.array(arr.take(pa.array(index)), dtype="str"))


def _month_day(month_abs: I64, day: I64) -> pd.Series:
    base = (np.datetime64("1970-01", "M") + (month_abs - 1970 * 12)).astype("datetime64[D]")
    return pd.Series((base + (day - 1)).astype("datetime64[us]"))


def _truth_table(
    sel: _Selection, emp: _Employment, opts: GeneratorOptions, first: int
) -> pd.DataFrame:
    n_window = emp.y0.shape[1]
    rows: list[dict[str, Any]] = []
    diff = emp.y1.astype(np.int64) - emp.y0.astype(np.int64)
    k_matrix = np.arange(n_window)[None, :] + first - sel.entry[:, None]
    for j, p in enumerate(opts.pilots):
        mask_p = sel.pilot == j
        if not mask_p.any():
            continue
        k = k_matrix[mask_p]
        d = diff[mask_p]
        post = k >= 0
        kk = k[post]
        counts = np.bincount(kk)
        sums = np.bincount(kk, weights=d[post])
        for ki in np.flatnonzero(counts):
            rows.append(
                {
                    "pilot": p.name,
                    "months_since_entry": int(ki),
                    "true_att": float(p.true_effect(int(ki))),
                    "sample_att": float(sums[ki] / counts[ki]),
                    "n_participants": int(counts[ki]),
                }
            )
    frame = pd.DataFrame(
        rows, columns=["pilot", "months_since_entry", "true_att", "sample_att", "n_participants"]
    )
    return frame.astype({"pilot": "str", "months_since_entry": "int64", "n_participants": "int64"})


def _potential_outcomes(
    sel: _Selection,
    emp: _Employment,
    ids: pd.Series,
    names: npt.NDArray[np.object_],
    months: pd.DatetimeIndex,
    first: int,
) -> pd.DataFrame:
    m, t = emp.y0.shape
    month_index = np.arange(t, dtype=np.int64) + first
    return pd.DataFrame(
        {
            "person_id": _take_str(ids, np.repeat(sel.person, t)),
            "pilot": _take_str(tuple(names), np.repeat(sel.pilot, t)),
            "month": np.tile(months.to_numpy(), m),
            "month_index": np.tile(month_index, m),
            "months_since_entry": (month_index[None, :] - sel.entry[:, None]).reshape(-1),
            "employed_0": emp.y0.reshape(-1),
            "employed_1": emp.y1.reshape(-1),
            "effect": emp.effect.reshape(-1),
        }
    )


__all__ = [
    "A_ELIGIBLE_MAX",
    "A_MAX",
    "A_MIN",
    "BURN_IN_MONTHS",
    "REGIONS",
    "REGION_POPULATION",
    "SPELL_CODES",
    "GeneratorOptions",
    "SyntheticRegisters",
    "generate_registers",
]
