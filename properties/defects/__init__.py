r"""Planted defects: rules with one deliberate bug each, that the suite must catch.

Each module here is a complete ``--target``: it defines ``softplus_vjp`` and
``softplus_jvp``, one of them built on :mod:`stable_ops` with a single defect
that imitates a real bug (its docstring says which), the other the correct
rule from :mod:`stable_ops`, so that every property, the VJP-vs-JVP agreement
included, applies::

    pytest -n auto --target properties.defects.grad_sign_flipped      # fails

Each module also declares ``EXPECTED``, the property that must catch its
defect (:func:`expect`). ``meta_tests/test_planted_defects.py`` runs every
defect against its expected property, checks that ``stable_ops`` passes the
same checks, and prints the mutation score (caught / planted), which must be
100%. A defect that escapes is fixed by strengthening the strategies or the
properties, never by weakening the catalogue.

>>> [d.name for d in catalogue()][:2]
['bwd_first_element_only', 'bwd_returns_scalar']
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import types
from typing import Mapping

#: Parameters a property test may be pinned to, as pytest parametrizes them.
_PARAMS = ("variant", "derivative", "linear_map", "transform", "derivative_kind")


@dataclasses.dataclass(frozen=True)
class Expectation:
    """Which property test must catch a defect, at which parametrization.

    - ``test``: the test function's name in ``properties/tests/``;
    - ``dtype``: the dtype it runs in;
    - ``params``: the test's own parameters (``variant``, ``derivative`` as
      ``(order, mode)``, ``linear_map``, ``transform``, ``derivative_kind``);
    - ``raises``: how the property reports the defect: ``AssertionError`` (its
      own verdict), or the exception JAX itself raises inside the property;
    - ``op``: the op whose rule is defective (``softplus``; a defect that only a
      binary op can show names ``logaddexp``, and its derivative a multi-index).
    """

    test: str
    dtype: str
    params_items: tuple[tuple[str, object], ...]  # hashable; read them as ``params``
    raises: type[BaseException] = AssertionError
    op: str = "softplus"

    @property
    def params(self) -> Mapping[str, object]:
        return dict(self.params_items)

    def k_expression(self, op: str | None = None) -> str:
        """A ``pytest -k`` expression selecting exactly this test: its name with
        the ids the suite gives its parameters, e.g.
        ``test_special_values_within_ulp_budget[float32-softplus-vjp-d1-reverse]``."""
        from properties.evaluate import derivative_label
        p = self.params
        ids = [self.dtype, op or self.op]
        if "derivative" in p:
            ids.append(f"{p['variant']}-{derivative_label(*p['derivative']).replace(' ', '-')}")
        elif "variant" in p:
            ids.append(str(p["variant"]))
        ids += [str(p[k]) for k in ("linear_map", "derivative_kind", "transform") if k in p]
        return f"{self.test}[{'-'.join(ids)}]"

    def describe(self) -> str:
        """``test[dtype, variant=..., ...]`` for reports."""
        inner = ", ".join([self.dtype] + ([f"op={self.op}"] if self.op != "softplus" else [])
                          + [f"{k}={v}" for k, v in self.params.items()])
        return f"{self.test}[{inner}]"


def expect(test: str, *, dtype: str = "float32", raises: type[BaseException] = AssertionError,
           op: str = "softplus", **params) -> Expectation:
    """Declare the property that must catch a module's defect (see :class:`Expectation`)."""
    unknown = set(params) - set(_PARAMS)
    if unknown:
        raise TypeError(f"expect() got unknown parameters {sorted(unknown)}; known: {_PARAMS}")
    if dtype not in ("float32", "float64"):
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
    return Expectation(test=test, dtype=dtype, params_items=tuple(params.items()), raises=raises,
                       op=op)


@dataclasses.dataclass(frozen=True)
class Defect:
    """One planted defect: its target name, the bug it imitates, and its expectation."""

    name: str
    target: str  # module name, for --target
    imitates: str  # the docstring's first sentence
    expected: Expectation
    module: types.ModuleType = dataclasses.field(repr=False)


def catalogue() -> list[Defect]:
    """Every planted defect, sorted by name (imports each module)."""
    defects = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        target = f"{__name__}.{info.name}"
        module = importlib.import_module(target)
        doc = (module.__doc__ or "").strip()
        first = " ".join(doc.split("\n\n")[0].split())
        defects.append(Defect(name=info.name, target=target, imitates=first,
                              expected=module.EXPECTED, module=module))
    return defects
