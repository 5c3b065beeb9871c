"""The HTML class report in a real browser: headless Chromium opens the report of the bundled submissions
from disk (file://, no server), and the checks are what a person would look at: every plot loaded, the
table sorts and filters, a click on a name opens that student's page and its link leads back, nothing
reaches for the network, and a student's hostile exception text stays text.

Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them where apt can) and selenium
(the [test] extra); skipped, saying which is missing, where they cannot be had. Screenshots go to the
test's tmp_path; their paths are printed (pytest -s, or -rA to see them on success).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest

from grader.frontends.cli import main

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = ROOT / "submissions"
SMALL = "[grading]\ncases = 2\n\n[limits]\ncase_seconds = 1\nload_seconds = 1\nfunction_seconds = 4\n"
INJECTION = '<img src=x onerror="document.title=1"><script>document.title="pwned"</script>'
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions",
         "--window-size=1366,768")
LAPTOP = (1366, 768)  # the smallest common laptop screen: the class report must fit its width
LONG_NAME = "a_student_whose_submission_has_a_remarkably_long_file_name_that_keeps_on_going_final_v3"

pytestmark = pytest.mark.timeout(600)  # a hang guard only: grading the bundled submissions, then a browser


def _browser_paths() -> tuple[str, str]:
    browser = next((found for name in ("chromium", "chromium-browser", "google-chrome") if (found := shutil.which(name))), None)
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        pytest.skip("headless Chromium is not installed here (Debian: apt-get install chromium chromium-driver; "
                    ".ci/run does it where apt is available)")
    return browser, driver


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """`grade` on the bundled submissions, plus one that defines nothing and one whose error message is markup."""
    here = tmp_path_factory.mktemp("class")
    extra = here / "extra"
    extra.mkdir()
    (extra / "defines_nothing.py").write_text("import numpy as np\n", encoding="utf-8")
    correct = (SUBMISSIONS / "correct_student.py").read_text(encoding="utf-8")
    (extra / "injects_markup.py").write_text(
        correct + f"\n\ndef compute_cost(AL, Y):\n    raise ValueError({INJECTION!r})\n", encoding="utf-8")
    (extra / f"{LONG_NAME}.py").write_text(  # a long name, and a long cause: a crash at load, a function missing
        "SCALE = 1 / 0  # a crash while loading\n\n"
        + correct.replace("def compute_cost(", "def compute_cost_renamed("), encoding="utf-8")
    (extra / "empty_folder").mkdir()
    rubric = here / "small.toml"
    rubric.write_text(SMALL, encoding="utf-8")
    out = here / "results"
    main(["grade", str(SUBMISSIONS), str(extra), "--out", str(out), "--rubric", str(rubric), "--seed", "7", "--device", "cpu",
          "--assignment", "auto"])  # the bundled examples are of both assignments
    assert (out / "index.html").is_file()
    return out


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[test]')")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    binary, driver = _browser_paths()
    options = Options()
    options.binary_location = binary
    for flag in FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="grader-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    session = webdriver.Chrome(service=Service(driver), options=options)
    session.set_page_load_timeout(60)
    session.set_window_size(*LAPTOP)
    try:
        yield session
    finally:
        session.quit()
        shutil.rmtree(profile, ignore_errors=True)


def shoot(browser, path: Path, show: str | None = None) -> Path:
    """Save what the window shows (scrolled to the element with id `show`, if given) and print where."""
    if show:
        browser.execute_script("document.getElementById(arguments[0]).scrollIntoView()", show)
    browser.save_screenshot(str(path))
    print(f"screenshot: {path}")
    assert path.stat().st_size > 10_000  # a real page, not a blank one
    return path


def requested(browser) -> dict[str, str | None]:
    """Every URL the browser asked for since the last call (DevTools' network events), with the reason it
    was blocked before leaving the browser (e.g. "csp"), or None."""
    urls, ids, blocked = {}, {}, {}
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message.get("method") == "Network.requestWillBeSent":
            ids[params["requestId"]] = params["request"]["url"]
        elif message.get("method") == "Network.loadingFailed":
            blocked[params["requestId"]] = params.get("blockedReason")
    for request, url in ids.items():
        urls[url] = blocked.get(request)
    return urls


def visible_rows(browser) -> list[str]:
    return browser.execute_script(
        "return Array.from(document.querySelectorAll('table.submissions tbody tr')).filter(r => !r.hidden).map(r => r.id.slice(4))")


def column(browser, index: int) -> list[float]:
    return browser.execute_script(
        "return Array.from(document.querySelector('table.submissions').tBodies[0].rows).map(r => parseFloat(r.cells[arguments[0]].dataset.v))",
        index)


def header(browser, label: str):
    from selenium.webdriver.common.by import By

    return browser.find_element(By.XPATH, f"(//table[contains(@class, 'submissions')])[1]//th[button[normalize-space()='{label}']]")


# --- the tests -------------------------------------------------------------------------------------
def test_the_report_opens_from_disk_with_every_plot_loaded(browser, report, tmp_path):
    browser.get(report.joinpath("index.html").as_uri())
    assert browser.title == "Class report"
    images = browser.execute_script(
        "return Array.from(document.images).map(i => [i.getAttribute('src'), i.complete, i.naturalWidth, i.naturalHeight])")
    assert sorted(src for src, *_ in images) == ["grading_time.png", "misconceptions.png", "pass_rates.png", "score_distribution.png"]
    assert all(complete and width > 0 and height > 0 for _, complete, width, height in images), images
    rows = visible_rows(browser)
    assert len(rows) == len(list(report.glob("*.json")))
    assert browser.find_element("id", "shown").text == f"{len(rows)} of {len(rows)} shown"
    shoot(browser, tmp_path / "index.png")


def test_the_table_sorts_by_a_click_on_a_heading(browser, report, tmp_path):
    browser.get(report.joinpath("index.html").as_uri())
    score = header(browser, "score /100")
    score.find_element("tag name", "button").click()
    assert score.get_attribute("aria-sort") == "ascending"
    ascending = column(browser, 2)
    assert ascending == sorted(ascending) and ascending[0] < ascending[-1]
    score.find_element("tag name", "button").click()
    assert score.get_attribute("aria-sort") == "descending" and column(browser, 2) == sorted(ascending, reverse=True)
    shoot(browser, tmp_path / "sorted-by-score.png", show="filter")
    name = header(browser, "submission")
    name.find_element("tag name", "button").click()
    names = browser.execute_script(  # the first table's: each assignment's table sorts on its own
        "return Array.from(document.querySelector('table.submissions').tBodies[0].rows).map(r => r.id.slice(4))")
    assert names == sorted(names, key=str.lower) and score.get_attribute("aria-sort") is None


def test_the_table_filters_by_text_and_by_status(browser, report, tmp_path):
    from selenium.webdriver.support.ui import Select

    browser.get(report.joinpath("index.html").as_uri())
    everyone = visible_rows(browser)
    box = browser.find_element("id", "filter")
    box.send_keys("dal_sign")
    shown = visible_rows(browser)
    assert shown and len(shown) < len(everyone)
    for name in shown:
        causes = browser.find_element("id", f"row-{name}").text
        assert "DAL_SIGN" in causes or "dal_sign" in name.lower()
    assert browser.find_element("id", "shown").text == f"{len(shown)} of {len(everyone)} shown"
    shoot(browser, tmp_path / "filtered.png", show="filter")
    box.clear()
    box.send_keys(" ")  # clear() fires no input event; any key does
    Select(browser.find_element("id", "status")).select_by_value("not_graded")
    assert sorted(visible_rows(browser)) == ["defines_nothing", "empty_folder"]
    Select(browser.find_element("id", "status")).select_by_value("")
    assert visible_rows(browser) == everyone


def test_a_click_on_a_student_opens_their_page_and_the_link_leads_back(browser, report, tmp_path):
    from selenium.webdriver.common.by import By

    index = report.joinpath("index.html").as_uri()
    browser.get(index)
    browser.find_element(By.LINK_TEXT, "bug_dAL_sign").click()
    assert browser.current_url.endswith("/submissions/bug_dAL_sign.html")
    assert browser.find_element(By.TAG_NAME, "h1").text == "bug_dAL_sign"
    page = browser.find_element(By.TAG_NAME, "body").text
    assert "Likely cause DAL_SIGN" in page and "Where the error enters" in page
    layer_map = browser.find_elements(By.CSS_SELECTOR, "table.layer-map")
    assert layer_map and "own step" in layer_map[0].text and "WRONG" in layer_map[0].text
    shoot(browser, tmp_path / "student.png")
    browser.find_element(By.ID, "back").click()
    assert browser.current_url == index + "#row-bug_dAL_sign"
    assert browser.execute_script("return document.querySelector('tr:target').id") == "row-bug_dAL_sign"
    browser.back()
    assert browser.current_url.endswith("/submissions/bug_dAL_sign.html")
    browser.back()
    assert browser.current_url == index


def test_nothing_reaches_for_the_network(browser, report):
    requested(browser)  # forget what earlier tests loaded
    browser.get(report.joinpath("index.html").as_uri())
    browser.get(report.joinpath("submissions", "bug_dAL_sign.html").as_uri())
    urls = requested(browser)
    assert urls and all(url.startswith("file://") for url in urls), urls
    # The page's policy refuses a request even from a script that got in (here, the test's own).
    browser.get(report.joinpath("index.html").as_uri())
    refused = browser.execute_async_script("""
        var done = arguments[arguments.length - 1];
        document.addEventListener('securitypolicyviolation', function (e) { done([e.violatedDirective, e.blockedURI]); });
        var probe = new Image(); probe.src = 'http://192.0.2.1/probe.png';
        setTimeout(function () { done(null); }, 3000);""")
    assert refused is not None and refused[0].startswith("img-src") and "192.0.2.1" in refused[1]
    tried = {url: why for url, why in requested(browser).items() if not url.startswith("file://")}
    assert tried == {"http://192.0.2.1/probe.png": "csp"}  # stopped inside the browser, never sent


def test_a_students_markup_stays_text_in_the_browser(browser, report, tmp_path):
    from selenium.webdriver.common.by import By

    browser.get(report.joinpath("submissions", "injects_markup.html").as_uri())
    assert browser.title == "injects_markup: grading report"  # no script of the student's ran
    assert browser.find_elements(By.TAG_NAME, "img") == [] and browser.find_elements(By.TAG_NAME, "script") == []
    assert INJECTION in browser.find_element(By.TAG_NAME, "body").text
    shoot(browser, tmp_path / "student-markup.png")


# --- on a laptop's screen ------------------------------------------------------------------------------
SECTIONS = ("ungradable", "functions", "misconceptions", "plots", "every")


def widths(browser) -> dict:
    """How wide the page is against its window, and the right edge of the widest element on it."""
    return browser.execute_script("""
        var root = document.documentElement;
        var right = Math.max.apply(null, Array.from(document.querySelectorAll('body *')).map(e => e.getBoundingClientRect().right));
        return {scroll: root.scrollWidth, client: root.clientWidth, inner: window.innerWidth, right: right};""")


def test_the_class_report_fits_a_laptop_screen_without_scrolling_sideways(browser, report, tmp_path):
    """A mixed class, a long name, a long cause: nothing is wider than 1366 pixels; each section is
    photographed as an instructor sees it (the screenshots' paths are printed)."""
    assert tuple(browser.execute_script("return [window.outerWidth, window.outerHeight]")) == LAPTOP
    browser.get(report.joinpath("index.html").as_uri())
    seen = widths(browser)
    causes = browser.execute_script("return Array.from(document.querySelectorAll('td.why')).map(c => c.clientWidth)")
    assert min(causes) >= 200, causes
    # scrollWidth == innerWidth, less the vertical scroll bar's 15 pixels (innerWidth counts it): no sideways scroll
    assert seen["scroll"] == seen["client"] and seen["inner"] - 20 <= seen["client"] <= seen["inner"], seen
    assert seen["right"] <= seen["client"], seen
    tables = browser.execute_script("return document.querySelectorAll('table.submissions').length")
    present = {json.loads(path.read_text(encoding="utf-8")).get("assignment") for path in report.glob("*.json")} - {None}
    assert len(present) >= 2 and tables == len(present)  # a mixed class: one table per assignment, each its own columns
    shoot(browser, tmp_path / "laptop-top.png")
    for section in SECTIONS:
        shoot(browser, tmp_path / f"laptop-{section}.png", show=section)
    browser.find_element("id", f"row-{LONG_NAME}")  # the long-named row is on the page ...
    shoot(browser, tmp_path / "laptop-long-row.png", show=f"row-{LONG_NAME}")
    assert widths(browser)["scroll"] == seen["client"]  # ... and still nothing scrolls sideways


def test_a_long_cause_is_cut_to_its_cell_and_whole_on_hover(browser, report):
    browser.get(report.joinpath("index.html").as_uri())
    cell = browser.find_element("css selector", f"#row-{LONG_NAME} td.why")
    shown, full = cell.text, cell.get_attribute("title")
    assert full.startswith("crashed at load (ZeroDivisionError), compute_cost missing: ") and "line 1: ZeroDivisionError" in full
    assert browser.execute_script("return arguments[0].scrollWidth > arguments[0].clientWidth", cell)  # cut, with an ellipsis
    high, font = browser.execute_script(
        "var r = document.createRange(); r.selectNodeContents(arguments[0]);"
        "return [r.getBoundingClientRect().height, parseFloat(getComputedStyle(arguments[0]).fontSize)]", cell)
    assert high < 2 * font  # one line, not a paragraph
    name = browser.find_element("css selector", f"#row-{LONG_NAME} td:first-child").rect
    assert name["x"] + name["width"] <= widths(browser)["client"]  # the long name wraps inside its column
    assert shown == "crashed at load (ZeroDivisionError), compute_cost missing"  # the text is whole; the cell shows a part


def test_the_ungradable_are_listed_apart_with_their_reasons(browser, report):
    browser.get(report.joinpath("index.html").as_uri())
    section = browser.find_element("id", "ungradable").find_element("xpath", "following-sibling::table[1]")
    text = section.text
    assert "defines no graded function" in text and "defines_nothing" in text
    assert "no .py or .ipynb file" in text and "empty_folder" in text
    numbers = browser.find_element("css selector", "ul.numbers").text
    assert "2\ncould not be graded" in numbers


def test_a_narrower_window_still_has_no_sideways_scroll(browser, report, tmp_path):
    browser.set_window_size(1024, 768)
    try:
        browser.get(report.joinpath("index.html").as_uri())
        seen = widths(browser)
        assert seen["scroll"] == seen["client"], seen
        causes = browser.execute_script("return Array.from(document.querySelectorAll('td.why')).map(c => c.clientWidth)")
        assert min(causes) >= 120, causes  # the cause column keeps room for a phrase
        shoot(browser, tmp_path / "narrow-every.png", show="every")
    finally:
        browser.set_window_size(*LAPTOP)
