"""Screenshots of the Finnish comparison, pilot and impact reports at 1400 px and 390 px.

Run after ``pilot-eval demo --out demo-output`` (needs Debian's chromium and
chromium-driver, and selenium from the test extra)::

    python docs/screenshots/take_screenshots.py demo-output

It renders the three reports in Finnish from the demo's results and saves the first screen
of each, at both widths, beside this script.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

HERE = Path(__file__).resolve().parent
WIDTHS = (1400, 390)
HEIGHT = 1000


def _render(demo: Path, out: Path) -> dict[str, Path]:
    """The three Finnish reports of the demo, rendered into ``out``."""
    results = demo / "results"
    pilot = "Fokus"
    pages = {
        "vertailu": (["compare", "--results", str(results)], out / "vertailu.html"),
        "pilotti-fokus": (
            ["pilot", "--results", str(results), "--pilot", pilot],
            out / "pilotti-fokus.html",
        ),
        "vaikutus-fokus": (
            ["impact", "--results", str(results), "--pilot", pilot],
            out / "vaikutus-fokus.html",
        ),
    }
    for args, path in pages.values():
        subprocess.run(
            [
                sys.executable,
                "-c",
                "from evaluation.cli import main; main()",
                "report",
                *args,
                "--lang",
                "fi",
                "--out",
                str(path),
            ],
            check=True,
        )
    return {name: path for name, (_, path) in pages.items()}


def main(demo: str) -> None:
    os.environ.setdefault("SE_AVOID_STATS", "true")
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--disable-background-networking",
    ):
        options.add_argument(arg)
    with tempfile.TemporaryDirectory() as tmp:
        pages = _render(Path(demo), Path(tmp))
        driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
        try:
            for name, path in pages.items():
                for width in WIDTHS:
                    driver.set_window_size(width, HEIGHT)
                    driver.get(path.as_uri())
                    target = HERE / f"{name}-{width}.png"
                    driver.save_screenshot(str(target))
                    print(target)
        finally:
            driver.quit()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "demo-output")
