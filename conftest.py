"""Loads the suite: the generic comparison plugin, then the domain fixtures."""

pytest_plugins = [
    "plugin.pytest_plugin",
    "fixtures.pytest_fixtures",
    "fixtures.real_fixtures",
    "fixtures.sim_fixtures",
]
