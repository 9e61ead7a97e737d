"""The x64 switch is scoped, and a failure replays from the example database."""

import os
import re
import subprocess
import sys

import jax
import jax.numpy as jnp
import pytest

from properties import backend


def test_x64_scope_restores_the_mode_it_found():
    before = jax.config.read("jax_enable_x64")
    with backend.x64_for("float64"):
        assert jnp.zeros(()).dtype == jnp.float64
        with backend.x64_for("float32"):
            assert jnp.zeros(()).dtype == jnp.float32
        assert jnp.zeros(()).dtype == jnp.float64
    assert jax.config.read("jax_enable_x64") == before


def _run(cwd):
    env = {k: v for k, v in os.environ.items()  # JAX's settings, but not its compilation cache
           if not k.startswith(("CONFORMANCE_", "JAX_")) or k.startswith(("JAX_COMPILATION_CACHE",
                                                                          "JAX_PERSISTENT_CACHE"))}
    env.pop("CI", None)  # the dev profile: random search with the example database
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--no-header",
         "--pyargs", "properties", "--target", "stable_ops.naive", "--dtype", "float64",
         "-k", "test_within_ulp_budget and vjp-value"],  # no seed: a seed disables the database
        cwd=cwd, capture_output=True, text=True, env=env, timeout=600)


def _falsifying(out):
    """The failure's first line (out, expected, x, ULP): the same for the same example."""
    match = re.search(r"elements outside the budget.*?\n.*?out=.*?ULP > budget[^\n]*", out, re.S)
    return match.group(0) if match else None


@pytest.mark.slow
def test_failure_replays_from_the_example_database(tmp_path):
    """A failing example is saved in .hypothesis/ and replayed first on the next run."""
    first, second = _run(tmp_path), _run(tmp_path)
    assert first.returncode == second.returncode == 1, first.stdout[-2000:]
    saved = [p for p in (tmp_path / ".hypothesis" / "examples").rglob("*") if p.is_file()]
    assert saved, "no example saved in the database (.hypothesis/examples)"
    assert _falsifying(first.stdout) and _falsifying(first.stdout) == _falsifying(second.stdout), (
        f"first run's falsifying example:\n{_falsifying(first.stdout)}\n"
        f"second run's:\n{_falsifying(second.stdout)}")
