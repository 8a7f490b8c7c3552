# Python's multiprocessing.connection (Listener / Client) on the workloads of bench_conn.c.
# Usage: python3 bench/bench_conn.py unix|tcp [n_small n_big [rounds]]: the best of `rounds`
# runs (default 3; bench_conn.c runs one per round of its own). Prints "<row> <value>".
import multiprocessing as mp
import os
import sys
import tempfile
import time
from multiprocessing.connection import Client, Listener

SMALL = 64
BIG = 65536
KEY = b"bench"


def client(address, n, size):
    c = Client(address, authkey=KEY)
    if size == SMALL:
        for _ in range(n):
            c.send_bytes(c.recv_bytes())
    else:
        for _ in range(n):
            c.recv_bytes()
        c.send_bytes(b"k")
    c.close()


def run(family, n, size):
    if family == "tcp":
        address = ("127.0.0.1", 0)
    else:
        address = os.path.join(tempfile.mkdtemp(), "s")
    with Listener(address, authkey=KEY) as l:
        p = mp.Process(target=client, args=(l.address, n, size))
        p.start()
        a = l.accept()
        msg = bytes(size)
        t0 = time.perf_counter()
        if size == SMALL:
            for _ in range(n):
                a.send_bytes(msg)
                a.recv_bytes()
        else:
            for _ in range(n):
                a.send_bytes(msg)
            a.recv_bytes()
        dt = time.perf_counter() - t0
        p.join()
        a.close()
    return dt


if __name__ == "__main__":
    mp.set_start_method("fork")
    family = sys.argv[1] if len(sys.argv) > 1 else "unix"
    n_small = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    n_big = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    rt = min(run(family, n_small, SMALL) for _ in range(rounds))
    tp = min(run(family, n_big, BIG) for _ in range(rounds))
    print("roundtrip_us %.2f" % (rt / n_small * 1e6))
    print("throughput_mbs %.0f" % (n_big * BIG / 1e6 / tp))
