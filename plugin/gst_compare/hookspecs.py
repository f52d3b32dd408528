"""Extension hooks of the comparison plugin, added in ``pytest_addhooks``.

Implement them in a ``conftest.py`` (or a plugin). They are called on the controller only,
at the end of the session, once per pair (and metric).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from gst_compare.pairing import Pair
    from gst_compare.report import ComparisonReport


@pytest.hookspec(firstresult=True)
def pytest_gst_gate_thresholds(pair: Pair, config: pytest.Config) -> dict[str, Any] | None:
    """Return the gate settings for ``pair``, as a dict shaped like ``configs/gate/*.yaml``.

    The first non-None result wins. The default (shipped ``trylast``) is the session's gate
    config with the ``gst_gate`` marker overrides of the pair's tests applied.
    """


@pytest.hookspec
def pytest_gst_add_distances(
    pair: Pair, metric: str, real: list[float], sim: list[float]
) -> dict[str, float] | None:
    """Return extra named distances of ``metric`` (samples in ms), shown in the report, not gated.

    The default adds ``energy_rel``: the energy distance of both samples divided by the
    real median (unitless).
    """


@pytest.hookspec(firstresult=True)
def pytest_gst_floor_command(pair: Pair, config: pytest.Config) -> str | None:
    """Return the command that measures the floor of ``pair``'s key: one that runs its real
    side again into the same store, so two real runs of the key can be compared.

    The first non-None result wins. The default (shipped ``trylast``) reruns the real side's
    test id with the options that see the same store and config.
    """


@pytest.hookspec
def pytest_gst_adjust_report(report: ComparisonReport, config: pytest.Config) -> None:
    """Change the comparison report in place before it is written and rendered.

    The default records the pytest invocation in the report's provenance.
    """
