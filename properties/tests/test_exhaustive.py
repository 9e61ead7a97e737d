"""Every float32 input, for value, first and second derivative (reverse modes).

Slow: 2^32 inputs per variant, split into :data:`SHARDS` tests so that
``pytest -n auto -m exhaustive`` spreads them over cores (or hosts, ``--tx``).
Each shard sweeps its chunk pairs (:mod:`properties.sweep`) against the
certified fast reference, for every op that has one, and applies the suite's
verdict (:meth:`properties.classify.Stats.within`) with the run's budgets and
subnormal policy. ``python -m properties --exhaustive`` gives the same sweep
as a report.
"""

import pytest

from properties import fastref, sweep
from properties.evaluate import Implementation

SHARDS = 64
CHUNK_BITS = 22


@pytest.mark.exhaustive
@pytest.mark.parametrize("op_name", sorted(fastref.FLOAT32))
@pytest.mark.parametrize("shard", range(SHARDS), ids=lambda i: f"shard{i:02d}of{SHARDS}")
def test_every_float32_input_within_budget(target, op_name, variant, budgets,
                                           flush_allowed_for, shard):
    if target.rule(op_name, variant) is None:
        pytest.skip(target.missing_reason(op_name, variant))
    impl = Implementation(op=op_name, variant=variant, module=target.name)
    result = sweep.run([impl], pairs=sweep.shard_pairs((shard, SHARDS), CHUNK_BITS),
                       chunk_bits=CHUNK_BITS)
    flush_allowed = flush_allowed_for("float32")
    for (label, order, mode), s in result.stats.items():
        allowed = budgets(op_name, order, "float32")
        assert s.within(allowed, flush_allowed=flush_allowed), (
            f"{label} order {order} {mode} float32, shard {shard}/{SHARDS}: max_ulp={s.max_ulp} "
            f"at x={s.at_max}, but should be <= {allowed}; nonfinite={s.nonfinite}, "
            f"finite_for_nonfinite={s.finite_for_nonfinite}, nan_mismatch={s.nan_mismatch} "
            f"(worst {s.max_ulp_unjudged} ULP), flushed={s.flushed} (worst {s.max_ulp_flushed} "
            f"ULP; allowed: {flush_allowed}); reproduce: python -m properties --exhaustive "
            f"--variant {variant} --shard {shard}/{SHARDS} --target {target.name}")
