"""The Python side of listener_worker.c: starts the C worker, sends it arrays of float64 over
multiprocessing.connection, prints its answers.

    cc -std=c99 -O2 -o listener_worker examples/listener_worker.c
    python3 examples/listener_worker.py ./listener_worker
"""
import os
import struct
import subprocess
import sys
import tempfile
from multiprocessing.connection import Client

exe = sys.argv[1] if len(sys.argv) > 1 else "./listener_worker"
address = os.path.join(tempfile.mkdtemp(), "worker.sock")  # or "127.0.0.1:6000"
worker = subprocess.Popen([exe, "serve", address], stdout=subprocess.PIPE, text=True)
print(worker.stdout.readline().strip())  # "listening on ...": the socket exists now

with Client(address, authkey=b"worker key") as conn:
    for xs in ([1.5, 2.5, 3.5, 4.5], list(range(1000)), []):
        conn.send_bytes(struct.pack("%dd" % len(xs), *xs))
        total, mean = struct.unpack("dd", conn.recv_bytes())
        print("%d numbers: sum %g, mean %g" % (len(xs), total, mean))
worker.wait(10)  # our close is the worker's EOF: it stops
