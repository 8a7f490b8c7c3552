/* Pool: map of trivial tasks (default chunks, and chunksize 1), apply_async + get, and a
   CPU-bound map against a serial run, mp.h against Python's multiprocessing.Pool, in one run
   on 2 workers. */
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
    double t0, md = 0, m1 = 0, aa = 0, serial, par, pmd, pm1, paa, v;
    int i, round, workers = mp_cpu_count();
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
    /* machine-readable comparisons for bench/chart.py: factor > 1 means mp.h is better */
    if (pmd > 0) printf("@ratio pool | map, default chunks vs Python Pool | %.3f\n", md / pmd);
    if (pm1 > 0) printf("@ratio pool | map, chunksize 1 vs Python Pool | %.3f\n", m1 / pm1);
    if (paa > 0) printf("@ratio pool | apply_async + get vs Python Pool | %.3f\n", aa / paa);
    printf("@ratio pool | CPU-bound map on %d workers vs serial | %.3f\n", workers, serial / par);
    return 0;
}
