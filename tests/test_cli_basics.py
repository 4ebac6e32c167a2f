"""The command-line contract: version, help, project discovery and error reporting."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

import guidebook_kg
from conftest import Run, bad_turtle
from guidebook_kg.cli import AppContext, main
from guidebook_kg.errors import InputError
from guidebook_kg.project import find_project

REPO = Path(__file__).resolve().parent.parent


def test_version(run: Run) -> None:
    result = run("--version", project=None)

    assert result.exit_code == 0
    assert result.stdout == f"guidebook, version {version('guidebook-kg')}\n"
    assert version("guidebook-kg") == "0.1.0"


def test_every_command_has_help_with_an_example(run: Run) -> None:
    assert "Example" in run("--help", project=None).stdout
    for name in main.commands:
        result = run(name, "--help", project=None)
        assert result.exit_code == 0
        assert "Example" in result.stdout, f"`guidebook {name} --help` shows no example"


def test_python_dash_m_runs_the_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "guidebook_kg", "--version"],
        capture_output=True, text=True, check=False,
    )

    assert result.returncode == 0
    assert result.stdout == f"guidebook, version {version('guidebook-kg')}\n"


def test_every_command_is_in_the_readme_table() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in main.commands:
        assert f"| `guidebook {name}` |" in readme, f"README.md does not list `guidebook {name}`"


def test_unknown_option_value_is_a_usage_error(run: Run) -> None:
    result = run("export", "--format", "yaml")

    assert result.exit_code == 2
    assert "Invalid value for '--format'" in result.stderr


def test_syntax_error_is_one_line_with_position(run: Run, tmp_path: Path) -> None:
    bad = bad_turtle(tmp_path, "file.ttl")

    result = run("--data", str(bad), "export")

    assert result.exit_code == 3
    assert result.stdout == ""
    assert "file.ttl:4:" in result.stderr
    assert result.stderr.startswith("Error: ")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_project_without_ontology_folder(run: Run, tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()

    result = run("export", project=tmp_path)

    assert result.exit_code == 3
    assert "has no ontology/ folder" in result.stderr
    assert "Traceback" not in result.output


def test_project_that_does_not_exist(run: Run, tmp_path: Path) -> None:
    result = run("export", project=tmp_path / "missing")

    assert result.exit_code == 3
    assert "no such directory" in result.stderr


def test_missing_data_file_is_named(run: Run, tmp_path: Path) -> None:
    result = run("--data", str(tmp_path / "gone.ttl"), "export")

    assert result.exit_code == 3
    assert "gone.ttl: no such file" in result.stderr


def test_the_graph_is_loaded_only_when_a_command_needs_it(skeleton: Path, tmp_path: Path) -> None:
    app = AppContext(skeleton, [tmp_path / "gone.ttl"])

    assert app.project.root == skeleton.resolve()
    assert not app.store_loaded
    with pytest.raises(InputError):
        _ = app.store
    assert not app.store_loaded


def test_graph_is_loaded_once_per_invocation(skeleton: Path) -> None:
    app = AppContext(skeleton)

    assert app.store is app.store
    assert app.store_loaded


# Project discovery


def test_working_directory_with_ontology_is_the_checkout(
    skeleton: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(skeleton)

    project = find_project(None)

    assert (project.source, project.root) == ("checkout", skeleton)


def test_explicit_project_wins(skeleton: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)

    assert find_project(skeleton).source == "--project"


def test_installed_copy_is_used_outside_a_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package_dir = Path(guidebook_kg.__file__).resolve().parent
    assert REPO / "src" not in package_dir.parents, (
        "tests must run against the installed package: `pip install .` (not -e)"
    )
    monkeypatch.chdir(tmp_path)

    project = find_project(None)

    assert project.source == "installed"
    assert project.root == package_dir / "_project"
    for folder in ("ontology", "data", "shapes", "queries"):
        assert (project.root / folder).is_dir(), f"the wheel lacks {folder}/"


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "guidebook"

    result = subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, check=False, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "guidebook, version 0.1.0"
