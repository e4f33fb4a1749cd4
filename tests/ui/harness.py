"""Browser-test harness: the real server in a subprocess, headless Debian Chromium, page watchers.

The server is started exactly as users start it (`minusma-qa serve`) on a free port, with
MINUSMA_INDEX_DIR pointing at a real index. Chromium comes from Debian (/usr/bin/chromium);
no browser is ever downloaded. Each page records every request URL and every JavaScript
error so tests can assert that nothing leaves localhost and nothing throws.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "ui"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
SERVER_START_TIMEOUT_S = 240.0
DESKTOP = {"width": 1280, "height": 860}
NARROW = {"width": 390, "height": 844}

NO_CHROMIUM = (
    "Debian chromium is not installed at /usr/bin/chromium "
    "(install it with `make browser` or `apt-get install -y chromium`)"
)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def minusma_cli() -> list[str]:
    """The `minusma-qa` command of the interpreter running the tests."""
    script = Path(sys.executable).with_name("minusma-qa")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from cli import main; main()"]


def server_env(index_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a served index: offline, this index, nothing else inherited."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("MINUSMA_") or key == "MINUSMA_CACHE_DIR"
    }
    env.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        MINUSMA_INDEX_DIR=str(index_dir),
    )
    env.update(extra)
    return env


@dataclass
class Server:
    """A running `minusma-qa serve` process."""

    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_server(index_dir: Path, log_dir: Path, **env: str) -> Server:
    """Start `minusma-qa serve` on a free port and wait until /health answers."""
    port = free_port()
    log_path = log_dir / f"server-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*minusma_cli(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=server_env(index_dir, **env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with code {process.returncode}:\n{server.log()}")
        try:
            with urllib.request.urlopen(f"{server.base_url}/health", timeout=2) as response:
                if response.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    server.stop()
    pytest.fail(
        f"the server did not answer /health within {SERVER_START_TIMEOUT_S:.0f} s:\n{server.log()}"
    )


def get_json(url: str, *, headers: dict[str, str] | None = None) -> Any:
    """GET a JSON document from the test server."""
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


@dataclass
class Watched:
    """A page plus everything it requested and every JavaScript error it raised."""

    page: Any
    base_url: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def foreign_requests(self) -> list[str]:
        """Requested URLs whose host is not this machine (data: and blob: URLs are local)."""
        foreign = []
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme in {"data", "blob", "about"}:
                continue
            if parts.hostname not in LOCAL_HOSTS:
                foreign.append(url)
        return foreign

    def assert_clean(self) -> None:
        assert self.requests, "the page made no requests at all: the watcher is not attached"
        assert self.foreign_requests() == [], "requests left localhost"
        assert self.errors == [], "JavaScript errors on the page"


def open_page(browser: Any, base_url: str, *, viewport: dict[str, int] = DESKTOP) -> Watched:
    """A fresh context (own storage, clipboard allowed for the server's origin) and page."""
    context = browser.new_context(viewport=viewport, locale="nl-NL")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page = context.new_page()
    page.set_default_timeout(30_000)
    watched = Watched(page, base_url)
    page.on("request", lambda request: watched.requests.append(request.url))
    page.on("pageerror", lambda error: watched.errors.append(f"pageerror: {error}"))
    page.on("console", lambda message: _console(watched, message))
    return watched


def _console(watched: Watched, message: Any) -> None:
    # Chromium logs every HTTP error response ("Failed to load resource: ... 422") as a
    # console error; those are network events the tests assert on explicitly, not JS errors.
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        watched.errors.append(f"console: {message.text}")


def copy_fixture(name: str, target: Path) -> Path:
    """Copy a file from tests/ui/fixtures into `target` and return its new path."""
    destination = target / name
    shutil.copyfile(Path(__file__).with_name("fixtures") / name, destination)
    return destination
