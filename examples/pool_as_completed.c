/* pool_as_completed.c - concurrent.futures with a process pool: results as they complete,
   a task that fails with a message, cancel, and a shutdown that cancels what has not started.
   (No seed example: the concurrent.futures documentation's as_completed loop.)
   Build alone (in examples/): cc -std=c99 pool_as_completed.c -o pool_as_completed -pthread && ./pool_as_completed

   Python:
       import concurrent.futures, time

       def task(n):
           time.sleep(0.05 * (8 - n))     # the later tasks are the shorter ones
           if n == 5:
               raise ValueError('5 is unlucky')
           return n * n

       if __name__ == '__main__':
           with concurrent.futures.ProcessPoolExecutor(max_workers=4) as ex:
               futures = {ex.submit(task, n): n for n in range(1, 9)}
               for f in concurrent.futures.as_completed(futures):
                   try:
                       print(futures[f], '->', f.result())
                   except ValueError as e:
                       print(futures[f], 'failed:', e)
               more = [ex.submit(task, n) for n in range(1, 9)]
               print('cancel the last:', more[-1].cancel())
               ex.shutdown(wait=True, cancel_futures=True)
               print(sum(f.cancelled() for f in more), 'cancelled')

   C differences:
   - submit is mp_pool_apply_async; the futures are a plain array of mp_async pointers, and
     as_completed is mp_async_wait_any over it: it gives the index of a finished one, which
     the loop handles and sets to NULL, until MP_EOF (nothing left).
   - A task "raises" by returning a non-zero status after mp_task_return(out, message, size):
     mp_async_get then answers MP_ETASK with those bytes (Python: the exception).
   - cancel is mp_async_cancel: 1 when the task had not started (it never runs, and get
     answers MP_ECANCELLED), 0 when it runs or ran. shutdown(wait, cancel_futures) is
     mp_pool_shutdown(pool, wait, cancel_futures); the pool is then freed with mp_pool_free.
   - The pool starts tasks in submission order, as Python does: tasks 1-4 first, each next
     one when a worker is free. Which tasks of the second round get cancelled depends on
     timing, as in Python: the four running ones finish, the others are cancelled.
*/
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <stdio.h>
#include <string.h>

#define NTASKS 8

static int fail(const char *what, int err) {
    fprintf(stderr, "%s failed: %s\n", what, mp_strerror(err));
    return 1;
}

static int task(const void *arg, size_t size, mp_task_out *out) {
    static const char unlucky[] = "5 is unlucky";
    int n, square;
    if (size != sizeof n) return 1;
    memcpy(&n, arg, sizeof n);
    mp_sleep(0.05 * (NTASKS - n));
    if (n == 5) { /* raise ValueError('5 is unlucky') */
        mp_task_return(out, unlucky, sizeof unlucky);
        return 2;
    }
    square = n * n;
    return mp_task_return(out, &square, sizeof square);
}

int main(void) {
    mp_pool *p;
    mp_async *futures[NTASKS], *more[NTASKS];
    const void *data = NULL;
    size_t size = 0;
    int i, n, r, cancelled = 0;
    if ((r = mp_pool_new(&p, 4, NULL)) != MP_OK) return fail("mp_pool_new", r);
    for (n = 1; n <= NTASKS; n++) {
        r = mp_pool_apply_async(p, task, &n, sizeof n, NULL, &futures[n - 1]);
        if (r != MP_OK) return fail("mp_pool_apply_async", r);
    }
    /* for f in as_completed(futures): */
    while ((r = mp_async_wait_any(futures, NTASKS, MP_FOREVER, &i)) == MP_OK) {
        r = mp_async_get(futures[i], 0, &data, &size);
        if (r == MP_OK && size == sizeof n) {
            memcpy(&n, data, sizeof n);
            printf("%d -> %d\n", i + 1, n);
        } else if (r == MP_ETASK && data) {
            printf("%d failed: %s\n", i + 1, (const char *)data);
        } else {
            printf("%d failed: %s\n", i + 1, mp_strerror(r));
        }
        mp_async_free(futures[i]);
        futures[i] = NULL; /* handled: the next wait looks at the others */
    }
    if (r != MP_EOF) return fail("mp_async_wait_any", r);

    for (n = 1; n <= NTASKS; n++) {
        r = mp_pool_apply_async(p, task, &n, sizeof n, NULL, &more[n - 1]);
        if (r != MP_OK) return fail("mp_pool_apply_async", r);
    }
    printf("cancel the last: %s\n", mp_async_cancel(more[NTASKS - 1]) == 1 ? "True" : "False");
    if ((r = mp_pool_shutdown(p, 1, 1)) != MP_OK) return fail("mp_pool_shutdown", r);
    for (i = 0; i < NTASKS; i++) {
        cancelled += mp_async_get(more[i], 0, NULL, NULL) == MP_ECANCELLED;
        mp_async_free(more[i]);
    }
    printf("%d cancelled\n", cancelled);
    mp_pool_free(p);
    return 0;
}
