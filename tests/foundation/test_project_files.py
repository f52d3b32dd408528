"""The project's set-up files agree with each other."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import tomllib

from tests.suite_project import ROOT


def requirement(text: str) -> tuple[str, str]:
    name, spec = re.match(r"([A-Za-z0-9_.-]+)\s*(.*)", text).groups()
    return name.lower(), spec.replace(" ", "")


def test_pixi_has_the_same_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(requirement(r) for r in project["dependencies"])
    wanted.update(requirement(r) for r in project["optional-dependencies"]["test"])
    pixi = tomllib.loads((ROOT / "pixi.toml").read_text())["pypi-dependencies"]
    pixi = {k.lower(): v for k, v in pixi.items() if k != "gpu-simulate-test"}
    # pixi pins the CPU torch that scripts/install.sh installs first; the range stays loose.
    assert pixi.pop("torch") == "==2.13.0"
    wanted.pop("torch")
    assert pixi == wanted


def script_commands(script: str) -> list[str]:
    """The pytest commands a scripts/*.sh runs, its default workloads filled in."""
    text = (ROOT / "scripts" / script).read_text().replace("\\\n", " ")
    found = re.search(r"^workloads=\((.*)\)$", text, re.M)
    workloads = found.group(1) if found else ""
    commands = []
    for line in text.splitlines():
        if "-m pytest " in line:
            args = line.split("-m pytest ", 1)[1].removesuffix(' "$@"')
            args = re.sub(r"\s+", " ", args).replace('"${workloads[@]}"', workloads)
            commands.append(f"pytest {args}")
    return commands


def test_pixi_tasks_run_what_the_scripts_run():
    tasks = tomllib.loads((ROOT / "pixi.toml").read_text())["tasks"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert tasks["test"].split(" && ") == script_commands("test.sh")
    assert tasks["main"].split(" && ") == script_commands("main.sh")
    assert tasks["sweep"].split(" && ") == script_commands("sweep.sh")
    assert tasks["drift"]["cmd"] == "bash scripts/drift.sh"
    for command in tasks["lint"].split(" && "):
        assert f".venv/bin/{command}\n" in ci


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash scripts/test.sh     # installs everything and runs the suite's own tests" in readme
    assert "\nbash scripts/test.sh\n" in ci


def test_the_install_puts_no_generic_module_on_the_import_path(tmp_path):
    """Outside the checkout, ``plugin`` and ``fixtures`` are not the suite's (nor importable
    at all here): the suite installs as ``gst_compare`` and ``gst_bench``."""
    probe = (
        "import importlib.util as u, json; "
        "print(json.dumps({n: u.find_spec(n) and u.find_spec(n).origin for n in "
        "('plugin', 'fixtures', 'gst_compare', 'gst_bench')}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    found = json.loads(done.stdout)
    for generic in ("plugin", "fixtures"):
        assert found[generic] is None or not found[generic].startswith(str(ROOT))
    assert found["gst_compare"] == str(ROOT / "plugin" / "gst_compare" / "__init__.py")
    assert found["gst_bench"] == str(ROOT / "fixtures" / "gst_bench" / "__init__.py")
