"""Messages of the named errors say what, where and how to fix."""

from __future__ import annotations

from evaluation.errors import (
    MissingColumnError,
    PilotEvalError,
    Problem,
    ProblemsFound,
    SpellError,
)


def test_message_has_location_problem_and_fix() -> None:
    err = PilotEvalError(
        "value 12 is out of range 0-10", where="sheet 'Clients', cell D7", fix="enter 0-10"
    )
    assert (
        err.message == "sheet 'Clients', cell D7: value 12 is out of range 0-10. Fix: enter 0-10."
    )
    assert str(err) == err.message


def test_problems_are_all_listed_and_tabulated() -> None:
    problems = [
        Problem(
            "spells.csv row 3, column 'end'",
            "end 2020-01-01 is before start 2020-02-01",
            "swap the dates",
        ),
        Problem(
            "spells.csv row 9, column 'code'",
            "unknown code 'employmnet_open'",
            "use 'employment_open'",
        ),
    ]
    err = SpellError("spells.csv", problems)
    assert isinstance(err, ProblemsFound)
    assert err.message.splitlines()[0] == "spells.csv: 2 problem(s) found"
    assert "row 3" in err.message and "row 9" in err.message
    table = err.to_frame()
    assert list(table.columns) == ["where", "what", "fix"]
    assert len(table) == 2


def test_missing_column_names_what_is_there() -> None:
    err = MissingColumnError(["person_id"], where="spells.csv", available=["id", "code"])
    assert "'person_id'" in err.message and "'id', 'code'" in err.message


def test_one_missing_value_error_for_every_estimator() -> None:
    """Issue 18: the DiD and matching packages export the same ``MissingValueError``."""
    import evaluation.errors
    from evaluation.estimators import did, matching

    assert did.MissingValueError is matching.MissingValueError
    assert did.MissingValueError is evaluation.errors.MissingValueError
    assert issubclass(evaluation.errors.MissingValueError, evaluation.errors.InputDataError)
