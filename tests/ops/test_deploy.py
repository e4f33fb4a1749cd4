"""The deployment files agree with the Makefile, the settings and each other.

No Docker engine runs here, so these tests read the Dockerfile, the compose file and the
container's entry point as data and check what the container would do.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "docker-compose.yml"
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
MAKEFILE = ROOT / "Makefile"
DOCKERIGNORE = ROOT / ".dockerignore"

ENV_NAME = re.compile(r"\bMINUSMA_[A-Z0-9_]+\b")
COMPOSE_DEFAULT = re.compile(r"\$\{(?P<name>[A-Z0-9_]+):?-(?P<default>[^}]*)\}")


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction with its continuation lines joined."""

    keyword: str
    args: str


def dockerfile_instructions() -> list[Instruction]:
    """The Dockerfile as (KEYWORD, arguments) in order; comments dropped."""
    logical: list[str] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    out = []
    for line in logical:
        keyword, _, args = line.partition(" ")
        out.append(Instruction(keyword.upper(), args.strip()))
    return out


def dockerfile_env() -> dict[str, str]:
    """Every ENV KEY=VALUE of the Dockerfile (later ones win)."""
    env: dict[str, str] = {}
    for ins in dockerfile_instructions():
        if ins.keyword == "ENV":
            for token in shlex.split(ins.args):
                key, _, value = token.partition("=")
                env[key] = value
    return env


def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def compose_default(value: object) -> str | None:
    """The value a compose entry takes when no host variable overrides it."""
    if value is None:
        return None
    return COMPOSE_DEFAULT.sub(lambda m: m.group("default"), str(value))


def normalise_shell(line: str) -> str:
    """Make/sh variable spellings and quoting reduced to one form, for comparing commands."""
    line = line.strip().lstrip("@")
    line = line.replace("$(BIN)/", "").replace("exec ", "", 1)
    line = re.sub(r"\$\((\w+)\)", r"$\1", line)
    line = re.sub(r"\$\{(\w+)\}", r"$\1", line)
    return line.replace('"', "").replace("'", "")


def make_recipe(target: str) -> list[str]:
    """The recipe lines of one Makefile target."""
    lines = MAKEFILE.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return recipe


def entrypoint_commands() -> list[str]:
    """The entry point's command lines (no comments, no variable defaults, no control flow)."""
    skip = ("#", ":", "set ", "if ", "then", "fi", "export ", 'exec "$@"')
    return [
        line.strip()
        for line in ENTRYPOINT.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.strip().startswith(skip)
    ]


def settings_env_names() -> set[str]:
    return {f"MINUSMA_{name.upper()}" for name in Settings.model_fields}


# --- compose ---------------------------------------------------------------------------------


def test_compose_app_service_has_healthcheck_on_health_endpoint() -> None:
    app = compose()["services"]["app"]
    test = app["healthcheck"]["test"]
    command = " ".join(test) if isinstance(test, list) else str(test)
    assert "/health" in command
    port = re.search(r"127\.0\.0\.1:(\d+)/health", command)
    assert port is not None, command
    assert port.group(1) == dockerfile_env()["MINUSMA_PORT"]
    assert app["healthcheck"]["start_period"], "first start builds the index: needs a start period"


def test_compose_publishes_the_port_the_service_listens_on() -> None:
    app = compose()["services"]["app"]
    container_ports = {str(compose_default(p)).rsplit(":", 1)[-1] for p in app["ports"]}
    assert container_ports == {dockerfile_env()["MINUSMA_PORT"]}


def test_compose_index_lives_in_a_named_volume() -> None:
    data = compose()
    app = data["services"]["app"]
    index_dir = Path(compose_default(app["environment"]["MINUSMA_INDEX_DIR"]) or "")
    mounts = {}
    for volume in app["volumes"]:
        source, target = str(volume).split(":")[:2]
        mounts[source] = Path(target)
    named = [s for s, t in mounts.items() if index_dir == t or t in index_dir.parents]
    assert named, f"no volume holds {index_dir}"
    assert all(name in (data.get("volumes") or {}) for name in named)
    cache_dir = Path(compose_default(app["environment"]["MINUSMA_CACHE_DIR"]) or "")
    assert any(cache_dir == t or t in cache_dir.parents for t in mounts.values())


def test_compose_env_names_are_settings_fields() -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    used = set(ENV_NAME.findall(text))
    assert used, "compose sets no MINUSMA_* setting"
    unknown = used - settings_env_names()
    assert not unknown, f"compose uses env names Settings does not read: {sorted(unknown)}"


def test_compose_env_values_are_valid_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    env = compose()["services"]["app"]["environment"]
    for key, value in env.items():
        default = compose_default(value)
        if default is not None:
            monkeypatch.setenv(key, default)
    settings = Settings()
    assert settings.index_dir == Path(env["MINUSMA_INDEX_DIR"])
    assert settings.workers >= 1


def test_container_serves_with_the_onnx_query_encoder_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MINUSMA_QUERY_ENCODER", raising=False)
    env = compose()["services"]["app"]["environment"]
    assert compose_default(env["MINUSMA_QUERY_ENCODER"]) == "onnx-int8"
    assert dockerfile_env().get("MINUSMA_QUERY_ENCODER", "onnx-int8") == "onnx-int8"
    assert Settings().query_encoder == "onnx-int8"  # what `make run` and the entry point get


def test_compose_llm_profile_is_optional_and_wired_to_the_app() -> None:
    services = compose()["services"]
    assert "profiles" not in services["app"], "the app must start without a profile"
    llm = [name for name, svc in services.items() if "llm" in (svc.get("profiles") or [])]
    assert llm == ["ollama"]
    base_url = compose_default(services["app"]["environment"]["MINUSMA_LLM_BASE_URL"]) or ""
    assert re.match(r"^http://ollama:11434/v1/?$", base_url), base_url
    assert "depends_on" not in services["app"], "a profiled dependency would block the app"


def test_compose_config_accepted_by_docker_compose(tmp_path: Path) -> None:
    if shutil.which("docker-compose"):
        command = ["docker-compose"]
    elif subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        command = ["docker", "compose"]
    else:
        pytest.skip("no docker compose client on this machine")
    for profile in ([], ["--profile", "llm"]):
        result = subprocess.run(
            [*command, "-f", str(COMPOSE), *profile, "config", "--services"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert "app" in result.stdout.split()
    assert "ollama" in result.stdout.split()


# --- Dockerfile ------------------------------------------------------------------------------


def test_dockerfile_base_and_offline_model() -> None:
    instructions = dockerfile_instructions()
    assert instructions[0] == Instruction("FROM", "python:3.11-slim")
    env = dockerfile_env()
    assert env["HF_HUB_OFFLINE"] == "1"
    assert env["TRANSFORMERS_OFFLINE"] == "1"


def test_dockerfile_installs_cpu_torch_pinned_before_the_project() -> None:
    runs = [i.args for i in dockerfile_instructions() if i.keyword == "RUN"]
    torch_runs = [n for n, run in enumerate(runs) if "torch==2.13.0" in run]
    project_runs = [n for n, run in enumerate(runs) if re.search(r"pip install \.(\s|$)", run)]
    assert torch_runs and project_runs
    assert torch_runs[0] < project_runs[0]
    args = {
        i.args.partition("=")[0]: i.args.partition("=")[2]
        for i in dockerfile_instructions()
        if i.keyword == "ARG"
    }
    torch_run = runs[torch_runs[0]]
    index = re.search(r"--index-url\s+\"?\$\{?(\w+)\}?\"?", torch_run)
    assert index is not None, torch_run
    assert args[index.group(1)] == "https://download.pytorch.org/whl/cpu"
    make_setup = MAKEFILE.read_text(encoding="utf-8")
    assert "torch==2.13.0" in make_setup, "Makefile and Dockerfile pin different torch versions"


def test_dockerfile_ships_the_report_where_the_settings_look() -> None:
    instructions = dockerfile_instructions()
    workdir = Path(next(i.args for i in instructions if i.keyword == "WORKDIR"))
    copies = [i.args.split() for i in instructions if i.keyword == "COPY"]
    data_copy = [c for c in copies if c[0] == "data"]
    assert data_copy, "the report (data/) is not copied into the image"
    image_data_dir = workdir / data_copy[0][1]
    sources = [Path(p) for p in json.loads(dockerfile_env()["MINUSMA_SOURCES"])]
    assert sources
    for source in sources:
        assert source.parent == image_data_dir
        assert (ROOT / "data" / source.name).is_file(), f"{source.name} is not in data/"


def test_dockerfile_copies_every_installed_package() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    packages = re.search(r"packages\s*=\s*\[([^\]]*)\]", pyproject)
    assert packages is not None
    wanted = set(re.findall(r'"(\w+)"', packages.group(1)))
    copied = {i.args.split()[0] for i in dockerfile_instructions() if i.keyword == "COPY"}
    assert wanted <= copied, f"not copied: {sorted(wanted - copied)}"


def test_dockerfile_env_names_are_valid_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    env = dockerfile_env()
    names = {k for k in env if k.startswith("MINUSMA_")}
    assert names <= settings_env_names(), sorted(names - settings_env_names())
    for key in names - {"MINUSMA_SOURCES"}:  # the image's path to the report does not exist here
        monkeypatch.setenv(key, env[key])
    settings = Settings()
    assert str(settings.index_dir) == env["MINUSMA_INDEX_DIR"]
    assert settings.port == int(env["MINUSMA_PORT"])


def test_dockerfile_healthcheck_and_entrypoint() -> None:
    instructions = dockerfile_instructions()
    health = [i.args for i in instructions if i.keyword == "HEALTHCHECK"]
    assert len(health) == 1 and "/health" in health[0]
    entry = json.loads(next(i.args for i in instructions if i.keyword == "ENTRYPOINT"))
    copies = [i.args.split() for i in instructions if i.keyword == "COPY"]
    assert ["docker/entrypoint.sh", f"/usr/local/bin/{entry[0]}"] in copies


def test_dockerignore_keeps_local_state_out_of_the_image() -> None:
    ignored = set(DOCKERIGNORE.read_text(encoding="utf-8").split())
    assert {".venv", "var", ".git"} <= ignored
    assert not ignored & {"data", "cli", "service", "index", "ingest", "eval", "docker"}


# --- entry point = Makefile ------------------------------------------------------------------


def test_entrypoint_index_step_is_the_makefile_index_target() -> None:
    make_index = [normalise_shell(line) for line in make_recipe("index")]
    entry = [normalise_shell(line) for line in entrypoint_commands()]
    assert make_index[0] in entry, (make_index, entry)


def test_entrypoint_serve_step_matches_the_makefile_run_target() -> None:
    make_serve = shlex.split(normalise_shell(make_recipe("run")[0]))
    serve = [shlex.split(normalise_shell(c)) for c in entrypoint_commands() if " serve " in c]
    assert len(serve) == 1
    assert serve[0][:2] == make_serve[:2] == ["minusma-qa", "serve"]
    make_options = {t for t in make_serve if t.startswith("--")}
    assert make_options <= set(serve[0]), "the container drops an option `make run` passes"
    assert "--workers" in serve[0]
    entry = entrypoint_commands()
    index_step = next(n for n, c in enumerate(entry) if " index " in c)
    serve_step = next(n for n, c in enumerate(entry) if " serve " in c)
    assert index_step < serve_step


def test_cli_has_the_options_the_container_uses() -> None:
    from typer.testing import CliRunner

    from cli import _register_all, app

    _register_all()
    runner = CliRunner()
    for command, options in (
        ("index", {"--index-dir"}),
        ("serve", {"--host", "--port", "--workers"}),
    ):
        result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        missing = {o for o in options if o not in result.output}
        assert not missing, f"`minusma-qa {command}` lacks {missing}"


def test_entrypoint_runs_given_command_instead_of_serving(tmp_path: Path) -> None:
    result = subprocess.run(
        ["sh", str(ENTRYPOINT), "sh", "-c", 'echo "ran $0"', "ok"],
        capture_output=True,
        text=True,
        env={**os.environ, "MINUSMA_INDEX_DIR": str(tmp_path / "none")},
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ran ok"
    assert not (tmp_path / "none").exists(), "a one-off command must not build the index"
