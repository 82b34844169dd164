"""The review app in a real browser (headless Chromium driven by selenium and Debian's
chromium-driver): a clerk labels pairs with the keyboard, undoes one, splits a cluster, reloads
and finds it all kept; the app asks nothing of any host but 127.0.0.1; the next run honours the
labels.  And a queue of 10,000 pending pairs opens in under a second."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import duckdb
import pytest

from linkage.link.labels import current, read_labels

from .conftest import copy_run, run, serve

CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--window-size=1280,900")
pytestmark = pytest.mark.skipif(not (CHROMIUM.exists() and DRIVER.exists()), reason=(
    "install Debian's chromium and chromium-driver to test the review app in a browser; "
    ".ci/run installs them"))


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'profile'}")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def wait(driver, condition: str, timeout: float = 15):
    """Until the script `condition` is truthy in the page; its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(f"return {condition};")
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {condition}")


DRAWN_PAIR = "document.body.dataset.ready === 'pair' && document.body.dataset.route === location.hash"


def show(driver, route: str, kind: str) -> None:
    """Go to a route of the app and wait until it has drawn it."""
    driver.execute_script("delete document.body.dataset.ready; location.hash = arguments[0];", route)
    wait(driver, f"document.body.dataset.ready === '{kind}' && location.hash === '{route}'")


def press(driver, key: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    ActionChains(driver).send_keys(key).perform()


def requested(driver) -> list[str]:
    """Every network request the browser made (its own chrome:// pages and data: URLs are not network)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return [u for u in urls if not u.startswith(("chrome://", "chrome-untrusted://", "about:", "data:"))]


def _total(served, queue: str) -> int:
    return next(q["total"] for q in served.get("/api/state")[1]["queues"] if q["name"] == queue)


def _pick(served, same_entity: bool) -> int:
    """An audit item whose two records this run put in one entity (or in two)."""
    for index in range(_total(served, "audit")):
        view = served.get(f"/api/item/audit/{index}")[1]["view"]
        if view["same_entity"] == same_entity:
            return index
    raise AssertionError("no such audit item")


def _cluster_apart_from(served, items: list[int]) -> int:
    """A clusters-queue item (not the last) sharing no record with the audit `items`: the audit
    sample is drawn anew each run, and a split of a cluster holding one of their records would
    change what those items show."""
    taken = {r["record_id"] for i in items
             for r in served.get(f"/api/item/audit/{i}")[1]["view"]["records"]}
    for index in range(_total(served, "clusters") - 1):
        view = served.get(f"/api/item/clusters/{index}")[1]["view"]
        if not taken & {r["record_id"] for r in view["records"]}:
            return index
    raise AssertionError("no cluster apart from the audit items")


def _entities(output: Path, keys: list[tuple[str, int]]) -> list[str]:
    con = duckdb.connect(str(output / "linkage.duckdb"), read_only=True)
    try:
        return [con.execute("SELECT entity_id FROM clusters WHERE source = ? AND source_row = ?",
                            [s, r]).fetchall()[0][0] for s, r in keys]
    finally:
        con.close()


def test_label_split_reload_and_rerun(fresh_run, browser):
    started = time.monotonic()
    served = serve(fresh_run.output, "--reviewer", "clerk")
    try:
        apart, together = _pick(served, False), _pick(served, True)
        browser.get(served.url)
        wait(browser, "document.body.dataset.ready === 'home'")
        assert "核查" in browser.find_element("tag name", "h1").text  # Chinese by default
        # a linked pair: different; an unlinked pair: same; one more: unsure, then undone
        show(browser, f"#/item/audit/{together}", "pair")
        press(browser, "d")
        wait(browser, f"location.hash !== '#/item/audit/{together}'")
        show(browser, f"#/item/audit/{apart}", "pair")
        press(browser, "s")
        wait(browser, f"location.hash !== '#/item/audit/{apart}'")
        wait(browser, DRAWN_PAIR)
        unsure = int(browser.execute_script("return location.hash.split('/').pop();"))
        press(browser, "u")
        wait(browser, f"location.hash !== '#/item/audit/{unsure}'")
        wait(browser, DRAWN_PAIR)
        press(browser, "z")
        wait(browser, f"location.hash === '#/item/audit/{unsure}'")
        # split the first record off a loose entity none of those pairs touches
        loose = _cluster_apart_from(served, [together, apart, unsure])
        show(browser, f"#/item/clusters/{loose}", "cluster")
        entity = served.get(f"/api/item/clusters/{loose}")[1]["view"]
        browser.find_element("css selector", "input.pick").click()
        press(browser, "x")
        wait(browser, f"location.hash === '#/item/clusters/{loose + 1}'")
        # reload: everything is still there
        browser.refresh()
        wait(browser, "document.body.dataset.ready === 'cluster'")
        show(browser, f"#/item/audit/{together}", "pair")
        assert browser.find_element("id", "decision").text == "不同实体"
        show(browser, f"#/item/audit/{apart}", "pair")
        assert browser.find_element("id", "decision").text == "同一实体"
        show(browser, f"#/item/audit/{unsure}", "pair")
        assert browser.find_element("id", "decision").text == "待核查"
        show(browser, f"#/item/clusters/{loose}", "cluster")
        assert browser.find_element("id", "decision").text == "已核查"
        browser.find_element("id", "lang").click()
        wait(browser, "document.documentElement.lang === 'en' && document.body.dataset.ready")
        assert browser.find_element("id", "decision").text == "Reviewed"
        # the page asked nothing of any other host, and logged no error
        urls = requested(browser)
        assert urls and all(u.startswith(served.base + "/") for u in urls), urls
        assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
        assert served.get("/api/state", token=False)[0] == 403
        pair_views = {i: served.get(f"/api/item/audit/{i}")[1]["view"] for i in (together, apart)}
    finally:
        served.stop()
    decided = current(read_labels(fresh_run.labels))
    assert sorted(decided["decision"].to_list()).count("different") == len(entity["records"])
    assert decided.filter(decided["queue"] == "audit")["decision"].sort().to_list() == [
        "different", "same"]
    # the next run honours them
    run(fresh_run.config)
    for index, together_now in ((together, False), (apart, True)):
        records = pair_views[index]["records"]
        a, b = _entities(fresh_run.output, [(r["source"], r["source_row"]) for r in records])
        assert (a == b) is together_now, (index, a, b)
    ids = _entities(fresh_run.output, [(r["source"], r["source_row"]) for r in entity["records"]])
    assert ids[0] not in ids[1:]
    assert time.monotonic() - started < 90


def test_a_queue_of_ten_thousand_pending_pairs_opens_in_under_a_second(demo_run, tmp_path, browser):
    copy = copy_run(demo_run, tmp_path / "big")
    con = duckdb.connect(str(copy.output / "linkage.duckdb"))
    con.execute("""
        INSERT INTO possible_matches
        SELECT 'person', a.record_id, b.record_id, 0.5, 0.0 FROM clusters a JOIN clusters b
        ON a.entity_type = 'person' AND b.entity_type = 'person' AND a.record_id < b.record_id
        AND a.entity_id <> b.entity_id
        ORDER BY hash(a.record_id * 100003 + b.record_id) LIMIT 10000""")
    assert con.execute("SELECT count(*) FROM possible_matches").fetchall()[0][0] >= 10_000
    con.close()
    served = serve(copy.output)
    try:
        start = time.perf_counter()
        status, page = served.get("/api/queue/possible?offset=0&limit=100&pending=1")
        server_seconds = time.perf_counter() - start
        assert status == 200 and page["matching"] >= 10_000 and len(page["items"]) == 100
        browser.get(served.url.replace("/?", "/?") + "#/queue/possible?pending=1")
        rendered = wait(browser, "document.body.dataset.ready === 'queue' && window.__rendered")
        dom_ready = browser.execute_script(
            "return performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd;")
        rows = browser.execute_script("return document.querySelectorAll('#queue-table tbody tr').length;")
        assert rows == 100
        print(f"server {server_seconds * 1000:.0f} ms, DOM ready {dom_ready:.0f} ms, "
              f"queue drawn {rendered:.0f} ms after navigation")
        assert server_seconds < 1.0 and dom_ready < 1000 and rendered < 1000
    finally:
        served.stop()
    shutil.rmtree(copy.output)
