/* queue_producer_consumer.c - a producer process and a consumer process joined by a Queue;
   then put on a full Queue(maxsize=2) and get_nowait on an empty one.
   Build alone (in examples/):
       cc -std=c99 queue_producer_consumer.c -o queue_producer_consumer -pthread

   Python:
       import queue                                  # for the Full and Empty exceptions

       def producer(q):
           for i in range(10):
               item = 'item-%d' % i
               q.put(item)
               print('producer (pid %d) put %s' % (os.getpid(), item))
               time.sleep(0.01)
           q.put(None)                               # the sentinel: "no more items"

       def consumer(q):
           while True:
               item = q.get()                        # blocks until there is one
               if item is None:
                   break
               print('consumer (pid %d) got %s' % (os.getpid(), item))

       q = Queue()
       p = Process(target=producer, args=(q,))
       c = Process(target=consumer, args=(q,))
       p.start(); c.start()
       p.join(); c.join()

       small = Queue(maxsize=2)
       small.put('a'); small.put('b')
       print(small.qsize(), small.full())            # 2 True
       try:
           small.put('c', timeout=0.1)
       except queue.Full:
           print('put(timeout=0.1): Full')
       print(small.get(), small.get())               # a b
       try:
           small.get_nowait()
       except queue.Empty:
           print('get_nowait(): Empty')

   C differences:
   - mp_queue_new(0, maxsize) is Queue(maxsize): unbounded in bytes, as Python's (its ring
     grows in the family arena); a capacity > 0 would bound its ring of bytes instead. The
     queue pointer travels inside the argument struct and is valid in the child under fork
     and spawn.
   - A message is bytes, not a pickled object: the producer puts the string with its NUL,
     and the consumer gets it into a buffer (mp_queue_get says how many bytes it wrote).
   - Instead of the None sentinel, the producer closes the queue: mp_queue_close() lets the
     consumer drain what is left, then its get returns MP_EOF. That is the same end of the
     loop without a value reserved to mean "the end", and it ends any number of consumers
     at once (with sentinels, one per consumer). A later put fails with MP_ECLOSED.
     Python's q.close() is different: it only says that this process will put no more, and
     wakes nobody, so Python programs use the sentinel.
   - queue.Full and queue.Empty are return codes: put with a timeout returns MP_EFULL when
     it runs out, get returns MP_EEMPTY. A timeout of 0 is put_nowait / get_nowait.
   - The lines of the producer and the consumer interleave differently from run to run.
*/
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <stdio.h>
#include <string.h>

#define NITEMS 10

static int fail(const char *what, int err) {
    fprintf(stderr, "%s failed: %s\n", what, mp_strerror(err));
    return 1;
}

/* The argument of both processes: args=(q,). */
struct job {
    mp_queue *q;
};

static int producer(void *arg, size_t size) {
    struct job *job = (struct job *)arg;
    char item[16];
    int i, r;
    if (size != sizeof *job) return 2;
    for (i = 0; i < NITEMS; i++) {
        snprintf(item, sizeof item, "item-%d", i);
        if ((r = mp_queue_put(job->q, item, strlen(item) + 1, MP_FOREVER)) != MP_OK)
            return fail("mp_queue_put", r);
        printf("producer (pid %ld) put %s\n", mp_getpid(), item);
        fflush(stdout);
        mp_sleep(0.01);
    }
    /* q.put(None) in Python: here the end is the queue's own state */
    if ((r = mp_queue_close(job->q)) != MP_OK) return fail("mp_queue_close", r);
    printf("producer: closed the queue\n");
    fflush(stdout);
    return 0;
}

static int consumer(void *arg, size_t size) {
    struct job *job = (struct job *)arg;
    char item[16];
    size_t n;
    int r, got = 0;
    if (size != sizeof *job) return 2;
    for (;;) {
        r = mp_queue_get(job->q, item, sizeof item, &n, MP_FOREVER); /* item = q.get() */
        if (r == MP_EOF) break; /* closed, and nothing left: `if item is None: break` */
        if (r != MP_OK) return fail("mp_queue_get", r);
        printf("consumer (pid %ld) got %s (%d bytes)\n", mp_getpid(), item, (int)n);
        fflush(stdout);
        got++;
    }
    printf("consumer: MP_EOF after %d items\n", got);
    fflush(stdout);
    return got == NITEMS ? 0 : 3;
}

int main(void) {
    mp_process p, c;
    mp_queue *small;
    struct job job;
    char buf[16];
    size_t n;
    int r, code, failed = 0;

    /* ---- part 1: producer and consumer */
    job.q = mp_queue_new(0, 0); /* Queue() */
    if (!job.q) return fail("mp_queue_new", MP_ENOMEM);
    if ((r = mp_process_init(&p, producer, &job, sizeof job, "producer")) != MP_OK ||
        (r = mp_process_init(&c, consumer, &job, sizeof job, "consumer")) != MP_OK)
        return fail("mp_process_init", r);
    if ((r = mp_process_start(&p)) != MP_OK) return fail("mp_process_start producer", r);
    if ((r = mp_process_start(&c)) != MP_OK) return fail("mp_process_start consumer", r);
    if ((r = mp_process_join(&p, MP_FOREVER)) != MP_OK) return fail("mp_process_join", r);
    if ((r = mp_process_join(&c, MP_FOREVER)) != MP_OK) return fail("mp_process_join", r);
    if (mp_process_exitcode(&p, &code) == 1 && code != 0) failed = 1;
    if (mp_process_exitcode(&c, &code) == 1 && code != 0) failed = 1;
    mp_process_close(&p);
    mp_process_close(&c);

    r = mp_queue_put(job.q, "late", sizeof "late", 0); /* the queue is closed */
    printf("parent: put after close -> %s\n", r == MP_ECLOSED ? "MP_ECLOSED" : mp_strerror(r));
    if (r != MP_ECLOSED) failed = 1;
    mp_queue_free(job.q);

    /* ---- part 2: Full and Empty, in one process */
    small = mp_queue_new(4096, 2); /* Queue(maxsize=2), with the smallest ring */
    if (!small) return fail("mp_queue_new", MP_ENOMEM);
    if ((r = mp_queue_put(small, "a", 2, MP_FOREVER)) != MP_OK ||
        (r = mp_queue_put(small, "b", 2, MP_FOREVER)) != MP_OK)
        return fail("mp_queue_put", r);
    printf("\nparent: qsize() = %ld, full() = %d\n", mp_queue_qsize(small), mp_queue_full(small));

    r = mp_queue_put(small, "c", 2, 0.1); /* waits 0.1 s for room that never comes */
    printf("parent: put('c', timeout=0.1) -> %s\n", r == MP_EFULL ? "MP_EFULL" : mp_strerror(r));
    if (r != MP_EFULL) failed = 1;

    if ((r = mp_queue_get(small, buf, sizeof buf, &n, MP_FOREVER)) != MP_OK)
        return fail("mp_queue_get", r);
    printf("parent: get() -> %s\n", buf);
    if ((r = mp_queue_get(small, buf, sizeof buf, &n, MP_FOREVER)) != MP_OK)
        return fail("mp_queue_get", r);
    printf("parent: get() -> %s\n", buf);

    r = mp_queue_get(small, buf, sizeof buf, &n, 0); /* get_nowait() */
    printf("parent: get_nowait() -> %s, empty() = %d\n",
           r == MP_EEMPTY ? "MP_EEMPTY" : mp_strerror(r), mp_queue_empty(small));
    if (r != MP_EEMPTY) failed = 1;
    mp_queue_free(small);
    return failed;
}
