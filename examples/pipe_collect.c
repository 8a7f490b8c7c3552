/* pipe_collect.c - results from several processes, each over a Pipe of its own, collected
   as they arrive with connection.wait. No seed has this example; it is the one of the
   multiprocessing documentation for multiprocessing.connection.wait.
   Build alone (in examples/): cc -std=c99 pipe_collect.c -o pipe_collect -pthread

   Python:
       def worker(n, w):
           w.send_bytes(str(sum(range(n))).encode())
           w.close()

       readers = []
       for n in [300000000, 100000000, 200000000, 10]:
           r, w = Pipe(duplex=False)
           readers.append(r)
           p = Process(target=worker, args=(n, w))
           p.start()
           w.close()            # only the child writes: EOF comes when it has closed
       while readers:
           for r in wait(readers):
               try:
                   msg = r.recv_bytes()
               except EOFError:
                   readers.remove(r)
               else:
                   print(msg)

   C differences:
   - mp_wait(conns, n, procs, m, timeout, ready) is wait(): it takes connections and
     processes (a process is ready once it has ended, like p.sentinel), and marks in
     ready[] which ones are ready; it returns how many.
   - EOFError is the return value MP_EOF: the worker returned, so its copy of w closed, and
     the parent closed its own copy right after start. The parent then closes the reader and
     drops it from the list.
   - The results arrive in the order the workers finish, not the order they were started:
     usually the worker with n = 10 first, and the one with n = 300000000 last.
*/
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <stdio.h>
#include <string.h>

#define NWORKERS 4

struct job {
    long n;
    mp_conn *w;
};

static int fail(const char *what, int err) {
    fprintf(stderr, "%s failed: %s\n", what, mp_strerror(err));
    return 1;
}

static int worker(void *arg, size_t size) {
    struct job job;
    volatile unsigned long long sum = 0; /* volatile: really loop, as Python does */
    char msg[64];
    long i;
    if (size != sizeof job) return 2;
    memcpy(&job, arg, sizeof job);
    for (i = 0; i < job.n; i++) sum += (unsigned long long)i;
    sprintf(msg, "n=%ld: %llu", job.n, (unsigned long long)sum);
    mp_conn_send_bytes(job.w, msg, strlen(msg));
    mp_conn_close(job.w);
    return 0;
}

int main(void) {
    static const long ns[NWORKERS] = {300000000, 100000000, 200000000, 10};
    mp_conn *readers[NWORKERS];
    mp_process ps[NWORKERS];
    int nreaders = 0, i, r;

    for (i = 0; i < NWORKERS; i++) {
        struct job job;
        mp_conn *reader;
        job.n = ns[i];
        if ((r = mp_pipe(0, &reader, &job.w)) != MP_OK) return fail("mp_pipe", r);
        readers[nreaders++] = reader;
        if ((r = mp_process_init(&ps[i], worker, &job, sizeof job, NULL)) != MP_OK)
            return fail("mp_process_init", r);
        if ((r = mp_process_start(&ps[i])) != MP_OK) return fail("mp_process_start", r);
        mp_conn_close(job.w);
    }
    while (nreaders > 0) {
        int ready[NWORKERS];
        r = mp_wait(readers, nreaders, NULL, 0, MP_FOREVER, ready);
        if (r < 0) return fail("mp_wait", r);
        for (i = nreaders - 1; i >= 0; i--) { /* backwards: removing keeps the rest in place */
            char msg[64];
            size_t n;
            if (!ready[i]) continue;
            r = mp_conn_recv_bytes(readers[i], msg, sizeof msg, &n, MP_FOREVER);
            if (r == MP_EOF) {
                mp_conn_close(readers[i]);
                readers[i] = readers[--nreaders];
            } else if (r == MP_OK) {
                printf("%.*s\n", (int)n, msg);
                fflush(stdout);
            } else {
                return fail("mp_conn_recv_bytes", r);
            }
        }
    }
    for (i = 0; i < NWORKERS; i++) {
        mp_process_join(&ps[i], MP_FOREVER);
        mp_process_close(&ps[i]);
    }
    return 0;
}
