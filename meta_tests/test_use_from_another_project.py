"""From another directory, with the package installed: a user's own op is registered
from their conftest.py and checked by ``pytest --pyargs properties --target MODULE``.

The user's files are ``examples/log1mexp/`` (the walk-through in README.md, "Validate a new op"),
copied into a temporary directory and run there in a subprocess.
"""

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

import properties

EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "examples" / "log1mexp"


def _pytest_in(directory, *args):
    env = {k: v for k, v in os.environ.items()
           if k not in ("CONFORMANCE_TARGET", "CONFORMANCE_DTYPE", "JAX_ENABLE_X64")}
    # Where this checkout's packages live (a no-op where they are installed), then the
    # user's directory, as for a user who runs pytest from their own project.
    package_root = str(pathlib.Path(properties.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([package_root, str(directory)])
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
         "--hypothesis-profile", "ci", "--pyargs", "properties", *args],
        capture_output=True, text=True, env=env, cwd=directory, timeout=600)


@pytest.fixture
def project(tmp_path):
    for name in ("conftest.py", "mylog1mexp.py"):
        shutil.copy(EXAMPLE / name, tmp_path / name)
    return tmp_path


@pytest.mark.slow
def test_user_registered_op_is_checked(project):
    run = _pytest_in(project, "--target", "mylog1mexp", "--dtype", "float32",
                     "-k", "log1mexp and (special_values or limits or nan_propagates)")
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-3000:]
    assert "conformance target: mylog1mexp (log1mexp: jvp)" in out, out[:3000]
    assert "registered ops: softplus, " in out and "log1mexp" in out, out[:3000]
    assert "log1mexp order 2 float32: 8 ULP" in out, out[:3000]  # its budgets, in the header
    assert " passed" in out and "failed" not in out, out[-3000:]


@pytest.mark.slow
def test_user_registered_op_with_a_defect_is_caught(project):
    source = (project / "mylog1mexp.py").read_text()
    broken = source.replace("return _d1(x), d2 * x_dot", "return _d1(x), -d2 * x_dot")
    assert broken != source
    (project / "mylog1mexp.py").write_text(broken)
    run = _pytest_in(project, "--target", "mylog1mexp", "--dtype", "float32",
                     "-k", "log1mexp and special_values and d2-reverse-over-reverse")
    out = run.stdout + run.stderr
    assert run.returncode == 1, out[-3000:]
    assert "special values: log1mexp_jvp d2 reverse-over-reverse float32" in out, out[-3000:]
    assert "ULP > budget 8 ULP" in out, out[-3000:]
