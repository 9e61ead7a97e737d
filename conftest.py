"""Top-level pytest configuration of this repository.

The conformance plugin itself (options, header, profiles, summary) is
``properties.plugin``, registered as a ``pytest11`` entry point by
``pip install -e ".[test]"``, so that it works the same here and for users
who run ``pytest --pyargs properties`` from their own project.
"""

import importlib.metadata

import pytest

collect_ignore = ["benchmarks"]


def pytest_configure(config):
    if not config.pluginmanager.hasplugin("conformance"):
        raise pytest.UsageError(
            "the conformance plugin is not registered: install the package first, "
            "pip install -e \".[test]\" (see README.md)")
