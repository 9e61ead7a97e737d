"""The report's 16-bit inputs (:func:`properties.report.inputs.every_16bit`) and ``--dtype``."""

import argparse

import numpy as np
import pytest

from properties.ops import OPS
from properties.report import cli, inputs


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_every_16bit_input_once_sorted(dtype):
    (x,), counts = inputs.every_16bit(OPS["sigmoid"], dtype)
    bits = x.view(np.uint16)
    nans = int(np.count_nonzero(np.isnan(x)))
    all_nans = int(np.count_nonzero(np.isnan(np.arange(2 ** 16, dtype=np.uint32).astype(np.uint16).view(dtype))))
    assert nans == 1 and x.size == 2 ** 16 - all_nans + 1 == counts["every"], (x.size, nans, counts)
    assert np.unique(bits).size == x.size and np.isnan(x[-1])
    assert np.all(x[:-2] <= x[1:-1]), "not sorted"


def test_binary_16bit_pairs_hold_every_special_pair():
    (x, y), counts = inputs.every_16bit(OPS["logaddexp"], "bfloat16")
    s = inputs.special_16bit("bfloat16")
    pairs = set(zip(x.view(np.uint16).tolist(), y.view(np.uint16).tolist()))
    want = {(a, b) for a in s.view(np.uint16).tolist() for b in s.view(np.uint16).tolist()}
    assert want <= pairs and counts["special"] == s.size ** 2, (len(want - pairs), counts)
    assert x.size >= inputs.RANDOM_PAIRS_16BIT


def test_dtype_option_takes_commas_and_names_a_bad_one():
    assert cli._dtypes("float16,bfloat16") == ["float16", "bfloat16"]
    with pytest.raises(argparse.ArgumentTypeError, match="float8_e4m3fn"):
        cli._dtypes("float16,float8_e4m3fn")
    args = cli.parser().parse_args(["--dtype", "bfloat16"])
    assert cli._ops_for(args, ("bfloat16",)) == cli.OPS_16BIT
    assert cli._ops_for(args, ("bfloat16", "float32")) is None
