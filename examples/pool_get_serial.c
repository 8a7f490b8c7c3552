/* pool_get_serial.c - apply_async followed at once by get(): the pool runs one task at a
   time again. Mirrors seed 002, Pool, second example (进程池获取任务的执行结果, "getting the
   results of the pool's tasks").
   Build alone (in examples/): cc -std=c99 pool_get_serial.c -o pool_get_serial -pthread

   Python:
       def task(n):
           print('{}----->start'.format(n))
           time.sleep(1)
           print('{}------>end'.format(n))
           return n ** 2

       if __name__ == '__main__':
           p = Pool(4)
           for i in range(1, 11):
               res = p.apply_async(task, args=(i,))  # res 是任务的执行结果 ("res is the result")
               print(res.get())  # 直接获取结果的弊端是，多任务又变成同步的了
                                 # ("the drawback of getting the result right away: the
                                 #   tasks become synchronous again")
           p.close()
           # p.join()  不需要再join了，因为 res.get()本身就是一个阻塞方法
           #           ("no need to join: res.get() itself blocks")

   C differences:
   - The 1-second sleep is scaled down to 0.1 s; the loop is timed: about 1 s for ten tasks,
     as with apply (see pool_apply_async.c, part 2), although the pool has 4 workers.
   - The seed's p.close() is indented one column less than the loop body (an
     IndentationError in Python); it belongs after the loop, where it is here.
   - res.get() is mp_async_get(res, MP_FOREVER, &data, &size): the result is valid until
     mp_async_free(res), which each round calls once it has printed it.
   - The seed does not join, since every task has ended by then. Here close and join still
     come before mp_pool_free: join lets the idle workers exit by themselves (mp_pool_free
     on a pool that was not joined terminates its workers, which would work too).
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
    square = n * n; /* n ** 2 */
    return mp_task_return(out, &square, sizeof square);
}

int main(void) {
    mp_pool *p;
    mp_async *res;
    const void *data;
    size_t size;
    double t1, t2;
    int i, r, square, failed = 0;

    if ((r = mp_pool_new(&p, 4, NULL)) != MP_OK) return fail("mp_pool_new", r);
    t1 = mp_monotonic();
    for (i = 1; i <= NTASKS; i++) {
        r = mp_pool_apply_async(p, task, &i, sizeof i, NULL, &res);
        if (r != MP_OK) return fail("mp_pool_apply_async", r);
        r = mp_async_get(res, MP_FOREVER, &data, &size); /* res.get(): waits for this task */
        if (r != MP_OK) return fail("mp_async_get", r);
        if (size != sizeof square) return fail("mp_async_get (size)", MP_ECORRUPT);
        memcpy(&square, data, sizeof square);
        printf("%d\n", square);
        fflush(stdout);
        failed |= square != i * i;
        mp_async_free(res);
    }
    t2 = mp_monotonic();
    printf("cost time: %.3f s for %d tasks of 0.1 s on 4 workers: one at a time,\n", t2 - t1,
           NTASKS);
    printf("the drawback of getting each result right away: the tasks are synchronous again\n");
    fflush(stdout);
    if ((r = mp_pool_close(p)) != MP_OK) return fail("mp_pool_close", r);
    if ((r = mp_pool_join(p)) != MP_OK) return fail("mp_pool_join", r);
    mp_pool_free(p);
    return failed;
}
