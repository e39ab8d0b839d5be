"""The health server over real loopback HTTP, with a real Metrics and a real ledger file."""

from __future__ import annotations

import asyncio
import re
import shutil
import socket
import sqlite3
import subprocess
from collections.abc import Awaitable, Callable, Iterator, Mapping
from pathlib import Path

import httpx
import pytest

from heartbeat_bot import __version__
from heartbeat_bot.ledger import Ledger
from heartbeat_bot.web.health import HealthServer, ledger_writable_check, parse_address
from heartbeat_bot.web.metrics import LATENCY_BUCKETS, Metrics

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-z_]+="(?:[^"\\]|\\.)*",?)*\})? (\S+)$')


@pytest.fixture
def ledger_path(tmp_path: Path) -> Iterator[Path]:
    """A real ledger file, created (and migrated) by the Ledger class, kept open meanwhile."""
    path = tmp_path / "state" / "l.sqlite3"
    ledger = Ledger(path)
    try:
        yield path
    finally:
        ledger.close()


def _always() -> bool:
    return True


def _serve(
    metrics: Metrics,
    scenario: Callable[[httpx.AsyncClient], Awaitable[None]],
    *,
    loop_alive: Callable[[], bool] = _always,
    ledger_writable: Callable[[], bool] = _always,
    webhook: Callable[[bytes, Mapping[str, str]], Awaitable[int]] | None = None,
) -> None:
    """Start a HealthServer on a free loopback port and run ``scenario`` against it."""

    async def main() -> None:
        server = HealthServer(
            "127.0.0.1:0",
            metrics,
            loop_alive=loop_alive,
            ledger_writable=ledger_writable,
            webhook=webhook,
        )
        async with server:
            assert server.port > 0
            base = f"http://127.0.0.1:{server.port}"
            async with httpx.AsyncClient(base_url=base) as client:
                await scenario(client)

    asyncio.run(main())


def test_healthz_ok_with_a_real_ledger(ledger_path: Path) -> None:
    """/healthz answers 200 "ok" when the loop is alive and the real ledger is writable."""

    async def scenario(client: httpx.AsyncClient) -> None:
        response = await client.get("/healthz")
        assert (response.status_code, response.text) == (200, "ok\n")

    _serve(Metrics(), scenario, ledger_writable=ledger_writable_check(ledger_path))


def test_healthz_reports_a_stalled_loop(ledger_path: Path) -> None:
    """/healthz answers 503 "scheduler loop stalled" when loop_alive() is false."""

    async def scenario(client: httpx.AsyncClient) -> None:
        response = await client.get("/healthz")
        assert (response.status_code, response.text) == (503, "scheduler loop stalled\n")

    _serve(
        Metrics(),
        scenario,
        loop_alive=lambda: False,
        ledger_writable=ledger_writable_check(ledger_path),
    )


def test_healthz_reports_a_ledger_whose_folder_was_replaced_by_a_file(ledger_path: Path) -> None:
    """/healthz answers 503 when the state folder is deleted and a plain file takes its place.

    This simulates the disk or volume holding the ledger going away under a running
    service: its open connection still "writes", but to an unlinked file that no restart
    will read, and neither the database nor its -wal can be created again. Unlike chmod,
    this stops root too, and the tests run as root.
    """
    state = ledger_path.parent

    async def scenario(client: httpx.AsyncClient) -> None:
        assert (await client.get("/healthz")).status_code == 200
        shutil.rmtree(state)
        state.write_text("not a folder\n")
        await asyncio.sleep(0.05)  # past the check's cache (ttl below)
        response = await client.get("/healthz")
        assert (response.status_code, response.text) == (503, "ledger not writable\n")

    _serve(Metrics(), scenario, ledger_writable=ledger_writable_check(ledger_path, ttl=0.01))
    assert not ledger_path.exists()


def test_healthz_gives_the_reason_the_service_found_its_ledger_unusable(
    ledger_path: Path,
) -> None:
    """/healthz answers 503 with the service's own reason (on one line) while it has one,
    even though the file itself still looks writable."""
    problem: list[str | None] = ["ledger unusable: state.path: cannot use the ledger\n(full)"]

    async def scenario(client: httpx.AsyncClient) -> None:
        response = await client.get("/healthz")
        assert (response.status_code, response.text) == (
            503,
            "ledger unusable: state.path: cannot use the ledger (full)\n",
        )
        problem[0] = None
        assert (await client.get("/healthz")).status_code == 200

    async def main() -> None:
        server = HealthServer(
            "127.0.0.1:0",
            Metrics(),
            loop_alive=_always,
            ledger_writable=ledger_writable_check(ledger_path),
            ledger_problem=lambda: problem[0],
        )
        async with server, httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as c:
            await scenario(c)

    asyncio.run(main())


def test_ledger_check_fails_when_the_file_is_replaced_by_a_folder(ledger_path: Path) -> None:
    """The check fails, and creates nothing, when a directory stands where the ledger was."""
    ledger_path.unlink()
    ledger_path.mkdir()
    assert ledger_writable_check(ledger_path)() is False
    assert list(ledger_path.iterdir()) == []


def test_ledger_check_does_not_create_a_missing_ledger(tmp_path: Path) -> None:
    """A ledger renamed away is reported unwritable rather than silently recreated empty."""
    path = tmp_path / "l.sqlite3"
    Ledger(path).close()
    path.rename(tmp_path / "moved.sqlite3")
    assert ledger_writable_check(path)() is False
    assert not path.exists()


def test_ledger_check_counts_a_busy_ledger_as_writable(ledger_path: Path) -> None:
    """While another connection holds the write lock, the ledger still counts as writable."""
    other = sqlite3.connect(ledger_path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        assert ledger_writable_check(ledger_path)() is True
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_ledger_check_caches_its_answer(ledger_path: Path) -> None:
    """Within the ttl the check answers from its cache; after it, it looks at the disk again."""
    now = [100.0]
    check = ledger_writable_check(ledger_path, ttl=1.0, clock=lambda: now[0])
    assert check() is True
    shutil.rmtree(ledger_path.parent)
    now[0] += 0.5
    assert check() is True
    now[0] += 0.6
    assert check() is False


def test_metrics_page_parses_and_counts(ledger_path: Path) -> None:
    """/metrics is Prometheus text whose every sample line parses and shows the counters."""
    metrics = Metrics()
    metrics.post_seen(3)
    metrics.git_fetched()
    metrics.announced("discord", "done")
    metrics.announced("discord", "done")
    metrics.announced("x", "failed")
    metrics.retry("discourse")
    metrics.scan_succeeded(1_700_000_000.5)
    metrics.set_queue_size(4)
    metrics.set_scheduled(2)
    metrics.set_problem_posts(1)
    metrics.set_pairs({("discord", "done"): 2, ("x", "failed"): 1})
    metrics.published_to_done("discord", 3.5)

    async def scenario(client: httpx.AsyncClient) -> None:
        response = await client.get("/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
        values: dict[str, float] = {}
        for line in response.text.splitlines():
            if line.startswith("#"):
                assert re.match(r"^# (HELP|TYPE) (heartbeat|process|python)_\w+ \S", line), line
                continue
            match = SAMPLE.match(line)
            assert match, line
            values[match.group(1) + (match.group(2) or "")] = float(match.group(3))
        ours = {key: value for key, value in values.items() if key.startswith("heartbeat_")}
        assert ours == {
            f'heartbeat_build_info{{version="{__version__}"}}': 1,
            "heartbeat_up": 1,
            "heartbeat_posts_seen_total": 3,
            'heartbeat_announcements_total{channel="discord",outcome="done"}': 2,
            'heartbeat_announcements_total{channel="x",outcome="failed"}': 1,
            'heartbeat_retries_total{channel="discourse"}': 1,
            "heartbeat_last_scan_success_timestamp_seconds": 1_700_000_000.5,
            "heartbeat_queue_size": 4,
            "heartbeat_scheduled_posts": 2,
            "heartbeat_posts_with_problems": 1,
            "heartbeat_git_fetches_total": 1,
            'heartbeat_pairs{channel="discord",state="done"}': 2,
            'heartbeat_pairs{channel="x",state="failed"}': 1,
            **{
                f'heartbeat_publish_to_done_seconds_bucket{{channel="discord",le="{le}"}}': (
                    0 if le in ("1.0", "2.0") else 1
                )
                for le in [f"{float(b)}" for b in LATENCY_BUCKETS] + ["+Inf"]
            },
            'heartbeat_publish_to_done_seconds_count{channel="discord"}': 1,
            'heartbeat_publish_to_done_seconds_sum{channel="discord"}': 3.5,
        }
        assert values["process_resident_memory_bytes"] > 0
        assert "process_cpu_seconds_total" in values

    _serve(metrics, scenario, ledger_writable=ledger_writable_check(ledger_path))
    assert metrics.last_scan == 1_700_000_000.5


def test_no_scan_time_before_the_first_scan() -> None:
    """Before any scan the last-scan gauge has no sample, rather than a made-up 1970."""
    page = Metrics().render()
    assert "# TYPE heartbeat_last_scan_success_timestamp_seconds gauge" in page
    assert "\nheartbeat_last_scan_success_timestamp_seconds " not in page


def test_pairs_gauge_drops_to_zero_for_a_state_left() -> None:
    """A (channel, state) no longer in the ledger reads 0 instead of its last count."""
    metrics = Metrics()
    metrics.set_pairs({("discord", "waiting"): 2})
    metrics.set_pairs({("discord", "done"): 2})
    page = metrics.render()
    assert 'heartbeat_pairs{channel="discord",state="waiting"} 0.0' in page
    assert 'heartbeat_pairs{channel="discord",state="done"} 2.0' in page


def test_metrics_page_passes_promtool(tmp_path: Path) -> None:
    """promtool check metrics, Prometheus's own linter, finds nothing wrong with the page."""
    promtool = shutil.which("promtool")
    assert promtool, "promtool comes with Debian's prometheus package (.ci/run installs it)"
    metrics = Metrics()
    metrics.announced("discord", "done")
    metrics.retry("x")
    metrics.scan_succeeded(1_700_000_000.0)
    metrics.set_pairs({("discord", "done"): 1})
    metrics.published_to_done("discord", 2.0)
    done = subprocess.run(
        [promtool, "check", "metrics"],
        input=metrics.render(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and not (done.stdout + done.stderr).strip(), (
        done.stdout + done.stderr
    )


def test_metrics_escapes_label_values() -> None:
    """A quote, backslash or newline in a label value is escaped, keeping one sample a line."""
    metrics = Metrics()
    metrics.retry('we"ird\\chan\nnel')
    assert 'heartbeat_retries_total{channel="we\\"ird\\\\chan\\nnel"} 1.0\n' in metrics.render()


def test_unknown_route_and_github_webhook_without_a_handler_are_404() -> None:
    """An unknown path is 404, and so is /webhooks/github when no handler was given."""

    async def scenario(client: httpx.AsyncClient) -> None:
        assert (await client.get("/nope")).status_code == 404
        assert (await client.post("/webhooks/github", content=b"{}")).status_code == 404

    _serve(Metrics(), scenario)


def test_github_webhook_handler_gets_body_and_headers() -> None:
    """With a handler, POST /webhooks/github passes it the raw body and headers, and its status."""
    calls: list[tuple[bytes, str | None]] = []

    async def handler(body: bytes, headers: Mapping[str, str]) -> int:
        calls.append((body, headers.get("X-GitHub-Event")))
        return 202

    async def scenario(client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/webhooks/github", content=b'{"ref": "main"}', headers={"x-github-event": "push"}
        )
        assert response.status_code == 202

    _serve(Metrics(), scenario, webhook=handler)
    assert calls == [(b'{"ref": "main"}', "push")]


def test_listens_on_ipv6_loopback() -> None:
    """The "[::1]:0" form binds the IPv6 loopback on a free port."""
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")

    async def main() -> None:
        server = HealthServer("[::1]:0", Metrics(), loop_alive=_always, ledger_writable=_always)
        async with server, httpx.AsyncClient() as client:
            response = await client.get(f"http://[::1]:{server.port}/healthz")
            assert response.status_code == 200

    asyncio.run(main())


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("127.0.0.1:8080", ("127.0.0.1", 8080)),
        ("[::1]:8080", ("::1", 8080)),
        (":9000", (None, 9000)),
        ("localhost:0", ("localhost", 0)),
    ],
)
def test_parse_address(address: str, expected: tuple[str | None, int]) -> None:
    """host:port, [v6]:port and :port (all interfaces) are all understood."""
    assert parse_address(address) == expected


def test_parse_address_rejects_garbage() -> None:
    """An address without a port is a one-line error naming service.http."""
    with pytest.raises(ValueError, match=r"service\.http"):
        parse_address("localhost")
