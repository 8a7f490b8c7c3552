/* condition.c - a Condition guarding a small bounded buffer: one producer, two consumers.
   Seed 001 mentions that multiprocessing has Lock, Event, Semaphore and Condition, passed to
   the processes as arguments to synchronise them; this is the Condition.
   Build alone (in examples/): cc -std=c99 condition.c -o condition -pthread && ./condition

   Python:
       SIZE, N, DONE = 3, 10, 0                      # DONE: the sentinel, one per consumer

       def producer(cond, buf):
           for item in list(range(1, N + 1)) + [DONE, DONE]:
               with cond:
                   cond.wait_for(lambda: len(buf) < SIZE)     # room in the buffer
                   buf.append(item)
                   print('produced', item)
                   cond.notify_all()

       def consumer(name, cond, buf, total):
           while True:
               with cond:
                   cond.wait_for(lambda: len(buf) > 0)        # something to take
                   item = buf.pop(0)
                   cond.notify_all()
                   if item == DONE:
                       break
                   total.value += item
                   print(name, 'consumed', item)
               time.sleep(0.02)                       # work on the item, outside the lock

       cond, buf, total = Condition(), Manager().list(), Value('l', 0)
       ps = [Process(target=producer, args=(cond, buf))] + \
            [Process(target=consumer, args=(n, cond, buf, total)) for n in ('c1', 'c2')]
       for p in ps: p.start()
       for p in ps: p.join()
       print('total', total.value)                   # 55 = 1 + 2 + ... + 10

   C differences:
   - The buffer is a ring of SIZE ints with its total, in one struct in shared memory
     (mp_shared_alloc). The Condition's lock guards all of it, so it needs no lock of its own.
   - mp_condition_new(NULL) is Condition(): it makes an RLock of its own.
     `with cond:` is mp_condition_acquire / mp_condition_release.
   - cond.wait_for(predicate) takes a function and its argument: a C function cannot capture
     the buffer the way a lambda does, so it gets the pointer as void *.
   - Which consumer takes which item changes from run to run; the total is always 55.
   - Sleeps are scaled down (the 0.02 s of work per item lets the two consumers share).
*/
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <stdio.h>

#define SIZE 3  /* room in the buffer */
#define N    10 /* items 1..N */
#define DONE 0  /* the sentinel */

static int fail(const char *what, int err) {
    fprintf(stderr, "%s failed: %s\n", what, mp_strerror(err));
    return 1;
}

struct buffer {
    int items[SIZE];
    int head, count; /* the oldest item, and how many there are */
    long total;      /* the sum of what the consumers took */
};

/* The argument of each process: pointers to the shared objects, and a name. */
struct job {
    mp_condition *cond;
    struct buffer *buf;
    char name[8];
};

/* The predicates of wait_for: called with the Condition's lock held. */
static int has_room(void *arg) {
    return ((struct buffer *)arg)->count < SIZE;
}
static int has_item(void *arg) {
    return ((struct buffer *)arg)->count > 0;
}

static int producer(void *arg, size_t size) {
    struct job *job = (struct job *)arg;
    struct buffer *buf = job->buf;
    int i, r;
    if (size != sizeof *job) return 2;
    for (i = 1; i <= N + 2; i++) {
        int item = i <= N ? i : DONE; /* two sentinels at the end, one per consumer */
        if ((r = mp_condition_acquire(job->cond, MP_FOREVER)) != MP_OK)
            return fail("mp_condition_acquire", r);
        if ((r = mp_condition_wait_for(job->cond, has_room, buf, MP_FOREVER)) != MP_OK)
            return fail("mp_condition_wait_for", r);
        buf->items[(buf->head + buf->count) % SIZE] = item;
        buf->count++;
        if (item != DONE)
            printf("producer: produced %d (buffer holds %d)\n", item, buf->count);
        else
            printf("producer: produced the sentinel\n");
        fflush(stdout);
        if ((r = mp_condition_notify_all(job->cond)) != MP_OK)
            return fail("mp_condition_notify_all", r);
        if ((r = mp_condition_release(job->cond)) != MP_OK) return fail("mp_condition_release", r);
    }
    return 0;
}

static int consumer(void *arg, size_t size) {
    struct job *job = (struct job *)arg;
    struct buffer *buf = job->buf;
    int item, r, taken = 0;
    if (size != sizeof *job) return 2;
    for (;;) {
        if ((r = mp_condition_acquire(job->cond, MP_FOREVER)) != MP_OK)
            return fail("mp_condition_acquire", r);
        if ((r = mp_condition_wait_for(job->cond, has_item, buf, MP_FOREVER)) != MP_OK)
            return fail("mp_condition_wait_for", r);
        item = buf->items[buf->head];
        buf->head = (buf->head + 1) % SIZE;
        buf->count--;
        if (item != DONE) {
            buf->total += item;
            taken++;
            printf("%s: consumed %d\n", job->name, item);
        } else {
            printf("%s: got the sentinel after %d items, ends\n", job->name, taken);
        }
        fflush(stdout);
        if ((r = mp_condition_notify_all(job->cond)) != MP_OK)
            return fail("mp_condition_notify_all", r);
        if ((r = mp_condition_release(job->cond)) != MP_OK) return fail("mp_condition_release", r);
        if (item == DONE) return 0;
        mp_sleep(0.02); /* work on the item, outside the lock */
    }
}

int main(void) {
    mp_process ps[3];
    struct job job;
    int i, r, code, failed = 0;

    job.cond = mp_condition_new(NULL); /* Condition() */
    job.buf = (struct buffer *)mp_shared_alloc(sizeof *job.buf);
    if (!job.cond || !job.buf) return fail("mp_condition_new", MP_ENOMEM);

    snprintf(job.name, sizeof job.name, "p");
    r = mp_process_init(&ps[0], producer, &job, sizeof job, "producer");
    for (i = 1; i < 3 && r == MP_OK; i++) {
        snprintf(job.name, sizeof job.name, "c%d", i); /* copied at init */
        r = mp_process_init(&ps[i], consumer, &job, sizeof job, job.name);
    }
    if (r != MP_OK) return fail("mp_process_init", r);
    for (i = 0; i < 3; i++)
        if ((r = mp_process_start(&ps[i])) != MP_OK) return fail("mp_process_start", r);
    for (i = 0; i < 3; i++) {
        if ((r = mp_process_join(&ps[i], MP_FOREVER)) != MP_OK) return fail("mp_process_join", r);
        if (mp_process_exitcode(&ps[i], &code) == 1 && code != 0) failed = 1;
        mp_process_close(&ps[i]);
    }
    printf("total %ld (expected %d), left in the buffer: %d\n", job.buf->total, N * (N + 1) / 2,
           job.buf->count);
    failed |= job.buf->total != N * (N + 1) / 2;
    mp_shared_free(job.buf);
    mp_condition_free(job.cond);
    return failed;
}
