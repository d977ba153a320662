"""The submission step of ``pilot-eval demo``: submit the synthetic pilots' workbooks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from evaluation.checks.report import ValidationReport
from evaluation.store.store import SubmissionStore
from evaluation.store.submit import submit_file


@dataclass(frozen=True)
class DemoSubmissions:
    """What :func:`submit_demo_workbooks` did.

    Attributes
    ----------
    store:
        The store the workbooks went into (its per-store pseudonymisation key lies beside it
        unless ``PILOT_EVAL_PSEUDONYM_KEY`` is set).
    listing:
        :meth:`SubmissionStore.submissions` after the run.
    faulty_report:
        The validation report of the first rejected workbook (``None`` if all passed).
    report_html:
        Where that report was written as HTML (``None`` if all passed).
    """

    store: SubmissionStore
    listing: pd.DataFrame
    faulty_report: ValidationReport | None
    report_html: Path | None

    def summary(self) -> str:
        """Counts of accepted and rejected submissions and the faulty report's summary."""
        counts = self.listing["status"].value_counts().to_dict()
        head = (
            f"{len(self.listing)} submissions stored in {self.store.path}: "
            f"{counts.get('accepted', 0)} accepted, {counts.get('rejected', 0)} rejected."
        )
        if self.faulty_report is None:
            return head
        return f"{head}\n{self.faulty_report.summary()}"


def submit_workbooks(
    paths: list[Path], *, store_path: Path, report_path: Path, submitter: str = "demo"
) -> DemoSubmissions:
    """Submit each workbook to the store at ``store_path`` and write the first rejected
    workbook's validation report to ``report_path`` (HTML).

    Without ``PILOT_EVAL_PSEUDONYM_KEY`` a per-store random key is created beside the store
    (never inside it), so this runs without any setup.
    """
    store = SubmissionStore(store_path)
    faulty: ValidationReport | None = None
    for path in paths:
        result = submit_file(path, store=store, submitter=submitter)
        if faulty is None and not result.report.ok:
            faulty = result.report
    html = faulty.write_html(report_path) if faulty is not None else None
    return DemoSubmissions(store, store.submissions(), faulty, html)


def submit_demo_workbooks(
    out: str | Path, *, seed: int = 2024, lang: str = "fi", submitter: str = "demo"
) -> DemoSubmissions:
    """Write the six synthetic pilots' workbooks into ``out/workbooks``, submit each to
    ``out/submissions.duckdb`` and write the faulty one's report to
    ``out/validation-report.html``.
    """
    from evaluation.synthetic.filled_workbooks import write_filled_workbooks

    folder = Path(out)
    paths = write_filled_workbooks(folder / "workbooks", seed=seed, lang=lang)
    return submit_workbooks(
        paths,
        store_path=folder / "submissions.duckdb",
        report_path=folder / "validation-report.html",
        submitter=submitter,
    )
