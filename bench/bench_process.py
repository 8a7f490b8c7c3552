# Python's multiprocessing on the same workload as bench_process.c: start + join of a
# process whose target does nothing, under fork, spawn and forkserver. Prints
# "<method> <microseconds per process>".
import multiprocessing as mp
import sys
import time


def noop():
    pass


def measure(method, n):
    ctx = mp.get_context(method)
    if method == "forkserver":  # the server starts once, outside the timing (as in mp.h's)
        p = ctx.Process(target=noop)
        p.start()
        p.join()
    t0 = time.perf_counter()
    for _ in range(n):
        p = ctx.Process(target=noop)
        p.start()
        p.join()
    return (time.perf_counter() - t0) / n * 1e6


if __name__ == "__main__":
    n_fork = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    n_spawn = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    print("fork %.1f" % measure("fork", n_fork))
    print("spawn %.1f" % measure("spawn", n_spawn))
    print("forkserver %.1f" % measure("forkserver", n_spawn * 2))
