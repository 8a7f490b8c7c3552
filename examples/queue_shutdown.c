/* queue_shutdown.c - Python 3.13's Queue.shutdown: workers blocked in get wake up when the
   queue is shut down, after they have drained it (or at once, with immediate=True).
   Build alone (in examples/): cc -std=c99 queue_shutdown.c -o queue_shutdown -pthread && ./queue_shutdown

   Python (3.13, queue.Queue between threads; multiprocessing.Queue has no shutdown):
       import queue, threading

       def worker(q, name):
           while True:
               try:
                   item = q.get()
               except queue.ShutDown:
                   print('%s: shut down' % name)
                   return
               print('%s got %s' % (name, item))

       q = queue.Queue()
       for i in range(6):
           q.put('job-%d' % i)
       ts = [threading.Thread(target=worker, args=(q, 'w%d' % k)) for k in range(2)]
       for t in ts: t.start()
       q.shutdown()                 # gets drain what is left, then raise ShutDown
       for t in ts: t.join()
       try:
           q.put('late')
       except queue.ShutDown:
           print('put after shutdown: ShutDown')

   C differences:
   - The workers are processes, and queue.ShutDown is the return code MP_ESHUTDOWN (from get
     once the queue is drained, from every put at once).
   - mp_queue_shutdown(q, 1) is shutdown(immediate=True): what is left is dropped, and
     blocked gets return MP_ESHUTDOWN at once.
   - The put of 6 jobs never waits for a reader: mp_queue_new(0, 0) is unbounded, as
     Python's Queue() is.
*/
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <stdio.h>

typedef struct args {
    mp_queue *q;
    int id;
} args;

static int worker(void *arg, size_t size) {
    const args *a = (const args *)arg;
    char item[32];
    size_t n;
    int r;
    (void)size;
    while ((r = mp_queue_get(a->q, item, sizeof item, &n, MP_FOREVER)) == MP_OK)
        printf("w%d got %.*s\n", a->id, (int)n, item);
    printf("w%d: %s\n", a->id, r == MP_ESHUTDOWN ? "shut down" : mp_strerror(r));
    fflush(stdout);
    return r == MP_ESHUTDOWN ? 0 : 1;
}

int main(void) {
    mp_queue *q = mp_queue_new(0, 0);
    mp_process p[2];
    char job[32];
    int i, ok = 1;
    if (!q) return 1;
    for (i = 0; i < 6; i++) {
        int n = snprintf(job, sizeof job, "job-%d", i);
        mp_queue_put(q, job, (size_t)n, MP_FOREVER);
    }
    for (i = 0; i < 2; i++) {
        args a;
        a.q = q;
        a.id = i;
        mp_process_init(&p[i], worker, &a, sizeof a, NULL);
        mp_process_start(&p[i]);
    }
    mp_queue_shutdown(q, 0); /* the workers drain the 6 jobs, then see MP_ESHUTDOWN */
    for (i = 0; i < 2; i++) {
        int code = -1;
        mp_process_join(&p[i], MP_FOREVER);
        mp_process_exitcode(&p[i], &code);
        ok &= code == 0;
        mp_process_close(&p[i]);
    }
    if (mp_queue_put(q, "late", 4, 0) == MP_ESHUTDOWN) printf("put after shutdown: MP_ESHUTDOWN\n");
    mp_queue_free(q);
    return ok ? 0 : 1;
}
