"""Plain data across the sandbox boundary, without pickle.

A message is a JSON header that describes the structure, followed by the raw bytes of its arrays.
Only None, bool, int, float, str, bytes, NumPy arrays and scalars of numeric dtype, and tuples, lists
and dicts (str keys) of those travel; anything else arrives as an `Opaque` placeholder that names its
type, so the grader can say "returned an object of type X" without ever running it.

Used on both sides of the boundary, so only the standard library and NumPy.
"""

from __future__ import annotations

import json
import math
import os
import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Union

import numpy as np

if TYPE_CHECKING:
    import mmap

Message = Union[bytes, bytearray, memoryview, "mmap.mmap"]  # what decode reads: any bytes-like

MAX_DEPTH = 32
RESULT_ELEMENTS = 50_000  # list, tuple and dict elements in one result a job sends (grader/judge/budget.py)
TYPE_NAME_CHARS = 200  # an Opaque's type name: a class name is the student's to choose, and may be megabytes
_DTYPE_KINDS = "biufc"  # bool, int, uint, float, complex
_LEN = struct.Struct(">I")


class WireError(ValueError):
    """A message that is malformed or over its size cap."""


class WireTooLarge(WireError):
    """A well-formed message over a cap on its bytes, its header or (`elements`) its count of elements."""

    def __init__(self, message: str, elements: bool = False):
        super().__init__(message)
        self.elements = elements


class Opaque:
    """Stands for a value of a type that does not travel (a function, a class instance, ...)."""

    __slots__ = ("type_name",)

    def __init__(self, type_name: str):
        self.type_name = type_name[:TYPE_NAME_CHARS]

    def __repr__(self) -> str:
        return f"<{self.type_name} object>"

    def __eq__(self, other) -> bool:
        return isinstance(other, Opaque) and other.type_name == self.type_name


def _encode(obj, buffers: list, depth: int, count: list):
    if depth > MAX_DEPTH:
        return {"~": "opaque", "type": "nested too deeply"}
    kind = type(obj)  # the exact types first, by identity: nearly every value is one of them
    if kind is np.ndarray and obj.dtype.kind in _DTYPE_KINDS:
        buffers.append(obj if obj.flags.c_contiguous else obj.tobytes())  # joined (or hashed) as it is
        return {"~": "nd", "i": len(buffers) - 1, "dtype": obj.dtype.str, "shape": list(obj.shape), "scalar": False}
    if kind is str or kind is bool or obj is None:
        return obj
    if kind is tuple or kind is list:
        count[0] += len(obj)
        depth += 1
        return {"~": "tuple" if kind is tuple else "list", "v": [_encode(x, buffers, depth, count) for x in obj]}
    if kind is dict and all(type(k) is str for k in obj):
        count[0] += len(obj)
        depth += 1
        return {"~": "dict", "v": [[k, _encode(v, buffers, depth, count)] for k, v in obj.items()]}
    if kind is float:
        return {"~": "float", "v": repr(obj)}  # repr keeps nan, inf and every bit
    return _encode_other(obj, buffers, depth, count)


def _encode_other(obj, buffers: list, depth: int, count: list):
    """Every other value: subclasses, NumPy scalars, bytes, big ints, what does not travel."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (np.ndarray, np.generic)) and obj.dtype.kind in _DTYPE_KINDS:
        array = np.asarray(obj)
        buffers.append(array.tobytes())
        return {
            "~": "nd",
            "i": len(buffers) - 1,
            "dtype": array.dtype.str,
            "shape": list(array.shape),
            "scalar": isinstance(obj, np.generic),
        }
    if isinstance(obj, int):
        return obj if abs(obj) < 2**53 else {"~": "bigint", "v": str(obj)}
    if isinstance(obj, float):
        return {"~": "float", "v": repr(float(obj))}
    if isinstance(obj, (bytes, bytearray)):
        buffers.append(bytes(obj))
        return {"~": "bytes", "i": len(buffers) - 1}
    if isinstance(obj, (tuple, list)):
        count[0] += len(obj)
        return {
            "~": "tuple" if isinstance(obj, tuple) else "list",
            "v": [_encode(x, buffers, depth + 1, count) for x in obj],
        }
    if isinstance(obj, dict) and all(isinstance(k, str) for k in obj):
        count[0] += len(obj)
        return {"~": "dict", "v": [[k, _encode(v, buffers, depth + 1, count)] for k, v in obj.items()]}
    if isinstance(obj, Opaque):
        return {"~": "opaque", "type": obj.type_name}
    return {"~": "opaque", "type": type(obj).__name__[:TYPE_NAME_CHARS]}


def same(before, after) -> bool:
    """Bit for bit the same plain data (used to tell whether a function changed its arguments)."""
    if isinstance(before, np.ndarray):  # exactly an ndarray: a subclass may override tobytes() to lie
        return (
            type(after) is np.ndarray
            and after.shape == before.shape
            and after.dtype == before.dtype
            and after.tobytes() == before.tobytes()
        )
    if isinstance(before, (tuple, list)):
        return isinstance(after, (tuple, list)) and len(after) == len(before) and all(map(same, before, after))
    if isinstance(before, dict):
        return (
            isinstance(after, dict) and after.keys() == before.keys() and all(same(before[k], after[k]) for k in before)
        )
    return type(before) is type(after) and before == after


# json.dumps(tree, separators=(",", ":"), allow_nan=False), the same bytes, without building an encoder
# for every message (a tenth of a small message's time): the tree is ours, acyclic and bounded in depth.
_HEADER = (
    json.encoder.c_make_encoder(  # type: ignore[attr-defined]
        None, None, json.encoder.encode_basestring_ascii, None, ":", ",", False, False, False
    )
    if getattr(json.encoder, "c_make_encoder", None)
    else None
)


def _header(tree) -> bytes:
    if _HEADER is None or type(tree) is not dict:  # pragma: no cover - CPython has the C encoder
        return json.dumps(tree, separators=(",", ":"), allow_nan=False).encode()
    return "".join(_HEADER(tree, 0)).encode()


def encode_parts(obj, max_elements: int | None = None) -> list:
    """The message `encode` makes, as the list of its parts (bytes, or arrays read in place): `encode`
    joins them, `seal.key_for` hashes them, neither copying an array first."""
    buffers: list = []
    count = [0]
    tree = _encode(obj, buffers, 0, count)
    if max_elements is not None and count[0] > max_elements:
        raise WireTooLarge(
            f"a value of {count[0]:,} list, tuple and dict elements is over the cap of {max_elements:,}", True
        )
    header = _header(tree)
    parts = [_LEN.pack(len(header)), header]
    for buffer in buffers:
        parts += [_LEN.pack(buffer.nbytes if type(buffer) is np.ndarray else len(buffer)), buffer]
    return parts


def encode(obj, max_bytes: int | None = None, max_elements: int | None = None) -> bytes:
    """One message: 4-byte header length, JSON header, then each buffer with its 4-byte length.
    `max_elements`: the most elements its lists, tuples and dicts may hold in all (see `decode`)."""
    message = b"".join(encode_parts(obj, max_elements))
    if max_bytes is not None and len(message) > max_bytes:
        raise WireTooLarge(f"message of {len(message)} bytes is over the cap of {max_bytes}")
    return message


_DTYPES: dict[str, np.dtype] = {}  # dtype codes already checked: decoding a result meets a handful, thousands of times


def _dtype(code) -> np.dtype:
    dtype = _DTYPES.get(code) if isinstance(code, str) else None
    if dtype is None:
        dtype = np.dtype(code)
        if dtype.kind not in _DTYPE_KINDS or dtype.hasobject:
            raise WireError(f"dtype {dtype} does not travel")
        if isinstance(code, str) and len(_DTYPES) < 256:
            _DTYPES[code] = dtype
    return dtype


_SPECS: dict[tuple, tuple] = {}  # (dtype code, *shape) -> (dtype, shape, bytes): a result meets a few, often


def _spec(code, dims) -> tuple[np.dtype, tuple, int]:
    """An array node's dtype (checked), shape and size in bytes."""
    try:
        key = (code, *dims) if type(code) is str and type(dims) is list else None
        spec = _SPECS.get(key)  # type: ignore[arg-type]
    except TypeError:  # an unhashable forged dimension: the checks below say what is wrong with it
        key = spec = None
    if spec is None:
        dtype = _dtype(code)
        shape = tuple(int(n) for n in dims)
        spec = (dtype, shape, math.prod(shape) * dtype.itemsize)
        if key is not None and len(_SPECS) < 4096:
            _SPECS[key] = spec
    return spec


_PLAIN = frozenset({str, int, bool, type(None)})  # what JSON gives besides lists, dicts and floats


def _decode(node, buffers: list, depth: int = 0, copy: bool = True, left: list | None = None):
    """One node of the header. `buffers` are views of the message: copied here where `copy` (or small)."""
    if depth > MAX_DEPTH + 1:  # encode never nests deeper: a message that does was forged
        raise WireError(f"data nested more than {MAX_DEPTH} levels deep")
    if type(node) is not dict:
        if type(node) in _PLAIN:
            return node
        raise WireError(f"unexpected node {type(node).__name__}")
    tag = node.get("~")
    if tag == "nd":
        dtype, shape, size = _spec(node["dtype"], node["shape"])
        data = buffers[node["i"]]
        if len(data) != size:
            raise WireError("array bytes do not match its shape")
        array = np.ndarray(shape, dtype, data)  # a view of the message (read-only where it is)
        scalar = node.get("scalar")
        if copy or scalar:
            array = array.copy()
        return array[()] if scalar else array
    if tag == "tuple" or tag == "list" or tag == "dict":
        items = node["v"]
        if type(items) is not list:
            raise WireError(f"a {tag} whose items are not a list")
        if left is not None:  # counted before any is built: a forged header cannot make us build it
            left[0] -= len(items)
            if left[0] < 0:
                raise WireTooLarge("more list, tuple and dict elements than the cap", True)
        depth += 1
        if depth > MAX_DEPTH + 1 and items:
            raise WireError(f"data nested more than {MAX_DEPTH} levels deep")
        plain = _PLAIN  # a plain item is itself: no call for it (most of a header's nodes)
        if tag == "dict":
            return {str(k): v if type(v) in plain else _decode(v, buffers, depth, copy, left) for k, v in items}
        items = [x if type(x) in plain else _decode(x, buffers, depth, copy, left) for x in items]
        return tuple(items) if tag == "tuple" else items
    if tag == "float":
        return float(node["v"])
    if tag == "bigint":
        return int(node["v"])
    if tag == "bytes":
        data = buffers[node["i"]]
        return bytes(data) if copy or len(data) < _IN_PLACE else data  # a large blob stays in place, read only
    if tag == "opaque":
        name = node.get("type", "?")
        return Opaque(name if isinstance(name, str) else "?")
    raise WireError(f"unknown tag {tag!r}")


_IN_PLACE = 4096  # with copy=False, a byte string at least this long is used in place, a smaller one copied
# json.loads without its per-call set-up (detecting the encoding, a decoder): the scanner a decoder makes
_SCAN: Callable[[str, int], tuple[object, int]] = vars(json.JSONDecoder())["scan_once"]


def _parse(header: memoryview):
    text = str(header, "utf-8")
    value, end = _SCAN(text, 0)
    if end != len(text) and text[end:].strip():
        raise WireError("the header has more after its end")
    return value


def decode(message: Message, copy: bool = True, max_elements: int | None = None, max_header: int | None = None):
    """The value `encode` made. `copy=False` (a job's own read-only cases, mapped from a sealed memfd):
    arrays are read-only views of `message` and large byte strings memoryviews of it, so that a fresh
    process does not fault in a copy of megabytes it only reads.

    `max_elements` and `max_header` bound what decoding a job's message may build on the trusted side:
    a dict of 200,000 small ints is 3 MB on the wire and ten times that as Python objects, and its JSON
    header alone is a tree of that size, so the header's bytes are capped before it is parsed, and the
    elements counted before any container is built (`WireTooLarge`)."""
    return decode_counted(message, copy, max_elements, max_header)[0]


def decode_counted(
    message: Message, copy: bool = True, max_elements: int | None = None, max_header: int | None = None
) -> tuple[object, int]:
    """`decode`, and how many list, tuple and dict elements the value holds (counted only with a cap)."""
    left = None if max_elements is None else [max_elements]
    try:
        view = memoryview(message)
        (n,) = _LEN.unpack_from(view, 0)
        if max_header is not None and n > max_header:
            raise WireTooLarge(f"a header of {n:,} bytes is over the cap of {max_header:,}")
        if 4 + n > len(view):
            raise WireError("the header runs past the end of the message")
        header = _parse(view[4 : 4 + n])
        buffers, offset, size = [], 4 + n, len(view)
        while offset < size:
            (k,) = _LEN.unpack_from(view, offset)
            if offset + 4 + k > size:
                raise WireError("a buffer runs past the end of the message")
            buffers.append(view[offset + 4 : offset + 4 + k])
            offset += 4 + k
        value = _decode(header, buffers, 0, copy, left)
        # left is None exactly when max_elements is; the second test only tells mypy so, and never decides
        return value, (0 if left is None or max_elements is None else max_elements - left[0])
    except WireError:
        raise
    except Exception as error:  # truncated, not JSON, bad index: all the same to the caller
        raise WireError(f"malformed message: {error}") from None


# --- framing over a pipe ------------------------------------------------------------------------
def write_frame(fd: int, kind: bytes, payload: bytes) -> None:
    """A frame: one kind byte, a 4-byte length, the payload (gathered by writev: no joined copy)."""
    head = kind + _LEN.pack(len(payload))
    done = os.writev(fd, [head, payload]) if _WRITEV else 0
    if done < len(head):
        head, done = head[done:], 0
        while head:
            head = head[os.write(fd, head) :]
    else:
        done -= len(head)
    view = memoryview(payload)[done:]
    while view:
        view = view[os.write(fd, view) :]


_WRITEV = hasattr(os, "writev")


def read_exact(fd: int, n: int) -> bytes | None:
    """n bytes from fd, or None at end of file."""
    chunks, got = [], 0
    while got < n:
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, max_bytes: int) -> tuple[bytes, bytes] | None:
    head = read_exact(fd, 5)
    if head is None:
        return None
    (n,) = _LEN.unpack(head[1:])
    if n > max_bytes:
        raise WireError(f"frame of {n} bytes is over the cap of {max_bytes}")
    payload = read_exact(fd, n)
    if payload is None:
        raise WireError("frame cut short")
    return head[:1], payload
