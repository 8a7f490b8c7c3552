/* listener_worker.c - a C worker that serves a Python program over a Listener.
   The Python side is listener_worker.py beside this file: it starts this program with
   "serve ADDRESS", connects with multiprocessing.connection.Client and sends arrays of
   float64; the worker answers each with their sum and mean. Run alone (no arguments), the
   worker plays both sides itself, with a child process as the client.
   Build alone (in examples/): cc -std=c99 listener_worker.c -o listener_worker -pthread && ./listener_worker

   Python (the same worker, written in Python):
       from multiprocessing.connection import Listener
       import struct
       with Listener(address, authkey=b'worker key') as listener:
           with listener.accept() as conn:
               while True:
                   try:
                       data = conn.recv_bytes()
                   except EOFError:
                       break
                   xs = struct.unpack('%dd' % (len(data) // 8), data)
                   conn.send_bytes(struct.pack('dd', sum(xs), sum(xs) / max(len(xs), 1)))

   C differences:
   - Messages are bytes: the doubles travel as their 8 bytes each (both sides of one machine
     share the byte order; struct.pack('d') is native order).
   - The address is text: "/tmp/worker.sock" (Unix socket), "127.0.0.1:6000" (TCP).
   - The key is given as bytes and a length; NULL would use the process's own authkey. */
#define MP_IMPLEMENTATION
#include "../mp.h"
#include <stdio.h>
#include <string.h>

#define KEY "worker key"

static int serve(mp_listener *l) {
    mp_conn *conn;
    int r = mp_listener_accept(l, 30, &conn); /* a worker nobody calls stops by itself */
    if (r != MP_OK) {
        fprintf(stderr, "accept: %s\n", mp_strerror(r));
        return 1;
    }
    for (;;) {
        double *xs, out[2] = {0, 0};
        size_t size, i, n;
        r = mp_conn_recv_bytes_alloc(conn, (void **)&xs, &size, MP_FOREVER);
        if (r == MP_EOF) break; /* the client closed: done */
        if (r != MP_OK) {
            fprintf(stderr, "recv: %s\n", mp_strerror(r));
            break;
        }
        n = size / sizeof(double);
        for (i = 0; i < n; i++) out[0] += xs[i];
        out[1] = n ? out[0] / (double)n : 0;
        mp_free(xs);
        mp_conn_send_bytes(conn, out, sizeof out);
    }
    mp_conn_close(conn);
    return 0;
}

/* What listener_worker.py does, in C: used when the program runs alone. */
static int client(void *arg, size_t size) {
    double xs[4] = {1.5, 2.5, 3.5, 4.5}, out[2];
    size_t got;
    mp_conn *c;
    int r = mp_client(&c, (const char *)arg, KEY, strlen(KEY), 10);
    (void)size;
    if (r != MP_OK) return 1;
    mp_conn_send_bytes(c, xs, sizeof xs);
    if (mp_conn_recv_bytes(c, out, sizeof out, &got, 10) == MP_OK)
        printf("client: sum %g, mean %g\n", out[0], out[1]);
    mp_conn_close(c);
    return 0;
}

int main(int argc, char **argv) {
    mp_listener *l;
    int r;
    mp_init();
    r = mp_listener_new(&l, argc >= 3 ? argv[2] : NULL, KEY, strlen(KEY));
    if (r != MP_OK) {
        fprintf(stderr, "listen: %s\n", mp_strerror(r));
        return 1;
    }
    if (argc >= 3 && strcmp(argv[1], "serve") == 0) {
        printf("listening on %s\n", mp_listener_address(l)); /* the Python side waits for it */
        fflush(stdout);
        r = serve(l);
    } else {
        mp_process p;
        const char *a = mp_listener_address(l);
        mp_process_init(&p, client, a, strlen(a) + 1, "client");
        mp_process_start(&p);
        r = serve(l);
        mp_process_join(&p, MP_FOREVER);
    }
    mp_listener_close(l);
    return r;
}
