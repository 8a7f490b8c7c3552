/* The C side of tests/interop.sh: a peer for Python's multiprocessing.connection and
   shared_memory. Usage (KEY "-": the handshake is off, as Python's authkey=None):
     interop_peer serve ADDRESS KEY N      accept N clients (a child echoes for each), printing
                                           "address A" first and "accept R" for each attempt
     interop_peer client ADDRESS KEY SIZE... send messages of these sizes, check the echoes
     interop_peer shm-create NAME          make a 1 MiB block, write, wait for Python's answer
     interop_peer shm-attach NAME          attach Python's block, check it, answer
   Every wait is bounded (30 s); the exit status is 0 or minus an MP_E* code. */
#define MP_IMPLEMENTATION
#include "../mp.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char pattern(size_t i, size_t n) {
    return (unsigned char)((i * 31 + n * 7) & 0xff);
}
static int echo(void *arg, size_t size) {
    mp_conn *c;
    (void)size;
    memcpy(&c, arg, sizeof c);
    for (;;) {
        void *m;
        size_t n;
        int r = mp_conn_recv_bytes_alloc(c, &m, &n, 60);
        if (r == MP_EOF) return 0;
        if (r != MP_OK) return -r;
        r = mp_conn_send_bytes(c, m, n);
        mp_free(m);
        if (r != MP_OK) return -r;
    }
}
static int serve(const char *address, const char *key, int n) {
    mp_listener *l;
    mp_process *kids = (mp_process *)calloc((size_t)n, sizeof *kids);
    int i, started = 0, r = mp_listener_new(&l, address, key, strlen(key));
    if (r != MP_OK || !kids) {
        printf("listen %d\n", r);
        return -r;
    }
    mp_listener_set_handshake_timeout(l, 10);
    printf("address %s\n", mp_listener_address(l));
    fflush(stdout);
    for (i = 0; i < n; i++) {
        mp_conn *c;
        r = mp_listener_accept(l, 30, &c);
        printf("accept %d\n", r);
        fflush(stdout);
        if (r == MP_ETIMEDOUT) break;
        if (r != MP_OK) continue;
        if (mp_process_init(&kids[started], echo, &c, sizeof c, NULL) != MP_OK ||
            mp_process_start(&kids[started]) != MP_OK)
            return 3;
        started++;
        mp_conn_close(c);
    }
    mp_listener_close(l);
    for (i = 0; i < started; i++) {
        int code = -1;
        mp_process_join(&kids[i], 60);
        mp_process_exitcode(&kids[i], &code);
        if (code != 0) printf("echo child %d: %d\n", i, code);
    }
    free(kids);
    return 0;
}
static int client(const char *address, const char *key, int argc, char **argv) {
    mp_conn *c;
    int i, r = mp_client(&c, address, key, strlen(key), 30);
    printf("client %d\n", r);
    if (r != MP_OK) return -r;
    for (i = 0; i < argc; i++) {
        size_t n = (size_t)strtoull(argv[i], NULL, 10), got = 0, k;
        unsigned char *m = (unsigned char *)malloc(n + 1);
        void *back;
        if (!m) return 2;
        for (k = 0; k < n; k++) m[k] = pattern(k, n);
        r = mp_conn_send_bytes(c, m, n);
        if (r == MP_OK) r = mp_conn_recv_bytes_alloc(c, &back, &got, 60);
        if (r != MP_OK) return -r;
        if (got != n || (n && memcmp(back, m, n) != 0)) {
            printf("echo of %zu bytes differs\n", n);
            return 4;
        }
        mp_free(back);
        free(m);
    }
    mp_conn_close(c);
    return 0;
}
/* Byte 0 is a turn: 1 when C wrote, 2 when Python answered (and the other way round). */
static int wait_turn(volatile unsigned char *p, unsigned char want) {
    int i;
    for (i = 0; i < 30000 && *p != want; i++) mp__os_sleep(0.001);
    return *p == want;
}
int main(int argc, char **argv) {
    mp_init();
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 5 && strcmp(argv[1], "serve") == 0)
        return serve(argv[2], strcmp(argv[3], "-") ? argv[3] : "", atoi(argv[4]));
    if (argc >= 4 && strcmp(argv[1], "client") == 0)
        return client(argv[2], strcmp(argv[3], "-") ? argv[3] : "", argc - 4, argv + 4);
    if (argc == 3 && strcmp(argv[1], "shm-create") == 0) {
        mp_shm *s;
        volatile unsigned char *p;
        int r = mp_shm_open(&s, argv[2], 1, 1 << 20), ok;
        if (r != MP_OK) return -r;
        p = (volatile unsigned char *)mp_shm_buf(s);
        if (!p) return 6;
        memcpy((char *)p + 1, "written by C", 13);
        p[(1 << 20) - 1] = 0x5a;
        p[0] = 1;
        printf("ready %zu\n", mp_shm_size(s));
        ok = wait_turn(p, 2) && memcmp((const char *)p + 1, "answered by Python", 19) == 0;
        mp_shm_unlink(argv[2]);
        mp_shm_close(s);
        return ok ? 0 : 5;
    }
    if (argc == 3 && strcmp(argv[1], "shm-attach") == 0) {
        mp_shm *s;
        volatile unsigned char *p;
        int r = mp_shm_open(&s, argv[2], 0, 0), ok;
        if (r != MP_OK) return -r;
        p = (volatile unsigned char *)mp_shm_buf(s);
        if (!p) return 6;
        ok = mp_shm_size(s) >= 4096 && p[0] == 1 &&
             memcmp((const char *)p + 1, "written by Python", 18) == 0;
        memcpy((char *)p + 1, "answered by C", 14);
        p[0] = 2;
        mp_shm_close(s);
        return ok ? 0 : 5;
    }
    fprintf(stderr, "usage: see the top of tests/interop_peer.c\n");
    return 2;
}
