/* Pipe between two processes: mp.h against a raw AF_UNIX socketpair doing the same work, and
   against Python's multiprocessing.Pipe, in one run, as ratios. POSIX only (the raw rows).
   - round trip: 64 bytes there and back (the child echoes); microseconds per trip
   - throughput: 64 KiB messages one way, then a 1-byte answer; MB/s
   Every row is the best of ROUNDS runs, the raw and the mp.h ones alternating. */
#define MP_IMPLEMENTATION
#include "../mp.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ROUNDS 5
#define SMALL  64
#define BIG    65536

typedef struct job {
    mp_conn *a, *b;
    int raw[2];
    int n, size;
} job;

static void raw_full_write(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) exit(3);
        p += w;
        n -= (size_t)w;
    }
}
static void raw_full_read(int fd, char *p, size_t n) {
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r <= 0) exit(4);
        p += r;
        n -= (size_t)r;
    }
}

/* the children: echo n messages (round trip), or take n and answer once (throughput) */
static int child_mp(void *arg, size_t size) {
    job j = *(job *)arg;
    char *buf = (char *)malloc(BIG);
    size_t n;
    int i;
    (void)size;
    mp_conn_close(j.a);
    for (i = 0; i < j.n; i++) {
        if (mp_conn_recv_bytes(j.b, buf, BIG, &n, MP_FOREVER) != MP_OK) return 2;
        if (j.size == SMALL && mp_conn_send_bytes(j.b, buf, n) != MP_OK) return 3;
    }
    if (j.size != SMALL) mp_conn_send_bytes(j.b, "k", 1);
    free(buf);
    return 0;
}
static int child_raw(void *arg, size_t size) {
    job j = *(job *)arg;
    char *buf = (char *)malloc(BIG);
    int i;
    (void)size;
    close(j.raw[0]);
    for (i = 0; i < j.n; i++) {
        raw_full_read(j.raw[1], buf, (size_t)j.size);
        if (j.size == SMALL) raw_full_write(j.raw[1], buf, SMALL);
    }
    if (j.size != SMALL) raw_full_write(j.raw[1], "k", 1);
    free(buf);
    return 0;
}

/* seconds for n messages of the given size, with or without mp.h's connections */
static double run(int use_mp, int n, int size) {
    job j;
    mp_process p;
    char *buf = (char *)calloc(1, BIG);
    size_t got;
    double t0, t;
    int i;
    memset(&j, 0, sizeof j);
    j.n = n;
    j.size = size;
    if (use_mp)
        mp_pipe(1, &j.a, &j.b);
    else
        socketpair(AF_UNIX, SOCK_STREAM, 0, j.raw);
    mp_process_init(&p, use_mp ? child_mp : child_raw, &j, sizeof j, NULL);
    mp_process_start(&p);
    if (use_mp)
        mp_conn_close(j.b);
    else
        close(j.raw[1]);
    t0 = mp__os_now();
    for (i = 0; i < n; i++) {
        if (use_mp) {
            mp_conn_send_bytes(j.a, buf, (size_t)size);
            if (size == SMALL) mp_conn_recv_bytes(j.a, buf, BIG, &got, MP_FOREVER);
        } else {
            raw_full_write(j.raw[0], buf, (size_t)size);
            if (size == SMALL) raw_full_read(j.raw[0], buf, SMALL);
        }
    }
    if (size != SMALL) {
        if (use_mp)
            mp_conn_recv_bytes(j.a, buf, BIG, &got, MP_FOREVER);
        else
            raw_full_read(j.raw[0], buf, 1);
    }
    t = mp__os_now() - t0;
    mp_process_join(&p, MP_FOREVER);
    mp_process_close(&p);
    if (use_mp)
        mp_conn_close(j.a);
    else
        close(j.raw[0]);
    free(buf);
    return t;
}

static void python(double *rt, double *mbs) {
    char line[128];
    FILE *f = popen("python3 bench/bench_pipe.py 2>/dev/null", "r");
    *rt = *mbs = -1;
    if (!f) return;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "roundtrip_us ", 13) == 0) *rt = atof(line + 13);
        if (strncmp(line, "throughput_mbs ", 15) == 0) *mbs = atof(line + 15);
    }
    pclose(f);
}

int main(void) {
    const int n_small = 50000, n_big = 20000;
    double rt_raw = 1e9, rt_mp = 1e9, tp_raw = 1e9, tp_mp = 1e9, py_rt, py_mbs, mb;
    int r;
    for (r = 0; r < ROUNDS; r++) {
        double x;
        if ((x = run(0, n_small, SMALL)) < rt_raw) rt_raw = x;
        if ((x = run(1, n_small, SMALL)) < rt_mp) rt_mp = x;
        if ((x = run(0, n_big, BIG)) < tp_raw) tp_raw = x;
        if ((x = run(1, n_big, BIG)) < tp_mp) tp_mp = x;
    }
    rt_raw = rt_raw / n_small * 1e6;
    rt_mp = rt_mp / n_small * 1e6;
    mb = (double)n_big * BIG / 1e6;
    python(&py_rt, &py_mbs);
    printf("Pipe between two processes (best of %d)\n", ROUNDS);
    printf("%-44s %9.2f us\n", "64 B round trip, raw socketpair", rt_raw);
    printf("%-44s %9.2f us  %5.2fx raw   target <= 1.2x\n", "64 B round trip, mp_conn", rt_mp,
           rt_mp / rt_raw);
    if (py_rt > 0)
        printf("%-44s %9.2f us  %5.2fx raw\n", "64 B round trip, python Pipe", py_rt,
               py_rt / rt_raw);
    printf("%-44s %9.0f MB/s\n", "64 KiB messages, raw socketpair", mb / tp_raw);
    printf("%-44s %9.0f MB/s %5.2fx raw   target >= 0.8x\n", "64 KiB messages, mp_conn", mb / tp_mp,
           tp_raw / tp_mp);
    if (py_mbs > 0)
        printf("%-44s %9.0f MB/s %5.2fx raw\n", "64 KiB messages, python Pipe", py_mbs,
               py_mbs / (mb / tp_raw));
    /* machine-readable comparisons for bench/chart.py: factor > 1 means mp.h is better */
    printf("@ratio pipe | 64 B round trip vs raw socketpair | %.3f\n", rt_raw / rt_mp);
    printf("@ratio pipe | 64 KiB messages vs raw socketpair | %.3f\n", tp_raw / tp_mp);
    if (py_rt > 0) printf("@ratio pipe | 64 B round trip vs Python Pipe | %.3f\n", py_rt / rt_mp);
    if (py_mbs > 0)
        printf("@ratio pipe | 64 KiB messages vs Python Pipe | %.3f\n", mb / tp_mp / py_mbs);
    return 0;
}
