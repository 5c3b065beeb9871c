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

from grader.cli import main

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = ROOT / "submissions"
SMALL = "[grading]\ncases = 2\n\n[limits]\ncase_seconds = 1\nload_seconds = 1\nfunction_seconds = 4\n"
INJECTION = '<img src=x onerror="document.title=1"><script>document.title="pwned"</script>'
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions",
         "--window-size=1400,1000")

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
        "return Array.from(document.querySelectorAll('#submissions tbody tr')).filter(r => !r.hidden).map(r => r.id.slice(4))")


def column(browser, index: int) -> list[float]:
    return browser.execute_script(
        "return Array.from(document.querySelectorAll('#submissions tbody tr')).map(r => parseFloat(r.cells[arguments[0]].dataset.v))",
        index)


def header(browser, label: str):
    from selenium.webdriver.common.by import By

    return browser.find_element(By.XPATH, f"//table[@id='submissions']//th[button[normalize-space()='{label}']]")


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
    names = visible_rows(browser)
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
    assert visible_rows(browser) == ["defines_nothing"]
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
