"""Synthetic jobseeker, care-register and payment extracts derived from the spells.

The three tables :func:`evaluation.registers.register_outcomes` reads (see
:mod:`evaluation.registers.measures`), drawn from the synthetic spells with their own
random stream (so the spells, participants and truth do not change):

* ``jobseeker``: every unemployment-benefit spell is an ``unemployed`` jobseeker spell, every
  TE-office service spell an ``in_service`` one, and a share :data:`UNEMPLOYED_WITHOUT_BENEFIT`
  of the basic social-assistance spells an ``unemployed`` one too (jobseekers without an
  unemployment benefit, so registered unemployment differs from benefit months);
* ``care``: contacts at :data:`BASE_CONTACTS_PER_MONTH` per person-month of the window plus
  :data:`HEALTH_CONTACTS_PER_MONTH` per month of a health-related benefit, each an outpatient
  visit, inpatient stay or day surgery with the shares :data:`CARE_KIND_SHARES`;
* ``payments``: one Income-Register style row per benefit spell and month inside the window,
  at the code group's monthly euros (:data:`MONTHLY_EUR`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluation.registers.codes import CODES
from evaluation.registers.measures import CARE_KINDS

#: Share of basic social-assistance spells that are also unemployed-jobseeker spells.
UNEMPLOYED_WITHOUT_BENEFIT = 0.4
#: Care contacts per person-month, and extra per month on a health-related benefit.
BASE_CONTACTS_PER_MONTH = 0.08
HEALTH_CONTACTS_PER_MONTH = 0.5
#: Shares of outpatient visits, inpatient stays and day surgery (in CARE_KINDS order).
CARE_KIND_SHARES = (0.85, 0.10, 0.05)
#: Monthly euros paid per benefit group (rough Finnish levels of the late 2010s).
MONTHLY_EUR: dict[str, float] = {
    "education": 250.0,
    "unemployment": 800.0,
    "rehabilitation": 1300.0,
    "family": 1100.0,
    "incapacity": 1200.0,
    "accident": 1500.0,
    "social_assistance": 450.0,
    "housing": 300.0,
}
#: Earnings-related unemployment benefits pay about twice the basic ones.
EARNINGS_RELATED_FACTOR = 2.0
#: Offset of the extras' random stream from the generator's seed.
STREAM = 20


_HEALTH = {c: s.is_health_benefit for c, s in CODES.items()}
_UNEMPLOYMENT = {c: s.is_unemployment_benefit for c, s in CODES.items()}
_SERVICE = {c: s.kind == "service" for c, s in CODES.items()}
#: Monthly euros per benefit code.
_RATES = {
    c: MONTHLY_EUR[str(s.benefit_group)]
    * (EARNINGS_RELATED_FACTOR if c.endswith("earnings_related") else 1.0)
    for c, s in CODES.items()
    if s.kind == "benefit"
}


@dataclass(frozen=True)
class RegisterExtras:
    """The three synthetic extracts (see the module docstring)."""

    jobseeker: pd.DataFrame
    care: pd.DataFrame
    payments: pd.DataFrame


def _month_index(dates: pd.Series) -> np.ndarray:
    out: np.ndarray = (dates.dt.year * 12 + dates.dt.month - 1).to_numpy(dtype=np.int64)
    return out


def _jobseeker(spells: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    codes = spells["code"].astype(str)
    unemployed = codes.map(_UNEMPLOYMENT).to_numpy(dtype=bool)
    service = codes.map(_SERVICE).to_numpy(dtype=bool)
    social = (codes == "social_assistance_basic").to_numpy()
    extra = social & (rng.random(len(spells)) < UNEMPLOYED_WITHOUT_BENEFIT)
    keep = unemployed | service | extra
    status = np.where(service, "in_service", "unemployed")[keep]
    out = spells.loc[keep, ["person_id", "start", "end"]].copy()
    out.insert(1, "status", status)
    return out.sort_values(["person_id", "start", "status"], ignore_index=True)


def _months_in_window(
    spells: pd.DataFrame, lo: int, hi: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(spell row, month index) of every spell month in ``lo..hi``, and the spell rows kept."""
    start = _month_index(spells["start"])
    end = spells["end"].fillna(pd.Timestamp(year=hi // 12, month=hi % 12 + 1, day=1))
    stop = _month_index(end)
    a, b = np.maximum(start, lo), np.minimum(stop, hi)
    n = np.maximum(b - a + 1, 0)
    rows = np.repeat(np.arange(len(spells)), n)
    months = np.repeat(a, n) + np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    return rows, months, n


def _month_date(months: np.ndarray) -> pd.Series:
    return pd.Series(pd.to_datetime({"year": months // 12, "month": months % 12 + 1, "day": 1}))


def _window(months: pd.DatetimeIndex) -> tuple[int, int]:
    return (
        int(months[0].year * 12 + months[0].month - 1),
        int(months[-1].year * 12 + months[-1].month - 1),
    )


def _care(
    spells: pd.DataFrame,
    persons: pd.Series,
    months: pd.DatetimeIndex,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Poisson contacts: per person over the window, and per health-benefit spell over its
    months in the window (a sum of monthly Poisson counts), each in a uniform month."""
    lo, hi = _window(months)
    health = spells["code"].astype(str).map(_HEALTH).to_numpy(dtype=bool)
    kept = spells[health].reset_index(drop=True)
    first = np.maximum(_month_index(kept["start"]), lo)
    last = np.minimum(_month_index(kept["end"].fillna(months[-1])), hi)
    span = np.maximum(last - first + 1, 0)
    n_months = hi - lo + 1
    counts = np.concatenate(
        [
            rng.poisson(BASE_CONTACTS_PER_MONTH * n_months, len(persons)),
            rng.poisson(HEALTH_CONTACTS_PER_MONTH * span),
        ]
    )
    ids = np.repeat(np.concatenate([persons.to_numpy(), kept["person_id"].to_numpy()]), counts)
    lows = np.repeat(np.concatenate([np.full(len(persons), lo), first]), counts)
    spans = np.repeat(np.concatenate([np.full(len(persons), n_months), span]), counts)
    month = lows + np.floor(rng.random(len(lows)) * spans).astype(np.int64)
    day = rng.integers(1, 29, len(month))
    kind = rng.choice(np.array(CARE_KINDS), size=len(month), p=CARE_KIND_SHARES)
    out = pd.DataFrame(
        {
            "person_id": ids,
            "date": _month_date(month) + pd.to_timedelta(day - 1, unit="D"),
            "kind": kind,
        }
    )
    return out.sort_values(["person_id", "date", "kind"], ignore_index=True)


def _payments(spells: pd.DataFrame, months: pd.DatetimeIndex) -> pd.DataFrame:
    lo, hi = _window(months)
    codes = spells["code"].astype(str)
    kept = spells[codes.isin(list(_RATES)).to_numpy()].reset_index(drop=True)
    rows, month, _n = _months_in_window(kept, lo, hi)
    code = kept["code"].astype(str).to_numpy()[rows]
    rate = pd.Series(code).map(_RATES).to_numpy(dtype=float)
    out = pd.DataFrame(
        {
            "person_id": kept["person_id"].to_numpy()[rows],
            "month": _month_date(month),
            "code": code,
            "amount_eur": rate,
        }
    )
    return out.sort_values(["person_id", "month", "code"], ignore_index=True)


def register_extras(
    spells: pd.DataFrame, persons: pd.Series, months: pd.DatetimeIndex, *, seed: int
) -> RegisterExtras:
    """Jobseeker, care and payment extracts for the synthetic spells (see the module)."""
    rng = np.random.default_rng([int(seed), STREAM])
    return RegisterExtras(
        jobseeker=_jobseeker(spells, rng),
        care=_care(spells, persons, months, rng),
        payments=_payments(spells, months),
    )
