"""The implementations a report compares: the target's variants, then its peers.

Peers, by the name ``--peers`` takes:

- ``jax_nn``: ``jax.nn.softplus`` (:mod:`properties.peers.jax_nn`), autodiff;
- ``naive``: the tutorial's baselines (:mod:`stable_ops.naive`): ``log(1 + exp(x))``
  by autodiff, and its ``custom_vjp`` with a ``g * sigmoid(x)`` backward pass;
- ``numpy``: ``numpy.logaddexp(x, 0)``, values only.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from properties.evaluate import derivatives_for, evaluate
from properties.target import VARIANT_MODES, load_target

OP = "softplus"
#: (module, variant) -> the name tables and plots use, where the default is unclear.
LABELS = {
    ("properties.peers.jax_nn", "jvp"): "jax.nn.softplus",
    ("stable_ops.naive", "jvp"): "naive log(1+exp(x)) autodiff",
    ("stable_ops.naive", "vjp"): "naive custom_vjp (tutorial)",
}
#: Peer name -> target module (``None``: not a JAX target).
PEERS = {"jax_nn": "properties.peers.jax_nn", "naive": "stable_ops.naive", "numpy": None}


@dataclasses.dataclass(frozen=True)
class Implementation:
    """One function whose values (and derivatives) the report measures.

    - ``label``: how tables and plots name it, e.g. ``stable_ops.softplus_jvp``;
    - ``fn``: a JAX rule, or a NumPy function of an array for values-only peers;
    - ``derivatives``: the (order, mode) pairs it supports (see properties.evaluate);
    - ``role``: ``"target"`` or ``"peer"``.
    """

    label: str
    fn: Callable
    derivatives: tuple[tuple[int, str], ...]
    role: str
    jax: bool = True

    def __call__(self, order: int, mode: str, x: np.ndarray) -> np.ndarray:
        """The ``order``-th derivative in ``mode`` at each element of ``x``."""
        if not self.jax:
            with np.errstate(all="ignore"):
                return np.asarray(self.fn(x), dtype=x.dtype)
        return evaluate(self.fn, order, mode, x)


def _numpy_logaddexp(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(x, x.dtype.type(0))


def target_implementations(name: str, role: str = "target") -> list[Implementation]:
    """The softplus variants defined by the module ``name`` (raises TargetError)."""
    target = load_target(name)
    return [Implementation(label=LABELS.get((name, variant), f"{name}.{OP}_{variant}"), fn=fn,
                           derivatives=derivatives_for(VARIANT_MODES[variant]), role=role)
            for variant, fn in target.variants(OP).items()]


def implementations(target: str, peers: tuple[str, ...] = tuple(PEERS)) -> list[Implementation]:
    """The target's variants, then each peer's (a peer that is the target is skipped)."""
    unknown = [p for p in peers if p not in PEERS]
    if unknown:
        raise ValueError(f"--peers: unknown peer {unknown[0]!r}; known: {', '.join(PEERS)}")
    out = target_implementations(target)
    for peer in peers:
        module = PEERS[peer]
        if module == target:
            continue
        if module is None:
            out.append(Implementation(label="numpy.logaddexp(x, 0)", fn=_numpy_logaddexp,
                                      derivatives=((0, "value"),), role="peer", jax=False))
        else:
            out += target_implementations(module, role="peer")
    return out
