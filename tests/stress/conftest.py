"""Stress tests run only when selected with `-m stress` (`make stress`); `make test` skips them."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "stress" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="stress test: run it with `make stress`")
    for item in items:
        if item.get_closest_marker("stress") is not None:
            item.add_marker(skip)
