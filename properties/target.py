"""The implementation under test: chosen once, by module name, loudly.

A *target* is any importable module that defines rules under conventional
names: ``<op>_vjp`` (a ``jax.custom_vjp``, reverse mode only) and/or
``<op>_jvp`` (a ``jax.custom_jvp``, forward and reverse mode). For softplus
that is ``softplus_vjp`` and ``softplus_jvp``. The harness never imports an
implementation by a hard-wired import: it resolves the name given with
``--target`` (or ``CONFORMANCE_TARGET``) here, and every property and the
report run on what this module returns.

A rule with extra non-differentiable parameters (a threshold, a ``beta``: a
``custom_vjp``/``custom_jvp`` with ``nondiff_argnums``) is tested with them
bound: the module declares, by rule name, the keyword arguments to bind, in
:data:`NONDIFF_ARGUMENTS_ATTRIBUTE`, and :meth:`Target.rule` returns
``functools.partial(rule, **those)`` (the same object every time, so the
suite's compilations are shared)::

    NONDIFF_ARGUMENTS = {"softplus_vjp": {"threshold": 40.0}}

A rule that does not return on inputs the suite evaluates (a loop that never
ends: a JAX computation cannot be interrupted, so it would hang the run) is
declared in :data:`DOES_NOT_RETURN_ATTRIBUTE`, by rule name, with why and a Python
statement that shows it. The suite and the report then skip it, saying so, and
``test_declared_hangs`` checks in a subprocess that the statement still does
not return (so a fixed rule is noticed and checked again)::

    DOES_NOT_RETURN = {"expi_jvp": ("batched expi with a small negative element "
                                    "(jax-ml/jax#21760)",
                                    "import jax.scipy.special as s, numpy as np; "
                                    "s.expi(np.float32([-1e-10, 2.0]))")}

>>> target = load_target("stable_ops")
>>> sorted(target.variants("softplus"))
['jvp', 'vjp']
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import os
import types
from typing import Callable, Mapping

DEFAULT_TARGET = "stable_ops"
TARGET_ENV_VAR = "CONFORMANCE_TARGET"

#: Variant name -> which modes of differentiation it supports.
#: A ``custom_vjp`` function cannot be differentiated in forward mode.
VARIANT_MODES: Mapping[str, tuple[str, ...]] = {
    "vjp": ("reverse",),
    "jvp": ("reverse", "forward"),
}
VARIANTS = tuple(VARIANT_MODES)

#: The module attribute that maps a rule's name to the keyword arguments (its
#: non-differentiable parameters) the suite binds before testing it.
NONDIFF_ARGUMENTS_ATTRIBUTE = "NONDIFF_ARGUMENTS"
#: The module attribute that maps a rule's name to (why it does not return, a Python
#: statement that shows it): rules the suite and the report must not call.
DOES_NOT_RETURN_ATTRIBUTE = "DOES_NOT_RETURN"


class TargetError(Exception):
    """The requested target cannot be used; the message is one line for the user."""


@dataclasses.dataclass(frozen=True)
class Target:
    """A loaded target module and the rules it provides."""

    name: str
    module: types.ModuleType = dataclasses.field(repr=False)

    def _repr_pretty_(self, printer, cycle):
        """Hypothesis' pretty printer ignores ``repr=False``; keep failures readable."""
        printer.text(repr(self))

    def rule(self, op: str, variant: str) -> Callable | None:
        """``<op>_<variant>`` from the module, or None where it is not defined or is
        declared not to return (:meth:`missing_reason` says which)."""
        if variant not in VARIANT_MODES:
            raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
        if f"{op}_{variant}" in does_not_return(self.module):
            return None
        return rule_of(self.module, f"{op}_{variant}")

    def variants(self, op: str) -> dict[str, Callable]:
        """The variants of ``op`` that the module defines and that can be called, by
        variant name."""
        found = {v: self.rule(op, v) for v in VARIANTS}
        return {v: fn for v, fn in found.items() if fn is not None}

    def defines(self, op: str) -> bool:
        """Whether the module defines a variant of ``op``, callable or declared not to
        return: its properties are collected (and the latter skipped, saying why)."""
        return any(callable(getattr(self.module, f"{op}_{v}", None)) for v in VARIANTS)

    def missing_reason(self, op: str, variant: str) -> str:
        """Why a variant is skipped, for the skip message."""
        name = f"{op}_{variant}"
        hang = does_not_return(self.module).get(name)
        if hang is not None:
            return (f"target {self.name!r} declares that {name} does not return "
                    f"({DOES_NOT_RETURN_ATTRIBUTE}): {hang[0]}; not called")
        return f"target {self.name!r} does not define {name}"


def nondiff_arguments(module: types.ModuleType, name: str) -> dict:
    """The keyword arguments the module declares for rule ``name`` (see the module
    docstring); ``{}`` where it declares none. Raises :class:`TargetError` if the
    declaration is not a mapping of rule names to mappings of parameter names."""
    declared = getattr(module, NONDIFF_ARGUMENTS_ATTRIBUTE, None)
    if declared is None:
        return {}
    if not isinstance(declared, Mapping):
        raise TargetError(f"{module.__name__}.{NONDIFF_ARGUMENTS_ATTRIBUTE} must map rule names "
                          f"to keyword arguments, got {type(declared).__name__}")
    bound = declared.get(name, {})
    if not isinstance(bound, Mapping) or not all(isinstance(k, str) for k in bound):
        raise TargetError(f"{module.__name__}.{NONDIFF_ARGUMENTS_ATTRIBUTE}[{name!r}] must map "
                          f"parameter names to values, got {bound!r}")
    return dict(bound)


def does_not_return(module: types.ModuleType) -> dict[str, tuple[str, str]]:
    """The module's rules declared not to return: name -> (why, a statement showing
    it); ``{}`` where it declares none. Raises :class:`TargetError` if the declaration
    is not a mapping of rule names to pairs of strings."""
    declared = getattr(module, DOES_NOT_RETURN_ATTRIBUTE, None)
    if declared is None:
        return {}
    if not isinstance(declared, Mapping) or not all(
            isinstance(k, str) and isinstance(v, tuple) and len(v) == 2
            and all(isinstance(part, str) and part for part in v) for k, v in declared.items()):
        raise TargetError(f"{module.__name__}.{DOES_NOT_RETURN_ATTRIBUTE} must map rule names to "
                          f"(why, a Python statement that does not return), got {declared!r}")
    return dict(declared)


def rule_of(module: types.ModuleType, name: str) -> Callable | None:
    """The module's rule ``name`` with its declared non-differentiable arguments
    bound (:func:`nondiff_arguments`), or None where it is not defined."""
    fn = getattr(module, name, None)
    if not callable(fn):
        return None
    bound = nondiff_arguments(module, name)
    if not bound:
        return fn
    try:
        return _bind(fn, tuple(sorted(bound.items())))
    except TypeError:  # an unhashable value: bound, but not shared between calls
        return functools.partial(fn, **bound)


@functools.lru_cache(maxsize=None)
def _bind(fn: Callable, items: tuple) -> Callable:
    return functools.partial(fn, **dict(items))


def target_name_from_env(cli_value: str | None = None) -> str:
    """The target module name: the command line wins, then the environment, then the default."""
    return cli_value or os.environ.get(TARGET_ENV_VAR) or DEFAULT_TARGET


def load_target(name: str, *, ops: tuple[str, ...] | None = None) -> Target:
    """Import the module ``name`` and check it defines at least one rule for ``ops``
    (default: every op registered in :data:`properties.ops.OPS`).

    Raises :class:`TargetError` with a one-line message when the module does not
    exist, fails to import (the message names the exception), or defines no
    ``<op>_vjp``/``<op>_jvp`` for any of ``ops``.
    """
    if not isinstance(name, str) or not name.strip():
        raise TargetError(f"--target must name an importable module, got {name!r}")
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            raise TargetError(
                f"--target {name!r}: no module named {exc.name!r} "
                "(is it installed, or on PYTHONPATH?)") from None
        raise TargetError(
            f"--target {name!r} failed to import: {type(exc).__name__}: {exc}") from None
    except Exception as exc:  # any import-time failure of user code
        raise TargetError(
            f"--target {name!r} failed to import: {type(exc).__name__}: {exc}") from None
    target = Target(name=name, module=module)
    if ops is None:
        from properties.ops import OPS
        ops = tuple(OPS)
    does_not_return(module)  # a malformed declaration is a usage error, said at once
    if not any(target.variants(op) for op in ops):
        wanted = ", ".join(f"{op}_{v}" for op in ops for v in VARIANTS)
        raise TargetError(f"--target {name!r} defines none of: {wanted}")
    return target
