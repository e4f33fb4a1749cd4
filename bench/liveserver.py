"""Run `minusma-qa serve` as a real process on a free loopback port, for benches and stress tests.

The service is started exactly as `make run` starts it (the console script, settings from
MINUSMA_* variables), so what is measured is what a user runs.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
CLI = Path(sys.executable).parent / "minusma-qa"
HOST = "127.0.0.1"


class ServerError(RuntimeError):
    """The service did not become ready; the message carries its stderr tail."""


@dataclass(frozen=True, slots=True)
class LiveServer:
    """A started service: its process, base URL, time to answer /health, and its log."""

    process: subprocess.Popen[bytes]
    base_url: str
    ready_s: float
    log_path: Path  # the service's stdout and stderr (uvicorn's log)

    @property
    def pid(self) -> int:
        return self.process.pid


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def service_env(index_dir: Path, **settings: str) -> dict[str, str]:
    """The environment `make run` gives the service, pointed at `index_dir`."""
    env = dict(os.environ)
    env.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        MINUSMA_INDEX_DIR=str(index_dir),
    )
    env.update({f"MINUSMA_{k.upper()}": v for k, v in settings.items()})
    return env


def wait_ready(base_url: str, process: subprocess.Popen[bytes], *, timeout_s: float) -> float:
    """Poll /health until it answers 200; returns the seconds waited (raises on exit or timeout)."""
    start = time.perf_counter()
    with httpx.Client(timeout=2.0) as client:
        while time.perf_counter() - start < timeout_s:
            if process.poll() is not None:
                raise ServerError(f"service exited with code {process.returncode}")
            try:
                if client.get(f"{base_url}/health").status_code == 200:
                    return time.perf_counter() - start
            except httpx.TransportError:
                pass
            time.sleep(0.02)
    raise ServerError(f"service not ready after {timeout_s:.0f} s")


def stop(process: subprocess.Popen[bytes], *, timeout_s: float = 15.0) -> None:
    """SIGTERM (uvicorn's graceful shutdown), then SIGKILL the whole group if it lingers."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout_s)


@contextmanager
def live_server(
    index_dir: Path,
    *,
    workers: int = 1,
    timeout_s: float = 120.0,
    serve_args: Sequence[str] = (),
    **settings: str,
) -> Iterator[LiveServer]:
    """Start the service on a free port, yield once /health answers, always stop it.

    `serve_args` are extra `minusma-qa serve` options; `settings` become MINUSMA_* variables.
    """
    port = free_port()
    command = [str(CLI), "serve", "--host", HOST, "--port", str(port), "--workers", str(workers)]
    command.extend(serve_args)
    log = (Path(tempfile.mkdtemp(prefix="minusma-serve-")) / "serve.log").open("wb")
    start = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=service_env(index_dir, **settings),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stop() ends it and its workers only
    )
    base_url = f"http://{HOST}:{port}"
    try:
        try:
            wait_ready(base_url, process, timeout_s=timeout_s)
        except ServerError as exc:
            log.flush()
            tail = Path(log.name).read_text(encoding="utf-8", errors="replace")[-2000:]
            raise ServerError(f"{exc}\n{tail}") from None
        yield LiveServer(process, base_url, time.perf_counter() - start, Path(log.name))
    finally:
        stop(process)
        log.close()


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants (read from /proc), parents first."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop(0)
        tree.append(current)
        todo.extend(sorted(children.get(current, [])))
    return tree


def role(pid: int, *, root: int, workers: int) -> str:
    """What a process of the service tree is: server, supervisor, worker or helper."""
    if workers == 1 and pid == root:
        return "server"
    if pid == root:
        return "supervisor"
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    return "worker" if b"spawn_main" in cmdline else "helper"


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of one process, in KiB, from /proc/<pid>/status."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values
