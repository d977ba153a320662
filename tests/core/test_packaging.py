"""A built wheel carries reports/, designs/ and checks/ and works without the repository."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, evaluation
from evaluation.reporting import REPORTS_DIR
from evaluation.plans import DESIGNS_DIR, load_plan
from evaluation.checks.suites import SUITES_DIR
print(json.dumps({
    "package": evaluation.__file__,
    "reports": sorted(p.name for p in REPORTS_DIR.glob("*.qmd")),
    "designs": [load_plan(p).study.id for p in sorted(DESIGNS_DIR.glob("*.yaml"))],
    "suites": len(list(SUITES_DIR.glob("*.json"))),
}))
"""


@pytest.mark.slow
def test_wheel_bundles_the_project_folders(tmp_path: Path) -> None:
    # build from a copy: setuptools writes build/ and *.egg-info next to the sources
    source = tmp_path / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".*", "build", "*.egg-info", "__pycache__", "demo-output", "tests", "benchmarks"
        ),
    )
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q"),
            *("--no-build-isolation", "-w", str(tmp_path)),  # offline: the test extra's setuptools
        ],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    (wheel,) = tmp_path.glob("pilot_evaluation-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(site)
    probe = subprocess.run(
        [sys.executable, "-c", PROBE],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    found = json.loads(probe.stdout.strip().splitlines()[-1])
    assert found["package"].startswith(str(site))  # the wheel's copy, not the checkout
    assert found["reports"] == sorted(p.name for p in (ROOT / "reports").glob("*.qmd"))
    assert len(found["designs"]) == len(list((ROOT / "designs").glob("*.yaml"))) == 6
    assert found["suites"] == len(list((ROOT / "checks").glob("*.json"))) > 10
