"""Top-level pytest configuration of this repository.

The conformance plugin itself (options, header, profiles, summary) is
``properties.plugin``, registered as a ``pytest11`` entry point by
``pip install -e ".[test]"``, so that it works the same here and for users
who run ``pytest --pyargs properties`` from their own project.
"""

import importlib.metadata
import os
import pathlib

import jax
import pytest

collect_ignore = ["benchmarks"]

#: XLA compilations are shared through JAX's persistent compilation cache: between
#: the two xdist workers, which compile the same rules, and with the subprocesses some
#: meta-tests start (they inherit the environment). About 14 s of the default run's
#: 140 s on a cold cache (measured: 140 s without, 127 s with); kept between runs
#: in .jax-cache/ (git-ignored), which a fresh clone does not have.
JAX_CACHE = {  # environment variable -> (jax.config name, value)
    "JAX_COMPILATION_CACHE_DIR": ("jax_compilation_cache_dir",
                                  str(pathlib.Path(__file__).resolve().parent / ".jax-cache")),
    # the defaults (1 s, 0 bytes) would skip most of ours, which compile faster than 1 s
    "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": ("jax_persistent_cache_min_compile_time_secs", 0.0),
    "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": ("jax_persistent_cache_min_entry_size_bytes", -1),
}
for _variable, (_option, _value) in JAX_CACHE.items():
    os.environ.setdefault(_variable, str(_value))  # for the workers' and subprocesses' JAX
    jax.config.update(_option, _value)  # JAX is imported already (by the plugin)


def pytest_configure(config):
    if not config.pluginmanager.hasplugin("conformance"):
        raise pytest.UsageError(
            "the conformance plugin is not registered: install the package first, "
            "pip install -e \".[test]\" (see README.md)")


def pytest_collection_modifyitems(config, items):
    """Tests marked ``slow`` (a pytest in a subprocess, several seconds each) first, the
    rest in collection order: started last, one of them would leave the other xdist
    worker idle for its length at the end of the run (longest first; with
    ``--dist worksteal``, pyproject.toml, the workers then even out)."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
