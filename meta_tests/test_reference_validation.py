"""Bad input to reference.correctly_rounded / ulp_error: each class raises, naming what was given."""

import ml_dtypes
import mpmath
import numpy as np
import pytest

import reference

F32 = np.float32


def identity(x):
    return x


def bad_inputs():
    """(id, value, words the message must contain), simplest first."""
    yield "python-float", 1.0, ["float", "np.float32(x)"]
    yield "python-int", 1, ["int"]
    yield "python-bool", True, ["bool"]
    yield "list", [1.0, 2.0], ["list", "np.asarray"]
    yield "string", "1.0", ["str"]
    yield "none", None, ["None"]
    yield "int-array", np.arange(3), ["int64"]
    yield "bool-array", np.array([True]), ["bool"]
    yield "complex-array", np.ones(2, np.complex128), ["complex128"]
    yield "object-array", np.array([1.0], dtype=object), ["object"]
    # ml_dtypes' other formats: no FloatFormat describes them (float8 has no infinity
    # or several nan encodings; int4 is no float), so they are refused, by name
    yield "float8_e4m3fn", np.ones(2, ml_dtypes.float8_e4m3fn), ["float8_e4m3fn"]
    yield "float8_e5m2", np.ones(2, ml_dtypes.float8_e5m2), ["float8_e5m2"]
    yield "int4", np.ones(2, ml_dtypes.int4), ["int4"]


BAD_INPUTS = list(bad_inputs())


@pytest.mark.parametrize("value, words", [case[1:] for case in BAD_INPUTS], ids=[case[0] for case in BAD_INPUTS])
def test_bad_argument_is_a_type_error_naming_it(value, words):
    with pytest.raises(TypeError) as info:
        reference.correctly_rounded(identity, value)
    for word in ["args[0]"] + words:
        assert word in str(info.value), f"{word!r} missing from: {info.value}"


@pytest.mark.parametrize("value, words", [case[1:] for case in BAD_INPUTS], ids=[case[0] for case in BAD_INPUTS])
def test_bad_actual_is_a_type_error_naming_it(value, words):
    with pytest.raises(TypeError) as info:
        reference.ulp_error(value, identity, F32(1.0))
    for word in ["actual"] + words:
        assert word in str(info.value), f"{word!r} missing from: {info.value}"


def test_second_argument_is_named_by_position():
    with pytest.raises(TypeError, match=r"args\[1\].*int32"):
        reference.correctly_rounded(lambda x, y: x + y, F32(1.0), np.int32(1))


def test_mismatched_shapes_are_a_value_error_naming_the_shapes():
    with pytest.raises(ValueError, match=r"args\[0\] shape \(2,\), args\[1\] shape \(3,\)"):
        reference.correctly_rounded(lambda x, y: x + y, np.ones(2, F32), np.ones(3, F32))


@pytest.mark.parametrize(
    "dtype, word",
    [("float8_e4m3fn", "float8_e4m3fn"), (ml_dtypes.float8_e5m2, "float8_e5m2"), (np.int32, "int32"),
     ("junk", "junk"), (np.complex64, "complex64"), (3.5, "3.5")],
)
def test_unsupported_dtype_argument(dtype, word):
    with pytest.raises(TypeError) as info:
        reference.correctly_rounded(identity, F32(1.0), dtype=dtype)
    assert "dtype" in str(info.value) and word in str(info.value), str(info.value)


def test_dtype_required_without_args():
    with pytest.raises(TypeError, match="dtype is required"):
        reference.correctly_rounded(lambda: mpmath.pi)


@pytest.mark.parametrize("fn", [None, 3.0, "exp"])
def test_fn_must_be_callable(fn):
    with pytest.raises(TypeError, match=r"fn must be a callable.*" + repr(fn).replace(".", r"\.")):
        reference.correctly_rounded(fn, F32(1.0))
    with pytest.raises(TypeError, match=r"fn must be a callable"):
        reference.ulp_error(F32(1.0), fn, F32(1.0))


def test_fn_that_raises_is_wrapped_naming_fn_input_and_index():
    def reciprocal(x):
        return 1 / x

    x = np.array([1.0, 2.0, 0.0], F32)
    with pytest.raises(reference.EvaluationError) as info:
        reference.correctly_rounded(reciprocal, x)
    message = str(info.value)
    assert "reciprocal" in message and "ZeroDivisionError" in message and "(0.0,)" in message, message
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    notes = "\n".join(getattr(info.value, "__notes__", []))
    if hasattr(info.value, "add_note"):
        assert "index (2,)" in notes and "float32" in notes, notes


def test_fn_that_raises_in_ulp_error_is_wrapped():
    with pytest.raises(reference.EvaluationError, match="ValueError"):
        reference.ulp_error(F32(1.0), lambda x: mpmath.gamma(x - x), F32(1.0))


@pytest.mark.parametrize("result", ["1.0", None, np.float32(1.0), True])
def test_fn_returning_junk_is_a_type_error(result):
    with pytest.raises(TypeError, match=r"must return an mpmath mpf.*" + type(result).__name__):
        reference.correctly_rounded(lambda x: result, F32(1.0))


def test_jax_like_array_with_dtype_is_accepted():
    class ArrayLike:
        dtype = np.dtype(np.float32)

        def __array__(self, dtype=None, copy=None):
            return np.ones(2, np.float32)

    out = reference.correctly_rounded(identity, ArrayLike())
    assert out.dtype == F32 and out.tolist() == [1.0, 1.0], repr(out)


@pytest.mark.parametrize("dtype", ["float16", np.float16, "bfloat16", ml_dtypes.bfloat16])
def test_16_bit_formats_are_accepted_in_every_spelling(dtype):
    out = reference.correctly_rounded(identity, F32(1.5), dtype=dtype)
    assert out.dtype == np.dtype(dtype) and float(out) == 1.5, repr(out)
    assert reference.ulp_error(np.ones(2, dtype), identity, np.ones(2, dtype)).tolist() == [0.0, 0.0]
