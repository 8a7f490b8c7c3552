/* pool_apply_async.c - a Pool of 8 workers runs ten tasks with apply_async (at the same
   time), then a Pool of 4 runs the same ten tasks with apply (one after the other).
   Mirrors seed 002, Pool, first example: part 1 is its apply_async line, part 2 the
   p.apply line that the seed leaves commented out.
   Build alone (in examples/): cc -std=c99 pool_apply_async.c -o pool_apply_async -pthread

   Python:
       def task(n):
           print('{}----->start'.format(n))
           time.sleep(1)
           print('{}------>end'.format(n))

       if __name__ == '__main__':
           p = Pool(8)  # 创建进程池 ("a pool of 8 processes; the default is the number of CPUs")
           for i in range(1, 11):
               # p.apply(task, args=(i,))     # 同步执行任务 ("synchronous: one task at a time,
               #                              #   no concurrency")
               p.apply_async(task, args=(i,)) # 异步执行任务 ("asynchronous: the tasks run
                                              #   concurrently")
           p.close()
           p.join()

   C differences:
   - The 1-second sleep is scaled down to 0.1 s, and both parts are timed: part 1 takes
     about 0.2 s (8 tasks at once, then the last 2), part 2 about 1 s (10 tasks in a row).
   - task returns n*n, as in the seed's next two examples, through mp_task_return; its
     return value (0) means success. A task receives its argument as bytes: here an int.
   - apply_async gives an mp_async handle (the AsyncResult) that must be freed. Python
     drops it; here part 1 keeps the ten handles, and after join reads each result with a
     timeout of 0 (join has waited for every task) and frees the handle.
   - p.apply is mp_pool_apply: it waits for the result and hands it over (mp_free it).
     apply uses one worker at a time, whatever the pool's size: part 2 uses Pool(4).
   - The start and end lines of part 1 come in a different order on each run. The task
     calls fflush(stdout): a worker's stdout is a buffer when it is a pipe or a file.
   - mp_pool_free releases what the pool holds once it is joined.
*/
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <stdio.h>
#include <string.h>

#define NTASKS 10

static int fail(const char *what, int err) {
    fprintf(stderr, "%s failed: %s\n", what, mp_strerror(err));
    return 1;
}

static int task(const void *arg, size_t size, mp_task_out *out) {
    int n, square;
    if (size != sizeof n) return 1; /* a non-zero status: the task failed */
    memcpy(&n, arg, sizeof n);
    printf("%d----->start (pid %ld)\n", n, mp_getpid());
    fflush(stdout);
    mp_sleep(0.1);
    printf("%d------>end\n", n);
    fflush(stdout);
    square = n * n;
    return mp_task_return(out, &square, sizeof square);
}

/* An int result of the right size, or -1. */
static int int_result(const void *data, size_t size) {
    int v;
    if (!data || size != sizeof v) return -1;
    memcpy(&v, data, sizeof v);
    return v;
}

int main(void) {
    mp_pool *p;
    mp_async *res[NTASKS];
    const void *data;
    size_t size;
    void *result;
    double t1, t2, t3;
    int i, r, failed = 0;

    /* part 1: Pool(8), apply_async */
    if ((r = mp_pool_new(&p, 8, NULL)) != MP_OK) return fail("mp_pool_new", r);
    printf("part 1: Pool(8), apply_async\n");
    fflush(stdout);
    t1 = mp_monotonic();
    for (i = 1; i <= NTASKS; i++) /* p.apply_async(task, args=(i,)) */
        if ((r = mp_pool_apply_async(p, task, &i, sizeof i, NULL, &res[i - 1])) != MP_OK)
            return fail("mp_pool_apply_async", r);
    if ((r = mp_pool_close(p)) != MP_OK) return fail("mp_pool_close", r);
    if ((r = mp_pool_join(p)) != MP_OK) return fail("mp_pool_join", r);
    t2 = mp_monotonic();
    printf("results:");
    for (i = 1; i <= NTASKS; i++) {
        r = mp_async_get(res[i - 1], 0, &data, &size); /* ready: join waited for it */
        if (r != MP_OK) return fail("mp_async_get", r);
        printf(" %d", int_result(data, size));
        failed |= int_result(data, size) != i * i;
        mp_async_free(res[i - 1]);
    }
    printf("\ncost time: %.3f s (concurrent)\n\n", t2 - t1);
    fflush(stdout);
    mp_pool_free(p);

    /* part 2: Pool(4), apply */
    if ((r = mp_pool_new(&p, 4, NULL)) != MP_OK) return fail("mp_pool_new", r);
    printf("part 2: Pool(4), apply\n");
    fflush(stdout);
    t2 = mp_monotonic();
    for (i = 1; i <= NTASKS; i++) { /* p.apply(task, args=(i,)): waits for the result */
        if ((r = mp_pool_apply(p, task, &i, sizeof i, &result, &size)) != MP_OK)
            return fail("mp_pool_apply", r);
        failed |= int_result(result, size) != i * i;
        mp_free(result);
    }
    if ((r = mp_pool_close(p)) != MP_OK) return fail("mp_pool_close", r);
    if ((r = mp_pool_join(p)) != MP_OK) return fail("mp_pool_join", r);
    t3 = mp_monotonic();
    printf("cost time: %.3f s (one after the other)\n", t3 - t2);
    mp_pool_free(p);
    return failed;
}
