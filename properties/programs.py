r"""A rule inside the programs people write: remat, control flow, linearize, Jacobians.

A rule that is right under ``jit``, ``vmap`` and ``grad∘grad`` can still be
wrong where it is used: inside ``jax.checkpoint``, in a ``lax.scan`` body,
in both branches of ``lax.cond``, under ``jax.linearize`` and
``jax.linear_transpose``, inside ``jax.jacfwd``/``jax.jacrev``/``jax.hessian``.
Each :class:`Program` here is one such use. It maps the flat input arrays
(one per argument of the op) to the value or one derivative at every element,
or, for a Jacobian, to the ``(rows, 8, 8)`` blocks of rows of 8 elements.

Every program names the *untransformed* derivative it computes: a derivative
(an order, or a multi-index for a binary op) and the mode of
:mod:`properties.evaluate` (``value``, ``reverse``, ``forward``,
``reverse-over-reverse``, ...). That one is computed in its own compiled
function, shared by every property of the rule (:func:`baselines`), on the
whole array, as a user would call it (:func:`properties.evaluate.array_derivative`). A program declared ``exact``
must return the same bits (every nan counting as one value, and ``-0 != +0``);
every program, exact or not, must be within the ULP budget of the correctly
rounded reference.

Cost: one compilation per (property, rule, dtype), all programs of the
property in one ``jax.jit``, run once on the op's special inputs
(:func:`special_inputs`), and one per (rule, dtype) of every untransformed
derivative any property names (:func:`compiled_baselines`), shared by the
properties. A program that fails to
trace is found by tracing each alone, only then.

>>> [p.name for p in programs_for("remat", arity=1, forward=False)][:2]
['jax.checkpoint(f) d1 reverse', 'jax.checkpoint(f) d2 reverse-over-reverse']
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from properties import evaluate, strategies

#: Elements per row of a Jacobian block (and per scan of ``vmap``-of-``scan``).
ROW = 8

#: How many leading elements of the special inputs are padded to: a multiple of
#: ROW and of 64, so every rule of one arity and dtype shares input shapes.
_PAD = 64


@dataclasses.dataclass(frozen=True)
class Program:
    """One use of a rule.

    - ``name``: what it computes, e.g. ``"jax.checkpoint(f) d1 reverse"``;
    - ``derivative``: an order (unary op) or multi-index (binary op): its reference;
    - ``mode``: the :mod:`properties.evaluate` mode of the untransformed derivative
      it must agree with;
    - ``build``: rule -> function of the flat input arrays;
    - ``exact``: whether it must equal the untransformed result bit for bit
      (measured to hold on XLA:CPU; else only the budget applies);
    - ``jacobian``: the result is ``(rows, ROW, ROW)`` blocks whose diagonals are
      the derivative and whose off-diagonal entries must be exactly 0;
    - ``forward``: it needs forward mode (not for a ``custom_vjp``).
    """

    name: str
    derivative: object
    mode: str
    build: Callable[[Callable], Callable] = dataclasses.field(repr=False, compare=False)
    exact: bool = True
    jacobian: bool = False
    forward: bool = False


def special_inputs(op, dtype: str) -> tuple[np.ndarray, ...]:
    """The op's special inputs, as the special-values property uses them: every special
    value and branch point with both neighbours (unary), or every special pair (binary)."""
    if op.arity == 2:
        return strategies.special_pairs(dtype, op)
    specials = strategies.special_values(dtype, op)
    finite = specials[np.isfinite(specials)]
    with np.errstate(over="ignore"):  # max's upper neighbour is inf, a special value too
        neighbours = [np.nextafter(finite, np.array(d, dtype)) for d in (-np.inf, np.inf)]
    return (np.concatenate([specials, *neighbours]),)


def padded(args: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """``args`` padded with zeros to a multiple of 64 elements (rows of ROW)."""
    n = args[0].size
    size = -(-max(n, 1) // _PAD) * _PAD
    return tuple(np.concatenate([a, np.zeros(size - n, a.dtype)]) for a in args)


def partials(arity: int, order: int) -> list:
    """The derivatives of ``order`` of an op of ``arity``: ``[1]`` or ``[(1, 0), (0, 1)]``."""
    if arity == 1:
        return [order]
    return [(order - j, j) for j in range(order + 1)]


def _unit(arity: int, argnum: int):
    return 1 if arity == 1 else tuple(int(i == argnum) for i in range(arity))


def _steps(derivative) -> tuple[int, ...]:
    """The argument of each differentiation, innermost first: ``(1, 1)`` -> ``(0, 1)``."""
    index = evaluate.index_of(derivative)
    return tuple(i for i, k in enumerate(index) for _ in range(k))


def _array(fn: Callable, derivative, mode: str) -> Callable:
    return evaluate.array_derivative(fn, derivative, mode)


# --- transformations of an elementwise array function ------------------------

def _policies():
    p = jax.checkpoint_policies
    return (("jax.checkpoint(f)", None),
            ("jax.checkpoint(f, policy=nothing_saveable)", p.nothing_saveable),
            ("jax.checkpoint(f, policy=everything_saveable)", p.everything_saveable))


def _scan_map(fn: Callable) -> Callable:
    """``f`` applied by a ``lax.scan`` over the elements (the carry sums the values)."""
    def mapped(*xs):
        def body(carry, a):
            y = fn(*a)
            return carry + y, y
        zero = jnp.zeros((), jax.eval_shape(fn, *(x[0] for x in xs)).dtype)
        return jax.lax.scan(body, zero, xs)[1]
    return mapped


def _scan_carry_loss(fn: Callable) -> Callable:
    """The final carry of a ``lax.scan`` summing ``f`` over the elements: a scalar loss
    whose gradient, through the loop, is the elementwise derivative."""
    def loss(*xs):
        def body(carry, a):
            return carry + fn(*a), None
        zero = jnp.zeros((), jax.eval_shape(fn, *(x[0] for x in xs)).dtype)
        return jax.lax.scan(body, zero, xs)[0]
    return loss


def _rows(xs):
    return tuple(x.reshape(-1, ROW) for x in xs)


def _vmap_scan(fn: Callable) -> Callable:
    """``vmap`` over rows of ROW of a ``lax.scan`` over each row's elements."""
    return lambda *xs: jax.vmap(_scan_map(fn))(*_rows(xs)).reshape(-1)


def _cond_in_scan(fn: Callable) -> Callable:
    """A ``lax.scan`` over the elements whose body is a ``lax.cond`` with ``f`` in the
    true branch and ``-f`` in the false one, taken at alternate elements (an unbatched
    predicate, so both branches are compiled and each runs); the false branch's
    result is negated back (exact)."""
    def mapped(*xs):
        def body(carry, a):
            index, args = a[0], a[1:]
            take = index % 2 == 0
            y = jax.lax.cond(take, lambda *b: fn(*b), lambda *b: -fn(*b), *args)
            return carry, jnp.where(take, y, -y)
        return jax.lax.scan(body, 0, (jnp.arange(xs[0].size), *xs))[1]
    return mapped


def _fori(fn: Callable) -> Callable:
    """``lax.fori_loop`` with static bounds writing ``f`` of each element by index."""
    def run(*xs):
        out = jax.eval_shape(fn, *xs)
        body = lambda i, acc: acc.at[i].set(fn(*(x[i] for x in xs)))
        return jax.lax.fori_loop(0, xs[0].size, body, jnp.zeros(out.shape, out.dtype))
    return run


def _lax_map(fn: Callable) -> Callable:
    """``lax.map`` with ``batch_size=ROW`` (a scan over ``vmap``ped chunks)."""
    return lambda *xs: jax.lax.map(lambda a: fn(*a), xs, batch_size=ROW)


# --- the programs of each property ------------------------------------------

def _derivative_programs(prefix: str, transform: Callable, arity: int, forward: bool,
                         orders=(1, 2), exact: bool = True) -> list[Program]:
    """``transform(rule)``'s derivatives of ``orders`` in reverse mode, and in forward
    mode (first order; forward-over-reverse, second) where allowed."""
    out = []
    for order in orders:
        modes = {0: ("value",), 1: ("reverse", "forward"), 2: ("reverse-over-reverse",
                                                             "forward-over-reverse")}[order]
        for mode in modes:
            needs_forward = evaluate.uses_forward_mode(mode)
            if needs_forward and not forward:
                continue
            for d in partials(arity, order):
                label = evaluate.derivative_name(d, mode)
                out.append(Program(
                    name=f"{prefix} {label}", derivative=d, mode=mode, exact=exact,
                    forward=needs_forward,
                    build=lambda rule, d=d, mode=mode: _array(transform(rule), d, mode)))
    return out


def _primal_programs(arity: int, forward: bool) -> list[Program]:
    def vjp_primal(rule):
        return lambda *a: jax.vjp(rule, *a)[0]

    def aux_of_value_and_grad(rule):
        def loss(*a):
            y = rule(*a)
            return jnp.sum(y), y
        argnums = tuple(range(arity))
        return lambda *a: jax.value_and_grad(loss, argnums=argnums, has_aux=True)(*a)[0][1]

    def grad_of_value_and_grad(rule, argnum):
        return lambda *a: jax.value_and_grad(lambda *b: jnp.sum(rule(*b)),
                                             argnums=argnum)(*a)[1]

    def jvp_primal(rule):
        return lambda *a: jax.jvp(rule, a, tuple(jnp.ones_like(x) for x in a))[0]

    def linearize_primal(rule):
        return lambda *a: jax.linearize(rule, *a)[0]

    value = 0 if arity == 1 else (0,) * arity
    out = [Program("jax.vjp(f, x)[0]", value, "value", build=vjp_primal),
           Program("jax.value_and_grad(sum f, has_aux) aux = f(x)", value, "value",
                   build=aux_of_value_and_grad),
           Program("jax.linearize(f, x)[0]", value, "value", build=linearize_primal)]
    if forward:
        out.append(Program("jax.jvp(f, (x,), (t,))[0]", value, "value", build=jvp_primal,
                           forward=True))
    for argnum in range(arity):
        d = _unit(arity, argnum)
        out.append(Program(f"jax.value_and_grad(sum f)[1] {evaluate.derivative_name(d, 'reverse')}",
                           d, "reverse",
                           build=lambda rule, a=argnum: grad_of_value_and_grad(rule, a)))
    return out


def _remat_programs(arity: int, forward: bool) -> list[Program]:
    """Reverse mode under each policy (remat changes only how the VJP is built;
    forward mode passes through ``checkpoint`` unchanged), and remat of the gradient."""
    out = []
    for name, policy in _policies():
        out += _derivative_programs(name, lambda f, p=policy: jax.checkpoint(f, policy=p),
                                    arity, forward=False)
    # remat of the gradient, differentiated again
    for d in partials(arity, 2):
        first, second = _steps(d)

        def build(rule, first=first, second=second):
            g = jax.checkpoint(_array(rule, _unit(arity, first), "reverse"))
            return _array(g, _unit(arity, second), "reverse")
        out.append(Program(f"grad of jax.checkpoint(grad f) {evaluate.derivative_name(d, 'reverse-over-reverse')}",
                           d, "reverse-over-reverse", build=build))
    return out


def _control_flow_programs(arity: int, forward: bool) -> list[Program]:
    """The rule in loop bodies and branches. Each construct once, at the orders where
    it differs from the others (every one compiles the rule again, inside a loop):

    - ``lax.scan`` (stacked outputs): the value, and the forward-mode derivative;
    - the ``lax.scan`` carry: the first derivative through the loop (its second
      derivative took 8 s to trace for logaddexp; the cond-in-scan one is 0.2 s);
    - ``lax.cond`` in a scan body, both branches: value, first and second derivatives;
    - ``vmap`` of ``lax.scan`` (jax-ml/jax#5832, #4665), ``lax.fori_loop`` and
      ``lax.map(batch_size=8)``: the first derivative.

    Second derivatives in loop bodies are not bit for bit the whole-array ones on
    XLA:CPU (scalar loop bodies round differently: up to 229 of 316 elements differ,
    within budget), so they are held to the budget only.
    """
    out = _derivative_programs("lax.scan", _scan_map, arity, forward, orders=(0,))
    if forward:
        out += [p for p in _derivative_programs("lax.scan", _scan_map, arity, forward, orders=(1,))
                if p.forward]
    out += _derivative_programs("lax.cond (both branches) in lax.scan", _cond_in_scan, arity,
                                forward=False, orders=(0, 1))
    out += _derivative_programs("lax.cond (both branches) in lax.scan", _cond_in_scan, arity,
                                forward=False, orders=(2,), exact=False)
    for name, transform in (("vmap(lax.scan)", _vmap_scan), ("lax.fori_loop", _fori),
                            ("lax.map(batch_size=8)", _lax_map)):
        out += _derivative_programs(name, transform, arity, forward=False, orders=(1,))
    for d in partials(arity, 1):
        (argnum,) = _steps(d)
        out.append(Program(f"lax.scan carry (grad through the loop) {evaluate.derivative_name(d, 'reverse')}",
                           d, "reverse",
                           build=lambda rule, a=argnum: jax.grad(_scan_carry_loss(rule), argnums=a)))
    return out


def _linearize_programs(arity: int, forward: bool) -> list[Program]:
    """custom_jvp only: linearize, and linear_transpose of the linearized function."""
    if not forward:
        return []
    out = []

    def tangents(a, argnum):
        return tuple(jnp.ones_like(x) if i == argnum else jnp.zeros_like(x)
                     for i, x in enumerate(a))

    def linearized(fn, argnum):
        return lambda *a: jax.linearize(fn, *a)[1](*tangents(a, argnum))

    def transposed(fn, argnum):
        def run(*a):
            y, lin = jax.linearize(fn, *a)
            return jax.linear_transpose(lin, *a)(jnp.ones_like(y))[argnum]
        return run

    for d in partials(arity, 1):
        (argnum,) = _steps(d)
        out.append(Program(f"jax.linearize(f, x)[1](1) {evaluate.derivative_name(d, 'forward')}",
                           d, "forward", forward=True,
                           build=lambda rule, a=argnum: linearized(rule, a)))
        out.append(Program(f"jax.linear_transpose(linearized f)(1) {evaluate.derivative_name(d, 'reverse')}",
                           d, "reverse", forward=True,
                           build=lambda rule, a=argnum: transposed(rule, a)))
    for d in partials(arity, 2):
        first, second = _steps(d)
        grad_in = lambda rule, first=first: _array(rule, _unit(arity, first), "reverse")
        out.append(Program(f"jax.linearize(grad f, x)[1](1) {evaluate.derivative_name(d, 'forward-over-reverse')}",
                           d, "forward-over-reverse", forward=True,
                           build=lambda rule, s=second, g=grad_in: linearized(g(rule), s)))
        out.append(Program(f"jax.linear_transpose(linearized grad f)(1) {evaluate.derivative_name(d, 'reverse-over-reverse')}",
                           d, "reverse-over-reverse", forward=True,
                           build=lambda rule, s=second, g=grad_in: transposed(g(rule), s)))
    return out


def _jacobian_programs(arity: int, forward: bool) -> list[Program]:
    """Blocks of ``jacrev``/``jacfwd`` of ``f`` and of ``grad`` of ``sum f`` (Hessians)
    on rows of ROW, and per-example gradients (``vmap`` of ``grad`` over rows)."""
    out = []
    jacobians = [("jax.jacrev", jax.jacrev, "reverse", False)]
    if forward:
        jacobians.append(("jax.jacfwd", jax.jacfwd, "forward", True))
    for name, jac, mode, fwd in jacobians:
        for d in partials(arity, 1):
            (argnum,) = _steps(d)
            out.append(Program(f"{name}(f) {evaluate.derivative_name(d, mode)}", d, mode,
                               jacobian=True, forward=fwd,
                               build=lambda rule, j=jac, a=argnum:
                               lambda *xs: jax.vmap(j(rule, argnums=a))(*_rows(xs))))
    # jax.hessian is jacfwd(jacrev); a custom_vjp has only jacrev(jacrev)
    hessians = ([("jax.hessian(sum f)", jax.jacfwd, "forward-over-reverse", True)] if forward
                else [("jax.jacrev(jax.grad(sum f))", jax.jacrev, "reverse-over-reverse", False)])
    for name, jac, mode, fwd in hessians:
        for d in partials(arity, 2):
            first, second = _steps(d)

            def build(rule, jac=jac, first=first, second=second):
                loss = lambda *r: jnp.sum(rule(*r))
                return lambda *xs: jax.vmap(jac(jax.grad(loss, argnums=first), argnums=second))(
                    *_rows(xs))
            out.append(Program(f"{name} {evaluate.derivative_name(d, mode)}", d, mode,
                               jacobian=True, forward=fwd, build=build))
    for d in partials(arity, 1):
        (argnum,) = _steps(d)

        def per_example(rule, argnum=argnum):
            loss = lambda *r: jnp.sum(rule(*r))
            return lambda *xs: jax.vmap(jax.grad(loss, argnums=argnum))(*_rows(xs)).reshape(-1)
        out.append(Program(f"per-example vmap(grad(sum f)) over rows {evaluate.derivative_name(d, 'reverse')}",
                           d, "reverse", build=per_example))
    return out


_BUILDERS = {
    "primals": _primal_programs,
    "remat": _remat_programs,
    "control flow": _control_flow_programs,
    "linearize": _linearize_programs,
    "jacobians": _jacobian_programs,
}
PROPERTIES = tuple(_BUILDERS)


@functools.lru_cache(maxsize=None)
def programs_for(prop: str, *, arity: int, forward: bool) -> tuple[Program, ...]:
    """The programs of property ``prop`` (one of :data:`PROPERTIES`) for an op of
    ``arity`` and a rule that does (``forward``) or does not support forward mode."""
    if prop not in _BUILDERS:
        raise ValueError(f"prop must be one of {PROPERTIES}, got {prop!r}")
    return tuple(_BUILDERS[prop](arity, forward))


def _baselines(programs) -> tuple[tuple[object, str], ...]:
    seen = []
    for p in programs:
        if (p.derivative, p.mode) not in seen:
            seen.append((p.derivative, p.mode))
    return tuple(seen)


@functools.lru_cache(maxsize=None)
def compiled(rule: Callable, programs: tuple[Program, ...]) -> Callable:
    """One jitted function: flat inputs -> every program's result, keyed by name."""
    return jax.jit(lambda *args: {p.name: p.build(rule)(*args) for p in programs})


@functools.lru_cache(maxsize=None)
def compiled_baselines(rule: Callable, arity: int, forward: bool) -> Callable:
    """One jitted function: flat inputs -> every untransformed derivative that any
    property's programs name, keyed by ``(derivative, mode)``, each on the whole array
    as a user calls it (:func:`properties.evaluate.array_derivative`).

    Shared by every property of a rule: each derivative is compiled once per rule
    and input shape, not once per property (measured: 3% of the properties' CPU
    time, ``benchmarks/profile_programs.py --unshared``)."""
    keys = _baselines(p for prop in PROPERTIES
                      for p in programs_for(prop, arity=arity, forward=forward))
    return jax.jit(lambda *args: {k: _array(rule, *k)(*args) for k in keys})


class ProgramError(Exception):
    """A program raised while it was traced or run; the message names it."""


def run(rule: Callable, programs: tuple[Program, ...], args: tuple[np.ndarray, ...], *,
        forward: bool):
    """Run every program on ``args`` (flat, padded arrays) in one call, and the
    untransformed derivatives they name in another (:func:`baselines`).

    Returns ``(results, baselines)`` as NumPy arrays. If tracing fails, each program
    is lowered alone and :class:`ProgramError` names the first that raises (some
    errors, such as an escaped tracer, surface only when lowering).
    """
    try:
        results = compiled(rule, programs)(*args)
    except Exception as error:  # noqa: BLE001 - find which program, then report it
        for p in programs:
            try:
                jax.jit(p.build(rule)).lower(*args)
            except Exception as inner:  # noqa: BLE001
                first = (str(inner).strip().splitlines() or [""])[0]
                raise ProgramError(f"{p.name} raised {type(inner).__name__}: {first}") from inner
        first = (str(error).strip().splitlines() or [""])[0]
        raise ProgramError(f"the programs raised {type(error).__name__} together, though none "
                           f"did alone (state shared between traces?): {first}") from error
    return ({k: np.asarray(v) for k, v in results.items()},
            baselines(rule, args, forward=forward))


def baselines(rule: Callable, args: tuple[np.ndarray, ...], *, forward: bool) -> dict:
    """Every untransformed derivative of :func:`compiled_baselines` at ``args``, as
    NumPy arrays; computed once per rule and inputs (every property asks for them)."""
    key = (rule, forward, tuple((a.dtype.str, a.tobytes()) for a in args))
    if key not in _BASELINE_VALUES:
        out = compiled_baselines(rule, len(args), forward)(*args)
        _BASELINE_VALUES[key] = {k: np.asarray(v) for k, v in out.items()}
    return _BASELINE_VALUES[key]


#: (rule, forward, inputs) -> baselines: a handful of entries of a few kB each.
_BASELINE_VALUES: dict = {}


def all_programs(arity: int) -> dict[str, Program]:
    """Every program of every property for an op of ``arity``, by name (for :func:`run_one`)."""
    return {p.name: p for prop in PROPERTIES
            for p in programs_for(prop, arity=arity, forward=True)}


def run_one(rule: Callable, name: str, *scalars) -> np.ndarray:
    """Program ``name`` at one input (binary: one pair), for failure messages'
    reproduce lines: the input fills a row of ROW; returns the first element (a
    Jacobian: its first row)."""
    program = all_programs(len(scalars))[name]
    args = tuple(np.full(ROW, s) for s in scalars)
    out = np.asarray(jax.jit(program.build(rule))(*args))
    return out[0, 0] if program.jacobian else out[0]


# --- judging the results ------------------------------------------------------

def same_bits(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise: the same bit pattern, or both nan (``-0`` and ``+0`` differ)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return np.zeros(np.broadcast_shapes(a.shape, b.shape), bool)
    view = {4: np.uint32, 8: np.uint64}[a.dtype.itemsize]
    return (a.view(view) == b.view(view)) | (np.isnan(a) & np.isnan(b))


def diagonal(blocks: np.ndarray) -> np.ndarray:
    """The diagonals of ``(rows, ROW, ROW)`` Jacobian blocks, flat, in element order."""
    return np.einsum("rii->ri", blocks).reshape(-1)


def off_diagonal_nonzeros(blocks: np.ndarray, derivative: np.ndarray, args) -> np.ndarray:
    """``(row, i, j)`` of off-diagonal entries that are not exactly 0, where neither
    element ``i`` nor ``j`` of the row has a nonfinite untransformed derivative or a nan
    input (there ``0 * inf`` is nan by IEEE arithmetic, not by mixing)."""
    rows = blocks.shape[0]
    finite = np.isfinite(derivative.reshape(rows, ROW))
    for a in args:
        finite &= ~np.isnan(a.reshape(rows, ROW))
    judged = finite[:, :, None] & finite[:, None, :] & ~np.eye(ROW, dtype=bool)[None]
    return np.argwhere(judged & (blocks != 0))
