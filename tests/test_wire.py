"""The wire format between the sandbox and the grader: plain data only, exact round trips, no pickle.

Every supported type comes back as the same type with the same bits; anything else becomes an `Opaque`
that names its type; and a malformed, truncated or hostile message raises WireError instead of
decoding into something the trusted process would then have to trust.
"""

from __future__ import annotations

import ast
import inspect
import json
import math
import os
import struct
from pathlib import Path

import numpy as np
import pytest

from grader.sandbox import wire
from grader.sandbox.wire import Opaque, WireError, decode, encode

SANDBOX_DIR = Path(wire.__file__).parent


def roundtrip(value):
    return decode(encode(value))


def crafted(header, *buffers: bytes) -> bytes:
    """A message built by hand, the way a hostile child could write one."""
    head = json.dumps(header).encode()
    parts = [struct.pack(">I", len(head)), head]
    for buffer in buffers:
        parts += [struct.pack(">I", len(buffer)), buffer]
    return b"".join(parts)


def bits(x: float) -> bytes:
    return struct.pack(">d", x)


# --- scalars ------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [0.1, -0.0, 0.0, 1e-310, 5e-324, 1.7976931348623157e308, math.pi, float("inf"),
                                   float("-inf"), -1 / 3])
def test_python_floats_keep_every_bit(value):
    back = roundtrip(value)
    assert type(back) is float
    assert bits(back) == bits(value)


def test_python_nan_stays_a_python_nan():
    back = roundtrip(float("nan"))
    assert type(back) is float and math.isnan(back)


@pytest.mark.parametrize("value", [None, True, False, 0, -7, 2**53 - 1, 2**53, -(2**70), 10**40, "", "héllo ∂W", "a\x00b"])
def test_none_bools_ints_and_strings(value):
    back = roundtrip(value)
    assert type(back) is type(value)
    assert back == value


def test_bools_do_not_become_ints():
    assert roundtrip([True, 1, False, 0]) == [True, 1, False, 0]
    assert [type(x) for x in roundtrip([True, 1, False, 0])] == [bool, int, bool, int]


@pytest.mark.parametrize("value", [b"", b"\x00\xffraw", bytes(range(256)) * 10])
def test_bytes(value):
    back = roundtrip(value)
    assert type(back) is bytes and back == value


def test_bytearray_arrives_as_bytes():
    assert roundtrip(bytearray(b"abc")) == b"abc"


# --- arrays and NumPy scalars -------------------------------------------------------------------
def test_zero_d_array_numpy_scalar_and_python_float_stay_distinct():
    back = roundtrip([np.array(0.25), np.float64(0.25), 0.25, np.float32(0.25), np.array(0.25, dtype=np.float32)])
    zero_d, scalar64, plain, scalar32, zero_d32 = back
    assert type(zero_d) is np.ndarray and zero_d.shape == () and zero_d.dtype == np.float64
    assert type(scalar64) is np.float64
    assert type(plain) is float
    assert type(scalar32) is np.float32
    assert type(zero_d32) is np.ndarray and zero_d32.shape == () and zero_d32.dtype == np.float32
    assert all(float(x) == 0.25 for x in back)


@pytest.mark.parametrize("array", [
    np.arange(12, dtype=np.float64).reshape(3, 4) / 7,
    np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5,
    np.array([[-(2**62), 2**62 + 1, 0]], dtype=np.int64),
    np.array([True, False, True]),
    np.arange(8, dtype=np.uint8),
    np.array([1 + 2j, -3j], dtype=np.complex128),
    np.zeros((0, 5)),
    np.zeros((3, 0, 2), dtype=np.int32),
    np.array([np.nan, np.inf, -np.inf, -0.0, 5e-324]),
    np.arange(6.0).reshape(2, 3).astype(">f8"),  # big-endian
])
def test_arrays_keep_dtype_shape_and_bits(array):
    back = roundtrip(array)
    assert type(back) is np.ndarray
    assert back.dtype == array.dtype and back.shape == array.shape
    assert back.tobytes() == array.tobytes()


def test_nan_payload_bits_of_an_array_survive():
    payload = np.array([0x7FF8_0000_DEAD_BEEF, 0xFFF0_0000_0000_0001], dtype=np.uint64).view(np.float64)
    back = roundtrip(payload)
    assert back.view(np.uint64).tolist() == payload.view(np.uint64).tolist()


def test_non_contiguous_and_fortran_arrays_arrive_with_their_logical_values():
    base = np.arange(24, dtype=np.float64).reshape(4, 6)
    for array in (base.T, base[::2, 1::3], np.asfortranarray(base)):
        back = roundtrip(array)
        assert back.shape == array.shape
        assert np.array_equal(back, array)


def test_decoded_arrays_are_writable_copies():
    back = roundtrip(np.ones((2, 2)))
    back[0, 0] = 5.0  # would raise on a read-only view of the message
    assert back[0, 0] == 5.0


@pytest.mark.parametrize("scalar", [np.int64(-5), np.int32(7), np.bool_(True), np.uint8(200), np.complex64(1 - 1j),
                                    np.float16(0.5)])
def test_numpy_scalars_keep_their_type(scalar):
    back = roundtrip(scalar)
    assert type(back) is type(scalar)
    assert back == scalar


# --- containers ---------------------------------------------------------------------------------
def test_nested_tuples_lists_and_dicts_keep_their_kinds_and_order():
    value = {
        "caches": [((np.ones((2, 1)), np.eye(2), np.zeros((2, 1))), np.full((2, 1), 3.0))],
        "z": (1, [2, (3.5, None)], {"inner": b"raw"}),
        "a": [],
        "empty": (),
        "nothing": {},
    }
    back = roundtrip(value)
    assert list(back) == ["caches", "z", "a", "empty", "nothing"]  # insertion order kept
    assert type(back["caches"]) is list and type(back["caches"][0]) is tuple and type(back["caches"][0][0]) is tuple
    assert np.array_equal(back["caches"][0][0][1], np.eye(2))
    assert back["z"] == (1, [2, (3.5, None)], {"inner": b"raw"})
    assert type(back["z"][1]) is list and type(back["z"][1][1]) is tuple
    assert back["a"] == [] and back["empty"] == () and back["nothing"] == {}


def test_deep_nesting_is_cut_not_a_recursion_error():
    value: list = []
    for _ in range(5000):
        value = [value]
    back = roundtrip(value)
    depth = 0
    while isinstance(back, list):
        back = back[0]
        depth += 1
    assert isinstance(back, Opaque)
    assert depth <= wire.MAX_DEPTH + 1


# --- what does not travel -----------------------------------------------------------------------
class Thing:
    pass


@pytest.mark.parametrize("value, type_name", [
    (Thing(), "Thing"),
    (lambda x: x, "function"),
    ({1, 2}, "set"),
    ({1: "int key"}, "dict"),
    (np.array([Thing()], dtype=object), "ndarray"),
    (np.array([1, "a"], dtype=object), "ndarray"),
    (np.zeros(2, dtype=[("a", "f8"), ("b", "i4")]), "ndarray"),
    (np.array(["2020-01-01"], dtype="datetime64[D]"), "ndarray"),
    (np.array(["abc"]), "ndarray"),
    (Exception("x"), "Exception"),
    (range(3), "range"),
])
def test_unsupported_objects_become_opaque_with_their_type_name(value, type_name):
    back = roundtrip(value)
    assert isinstance(back, Opaque)
    assert back.type_name == type_name
    assert type_name in repr(back)


def test_opaque_travels_as_itself_and_compares_by_type_name():
    assert roundtrip(Opaque("Thing")) == Opaque("Thing")
    assert Opaque("Thing") != Opaque("Other")
    assert roundtrip([Thing(), 1]) == [Opaque("Thing"), 1]


def test_object_arrays_never_decode_into_objects():
    back = roundtrip({"x": np.array([{"evil": 1}], dtype=object)})
    assert isinstance(back["x"], Opaque)
    assert not isinstance(back["x"], np.ndarray)


@pytest.mark.parametrize("dtype", ["|O", "O", "<M8[D]", "|V8", "|S3", "<U1", "[('a', '|O')]"])
def test_a_crafted_header_with_an_object_or_non_numeric_dtype_is_rejected(dtype):
    message = crafted({"~": "nd", "i": 0, "dtype": dtype, "shape": [1], "scalar": False}, b"\x00" * 8)
    with pytest.raises(WireError):
        decode(message)


# --- malformed messages -------------------------------------------------------------------------
GOOD = encode({"b": b"bytes!", "c": [1, 2.5, "x"], "a": np.arange(4.0)})  # the last buffer is an array's


@pytest.mark.parametrize("cut", [0, 1, 3, 4, 10, len(GOOD) // 2, len(GOOD) - 9, len(GOOD) - 3, len(GOOD) - 1])
def test_truncated_messages_raise_wire_error(cut):
    with pytest.raises(WireError):
        decode(GOOD[:cut])


@pytest.mark.parametrize("cut", [1, 3, 10])
def test_a_truncated_bytes_buffer_is_not_silently_shortened(cut):
    message = encode(b"hello world")
    with pytest.raises(WireError):
        decode(message[:-cut])


@pytest.mark.parametrize("message", [
    b"",
    b"\x00\x00",
    b"\x00\x00\x00\x05notjs",
    b"\xff\xff\xff\xff{}",
    crafted({"~": "nd", "i": 3, "dtype": "<f8", "shape": [1]}, b"\x00" * 8),  # no such buffer
    crafted({"~": "nd", "i": 0, "dtype": "<f8", "shape": [2]}, b"\x00" * 8),  # bytes do not match the shape
    crafted({"~": "nd", "i": 0, "dtype": "<f8", "shape": [-1]}, b"\x00" * 8),
    crafted({"~": "nd", "i": 0, "dtype": "no such dtype", "shape": [1]}, b"\x00" * 8),
    crafted({"~": "bytes", "i": 0}),  # no buffer at all
    crafted({"~": "pickle", "v": "gASVAAAAAAAAAAAu"}),  # an unknown tag
    crafted({"~": "float", "v": "__import__('os')"}),
    crafted({"~": "dict", "v": [["k"]]}),
    crafted({"~": "list"}),
    crafted(1.5),  # a bare JSON float is not a node
    crafted([1, 2]),  # a bare JSON list is not a node
    struct.pack(">I", 3) + b"NaN",
])
def test_malformed_messages_raise_wire_error(message):
    with pytest.raises(WireError):
        decode(message)


def test_a_deeply_nested_crafted_header_raises_wire_error():
    header = "[" * 100000 + "]" * 100000
    message = struct.pack(">I", len(header)) + header.encode()
    with pytest.raises(WireError):
        decode(message)


# --- size caps ----------------------------------------------------------------------------------
def test_the_size_cap_is_exact():
    value = {"W": np.zeros((50, 50)), "note": "x" * 100}
    size = len(encode(value))
    assert decode(encode(value, max_bytes=size))["note"] == "x" * 100
    with pytest.raises(WireError, match="cap"):
        encode(value, max_bytes=size - 1)


def test_frames_round_trip_and_a_frame_over_the_cap_is_refused():
    read_fd, write_fd = os.pipe()
    try:
        wire.write_frame(write_fd, b"C", b"payload")
        wire.write_frame(write_fd, b"C", b"x" * 100)
        assert wire.read_frame(read_fd, 1000) == (b"C", b"payload")
        with pytest.raises(WireError):
            wire.read_frame(read_fd, 99)
    finally:
        os.close(read_fd)
        os.close(write_fd)


def test_a_frame_cut_short_raises_and_end_of_file_is_none():
    read_fd, write_fd = os.pipe()
    try:
        os.write(write_fd, b"C" + struct.pack(">I", 10) + b"short")
        os.close(write_fd)
        write_fd = -1
        with pytest.raises(WireError):
            wire.read_frame(read_fd, 1000)
        assert wire.read_frame(read_fd, 1000) is None
    finally:
        os.close(read_fd)
        if write_fd >= 0:
            os.close(write_fd)


# --- no pickle anywhere -------------------------------------------------------------------------
UNSAFE_MODULES = {"pickle", "_pickle", "cPickle", "dill", "cloudpickle", "marshal", "shelve", "joblib", "copyreg"}


# marshal goes one way only: the trusted side compiles a submission once and marshals its code to the job
# (client.py: marshal.dumps), which loads it (child.py: marshal.loads); nothing the job sends is unmarshalled.
MARSHAL_USES = {"client.py": {"dumps"}, "child.py": {"loads"}}


@pytest.mark.parametrize("name", ["wire.py", "client.py", "zygote.py", "child.py"])
def test_the_sandbox_modules_never_import_pickle(name):
    source = (SANDBOX_DIR / name).read_text(encoding="utf-8")
    tree = ast.parse(source)
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.partition(".")[0])
    allowed = {"marshal"} if name in MARSHAL_USES else set()
    assert not imported & (UNSAFE_MODULES - allowed)
    used = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name) and node.value.id == "marshal"}
    assert used <= MARSHAL_USES.get(name, set()), f"{name} uses marshal.{used}"
    # no loader that can be told to unpickle: np.load / np.loads, or any Unpickler
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            owner = node.value.id if isinstance(node.value, ast.Name) else None
            assert not (owner in ("np", "numpy") and node.attr in ("load", "loads")), f"{name} calls {owner}.{node.attr}"
            assert (owner not in UNSAFE_MODULES or owner in allowed) and node.attr != "Unpickler"
        if isinstance(node, ast.keyword):
            assert node.arg != "allow_pickle"


def test_wire_module_source_mentions_pickle_only_to_say_it_is_not_used():
    source = inspect.getsource(wire)
    code_lines = [line for line in source.splitlines() if "pickle" in line]
    assert all("without pickle" in line or "never" in line for line in code_lines), code_lines


# --- parts and in-place arrays (seal.key_for hashes the parts) -----------------------------------
@pytest.mark.parametrize("array", [np.arange(6.0).reshape(2, 3), np.arange(6.0).reshape(2, 3).T,
                                   np.arange(12).reshape(3, 4)[:, ::2], np.asfortranarray(np.ones((2, 3))),
                                   np.array(True), np.arange(3, dtype=">f8"), np.zeros((0, 3)), np.float32(2.5)])
def test_the_parts_join_to_the_message_and_hash_as_it_does(array):
    import hashlib

    from grader.sandbox import seal

    value = (array, [array, {"k": array}], "relu")
    parts = wire.encode_parts(value)
    message = encode(value)
    assert b"".join(parts) == message
    assert seal.key_for(b"salt", parts) == seal.key_for(b"salt", message) == hashlib.sha256(b"salt" + message).digest()
    back = decode(message)[0]
    assert back.tobytes() == np.ascontiguousarray(array).tobytes() and back.shape == np.shape(array)


def test_the_header_is_the_compact_json_of_the_tree():
    """The wire's bytes are what `json.dumps(tree, separators=(",", ":"))` made before: seal keys and kept
    answers hash them."""
    value = {"s": "é\n\"", "n": None, "t": True, "i": -5, "big": 2**60, "f": float("nan"), "a": np.ones(2)}
    message = encode(value)
    (n,) = struct.unpack(">I", message[:4])
    tree = wire._encode(value, [], 0, [0])
    assert message[4 : 4 + n] == json.dumps(tree, separators=(",", ":"), allow_nan=False).encode()
