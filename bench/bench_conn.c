/* Listener / Client connections between two processes, over a Unix socket and TCP loopback:
   mp.h (Python's framing and handshake) against a raw socket doing the same work, and
   against Python's multiprocessing.connection (Listener/Client), in one run. POSIX only.
   - round trip: 64 bytes there and back (the client echoes); microseconds per trip
   - throughput: 64 KiB messages one way, then a 1-byte answer; MB/s
   A second raw row frames its messages as Python does (a 4-byte length, read first, then the
   message): the work the protocol itself asks for.
   Every row is the best of ROUNDS runs of the same message counts, after one warm-up round;
   the rows take turns inside each round (raw, mp.h, raw framed, then Python's run of the same
   round in bench/bench_conn.py), so that the load of a busy machine falls on all of them
   alike. Targets: mp.h >= 1.5x Python's throughput, and a round trip within 1.2x the raw
   socket's. */
#define MP_IMPLEMENTATION
#include "../mp.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define ROUNDS 7
#define SMALL  64
#define BIG    65536

typedef struct job {
    char address[300];
    int tcp, port, n, size, framed;
} job;

static void full_write(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) exit(3);
        p += w;
        n -= (size_t)w;
    }
}
static void full_read(int fd, char *p, size_t n) {
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r <= 0) exit(4);
        p += r;
        n -= (size_t)r;
    }
}
static int raw_socket(const job *j, struct sockaddr_storage *ss, socklen_t *len) {
    int one = 1, fd = socket(j->tcp ? AF_INET : AF_UNIX, SOCK_STREAM, 0);
    memset(ss, 0, sizeof *ss);
    if (j->tcp) {
        struct sockaddr_in *a = (struct sockaddr_in *)(void *)ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a->sin_port = htons((unsigned short)j->port);
        *len = sizeof *a;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    } else {
        struct sockaddr_un *a = (struct sockaddr_un *)(void *)ss;
        a->sun_family = AF_UNIX;
        strcpy(a->sun_path, j->address);
        *len = sizeof *a;
    }
    return fd;
}

/* the client: echo n messages (round trip), or take n and answer once (throughput) */
static int client(void *arg, size_t size) {
    job j = *(job *)arg;
    char *buf = (char *)malloc(BIG + 4);
    int i;
    (void)size;
    if (j.port >= 0) { /* raw */
        struct sockaddr_storage ss;
        socklen_t len;
        int fd = raw_socket(&j, &ss, &len);
        if (connect(fd, (struct sockaddr *)&ss, len) != 0) return 2;
        for (i = 0; i < j.n; i++) {
            if (j.framed) full_read(fd, buf, 4); /* the length, then the message */
            full_read(fd, buf + 4, (size_t)j.size);
            if (j.size == SMALL)
                full_write(fd, buf + (j.framed ? 0 : 4), SMALL + (j.framed ? 4 : 0));
        }
        if (j.size != SMALL) full_write(fd, "k", 1);
        close(fd);
    } else {
        mp_conn *c;
        size_t n;
        if (mp_client(&c, j.address, NULL, 0, 10) != MP_OK) return 2;
        for (i = 0; i < j.n; i++) {
            if (mp_conn_recv_bytes(c, buf, BIG, &n, MP_FOREVER) != MP_OK) return 3;
            if (j.size == SMALL && mp_conn_send_bytes(c, buf, n) != MP_OK) return 4;
        }
        if (j.size != SMALL) mp_conn_send_bytes(c, "k", 1);
        mp_conn_close(c);
    }
    free(buf);
    return 0;
}

/* seconds for n messages of the given size; use_mp 0: raw, 1: mp.h, 2: raw, framed */
static double run(int use_mp, int tcp, int n, int size) {
    job j;
    mp_process p;
    char *buf = (char *)calloc(1, BIG + 4);
    size_t got;
    double t0, t;
    int i, lfd = -1, fd = -1;
    mp_listener *l = NULL;
    mp_conn *c = NULL;
    memset(&j, 0, sizeof j);
    j.n = n;
    j.size = size;
    j.tcp = tcp;
    j.framed = use_mp == 2;
    if (use_mp == 2) use_mp = 0;
    snprintf(j.address, sizeof j.address, "/tmp/mp-bench-conn-%ld", mp_getpid());
    if (use_mp) {
        mp_listener_new(&l, tcp ? "127.0.0.1:0" : j.address, NULL, 0);
        snprintf(j.address, sizeof j.address, "%s", mp_listener_address(l));
        j.port = -1;
    } else {
        struct sockaddr_storage ss;
        socklen_t len;
        j.port = 0;
        lfd = raw_socket(&j, &ss, &len);
        unlink(j.address);
        if (bind(lfd, (struct sockaddr *)&ss, len) != 0 || listen(lfd, 4) != 0) exit(5);
        len = sizeof ss;
        getsockname(lfd, (struct sockaddr *)&ss, &len);
        if (tcp) j.port = ntohs(((struct sockaddr_in *)(void *)&ss)->sin_port);
    }
    mp_process_init(&p, client, &j, sizeof j, NULL);
    mp_process_start(&p);
    if (use_mp) {
        if (mp_listener_accept(l, 10, &c) != MP_OK) exit(6);
    } else {
        int one = 1;
        fd = accept(lfd, NULL, NULL);
        if (tcp) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    t0 = mp__os_now();
    for (i = 0; i < n; i++) {
        if (use_mp) {
            mp_conn_send_bytes(c, buf, (size_t)size);
            if (size == SMALL) mp_conn_recv_bytes(c, buf, BIG, &got, MP_FOREVER);
        } else {
            full_write(fd, buf, (size_t)size + (j.framed ? 4 : 0));
            if (size == SMALL && j.framed) full_read(fd, buf, 4);
            if (size == SMALL) full_read(fd, buf, SMALL);
        }
    }
    if (size != SMALL) {
        if (use_mp)
            mp_conn_recv_bytes(c, buf, BIG, &got, MP_FOREVER);
        else
            full_read(fd, buf, 1);
    }
    t = mp__os_now() - t0;
    mp_process_join(&p, MP_FOREVER);
    mp_process_close(&p);
    if (use_mp) {
        mp_conn_close(c);
        mp_listener_close(l);
    } else {
        close(fd);
        close(lfd);
        if (!tcp) unlink(j.address);
    }
    free(buf);
    return t;
}

/* One round of Python's: its round trip (us) and throughput (MB/s), -1 if it did not run. */
static void python(const char *family, int n_small, int n_big, double *rt, double *mbs) {
    char line[128], cmd[160];
    FILE *f;
    snprintf(cmd, sizeof cmd, "python3 bench/bench_conn.py %s %d %d 1 2>/dev/null", family, n_small,
             n_big);
    *rt = *mbs = -1;
    if (!(f = popen(cmd, "r"))) return;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "roundtrip_us ", 13) == 0) *rt = atof(line + 13);
        if (strncmp(line, "throughput_mbs ", 15) == 0) *mbs = atof(line + 15);
    }
    pclose(f);
}

int main(void) {
    const int n_small = 20000, n_big = 20000;
    int tcp;
    printf("Listener/Client connection between two processes (best of %d)\n", ROUNDS);
    for (tcp = 0; tcp < 2; tcp++) {
        const char *name = tcp ? "TCP loopback" : "Unix socket";
        double rt_raw = 1e9, rt_mp = 1e9, tp_raw = 1e9, tp_mp = 1e9, rt_fr = 1e9, py_rt = -1,
               py_mbs = -1, mb;
        char label[96];
        int r;
        for (r = -1; r < ROUNDS; r++) { /* round -1: the warm-up, not counted */
            double x[5], prt, pmbs;
            x[0] = run(0, tcp, n_small, SMALL);
            x[1] = run(1, tcp, n_small, SMALL);
            x[2] = run(2, tcp, n_small, SMALL);
            x[3] = run(0, tcp, n_big, BIG);
            x[4] = run(1, tcp, n_big, BIG);
            python(tcp ? "tcp" : "unix", n_small, n_big, &prt, &pmbs);
            if (r < 0) continue;
            if (x[0] < rt_raw) rt_raw = x[0];
            if (x[1] < rt_mp) rt_mp = x[1];
            if (x[2] < rt_fr) rt_fr = x[2];
            if (x[3] < tp_raw) tp_raw = x[3];
            if (x[4] < tp_mp) tp_mp = x[4];
            if (prt > 0 && (py_rt < 0 || prt < py_rt)) py_rt = prt;
            if (pmbs > py_mbs) py_mbs = pmbs;
        }
        rt_raw = rt_raw / n_small * 1e6;
        rt_mp = rt_mp / n_small * 1e6;
        rt_fr = rt_fr / n_small * 1e6;
        mb = (double)n_big * BIG / 1e6;
        printf("%s\n", name);
        printf("  %-46s %9.2f us\n", "64 B round trip, raw socket", rt_raw);
        printf("  %-46s %9.2f us  %5.2fx raw\n", "64 B round trip, raw socket, Python's framing",
               rt_fr, rt_fr / rt_raw);
        printf("  %-46s %9.2f us  %5.2fx raw   target <= 1.2x\n", "64 B round trip, mp.h", rt_mp,
               rt_mp / rt_raw);
        if (py_rt > 0)
            printf("  %-46s %9.2f us  %5.2fx raw\n", "64 B round trip, Python", py_rt,
                   py_rt / rt_raw);
        printf("  %-46s %9.0f MB/s\n", "64 KiB messages, raw socket", mb / tp_raw);
        printf("  %-46s %9.0f MB/s\n", "64 KiB messages, mp.h", mb / tp_mp);
        if (py_mbs > 0)
            printf("  %-46s %9.0f MB/s  mp.h %.2fx Python   target >= 1.5x\n",
                   "64 KiB messages, Python", py_mbs, mb / tp_mp / py_mbs);
        snprintf(label, sizeof label, "%s 64 B round trip vs raw socket", name);
        printf("@ratio conn | %s | %.2f\n", label, rt_raw / rt_mp);
        snprintf(label, sizeof label, "%s 64 B round trip vs raw socket, same framing", name);
        printf("@ratio conn | %s | %.2f\n", label, rt_fr / rt_mp);
        snprintf(label, sizeof label, "%s 64 KiB throughput vs raw socket", name);
        printf("@ratio conn | %s | %.2f\n", label, tp_raw / tp_mp);
        if (py_rt > 0) {
            snprintf(label, sizeof label, "%s 64 B round trip vs Python", name);
            printf("@ratio conn | %s | %.2f\n", label, py_rt / rt_mp);
        }
        if (py_mbs > 0) {
            snprintf(label, sizeof label, "%s 64 KiB throughput vs Python", name);
            printf("@ratio conn | %s | %.2f\n", label, mb / tp_mp / py_mbs);
        }
    }
    return 0;
}
