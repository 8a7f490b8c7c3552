/* lock_counter.c - a shared counter, first without a lock (updates get lost), then with one.
   Seed 001 mentions that multiprocessing has Lock, Event, Semaphore and Condition, passed to
   the processes as arguments to synchronise them; this is the Lock.
   Build alone (in examples/): cc -std=c99 lock_counter.c -o lock_counter -pthread

   Python:
       def add(v, n, lock, start):
           start.wait()                        # all four begin together
           for _ in range(n):
               if lock is None:
                   v.value += 1                # read, add, write: not atomic
               else:
                   with lock:                  # or: with v.get_lock():
                       v.value += 1

       v = Value('l', 0)                       # a shared long, with an RLock of its own
       start = Barrier(4)
       for lock in (None, Lock(), v.get_lock()):
           v.value = 0
           ps = [Process(target=add, args=(v, 100000, lock, start)) for _ in range(4)]
           for p in ps: p.start()
           for p in ps: p.join()
           print(v.value)                      # no lock: less than 400000; else 400000

   C differences:
   - mp_value_new(sizeof(long)) is Value('l', 0): the long lives in the family arena and
     comes with an RLock, mp_value_lock(v) (v.get_lock()). mp_lock_new() is Lock().
   - `with lock:` is mp_lock_acquire / mp_lock_release, their return codes checked (the
     second run), or MP_WITH_LOCK(lock) { ... }, which ignores them (the third run).
   - Without a lock, each increment is a read, a little work and a write through a volatile
     pointer, so that another process can write in between and its update is overwritten.
     The loss is real on every run with two cores or more, but its size changes from run to
     run (and on one core it can be close to zero).
   - The children meet at a Barrier before counting, so that they really count at the same
     time: a child can take longer to start (under spawn above all) than to count to 100000,
     and children that count one after the other lose nothing (see barrier.c).
*/
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <stdio.h>

#define NPROC 4
#define ADDS  100000

enum mode { NO_LOCK, WITH_LOCK, WITH_GET_LOCK };

static int fail(const char *what, int err) {
    fprintf(stderr, "%s failed: %s\n", what, mp_strerror(err));
    return 1;
}

/* The argument of each child: pointers into the arena (valid in every process) and the mode. */
struct job {
    mp_value *v;
    mp_lock *lock;
    mp_barrier *start;
    int n;
    int mode;
};

static int add(void *arg, size_t size) {
    struct job *job = (struct job *)arg;
    volatile long *n;
    int i, r;
    if (size != sizeof *job) return 2;
    n = (volatile long *)mp_value_ptr(job->v);
    if ((r = mp_barrier_wait(job->start, MP_FOREVER)) < 0) return fail("mp_barrier_wait", r);

    for (i = 0; i < job->n; i++) {
        if (job->mode == NO_LOCK) {
            long x = *n; /* read */
            volatile int k;
            for (k = 0; k < 100; k++) {} /* a little work between the read and the write */
            *n = x + 1;                  /* write: whatever the others wrote meanwhile is lost */
        } else if (job->mode == WITH_LOCK) {
            if ((r = mp_lock_acquire(job->lock, MP_FOREVER)) != MP_OK)
                return fail("mp_lock_acquire", r);
            *n = *n + 1;
            if ((r = mp_lock_release(job->lock)) != MP_OK) return fail("mp_lock_release", r);
        } else {
            MP_WITH_LOCK(mp_value_lock(job->v)) { /* with v.get_lock(): v.value += 1 */
                *n = *n + 1;
            }
        }
    }
    return 0;
}

static int run(struct job *job, const char *title) {
    mp_process ps[NPROC];
    long *n = (long *)mp_value_ptr(job->v);
    int i, r, code;

    *n = 0;
    for (i = 0; i < NPROC; i++) {
        if ((r = mp_process_init(&ps[i], add, job, sizeof *job, NULL)) != MP_OK)
            return fail("mp_process_init", r);
        if ((r = mp_process_start(&ps[i])) != MP_OK) return fail("mp_process_start", r);
    }
    for (i = 0; i < NPROC; i++) {
        if ((r = mp_process_join(&ps[i], MP_FOREVER)) != MP_OK) return fail("mp_process_join", r);
        if (mp_process_exitcode(&ps[i], &code) == 1 && code != 0) {
            fprintf(stderr, "%s exited with %d\n", mp_process_name(&ps[i]), code);
            return 1;
        }
        mp_process_close(&ps[i]);
    }
    printf("%-22s expected %ld, got %ld", title, (long)NPROC * ADDS, *n);
    if (*n != (long)NPROC * ADDS) printf(" (%ld updates lost)", (long)NPROC * ADDS - *n);
    printf("\n");
    fflush(stdout);
    return 0;
}

int main(void) {
    struct job job;

    printf("parent (pid %ld): %d processes add 1, %d times each\n", mp_getpid(), NPROC, ADDS);
    fflush(stdout);
    job.v = mp_value_new(sizeof(long));      /* Value('l', 0) */
    job.lock = mp_lock_new();                /* Lock() */
    job.start = mp_barrier_new(NPROC, NULL); /* Barrier(4), used again in every part */
    if (!job.v || !job.lock || !job.start) return fail("mp_value_new", MP_ENOMEM);
    job.n = ADDS;

    job.mode = NO_LOCK;
    if (run(&job, "without a lock:")) return 1;
    job.mode = WITH_LOCK;
    if (run(&job, "with lock:")) return 1;
    job.mode = WITH_GET_LOCK;
    if (run(&job, "with v.get_lock():")) return 1;

    mp_barrier_free(job.start);
    mp_lock_free(job.lock);
    mp_value_free(job.v);
    return 0;
}
