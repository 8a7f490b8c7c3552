/* pool_cpu_bound.c - a CPU-bound sum, first in one process, then split into ranges that a
   Pool of cpu_count() workers adds up with map. Seed 001, section 2 (func1, serial and in
   processes) done with a Pool instead of one Process per function; cpu_bound.c is the
   Process twin.
   Build alone (in examples/): cc -std=c99 pool_cpu_bound.c -o pool_cpu_bound -pthread

   Python:
       def func1(r):                                     # seed 001's func1, over a range
           start, end = r
           res1 = 0
           for i in range(start, end):
               res1 += i
           return res1

       if __name__ == '__main__':
           x = 400000000
           s1 = time.time(); total = func1((0, x)); s2 = time.time()
           print("cost time:%s" % (s2 - s1))                         # serial

           ranges = [(k * x // 32, (k + 1) * x // 32) for k in range(32)]
           with Pool(cpu_count()) as p:
               t1 = time.time()
               parts = p.map(func1, ranges, chunksize=1)
               t2 = time.time()
           print(sum(parts) == total == x * (x - 1) // 2)
           print("cost time:%s" % (t2 - t1))                         # pool
           print("speed-up:", (s2 - s1) / (t2 - t1))

   C differences:
   - C has no big integers: func1 adds modulo the prime 1000000007, as in cpu_bound.c. That
     also keeps the work real: a compiler turns a plain sum of a range into a formula and
     the loop would vanish. The parts add up modulo the prime too, and the total is checked
     against the closed form x * (x - 1) / 2 (mod the prime).
   - x is not the seed's: X steps take about a second on a current x86-64 machine (with or
     without -O2). 32 ranges rather than one per worker, so that no CPU idles at the end
     when the workers do not run at quite the same speed.
   - A range is a struct of two unsigned long longs; mp_pool_map(MP_MAP) copies the array
     of 32 structs, one item per task (chunksize 1), and waits for all of them. Item k's
     result is read with mp_batch_result(batch, k, ...), in the order of the ranges.
   - The pool is started before the clock starts (Python's timing above does the same), and
     its start is timed on its own: under spawn every worker is a fresh run of the program.
   - The speed-up needs several CPUs: it is at most the number of CPUs, minus what other
     programs use.
*/
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define X       400000000ull /* the numbers to add: 0 .. X-1 */
#define NRANGES 32
#define PRIME   1000000007ull

static int fail(const char *what, int err) {
    fprintf(stderr, "%s failed: %s\n", what, mp_strerror(err));
    return 1;
}

struct range {
    unsigned long long start, end;
};

/* sum(range(start, end)) % PRIME */
static unsigned long long func1(unsigned long long start, unsigned long long end) {
    unsigned long long res1 = 0, i;
    for (i = start; i < end; i++) res1 = (res1 + i) % PRIME;
    return res1;
}

/* The task: one range in, its sum out. */
static int func1_task(const void *arg, size_t size, mp_task_out *out) {
    struct range r;
    unsigned long long sum;
    if (size != sizeof r) return 1; /* a non-zero status: the task failed */
    memcpy(&r, arg, sizeof r);
    sum = func1(r.start, r.end);
    return mp_task_return(out, &sum, sizeof sum);
}

int main(void) {
    struct range ranges[NRANGES];
    unsigned long long serial, part, total = 0, expected = X * (X - 1) / 2 % PRIME;
    mp_pool *p;
    mp_batch *batch;
    const void *data;
    size_t size;
    double s1, s2, t0, t1, t2;
    int k, r, status, nworkers = mp_cpu_count();

    /* the serial run */
    s1 = mp_monotonic();
    serial = func1(0, X);
    s2 = mp_monotonic();
    printf("serial: sum of i for i in [0, %llu) mod %llu = %llu\n", X, PRIME, serial);
    printf("cost time: %.3f s\n", s2 - s1);
    fflush(stdout);

    /* the pool */
    for (k = 0; k < NRANGES; k++) {
        ranges[k].start = X * (unsigned long long)k / NRANGES;
        ranges[k].end = X * (unsigned long long)(k + 1) / NRANGES;
    }
    t0 = mp_monotonic();
    if ((r = mp_pool_new(&p, nworkers, NULL)) != MP_OK) return fail("mp_pool_new", r);
    t1 = mp_monotonic();
    r = mp_pool_map(p, func1_task, ranges, sizeof ranges[0], NRANGES, 1, MP_MAP, &batch);
    if (r != MP_OK) return fail("mp_pool_map", r);
    t2 = mp_monotonic();
    for (k = 0; k < NRANGES; k++) { /* sum(parts) */
        if ((r = mp_batch_result(batch, (size_t)k, &data, &size, &status)) != MP_OK)
            return fail("mp_batch_result", r);
        if (size != sizeof part) return fail("mp_batch_result (size)", MP_ECORRUPT);
        memcpy(&part, data, sizeof part);
        total = (total + part) % PRIME;
    }
    mp_batch_free(batch);
    if ((r = mp_pool_close(p)) != MP_OK) return fail("mp_pool_close", r);
    if ((r = mp_pool_join(p)) != MP_OK) return fail("mp_pool_join", r);
    mp_pool_free(p);

    printf("pool:   %d ranges on %d workers (started in %.3f s) = %llu\n", NRANGES, nworkers,
           t1 - t0, total);
    printf("cost time: %.3f s\n", t2 - t1);
    printf("closed form x*(x-1)/2 mod %llu = %llu: %s\n", PRIME, expected,
           total == expected && serial == expected ? "same" : "DIFFERENT!");
    printf("speed-up: %.2fx with %d worker(s)\n", (s2 - s1) / (t2 - t1), nworkers);
    return total == expected && serial == expected ? 0 : 1;
}
