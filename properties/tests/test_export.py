r"""Property 16: the rule survives ``jax.export``, serialized with its derivatives.

``jax.export.export(jax.jit(f))`` at the shape of the op's special inputs
(:func:`properties.programs.special_inputs`, padded), serialized with
``vjp_order=2`` (the first and second VJPs are exported beside the function),
deserialized, and called again: the value, every first partial (``grad`` of the
sum of the deserialized function) and every second partial (``grad`` of that)
are bit for bit those of the rule itself, on the whole array
(:func:`properties.programs.baselines`), at every special input. An exported
function has no forward mode, so only reverse mode is checked, for both
variants. Measured on XLA:CPU (JAX 0.10): every bit holds but the sign of a zero
mixed partial :math:`\partial_x\partial_y f`, which the deserialized function gives
as ``+0`` where the rule gives ``-0`` (93-97 of 316 pairs of logaddexp, where
:math:`\sigma'` underflows): the exported VJP materializes the zero cotangent of
the other argument and adds it (``-0 + 0 = +0``). There, ``-0`` and ``+0``
count as equal (:func:`agree`); everywhere else a zero's sign must hold too. A
rule that ``jax.export`` refuses (a host callback, a custom call
without a stable target, a shape-dependent Python branch) fails here with the
error.

Cost: opt-in, with the programs properties: one export and one compilation of
the deserialized function's three derivatives per rule and dtype.
"""

import jax
import numpy as np
import pytest

from properties import programs
from properties.assertions import assert_true, repro_line
from properties.evaluate import array_derivative, derivative_label

pytestmark = pytest.mark.programs  # opt-in, with the programs properties

#: The derivatives an exported function supports: VJPs only, to ``VJP_ORDER``.
VJP_ORDER = 2


def _keys(arity: int):
    value = 0 if arity == 1 else (0,) * arity
    return ([(value, "value")] + [(d, "reverse") for d in programs.partials(arity, 1)]
            + [(d, "reverse-over-reverse") for d in programs.partials(arity, 2)])


def round_trip(rule, args):
    """``rule`` exported at ``args``' shapes, serialized with ``vjp_order=2`` and
    deserialized: the :class:`jax.export.Exported` to call."""
    shapes = [jax.ShapeDtypeStruct(a.shape, a.dtype) for a in args]
    exported = jax.export.export(jax.jit(rule))(*shapes)
    return jax.export.deserialize(exported.serialize(vjp_order=VJP_ORDER))


def agree(out: np.ndarray, base: np.ndarray, derivative) -> np.ndarray:
    """Elementwise: the same bits (:func:`properties.programs.same_bits`), or, for a
    mixed partial only, two zeros of either sign (see the module docstring)."""
    same = programs.same_bits(out, base)
    mixed = sum(1 for k in np.atleast_1d(derivative) if k) > 1
    return same | ((out == 0) & (base == 0)) if mixed else same


def exported_at(rule, derivative, mode: str, *scalars):
    """One derivative of the round-tripped rule at one input (binary: one pair), for
    the reproduce line: exported at 64 copies of it, element 0."""
    args = tuple(np.full(64, s) for s in scalars)
    back = round_trip(rule, args)
    return np.asarray(jax.jit(array_derivative(back.call, derivative, mode))(*args))[0]


def _show(v) -> str:
    v = np.asarray(v)
    bits = v.view(np.uint32 if v.dtype.itemsize == 4 else np.uint64)
    return f"{v[()]!r} [{int(bits):#0{v.dtype.itemsize * 2 + 2}x}]"


@pytest.mark.usefixtures("differentiable")
def test_exported_rule_and_its_derivatives_keep_their_bits(target, op, variant, rule, dtype):
    pytest.importorskip("flatbuffers", reason="jax.export serializes with flatbuffers: "
                                              "pip install 'softplus-conformance[test]'")
    inputs = programs.special_inputs(op, dtype)
    args = programs.padded(inputs)
    n = inputs[0].size
    name = f"{op.name}_{variant}"
    what = f"jax.export: {name} {dtype}"
    keys = _keys(op.arity)
    try:
        back = round_trip(rule, args)
        got = jax.jit(lambda *a: tuple(array_derivative(back.call, *k)(*a) for k in keys))(*args)
    except Exception as error:  # noqa: BLE001 - a refusal is the failure
        raise AssertionError(
            f"{what}: export, serialize(vjp_order={VJP_ORDER}), deserialize and call raised "
            f"{type(error).__name__}: {(str(error).strip().splitlines() or [''])[0]}, but should "
            f"give the rule's values and derivatives") from None
    expected = programs.baselines(rule, args, forward=variant == "jvp")
    failures = []
    for key, out in zip(keys, got):
        out, base = np.asarray(out)[:n], expected[key][:n]
        differ = np.flatnonzero(~agree(out, base, key[0]))
        if differ.size:
            i = int(differ[0])
            at = ", ".join(f"{v}={_show(a[i])}" for v, a in zip("xy", inputs))
            expression = (f"__import__('properties.tests.test_export').tests.test_export."
                          f"exported_at(f, {key[0]!r}, {key[1]!r}, {', '.join('xy'[:op.arity])})")
            failures.append(
                f"{what} {derivative_label(*key)}: {differ.size} of {n} elements differ from "
                f"the rule's: out={_show(out[i])}, but should be {_show(base[i])} at {at} "
                f"(budget: bit for bit)\n  reproduce: "
                + repro_line(module=target.name, rule=name, dtype=dtype,
                             x=tuple(a[i] for a in inputs), expression=expression))
    assert_true(not failures, f"{what}: {len(failures)} of {len(keys)} derivatives change "
                              f"through export\n" + "\n".join(failures))
