"""Loads the suite: the generic comparison plugin, then the domain's fixtures (one line)."""

pytest_plugins = ["gst_compare.pytest_plugin", "gst_bench.pytest_plugin"]
