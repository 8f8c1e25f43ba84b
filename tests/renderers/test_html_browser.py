"""The HTML page in a real browser: headless Chromium, driven by selenium, opens xor.html from
a file:// URL, steps to the article's first update of W10 and back, and logs no error.

CI installs Debian's chromium and chromium-driver (.ci/run); without them this is skipped."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers import invoke_in

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or DRIVER is None,
    reason="headless Chromium is not installed (apt-get install chromium chromium-driver)",
)


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900"):
        options.add_argument(argument)
    options.binary_location = CHROMIUM
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def xor_page(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("page")
    outcome = invoke_in(["run", "xor", "-o", "xor.html"], cwd=folder)
    assert outcome.status == 0, outcome.stderr
    return folder / "xor.html"


def test_stepping_to_the_first_update_of_w10_and_back(browser, xor_page: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(xor_page.as_uri())
    position = browser.find_element(By.ID, "position")
    assert position.text.startswith("note · piece 1 of ")
    body = browser.find_element(By.TAG_NAME, "body")
    for _ in range(200):
        if "update · W10" in position.text:
            break
        before = position.text
        body.send_keys(Keys.ARROW_RIGHT)
    else:
        pytest.fail(f"never reached the update of W10; last at {position.text}")
    assert position.text.startswith("epoch 1 · sample 1 · update · W10 · piece ")
    # The article: W10 := 1 - 0.1·1·(-4) = 1.4, beside its ✓.
    row = browser.find_element(By.CSS_SELECTOR, "#piece tr.current")
    assert row.text.split()[0] == "W10"
    assert row.text.rstrip().endswith("= 1.4 ✓ 1.4")
    lit = browser.find_elements(By.CSS_SELECTOR, "svg .link.lit")  # its line and its label
    assert {link.get_attribute("data-weight") for link in lit} == {"W10"} and len(lit) == 2
    label = browser.find_element(By.CSS_SELECTOR, "svg .link.label.lit")
    assert label.find_element(By.CSS_SELECTOR, "tspan.w").text == "= 1.4"
    # Back: the piece before, the backward pass's last delta, δ_Z3 = 1·(-4)·1 = -4.
    body.send_keys(Keys.ARROW_LEFT)
    assert position.text == before
    assert position.text.startswith("epoch 1 · sample 1 · backward · Z3 · piece ")
    row = browser.find_element(By.CSS_SELECTOR, "#piece tr.current")
    assert row.text.split()[0] == "Z3" and "= -4" in row.text
    assert [unit.get_attribute("data-unit") for unit in
            browser.find_elements(By.CSS_SELECTOR, "svg .unit.lit")] == ["Z3", "D0"]  # fmt: skip
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []


def test_an_operand_points_at_its_source_and_a_unit_lists_its_lines(browser, xor_page) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    browser.get(xor_page.as_uri() + "#piece=13")
    assert "update · W10" in browser.find_element(By.ID, "position").text
    delta = browser.find_element(By.CSS_SELECTOR, '#piece tr.current span[data-q="delta"]')
    ActionChains(browser).move_to_element(delta).perform()
    origin = browser.find_element(By.ID, "origin")
    assert "backward · Z1" in origin.text and "-4" in origin.text
    assert (
        browser.find_element(By.CSS_SELECTOR, "svg .unit.origin").get_attribute("data-unit") == "Z1"
    )
    browser.find_element(By.CSS_SELECTOR, 'svg .unit[data-unit="D0"]').click()
    lines = browser.find_element(By.ID, "lines").text
    assert "forward · D0" in lines and "backward · D0" in lines
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []


def test_keyboard_labels_and_a_phone_sized_screen(browser, xor_page) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.set_window_size(390, 844)
    try:
        browser.get(xor_page.as_uri() + "#piece=10")
        # Every control has a name a screen reader can say: a button's text, a select's label.
        for button in browser.find_elements(By.CSS_SELECTOR, ".controls button"):
            assert button.text.strip()
        for select in browser.find_elements(By.CSS_SELECTOR, ".controls select"):
            label = select.find_element(By.XPATH, "..")
            assert label.tag_name == "label" and label.text.split()[0] in {
                "Speed",
                "Epoch",
                "Sample",
            }
        # The page itself does not scroll sideways on a phone (the diagram may, in its box).
        assert browser.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth"
        )
        # Keyboard only: Tab reaches an operand, whose focus lights its source and is visible.
        body = browser.find_element(By.TAG_NAME, "body")
        body.send_keys(Keys.TAB)
        for _ in range(40):
            focused = browser.switch_to.active_element
            if focused.get_attribute("data-q") == "delta":
                break
            focused.send_keys(Keys.TAB)
        else:
            pytest.fail("Tab never reached the delta in δ_Z1 = V01·δ_D0·f'(h_Z1)")
        outline = browser.execute_script(
            "return getComputedStyle(document.activeElement).outlineStyle"
        )
        assert outline not in ("", "none")
        assert "backward · D0" in browser.find_element(By.ID, "origin").text
        assert (
            browser.find_element(By.CSS_SELECTOR, "svg .unit.origin").get_attribute("data-unit")
            == "D0"
        )
    finally:
        browser.set_window_size(1280, 900)
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []
