/* Locks and events between processes: mp.h against a raw robust process-shared pthread mutex,
   Boost.Interprocess's interprocess_mutex (when its headers are installed: the C++ piece
   bench/bench_sync_boost.cpp is built with g++ and run from here) and Python's
   multiprocessing, in one run, as ratios; and how soon a waiter learns that the owner died.
   POSIX only (the raw rows). */
#define MP_IMPLEMENTATION
#include "../mp.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#define ROUNDS 3

typedef struct shared {
    pthread_mutex_t raw;
    mp_lock *lock, *dying;
    mp_event *held;
    volatile double killed_at, woke_at;
    volatile int robust, result;
    mp_event *ping, *pong;
    volatile long counter;
    int n;
} shared;

static double uncontended_mp(shared *s, int n) {
    double t0 = mp__os_now();
    int i;
    for (i = 0; i < n; i++) {
        mp_lock_acquire(s->lock, MP_FOREVER);
        mp_lock_release(s->lock);
    }
    return (mp__os_now() - t0) / n * 1e9;
}
static double uncontended_raw(shared *s, int n) {
    double t0 = mp__os_now();
    int i;
    for (i = 0; i < n; i++) {
        pthread_mutex_lock(&s->raw);
        pthread_mutex_unlock(&s->raw);
    }
    return (mp__os_now() - t0) / n * 1e9;
}

static int add_mp(void *arg, size_t size) {
    shared *s = *(shared **)arg;
    int i;
    (void)size;
    for (i = 0; i < s->n; i++) {
        mp_lock_acquire(s->lock, MP_FOREVER);
        s->counter++;
        mp_lock_release(s->lock);
    }
    return 0;
}
static int add_raw(void *arg, size_t size) {
    shared *s = *(shared **)arg;
    int i;
    (void)size;
    for (i = 0; i < s->n; i++) {
        pthread_mutex_lock(&s->raw);
        s->counter++;
        pthread_mutex_unlock(&s->raw);
    }
    return 0;
}
/* Two processes each adding n under the lock: operations per second. */
static double contended(shared *s, mp_target_fn fn, int n) {
    mp_process p[2];
    double t0 = mp__os_now();
    int i;
    s->n = n;
    s->counter = 0;
    for (i = 0; i < 2; i++) {
        mp_process_init(&p[i], fn, &s, sizeof s, NULL);
        mp_process_start(&p[i]);
    }
    for (i = 0; i < 2; i++) {
        mp_process_join(&p[i], MP_FOREVER);
        mp_process_close(&p[i]);
    }
    if (s->counter != 2L * n) fprintf(stderr, "lost updates: %ld\n", s->counter);
    return 2.0 * n / (mp__os_now() - t0);
}

static int ponger(void *arg, size_t size) {
    shared *s = *(shared **)arg;
    int i;
    (void)size;
    for (i = 0; i < s->n; i++) {
        mp_event_wait(s->ping, MP_FOREVER);
        mp_event_clear(s->ping);
        mp_event_set(s->pong);
    }
    return 0;
}
/* Event ping-pong: set, the other side waits, clears and answers. Microseconds per trip. */
static double pingpong(shared *s, int n) {
    mp_process p;
    double t0;
    int i;
    s->n = n;
    mp_process_init(&p, ponger, &s, sizeof s, NULL);
    mp_process_start(&p);
    t0 = mp__os_now();
    for (i = 0; i < n; i++) {
        mp_event_set(s->ping);
        mp_event_wait(s->pong, MP_FOREVER);
        mp_event_clear(s->pong);
    }
    t0 = mp__os_now() - t0;
    mp_process_join(&p, MP_FOREVER);
    mp_process_close(&p);
    return t0 / n * 1e6;
}

/* Dead owner -> waiter has MP_EOWNERDEAD: a holder takes the lock and is SIGKILLed while a
   waiter sleeps in acquire(MP_FOREVER). robust = 0 keeps the holder's lock off the kernel's
   robust list, which leaves the liveness check of before (and of other systems). */
static int holder(void *arg, size_t size) {
    shared *s = *(shared **)arg;
    (void)size;
    if (!s->robust) mp__os_rl.dist = 0;
    mp_lock_acquire(s->dying, MP_FOREVER);
    mp_event_set(s->held);
    for (;;) pause();
    return 0;
}
static int waiter(void *arg, size_t size) {
    shared *s = *(shared **)arg;
    (void)size;
    s->result = mp_lock_acquire(s->dying, MP_FOREVER);
    s->woke_at = mp__os_now(); /* CLOCK_MONOTONIC: one clock for every process */
    mp_lock_release(s->dying);
    return 0;
}
static double recovery(shared *s, int robust) {
    double t[9], tmp;
    int i, j, n = 9;
    for (i = 0; i < n; i++) {
        mp_process h, w;
        s->robust = robust;
        s->dying = mp_lock_new();
        mp_event_clear(s->held);
        mp_process_init(&h, holder, &s, sizeof s, NULL);
        mp_process_start(&h);
        mp_event_wait(s->held, MP_FOREVER);
        mp_process_init(&w, waiter, &s, sizeof s, NULL);
        mp_process_start(&w);
        while (!(mp__load(&s->dying->m.w.value) & MP__CONTENDED)) mp__os_sleep(0.0005);
        mp__os_sleep(0.02); /* the waiter is asleep in the kernel by now */
        s->killed_at = mp__os_now();
        kill((pid_t)mp_process_pid(&h), SIGKILL);
        mp_process_join(&w, MP_FOREVER);
        mp_process_join(&h, MP_FOREVER);
        mp_process_close(&w);
        mp_process_close(&h);
        if (s->result != MP_EOWNERDEAD) fprintf(stderr, "recovery: %d\n", s->result);
        t[i] = (s->woke_at - s->killed_at) * 1e6;
        mp_lock_free(s->dying);
    }
    for (i = 0; i < n; i++) /* the median */
        for (j = i + 1; j < n; j++)
            if (t[j] < t[i]) tmp = t[i], t[i] = t[j], t[j] = tmp;
    return t[n / 2];
}

/* Boost.Interprocess: built here with g++ when its headers are there. */
static void boost(double *unc, double *ops) {
    char line[128];
    FILE *f;
    *unc = *ops = -1;
    if (access("/usr/include/boost/interprocess/sync/interprocess_mutex.hpp", R_OK) != 0) return;
    if (system("g++ -O2 -pthread -o build/bench/bench_sync_boost bench/bench_sync_boost.cpp") != 0)
        return;
    f = popen("build/bench/bench_sync_boost 5000000 3", "r");
    if (!f) return;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "uncontended_ns ", 15) == 0) *unc = atof(line + 15);
        if (strncmp(line, "contended_ops ", 14) == 0) *ops = atof(line + 14);
    }
    pclose(f);
}

static void python(double *unc, double *ops, double *pp) {
    char line[128];
    FILE *f = popen("python3 bench/bench_sync.py 2>/dev/null", "r");
    *unc = *ops = *pp = -1;
    if (!f) return;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "uncontended_ns ", 15) == 0) *unc = atof(line + 15);
        if (strncmp(line, "contended_ops ", 14) == 0) *ops = atof(line + 14);
        if (strncmp(line, "pingpong_us ", 12) == 0) *pp = atof(line + 12);
    }
    pclose(f);
}

static double best_low(double a, double b) {
    return a < b ? a : b;
}
static double best_high(double a, double b) {
    return a > b ? a : b;
}

int main(void) {
    shared *s = (shared *)mp_shared_alloc(sizeof(shared));
    pthread_mutexattr_t at;
    double u_mp = 1e9, u_raw = 1e9, c_mp = 0, c_raw = 0, pp = 1e9, py_u, py_c, py_pp, b_u, b_c;
    double rec_robust = 0, rec_live = 0;
    int r;
    pthread_mutexattr_init(&at);
    pthread_mutexattr_setpshared(&at, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST); /* what mp_lock promises too */
    pthread_mutex_init(&s->raw, &at);
    s->lock = mp_lock_new();
    s->ping = mp_event_new();
    s->pong = mp_event_new();
    s->held = mp_event_new();
    for (r = 0; r < ROUNDS; r++) {
        u_raw = best_low(u_raw, uncontended_raw(s, 2000000));
        u_mp = best_low(u_mp, uncontended_mp(s, 2000000));
        c_raw = best_high(c_raw, contended(s, add_raw, 5000000));
        c_mp = best_high(c_mp, contended(s, add_mp, 5000000));
        pp = best_low(pp, pingpong(s, 20000));
    }
    if (mp__os_rl.dist) rec_robust = recovery(s, 1);
    rec_live = recovery(s, 0);
    boost(&b_u, &b_c);
    python(&py_u, &py_c, &py_pp);
    printf("locks and events between processes (best of %d)\n", ROUNDS);
    printf("%-46s %9.1f ns\n", "raw robust pshared pthread mutex, lock+unlock", u_raw);
    printf("%-46s %9.1f ns  %5.2fx raw   target <= 1.5x\n", "mp_lock acquire+release", u_mp,
           u_mp / u_raw);
    if (b_u > 0)
        printf("%-46s %9.1f ns  %5.2fx raw\n", "Boost interprocess_mutex lock+unlock", b_u,
               b_u / u_raw);
    if (py_u > 0)
        printf("%-46s %9.1f ns  %5.2fx raw\n", "python Lock acquire+release", py_u, py_u / u_raw);
    printf("%-46s %9.2f M ops/s\n", "2 processes x counter++, raw robust pthread", c_raw / 1e6);
    printf("%-46s %9.2f M ops/s %5.2fx raw   target >= 1x\n", "2 processes x counter++, mp_lock",
           c_mp / 1e6, c_mp / c_raw);
    if (b_c > 0)
        printf("%-46s %9.2f M ops/s %5.2fx raw  (mp.h %.2fx Boost)\n",
               "2 processes x counter++, Boost mutex", b_c / 1e6, b_c / c_raw, c_mp / b_c);
    if (py_c > 0)
        printf("%-46s %9.2f M ops/s %5.2fx raw\n", "2 processes x counter++, python Lock",
               py_c / 1e6, py_c / c_raw);
    if (rec_robust > 0)
        printf("%-46s %9.1f us\n", "dead owner -> MP_EOWNERDEAD, robust list", rec_robust);
    printf("%-46s %9.1f us\n", "dead owner -> MP_EOWNERDEAD, liveness check", rec_live);
    printf("%-46s %9.2f us\n", "Event ping-pong round trip, mp.h", pp);
    if (py_pp > 0)
        printf("%-46s %9.2f us  %5.1fx mp.h\n", "Event ping-pong round trip, python", py_pp,
               py_pp / pp);
    printf("@ratio sync | lock+unlock vs raw robust pthread mutex | %.2f\n", u_raw / u_mp);
    printf("@ratio sync | 2-process contended lock vs raw robust pthread mutex | %.2f\n",
           c_mp / c_raw);
    if (b_c > 0)
        printf("@ratio sync | 2-process contended lock vs Boost interprocess_mutex | %.2f\n",
               c_mp / b_c);
    if (py_c > 0)
        printf("@ratio sync | 2-process contended lock vs python Lock | %.2f\n", c_mp / py_c);
    if (rec_robust > 0)
        printf("@ratio sync | dead-owner recovery, robust list vs liveness check | %.1f\n",
               rec_live / rec_robust);
    if (py_pp > 0) printf("@ratio sync | Event ping-pong vs python | %.2f\n", py_pp / pp);
    return 0;
}
