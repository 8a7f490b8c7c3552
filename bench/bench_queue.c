/* Queue: 64-byte messages between processes, mp.h against Python's multiprocessing.Queue,
   in one run. Rows: 1 producer / 1 consumer, 2/2, 4/4 (messages per second), and the round
   trip (put, the other side gets and puts back). Boost.Interprocess is not on the Debian
   images this runs on, so it has no row. */
#define MP_IMPLEMENTATION
#include "../mp.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct job {
    mp_queue *q, *back;
    int n;
} job;

static int producer(void *arg, size_t size) {
    job *j = *(job **)arg;
    char msg[64];
    int i;
    (void)size;
    memset(msg, 'x', sizeof msg);
    for (i = 0; i < j->n; i++) mp_queue_put(j->q, msg, sizeof msg, MP_FOREVER);
    return 0;
}
static int consumer(void *arg, size_t size) {
    job *j = *(job **)arg;
    char msg[64];
    size_t n;
    int i;
    (void)size;
    for (i = 0; i < j->n; i++) mp_queue_get(j->q, msg, sizeof msg, &n, MP_FOREVER);
    return 0;
}
static double throughput(job *j, int pairs, int total) {
    mp_process p[16];
    double t0;
    int i;
    j->n = total / pairs;
    t0 = mp__os_now();
    for (i = 0; i < 2 * pairs; i++) {
        mp_process_init(&p[i], i < pairs ? producer : consumer, &j, sizeof j, NULL);
        mp_process_start(&p[i]);
    }
    for (i = 0; i < 2 * pairs; i++) {
        mp_process_join(&p[i], MP_FOREVER);
        mp_process_close(&p[i]);
    }
    return (double)j->n * pairs / (mp__os_now() - t0);
}
static int echo(void *arg, size_t size) {
    job *j = *(job **)arg;
    char msg[64];
    size_t n;
    int i;
    (void)size;
    for (i = 0; i < j->n; i++) {
        mp_queue_get(j->q, msg, sizeof msg, &n, MP_FOREVER);
        mp_queue_put(j->back, msg, n, MP_FOREVER);
    }
    return 0;
}
static double roundtrip(job *j, int n) {
    mp_process p;
    char msg[64];
    size_t got;
    double t0;
    int i;
    j->n = n;
    memset(msg, 'y', sizeof msg);
    mp_process_init(&p, echo, &j, sizeof j, NULL);
    mp_process_start(&p);
    t0 = mp__os_now();
    for (i = 0; i < n; i++) {
        mp_queue_put(j->q, msg, sizeof msg, MP_FOREVER);
        mp_queue_get(j->back, msg, sizeof msg, &got, MP_FOREVER);
    }
    t0 = mp__os_now() - t0;
    mp_process_join(&p, MP_FOREVER);
    mp_process_close(&p);
    return t0 / n * 1e6;
}

static void python(double *q1, double *q2, double *rt) {
    char line[128];
    FILE *f = popen("python3 bench/bench_queue.py 2>/dev/null", "r");
    *q1 = *q2 = *rt = -1;
    if (!f) return;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "q1 ", 3) == 0) *q1 = atof(line + 3);
        if (strncmp(line, "q2 ", 3) == 0) *q2 = atof(line + 3);
        if (strncmp(line, "rt ", 3) == 0) *rt = atof(line + 3);
    }
    pclose(f);
}

int main(void) {
    job *j = (job *)mp_shared_alloc(sizeof(job));
    double q1 = 0, q2 = 0, q4 = 0, rt = 1e9, p1, p2, prt, v;
    int r;
    j->q = mp_queue_new(0, 0);
    j->back = mp_queue_new(0, 0);
    for (r = 0; r < 3; r++) {
        if ((v = throughput(j, 1, 4000000)) > q1) q1 = v;
        if ((v = throughput(j, 2, 4000000)) > q2) q2 = v;
        if ((v = throughput(j, 4, 4000000)) > q4) q4 = v;
        if ((v = roundtrip(j, 50000)) < rt) rt = v;
    }
    python(&p1, &p2, &prt);
    printf("queue, 64-byte messages (best of 3)\n");
    printf("%-36s %8.2f M msg/s  target >= 5\n", "mp.h Queue 1 producer / 1 consumer", q1 / 1e6);
    printf("%-36s %8.2f M msg/s  target >= 2\n", "mp.h Queue 2 producers / 2 consumers", q2 / 1e6);
    printf("%-36s %8.2f M msg/s\n", "mp.h Queue 4 producers / 4 consumers", q4 / 1e6);
    printf("%-36s %8.2f us\n", "mp.h Queue round trip", rt);
    if (p1 > 0) {
        printf("%-36s %8.2f M msg/s  (mp.h %.0fx)\n", "python Queue 1/1", p1 / 1e6, q1 / p1);
        printf("%-36s %8.2f M msg/s  (mp.h %.0fx)\n", "python Queue 2/2", p2 / 1e6, q2 / p2);
        printf("%-36s %8.2f us     (mp.h %.0fx)\n", "python Queue round trip", prt, prt / rt);
    }
    /* machine-readable comparisons for bench/chart.py: factor > 1 means mp.h is better */
    if (p1 > 0) {
        printf("@ratio queue | 1p/1c 64 B vs Python Queue | %.3f\n", q1 / p1);
        printf("@ratio queue | 2p/2c 64 B vs Python Queue | %.3f\n", q2 / p2);
        printf("@ratio queue | round trip vs Python Queue | %.3f\n", prt / rt);
    }
    return 0;
}
