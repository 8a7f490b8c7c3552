# Python's multiprocessing.Pool on the workloads of bench_pool.c. Prints "<row> <value>".
import multiprocessing as mp
import time


def trivial(x):
    return x


def summing(r):
    a, b = r
    s = 0
    for i in range(a, b):
        s += i
    return s


if __name__ == "__main__":
    mp.set_start_method("fork")
    with mp.Pool(2) as p:
        t0 = time.perf_counter()
        p.map(trivial, range(200000))
        print("map_default %.0f" % (200000 / (time.perf_counter() - t0)))
        t0 = time.perf_counter()
        p.map(trivial, range(20000), chunksize=1)
        print("map_chunk1 %.0f" % (20000 / (time.perf_counter() - t0)))
        t0 = time.perf_counter()
        rs = [p.apply_async(trivial, (i,)) for i in range(5000)]
        for r in rs:
            r.get()
        print("apply_async %.0f" % (5000 / (time.perf_counter() - t0)))
