/* Pool: map of trivial tasks (default chunks, and chunksize 1), apply_async + get, and a
   CPU-bound map against a serial run, mp.h against Python's multiprocessing.Pool, in one run
   on 2 workers; the same trivial rows on 8 workers against 1 (oversubscription: no collapse
   from spinning); the memory of an idle worker and the arena bytes each object costs. */
#define MP_IMPLEMENTATION
#include "../mp.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int trivial(const void *arg, size_t size, mp_task_out *out) {
    return mp_task_return(out, arg, size);
}

typedef struct range {
    long long a, b;
} range;
static long long sum_range(range r) {
    volatile long long s = 0; /* as Python does: one addition at a time */
    long long i;
    for (i = r.a; i < r.b; i++) s += i;
    return s;
}
static int summing(const void *arg, size_t size, mp_task_out *out) {
    range r;
    long long s;
    if (size != sizeof r) return 1;
    memcpy(&r, arg, sizeof r);
    s = sum_range(r);
    return mp_task_return(out, &s, sizeof s);
}

/* chunksize-1 map and apply_async + get throughput of a pool of n workers (best of 3) */
static void trivial_rows(int n, const long long *items, double *m1, double *aa) {
    static mp_async *as[5000];
    mp_pool *p;
    mp_batch *b;
    double t0, v;
    int i, round;
    *m1 = *aa = 0;
    if (mp_pool_new(&p, n, NULL) != MP_OK) return;
    for (round = 0; round < 3; round++) {
        t0 = mp__os_now();
        mp_pool_map(p, trivial, items, sizeof items[0], 20000, 1, MP_MAP, &b);
        if ((v = 20000 / (mp__os_now() - t0)) > *m1) *m1 = v;
        mp_batch_free(b);
        t0 = mp__os_now();
        for (i = 0; i < 5000; i++)
            mp_pool_apply_async(p, trivial, &items[i], sizeof items[i], NULL, &as[i]);
        for (i = 0; i < 5000; i++) {
            mp_async_get(as[i], MP_FOREVER, NULL, NULL);
            mp_async_free(as[i]);
        }
        if ((v = 5000 / (mp__os_now() - t0)) > *aa) *aa = v;
    }
    mp_pool_shutdown(p, 1, 0);
    mp_pool_free(p);
}

/* The arena's bytes in use, block headers included (a walk of the heap under its lock). */
static size_t arena_used(void) {
    mp__heap v;
    mp__u32 off, s;
    size_t used = 0;
    if (!mp__heap_view(&v, mp__g.arena, mp__g.arena_size)) return 0;
    mp__heap_lock(&v);
    for (off = v.first; off < v.end && (s = mp__heap_size(&v, off)) != 0; off += s & ~MP__HEAP_USED)
        if (s & MP__HEAP_USED) used += (size_t)(s & ~MP__HEAP_USED) * 16;
    mp__heap_unlock(&v);
    return used;
}
/* A field of /proc/<pid>/smaps_rollup in KiB (Linux), or -1. */
static long proc_kib(long pid, const char *field) {
    char path[64], line[256];
    long v = -1;
    size_t n = strlen(field);
    FILE *f;
    snprintf(path, sizeof path, "/proc/%ld/smaps_rollup", pid);
    if (!(f = fopen(path, "r"))) return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == ':') v = atol(line + n + 1);
    fclose(f);
    return v;
}
static int noop_task(const void *arg, size_t size, mp_task_out *out) {
    (void)arg;
    (void)size;
    (void)out;
    return 0;
}
static void memory_rows(void) {
    size_t base, one, two;
    mp_pool *p, *q;
    mp_lock *l;
    mp_conn *a, *c;
    int method;
    printf("memory\n");
    for (method = MP_FORK; method <= MP_SPAWN; method++) {
        long pid;
        mp_set_start_method(method);
        if (mp_pool_new(&p, 1, NULL) != MP_OK) return;
        mp_pool_apply(p, noop_task, NULL, 0, NULL, NULL); /* it has booted and run a task */
        mp_pool_worker_pids(p, &pid, 1);
        printf("%-40s %6ld KiB RSS, %ld KiB its own (private), %ld KiB PSS\n",
               method == MP_FORK ? "idle pool worker, fork" : "idle pool worker, spawn",
               proc_kib(pid, "Rss"),
               proc_kib(pid, "Private_Clean") + proc_kib(pid, "Private_Dirty"),
               proc_kib(pid, "Pss"));
        mp_pool_shutdown(p, 1, 0);
        mp_pool_free(p);
    }
    mp_set_start_method(MP_FORK);
#define MP__ARENA_ROW(what, make, drop)                                                            \
    do {                                                                                           \
        base = arena_used();                                                                       \
        make;                                                                                      \
        printf("%-40s %8lu bytes of arena\n", what, (unsigned long)(arena_used() - base));         \
        drop;                                                                                      \
    } while (0)
    MP__ARENA_ROW("Lock", l = mp_lock_new(), mp_lock_free(l));
    MP__ARENA_ROW("RLock", l = mp_rlock_new(), mp_lock_free(l));
    {
        mp_semaphore *s;
        mp_event *e;
        mp_condition *cv;
        mp_barrier *br;
        mp_value *v;
        mp_queue *qu;
        l = mp_lock_new();
        MP__ARENA_ROW("Semaphore", s = mp_semaphore_new(1), mp_semaphore_free(s));
        MP__ARENA_ROW("Event", e = mp_event_new(), mp_event_free(e));
        MP__ARENA_ROW("Condition (its lock apart)", cv = mp_condition_new(l),
                      mp_condition_free(cv));
        MP__ARENA_ROW("Barrier", br = mp_barrier_new(2, NULL), mp_barrier_free(br));
        MP__ARENA_ROW("Value('q') (with its RLock)", v = mp_value_new(8), mp_value_free(v));
        MP__ARENA_ROW("Queue() (default ring)", qu = mp_queue_new(0, 0), mp_queue_free(qu));
        MP__ARENA_ROW("Queue(capacity 4 KiB)", qu = mp_queue_new(4096, 0), mp_queue_free(qu));
        MP__ARENA_ROW("SimpleQueue()", qu = mp_simple_queue_new(), mp_queue_free(qu));
        MP__ARENA_ROW("JoinableQueue()", qu = mp_joinable_queue_new(0, 0), mp_queue_free(qu));
        mp_lock_free(l);
    }
    MP__ARENA_ROW("Pipe() (both ends)", mp_pipe(1, &a, &c), (mp_conn_close(a), mp_conn_close(c)));
    base = arena_used();
    mp_pool_new(&p, 1, NULL);
    one = arena_used() - base;
    mp_pool_new(&q, 2, NULL);
    two = arena_used() - base - one;
    printf("%-40s %8lu bytes of arena, + %lu per worker\n", "Pool(1)", (unsigned long)one,
           (unsigned long)(two - one));
    mp_pool_free(q);
    mp_pool_free(p);
    MP__ARENA_ROW("a 1 MiB RawArray (mp_shared_alloc)", a = (mp_conn *)mp_shared_alloc(1 << 20),
                  mp_shared_free(a));
    printf("(a pending pool task costs no arena until a worker is about to take it: then its "
           "argument's bytes + 40)\n");
}

static void python(double *md, double *m1, double *aa) {
    char line[128];
    FILE *f = popen("python3 bench/bench_pool.py 2>/dev/null", "r");
    *md = *m1 = *aa = -1;
    if (!f) return;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "map_default ", 12) == 0) *md = atof(line + 12);
        if (strncmp(line, "map_chunk1 ", 11) == 0) *m1 = atof(line + 11);
        if (strncmp(line, "apply_async ", 12) == 0) *aa = atof(line + 12);
    }
    pclose(f);
}

int main(void) {
    static long long items[200000];
    static mp_async *as[5000];
    mp_pool *p;
    mp_batch *b;
    range rs[16];
    double t0, md = 0, m1 = 0, aa = 0, serial, par, pmd, pm1, paa, v, m1_1, aa_1, m1_8, aa_8;
    int i, round, workers = mp_cpu_count();
    memory_rows(); /* first, so that a forked worker copies a small parent */
    for (i = 0; i < 200000; i++) items[i] = i;
    if (mp_pool_new(&p, 2, NULL) != MP_OK) return 1;
    for (round = 0; round < 3; round++) {
        t0 = mp__os_now();
        mp_pool_map(p, trivial, items, sizeof items[0], 200000, 0, MP_MAP, &b);
        if ((v = 200000 / (mp__os_now() - t0)) > md) md = v;
        mp_batch_free(b);
        t0 = mp__os_now();
        mp_pool_map(p, trivial, items, sizeof items[0], 20000, 1, MP_MAP, &b);
        if ((v = 20000 / (mp__os_now() - t0)) > m1) m1 = v;
        mp_batch_free(b);
        t0 = mp__os_now();
        for (i = 0; i < 5000; i++)
            mp_pool_apply_async(p, trivial, &items[i], sizeof items[i], NULL, &as[i]);
        for (i = 0; i < 5000; i++) {
            mp_async_get(as[i], MP_FOREVER, NULL, NULL);
            mp_async_free(as[i]);
        }
        if ((v = 5000 / (mp__os_now() - t0)) > aa) aa = v;
    }
    mp_pool_close(p);
    mp_pool_join(p);
    mp_pool_free(p);

    /* CPU-bound: the sum of 0..N split in 16 ranges, on one worker per core */
    for (i = 0; i < 16; i++) {
        rs[i].a = (long long)i * 100000000;
        rs[i].b = (long long)(i + 1) * 100000000;
    }
    serial = par = 1e9;
    if (mp_pool_new(&p, workers, NULL) != MP_OK) return 1;
    for (round = 0; round < 3; round++) {
        t0 = mp__os_now();
        for (i = 0; i < 16; i++) (void)sum_range(rs[i]);
        if ((v = mp__os_now() - t0) < serial) serial = v;
        t0 = mp__os_now();
        mp_pool_map(p, summing, rs, sizeof rs[0], 16, 1, MP_MAP, &b);
        if ((v = mp__os_now() - t0) < par) par = v;
        mp_batch_free(b);
    }
    mp_pool_close(p);
    mp_pool_join(p);
    mp_pool_free(p);

    trivial_rows(1, items, &m1_1, &aa_1);
    trivial_rows(8, items, &m1_8, &aa_8);

    python(&pmd, &pm1, &paa);
    printf("pool on 2 workers (best of 3)\n");
    printf("%-40s %10.0f tasks/s", "map 200,000 trivial, default chunks", md);
    if (pmd > 0) printf("  python %9.0f  %5.1fx python  target > 1x", pmd, md / pmd);
    printf("\n%-40s %10.0f tasks/s", "map 20,000 trivial, chunksize 1", m1);
    if (pm1 > 0) printf("  python %9.0f  %5.1fx python  target >= 10x", pm1, m1 / pm1);
    printf("\n%-40s %10.0f tasks/s", "apply_async + get, 5,000 trivial", aa);
    if (paa > 0) printf("  python %9.0f  %5.1fx python  target >= 10x", paa, aa / paa);
    printf("\nCPU-bound map on %d workers: serial %.2f s, pool %.2f s, speed-up %.2fx "
           "(target >= %.1fx)\n",
           workers, serial, par, serial / par, 0.9 * (workers < 16 ? workers : 16));
    printf("pool on 1 and 8 workers, %d cores (best of 3)\n", mp_cpu_count());
    printf("%-40s %10.0f tasks/s on 1, %10.0f on 8: %.2fx (target >= 0.5x)\n",
           "map 20,000 trivial, chunksize 1", m1_1, m1_8, m1_8 / m1_1);
    printf("%-40s %10.0f tasks/s on 1, %10.0f on 8: %.2fx (target >= 0.5x)\n",
           "apply_async + get, 5,000 trivial", aa_1, aa_8, aa_8 / aa_1);
    printf("(tasks start in submission order; an idle worker sleeps on a futex after up to "
           "0.2 ms of looking, at most two look)\n");
    if (pmd > 0) printf("@ratio pool | map default chunks, 2 workers vs Python | %.2f\n", md / pmd);
    if (pm1 > 0) printf("@ratio pool | map chunksize 1, 2 workers vs Python | %.2f\n", m1 / pm1);
    if (paa > 0) printf("@ratio pool | apply_async + get, 2 workers vs Python | %.2f\n", aa / paa);
    printf("@ratio pool | CPU-bound map on %d workers vs serial | %.2f\n", workers, serial / par);
    printf("@ratio pool | map chunksize 1, 8 workers vs 1 worker | %.2f\n", m1_8 / m1_1);
    printf("@ratio pool | apply_async + get, 8 workers vs 1 worker | %.2f\n", aa_8 / aa_1);
    return 0;
}
