"""Bundle the top-level reports/, designs/ and checks/ folders into built wheels.

Everything else about the package is in pyproject.toml; evaluation/_paths.py finds the
folders in a checkout or, in an installed wheel, under evaluation/_bundled/.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED_FOLDERS = ("reports", "designs", "checks")  # as evaluation._paths.BUNDLED_FOLDERS


class BuildPyWithProjectFolders(build_py):
    """``build_py`` that also copies the project folders into the built package."""

    def run(self) -> None:
        super().run()
        for name in BUNDLED_FOLDERS:
            target = Path(self.build_lib) / "evaluation" / "_bundled" / name
            shutil.copytree(ROOT / name, target, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildPyWithProjectFolders})
