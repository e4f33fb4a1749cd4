"""kill -9 during `minusma-qa index` at random moments: the old index survives, a rebuild works.

Each trial starts a real rebuild of the report into a directory that already holds a
working index, kills it with SIGKILL after a random delay, then checks that the index
directory loads and answers a search (either the previous index, or the new one if the
build had already finished), and that the killed build's temporary directory is gone
(the load removes it: index/atomic.py `remove_stale_temp_dirs`). Half the trials use the
warm embedding cache (a rebuild that never loads the model, so kills land in the write and
swap phase), half start from an empty cache (kills land in the model load and embedding
phase, and may hit the cache database mid-write). After all trials, a rebuild on the cache
of the last killed cold build and one on the warm cache must succeed, and the service must
serve the result.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from index.load import load_index
from index.models import IndexConfig
from service.settings import Settings

pytestmark = pytest.mark.stress

CLI = Path(sys.executable).parent / "minusma-qa"
ROOT = Path(__file__).resolve().parents[2]
KILLS_WANTED = 10
MAX_TRIALS = 24


def rebuild(index_dir: Path, cache_dir: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MINUSMA_CACHE_DIR": str(cache_dir), "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen(
        [str(CLI), "index", "--index-dir", str(index_dir)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def timed_rebuild(index_dir: Path, cache_dir: Path) -> float:
    start = time.perf_counter()
    process = rebuild(index_dir, cache_dir)
    _, err = process.communicate(timeout=1800)
    assert process.returncode == 0, err.decode(errors="replace")
    return time.perf_counter() - start


def check_serves(index_dir: Path) -> str:
    """Load the index as the service does and search it; return its manifest text."""
    index = load_index(index_dir, config=Settings(index_dir=index_dir).index_config())
    query = index.passages[len(index.passages) // 2].section_title or index.passages[0].text
    assert index.search(query, k=5), "the surviving index returns nothing"
    return (index_dir / "manifest.json").read_text(encoding="utf-8")


@pytest.mark.timeout(3600)
def test_kill_9_during_rebuild_never_loses_the_index(
    report_index_dir: Path, report_index_config: IndexConfig, tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    shutil.copytree(report_index_dir, index_dir)
    warm_cache = tmp_path / "warm-cache"
    assert report_index_config.cache_dir is not None
    shutil.copytree(report_index_config.cache_dir, warm_cache)
    warm_s = timed_rebuild(index_dir, warm_cache)  # how long a warm rebuild takes here
    cold_s = timed_rebuild(tmp_path / "cold-probe", tmp_path / "cold-probe-cache")
    manifest = check_serves(index_dir)

    rng = random.Random(int(os.environ.get("STRESS_SEED", "20220614")))
    kills, trials, log = 0, 0, []
    interrupted_cache: Path | None = None  # a cold cache whose build was killed mid-way
    while kills < KILLS_WANTED and trials < MAX_TRIALS:
        trials += 1
        cold = trials % 2 == 0
        cache = tmp_path / f"cold-cache-{trials}" if cold else warm_cache
        delay = rng.uniform(0.05, 0.95 * (cold_s if cold else warm_s))
        process = rebuild(index_dir, cache)
        time.sleep(delay)
        killed = process.poll() is None
        if killed:
            process.send_signal(signal.SIGKILL)
            kills += 1
            interrupted_cache = cache if cold else interrupted_cache
        process.wait(timeout=60)
        log.append(f"trial {trials}: {'cold' if cold else 'warm'} killed={killed} at {delay:.2f}s")
        # Killed or not, what is there must load with every checksum right and answer: the
        # previous index (never swapped out) or a complete new one (swapped in before the kill).
        manifest = check_serves(index_dir)
    assert kills >= KILLS_WANTED, "\n".join(log)

    # Every check_serves (load_index) removed the temporary directory the killed build left.
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".index.tmp-"))
    assert not leftovers, f"stale build directories survived a load: {leftovers}"
    assert interrupted_cache is not None, "no cold build was killed:\n" + "\n".join(log)
    timed_rebuild(index_dir, interrupted_cache)  # whatever the kill left in that cache
    check_serves(index_dir)
    final_s = timed_rebuild(index_dir, warm_cache)
    final = check_serves(index_dir)
    assert final != manifest, "the final rebuild did not replace the index"
    left_after = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".index."))
    assert not left_after, f"a finished rebuild left {left_after}"
    print(
        "\n".join(log),
        f"\nleftover temp dirs after kills: {leftovers}; after rebuild: "
        f"{left_after}; warm {warm_s:.1f}s cold {cold_s:.1f}s final {final_s:.1f}s",
    )
    _serve_once(index_dir)


def _serve_once(index_dir: Path) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from liveserver import live_server
    from workload import report_queries

    query = report_queries(index_dir, n=1)[0]
    with live_server(index_dir, timeout_s=300) as server:
        response = httpx.post(f"{server.base_url}/api/search", json={"query": query}, timeout=60)
        assert response.status_code == 200
        assert response.json()["results"]
