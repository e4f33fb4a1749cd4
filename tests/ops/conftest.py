"""Ops fixtures: copies of the real index, and the service started as the container starts it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from index.models import IndexConfig

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
BIN = Path(sys.executable).parent  # the venv's bin: minusma-qa lives here


@dataclass(frozen=True)
class RunningService:
    """The service started by docker/entrypoint.sh on a loopback port."""

    base_url: str
    host: str
    port: int
    ready_s: float
    index_dir: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def copy_index(source: Path, target: Path) -> Path:
    """A private copy of an index directory whose files are hard links where possible.

    Linking keeps the many copies of the ~100 MB index cheap; a test that damages a file
    must replace it, never write into it (see test_index_files.damage), or the damage
    would reach the source index.
    """

    def link_or_copy(src: str, dst: str) -> object:
        try:
            os.link(src, dst)
        except OSError:  # another filesystem
            shutil.copy2(src, dst)
        return dst

    shutil.copytree(source, target, copy_function=link_or_copy)
    return target


@pytest.fixture(scope="session")
def entrypoint_service(
    report_index_dir: Path,
    report_index_config: IndexConfig,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningService]:
    """The service exactly as the container starts it, on a fresh volume.

    The volume holds no index, so the entry point builds one first (like a first
    `docker compose up`); its embedding cache is the one the session's index was built
    with (`report_index_dir` filled it), so that build re-embeds nothing and stays fast.
    """
    assert report_index_config.cache_dir is not None
    volume = tmp_path_factory.mktemp("volume")
    shutil.copytree(report_index_config.cache_dir, volume / "cache")
    index_dir = volume / "index"
    port = _free_port()
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "MINUSMA_INDEX_DIR": str(index_dir),
        "MINUSMA_CACHE_DIR": str(volume / "cache"),
        "MINUSMA_HOST": "127.0.0.1",  # the image binds 0.0.0.0; tests stay on loopback
        "MINUSMA_PORT": str(port),
        "MINUSMA_WORKERS": "1",
        "HF_HUB_OFFLINE": "1",
    }
    log_path = tmp_path_factory.mktemp("logs") / "serve.log"
    log = log_path.open("wb")
    started = time.perf_counter()
    process = subprocess.Popen(
        ["sh", str(ENTRYPOINT)], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        ready = _wait_for_health(base_url, process, log_path, timeout_s=300)
        yield RunningService(base_url, "127.0.0.1", port, ready - started, index_dir)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)
        log.close()


def _wait_for_health(
    base_url: str, process: subprocess.Popen[bytes], log_path: Path, *, timeout_s: float
) -> float:
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
            pytest.fail(f"the entry point exited with {process.returncode} before serving:\n{tail}")
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                return time.perf_counter()
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    pytest.fail(f"the service did not answer /health within {timeout_s} s")
