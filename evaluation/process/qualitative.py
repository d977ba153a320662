"""Qualitative process evidence: codebook, coded excerpts, counts and quotes for reports.

* :class:`Codebook`: codes with labels and their MRC process-evaluation dimension
  (implementation, mechanism, context); :func:`default_codebook` is the seed report's
  interview coding frame as shipped in the schema (code list ``qual_code``).
* Coded excerpts come from the workbook's *Coded excerpts* sheet
  (:func:`excerpts_from_evaluations`) or from CSV exports of qualitative-analysis tools
  (:func:`read_coded_excerpts`; columns ``excerpt, code, source_type, pilot, date``).
  Every invalid row gets one message naming the row and all of its problems; rows are
  never dropped silently.
* :func:`code_counts`: counts by code x pilot x source type (zeros included).
* :func:`select_quotes`: quotes for reports, masked (names, identity codes, pseudonymous
  ids, e-mail addresses, phone numbers) and only from pilot x source groups with at least
  ``min_group`` excerpts, so that a quote cannot point to one of a handful of people.
  Automatic masking is a safety net: excerpts should be anonymised where they are coded.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from evaluation.errors import (
    InputDataError,
    MissingColumnError,
    OptionError,
    Problem,
    ProblemsFound,
)
from evaluation.privacy import CODE_SHAPE, mask_identity_codes
from evaluation.schema import LANGS, load_schema

if TYPE_CHECKING:
    from evaluation.workbook.model import SelfEvaluation

#: Columns of a tidy frame of coded excerpts.
EXCERPT_COLUMNS = ("pilot", "excerpt", "code", "dimension", "source_type", "date")
#: Source types of an excerpt.
SOURCE_TYPES = ("client", "professional", "management")
#: MRC process-evaluation dimensions.
DIMENSIONS = ("implementation", "mechanism", "context")
#: Fewest excerpts of a pilot x source group before any of them is quoted.
DEFAULT_MIN_GROUP = 5

#: Column names accepted in CSV exports (lower case) -> our column.
COLUMN_ALIASES: dict[str, str] = {
    "excerpt": "excerpt",
    "quotation": "excerpt",
    "quotation content": "excerpt",
    "coded text": "excerpt",
    "segment": "excerpt",
    "text": "excerpt",
    "code": "code",
    "codes": "code",
    "source_type": "source_type",
    "source type": "source_type",
    "source": "source_type",
    "pilot": "pilot",
    "date": "date",
}


class ExcerptImportError(ProblemsFound):
    """A file of coded excerpts with invalid rows (one problem per row)."""


@dataclass(frozen=True)
class Codebook:
    """Codes with labels (fi/sv/en) and their MRC dimension.

    ``codes`` has columns ``code, dimension, label_fi, label_sv, label_en``.
    """

    codes: pd.DataFrame

    def lookup(self, text: str) -> str | None:
        """Code whose id or label (any language) equals ``text`` (case-insensitive)."""
        key = text.strip().casefold()
        for r in self.codes.itertuples(index=False):
            if key in {
                str(r.code).casefold(),
                *(str(getattr(r, f"label_{lg}")).casefold() for lg in LANGS),
            }:
                return str(r.code)
        return None

    def dimension(self, code: str) -> str:
        """MRC dimension of ``code``."""
        return str(self.codes.loc[self.codes["code"] == code, "dimension"].iloc[0])

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Codebook:
        """A custom codebook from ``code, dimension`` and optional ``label_fi/sv/en``.

        Raises
        ------
        InputDataError
            If a code repeats or a dimension is not one of implementation, mechanism,
            context.
        """
        missing = [c for c in ("code", "dimension") if c not in frame.columns]
        if missing:
            raise MissingColumnError(missing, where="codebook", available=frame.columns)
        out = pd.DataFrame(
            {
                "code": frame["code"].astype("string").str.strip(),
                "dimension": frame["dimension"].astype("string").str.strip().str.lower(),
            }
        )
        for lg in LANGS:
            col = f"label_{lg}"
            out[col] = frame[col].astype("string") if col in frame.columns else out["code"]
        dup = out["code"].duplicated()
        bad = ~out["dimension"].isin(DIMENSIONS)
        if dup.any() or bad.any():
            i = int(np.flatnonzero((dup | bad).to_numpy())[0])
            raise InputDataError(
                f"code {out['code'].iloc[i]!r} repeats or has an unknown dimension "
                f"{out['dimension'].iloc[i]!r}",
                where=f"codebook row {i + 1}",
                fix=f"give each code once, with a dimension among {', '.join(DIMENSIONS)}",
            )
        return cls(out.reset_index(drop=True))


def default_codebook() -> Codebook:
    """The seed report's interview coding frame (schema code list ``qual_code``)."""
    cl = load_schema().codelist("qual_code")
    rows = [
        {
            "code": c.code,
            "dimension": c.attrs["mrc_dimension"],
            **{f"label_{lg}": c.label(lg) for lg in LANGS},
        }
        for c in cl.codes
    ]
    return Codebook(pd.DataFrame(rows).astype("string"))


def _source_of(text: str) -> str | None:
    cl = load_schema().codelist("source_type")
    for lg in LANGS:
        code = cl.code_of(text, lg)
        if code is not None:
            return code
    return None


def _parse_date(v: Any) -> dt.date | str | None:
    """A date, ``None`` for blank, or the text when it cannot be read."""
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    s = str(v).strip()
    if not s:
        return None
    m = re.match(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$", s)
    try:
        if m:
            return dt.date(int(m[3]), int(m[2]), int(m[1]))
        return dt.date.fromisoformat(s[:10])
    except ValueError:
        return s


def _blank(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) or not str(v).strip()


def read_coded_excerpts(
    source: str | Path | pd.DataFrame,
    *,
    codebook: Codebook | None = None,
    pilot: str | None = None,
) -> pd.DataFrame:
    """Import coded excerpts exported by a qualitative-analysis tool.

    Parameters
    ----------
    source:
        A CSV file (UTF-8, comma or semicolon separated) or a DataFrame with columns
        ``excerpt, code, source_type, pilot, date`` (common export names such as
        ``Quotation Content`` or ``Codes`` are accepted, see :data:`COLUMN_ALIASES`). A
        cell of ``code`` may hold several codes separated by ``;`` or line breaks: the
        excerpt then gives one row per code.
    codebook:
        Codes allowed (default: :func:`default_codebook`); codes match by id or label.
    pilot:
        Pilot of every row when the file has no ``pilot`` column.

    Returns
    -------
    DataFrame
        Columns :data:`EXCERPT_COLUMNS`.

    Raises
    ------
    ExcerptImportError
        With one problem per invalid row (unknown code, missing pilot, empty excerpt,
        unknown source type, unreadable date), naming the file row; nothing is imported
        then, so no row is ever dropped silently.
    """
    book = codebook or default_codebook()
    where = "data frame" if isinstance(source, pd.DataFrame) else str(source)
    if isinstance(source, pd.DataFrame):
        raw = source.copy()
        first_row = 1
    else:
        path = Path(source)
        if not path.is_file():
            raise InputDataError("the file does not exist", where=where, fix="check the path")
        try:
            raw = pd.read_csv(
                path,
                sep=None,
                engine="python",
                dtype=str,
                keep_default_na=False,
                encoding="utf-8-sig",
            )
        except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise InputDataError(
                f"cannot read the CSV file: {exc}".splitlines()[0],
                where=where,
                fix="export the coded excerpts as UTF-8 CSV with a header row",
            ) from None
        first_row = 2  # header is line 1
    raw = raw.rename(
        columns={c: COLUMN_ALIASES.get(str(c).strip().lower(), c) for c in raw.columns}
    )
    need = ["excerpt", "code", "source_type"] + ([] if pilot else ["pilot"])
    missing = [c for c in need if c not in raw.columns]
    if missing:
        raise MissingColumnError(missing, where=where, available=raw.columns)
    problems: list[Problem] = []
    rows: list[dict[str, Any]] = []
    for i, rec in enumerate(raw.to_dict("records")):
        line = f"{where} row {i + first_row}"
        issues: list[str] = []
        fixes: list[str] = []
        text = "" if _blank(rec.get("excerpt")) else str(rec["excerpt"]).strip()
        if not text:
            issues.append("the excerpt is empty")
            fixes.append("add the excerpt text or delete the row")
        pil = pilot if pilot and _blank(rec.get("pilot")) else rec.get("pilot")
        if _blank(pil):
            issues.append("the pilot is missing")
            fixes.append("fill in the pilot's name")
        codes_raw = "" if _blank(rec.get("code")) else str(rec["code"])
        parts = [p.strip() for p in re.split(r"[;\n]", codes_raw) if p.strip()]
        codes = [book.lookup(p) for p in parts]
        unknown = [p for p, c in zip(parts, codes, strict=True) if c is None]
        if not parts:
            issues.append("the code is missing")
            fixes.append("give a code of the codebook")
        elif unknown:
            issues.append(f"unknown code(s) {', '.join(repr(u) for u in unknown)}")
            fixes.append("use a code of the codebook (id or label) or add the code to the codebook")
        src = None if _blank(rec.get("source_type")) else _source_of(str(rec["source_type"]))
        if src is None:
            issues.append(f"source type {str(rec.get('source_type') or '')!r} is not known")
            fixes.append(f"use one of {', '.join(SOURCE_TYPES)}")
        date = _parse_date(rec.get("date"))
        if isinstance(date, str):
            issues.append(f"date {date!r} cannot be read")
            fixes.append("write the date as yyyy-mm-dd or dd.mm.yyyy")
        if issues:
            problems.append(Problem(where=line, what="; ".join(issues), fix="; ".join(fixes)))
            continue
        for code in (str(c) for c in codes):
            rows.append(
                {
                    "pilot": str(pil).strip(),
                    "excerpt": text,
                    "code": code,
                    "dimension": book.dimension(code),
                    "source_type": src,
                    "date": date,
                }
            )
    if problems:
        raise ExcerptImportError(where, problems)
    return _frame(rows)


def _frame(rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    out = pd.DataFrame(list(rows), columns=list(EXCERPT_COLUMNS))
    for c in ("pilot", "excerpt", "code", "dimension", "source_type"):
        out[c] = out[c].astype("string")
    out["date"] = pd.to_datetime(pd.Series(list(out["date"]), dtype="object"))
    return out


def excerpts_from_evaluations(evaluations: Iterable[SelfEvaluation]) -> pd.DataFrame:
    """The *Coded excerpts* sheets of read workbooks as one frame (:data:`EXCERPT_COLUMNS`)."""
    book = default_codebook()
    rows = [
        {
            "pilot": ev.pilot,
            "excerpt": r["excerpt"],
            "code": r["code"],
            "dimension": book.dimension(str(r["code"])),
            "source_type": r["source_type"],
            "date": r.get("date"),
        }
        for ev in evaluations
        for r in ev.records.get("excerpts", ())
    ]
    return _frame(rows)


def code_counts(excerpts: pd.DataFrame, *, codebook: Codebook | None = None) -> pd.DataFrame:
    """Number of coded excerpts by pilot x code x source type.

    Every code of the codebook and every source type appear for each pilot (zero counts
    included), so pilots can be compared. Columns: ``pilot, code, dimension,
    source_type, n``.
    """
    missing = [c for c in ("pilot", "code", "source_type") if c not in excerpts.columns]
    if missing:
        raise MissingColumnError(missing, where="coded excerpts", available=excerpts.columns)
    book = codebook or default_codebook()
    pilots = sorted(set(excerpts["pilot"].astype(str)))
    grid = pd.MultiIndex.from_product(
        [pilots, list(book.codes["code"].astype(str)), list(SOURCE_TYPES)],
        names=["pilot", "code", "source_type"],
    )
    n = (
        excerpts.assign(
            pilot=excerpts["pilot"].astype(str),
            code=excerpts["code"].astype(str),
            source_type=excerpts["source_type"].astype(str),
        )
        .groupby(["pilot", "code", "source_type"])
        .size()
    )
    extra = set(n.index) - set(grid)
    if extra:
        raise InputDataError(
            f"codes or source types outside the codebook: {sorted(extra)[:3]}",
            where="coded excerpts",
            fix="import the excerpts with read_coded_excerpts, which checks the codes",
        )
    out = n.reindex(grid, fill_value=0).rename("n").reset_index()
    dims = dict(
        zip(book.codes["code"].astype(str), book.codes["dimension"].astype(str), strict=True)
    )
    out.insert(2, "dimension", out["code"].map(dims))
    out["n"] = out["n"].astype("int64")
    return out


# -- masking -------------------------------------------------------------------------
def _mask_codes(text: str) -> str:
    """Identity codes and store pseudonyms as ``[id code]`` (the shared detector)."""
    return mask_identity_codes(text).replace(CODE_SHAPE, "[id code]")


_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")
#: Finnish phone numbers (mobile or landline, national or +358 form).
_PHONE = re.compile(r"(?<![\w-])(?:\+358[ -]?|0)\d{1,3}[ -]?\d{3}[ -]?\d{3,4}\b")
#: Pseudonymous ids: letters followed by digits (e.g. FOK012, ASI-0042).
_PSEUDO = re.compile(r"\b[A-Za-zÅÄÖåäö]{2,6}[-_]?\d{2,6}\b")
#: Common Finnish and Swedish given names (a safety net, not a complete list).
_NAMES = """Aino Aleksi Anna Anne Antti Eero Elina Emilia Emma Erik Hanna Heikki Helena Ilkka
    Jari Johanna Jukka Juha Jussi Kaisa Kari Katja Kristiina Laura Leena Liisa Maija Marja
    Markku Matti Mika Mikko Minna Niina Niko Olli Pekka Petri Riikka Sanna Sari Satu Seppo
    Tiina Timo Tuomas Tuula Ville Lars Johan Karl Anders Per Nils Maria Karin Kristina Sara
    Eva Ingrid Lena Mats Stefan Mikael"""
COMMON_NAMES = frozenset(_NAMES.split())


def mask_identifiers(text: str, *, names: Iterable[str] = (), ids: Iterable[str] = ()) -> str:
    """Replace identifying details in ``text`` by bracketed placeholders.

    Masks Finnish identity codes (``[id code]``), e-mail addresses (``[e-mail]``), phone
    numbers (``[phone]``), pseudonymous ids like ``FOK012`` and any of ``ids`` (``[id]``),
    and ``names`` plus :data:`COMMON_NAMES`, with a following capitalised surname
    (``[name]``). Text already in brackets is kept.
    """
    out = _mask_codes(text)
    out = _EMAIL.sub("[e-mail]", out)
    out = _PHONE.sub("[phone]", out)
    for i in sorted({str(x) for x in ids if str(x).strip()}, key=len, reverse=True):
        out = re.sub(rf"\b{re.escape(i)}\b", "[id]", out)
    out = _PSEUDO.sub("[id]", out)
    all_names = COMMON_NAMES | {n.strip() for n in names if n.strip()}
    if all_names:
        alt = "|".join(re.escape(n) for n in sorted(all_names, key=len, reverse=True))
        out = re.sub(
            rf"\b(?:{alt})\b(?:\s+[A-ZÅÄÖ][a-zåäö]+(?:-[A-ZÅÄÖ][a-zåäö]+)?)?", "[name]", out
        )
    return out


def select_quotes(
    excerpts: pd.DataFrame,
    *,
    per_group: int = 2,
    min_group: int = DEFAULT_MIN_GROUP,
    codes: Sequence[str] | None = None,
    names: Iterable[str] = (),
    ids: Iterable[str] = (),
    seed: int = 0,
) -> pd.DataFrame:
    """Quotes for reports, masked and only from large enough pilot x source groups.

    Parameters
    ----------
    excerpts:
        Coded excerpts (:data:`EXCERPT_COLUMNS`).
    per_group:
        Quotes drawn per pilot x source type x code (at random, reproducibly).
    min_group:
        A pilot x source-type group with fewer excerpts than this gives no quotes.
    codes:
        Only quotes of these codes (default all).
    names, ids:
        Extra names and ids to mask (e.g. staff names, client ids of the pilot).
    seed:
        Seed of the random choice.

    Returns
    -------
    DataFrame
        ``pilot, source_type, code, dimension, quote`` (no dates, no ids).
    """
    if per_group < 1 or min_group < 1:
        raise OptionError(
            "per_group and min_group must be at least 1",
            where="options per_group, min_group",
            fix="use e.g. per_group=2, min_group=5",
        )
    rng = np.random.default_rng(seed)
    frame = excerpts.sort_values(["pilot", "source_type", "code", "excerpt"], kind="stable")
    size = frame.groupby(["pilot", "source_type"])["excerpt"].transform("size")
    frame = frame[size >= min_group]
    # the same excerpt is quoted once per code
    frame = frame.drop_duplicates(["pilot", "source_type", "code", "excerpt"])
    if codes is not None:
        frame = frame[frame["code"].isin(list(codes))]
    id_list = list(ids)
    rows = []
    for (pilot, src, code), grp in frame.groupby(["pilot", "source_type", "code"], sort=True):
        take = rng.choice(len(grp), size=min(per_group, len(grp)), replace=False)
        for k in sorted(take):
            r = grp.iloc[int(k)]
            rows.append(
                {
                    "pilot": pilot,
                    "source_type": src,
                    "code": code,
                    "dimension": r["dimension"],
                    "quote": mask_identifiers(str(r["excerpt"]), names=names, ids=id_list),
                }
            )
    return pd.DataFrame(rows, columns=["pilot", "source_type", "code", "dimension", "quote"])
