"""Every float32 input, for value, first and second derivative (reverse modes).

Slow: 2^32 inputs per variant, split into :data:`SHARDS` tests so that
``pytest -n auto -m exhaustive`` spreads them over cores (or hosts, ``--tx``).
Each shard sweeps its chunk pairs (:mod:`properties.report.sweep`) against the
certified fast reference and checks the budget of each order, that no finite
input gives a nonfinite result, and that subnormal results are flushed only
where the backend flushes. ``python -m properties --exhaustive`` gives the
same sweep as a report.
"""

import pytest

from properties import backend
from properties.report import sweep

SHARDS = 64
CHUNK_BITS = 22


@pytest.mark.exhaustive
@pytest.mark.parametrize("shard", range(SHARDS), ids=lambda i: f"shard{i:02d}of{SHARDS}")
def test_every_float32_input_within_budget(target, variant, budgets, shard):
    if target.rule("softplus", variant) is None:
        pytest.skip(target.missing_reason("softplus", variant))
    spec = sweep.Spec(target=target.name, variants=(variant,))
    acc, _ = sweep.run(spec, shard=(shard, SHARDS), chunk_bits=CHUNK_BITS, progress=False)
    flush_ok = backend.flushes_subnormals("float32")
    for (label, order, mode), s in acc.stats.items():
        where = f"[{label} order {order} {mode}, float32, shard {shard}/{SHARDS}]"
        allowed = budgets("softplus", order, "float32")
        assert s.nonfinite == 0, f"nonfinite={s.nonfinite} for finite inputs, but should be 0 {where}"
        assert s.max_ulp <= allowed, (
            f"max_ulp={s.max_ulp} at x={s.x_at_max!r}, but should be <= {allowed} {where}; "
            f"reproduce: python -m properties --exhaustive --variant {variant} "
            f"--shard {shard}/{SHARDS} --target {target.name}")
        assert flush_ok or s.flushed == 0, (
            f"flushed={s.flushed} subnormal results, but the backend does not flush {where}")
