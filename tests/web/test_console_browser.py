"""The console in real headless Chromium (Debian's `chromium` and `chromium-driver`).

Selenium drives the system's chromedriver against a real `heartbeat-bot run` and the
sandbox: log in, see the posts and their states, filter, retry a failed pair and watch it
turn done, settle an unknown one, refuse a wrong password. axe-core (npm, pinned in
tests/oracle) checks every page for serious or critical accessibility violations, and a
screenshot of every page is saved under the test's output folder.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service as DriverService
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from heartbeat_bot.sandbox import Sandbox
from tests.conftest import ROOT
from tests.oracle import axe_script
from tests.web.console_env import PASSWORD, ConsoleService, start

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,900",
)
AXE_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ["violations"]}).then(
  (result) => done(result.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5)}))),
  (error) => done([{id: "axe-error", impact: "critical", help: String(error), nodes: []}]));
"""


def _binary(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    raise AssertionError(
        f"{' or '.join(names)} not found: install Debian's chromium and chromium-driver "
        "(.ci/run does)"
    )


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleService]:
    """A running service with the console on, in the states console_env describes."""
    with Sandbox(rate_limit_wait=0.2) as sandbox:
        service = start(tmp_path_factory.mktemp("console-browser"), sandbox)
        try:
            yield service
        finally:
            assert service.running.stop() == 0, service.log()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    """Headless Chromium with a fresh profile, driven through the system chromedriver."""
    options = webdriver.ChromeOptions()
    options.binary_location = _binary("chromium", "chromium-browser")
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(
        options=options, service=DriverService(executable_path=_binary("chromedriver"))
    )
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def shots() -> Path:
    """Where the screenshots go: ``.cache/console-screenshots/`` at the project root (or
    ``$HEARTBEAT_SCREENSHOTS``), emptied first, kept after the run for a person to see."""
    folder = Path(os.environ.get("HEARTBEAT_SCREENSHOTS", ROOT / ".cache" / "console-screenshots"))
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    print(f"console screenshots: {folder}")
    return folder


def wait_until(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def inspect(driver: WebDriver, console: ConsoleService, shots: Path, name: str) -> None:
    """Check the page shown: no serious or critical axe violation, no secret; screenshot."""
    driver.save_screenshot(str(shots / f"{name}.png"))
    driver.execute_script(axe_script())
    violations = driver.execute_async_script(AXE_RUN)
    serious = [v for v in violations if v["impact"] in {"serious", "critical"}]
    assert not serious, f"{name}: {serious}"
    source = driver.page_source
    for secret in console.secrets:
        assert secret not in source, f"{name}: a secret ({secret[:4]}...) is in the page"


def log_in(driver: WebDriver, console: ConsoleService, password: str) -> None:
    driver.get(console.base + "/login")
    driver.find_element(By.ID, "username").clear()
    driver.find_element(By.ID, "username").send_keys("admin")
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form.login button").click()


def text_of(driver: WebDriver, selector: str, attribute: str | None = None) -> str:
    """An element's text (or attribute), "" while the page reloads (it polls for changes)."""
    try:
        found = driver.find_elements(By.CSS_SELECTOR, selector)
        if not found:
            return ""
        value = found[0].get_attribute(attribute) if attribute else found[0].text
        return str(value or "")
    except WebDriverException:  # stale, or "does not belong to the document": a reload
        return ""


def badge(driver: WebDriver, channel: str) -> str:
    """The pair's state as the page shows it ("" while the page is reloading)."""
    try:
        found = driver.find_elements(By.CSS_SELECTOR, f"#pair-{channel} .badge")
        return str(found[0].text) if found else ""
    except WebDriverException:  # the page reloaded under our feet
        return ""


def test_a_wrong_password_is_refused_in_the_browser(
    browser: WebDriver, console: ConsoleService, shots: Path
) -> None:
    """The login page says the password is wrong and shows no post."""
    log_in(browser, console, "not the password")
    alert = wait_until(lambda: browser.find_elements(By.CSS_SELECTOR, "[role=alert]"), "alert")
    assert "Wrong name or password" in alert[0].text
    assert "Posts" not in browser.title
    inspect(browser, console, shots, "login-refused")


def test_the_posts_and_their_states_then_filter_failed(
    browser: WebDriver, console: ConsoleService, shots: Path
) -> None:
    """After login every post shows with its channels' states; "Failed" keeps one."""
    log_in(browser, console, PASSWORD)
    wait_until(lambda: browser.title.startswith("Posts"), "the posts page")
    rows = browser.find_elements(By.CSS_SELECTOR, "table.posts tbody tr")
    slugs = [r.get_attribute("data-slug") for r in rows]
    assert slugs[:2] == ["later", "april-20-dvc-heartbeat"]  # newest first
    assert set(slugs) == {"later", "april-20-dvc-heartbeat", "march-20-dvc-heartbeat", "draft"}
    text = browser.find_element(By.CSS_SELECTOR, "table.posts").text
    for word in ("failed", "unknown", "done", "scheduled", "draft", "PDT"):
        assert word in text, word
    inspect(browser, console, shots, "posts")
    browser.find_element(By.LINK_TEXT, "Failed 1").click()
    wait_until(lambda: "filter=failed" in browser.current_url, "the filter")
    rows = browser.find_elements(By.CSS_SELECTOR, "table.posts tbody tr")
    assert [r.get_attribute("data-slug") for r in rows] == [console.slug_in("failed")]
    inspect(browser, console, shots, "posts-failed")


def test_retry_a_failed_pair_and_watch_it_turn_done(
    browser: WebDriver, console: ConsoleService, shots: Path
) -> None:
    """Retry sends the failed Discord message again; the page updates itself to done."""
    slug = console.slug_in("failed")
    browser.get(f"{console.base}/posts/{slug}")
    assert badge(browser, "discord") == "failed"
    assert "503" in browser.find_element(By.ID, "pair-discord").text
    inspect(browser, console, shots, "post-failed")
    browser.find_element(By.ID, "retry-discord").click()
    wait_until(lambda: badge(browser, "discord") == "done", "discord to turn done", 60)
    assert console.pairs()[(slug, "discord")] == "done"
    wait_until(lambda: "resolved:pending" in text_of(browser, "table.history"), "the history")
    inspect(browser, console, shots, "post-retried")


def test_settle_an_unknown_pair_with_its_link(
    browser: WebDriver, console: ConsoleService, shots: Path
) -> None:
    """Marking the unknown pair done with the link where it went out records that link."""
    slug = console.slug_in("unknown")
    browser.get(f"{console.base}/posts/{slug}")
    assert badge(browser, "discord") == "unknown"
    inspect(browser, console, shots, "post-unknown")
    link = "https://discord.com/channels/1/2/345"
    browser.find_element(By.ID, "url-discord").send_keys(link)
    browser.find_element(By.ID, "done-discord").click()
    wait_until(lambda: badge(browser, "discord") == "done", "discord to be settled")
    wait_until(lambda: text_of(browser, "#pair-discord a", "href") == link, "the link")
    assert console.pairs()[(slug, "discord")] == "done"
    assert "by admin from 127.0.0.1" in console.log()


def test_upcoming_and_health_pages(
    browser: WebDriver, console: ConsoleService, shots: Path
) -> None:
    """Upcoming lists the scheduled post with its moment; health shows the last scan."""
    browser.get(console.base + "/upcoming")
    assert "Coming later" in browser.find_element(By.CSS_SELECTOR, "table.upcoming").text
    inspect(browser, console, shots, "upcoming")
    browser.get(console.base + "/health")
    facts = browser.find_element(By.CSS_SELECTOR, "dl.facts").text
    assert "usable" in facts and "not yet" not in facts.split("Last fetch")[0]
    inspect(browser, console, shots, "health")
    browser.get(console.base + "/posts/later")
    assert "as it would be sent now" in browser.page_source
    inspect(browser, console, shots, "post-scheduled")
    assert len(list(shots.glob("*.png"))) >= 8


def test_logging_out_ends_the_session(browser: WebDriver, console: ConsoleService) -> None:
    """After logging out the pages send the browser back to the login form."""
    browser.get(console.base + "/")
    browser.find_element(By.CSS_SELECTOR, "form.logout button").click()
    wait_until(lambda: browser.current_url.endswith("/login"), "the login page")
    browser.get(console.base + "/health")
    assert browser.current_url.endswith("/login")


def test_approve_a_waiting_post_and_watch_it_go_out(
    browser: WebDriver, shots: Path, tmp_path: Path
) -> None:
    """A post awaiting approval shows its previews; Approve sends it and the page says done."""
    with Sandbox(rate_limit_wait=0.2) as sandbox:
        waiting = start(tmp_path, sandbox, approval={"mode": "required"})
        try:
            browser.delete_all_cookies()
            log_in(browser, waiting, PASSWORD)
            wait_until(lambda: browser.title.startswith("Posts"), "the posts page")
            browser.get(waiting.base + "/?filter=awaiting_approval")
            wait_until(
                lambda: (
                    len(browser.find_elements(By.CSS_SELECTOR, "table.posts tbody tr")) == 2
                    and "awaiting approval" in text_of(browser, "table.posts tbody tr")
                ),
                "two posts awaiting approval",
            )
            inspect(browser, waiting, shots, "posts-awaiting")
            slug = "april-20-dvc-heartbeat"
            browser.get(f"{waiting.base}/posts/{slug}")
            wait_until(
                lambda: "awaiting approval" in text_of(browser, "#approval-state"),
                "the post awaiting approval",
            )
            assert "as it would be sent now" in browser.page_source  # the previews
            inspect(browser, waiting, shots, "post-awaiting")
            browser.find_element(By.ID, "approve").click()
            wait_until(
                lambda: all(
                    badge(browser, c) == "done" for c in ("discourse", "discord", "twitter")
                ),
                "every channel to turn done",
                60,
            )
            wait_until(
                lambda: "approved by admin (console)" in text_of(browser, "#approval-state"),
                "the approval on the page",
            )
            inspect(browser, waiting, shots, "post-approved")
        finally:
            assert waiting.running.stop() == 0, waiting.log()
