/* tcp_authkey.c - two programs talking over TCP on localhost, with an authkey: the shape of
   a two-machine setup (use the server's address on the network, e.g. "0.0.0.0:6000" to
   listen on every interface, and the same key on both sides).
       ./tcp_authkey server 127.0.0.1:6000 "shared secret"     (in one terminal)
       ./tcp_authkey client 127.0.0.1:6000 "shared secret"     (in another)
   Run alone (no arguments), it plays both: the server here, the client in a child process.
   Either side may be Python's multiprocessing.connection: the bytes on the wire are the same.
   Build alone (in examples/): cc -std=c99 tcp_authkey.c -o tcp_authkey -pthread && ./tcp_authkey

   Python:
       # server                                   # client
       with Listener(('127.0.0.1', 6000),         with Client(('127.0.0.1', 6000),
                     authkey=b'shared secret') as l:          authkey=b'shared secret') as c:
           with l.accept() as c:                       c.send_bytes(b'ping 1')
               while True:                             print(c.recv_bytes())
                   c.send_bytes(c.recv_bytes().upper())

   C differences:
   - A wrong key is MP_EAUTH on both sides (AuthenticationError in Python); the listener goes
     on accepting. Without the key's bytes (authkey NULL) both sides use the process's own
     authkey, which only the processes of one family share.
   - Nothing listens beyond this machine unless the address says so ("0.0.0.0:port"); and the
     key only authenticates: the bytes travel unencrypted. Across machines, or for a cluster,
     see README.md (MPI). */
#define MP_IMPLEMENTATION
#include "../mp.h"
#include <stdio.h>
#include <string.h>

static int server(mp_listener *l, int clients) {
    int served = 0;
    printf("server: listening on %s\n", mp_listener_address(l));
    fflush(stdout);
    while (served < clients) {
        mp_conn *c;
        char buf[256];
        size_t n, i;
        int r = mp_listener_accept(l, 30, &c);
        if (r == MP_EAUTH || r == MP_EPROTO) {
            printf("server: a client was turned away: %s\n", mp_strerror(r));
            continue;
        }
        if (r != MP_OK) return 1; /* nobody came for 30 s: stop */
        while (mp_conn_recv_bytes(c, buf, sizeof buf, &n, 30) == MP_OK) {
            for (i = 0; i < n; i++)
                if (buf[i] >= 'a' && buf[i] <= 'z') buf[i] = (char)(buf[i] - 'a' + 'A');
            mp_conn_send_bytes(c, buf, n);
        }
        mp_conn_close(c);
        served++;
    }
    return 0;
}
static int client(const char *address, const char *key) {
    char buf[256];
    size_t n;
    int i;
    mp_conn *c;
    int r = mp_client(&c, address, key, strlen(key), 10);
    if (r != MP_OK) {
        printf("client (key \"%s\"): %s\n", key, mp_strerror(r));
        return 1;
    }
    for (i = 1; i <= 3; i++) {
        snprintf(buf, sizeof buf, "ping %d", i);
        mp_conn_send_bytes(c, buf, strlen(buf));
        if (mp_conn_recv_bytes(c, buf, sizeof buf, &n, 10) != MP_OK) break;
        printf("client: %.*s\n", (int)n, buf);
    }
    mp_conn_close(c);
    return 0;
}
static int client_child(void *arg, size_t size) {
    (void)size;
    client((const char *)arg, "wrong key"); /* turned away */
    return client((const char *)arg, "shared secret");
}

int main(int argc, char **argv) {
    const char *key = argc >= 4 ? argv[3] : "shared secret";
    mp_listener *l;
    mp_process p;
    int r;
    mp_init();
    if (argc >= 3 && strcmp(argv[1], "client") == 0) return client(argv[2], key);
    r = mp_listener_new(&l, argc >= 3 ? argv[2] : "127.0.0.1:0", key, strlen(key));
    if (r != MP_OK) {
        fprintf(stderr, "listen: %s\n", mp_strerror(r));
        return 1;
    }
    if (argc >= 3) {
        r = server(l, 1 << 30);
    } else {
        const char *a = mp_listener_address(l);
        mp_process_init(&p, client_child, a, strlen(a) + 1, "client");
        mp_process_start(&p);
        r = server(l, 1);
        mp_process_join(&p, MP_FOREVER);
    }
    mp_listener_close(l);
    return r;
}
