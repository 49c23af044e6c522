"""report.html in a real browser: Debian's chromium, driven by Selenium and chromium-driver.

The page is opened by file:// (no server), must raise no JavaScript error, and its slider,
moved to an epoch by a click as a user would, must show that epoch's weights: the values the
run's History recorded. Without chromium the test skips, naming the apt command; with
FCNN_REQUIRE_BROWSER=1 (.ci/run sets it) it fails instead.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

import fcnn
from fcnn import runs
from fcnn.runs import config

CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
INSTALL = "apt-get install -y chromium chromium-driver && pip install selenium"
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img" / "report.png"


def _browser():
    """A headless chromium with its console log kept, or a skip (a failure when required)."""
    missing = [str(p) for p in (CHROMIUM, DRIVER) if not p.exists()]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("the selenium package")
    if missing:
        reason = f"no {', '.join(missing)}: the browser test needs them ({INSTALL})"
        if os.environ.get("FCNN_REQUIRE_BROWSER") == "1":
            pytest.fail(f"FCNN_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    options = Options()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1300,1500"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(str(DRIVER)), options=options)


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    """The default ``fcnn train`` run (seed 000's 2-2-2 network) and its report."""
    out = tmp_path_factory.mktemp("run") / "default"
    result = runs.start_run(config.resolve(None, {}), out, progress=False, figures=False)
    fcnn.report(out)
    return result


@pytest.fixture(scope="module")
def browser():
    driver = _browser()
    yield driver
    driver.quit()


def _severe(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def _open(driver, path: Path) -> None:
    driver.get(path.resolve().as_uri())
    for _ in range(100):  # plotly draws asynchronously
        if driver.execute_script(
            "return !!document.querySelector('#fig-slider .slider-tick-rect')"
        ):
            return
        time.sleep(0.1)
    raise AssertionError(f"the slider never appeared; console: {_severe(driver)}")


def _shown_epoch(driver) -> int:
    label = "#fig-slider .slider-container text.slider-label"  # "epoch N"
    text = driver.execute_script(f"return document.querySelector('{label}').textContent")
    return int(text.split()[-1])


def _move_slider(driver, index: int) -> None:
    """Click the slider's rail at its ``index``-th tick, as a user would."""
    from selenium.webdriver.common.action_chains import ActionChains

    tick = driver.find_elements("css selector", "#fig-slider .slider-tick-rect")[index]
    rail = driver.find_element("css selector", "#fig-slider .slider-rail-touch-rect")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", rail)
    t, r = tick.rect, rail.rect
    dx = t["x"] + t["width"] / 2 - (r["x"] + r["width"] / 2)
    ActionChains(driver).move_to_element_with_offset(rail, dx, 0).click().perform()
    time.sleep(0.5)


def _shown_weights(driver) -> tuple[list[str], list[float], list[str]]:
    """The weight bar chart as drawn: its names, its values and its printed labels."""
    return driver.execute_script(
        """const gd = document.getElementById('fig-slider');
        const bar = gd.data.find(t => t.type === 'bar');
        const labels = [...gd.querySelectorAll('.barlayer .bartext')].map(t => t.textContent);
        return [Array.from(bar.x), Array.from(bar.y), labels];"""
    )


@pytest.mark.slow
def test_report_opens_from_file_without_javascript_errors(default_run, browser):
    _open(browser, default_run.out / "report.html")
    assert _severe(browser) == []
    for sid in ("summary", "slider", "data", "curves", "parameters", "diagnostics"):
        assert browser.find_element("id", sid).is_displayed()
    diagnostics = browser.find_element("id", "diagnostics").text
    assert "Diagnostics were not recorded" in diagnostics


@pytest.mark.slow
def test_slider_moved_to_an_epoch_shows_that_epochs_weights_from_the_history(
    default_run, browser, tmp_path
):
    _open(browser, default_run.out / "report.html")
    assert _shown_epoch(browser) == 0
    _move_slider(browser, 37)
    epoch = _shown_epoch(browser)
    assert 20 <= epoch <= 80  # the slider moved (frames of 300 epochs thinned to 200)
    names, values, labels = _shown_weights(browser)
    # full-batch training: one update an epoch, so snapshot t holds the parameters after epoch t
    expected = default_run.history.params[epoch]
    assert names[:3] == ["W1[0,0]", "W1[0,1]", "b1[0]"]
    assert values == expected.tolist()
    assert labels == [f"{v:.4g}" for v in expected]
    assert str(epoch) in browser.find_element("css selector", "#fig-slider .gtitle").text
    assert _severe(browser) == []
    slider = browser.find_element("id", "slider")
    browser.execute_script("arguments[0].scrollIntoView()", slider)
    slider.screenshot(str(tmp_path / "report.png"))
    assert (tmp_path / "report.png").stat().st_size > 10_000
    if os.environ.get("FCNN_DOCS_SCREENSHOT") == "1":  # refresh the docs' picture
        DOCS_IMG.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(tmp_path / "report.png", DOCS_IMG)


@pytest.mark.slow
def test_play_button_steps_through_the_frames(default_run, browser):
    _open(browser, default_run.out / "report.html")
    button = browser.find_elements("css selector", "#fig-slider .updatemenu-button")[0]
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()
    time.sleep(1.5)
    assert _shown_epoch(browser) > 0
    assert _severe(browser) == []
