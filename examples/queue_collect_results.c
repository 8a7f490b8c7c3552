/* queue_collect_results.c - four workers each compute a part of a sum and put their result
   into one Queue; the parent collects the four results, sorts them and adds them up.
   Build alone (in examples/):
       cc -std=c99 queue_collect_results.c -o queue_collect_results -pthread

   Python:
       N = 250000                                    # numbers per worker

       def work(i, results):
           time.sleep(0.02 * (3 - i))                # the last worker finishes first
           s = sum(k * k for k in range(i * N, (i + 1) * N))
           results.put((i, os.getpid(), s))

       results = Queue()
       ps = [Process(target=work, args=(i, results)) for i in range(4)]
       for p in ps: p.start()
       got = [results.get() for p in ps]             # in the order they arrive
       for p in ps: p.join()
       for i, pid, s in sorted(got):                 # sorted by worker id
           print('worker %d (pid %d): %d' % (i, pid, s))
       print('total', sum(s for i, pid, s in got))   # = sum(k * k for k in range(4 * N))

   C differences:
   - A result is a small struct (worker id, pid, sum) put as its bytes: no pickling, so
     it is only for processes of the same program, which is what a family is.
   - The results arrive in the order the workers finish, which changes from run to run
     (the sleeps make it roughly 3, 2, 1, 0); qsort puts them back in worker order.
   - The parent gets the results before it joins the workers, the order Python needs: a
     Python process that has put on a Queue does not end until a feeder thread has flushed
     its data into a pipe, so joining first can deadlock. An mp.h put returns once the
     message is in the queue's ring in shared memory, so joining first would work too, as
     long as the results fit in the ring (1 MiB here).
   - The sums are unsigned long long: the total, about 3.3e17, needs 64 bits.
*/
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <stdio.h>
#include <stdlib.h>

#define NWORKERS 4
#define N        250000 /* numbers per worker */

static int fail(const char *what, int err) {
    fprintf(stderr, "%s failed: %s\n", what, mp_strerror(err));
    return 1;
}

/* The argument of each worker: args=(i, results). */
struct job {
    int i;
    mp_queue *results;
};

/* What a worker puts: the tuple (i, pid, s). */
struct result {
    int i;
    long pid;
    unsigned long long sum;
};

static int work(void *arg, size_t size) {
    struct job *job = (struct job *)arg;
    struct result res;
    unsigned long long k;
    int r;
    if (size != sizeof *job) return 2;
    mp_sleep(0.02 * (NWORKERS - 1 - job->i)); /* the last worker finishes first */
    res.i = job->i;
    res.pid = mp_getpid();
    res.sum = 0;
    for (k = (unsigned long long)job->i * N; k < (unsigned long long)(job->i + 1) * N; k++)
        res.sum += k * k;
    if ((r = mp_queue_put(job->results, &res, sizeof res, MP_FOREVER)) != MP_OK)
        return fail("mp_queue_put", r);
    return 0;
}

static int by_worker(const void *a, const void *b) {
    return ((const struct result *)a)->i - ((const struct result *)b)->i;
}

int main(void) {
    mp_process ps[NWORKERS];
    struct result got[NWORKERS];
    struct job job;
    unsigned long long total = 0, n = (unsigned long long)NWORKERS * N, expected;
    size_t size;
    int i, r, code, failed = 0;

    job.results = mp_queue_new(0, 0); /* Queue() */
    if (!job.results) return fail("mp_queue_new", MP_ENOMEM);
    for (i = 0; i < NWORKERS; i++) {
        job.i = i; /* the bytes are copied at init: each worker keeps its own number */
        if ((r = mp_process_init(&ps[i], work, &job, sizeof job, NULL)) != MP_OK)
            return fail("mp_process_init", r);
        if ((r = mp_process_start(&ps[i])) != MP_OK) return fail("mp_process_start", r);
    }

    printf("arrival order:");
    for (i = 0; i < NWORKERS; i++) { /* got = [results.get() for p in ps] */
        r = mp_queue_get(job.results, &got[i], sizeof got[i], &size, 10.0);
        if (r != MP_OK) return fail("mp_queue_get", r);
        if (size != sizeof got[i]) return fail("mp_queue_get (size)", MP_ECORRUPT);
        printf(" %d", got[i].i);
    }
    printf("\n");
    fflush(stdout);
    for (i = 0; i < NWORKERS; i++) {
        if ((r = mp_process_join(&ps[i], MP_FOREVER)) != MP_OK) return fail("mp_process_join", r);
        if (mp_process_exitcode(&ps[i], &code) == 1 && code != 0) failed = 1;
        mp_process_close(&ps[i]);
    }

    qsort(got, NWORKERS, sizeof got[0], by_worker);
    for (i = 0; i < NWORKERS; i++) {
        printf("worker %d (pid %ld): sum of k*k for k in [%d, %d) = %llu\n", got[i].i, got[i].pid,
               got[i].i * N, (got[i].i + 1) * N, got[i].sum);
        total += got[i].sum;
        failed |= got[i].i != i;
    }
    expected = (n - 1) * n * (2 * n - 1) / 6; /* sum of k*k for k in [0, n) */
    printf("total %llu (expected %llu)\n", total, expected);
    failed |= total != expected;
    mp_queue_free(job.results);
    return failed;
}
