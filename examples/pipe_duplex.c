/* pipe_duplex.c - a conversation over a duplex Pipe between a parent and its child.
   No seed has this example; it is the Pipe of the multiprocessing documentation, carried on
   for a few turns.
   Build alone (in examples/): cc -std=c99 pipe_duplex.c -o pipe_duplex -pthread && ./pipe_duplex

   Python:
       def f(child_conn):
           child_conn.send_bytes(b'hello, parent')
           while True:
               q = child_conn.recv_bytes()
               if q == b'bye':
                   break
               child_conn.send_bytes(q.upper())
           child_conn.close()

       parent_conn, child_conn = Pipe()
       p = Process(target=f, args=(child_conn,))
       p.start()
       child_conn.close()                       # the parent does not use the child's end
       print(parent_conn.recv_bytes())          # b'hello, parent'
       for q in [b'how are you?', b'what is 6 x 7?']:
           parent_conn.send_bytes(q)
           print(q, '->', parent_conn.recv_bytes())
       parent_conn.send_bytes(b'bye')
       p.join()
       parent_conn.recv_bytes()                 # EOFError: the child closed its end

   C differences:
   - Messages are bytes (send_bytes / recv_bytes); there is no pickling. Send a struct or
     text of your own making.
   - mp_pipe(1, &parent_conn, &child_conn) makes both ends in the family arena, so the
     pointers travel inside the process argument; the child has its own copy of each end's
     OS handle, under fork and spawn (and on Windows).
   - Each process closes the end it does not use (mp_conn_close). The parent sees EOF
     (MP_EOF, Python's EOFError) only once every copy of the child's end is closed: the
     parent's, and the child's, which closes when the child ends.
   - recv takes a timeout (MP_FOREVER here) and a buffer with its capacity; a message too
     large for it gives MP_ETOOBIG and waits for a larger buffer (mp_conn_recv_bytes_alloc
     allocates instead).
*/
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

struct ends {
    mp_conn *parent_conn, *child_conn;
};

static int fail(const char *what, int err) {
    fprintf(stderr, "%s failed: %s\n", what, mp_strerror(err));
    return 1;
}

static int f(void *arg, size_t size) {
    struct ends e;
    char q[256];
    size_t n, i;
    int r;
    if (size != sizeof e) return 2;
    memcpy(&e, arg, sizeof e);
    mp_conn_close(e.parent_conn); /* ours is child_conn */
    mp_conn_send_bytes(e.child_conn, "hello, parent", strlen("hello, parent"));
    for (;;) {
        r = mp_conn_recv_bytes(e.child_conn, q, sizeof q, &n, MP_FOREVER);
        if (r != MP_OK) return fail("child recv", r);
        if (n == 3 && memcmp(q, "bye", 3) == 0) break;
        for (i = 0; i < n; i++) q[i] = (char)toupper((unsigned char)q[i]);
        mp_conn_send_bytes(e.child_conn, q, n);
    }
    mp_conn_close(e.child_conn);
    return 0;
}

int main(void) {
    static const char *const questions[] = {"how are you?", "what is 6 x 7?"};
    struct ends e;
    mp_process p;
    char answer[256];
    size_t n, i;
    int r;

    r = mp_pipe(1, &e.parent_conn, &e.child_conn); /* parent_conn, child_conn = Pipe() */
    if (r != MP_OK) return fail("mp_pipe", r);
    r = mp_process_init(&p, f, &e, sizeof e, NULL); /* args=(child_conn,) */
    if (r != MP_OK) return fail("mp_process_init", r);
    if ((r = mp_process_start(&p)) != MP_OK) return fail("mp_process_start", r);
    mp_conn_close(e.child_conn);

    r = mp_conn_recv_bytes(e.parent_conn, answer, sizeof answer, &n, MP_FOREVER);
    if (r != MP_OK) return fail("mp_conn_recv_bytes", r);
    printf("child says: %.*s\n", (int)n, answer);
    for (i = 0; i < sizeof questions / sizeof questions[0]; i++) {
        mp_conn_send_bytes(e.parent_conn, questions[i], strlen(questions[i]));
        r = mp_conn_recv_bytes(e.parent_conn, answer, sizeof answer, &n, MP_FOREVER);
        if (r != MP_OK) return fail("mp_conn_recv_bytes", r);
        printf("%s -> %.*s\n", questions[i], (int)n, answer);
    }
    mp_conn_send_bytes(e.parent_conn, "bye", 3);
    if ((r = mp_process_join(&p, MP_FOREVER)) != MP_OK) return fail("mp_process_join", r);

    r = mp_conn_recv_bytes(e.parent_conn, answer, sizeof answer, &n, MP_FOREVER);
    printf("after the child ended: %s\n", mp_strerror(r)); /* MP_EOF */
    mp_conn_close(e.parent_conn);
    mp_process_close(&p);
    return r == MP_EOF ? 0 : 1;
}
