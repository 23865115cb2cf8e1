"""The browse UI in a real browser: headless Chromium drives a real Airflow API server started by the test.

The story of issue 12: log in to Airflow, open the sarlake view, filter to UWE_3, open a product, tag it, see
the facet count change, trigger on-demand processing for an AOI from its page (an ordinary DAG run through
Airflow's REST API, with ann as its triggering user), log out and see the data refused. The time to the first
page of results with every thumbnail loaded is reported (printed and recorded as a test property), not asserted.
The truth is the small lake the test writes (``tests/browse_lake.py``): which products are predicted UWE_3 and
which tags they already carry.
Screenshots of each view go to ``docs/img/`` when ``BROWSE_SCREENSHOTS=1``.

Needs Debian's ``chromium`` and ``chromium-driver`` (``make browser``) and Leaflet (``make browse-assets``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import browse_lake
import pytest
from airflow_harness import migrate_airflow
from ports import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
DOCS_IMG = ROOT / "docs" / "img"
PASSWORD = "tag-it-123"


@contextlib.contextmanager
def _airflow_server(settings, folder: Path) -> Iterator[str]:
    """A real ``airflow api-server`` on a free port, with the sarlake plugin over the lake of ``settings``."""
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.skip("chromium/chromedriver missing: run `make browser` (scripts/install_browser.sh)")
    browse_lake.build(settings)
    home = folder / "airflow"
    home.mkdir()
    (home / "passwords.json").write_text(json.dumps({"ann": PASSWORD, "carol": PASSWORD}))
    dags = folder / "dags"  # the DAG the shortcut triggers, parsed into Airflow's database before the server starts
    dags.mkdir()
    shutil.copy(ROOT / "dags" / "on_demand.py", dags / "on_demand.py")
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SARLAKE_")},
           "AIRFLOW_HOME": str(home), "SARLAKE_HOME": str(settings.home),
           "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
           "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
           "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
           "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager."
                                          "SimpleAuthManager",
           "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "ann:user,carol:viewer",
           "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
           "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
           "AIRFLOW__API_AUTH__JWT_SECRET": os.environ["AIRFLOW__API_AUTH__JWT_SECRET"]}
    bindir = Path(sys.executable).parent
    migrate_airflow(env)
    subprocess.run([str(bindir / "airflow"), "dags", "reserialize"], env=env, check=True, capture_output=True)
    log = (folder / "api-server.log").open("w")
    proc = subprocess.Popen([str(bindir / "airflow"), "api-server", "--port", str(port), "--host", "127.0.0.1"],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 420  # a loaded 2-core machine starts it slowly
        while True:
            try:
                urllib.request.urlopen(base + "/api/v2/monitor/health", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    tail = (folder / "api-server.log").read_text()[-3000:]
                    raise RuntimeError("api-server did not start:\n" + tail) from None
                time.sleep(1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def airflow(settings, tmp_path):
    """A server over the test's own lake: for the story, which counts every product of the lake as built."""
    with _airflow_server(settings, tmp_path) as base:
        yield base


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """``(server, settings)``: one server and lake for the tests that each change products of their own.

    Starting a server takes ~30 s of CPU; these tests add a product, a tag, a status or a provenance row each,
    none of which another of them looks at, and the server sees each change as a new snapshot, as in production.
    """
    from lake.settings import get_settings

    folder = tmp_path_factory.mktemp("browse-e2e")
    with pytest.MonkeyPatch.context() as mp:  # settings of that lake alone, whatever SARLAKE_* this process has
        for key in [k for k in os.environ if k.startswith("SARLAKE_")]:
            mp.delenv(key)
        mp.setenv("SARLAKE_HOME", str(folder / "sarlake"))
        lake = get_settings()
    with _airflow_server(lake, folder) as base:
        yield base, lake


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or "chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        opts.add_argument(arg)
    drv = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)
    drv.implicitly_wait(0)
    yield drv
    drv.quit()


def _wait(drv, cond, timeout=90):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # the page re-renders its facets and grid on every answer: an element found just before is stale, try again
    return WebDriverWait(drv, timeout, ignored_exceptions=[StaleElementReferenceException]).until(cond)


def _shot(drv, name: str) -> None:
    if os.environ.get("BROWSE_SCREENSHOTS") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        drv.save_screenshot(str(DOCS_IMG / f"browse-{name}.png"))


def _first_page_ms(drv) -> dict:
    """From Resource Timing: navigation start to the last thumbnail received, and the search API call."""
    return drv.execute_script(
        "const r = performance.getEntriesByType('resource');"
        " const png = r.filter(e => e.name.includes('/browse.png')), s = r.filter(e => e.name.includes('api/search'));"
        " return {page_ms: png.length ? Math.max(...png.map(e => e.responseEnd)) : null,"
        " search_ms: s.length ? s[0].responseEnd - s[0].startTime : null,"
        " timing: document.getElementById('timing').textContent}")


def _count(drv, facet: str, value: str) -> int:
    from selenium.webdriver.common.by import By

    return int(drv.find_element(By.CSS_SELECTOR, f'[data-count-for="{facet}:{value}"]').text)


def test_log_in_filter_tag_and_log_out_in_a_real_browser(airflow, browser, record_property):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    drv, base = browser, airflow
    uwe3 = sorted(p for p, c in browse_lake.PREDICTED.items() if c == 3)
    # not logged in: the page sends the browser to Airflow's login, the JSON API refuses
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(base + "/sarlake/browse/api/search")
    assert refused.value.code == 401
    drv.get(base + "/sarlake/browse/")
    _wait(drv, ec.presence_of_element_located((By.NAME, "username")))
    _shot(drv, "login")
    drv.find_element(By.NAME, "username").send_keys("ann")
    drv.find_element(By.NAME, "password").send_keys(PASSWORD)
    drv.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    _wait(drv, ec.presence_of_element_located((By.CSS_SELECTOR, '[data-count-for="predicted_uwe:UWE_3"]')))
    assert drv.find_element(By.ID, "user").text == "ann"
    assert _count(drv, "predicted_uwe", "UWE_3") == len(uwe3)
    # every product of the lake is in the first page, each with its browse thumbnail loaded
    cards = drv.find_elements(By.CSS_SELECTOR, ".card")
    assert len(cards) == len(browse_lake.PREDICTED)
    _wait(drv, lambda d: all(d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", i)
                             for i in d.find_elements(By.CSS_SELECTOR, ".card img")))
    _shot(drv, "search")
    # first page with thumbnails, end to end in the browser: from the page's navigation start to the last
    # thumbnail received (Resource Timing); a report, not an assertion
    cold = _first_page_ms(drv)  # the server's first search: it opens the lake and materializes the browse table
    drv.refresh()
    _wait(drv, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".card img")) == len(browse_lake.PREDICTED)
          and all(d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", i)
                  for i in d.find_elements(By.CSS_SELECTOR, ".card img")))
    warm = _first_page_ms(drv)
    record_property("first_page_with_thumbnails_ms", {"first_request": cold, "warm": warm})
    print(f"\nfirst page with {len(cards)} thumbnails, navigation start to last thumbnail: first request "
          f"{cold['page_ms']:.0f} ms (search API {cold['search_ms']:.0f} ms), warm {warm['page_ms']:.0f} ms "
          f"(search API {warm['search_ms']:.0f} ms); page says: {warm['timing']}")

    # the sarlake entry is in the Airflow UI's menu (the plugin's external view)
    menu = json.loads(drv.execute_async_script(
        "const cb = arguments[0]; fetch('/api/v2/plugins', {credentials: 'same-origin'}).then(r => r.text()).then(cb)"
        " .catch(e => cb(JSON.stringify({error: String(e)})))"))
    views = [v for p in menu.get("plugins", []) for v in p.get("external_views", [])]
    assert any(v["href"] == "/sarlake/browse/" for v in views), menu

    # filter to UWE_3: exactly the products the lake predicts UWE_3
    drv.find_element(By.CSS_SELECTOR, 'input[data-facet="predicted_uwe"][data-value="UWE_3"]').click()
    _wait(drv, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".card")) == len(uwe3))
    shown = sorted(c.get_attribute("data-product") for c in drv.find_elements(By.CSS_SELECTOR, ".card"))
    assert shown == uwe3
    assert "UWE_3" in drv.find_element(By.ID, "sql").get_attribute("value")
    # consensus UWE_3 among them, before: only the product ann and bob tagged UWE_3
    before = sum(1 for u, p, t in browse_lake.TAGS if t == "UWE_3" and p in uwe3 and u == "ann")
    assert _count(drv, "tag", "UWE_3") == before == 1

    # open the other UWE_3 product (no tags yet) and tag it UWE_3 as ann
    target = next(p for p in uwe3 if not any(tp == p for _, tp, _ in browse_lake.TAGS))
    drv.find_element(By.CSS_SELECTOR, f'.card[data-product="{target}"] a.pid').click()
    _wait(drv, ec.text_to_be_present_in_element((By.ID, "product-id"), target))
    _wait(drv, lambda d: d.execute_script("const i = document.querySelector('img.full');"
                                          " return i && i.complete && i.naturalWidth > 0"))
    assert len(drv.find_elements(By.CSS_SELECTOR, ".layers img")) == 3
    assert "UWE_3" in drv.find_element(By.ID, "prediction").text
    _shot(drv, "product")
    from lake.tags import MAX_COMMENT_LENGTH  # the comment box's limit is the API's (the page carries it)

    assert drv.find_element(By.ID, "tag-comment").get_attribute("maxlength") == str(MAX_COMMENT_LENGTH)
    drv.find_element(By.ID, "tag-comment").send_keys("unwrapping error across the fault")
    drv.find_element(By.CSS_SELECTOR, 'button.tag[data-tag="UWE_3"]').click()
    _wait(drv, ec.text_to_be_present_in_element((By.ID, "tags"), "unwrapping error across the fault"))
    row = [r.text for r in drv.find_elements(By.CSS_SELECTOR, "#tags tr") if "fault" in r.text][0]
    assert row.startswith("ann UWE_3")
    assert "mine" in drv.find_element(By.CSS_SELECTOR, 'button.tag[data-tag="UWE_3"]').get_attribute("class")

    # back to the results: the consensus-tag facet count went up by one
    drv.find_element(By.LINK_TEXT, "← back to results").click()
    _wait(drv, lambda d: d.find_elements(By.CSS_SELECTOR, '[data-count-for="tag:UWE_3"]')
          and _count(d, "tag", "UWE_3") == before + 1)

    # a bad filter: a clear message in the page, a 422 from the API, never a 500
    drv.get(base + "/sarlake/browse/#search?ref_from=2024-13-45")
    _wait(drv, ec.text_to_be_present_in_element((By.ID, "error"), "is not a date"))
    _shot(drv, "bad-filter")

    # the map: AOI outlines and footprints with Leaflet, no tile server
    drv.get(base + "/sarlake/browse/#search")
    _wait(drv, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".card")) == len(browse_lake.PREDICTED))
    drv.find_element(By.ID, "nav-map").click()
    _wait(drv, ec.text_to_be_present_in_element((By.ID, "map-info"), "2 AOIs"))
    assert len(drv.find_elements(By.CSS_SELECTOR, "#map path.leaflet-interactive")) == 2 + len(browse_lake.PREDICTED)
    _shot(drv, "map")

    # operator shortcut: on-demand processing for the sydney AOI from its page, as an ordinary DAG run that
    # Airflow records with ann as the triggering user; in the Airflow UI, whose frame ignores window.confirm()
    drv.get(base + "/plugin/sarlake-browse")
    _wait(drv, ec.frame_to_be_available_and_switch_to_it((By.CSS_SELECTOR, 'iframe[title="Lake browser"]')))
    _wait(drv, ec.presence_of_element_located((By.ID, "logout")))
    drv.execute_script("location.hash = arguments[0]", "aoi/sydney")
    _wait(drv, ec.text_to_be_present_in_element((By.ID, "aoi-name"), "sydney"))
    rows = {tuple(td.text for td in r.find_elements(By.TAG_NAME, "td"))
            for r in drv.find_elements(By.CSS_SELECTOR, "#aoi-products tr") if r.find_elements(By.TAG_NAME, "td")}
    assert sum(int(r[2]) for r in rows) == sum(1 for a in browse_lake.AOI_OF.values() if a == "sydney")
    for field, value in (("od-start", "2024-01-01"), ("od-end", "2024-02-01")):
        drv.find_element(By.ID, field).clear()
        drv.find_element(By.ID, field).send_keys(value)
    _shot(drv, "aoi")
    drv.find_element(By.ID, "run-on-demand").click()  # asked, and cancelled: no run
    _wait(drv, ec.text_to_be_present_in_element((By.ID, "aoi-run"), "AOI sydney from 2024-01-01 to 2024-02-01"))
    drv.find_element(By.CSS_SELECTOR, "#aoi-run button.confirm-cancel").click()
    _wait(drv, ec.text_to_be_present_in_element((By.ID, "aoi-run"), "cancelled"))
    drv.find_element(By.ID, "run-on-demand").click()
    _wait(drv, ec.element_to_be_clickable((By.CSS_SELECTOR, "#aoi-run button.confirm-run"))).click()
    _wait(drv, ec.presence_of_element_located((By.CSS_SELECTOR, "#aoi-run a.run-link")))
    assert drv.find_element(By.CSS_SELECTOR, "#aoi-run .run-user").text == "ann"
    run_id = drv.find_element(By.CSS_SELECTOR, "#aoi-run a.run-link").text
    _shot(drv, "aoi-run")
    token = drv.get_cookie("_token")["value"]
    req = urllib.request.Request(f"{base}/api/v2/dags/on_demand/dagRuns/{urllib.parse.quote(run_id)}",
                                 headers={"Authorization": f"Bearer {token}"})
    run = json.loads(urllib.request.urlopen(req).read())
    assert run["triggering_user_name"] == "ann" and run["run_type"] == "manual"
    assert run["conf"] == {"aoi": "sydney", "start_date": "2024-01-01", "end_date": "2024-02-01"}
    req = urllib.request.Request(f"{base}/api/v2/dags/on_demand/dagRuns", headers={"Authorization": f"Bearer {token}"})
    assert json.loads(urllib.request.urlopen(req).read())["total_entries"] == 1  # the cancelled one never ran
    drv.switch_to.default_content()

    # log out: Airflow revokes the token; the old session cookie no longer gets data
    token = drv.get_cookie("_token")["value"]
    drv.get(base + "/api/v2/auth/logout")
    req = urllib.request.Request(base + "/sarlake/browse/api/search", headers={"Cookie": f"_token={token}"})
    with pytest.raises(urllib.error.HTTPError) as after:
        urllib.request.urlopen(req)
    assert after.value.code in (401, 403)  # Airflow: 401 without a token, 403 for a revoked one
    assert b"product_id" not in after.value.read()
    drv.get(base + "/sarlake/browse/")
    _wait(drv, ec.presence_of_element_located((By.NAME, "username")))


# Run in every new window before its scripts: the browse page's request for api/config never gets an answer, so
# the page is still loading its data (a slow or busy API server) when the user clicks. The URL is checked at the
# call: an iframe's window is made for its first about:blank document and kept for the page loaded into it.
_CONFIG_NEVER_ANSWERS = """const fetchFromTheServer = window.fetch;
window.fetch = (url, opts) => new URL(String(url), location.href).pathname === "/sarlake/browse/api/config"
  ? new Promise(() => {}) : fetchFromTheServer(url, opts);"""


def _top_window_at(drv, prefix: str) -> str:
    """The top window's path once it starts with ``prefix``; fails saying where the window stayed."""
    from selenium.common.exceptions import TimeoutException

    drv.switch_to.default_content()
    try:
        _wait(drv, lambda d: urllib.parse.urlsplit(d.current_url).path.startswith(prefix))
    except TimeoutException:
        raise AssertionError(f"the top window stayed at {drv.current_url} (expected {prefix}...)") from None
    return urllib.parse.urlsplit(drv.current_url).path


def test_links_to_the_airflow_ui_leave_the_airflow_uis_frame(shared, browser):
    """In the Airflow UI the browse page is an iframe (the plugin's external view, /plugin/sarlake-browse) whose
    sandbox allows scripts and the same origin but not top navigation. A product's provenance link (its DAG
    run) and log out opened the Airflow UI inside its own frame; target="_top" alone is refused by that sandbox.
    Followed from the frame, they must replace the whole window, log out even while the page is still waiting
    for its first answer from the server; opened on its own, the page's links are plain links."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    from lake.write import upsert

    drv, (base, settings) = browser, shared
    product = sorted(browse_lake.PREDICTED)[1]
    run_page = f"/dags/on_demand/runs/manual__{product}"
    upsert("provenance", [{"product_id": product, "run_id": f"manual__{product}", "pge_name": "interferogram",
                           "pge_version": "1.2.0", "dag_id": "on_demand", "task_id": "interferogram"}], settings)
    drv.get(base + "/sarlake/browse/")
    _wait(drv, ec.presence_of_element_located((By.NAME, "username")))
    drv.find_element(By.NAME, "username").send_keys("ann")
    drv.find_element(By.NAME, "password").send_keys(PASSWORD)
    drv.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    _wait(drv, ec.presence_of_element_located((By.CSS_SELECTOR, ".card")))

    def click_the_run_link() -> None:
        _wait(drv, ec.text_to_be_present_in_element((By.ID, "product-id"), product))
        _wait(drv, lambda d: d.execute_script(  # the images above the link have their size: it stays where it is
            "return [...document.querySelectorAll('#view-product img')].every((i) => i.complete)"))
        drv.find_element(By.CSS_SELECTOR, f'#view-product a[href="{run_page}"]').click()

    def in_the_airflow_ui() -> None:
        drv.get(base + "/plugin/sarlake-browse")
        _wait(drv, ec.frame_to_be_available_and_switch_to_it((By.CSS_SELECTOR, 'iframe[title="Lake browser"]')))
        _wait(drv, ec.presence_of_element_located((By.ID, "logout")))

    # the page on its own (no frame): a plain link
    drv.get(f"{base}/sarlake/browse/#product/{product}")
    click_the_run_link()
    assert _top_window_at(drv, "/dags/") == run_page

    in_the_airflow_ui()
    drv.execute_script("location.hash = arguments[0]", f"product/{product}")
    click_the_run_link()
    assert _top_window_at(drv, "/dags/") == run_page
    assert not drv.find_elements(By.CSS_SELECTOR, 'iframe[title="Lake browser"]')

    drv.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _CONFIG_NEVER_ANSWERS})
    in_the_airflow_ui()
    assert drv.execute_script("return document.getElementById('view-search').hidden")  # no data shown yet
    drv.find_element(By.ID, "logout").click()
    assert _top_window_at(drv, "/auth/").startswith("/auth/")  # Airflow's login page as the whole window
    assert not drv.find_elements(By.CSS_SELECTOR, 'iframe[title="Lake browser"]')


def _log_in(drv, url: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    drv.get(url)
    _wait(drv, ec.presence_of_element_located((By.NAME, "username")))
    drv.find_element(By.NAME, "username").send_keys("ann")
    drv.find_element(By.NAME, "password").send_keys(PASSWORD)
    drv.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def test_a_time_series_shows_its_track_and_span_and_is_not_offered_reprocessing(shared, browser):
    """An L3 card read "T · →" (no pair dates, no track), and its page offered "Request reprocessing", which the
    server refuses (reprocessing re-unwraps interferograms). Truth: the series' met.json (track 44 ascending,
    first and last dates) and the interferogram rows of the test lake."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    drv, (base, settings) = browser, shared
    series, first, last = browse_lake.SERIES
    browse_lake.add_time_series(settings, orbit=(44, "ascending"))
    _log_in(drv, base + "/sarlake/browse/#search?aoi=sydney")
    card = _wait(drv, ec.presence_of_element_located((By.CSS_SELECTOR, f'.card[data-product="{series}"]')))
    assert f"sydney · T44A · {first} → {last}" in card.text, card.text
    assert "L3_TS" in card.text and "unscored" not in card.text, card.text  # QA scores interferograms only
    _shot(drv, "series-card")
    drv.find_element(By.CSS_SELECTOR, f'.card[data-product="{series}"] a.pid').click()
    _wait(drv, ec.text_to_be_present_in_element((By.ID, "product-id"), series))
    info = drv.find_element(By.CSS_SELECTOR, "#view-product p:nth-of-type(2)").text
    assert f"track 44 A · {first} → {last}" in info, info
    assert not drv.find_elements(By.CSS_SELECTOR, '#view-product button[data-action="reprocess"]')
    restore = drv.find_element(By.CSS_SELECTOR, '#view-product button[data-action="restore"]')
    assert not restore.is_enabled() and "not archived" in restore.get_attribute("title")
    assert not drv.find_elements(By.ID, "quality-failures")  # published: no quarantine line
    assert drv.find_element(By.ID, "prediction").text == "QA scores interferograms (L2_IFG) only: this is L3_TS"
    # an interferogram still offers it, with its pair as its span
    ifg = "IFG_A_03"
    drv.execute_script("location.hash = arguments[0]", f"product/{ifg}")
    _wait(drv, ec.text_to_be_present_in_element((By.ID, "product-id"), ifg))
    assert drv.find_element(By.CSS_SELECTOR, '#view-product button[data-action="reprocess"]').is_enabled()


def test_a_quarantined_product_says_why_on_its_page(shared, browser):
    """A quarantined product's page said only "status quarantined": not which expectations it failed, which the
    gate stored in products.quality_failures. Truth: the failures written into the lake here."""
    import json

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    from lake.write import update

    airflow, settings = shared
    failed = ["expect_column_values_to_be_between(column=nan_share, max_value=0.5, min_value=0)"]
    update("products", [{"product_id": "IFG_A_02", "status": "quarantined", "quality_failures": json.dumps(failed)}],
           settings)
    _log_in(browser, airflow + "/sarlake/browse/#search?aoi=sydney")
    _wait(browser, ec.presence_of_element_located((By.CSS_SELECTOR, '.card[data-product="IFG_A_02"]')))
    browser.execute_script("location.hash = arguments[0]", "product/IFG_A_02")
    _wait(browser, ec.text_to_be_present_in_element((By.ID, "product-id"), "IFG_A_02"))
    line = browser.find_element(By.ID, "quality-failures").text
    assert line == ("Quarantined by the data-quality gate (left out of time series and archive delivery); it failed: "
                    + failed[0] + " (the gate's validations in the Data Docs)")
    link = browser.find_element(By.ID, "data-docs").get_attribute("href")
    assert urllib.parse.urlparse(link).path == "/sarlake/browse/data-docs/index.html"
    _shot(browser, "quarantined-product")


def test_a_restored_product_says_until_when_in_utc(shared, browser):
    """A restored product's page said "tier restored" with no end: a scientist could not tell whether the copy
    would still be there next week. Truth: the expiry written into the lake here, shown in UTC."""
    from datetime import UTC, datetime

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    from lake.write import update

    airflow, settings = shared
    update("products", [{"product_id": "IFG_B_02", "tier": "cached",
                         "cache_expires_at": datetime(2031, 1, 31, 23, 5, tzinfo=UTC)}], settings)
    _log_in(browser, airflow + "/sarlake/browse/#search?aoi=sydney")
    _wait(browser, ec.presence_of_element_located((By.CSS_SELECTOR, '.card[data-product="IFG_B_02"]')))
    browser.execute_script("location.hash = arguments[0]", "product/IFG_B_02")
    _wait(browser, ec.text_to_be_present_in_element((By.ID, "product-id"), "IFG_B_02"))
    assert browser.find_element(By.ID, "tier").text == "restored until 2031-01-31 23:05 UTC"
    _shot(browser, "restored-product")


def test_a_comment_of_several_lines_is_shown_with_its_line_breaks(shared, browser):
    """`sarlake tag import` keeps a spreadsheet cell's line breaks; the product page ran them into one line."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    from lake.tags import Tag, add_tags

    airflow, settings = shared
    add_tags([Tag.of("IFG_A_03", "UWE_1", "carol", "small patch north\nchecked again: still there")], settings)
    _log_in(browser, airflow + "/sarlake/browse/#search?aoi=sydney")
    _wait(browser, ec.presence_of_element_located((By.CSS_SELECTOR, '.card[data-product="IFG_A_03"]')))
    browser.execute_script("location.hash = arguments[0]", "product/IFG_A_03")
    _wait(browser, ec.text_to_be_present_in_element((By.ID, "tags"), "small patch north"))
    (cell,) = [c for c in browser.find_elements(By.CSS_SELECTOR, "#tags td.comment") if "north" in c.text]
    assert cell.text == "small patch north\nchecked again: still there"


def test_the_trigger_form_marks_only_the_fields_that_need_a_value(shared, browser):
    """Airflow's trigger form put its red * "required" by the optional Tracks list of on_demand, and refused a bad
    AOI name with its regex alone. Truth: the DAG's doc (aoi or bbox, tracks empty = the AOI's) and the AOI rule
    of docs/ (1-63 lower-case letters, digits, '_' or '-')."""
    from selenium.webdriver.common.by import By

    drv, (base, _) = browser, shared
    _log_in(drv, base + "/dags/on_demand")

    def trigger_buttons():
        return [b for b in drv.find_elements(By.TAG_NAME, "button") if b.text.strip() == "Trigger"]

    _wait(drv, lambda d: trigger_buttons())[0].click()
    labels = _wait(drv, lambda d: d.execute_script(
        "const l = [...document.querySelectorAll('[role=dialog] label')].map((e) => e.innerText);"
        " return l.some((t) => t.startsWith('Tracks')) ? l : null"))
    marked = {t.replace("*", "").strip(): "*" in t for t in labels}
    assert {k: marked[k] for k in ("AOI", "Bounding box", "Tracks")} == dict.fromkeys(("AOI", "Bounding box",
                                                                                         "Tracks"), False)
    assert marked["Start date"] and marked["End date"]
    drv.find_element(By.ID, "element_aoi").send_keys("Mount Etna")
    trigger_buttons()[-1].click()
    shown = _wait(drv, lambda d: (t := d.execute_script("return document.body.innerText")) and "400 Bad" in t and t)
    _shot(drv, "trigger-bad-aoi")
    assert "'Mount Etna'" in shown and "1-63 lower-case letters" in shown, shown


def test_a_version_a_later_delivery_replaced_in_its_archive_folder_is_not_offered_as_held(shared, browser):
    """An archive rolled before each version had its own folder: version 1.0 and then 1.1 of IFG_A_01 were
    delivered into one folder, so the DAAC holds 1.1 only. The page said "held" for both. Truth: the two
    deliveries written here, the later one into the earlier one's folder."""
    from selenium.webdriver.common.by import By

    from lake.archive_transfers import Transfer, record, transfer_id

    airflow, settings = shared
    pid, folder = "IFG_A_01", "s3://daac/L2_IFG/IFG_A_01"
    for version in ("1.0", "1.1"):  # recorded in this order: 1.1 is the later delivery
        t = Transfer(transfer_id(pid, version, 1), pid, version, 1, "selected", archive_uri=folder)
        record([t.row("catalogued")], settings)
    rows = _delivery_rows(browser, airflow, pid)
    assert [(r[0], r[1], r[3]) for r in rows] == [
        ("1.0", "catalogued (replaced by version 1.1 in the same archive folder)", folder),
        ("1.1", "catalogued (held by the DAAC)", folder)]
    offered = browser.find_element(By.CSS_SELECTOR, "#view-product #deliveries + p").text
    assert offered == f"Copy a version the DAAC holds out of the archive: sarlake archive retrieve {pid} " \
                      "--version VERSION --to FOLDER"
    _shot(browser, "replaced-delivery")


def test_a_delivery_sent_to_the_daac_and_not_answered_says_it_waits_for_the_answer(shared, browser):
    """A delivery between the roll's CNM-S and the DAAC's CNM-R showed only its step, "notified", which a scientist
    cannot read as "in flight". Truth: a transfer recorded here at that step, and one the DAAC refused."""
    from lake.archive_transfers import Transfer, record, transfer_id

    airflow, settings = shared
    pid, folder = "IFG_B_03", "s3://daac/L2_IFG/IFG_B_03-v1"
    refused = Transfer(transfer_id(pid, "1", 1), pid, "1", 1, "selected", archive_uri=folder)
    record([refused.row("failed", reason="DAAC answered FAILURE VALIDATION_ERROR: checksum")], settings)
    sent = Transfer(transfer_id(pid, "1", 2), pid, "1", 2, "selected", archive_uri=folder)
    record([sent.row("notified")], settings)
    rows = _delivery_rows(browser, airflow, pid)
    assert [r[1] for r in rows] == ["failed (DAAC answered FAILURE VALIDATION_ERROR: checksum)",
                                    "notified (sent; waiting for the DAAC's answer)"]
    _shot(browser, "waiting-delivery")


def _delivery_rows(drv, airflow: str, pid: str) -> list[list[str]]:
    """The cells of each row of a product page's At the DAAC table (logged in, from the AOI's search)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    _log_in(drv, airflow + "/sarlake/browse/#search?aoi=sydney")
    _wait(drv, ec.presence_of_element_located((By.CSS_SELECTOR, f'.card[data-product="{pid}"]')))
    drv.execute_script("location.hash = arguments[0]", f"product/{pid}")
    _wait(drv, ec.presence_of_element_located((By.ID, "deliveries")))
    return [[c.text for c in r.find_elements(By.TAG_NAME, "td")]
            for r in drv.find_elements(By.CSS_SELECTOR, "#deliveries tr")[1:]]


def test_the_quality_gates_data_docs_open_from_the_airflow_menu_with_no_internet(shared, browser):
    """The runbook sent operators to a folder of the gate's own disk (a task pod's, in production) for the Data Docs,
    and the pages' scripts come from five CDNs: offline, the index's table of validation results stayed empty.
    Here every https request is blocked; the Airflow menu's Data Docs view must list the validation and open it.
    Truth: a p_error of 1.3 validated here, outside the suite's [0, 1]."""
    import pandas as pd
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    from sarlake.workflows.quality import run_suite

    airflow, settings = shared
    failing = run_suite("qa_predictions", pd.DataFrame({"product_id": ["QA_OK", "QA_BAD"], "p_error": [0.2, 1.3]}),
                        settings)
    assert set(failing) == {"QA_BAD"}
    drv = browser
    drv.execute_cdp_cmd("Network.enable", {})
    drv.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["https://*"]})
    _log_in(drv, airflow + "/sarlake/browse/data-docs/index.html")
    _wait(drv, ec.presence_of_element_located((By.CSS_SELECTOR, "table")))
    drv.get(airflow + "/plugin/sarlake-data-docs")
    _wait(drv, ec.frame_to_be_available_and_switch_to_it((By.CSS_SELECTOR, 'iframe[title="Data Docs (quality gate)"]')))

    def failed_row(d):  # bootstrap-table draws the rows (again as it sorts): look each time
        rows = [r for r in d.find_elements(By.CSS_SELECTOR, "table tbody tr") if "qa_predictions" in r.text]
        return rows[0] if rows and rows[0].find_elements(By.CSS_SELECTOR, "i.ge-failed-icon") else None

    _wait(drv, failed_row)  # listed, with the failed icon
    # the icon is drawn: Font Awesome's stylesheet and its web font came from the plugin
    assert _wait(drv, lambda d: d.execute_script(
        "return document.fonts.check('900 16px \"Font Awesome 6 Free\"')"
        " && [...document.fonts].some((f) => f.family.includes('Font Awesome') && f.status === 'loaded')"))
    _shot(drv, "data-docs")
    _wait(drv, lambda d: failed_row(d).click() is None)  # the row opens its validation result
    _wait(drv, ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Unsuccessful Expectations"))
    body = drv.find_element(By.TAG_NAME, "body").text
    assert "p_error" in body
    assert "Status: Failed" in body.replace("\n", " "), body[:2000]
