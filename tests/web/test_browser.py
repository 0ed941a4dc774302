"""The main flow in headless Chromium against the console under uvicorn: dashboard → a held order →
map its value → the order is released and imported → the dashboard count drops.

Selenium drives Debian's chromium through its chromedriver: it is the W3C WebDriver client that the
Chromium project's own driver speaks, well kept on PyPI, and needs no browser download of its own
(Playwright would fetch its own browser build, which this machine and CI cannot).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from exchange.store import Store
from tests.review.conftest import UNMAPPED
from tests.web.conftest import make_settings
from tests.web.live import live_console

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
# screenshots of each page are kept here (CI keeps the folder as the run's artifact)
ARTIFACTS = Path(os.environ.get("EXCHANGE_TEST_ARTIFACTS", "test-artifacts")) / "screenshots"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    """Headless Chromium with a fresh profile, quiet (no sync, updates or background traffic)."""
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.skip("chromium and chromium-driver are not installed (.ci/run installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,1000",
                f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _shot(driver: WebDriver, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def _text(driver: WebDriver, css: str) -> str:
    return str(driver.find_element(By.CSS_SELECTOR, css).text)


def test_map_a_held_orders_status_and_see_the_count_drop(browser: WebDriver, console_store: Store,
                                                         quarantine: Path) -> None:
    wait = WebDriverWait(browser, 20)
    with live_console(make_settings(console_store, quarantine)) as url:
        browser.get(url + "/")
        assert _text(browser, "#held-count") == "1"
        _shot(browser, "dashboard-before")
        browser.find_element(By.LINK_TEXT, "Orders").click()
        Select(browser.find_element(By.NAME, "held")).select_by_value("yes")
        browser.find_element(By.CSS_SELECTOR, "form.filters button").click()
        wait.until(ec.url_contains("held=yes"))
        rows = browser.find_elements(By.CSS_SELECTOR, "#documents tr td:first-child a")
        assert len(rows) == 1
        rows[0].click()
        wait.until(ec.presence_of_element_located((By.ID, "hold")))
        assert UNMAPPED in _text(browser, "#hold")
        _shot(browser, "order-held")
        browser.find_element(By.PARTIAL_LINK_TEXT, "decide in the review queue").click()
        form = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "form.map-form")))
        _shot(browser, "review-before")
        Select(form.find_element(By.NAME, "target")).select_by_value("delivered")
        form.find_element(By.CSS_SELECTOR, "button").click()
        # htmx swaps the queue in place: the flash says what the decision released
        flash = wait.until(ec.presence_of_element_located((By.ID, "review-flash")))
        assert "1 released" in flash.text
        assert browser.find_elements(By.ID, "queue-empty")
        _shot(browser, "review-after")
        browser.find_element(By.LINK_TEXT, "Dashboard").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "held-count"), "0"))
        _shot(browser, "dashboard-after")
        browser.get(url + "/orders?held=no")
        assert "delivered" in _text(browser, "#documents")


@pytest.mark.parametrize("path", ["/", "/orders", "/invoices", "/review", "/quarantine", "/history",
                                  "/feeds", "/products"])
def test_every_page_loads_in_chromium(browser: WebDriver, console_store: Store, quarantine: Path,
                                      path: str) -> None:
    with live_console(make_settings(console_store, quarantine)) as url:
        browser.get(url + path)
        assert browser.find_element(By.TAG_NAME, "h1").text
        errors = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
        assert errors == []
        _shot(browser, "page" + (path.replace("/", "-") if path != "/" else "-dashboard"))
