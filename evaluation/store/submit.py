"""Validate and store one submitted file: :func:`submit_file`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from evaluation.checks.api import validate_submission
from evaluation.checks.report import ValidationReport
from evaluation.checks.submission import parse_submission, person_id_columns
from evaluation.errors import IntakeRefusedError, OptionError
from evaluation.privacy import mask_identity_codes
from evaluation.schema import Schema, load_schema
from evaluation.store.pseudonym import Pseudonymiser, load_pseudonymiser
from evaluation.store.redact import RedactionFailed, id_cells, redact_workbook
from evaluation.store.store import StoredSubmission, SubmissionStore


@dataclass(frozen=True)
class SubmitResult:
    """What :func:`submit_file` did: the stored receipt and the validation report."""

    stored: StoredSubmission
    report: ValidationReport
    pseudonymiser: Pseudonymiser


def id_columns(schema: Schema | None = None) -> dict[str, tuple[str, ...]]:
    """Table -> person-id columns to pseudonymise: pseudonymous fields and fields that
    reference them (e.g. ``clients.client_id`` and ``self_assessment.client_id``)."""
    out = person_id_columns(schema or load_schema())
    out["spells"] = ("person_id",)
    return out


def submit_file(
    path: str | Path,
    *,
    store: SubmissionStore,
    submitter: str | None = None,
    period: str | None = None,
    pilot: str | None = None,
    key_file: Path | None = None,
) -> SubmitResult:
    """Validate ``path`` and store it (accepted or rejected) with a new version.

    The store keeps the workbook with every person id replaced by its pseudonym
    (:func:`~evaluation.store.redact.redact_workbook`), never the submitted bytes; a file
    that cannot be redacted keeps only its record and report. The same file submitted again
    is recognised (:attr:`StoredSubmission.duplicate`) and not stored twice. The pilot,
    language and period come from the workbook (``pilot``/``period`` override them).

    Raises
    ------
    OptionError
        If the file cannot be read at all (missing, a folder), no key can be found, or the
        key is not the store's.
    IntakeRefusedError
        If the file was refused at intake (identity codes, macros, external links, size
        limits): only a rejection record is stored, without the file's bytes.
    """
    path = Path(path)
    if not path.is_file():
        raise OptionError(
            f"file {path} does not exist",
            where="argument FILE",
            fix="give the path of the workbook to submit",
        )
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise OptionError(
            f"cannot read {path}: {exc.strerror}",
            where="argument FILE",
            fix="check the file's permissions",
        ) from exc
    pseudo = load_pseudonymiser(key_file=key_file, store=store.path)
    store.verify_key(pseudo)  # fail fast; add() checks again under the write lock
    parsed = parse_submission(path)
    report = validate_submission(parsed, lang=None)
    refused = tuple(parsed.refused)
    columns = id_columns()
    stored = store.add(
        content=b"" if refused else _redacted(content, parsed.person_ids, columns, pseudo),
        file_name=mask_identity_codes(path.name),
        pilot=pilot or parsed.pilot,
        period=period or parsed.period,
        lang=parsed.lang,
        submitter=submitter,
        report=report,
        tables=parsed.tables,
        pseudonymiser=pseudo,
        schema_version=parsed.schema_version,
        id_columns=columns,
        person_ids=parsed.person_ids,
        content_key=pseudo.digest(content),
    )
    if refused:
        raise IntakeRefusedError(mask_identity_codes(path.name), refused)
    return SubmitResult(stored, report, pseudo)


def _redacted(
    content: bytes, ids: frozenset[str], columns: dict[str, tuple[str, ...]], p: Pseudonymiser
) -> bytes:
    """The workbook with ids replaced; empty when it cannot be redacted (never the raw)."""
    try:
        return redact_workbook(
            content, person_ids=ids, cells=id_cells(load_schema(), columns), pseudonymiser=p
        )
    except RedactionFailed:
        return b""
