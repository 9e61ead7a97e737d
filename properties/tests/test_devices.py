"""Property 15: the rule on 8 devices gives the bits it gives on one.

Under ``jit`` with inputs sharded across 8 CPU devices, inside ``jax.shard_map``
(each device differentiates the rule on its block) and differentiated through
``shard_map``: the value and every first and second partial (reverse mode;
forward and forward-over-reverse for a ``custom_jvp``), unary and binary, both
dtypes, bit for bit the one-device result at every special input
(:mod:`properties.devices`). An elementwise rule communicates nothing, so a
difference is a rule that reads the whole array it is given: on several
devices, that is one block.

Cost: opt-in, with the programs properties. One subprocess (the device count is
fixed when JAX starts) for every rule and dtype: about 30 s of CPU, 45-70 s of
wall time on the loaded 2-core machine, for stable_ops.
"""

import math

import mpmath
import pytest

from properties import devices
from properties.assertions import assert_true
from reference.rounding import float_format
from reference.ulp import distance_in_ulps

pytestmark = pytest.mark.programs  # opt-in, with the programs properties

#: How many failing cases a message lists in full.
MAX_CASES = 6


def _ulps(got: float, expected: float, dtype: str) -> str:
    """``|got - expected|`` in ULPs of ``expected`` in ``dtype`` (reference.ulp)."""
    if math.isnan(expected) or math.isinf(expected):
        return "inf" if got != expected and not (math.isnan(got) and math.isnan(expected)) else "0"
    return f"{distance_in_ulps(got, mpmath.mpf(expected), float_format(dtype)):.4g}"


def _describe(case: dict) -> str:
    where = f"{case['rule']} {case.get('derivative', '')} {case['dtype']} {case['setting']}"
    if "error" in case:
        return f"{where}: raised {case['error']}, but should give the one-device result"
    x = ", ".join(f"{n}={float.fromhex(v)!r} [{v}]" for n, v in zip("xy", case["inputs"]))
    got, expected = float.fromhex(case["got"]), float.fromhex(case["expected"])
    ulps = _ulps(got, expected, case["dtype"])
    return (f"{where}: {case['differ']} of {case['size']} elements differ from one device; e.g. "
            f"out={got!r} [{case['got']}], but should be {expected!r} [{case['expected']}] at {x}: "
            f"{ulps} ULP > budget 0 (bit for bit) (element "
            f"{case['index']}, device {case['index'] * devices.N_DEVICES // case['size']} of "
            f"{devices.N_DEVICES})")


def test_rule_on_eight_devices_is_bit_for_bit_one_device(target):
    report = devices.run_on_devices(target.name)
    assert_true(report["devices"] == devices.N_DEVICES,
                f"the devices subprocess saw {report['devices']} devices, but should see "
                f"{devices.N_DEVICES} ({devices.DEVICE_FLAG})")
    assert_true(len(report["cases"]) > 0, f"{target.name}: no rule with derivatives was checked")
    failing = [c for c in report["cases"] if "error" in c or c["differ"]]
    shown = "\n".join(_describe(c) for c in failing[:MAX_CASES])
    more = f"\n(and {len(failing) - MAX_CASES} more)" if len(failing) > MAX_CASES else ""
    assert_true(not failing,
                f"several devices: {len(failing)} of {len(report['cases'])} cases are not the "
                f"one-device result bit for bit\n{shown}{more}\n  reproduce: "
                f"XLA_FLAGS={devices.DEVICE_FLAG} python -m properties.devices --target {target.name}")
