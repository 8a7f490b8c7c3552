/* pool_worker_crash.c - a task crashes its worker (a segmentation fault) while other
   tasks run: its result reports the death, every other result arrives, a new worker takes
   the dead one's place, and the pool goes on. Python's Pool hangs here.
   Build alone (in examples/): cc -std=c99 pool_worker_crash.c -o pool_worker_crash -pthread

   Python:
       def task(n):
           if n == 3:
               os.kill(os.getpid(), signal.SIGSEGV)  # a crash, as in a faulty C extension
           time.sleep(0.1)
           return n * n

       if __name__ == '__main__':
           with Pool(4) as p:
               results = [p.apply_async(task, (n,)) for n in range(8)]
               for n, res in enumerate(results):
                   print(n, res.get())       # n == 3: blocks forever. The Pool replaces the
                                             # dead worker, but the task it was running is
                                             # lost, and nothing tells its AsyncResult
               print(p.map(task, range(8, 12)))          # never reached

   C differences:
   - mp_async_get returns MP_EWORKERDIED for task 3 as soon as the pool sees its worker
     dead, and mp_async_status gives the worker's exit code: minus the signal number on
     POSIX (-11 for SIGSEGV); on Windows the NTSTATUS of the crash (0xC0000005, an access
     violation) as an int. The other seven results arrive as usual.
   - The crash: raise(SIGSEGV) on POSIX; on Windows, where raise(SIGSEGV) only calls the C
     runtime's handler, a write through a NULL pointer. The pointer is volatile so that the
     compiler cannot see it is NULL and put something else in place of the write.
   - The crashing task first turns off what a crash would leave behind: a core file on
     POSIX (setrlimit), the Windows Error Reporting dialog on Windows (SetErrorMode). Under
     Wine, Wine itself still prints a line about the page fault on stderr.
   - The pool's worker pids are printed before and after: one of them (the one that ran
     task 3) has been replaced. The map of four more tasks afterwards shows that the pool
     still works.
*/
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <stdio.h>
#include <string.h>
#ifdef _WIN32
#include <windows.h>
#else
#include <signal.h>
#include <sys/resource.h>
#endif

#define NWORKERS 4
#define NTASKS   8
#define CRASHER  3

static int fail(const char *what, int err) {
    fprintf(stderr, "%s failed: %s\n", what, mp_strerror(err));
    return 1;
}

static void crash(void) {
#ifdef _WIN32
    int *volatile nowhere = NULL;
    SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX); /* no dialog */
    *nowhere = 1;
#else
    struct rlimit no_core;
    no_core.rlim_cur = no_core.rlim_max = 0;
    setrlimit(RLIMIT_CORE, &no_core); /* no core file */
    raise(SIGSEGV);
#endif
}

static int task(const void *arg, size_t size, mp_task_out *out) {
    int n, square;
    if (size != sizeof n) return 1; /* a non-zero status: the task failed */
    memcpy(&n, arg, sizeof n);
    if (n == CRASHER) {
        printf("task %d (pid %ld): crashing\n", n, mp_getpid());
        fflush(stdout);
        crash();
    }
    mp_sleep(0.1);
    square = n * n;
    return mp_task_return(out, &square, sizeof square);
}

static void print_workers(mp_pool *p, const char *when) {
    long pids[NWORKERS];
    int i, n = mp_pool_worker_pids(p, pids, NWORKERS);
    printf("workers %s:", when);
    for (i = 0; i < n; i++) printf(" %ld", pids[i]);
    printf("\n");
    fflush(stdout);
}

int main(void) {
    mp_pool *p;
    mp_async *results[NTASKS];
    mp_batch *batch;
    const void *data;
    size_t size;
    int more[4] = {8, 9, 10, 11};
    int n, r, status, square, failed = 0;

    if ((r = mp_pool_new(&p, NWORKERS, NULL)) != MP_OK) return fail("mp_pool_new", r);
    print_workers(p, "before");
    for (n = 0; n < NTASKS; n++)
        if ((r = mp_pool_apply_async(p, task, &n, sizeof n, NULL, &results[n])) != MP_OK)
            return fail("mp_pool_apply_async", r);

    for (n = 0; n < NTASKS; n++) {
        r = mp_async_get(results[n], MP_FOREVER, &data, &size);
        if (r == MP_EWORKERDIED) {
            status = mp_async_status(results[n]);
#ifndef _WIN32
            printf("%d: %s, status %d (-SIGSEGV)\n", n, mp_strerror(r), status);
            failed |= status != -SIGSEGV;
#else
            printf("%d: %s, status %d (0x%08X)\n", n, mp_strerror(r), status, (unsigned)status);
            failed |= status == 0;
#endif
            failed |= n != CRASHER;
        } else if (r != MP_OK) {
            return fail("mp_async_get", r);
        } else {
            if (size != sizeof square) return fail("mp_async_get (size)", MP_ECORRUPT);
            memcpy(&square, data, sizeof square);
            printf("%d %d\n", n, square);
            failed |= square != n * n || n == CRASHER;
        }
        fflush(stdout);
        mp_async_free(results[n]);
    }
    print_workers(p, "after ");

    /* the pool goes on: print(p.map(task, range(8, 12))) */
    r = mp_pool_map(p, task, more, sizeof more[0], 4, 1, MP_MAP, &batch);
    if (r != MP_OK) return fail("mp_pool_map", r);
    printf("map:");
    for (n = 0; n < 4; n++) {
        if ((r = mp_batch_result(batch, (size_t)n, &data, &size, &status)) != MP_OK)
            return fail("mp_batch_result", r);
        if (size != sizeof square) return fail("mp_batch_result (size)", MP_ECORRUPT);
        memcpy(&square, data, sizeof square);
        printf(" %d", square);
        failed |= square != more[n] * more[n];
    }
    printf("\n");
    fflush(stdout);
    mp_batch_free(batch);
    if ((r = mp_pool_close(p)) != MP_OK) return fail("mp_pool_close", r);
    if ((r = mp_pool_join(p)) != MP_OK) return fail("mp_pool_join", r);
    mp_pool_free(p);
    return failed;
}
