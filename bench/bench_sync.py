# Python's multiprocessing on the workloads of bench_sync.c. Prints "<row> <value>".
import multiprocessing as mp
import sys
import time


def uncontended(n):
    lock = mp.Lock()
    t0 = time.perf_counter()
    for _ in range(n):
        lock.acquire()
        lock.release()
    return (time.perf_counter() - t0) / n * 1e9


def adder(lock, value, n):
    for _ in range(n):
        with lock:
            value.value += 1


def contended(n):
    lock = mp.Lock()
    value = mp.RawValue("l", 0)
    ps = [mp.Process(target=adder, args=(lock, value, n)) for _ in range(2)]
    t0 = time.perf_counter()
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    return 2 * n / (time.perf_counter() - t0)


def ponger(ping, pong, n):
    for _ in range(n):
        ping.wait()
        ping.clear()
        pong.set()


def pingpong(n):
    ping, pong = mp.Event(), mp.Event()
    p = mp.Process(target=ponger, args=(ping, pong, n))
    p.start()
    t0 = time.perf_counter()
    for _ in range(n):
        ping.set()
        pong.wait()
        pong.clear()
    dt = time.perf_counter() - t0
    p.join()
    return dt / n * 1e6


if __name__ == "__main__":
    mp.set_start_method("fork")
    print("uncontended_ns %.1f" % uncontended(200000))
    print("contended_ops %.0f" % contended(100000))
    print("pingpong_us %.2f" % pingpong(5000))
