# Python's multiprocessing.Queue on the workloads of bench_queue.c. Prints "<row> <value>".
import multiprocessing as mp
import time

MSG = b"x" * 64


def producer(q, n):
    for _ in range(n):
        q.put(MSG)


def consumer(q, n):
    for _ in range(n):
        q.get()


def throughput(n, np):
    q = mp.Queue()
    per = n // np
    ps = [mp.Process(target=producer, args=(q, per)) for _ in range(np)]
    cs = [mp.Process(target=consumer, args=(q, per)) for _ in range(np)]
    t0 = time.perf_counter()
    for p in ps + cs:
        p.start()
    for p in ps + cs:
        p.join()
    return per * np / (time.perf_counter() - t0)


def echo(a, b, n):
    for _ in range(n):
        b.put(a.get())


def roundtrip(n):
    a, b = mp.Queue(), mp.Queue()
    p = mp.Process(target=echo, args=(a, b, n))
    p.start()
    t0 = time.perf_counter()
    for _ in range(n):
        a.put(MSG)
        b.get()
    dt = time.perf_counter() - t0
    p.join()
    return dt / n * 1e6


if __name__ == "__main__":
    mp.set_start_method("fork")
    print("q1 %.0f" % throughput(200000, 1))
    print("q2 %.0f" % throughput(200000, 2))
    print("rt %.2f" % roundtrip(5000))
