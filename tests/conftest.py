"""Shared fixtures: a headless Chromium driven by Selenium (one per test session).

The browser is Debian's ``chromium`` with its ``chromium-driver`` (``.ci/run`` installs
both). Selenium never goes to the network: the driver path is given, and
``SE_AVOID_STATS`` keeps Selenium Manager from sending statistics. A missing browser fails
the test that asks for it, with the command that installs it; it is never skipped.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

#: Where Debian's ``chromium-driver`` puts the driver.
CHROMEDRIVER = "/usr/bin/chromedriver"
INSTALL_HINT = (
    "apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium chromium-driver"
)


def _executable(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Chromium WebDriver for the whole session (quit at its end).

    Open a page with ``browser.get(path.resolve().as_uri())``.
    """
    os.environ["SE_AVOID_STATS"] = "true"
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("selenium is missing: pip install -e '.[test]'")
    chromium = _executable("chromium", "chromium-browser")
    driver_path = _executable("chromedriver") or (
        CHROMEDRIVER if Path(CHROMEDRIVER).exists() else None
    )
    if chromium is None or driver_path is None:
        pytest.fail(f"headless Chromium or its driver is missing: {INSTALL_HINT}")
    with tempfile.TemporaryDirectory(prefix="pilot-eval-chromium-") as profile:
        options = Options()
        options.binary_location = chromium
        for arg in (
            "--headless=new",
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--window-size=1280,2000",
        ):
            options.add_argument(arg)
        driver = webdriver.Chrome(service=Service(driver_path), options=options)
        driver.set_page_load_timeout(60)
        try:
            yield driver
        finally:
            driver.quit()
