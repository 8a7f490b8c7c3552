/* The family arena's allocator: mp_shared_alloc + mp_shared_free against the process's own
   malloc + free, single process, and what a block costs in arena bytes. Public API only, so
   the same file measures any version of mp.h. */
#define MP_IMPLEMENTATION
#include "../mp.h"
#include <stdio.h>
#include <stdlib.h>

#define ROUNDS 3
#define LIVE   1024

static unsigned rnd(unsigned *x) {
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}
/* ns per alloc + free of 64 bytes, the block freed at once (the best case of every allocator) */
static double pair(int shared, int n) {
    double t0 = mp__os_now();
    int i;
    for (i = 0; i < n; i++) {
        void *p = shared ? mp_shared_alloc(64) : malloc(64);
        *(volatile char *)p = 1;
        if (shared)
            mp_shared_free(p);
        else
            free(p);
    }
    return (mp__os_now() - t0) / n * 1e9;
}
/* ns per operation: LIVE slots, each freed or filled (16 to 1040 bytes) at random */
static double churn(int shared, int n) {
    static void *slot[LIVE];
    unsigned x = 2463534242u;
    double t0 = mp__os_now(), t;
    int i;
    for (i = 0; i < n; i++) {
        unsigned k = rnd(&x) % LIVE;
        if (slot[k]) {
            if (shared)
                mp_shared_free(slot[k]);
            else
                free(slot[k]);
            slot[k] = NULL;
        } else {
            size_t size = 16 + rnd(&x) % 1025;
            slot[k] = shared ? mp_shared_alloc(size) : malloc(size);
            if (slot[k]) *(volatile char *)slot[k] = 1;
        }
    }
    t = (mp__os_now() - t0) / n * 1e9;
    for (i = 0; i < LIVE; i++) {
        if (shared)
            mp_shared_free(slot[i]);
        else
            free(slot[i]);
        slot[i] = NULL;
    }
    return t;
}
/* arena bytes a block of `size` takes beyond its size: the stride of blocks taken in a row */
static double overhead(size_t size) {
    enum { N = 64 };
    char *p[N];
    double o;
    int i;
    for (i = 0; i < N; i++) p[i] = (char *)mp_shared_alloc(size);
    o = (double)(p[N - 1] - p[N / 2]) / (N - 1 - N / 2) - (double)size;
    for (i = 0; i < N; i++) mp_shared_free(p[i]);
    return o;
}
static double best(double a, double b) {
    return a < b ? a : b;
}

int main(void) {
    double pm = 1e9, ps = 1e9, cm = 1e9, cs = 1e9;
    static const size_t sizes[] = {8, 64, 100, 1000, 4096, (size_t)256 << 10};
    int r;
    size_t i;
    mp_init();
    for (r = 0; r < ROUNDS; r++) {
        pm = best(pm, pair(0, 2000000));
        ps = best(ps, pair(1, 2000000));
        cm = best(cm, churn(0, 2000000));
        cs = best(cs, churn(1, 2000000));
    }
    printf("arena allocator, one process (best of %d)\n", ROUNDS);
    printf("%-44s %9.1f ns\n", "malloc + free, 64 B", pm);
    printf("%-44s %9.1f ns  %5.2fx malloc\n", "mp_shared_alloc + free, 64 B", ps, ps / pm);
    printf("%-44s %9.1f ns\n", "malloc/free at random, 1024 live, 16-1040 B", cm);
    printf("%-44s %9.1f ns  %5.2fx malloc\n", "mp_shared_alloc/free at random, same", cs, cs / cm);
    printf("arena bytes per block beyond its size:");
    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        printf(" %lu B: %.0f%s", (unsigned long)sizes[i], overhead(sizes[i]),
               i + 1 < sizeof sizes / sizeof sizes[0] ? "," : "\n");
    /* machine-readable comparisons for bench/chart.py: factor > 1 means mp.h is better */
    printf("@ratio arena | 64 B alloc+free vs malloc | %.3f\n", pm / ps);
    printf("@ratio arena | random alloc/free, 1024 live vs malloc | %.3f\n", cm / cs);
    return 0;
}
