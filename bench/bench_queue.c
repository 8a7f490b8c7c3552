/* Queue: 64-byte messages between processes, in one run: mp.h, the raw limit (a shared-memory
   SPSC ring of 64-byte slots with futex sleeps, written here), Boost.Interprocess
   message_queue (bench_queue_boost.cpp, built and run here when the Boost headers are
   installed) and Python's multiprocessing.Queue. Rows: 1 producer / 1 consumer, 2/2, 4/4,
   8/8 (messages per second), batches of 32 through put_many/get_many, and the round trip
   (put, the other side gets and puts back). mp.h's queues are bounded as Boost's is (1 MiB
   ring; Boost: 16384 slots), so a fast producer cannot grow the backlog without limit. */
#define MP_IMPLEMENTATION
#include "../mp.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct job {
    mp_queue *q, *back;
    int n, batch;
} job;

static int producer(void *arg, size_t size) {
    job *j = *(job **)arg;
    char msg[64];
    const void *d[64];
    size_t s[64];
    int i;
    (void)size;
    memset(msg, 'x', sizeof msg);
    for (i = 0; i < 64; i++) d[i] = msg, s[i] = sizeof msg;
    if (j->batch)
        for (i = 0; i < j->n; i += j->batch)
            mp_queue_put_many(j->q, d, s, (size_t)j->batch, NULL, MP_FOREVER);
    else
        for (i = 0; i < j->n; i++) mp_queue_put(j->q, msg, sizeof msg, MP_FOREVER);
    return 0;
}
static int consumer(void *arg, size_t size) {
    job *j = *(job **)arg;
    char msg[64 * 64];
    size_t n, s[64];
    int i;
    (void)size;
    if (j->batch)
        for (i = 0; i < j->n; i += (int)n) /* no more than its share */
            mp_queue_get_many(j->q, msg, sizeof msg, s,
                              (size_t)(j->n - i < j->batch ? j->n - i : j->batch), &n, MP_FOREVER);
    else
        for (i = 0; i < j->n; i++) mp_queue_get(j->q, msg, 64, &n, MP_FOREVER);
    return 0;
}

/* The raw limit: one producer, one consumer, a ring of fixed 64-byte slots, no lock, no
   checks; each side spins a while and then sleeps on the other's position (a futex) when
   the ring is empty (full), and the other makes the wake system call only if it sleeps. */
#define RAW_SLOTS 16384
typedef struct raw_ring {
    mp__word head; /* consumer's */
    volatile mp__u32 producer_sleeps;
    char pad1[52];
    mp__word tail; /* producer's */
    volatile mp__u32 consumer_sleeps;
    char pad2[52];
    char slot[RAW_SLOTS][64];
} raw_ring;
static int raw_producer(void *arg, size_t size) {
    raw_ring *r = *(raw_ring **)arg;
    mp__u32 t = 0, h = 0, i, n, k;
    char msg[64];
    (void)size;
    memset(msg, 'x', sizeof msg);
    n = *(mp__u32 *)((char *)r + sizeof *r);
    for (i = 0; i < n; i++) {
        for (k = 0; t - h == RAW_SLOTS; k++) { /* spin a while, then sleep */
            h = mp__load(&r->head.value);
            if (t - h < RAW_SLOTS) break;
            if (k < 2000) {
                mp__pause();
            } else {
                mp__store(&r->producer_sleeps, 1);
                h = mp__load(&r->head.value);
                if (t - h == RAW_SLOTS) mp__os_wait(&r->head.value, h, 0.01);
            }
        }
        memcpy(r->slot[t % RAW_SLOTS], msg, 64);
        mp__store(&r->tail.value, ++t);
        if (mp__load(&r->consumer_sleeps) && mp__xchg(&r->consumer_sleeps, 0))
            mp__os_wake(&r->tail.value, 1);
    }
    return 0;
}
static int raw_consumer(void *arg, size_t size) {
    raw_ring *r = *(raw_ring **)arg;
    mp__u32 t = 0, h = 0, i, n, k;
    char msg[64] = {0};
    (void)size;
    n = *(mp__u32 *)((char *)r + sizeof *r);
    for (i = 0; i < n; i++) {
        for (k = 0; t == h; k++) {
            t = mp__load(&r->tail.value);
            if (t != h) break;
            if (k < 2000) {
                mp__pause();
            } else {
                mp__store(&r->consumer_sleeps, 1);
                t = mp__load(&r->tail.value);
                if (t == h) mp__os_wait(&r->tail.value, t, 0.01);
            }
        }
        memcpy(msg, r->slot[h % RAW_SLOTS], 64);
        mp__store(&r->head.value, ++h);
        if (mp__load(&r->producer_sleeps) && mp__xchg(&r->producer_sleeps, 0))
            mp__os_wake(&r->head.value, 1);
    }
    return msg[0] == 'x' ? 0 : 1;
}
static double run(mp_target_fn a, mp_target_fn b, void *arg, size_t size, int pairs, double n) {
    mp_process p[16];
    double t0 = mp__os_now();
    int i;
    for (i = 0; i < 2 * pairs; i++) {
        mp_process_init(&p[i], i < pairs ? a : b, arg, size, NULL);
        mp_process_start(&p[i]);
    }
    for (i = 0; i < 2 * pairs; i++) {
        mp_process_join(&p[i], MP_FOREVER);
        mp_process_close(&p[i]);
    }
    return n / (mp__os_now() - t0);
}
static double raw(int n) {
    raw_ring *r = (raw_ring *)mp_shared_alloc(sizeof(raw_ring) + 8);
    double v;
    memset(r, 0, sizeof *r);
    *(mp__u32 *)((char *)r + sizeof *r) = (mp__u32)n;
    v = run(raw_producer, raw_consumer, &r, sizeof r, 1, n);
    mp_shared_free(r);
    return v;
}
static double throughput(job *j, int pairs, int total, int batch) {
    j->n = total / pairs;
    j->batch = batch;
    return run(producer, consumer, &j, sizeof j, pairs, (double)j->n * pairs);
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

/* Runs a helper that prints "<key> <value>" lines; v[i] gets the value of keys[i], or -1. */
static void rows(const char *cmd, const char *const *keys, int n, double *v) {
    char line[128];
    FILE *f = popen(cmd, "r");
    int i;
    for (i = 0; i < n; i++) v[i] = -1;
    if (!f) return;
    while (fgets(line, sizeof line, f))
        for (i = 0; i < n; i++) {
            size_t k = strlen(keys[i]);
            if (strncmp(line, keys[i], k) == 0 && line[k] == ' ') v[i] = atof(line + k + 1);
        }
    pclose(f);
}
static void row(const char *name, double v, const char *unit) {
    printf("%-44s %8.2f %s\n", name, v, unit);
}
static void ratio(const char *label, double factor) {
    if (factor > 0) printf("@ratio queue | %s | %.2f\n", label, factor);
}

int main(void) {
    static const char *const keys[] = {"q1", "q2", "q4", "q8", "rt"};
    job *j = (job *)mp_shared_alloc(sizeof(job));
    double q1 = 0, q2 = 0, q4 = 0, q8 = 0, b1 = 0, b2 = 0, rt = 1e9, rw = 0, v;
    double boost[5], py[5];
    int r, rounds = getenv("BENCH_ROUNDS") ? atoi(getenv("BENCH_ROUNDS")) : 3;
    int have_boost = system("test -d /usr/include/boost/interprocess") == 0;
    j->q = mp_queue_new((size_t)1 << 20, 0);
    j->back = mp_queue_new((size_t)1 << 20, 0);
    for (r = 0; r < 5; r++) boost[r] = -1;
    if (have_boost && system("g++ -O2 -std=c++11 -pthread -o build/bench/bench_queue_boost "
                             "bench/bench_queue_boost.cpp -lrt") != 0) {
        printf("(Boost.Interprocess: the C++ bench did not build; no Boost rows)\n");
        have_boost = 0;
    } else if (!have_boost) {
        printf("(Boost.Interprocess not installed (libboost-dev): no Boost rows)\n");
    }
    /* Boost runs inside each round, beside mp.h: on a machine whose load changes, the two
       sides of a ratio see the same moments. */
    for (r = 0; r < rounds; r++) {
        if (have_boost) {
            double b[5];
            rows("build/bench/bench_queue_boost 1", keys, 5, b);
            if (b[0] > boost[0]) boost[0] = b[0];
            if (b[1] > boost[1]) boost[1] = b[1];
            if (b[2] > boost[2]) boost[2] = b[2];
            if (b[3] > boost[3]) boost[3] = b[3];
            if (b[4] > 0 && (boost[4] < 0 || b[4] < boost[4])) boost[4] = b[4];
        }
        if ((v = throughput(j, 1, 4000000, 0)) > q1) q1 = v;
        if ((v = throughput(j, 2, 4000000, 0)) > q2) q2 = v;
        if ((v = throughput(j, 4, 4000000, 0)) > q4) q4 = v;
        if ((v = throughput(j, 8, 4000000, 0)) > q8) q8 = v;
        if ((v = throughput(j, 1, 8000000, 32)) > b1) b1 = v;
        if ((v = throughput(j, 2, 8000000, 32)) > b2) b2 = v;
        if ((v = roundtrip(j, 50000)) < rt) rt = v;
        if ((v = raw(20000000)) > rw) rw = v;
    }
    rows("python3 bench/bench_queue.py 2>/dev/null", keys, 5, py);
    printf("queue, 64-byte messages (best of %d)\n", rounds);
    row("raw SPSC ring + futex 1/1", rw / 1e6, "M msg/s");
    row("mp.h Queue 1 producer / 1 consumer", q1 / 1e6, "M msg/s");
    row("mp.h Queue 2 producers / 2 consumers", q2 / 1e6, "M msg/s");
    row("mp.h Queue 4 producers / 4 consumers", q4 / 1e6, "M msg/s");
    row("mp.h Queue 8 producers / 8 consumers", q8 / 1e6, "M msg/s");
    row("mp.h put_many/get_many of 32, 1/1", b1 / 1e6, "M msg/s");
    row("mp.h put_many/get_many of 32, 2/2", b2 / 1e6, "M msg/s");
    row("mp.h Queue round trip", rt, "us");
    if (boost[0] > 0) {
        row("Boost message_queue 1/1", boost[0] / 1e6, "M msg/s");
        row("Boost message_queue 2/2", boost[1] / 1e6, "M msg/s");
        row("Boost message_queue 4/4", boost[2] / 1e6, "M msg/s");
        row("Boost message_queue 8/8", boost[3] / 1e6, "M msg/s");
        row("Boost message_queue round trip", boost[4], "us");
    }
    if (py[0] > 0) {
        row("python Queue 1/1", py[0] / 1e6, "M msg/s");
        row("python Queue 2/2", py[1] / 1e6, "M msg/s");
        row("python Queue round trip", py[4], "us");
    }
    ratio("1p/1c 64 B vs raw SPSC ring", q1 / rw);
    ratio("1p/1c 64 B batched 32 vs raw SPSC ring", b1 / rw);
    ratio("8p/8c vs 1p/1c (oversubscribed, 2 cores)", q8 / q1);
    if (boost[0] > 0) {
        ratio("1p/1c 64 B vs Boost message_queue", q1 / boost[0]);
        ratio("2p/2c 64 B vs Boost message_queue", q2 / boost[1]);
        ratio("4p/4c 64 B vs Boost message_queue", q4 / boost[2]);
        ratio("8p/8c 64 B vs Boost message_queue", q8 / boost[3]);
        ratio("1p/1c 64 B batched 32 vs Boost message_queue", b1 / boost[0]);
        ratio("round trip vs Boost message_queue", boost[4] / rt);
    }
    if (py[0] > 0) {
        ratio("1p/1c 64 B vs Python Queue", q1 / py[0]);
        ratio("2p/2c 64 B vs Python Queue", q2 / py[1]);
        ratio("round trip vs Python Queue", py[4] / rt);
    }
    return 0;
}
