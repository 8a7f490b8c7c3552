/* semaphore.c - a Semaphore(2) lets at most two of five processes into a section at once.
   Seed 001 mentions that multiprocessing has Lock, Event, Semaphore and Condition, passed to
   the processes as arguments to synchronise them; this is the Semaphore.
   Build alone (in examples/): cc -std=c99 semaphore.c -o semaphore -pthread && ./semaphore

   Python:
       def worker(i, sem, inside):
           with sem:                                 # at most 2 processes past this line
               with inside.get_lock():
                   inside.value += 1
                   print('worker %d enters, inside: %d' % (i, inside.value))
               time.sleep(0.1)                       # the work
               with inside.get_lock():
                   inside.value -= 1
                   print('worker %d leaves, inside: %d' % (i, inside.value))

       sem, inside = Semaphore(2), Value('i', 0)
       ps = [Process(target=worker, args=(i, sem, inside)) for i in range(5)]
       for p in ps: p.start()
       for p in ps: p.join()

   C differences:
   - mp_semaphore_new(2) is Semaphore(2); `with sem:` is mp_semaphore_acquire / release.
     mp_bounded_semaphore_new is BoundedSemaphore (a release past the start value fails).
   - The counter is an mp_value holding a struct: how many are inside now, and the most
     seen at once, which the parent prints at the end (never more than 2). It changes only
     under its lock, MP_WITH_LOCK(mp_value_lock(v)) (`with v.get_lock():`).
   - Which workers go first changes from run to run. With 0.1 s of work each and two at a
     time, the five take about 0.3 s in all.
*/
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <stdio.h>

#define NWORKERS 5
#define SLOTS    2

static int fail(const char *what, int err) {
    fprintf(stderr, "%s failed: %s\n", what, mp_strerror(err));
    return 1;
}

struct count {
    int inside; /* processes in the section now */
    int most;   /* the most ever inside at once */
};

/* The argument of each worker: its number, and pointers to the shared objects. */
struct job {
    int i;
    mp_semaphore *sem;
    mp_value *inside; /* holds a struct count */
};

static int worker(void *arg, size_t size) {
    struct job *job = (struct job *)arg;
    struct count *c;
    int r;
    if (size != sizeof *job) return 2;
    c = (struct count *)mp_value_ptr(job->inside);

    if ((r = mp_semaphore_acquire(job->sem, MP_FOREVER)) != MP_OK)
        return fail("mp_semaphore_acquire", r);
    MP_WITH_LOCK(mp_value_lock(job->inside)) {
        c->inside++;
        if (c->inside > c->most) c->most = c->inside;
        printf("worker %d (pid %ld) enters, inside: %d\n", job->i, mp_getpid(), c->inside);
        fflush(stdout);
    }
    mp_sleep(0.1); /* the work */
    MP_WITH_LOCK(mp_value_lock(job->inside)) {
        c->inside--;
        printf("worker %d leaves, inside: %d\n", job->i, c->inside);
        fflush(stdout);
    }
    if ((r = mp_semaphore_release(job->sem)) != MP_OK) return fail("mp_semaphore_release", r);
    return 0;
}

int main(void) {
    mp_process ps[NWORKERS];
    struct job job;
    struct count *c;
    int i, r, code, most, failed = 0;

    job.sem = mp_semaphore_new(SLOTS);               /* Semaphore(2) */
    job.inside = mp_value_new(sizeof(struct count)); /* Value, zeroed */
    if (!job.sem || !job.inside) return fail("mp_semaphore_new", MP_ENOMEM);
    c = (struct count *)mp_value_ptr(job.inside);

    for (i = 0; i < NWORKERS; i++) {
        job.i = i; /* the bytes are copied at init: each worker keeps its own number */
        if ((r = mp_process_init(&ps[i], worker, &job, sizeof job, NULL)) != MP_OK)
            return fail("mp_process_init", r);
        if ((r = mp_process_start(&ps[i])) != MP_OK) return fail("mp_process_start", r);
    }
    for (i = 0; i < NWORKERS; i++) {
        if ((r = mp_process_join(&ps[i], MP_FOREVER)) != MP_OK) return fail("mp_process_join", r);
        if (mp_process_exitcode(&ps[i], &code) == 1 && code != 0) failed = 1;
        mp_process_close(&ps[i]);
    }
    most = c->most;
    printf("all done: at most %d inside at once (the semaphore allows %d), value now %d\n", most,
           SLOTS, mp_semaphore_get_value(job.sem));
    mp_value_free(job.inside);
    mp_semaphore_free(job.sem);
    return failed || most > SLOTS;
}
