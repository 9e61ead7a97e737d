"""Tests of the report's own logic: the certified fast reference, statistics, the
exhaustive sweep's sharding and merging, the formats.

Fast (a few seconds): the full sweep is never run here; small chunks and
hand-made implementations with known defects stand in for it.
"""

import functools
import json
import math

import mpmath
import numpy as np
import pytest

import reference
from reference.functions import SOFTPLUS_DERIVATIVES
from properties import fastref, sweep
from properties.classify import Stats, classify
from properties.evaluate import Implementation
from properties.ops import OPS
from properties.report import inputs, measure, render
from properties.report.implementations import implementations, of_module

F32 = np.float32


def _hard_float32_inputs() -> np.ndarray:
    """Inputs where a float64 evaluation is hardest to round or place in a binade."""
    info = np.finfo(F32)
    edges = [0.0, -0.0, 1e-45, -1e-45, info.smallest_normal, -info.smallest_normal,
             info.max, -info.max, 2.0 ** 64, 64.0, 16.0, 2.0, 0.5, -0.5,
             -87.33655, -87.33654, -103.27893, -103.97208, -103.97209, -88.72284,
             88.72284, 16.635532, 17.32868, 36.7368, -36.7368, 14.556, 1024.0, -1024.0]
    x = np.array(edges, F32)
    around = [x]
    for direction in (np.inf, -np.inf):
        y = x[np.isfinite(x)]
        for _ in range(3):
            with np.errstate(over="ignore"):
                y = np.nextafter(y, F32(direction))
            around.append(y[np.isfinite(y)])
    return np.concatenate(around + [np.array([np.inf, -np.inf, np.nan], F32)])


def _near_ties(order: int, n: int = 40) -> np.ndarray:
    """Inputs in the branch band whose float64 value is nearest a float32 midpoint."""
    return _nearest_ties(order)[:n]


@functools.lru_cache(maxsize=None)  # 16.7M fast-reference values: computed once per order
def _nearest_ties(order: int, n: int = 40) -> np.ndarray:
    bits = np.arange(0x3F000000, 0x3F000000 + (1 << 22), dtype=np.uint32)  # 0.5 .. 1
    x = np.concatenate([bits.view(F32), (bits + (3 << 23)).view(F32)])  # and 4 .. 8
    x = np.concatenate([x, -x])
    ref = fastref.reference_f32(x, order)
    scaled = ref.y / fastref._pow2(np.maximum(ref.exponent.astype(np.int64) - 23, -149))
    distance = np.abs(scaled - np.floor(scaled) - 0.5)
    nearest = np.sort(np.argpartition(distance, n)[:n])  # O(size), not a 16.7M sort
    return x[nearest[np.argsort(distance[nearest], kind="stable")]]


# ---- the error bound of the float64 evaluation ---------------------------------------

def _ulps64(got: float, exact) -> float:
    _, e = mpmath.frexp(exact)
    return float(abs(mpmath.mpf(got) - exact) / mpmath.ldexp(1, int(e) - 53))


def test_numpy_exp_and_log1p_within_the_assumed_4_ulp():
    rng = np.random.default_rng(0)
    a = np.concatenate([rng.uniform(0, 745, 3000), rng.uniform(0, 1e-3, 500), [0.0, 700.0]])
    t = np.concatenate([rng.uniform(0, 1, 3000), 10.0 ** rng.uniform(-320, 0, 1000)])
    with mpmath.workprec(200):
        worst_exp = max(_ulps64(float(np.exp(-v)), mpmath.exp(-mpmath.mpf(v)))
                        for v in a if np.exp(-v) >= 2.0 ** -1022)
        worst_log1p = max(_ulps64(float(np.log1p(v)), mpmath.log1p(mpmath.mpf(v)))
                          for v in t if v > 0)
    assert worst_exp < 4 and worst_log1p < 4, (worst_exp, worst_log1p)


@pytest.mark.parametrize("order", [0, 1, 2])
def test_float64_evaluation_within_stated_bound(order):
    rng = np.random.default_rng(order)
    x = np.concatenate([
        rng.integers(0, 2 ** 32, 4000, dtype=np.uint64).astype(np.uint32).view(F32),
        rng.uniform(-120, 120, 4000).astype(F32), _hard_float32_inputs()])
    x = x[np.isfinite(x)]
    ref = fastref.reference_f32(x, order)
    fn = SOFTPLUS_DERIVATIVES[order]
    worst = 0.0
    with mpmath.workprec(200):
        for xi, yi in zip(x.tolist(), ref.y.tolist()):
            exact = fn(mpmath.mpf(xi))
            err = abs(mpmath.mpf(yi) - exact)
            assert err <= fastref.REL_BOUND * exact + fastref.ABS_BOUND, (xi, yi)
            if exact > 2.0 ** -1022:
                worst = max(worst, float(err / exact))
    assert worst < fastref.REL_BOUND / 4  # the measured error is well inside the bound


# ---- the certified rounding and the binade --------------------------------------------

@pytest.mark.parametrize("order", [0, 1, 2])
def test_fast_reference_equals_correctly_rounded(order):
    rng = np.random.default_rng(10 + order)
    x = np.concatenate([
        _hard_float32_inputs(), _near_ties(order),
        rng.integers(0, 2 ** 32, 1500, dtype=np.uint64).astype(np.uint32).view(F32),
        rng.uniform(-110, 110, 1500).astype(F32)])
    got = fastref.reference_f32(x, order).rounded
    want = reference.correctly_rounded(SOFTPLUS_DERIVATIVES[order], x)
    same = (got.view(np.uint32) == want.view(np.uint32)) | (np.isnan(got) & np.isnan(want))
    assert same.all(), f"out={got[~same]}, but should be {want[~same]} [order {order}, x={x[~same]}]"


@pytest.mark.parametrize("order", [0, 1, 2])
def test_fast_ulp_errors_equal_reference_ulp_error(order):
    x = np.concatenate([_hard_float32_inputs(), _near_ties(order, 10)])
    ref = fastref.reference_f32(x, order)
    for step in (0, 1, -1, 3):
        actual = ref.rounded.copy()
        for _ in range(abs(step)):
            with np.errstate(over="ignore"):
                actual = np.nextafter(actual, F32(np.inf if step > 0 else -np.inf))
        got = fastref.ulp_errors(actual, ref)
        want = reference.ulp_error(actual, SOFTPLUS_DERIVATIVES[order], x)
        # Below a power of two by less than any precision resolves (sigma(x) = 1 - e^-x
        # for x > 200, sigma(x)sigma(-x) = 1/4 - x^2/16 for |x| < 1e-30) both know the
        # side: reference through ExactPlus, fastref by construction.
        close = np.isclose(got, want, rtol=0, atol=1e-6) | (got == want)
        assert close.all(), f"out={got[~close]}, but should be {want[~close]} [x={x[~close]}, step {step}]"


def test_numpy_casts_subnormals_with_jax_loaded():
    import jax
    jax.jit(lambda v: v * 2)(np.float32(1))  # XLA sets FTZ/DAZ on its own threads only
    assert np.float64(1e-40).astype(F32) != 0


# ---- statistics on a planted defect ---------------------------------------------------

def _planted(x: np.ndarray, *, off_by_3: np.ndarray, flush: np.ndarray, inf_at: int):
    """Correctly rounded softplus, except: 3 ulps up where off_by_3, 0 where flush, inf at one index."""
    out = reference.correctly_rounded(SOFTPLUS_DERIVATIVES[0], x)
    for _ in range(3):
        out[off_by_3] = np.nextafter(out[off_by_3], out.dtype.type(np.inf))
    out[flush] = 0
    out[inf_at] = np.inf
    return out


def _module_with(monkeypatch, name: str, **rules):
    """A target module ``name`` holding ``rules``, importable for the test's duration."""
    import sys
    import types

    module = types.ModuleType(name)
    for rule, fn in rules.items():
        setattr(module, rule, fn)
    monkeypatch.setitem(sys.modules, name, module)
    return name


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_statistics_of_a_planted_defect_are_exact(dtype, monkeypatch):
    tiny_exact = -95.0 if dtype == "float32" else -720.0  # exact softplus is subnormal
    x = np.concatenate([np.linspace(-30, 30, 200), [tiny_exact, tiny_exact - 1, tiny_exact - 2],
                        [np.nan]]).astype(dtype)
    off_by_3 = np.zeros(x.size, bool)
    off_by_3[[3, 50, 120]] = True
    flush = np.zeros(x.size, bool)
    flush[[200, 201]] = True  # two of the three subnormal results
    inf_at = 10
    values = _planted(x, off_by_3=off_by_3, flush=flush, inf_at=inf_at)
    module = _module_with(monkeypatch, "planted_softplus", softplus_numpy=lambda v: values)
    impl = Implementation(op="softplus", variant="numpy", module=module, label="planted")
    m = measure.measure(OPS["softplus"], [impl], (x,))
    (row,) = m.rows
    s = row.stats
    assert (s.n, s.subnormal, s.flushed, s.nonfinite) == (x.size, 3, 2, 1)
    assert s.judged == x.size - 3 and s.finite_for_nonfinite == s.nan_mismatch == 0
    assert (s.over_1, s.over_2) == (3, 3)  # the three planted (the inf is counted apart)
    assert s.correctly_rounded == s.judged - 3  # the nan counts as correctly rounded
    assert 2.5 < s.max_ulp < 3.5 and s.at_max[0] in x[off_by_3].tolist()
    assert s.max_ulp_unjudged == math.inf and s.max_ulp_flushed > 1
    assert not s.within(3.5, flush_allowed=True)  # the inf fails any finite budget
    curve = m.curves[("planted", 0)]
    assert np.isnan(curve[flush]).all() and np.all(curve[off_by_3] > 2.5)


def test_stats_merge_equals_stats_of_the_whole():
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.uniform(-5, 5, 300), rng.uniform(-1e-39, 1e-39, 100)]).astype(F32)
    got = np.where(rng.random(x.size) < 0.3, np.nextafter(x, F32(9)), x)
    got[rng.random(x.size) < 0.3] = 0  # flushed where x is subnormal
    got[[5, 7]] = [np.inf, np.nan]
    c = classify(got, lambda v: v, x)
    whole = Stats.of(c)
    assert whole.flushed and whole.nonfinite == 2 and whole.over_1 > 0
    parts = Stats()
    for sl in (slice(0, 120), slice(120, 121), slice(121, None)):
        parts.merge(Stats.of(classify(got[sl], lambda v: v, x[sl])))
    assert parts == whole
    assert Stats.from_json(json.loads(json.dumps(whole.to_json()))) == whole


# ---- the exhaustive sweep: sharding and merging ---------------------------------------

SMALL_CHUNK = 10  # 2^10 magnitudes per chunk pair
#: Chunk pairs around 0 (subnormals), 1, 16.6, 88.7 (exp overflow), 103.97, inf/nan.
SMALL_PAIRS = [0, 0x3F800000 >> SMALL_CHUNK, 0x4185_1592 >> SMALL_CHUNK,
               0x42B1_7218 >> SMALL_CHUNK, 0x42CF_F1B5 >> SMALL_CHUNK,
               (0x7F80_0000 >> SMALL_CHUNK) - 1, 0x7F80_0000 >> SMALL_CHUNK]


@pytest.mark.parametrize("n", [1, 3, 64, 1000])
def test_shards_partition_the_chunk_pairs(n):
    covered = [k for i in range(n) for k in sweep.shard_pairs((i, n), SMALL_CHUNK)]
    assert covered == list(range(sweep.chunk_pairs(SMALL_CHUNK)))


@pytest.fixture(scope="module")
def sweep_impls():
    return ([Implementation(op="softplus", variant="jvp", module="stable_ops")]
            + of_module("stable_ops.naive", "softplus", "peer"))


def test_sweep_parts_merged_equal_the_whole(sweep_impls):
    whole = sweep.run(sweep_impls, pairs=SMALL_PAIRS, chunk_bits=SMALL_CHUNK)
    merged = sweep.Sweep()
    for pairs in (SMALL_PAIRS[:2], SMALL_PAIRS[2:3], SMALL_PAIRS[3:]):
        part = sweep.run(sweep_impls, pairs=pairs, chunk_bits=SMALL_CHUNK)
        merged.merge(sweep.Sweep.from_json(json.loads(json.dumps(part.to_json()))))
    assert merged.stats == whole.stats
    assert all(np.array_equal(merged.bins[k], whole.bins[k]) for k in whole.bins)
    assert merged.inputs == whole.inputs == 2 * len(SMALL_PAIRS) << SMALL_CHUNK
    # the naive rule overflows: the sweep sees it
    naive = merged.stats[("naive log(1+exp(x)) autodiff", 0, "value")]
    assert naive.nonfinite > 0 and not naive.within(1e30, flush_allowed=True)
    with pytest.raises(ValueError, match="overlap"):
        merged.merge(sweep.run(sweep_impls, pairs=SMALL_PAIRS[:1], chunk_bits=SMALL_CHUNK))


def test_sweep_chunk_is_judged_as_the_report_judges_it(sweep_impls):
    """Same inputs, same classifier: the sweep's statistics equal the report's, field by field."""
    k = 0x4185_1592 >> SMALL_CHUNK
    part = sweep.run(sweep_impls[:1], pairs=[k], chunk_bits=SMALL_CHUNK)
    bits = np.arange(k << SMALL_CHUNK, (k + 1) << SMALL_CHUNK, dtype=np.uint32)
    x = np.concatenate([bits.view(F32), (bits | np.uint32(1 << 31)).view(F32)])
    m = measure.measure(OPS["softplus"], sweep_impls[:1], (x,))
    for row in m.rows:
        order = {"value": 0, "d1": 1, "d2": 2}[row.derivative]
        for mode in row.modes:
            if (row.implementation, order, mode) in part.stats:
                assert part.stats[(row.implementation, order, mode)] == row.stats, row


def test_cli_sweeps_shards_and_merges_them(tmp_path, capsys):
    """``--exhaustive --shard I/N --out`` twice, then ``--merge``: the merged rows are the
    statistics of one run over both shards; a relabelled peer (jax.nn.softplus) is selected
    by its variant."""
    from properties.report.cli import main

    n = sweep.chunk_pairs(SMALL_CHUNK) // 2  # shards of two chunk pairs
    shards = [0, (0x42B1_7218 >> SMALL_CHUNK) // 2]
    paths = []
    for i in shards:
        paths.append(str(tmp_path / f"part{i}.json"))
        assert main(["--exhaustive", "--target", "properties.peers.jax_nn", "--variant", "jvp",
                     "--ops", "", "--chunk-bits", str(SMALL_CHUNK), "--shard", f"{i}/{n}", "--out", paths[-1],
                     "--format", "json", "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["--merge", *paths, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    impl = Implementation(op="softplus", variant="jvp", module="properties.peers.jax_nn",
                          label="jax.nn.softplus")
    pairs = [k for i in shards for k in sweep.shard_pairs((i, n), SMALL_CHUNK)]
    whole = sweep.run([impl], pairs=pairs, chunk_bits=SMALL_CHUNK)
    assert {r["implementation"] for r in rows} == {"jax.nn.softplus"}
    for r in rows:
        order = {"value": 0, "d1": 1, "d2": 2}[r["derivative"]]
        stats = Stats.from_json({k: r[k] for k in Stats().to_json()})
        assert stats == whole.stats[(r["implementation"], order, r["modes"][0])]
    assert main(["--merge", *paths, paths[0]]) == 2


# ---- formats --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_report():
    from properties.report.cli import build_report
    report, measurements = build_report(target="stable_ops", peers=("jax_nn", "xla_primitives", "numpy"),
                                        dtypes=("float32",), scale=0.01, show_progress=False,
                                        ops=("logaddexp", "log1p"))
    return report, measurements


def test_json_format_is_strict_json_and_complete(small_report):
    report, _ = small_report
    data = json.loads(render.to_json(report))
    assert {"target", "jax", "float32"} <= set(data["header"])
    labels = {r["implementation"] for r in data["rows"]}
    assert {"stable_ops.softplus_vjp", "stable_ops.softplus_jvp", "jax.nn.softplus",
            "numpy.logaddexp(x, 0)"} <= labels
    for r in data["rows"]:
        float(r["max_ulp"])  # inf is the string 'inf', which float() reads
    assert [e["x"] for e in data["tutorial"]["entries"]] == ["-10.0", "0.0", "10.0", "80.0", "100.0"]


def test_markdown_tables_are_rectangular(small_report):
    report, _ = small_report
    text = render.to_markdown(report)
    tables = [block.splitlines() for block in text.split("\n\n") if block.startswith("|")]
    assert len(tables) == 4  # softplus float32, the tutorial's comparison, logaddexp, log1p
    for table in tables:
        widths = {ln.replace("\\|", "").count("|") for ln in table}
        assert len(widths) == 1, table


def test_every_requested_op_has_the_target_beside_its_peers(small_report):
    report, _ = small_report
    rows = report["rows"]
    found = {(r["op"], r["implementation"], r["derivative"]) for r in rows}
    for variant in ("vjp", "jvp"):
        for d in ("value", "dx", "dy", "dxx", "dxy", "dyy"):
            assert ("logaddexp", f"stable_ops.logaddexp_{variant}", d) in found, d
    assert {("logaddexp", "jnp.logaddexp", "dxy"), ("log1p", "jnp.log1p", "value")} <= found
    assert {r["op"] for r in rows} == {"softplus", "logaddexp", "log1p"}
    text = render.to_text(report)
    assert "== logaddexp float32" in text and "== log1p float32" in text


def test_op_report_measures_a_wrong_partial(monkeypatch):
    """A logaddexp whose partial in y is e^y (not sigma(y - x)): dy is far off, dx is not."""
    import jax
    import jax.numpy as jnp

    import stable_ops

    @jax.custom_jvp
    def logaddexp_jvp(x, y):
        return stable_ops.logaddexp_jvp(x, y)

    @logaddexp_jvp.defjvp
    def _rule(primals, tangents):
        (x, y), (dx, dy) = primals, tangents
        out, along_x = jax.jvp(stable_ops.logaddexp_jvp, (x, y), (dx, jnp.zeros_like(dy)))
        return out, along_x + jnp.exp(jnp.minimum(y, 80.0)) * dy  # finite: 0 * dy stays 0

    module = _module_with(monkeypatch, "wrong_dy_target", logaddexp_jvp=logaddexp_jvp)
    op = OPS["logaddexp"]
    impls = implementations("logaddexp", module, peers=())
    m = measure.measure(op, impls, *inputs.for_op(op, "float32", scale=0.02))
    worst = {}
    for r in m.rows:
        worst[r.derivative] = max(worst.get(r.derivative, 0.0), r.stats.max_ulp)
    assert worst["dy"] > 1e3 and worst["dx"] < 1e3, worst


def test_text_header_names_target_backend_and_inputs(small_report):
    report, _ = small_report
    text = render.to_text(report)
    assert "target: stable_ops" in text and "backend" in text
    assert "x64 off" in text and "inputs" in text


def test_plot_writes_a_png(small_report, tmp_path):
    pytest.importorskip("matplotlib")
    _, measurements = small_report
    path = tmp_path / "ulp.png"
    render.plot([m for m in measurements if m.op == "softplus"], str(path), title="test")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_json_and_bad_target(capsys):
    from properties.report.cli import main
    assert main(["--dtype", "float32", "--scale", "0.005", "--peers", "numpy,xla_primitives",
                 "--ops", "tanh", "--format", "json", "--no-progress"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert {r["op"] for r in rows} == {"softplus", "tanh"}
    assert "jnp.tanh" in {r["implementation"] for r in rows}
    assert main(["--target", "no_such_module_xyz", "--no-progress"]) == 2
    assert "no_such_module_xyz" in capsys.readouterr().err


def test_report_inputs_are_deterministic_and_cover_the_regimes():
    (x1,), counts = inputs.for_op(OPS["softplus"], "float32", scale=0.01)
    (x2,), _ = inputs.for_op(OPS["softplus"], "float32", scale=0.01)
    assert np.array_equal(x1.view(np.uint32), x2.view(np.uint32))
    assert set(counts) == {"special", "log_sweep", "band", "random_bits"}
    finite = x1[np.isfinite(x1)]
    assert finite.min() == -np.finfo(F32).max and finite.max() == np.finfo(F32).max
    assert np.isnan(x1).any() and np.isinf(x1).any()
    assert np.any((finite > 88) & (finite < 89)) and np.any(finite == 0)


def test_binary_inputs_reach_the_zero_curve():
    (x, y), counts = inputs.for_op(OPS["logaddexp"], "float32", scale=0.1)
    assert counts["zero_curve"] > 0 and x.size == y.size
    with np.errstate(all="ignore"):
        value = np.logaddexp(x.astype(np.float64), y.astype(np.float64))
    assert np.count_nonzero(np.abs(value) < 1e-6) >= counts["zero_curve"] // 2
