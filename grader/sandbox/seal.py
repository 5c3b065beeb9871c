"""Stand-in answers sealed with their question.

A checked function's graded helpers are stand-ins. Each answer travels into the sandbox sealed with a
key that only the exact arguments a correct caller passes can rebuild: sha256(salt + those arguments,
encoded with `wire`). So the child holds answers it cannot read; calling the helper correctly opens
one, and chaining the openings is exactly what a correct caller does anyway. A call that is right only
within float32 slack cannot open an answer and asks the trusted grader instead.

Only the standard library and NumPy: used on both sides of the sandbox.
"""

from __future__ import annotations

import hashlib

import numpy as np


def key_for(salt: bytes, encoded_args: bytes) -> bytes:
    return hashlib.sha256(salt + encoded_args).digest()


def lookup_id(key: bytes) -> str:
    """Where a sealed answer is filed: derived from the key, so it gives nothing away either."""
    return hashlib.sha256(b"lookup:" + key).hexdigest()[:32]


def xor(data: bytes, key: bytes) -> bytes:
    """Seal or unseal (the same operation): XOR with a SHAKE-256 stream of the key."""
    stream = hashlib.shake_256(key).digest(len(data))
    return (np.frombuffer(data, np.uint8) ^ np.frombuffer(stream, np.uint8)).tobytes()
