"""The command line teaches with --help and never shows a traceback for bad usage."""

from __future__ import annotations

import subprocess
import sys


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    code = "from evaluation.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )


def test_help_lists_the_demo() -> None:
    result = _cli("--help")
    assert result.returncode == 0
    assert "demo" in result.stdout


def test_bad_option_value_is_a_usage_error_without_traceback() -> None:
    result = _cli("demo", "--persons", "10")
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
