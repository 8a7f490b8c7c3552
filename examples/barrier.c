/* barrier.c - three processes meet at a Barrier, twice; its action runs once per round.
   Seed 001 lists Lock, Event, Semaphore and Condition; multiprocessing has a Barrier too
   (the same as threading.Barrier), passed to the processes as an argument in the same way.
   Build alone (in examples/): cc -std=c99 barrier.c -o barrier -pthread && ./barrier

   Python:
       def action():                             # run by one process when all 3 are there
           print('--- all 3 arrived, in', current_process().name)

       def worker(i, barrier):
           for rnd in range(2):
               time.sleep(0.05 * (i + 1))        # they arrive at different times
               print('worker %d arrives (round %d)' % (i, rnd))
               index = barrier.wait()            # 0, 1 or 2: different in each process
               print('worker %d passes (round %d, index %d)' % (i, rnd, index))

       barrier = Barrier(3, action=action)
       ps = [Process(target=worker, args=(i, barrier), name='worker-%d' % i) for i in range(3)]
       for p in ps: p.start()
       for p in ps: p.join()

   C differences:
   - mp_barrier_new(3, action) is Barrier(3, action=action). The action takes no argument
     and returns 0 (non-zero breaks the barrier: the waiters get MP_EBROKEN). It runs in the
     process that arrives last, before the others are released, and mp.h finds it there as
     it finds a spawn target, so it works under spawn and on Windows too.
   - The action has no argument, so it reads the round from a global variable that each
     worker sets in its own process before waiting: the global is not shared, but the
     action runs in one of the workers, which has it set.
   - barrier.wait() returns the arrival index (0..parties-1) or a negative MP_E* code:
     MP_EBROKEN (BrokenBarrierError), or MP_ETIMEDOUT with a timeout, which breaks the
     barrier for everyone, as in Python.
*/
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <stdio.h>

#define NWORKERS 3
#define ROUNDS   2

static int fail(const char *what, int err) {
    fprintf(stderr, "%s failed: %s\n", what, mp_strerror(err));
    return 1;
}

static int round_now; /* per process: the round this worker is in */

static int action(void) {
    printf("--- all %d arrived (round %d); action runs in %s (pid %ld)\n", NWORKERS, round_now,
           mp_process_name(mp_current_process()), mp_getpid());
    fflush(stdout);
    return 0;
}

/* The argument of each worker: its number, and the pointer to the barrier. */
struct job {
    int i;
    mp_barrier *barrier;
};

static int worker(void *arg, size_t size) {
    struct job *job = (struct job *)arg;
    int index;
    if (size != sizeof *job) return 2;
    for (round_now = 0; round_now < ROUNDS; round_now++) {
        mp_sleep(0.05 * (job->i + 1));
        printf("worker %d arrives (round %d)\n", job->i, round_now);
        fflush(stdout);
        index = mp_barrier_wait(job->barrier, MP_FOREVER);
        if (index < 0) return fail("mp_barrier_wait", index);
        printf("worker %d passes (round %d, index %d)\n", job->i, round_now, index);
        fflush(stdout);
    }
    return 0;
}

int main(void) {
    mp_process ps[NWORKERS];
    struct job job;
    char name[MP_NAME_MAX];
    int i, r, code, failed = 0;

    job.barrier = mp_barrier_new(NWORKERS, action); /* Barrier(3, action=action) */
    if (!job.barrier) return fail("mp_barrier_new", MP_ENOMEM);

    for (i = 0; i < NWORKERS; i++) {
        job.i = i; /* the bytes are copied at init: each worker keeps its own number */
        snprintf(name, sizeof name, "worker-%d", i);
        if ((r = mp_process_init(&ps[i], worker, &job, sizeof job, name)) != MP_OK)
            return fail("mp_process_init", r);
        if ((r = mp_process_start(&ps[i])) != MP_OK) return fail("mp_process_start", r);
    }
    for (i = 0; i < NWORKERS; i++) {
        if ((r = mp_process_join(&ps[i], MP_FOREVER)) != MP_OK) return fail("mp_process_join", r);
        if (mp_process_exitcode(&ps[i], &code) == 1 && code != 0) failed = 1;
        mp_process_close(&ps[i]);
    }
    printf("all joined; barrier broken: %d, waiting: %d\n", mp_barrier_broken(job.barrier),
           mp_barrier_n_waiting(job.barrier));
    mp_barrier_free(job.barrier);
    return failed;
}
