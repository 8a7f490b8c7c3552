/* event_start.c - an Event that starts several workers at the same moment.
   Seed 001 mentions that multiprocessing has Lock, Event, Semaphore and Condition, passed to
   the processes as arguments to synchronise them; this is the Event.
   Build alone (in examples/): cc -std=c99 event_start.c -o event_start -pthread && ./event_start

   Python:
       def worker(i, ready, start):
           print('worker %d (pid %d) waiting' % (i, os.getpid()))
           ready.release()                   # tell the parent: one more is waiting
           start.wait()                      # blocks until the parent sets the event
           print('worker %d released' % i)

       ready, start = Semaphore(0), Event()
       ps = [Process(target=worker, args=(i, ready, start)) for i in range(3)]
       for p in ps: p.start()
       for p in ps: ready.acquire()          # all three are waiting now
       print(start.is_set())                 # False
       print(start.wait(0.1))                # False: timed out after 0.1 s
       print('parent: preparing')
       time.sleep(0.1)
       start.set()                           # releases every waiter at once
       for p in ps: p.join()

   C differences:
   - mp_event_new() is Event(); the event lives in the family arena, so the pointer to it
     in the argument struct is valid in the child under fork and spawn.
   - event.wait(timeout) returns True/False in Python; mp_event_wait returns MP_OK once the
     event is set, or MP_ETIMEDOUT.
   - The parent counts the waiting workers with a Semaphore(0), as in the Python above, so
     that it sets the event only when all of them are waiting: under spawn a child takes a
     while to start. A worker that arrives after set() would simply not wait at all.
   - The order of the "released" lines changes from run to run.
   - Sleeps are in tenths of a second.
*/
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <stdio.h>

#define NWORKERS 3

static int fail(const char *what, int err) {
    fprintf(stderr, "%s failed: %s\n", what, mp_strerror(err));
    return 1;
}

/* The argument of each worker: its number, and pointers to the shared objects. */
struct job {
    int i;
    mp_semaphore *ready;
    mp_event *start;
};

static int worker(void *arg, size_t size) {
    struct job *job = (struct job *)arg;
    int r;
    if (size != sizeof *job) return 2;
    printf("worker %d (pid %ld) waiting\n", job->i, mp_getpid());
    fflush(stdout);
    if ((r = mp_semaphore_release(job->ready)) != MP_OK) return fail("mp_semaphore_release", r);
    if ((r = mp_event_wait(job->start, MP_FOREVER)) != MP_OK) return fail("mp_event_wait", r);
    printf("worker %d released\n", job->i);
    fflush(stdout);
    return 0;
}

int main(void) {
    mp_process ps[NWORKERS];
    struct job job;
    int i, r;

    job.ready = mp_semaphore_new(0); /* Semaphore(0) */
    job.start = mp_event_new();      /* Event() */
    if (!job.ready || !job.start) return fail("mp_event_new", MP_ENOMEM);

    for (i = 0; i < NWORKERS; i++) {
        job.i = i; /* the bytes are copied at init: each worker keeps its own number */
        if ((r = mp_process_init(&ps[i], worker, &job, sizeof job, NULL)) != MP_OK)
            return fail("mp_process_init", r);
        if ((r = mp_process_start(&ps[i])) != MP_OK) return fail("mp_process_start", r);
    }
    for (i = 0; i < NWORKERS; i++)
        if ((r = mp_semaphore_acquire(job.ready, 10.0)) != MP_OK)
            return fail("mp_semaphore_acquire", r);

    printf("parent: all %d workers wait; start.is_set() = %d\n", NWORKERS,
           mp_event_is_set(job.start));
    r = mp_event_wait(job.start, 0.1); /* nobody sets it: times out */
    printf("parent: start.wait(0.1) -> %s\n", r == MP_ETIMEDOUT ? "MP_ETIMEDOUT" : mp_strerror(r));
    if (r != MP_ETIMEDOUT) return fail("mp_event_wait (expected MP_ETIMEDOUT)", r);
    printf("parent: preparing\n");
    fflush(stdout);
    mp_sleep(0.1);

    printf("parent: start.set()\n");
    fflush(stdout);
    if ((r = mp_event_set(job.start)) != MP_OK) return fail("mp_event_set", r);
    for (i = 0; i < NWORKERS; i++) {
        if ((r = mp_process_join(&ps[i], MP_FOREVER)) != MP_OK) return fail("mp_process_join", r);
        mp_process_close(&ps[i]);
    }
    r = mp_event_wait(job.start, 0.1); /* set: returns at once */
    printf("parent: all joined; start.wait(0.1) -> %s\n", r == MP_OK ? "MP_OK" : mp_strerror(r));
    mp_event_free(job.start);
    mp_semaphore_free(job.ready);
    return 0;
}
