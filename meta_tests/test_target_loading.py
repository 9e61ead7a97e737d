"""--target: one clear line for every way a target can be unusable."""

import subprocess
import sys
import textwrap

import pytest

from properties.target import TargetError, load_target


@pytest.fixture
def module_dir(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_missing_module():
    with pytest.raises(TargetError, match=r"no module named 'no_such_pkg_xyz'"):
        load_target("no_such_pkg_xyz.ops")


def test_module_that_fails_to_import(module_dir):
    (module_dir / "broken_rules.py").write_text("raise RuntimeError('boom at import')\n")
    with pytest.raises(TargetError, match=r"failed to import: RuntimeError: boom at import"):
        load_target("broken_rules")


def test_module_whose_own_import_is_missing(module_dir):
    (module_dir / "needs_dep.py").write_text("import not_installed_dep_xyz\n")
    with pytest.raises(TargetError, match=r"failed to import: ModuleNotFoundError"):
        load_target("needs_dep")


def test_module_defining_neither_variant(module_dir):
    (module_dir / "empty_rules.py").write_text("def softplus(x):\n    return x\n")
    with pytest.raises(TargetError, match=r"defines none of: softplus_vjp, softplus_jvp"):
        load_target("empty_rules")


def test_one_variant_is_enough(module_dir):
    (module_dir / "half_rules.py").write_text("import jax\nsoftplus_jvp = jax.nn.softplus\n")
    assert set(load_target("half_rules").variants("softplus")) == {"jvp"}


def test_a_rule_declared_not_to_return_is_never_handed_out(module_dir):
    (module_dir / "hanging_rules.py").write_text(textwrap.dedent("""
        import jax
        softplus_jvp = jax.nn.softplus
        softplus_vjp = jax.nn.softplus
        DOES_NOT_RETURN = {"softplus_vjp": ("loops forever at 0", "while True: pass")}
        """))
    target = load_target("hanging_rules")
    assert target.rule("softplus", "vjp") is None, "a declared hang was handed out to be called"
    assert set(target.variants("softplus")) == {"jvp"}
    assert target.defines("softplus")
    reason = target.missing_reason("softplus", "vjp")
    assert "declares that softplus_vjp does not return" in reason and "loops forever at 0" in reason, reason


@pytest.mark.parametrize("declaration", ['{"softplus_jvp": "no statement"}', '["softplus_jvp"]',
                                         '{"softplus_jvp": ("why", "")}'])
def test_a_malformed_does_not_return_is_one_error(module_dir, declaration):
    (module_dir / "bad_hangs.py").write_text(
        f"import jax\nsoftplus_jvp = jax.nn.softplus\nDOES_NOT_RETURN = {declaration}\n")
    with pytest.raises(TargetError, match=r"bad_hangs.DOES_NOT_RETURN must map rule names to \(why"):
        load_target("bad_hangs")
    sys.modules.pop("bad_hangs", None)  # the next parameter writes it anew


@pytest.mark.slow
def test_pytest_prints_one_error_line_for_a_bad_target():
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                          "--target", "no_such_pkg_xyz", "--pyargs", "properties", "-q"],
                         capture_output=True, text=True, timeout=300)
    err = run.stderr.strip().splitlines()
    assert run.returncode == 4, run.stdout + run.stderr
    assert err == ["ERROR: --target 'no_such_pkg_xyz': no module named 'no_such_pkg_xyz' "
                   "(is it installed, or on PYTHONPATH?)"], run.stderr
