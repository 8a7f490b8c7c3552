/* joinable_queue.c - three workers take tasks from a JoinableQueue; the parent waits for all
   of them to be done with q.join(), then closes the queue so that the workers end.
   Build alone (in examples/): cc -std=c99 joinable_queue.c -o joinable_queue -pthread

   Python:
       def worker(name, q):
           while True:
               task = q.get()
               if task is None:                      # the sentinel: no more tasks
                   break
               print('%s (pid %d) task %d -> %d' % (name, os.getpid(), task, task * task))
               time.sleep(0.02)                      # the work
               q.task_done()                         # one more task finished

       q = JoinableQueue()
       ps = [Process(target=worker, args=('w%d' % i, q)) for i in range(3)]
       for p in ps: p.start()
       for task in range(12): q.put(task)
       q.join()                                      # until task_done() for every put
       print('all 12 tasks done')
       for p in ps: q.put(None)                      # one sentinel per worker
       for p in ps: p.join()

   C differences:
   - mp_joinable_queue_new(capacity, maxsize) is JoinableQueue(maxsize). Each put counts one
     unfinished task, each mp_queue_task_done() one finished; mp_queue_join() returns MP_OK
     when none is left, or MP_ETIMEDOUT when its timeout runs out first.
   - task_done() more times than put raises ValueError in Python; here it returns
     MP_EOVERFLOW and changes nothing.
   - A task is an int, put as its bytes. The queue pointer travels inside the argument
     struct and is valid in the workers under fork and spawn.
   - Instead of three None sentinels, the parent closes the queue: each worker's get returns
     MP_EOF once the queue is closed and empty. (Python programs often make the workers
     daemonic and never end them; ending them cleanly works the same with any number.)
   - Which worker takes which task changes from run to run; all 12 are done once.
*/
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <stdio.h>

#define NWORKERS 3
#define NTASKS   12

static int fail(const char *what, int err) {
    fprintf(stderr, "%s failed: %s\n", what, mp_strerror(err));
    return 1;
}

/* The argument of each worker: args=(name, q). */
struct job {
    char name[16];
    mp_queue *q;
};

static int worker(void *arg, size_t size) {
    struct job *job = (struct job *)arg;
    int task, r, done = 0;
    size_t n;
    if (size != sizeof *job) return 2;
    for (;;) {
        r = mp_queue_get(job->q, &task, sizeof task, &n, MP_FOREVER); /* task = q.get() */
        if (r == MP_EOF) break; /* closed and drained: no more tasks */
        if (r != MP_OK) return fail("mp_queue_get", r);
        if (n != sizeof task) return 3;
        printf("%s (pid %ld) task %d -> %d\n", job->name, mp_getpid(), task, task * task);
        fflush(stdout);
        mp_sleep(0.02); /* the work */
        done++;
        if ((r = mp_queue_task_done(job->q)) != MP_OK) return fail("mp_queue_task_done", r);
    }
    printf("%s: MP_EOF, ends after %d tasks\n", job->name, done);
    fflush(stdout);
    return 0;
}

int main(void) {
    mp_process ps[NWORKERS];
    struct job job;
    int i, r, code, failed = 0;

    job.q = mp_joinable_queue_new(0, 0); /* JoinableQueue() */
    if (!job.q) return fail("mp_joinable_queue_new", MP_ENOMEM);
    for (i = 0; i < NWORKERS; i++) {
        snprintf(job.name, sizeof job.name, "w%d", i); /* the bytes are copied at init */
        if ((r = mp_process_init(&ps[i], worker, &job, sizeof job, job.name)) != MP_OK)
            return fail("mp_process_init", r);
        if ((r = mp_process_start(&ps[i])) != MP_OK) return fail("mp_process_start", r);
    }

    for (i = 0; i < NTASKS; i++)
        if ((r = mp_queue_put(job.q, &i, sizeof i, MP_FOREVER)) != MP_OK)
            return fail("mp_queue_put", r);
    printf("parent: put %d tasks\n", NTASKS);
    fflush(stdout);

    r = mp_queue_join(job.q, 0); /* polls: the workers have barely begun */
    printf("parent: join(timeout=0) -> %s\n", r == MP_ETIMEDOUT ? "MP_ETIMEDOUT" : mp_strerror(r));
    fflush(stdout);
    if ((r = mp_queue_join(job.q, MP_FOREVER)) != MP_OK) return fail("mp_queue_join", r);
    printf("parent: join() -> MP_OK, all %d tasks done; qsize() = %ld\n", NTASKS,
           mp_queue_qsize(job.q));
    fflush(stdout);

    r = mp_queue_task_done(job.q); /* one more than was put */
    printf("parent: task_done() once too many -> %s\n",
           r == MP_EOVERFLOW ? "MP_EOVERFLOW" : mp_strerror(r));
    if (r != MP_EOVERFLOW) failed = 1;
    fflush(stdout);

    if ((r = mp_queue_close(job.q)) != MP_OK) return fail("mp_queue_close", r);
    for (i = 0; i < NWORKERS; i++) {
        if ((r = mp_process_join(&ps[i], MP_FOREVER)) != MP_OK) return fail("mp_process_join", r);
        if (mp_process_exitcode(&ps[i], &code) == 1 && code != 0) failed = 1;
        mp_process_close(&ps[i]);
    }
    printf("parent: all workers joined\n");
    mp_queue_free(job.q);
    return failed;
}
