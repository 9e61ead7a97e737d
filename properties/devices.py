r"""The rule on several devices: sharded under ``jit``, and inside ``shard_map``.

A rule that is right on one device must give the same bits when its inputs are
split across devices: under ``jit`` with inputs sharded along their only axis
(XLA's SPMD partitioner splits the kernel), inside ``jax.shard_map`` (each device
runs the rule, and its derivative, on its own block), and differentiated
*through* ``shard_map``. An elementwise rule has nothing to communicate, so any
difference is a rule that looks at the whole array it is given (a reduction, a
size, a dispatch for the batch), which on several devices is one block only
(jax-ml/jax#19175, #7047).

Each setting is compared with the same function on one device, bit for bit (nan
as one value, ``-0 != +0``), at the op's special inputs
(:func:`properties.programs.special_inputs`, padded to a multiple of 64, so 8
devices get whole blocks): the value, every first and second partial in reverse
mode and, for a ``custom_jvp``, in forward mode (first order, and
forward-over-reverse).

The device count must be set before JAX starts, so this runs as its own process:

    XLA_FLAGS=--xla_force_host_platform_device_count=8 python -m properties.devices \
        --target stable_ops

prints one JSON object: ``{"devices": 8, "cases": [...]}``, one case per rule,
dtype and setting, with the number of elements that differ and the first of them
(input, got, expected, as ``float.hex``), or the error it raised.
:func:`run_on_devices` starts it and parses the answer. Cost: five compilations
per rule and dtype (one device, sharded with ``Auto`` and with ``Explicit`` mesh axes,
inside and through ``shard_map``): 36 s of CPU for stable_ops (46 s wall, idle 2-core
machine).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys

import jax
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec

from properties import backend, programs
from properties.evaluate import array_derivative, derivative_label
from properties.ops import OPS
from properties.target import load_target

#: How many (virtual CPU) devices the inputs are split across.
N_DEVICES = 8
DEVICE_FLAG = f"--xla_force_host_platform_device_count={N_DEVICES}"
#: The settings compared with one device, in the order they are reported.
SETTINGS = ("jit, inputs sharded over 8 devices", "inside shard_map", "through shard_map",
            "jit, inputs sharded over 8 devices, Explicit axes")


def derivatives_of(arity: int, forward: bool) -> list[tuple[object, str]]:
    """The value, and every first and second partial in the modes a rule supports."""
    value = 0 if arity == 1 else (0,) * arity
    keys = [(value, "value")]
    keys += [(d, "reverse") for d in programs.partials(arity, 1)]
    keys += [(d, "reverse-over-reverse") for d in programs.partials(arity, 2)]
    if forward:
        keys += [(d, "forward") for d in programs.partials(arity, 1)]
        keys += [(d, "forward-over-reverse") for d in programs.partials(arity, 2)]
    return keys


def _label(key) -> str:
    return derivative_label(*key)


def _hex(v) -> str:
    return float(v).hex()


def compare_settings(rule, arity: int, forward: bool, args: tuple[np.ndarray, ...]) -> list[dict]:
    """Each setting of :data:`SETTINGS` against one device, at ``args`` (flat, padded)."""
    keys = derivatives_of(arity, forward)
    # Auto axes: XLA's partitioner shards the kernel; Explicit axes (jax.make_mesh's
    # default): sharding is in the types, and JAX itself must shard every op of the rule,
    # and refuses some (slicing a sharded dimension: stable_ops' logaddexp did)
    mesh = jax.make_mesh((N_DEVICES,), ("i",), axis_types=(jax.sharding.AxisType.Auto,),
                         devices=jax.devices()[:N_DEVICES])
    explicit = jax.make_mesh((N_DEVICES,), ("i",), axis_types=(jax.sharding.AxisType.Explicit,),
                             devices=jax.devices()[:N_DEVICES])
    spec = PartitionSpec("i")
    mapped = functools.partial(jax.shard_map, mesh=mesh, in_specs=(spec,) * arity, out_specs=spec)

    def every(fn):
        return lambda *a: tuple(array_derivative(fn, *k)(*a) for k in keys)

    whole = jax.jit(every(rule))
    sharded = tuple(jax.device_put(a, NamedSharding(mesh, spec)) for a in args)
    runs = {SETTINGS[0]: lambda: whole(*sharded),
            SETTINGS[1]: lambda: jax.jit(mapped(every(rule)))(*args),
            SETTINGS[2]: lambda: jax.jit(every(mapped(rule)))(*args),
            SETTINGS[3]: lambda: jax.jit(every(rule))(
                *(jax.device_put(a, NamedSharding(explicit, spec)) for a in args))}
    expected = [np.asarray(v) for v in whole(*args)]
    out = []
    for setting, call in runs.items():
        try:
            got = [np.asarray(v) for v in call()]
        except Exception as error:  # noqa: BLE001 - reported, the test fails on it
            out.append(dict(setting=setting, error=f"{type(error).__name__}: "
                                                   f"{(str(error).strip().splitlines() or [''])[0]}"))
            continue
        for key, g, e in zip(keys, got, expected):
            differ = np.flatnonzero(~programs.same_bits(g, e))
            case = dict(setting=setting, derivative=_label(key), differ=int(differ.size),
                        size=int(e.size))
            if differ.size:
                i = int(differ[0])
                case.update(index=i, inputs=[_hex(a[i]) for a in args], got=_hex(g.reshape(-1)[i]),
                            expected=_hex(e.reshape(-1)[i]))
            out.append(case)
    return out


def check_target(target_name: str, dtypes=("float32", "float64")) -> dict:
    """Every rule of the target with derivatives, in ``dtypes``: :func:`compare_settings`."""
    target = load_target(target_name)
    cases = []
    for dtype in dtypes:
        with backend.x64_for(dtype):
            for name, op in OPS.items():
                if op.orders == (0,):
                    continue
                for variant, rule in target.variants(name).items():
                    inputs = programs.special_inputs(op, dtype)
                    args = programs.padded(inputs)
                    for case in compare_settings(rule, op.arity, variant == "jvp", args):
                        cases.append(dict(rule=f"{name}_{variant}", dtype=dtype, n=int(inputs[0].size),
                                          **case))
    return dict(devices=len(jax.devices()), cases=cases)


@functools.lru_cache(maxsize=None)
def run_on_devices(target_name: str, timeout: float = 600) -> dict:
    """:func:`check_target` in a process of its own with :data:`N_DEVICES` CPU devices."""
    env = dict(os.environ)
    env["XLA_FLAGS"] = f"{env.get('XLA_FLAGS', '')} {DEVICE_FLAG}".strip()
    env["JAX_PLATFORMS"] = "cpu"
    env.pop("JAX_ENABLE_X64", None)  # each dtype sets its own mode
    done = subprocess.run([sys.executable, "-m", "properties.devices", "--target", target_name],
                          capture_output=True, text=True, env=env, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"python -m properties.devices --target {target_name} exited with "
                           f"{done.returncode}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="stable_ops")
    parser.add_argument("--dtype", action="append", choices=("float32", "float64"))
    ns = parser.parse_args(argv)
    if len(jax.devices()) < N_DEVICES:
        raise SystemExit(f"{len(jax.devices())} devices, but {N_DEVICES} are needed: set "
                         f"XLA_FLAGS={DEVICE_FLAG} before JAX starts")
    print(json.dumps(check_target(ns.target, tuple(ns.dtype or ("float32", "float64")))))


if __name__ == "__main__":
    main()
