"""Stand-in answers sealed with their question.

A checked function's graded helpers are stand-ins. Each answer travels into the sandbox sealed with a
key that only the exact arguments a correct caller passes can rebuild: sha256(salt + those arguments,
encoded with `wire`). So the child holds answers it cannot read; calling the helper correctly opens
one, and chaining the openings is exactly what a correct caller does anyway. A call that is right only
within float32 slack cannot open an answer and asks the trusted grader instead.

An answer that holds an argument itself (a forward helper's cache holds A_prev, W and b) carries only
a reference to it (`fold`): the job puts back a copy of the caller's own argument (`unfold`), which
the key proves to be bit for bit the one the answer was made from. That halves what the job unseals.

Only the standard library and NumPy: used on both sides of the sandbox.
"""

from __future__ import annotations

import hashlib

import numpy as np


def key_for(salt: bytes, encoded_args: bytes | list) -> bytes:
    """sha256(salt + the arguments' message); `encoded_args` is the message, or the parts of it that
    `wire.encode_parts` gives (the same digest, without joining the arrays' bytes into one copy first)."""
    digest = hashlib.sha256(salt)
    if isinstance(encoded_args, list):
        for part in encoded_args:
            digest.update(part)
    else:
        digest.update(encoded_args)
    return digest.digest()


def lookup_id(key: bytes) -> str:
    """Where a sealed answer is filed: derived from the key, so it gives nothing away either."""
    return hashlib.sha256(b"lookup:" + key).hexdigest()[:32]


def xor(data: bytes, key: bytes) -> bytes:
    """Seal or unseal (the same operation): XOR with a SHAKE-128 stream of the key (128-bit security, a
    fifth faster than SHAKE-256, and the stream is most of a job's hashing)."""
    return unseal(data, key).tobytes()


def unseal(data, key: bytes) -> memoryview:
    """`xor`, as a view of a fresh array of bytes that `wire.decode` reads without another copy."""
    stream = hashlib.shake_128(key).digest(len(data))
    return np.bitwise_xor(np.frombuffer(data, np.uint8), np.frombuffer(stream, np.uint8)).data


ARGUMENT = "\x00argument"  # {ARGUMENT: i}: the caller's i-th argument; no answer is a dict with this key


def fold(answer, args: tuple):
    """`answer` with each array that *is* one of the top-level `args` replaced by {ARGUMENT: its index}."""
    where = {id(arg): i for i, arg in enumerate(args) if isinstance(arg, np.ndarray)}
    if not where:
        return answer

    def walk(value):
        if isinstance(value, np.ndarray):
            return {ARGUMENT: where[id(value)]} if id(value) in where else value
        if isinstance(value, (tuple, list)):
            return type(value)(walk(v) for v in value)
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    return walk(answer)


def unfold(answer, args: tuple):
    """The answer `fold` made, each reference replaced by a fresh C-ordered copy of the caller's argument
    (as decoding would have made it): the sealed key proved that argument equal to the one folded."""
    if isinstance(answer, dict):
        if len(answer) == 1 and ARGUMENT in answer:
            return np.array(args[answer[ARGUMENT]], copy=True, order="C")
        return {k: unfold(v, args) for k, v in answer.items()}
    if isinstance(answer, (tuple, list)):
        return type(answer)(unfold(v, args) for v in answer)
    return answer
