# Python's multiprocessing.Pipe on the workloads of bench_pipe.c. Prints "<row> <value>".
import multiprocessing as mp
import time

SMALL = 64
BIG = 65536


def echo(conn, n):
    for _ in range(n):
        conn.send_bytes(conn.recv_bytes())


def sink(conn, n):
    for _ in range(n):
        conn.recv_bytes()
    conn.send_bytes(b"k")


def run(target, n, size):
    a, b = mp.Pipe()
    p = mp.Process(target=target, args=(b, n))
    p.start()
    b.close()
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
    return dt


if __name__ == "__main__":
    mp.set_start_method("fork")
    n_small, n_big = 20000, 5000
    rt = min(run(echo, n_small, SMALL) for _ in range(3))
    tp = min(run(sink, n_big, BIG) for _ in range(3))
    print("roundtrip_us %.2f" % (rt / n_small * 1e6))
    print("throughput_mbs %.0f" % (n_big * BIG / 1e6 / tp))
