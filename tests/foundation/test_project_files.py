"""The project's set-up files agree with each other."""

from __future__ import annotations

import re
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[2]


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


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash scripts/test.sh     # installs everything and runs the suite's own tests" in readme
    assert "\nbash scripts/test.sh\n" in ci
