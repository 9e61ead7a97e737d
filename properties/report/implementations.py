"""The implementations a report compares, per op: the target's variants, then its peers.

Peers, by the name ``--peers`` takes (each is a module of rules, like a target):

- ``jax_nn``: ``jax.nn`` and ``jnp.logaddexp`` (:mod:`properties.peers.jax_nn`), autodiff;
- ``xla_primitives``: XLA's value-only building blocks (:mod:`properties.peers.xla_primitives`);
- ``naive``: the tutorial's softplus baselines (:mod:`stable_ops.naive`): ``log(1 + exp(x))``
  by autodiff, and its ``custom_vjp`` with a ``g * sigmoid(x)`` backward pass;
- ``numpy``: ``numpy.logaddexp(x, 0)`` for softplus, values only
  (:mod:`properties.peers.numpy_ufuncs`).

A peer that does not define an op has no row for it.
"""

from __future__ import annotations

import importlib

from properties.evaluate import Implementation
from properties.target import VARIANTS, does_not_return, load_target

#: Peer name -> module.
PEERS = {"jax_nn": "properties.peers.jax_nn", "xla_primitives": "properties.peers.xla_primitives",
         "naive": "stable_ops.naive", "numpy": "properties.peers.numpy_ufuncs"}
#: (module, op, variant) -> the name tables and plots use, where the default is unclear.
LABELS = {
    ("properties.peers.jax_nn", "softplus", "jvp"): "jax.nn.softplus",
    ("properties.peers.jax_nn", "sigmoid", "jvp"): "jax.nn.sigmoid",
    ("properties.peers.jax_nn", "log_sigmoid", "jvp"): "jax.nn.log_sigmoid",
    ("properties.peers.jax_nn", "logaddexp", "jvp"): "jnp.logaddexp",
    ("properties.peers.xla_primitives", "logistic", "jvp"): "lax.logistic",
    **{("properties.peers.xla_primitives", name, "jvp"): f"jnp.{name}"
       for name in ("exp", "expm1", "log", "log1p", "tanh")},
    ("stable_ops.naive", "softplus", "jvp"): "naive log(1+exp(x)) autodiff",
    ("stable_ops.naive", "softplus", "vjp"): "naive custom_vjp (tutorial)",
    ("properties.peers.numpy_ufuncs", "softplus", "numpy"): "numpy.logaddexp(x, 0)",
}


def peer_modules(peers: tuple[str, ...]) -> list[str]:
    """The modules of the peers named (``--peers``), checked."""
    unknown = [p for p in peers if p not in PEERS]
    if unknown:
        raise ValueError(f"--peers: unknown peer {unknown[0]!r}; known: {', '.join(PEERS)}")
    return [PEERS[p] for p in peers]


def of_module(module: str, op: str, role: str) -> list[Implementation]:
    """The rules ``module`` defines for ``op`` (``<op>_vjp``, ``<op>_jvp``, ``<op>_numpy``),
    but those it declares not to return (``DOES_NOT_RETURN``: the header names them)."""
    found = importlib.import_module(module)
    hanging = does_not_return(found)
    return [Implementation(op=op, variant=v, module=module, role=role,
                           label=LABELS.get((module, op, v), ""))
            for v in VARIANTS + ("numpy",) if callable(getattr(found, f"{op}_{v}", None))
            and f"{op}_{v}" not in hanging]


def implementations(op: str, target: str, peers: tuple[str, ...] = tuple(PEERS)
                    ) -> list[Implementation]:
    """``op``'s rules in the target (raises TargetError if it cannot be loaded), then in
    each peer module (a peer that is the target is skipped)."""
    load_target(target)
    out = of_module(target, op, "target")
    for module in peer_modules(peers):
        if module != target:
            out += of_module(module, op, "peer")
    return out
