"""Profile, real and sim tests run in that order whatever the file order, the selection or
the number of xdist workers; each hardware's chain stays on one worker."""

from __future__ import annotations

from collections import defaultdict

import pytest

from tests.suite_project import load_suite

PHASES = {"profile": 1, "real": 2, "sim": 3}

LOGGING_TEST = """
import os
import pytest

@pytest.mark.{phase}
def test_{phase}({fixtures}):
    with open(os.environ["ORDER_LOG"], "a") as log:
        log.write(f"{phase} {{hardware}} {{os.environ.get('PYTEST_XDIST_WORKER', 'main')}}\\n")
"""


@pytest.fixture
def chain(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("ORDER_LOG", str(pytester.path / "order.log"))
    # When the suite itself runs under xdist, its worker's name must not leak into the session.
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    load_suite(pytester)
    # File order is the reverse of the run order on purpose.
    for name, phase, fixtures in (
        ("test_a_sim", "sim", "hardware, workload, backend"),
        ("test_b_real", "real", "hardware, workload, backend"),
        ("test_c_profile", "profile", "hardware"),
    ):
        pytester.makepyfile(**{name: LOGGING_TEST.format(phase=phase, fixtures=fixtures)})
    return pytester


def session(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """A session of the chain, in this process; with ``-n`` xdist's workers are processes, as
    a user's are."""
    return pytester.runpytest("-p", "no:cacheprovider", "--gst-out", "out", *args)


def runs(pytester: pytest.Pytester) -> dict[str, list[tuple[int, str]]]:
    by_hardware: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for line in (pytester.path / "order.log").read_text().splitlines():
        phase, hardware, worker = line.split()
        by_hardware[hardware].append((PHASES[phase], worker))
    return by_hardware


@pytest.mark.parametrize(
    "args",
    [[], ["-n", "2", "-k", "real or sim"], ["-m", "cpu"]],
    ids=["plain", "n2-k", "marker"],
)
def test_profile_then_real_then_sim_on_one_worker_per_hardware(chain, args):
    result = session(chain, *args)
    assert result.ret == pytest.ExitCode.OK
    by_hardware = runs(chain)
    assert by_hardware
    for hardware, order in by_hardware.items():
        phases = [phase for phase, _ in order]
        assert phases == sorted(phases), f"{hardware}: ran {phases}"
        assert len({worker for _, worker in order}) == 1, f"{hardware} was split: {order}"


def test_a_single_test_id_runs_alone(chain):
    test_id = "test_a_sim.py::test_sim[tiny-serial-cpu]"
    result = session(chain, test_id)
    result.assert_outcomes(passed=1)
    assert runs(chain) == {"cpu": [(3, "main")]}


@pytest.mark.parametrize(
    ("nodeid", "group"),
    [
        ("benchmarks/test_sim.py::test_sim[tiny-serial-stock-cpu]", "gst-cpu"),
        ("benchmarks/test_profile.py::test_profile[a100]", "gst-a100"),
        ("tests/x.py::test_y[3-cpu-ish]", None),
        ("tests/x.py::test_y", None),
    ],
)
def test_a_chain_is_named_by_the_hardware_in_its_id(nodeid, group):
    from gst_bench.wiring.ordering import chain_group

    assert chain_group(nodeid, ["cpu", "a100"]) == group
