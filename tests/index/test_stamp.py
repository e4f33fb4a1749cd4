"""The verification stamp: unchanged files are not hashed again; any change is."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from index.encoders import stamp as stamp_module
from index.encoders.stamp import STAMP, digests_match

FILES = {"model.safetensors": b"weights " * 1000, "sub/config.json": b'{"a": 1}'}


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    for name, content in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(content)
    return tmp_path


@pytest.fixture()
def hashed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files the stamp check hashes (the real hash, counted)."""
    names: list[str] = []
    real: Callable[[Path], str] = stamp_module.sha256

    def counting(path: Path) -> str:
        names.append(path.name)
        return real(path)

    monkeypatch.setattr(stamp_module, "sha256", counting)
    return names


def _expected() -> dict[str, str]:
    return {name: hashlib.sha256(content).hexdigest() for name, content in FILES.items()}


def test_only_changed_files_are_hashed_again(folder: Path, hashed: list[str]) -> None:
    assert digests_match(folder, _expected())
    assert sorted(hashed) == ["config.json", "model.safetensors"]
    assert (folder / STAMP).is_file()
    hashed.clear()
    assert digests_match(folder, _expected())
    assert hashed == []
    config = folder / "sub" / "config.json"
    config.write_bytes(b'{"a": 2}')  # same size, new mtime
    assert not digests_match(folder, _expected())
    assert hashed == ["config.json"]


def test_a_change_that_keeps_the_mtime_but_not_the_size_is_caught(folder: Path) -> None:
    assert digests_match(folder, _expected())
    weights = folder / "model.safetensors"
    stat = weights.stat()
    weights.write_bytes(FILES["model.safetensors"] + b"x")
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert not digests_match(folder, _expected())


def test_a_new_expected_digest_is_checked(folder: Path, hashed: list[str]) -> None:
    assert digests_match(folder, _expected())
    hashed.clear()
    assert not digests_match(folder, {**_expected(), "model.safetensors": "0" * 64})
    assert hashed == ["model.safetensors"]


@pytest.mark.parametrize("content", [b"", b"[1, 2]", b'{"files": {"model.safetensors": 3}}'])
def test_a_damaged_stamp_is_replaced_after_a_full_check(
    folder: Path, hashed: list[str], content: bytes
) -> None:
    (folder / STAMP).write_bytes(content)
    assert digests_match(folder, _expected())
    assert sorted(hashed) == ["config.json", "model.safetensors"]
    entries = json.loads((folder / STAMP).read_text(encoding="utf-8"))["files"]
    assert {name: entry["sha256"] for name, entry in entries.items()} == _expected()
    assert sorted(p.name for p in folder.iterdir()) == sorted([STAMP, "model.safetensors", "sub"])


def test_a_missing_file_raises(folder: Path) -> None:
    (folder / "model.safetensors").unlink()
    with pytest.raises(FileNotFoundError):
        digests_match(folder, _expected())
