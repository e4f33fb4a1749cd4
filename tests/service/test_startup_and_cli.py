"""Startup without an index fails in one line; `ask` and `cite` print answers with references."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cli import _register_all, app
from service.app import create_app
from service.cite import REPORT_REFERENCE
from service.errors import ServiceError
from service.settings import Settings


def test_the_app_does_not_start_without_an_index(tmp_path: Path) -> None:
    application = create_app(Settings(index_dir=tmp_path / "missing"))
    with (
        pytest.raises(ServiceError, match="build it with `minusma-qa index"),
        TestClient(application),
    ):
        pass


def test_serve_without_an_index_prints_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "MINUSMA_INDEX_DIR": str(tmp_path / "missing")}
    done = subprocess.run(
        [sys.executable, "-c", "from cli import main; main()", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "minusma-qa index" in lines[0]


@pytest.fixture(scope="module")
def cli(report_index_dir: Path) -> CliRunner:
    _register_all()
    return CliRunner(env={"MINUSMA_INDEX_DIR": str(report_index_dir)})


def test_ask_prints_the_answer_and_its_references(cli: CliRunner) -> None:
    result = cli.invoke(app, ["ask", "Waarom werden de Nederlandse helikopters teruggetrokken?"])
    assert result.exit_code == 0, result.output
    assert "[1]" in result.output and REPORT_REFERENCE in result.output


def test_cite_prints_the_verdict_and_references(cli: CliRunner) -> None:
    result = cli.invoke(
        app, ["cite", "De Chinooks en Apaches werden in 2017 abrupt teruggetrokken."]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("verdict: ")
    assert REPORT_REFERENCE in result.output
