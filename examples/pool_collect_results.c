/* pool_collect_results.c - apply_async ten tasks first, keep the AsyncResults in a list,
   and get the results afterwards: the tasks run four at a time. Mirrors seed 002, Pool,
   third example (异步获取线程的执行结果, "getting the results asynchronously").
   Build alone (in examples/): cc -std=c99 pool_collect_results.c -o pool_collect_results -pthread

   Python:
       def task(n):
           print('{}----->start'.format(n))
           time.sleep(1)
           print('{}------>end'.format(n))
           return n ** 2

       if __name__ == '__main__':
           p = Pool(4)
           res_list = []
           for i in range(1, 11):
               res = p.apply_async(task, args=(i,))
               res_list.append(res)  # 使用列表来保存进程执行结果
                                     # ("a list keeps the results of the tasks")
           for re in res_list:
               print(re.get())
           p.close()

   C differences:
   - The 1-second sleep is scaled down to 0.1 s, and the whole is timed: about 0.3 s (ten
     tasks on four workers: three rounds), against about 1 s in pool_get_serial.c.
   - res_list is an array of mp_async handles; each is freed once its result is printed.
     The results come out in the order of the list, 1 4 9 ... 100, whatever the order in
     which the tasks end.
   - close, then join (the seed does not join: every task has ended once the last get
     returns) and mp_pool_free.
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
    mp_async *res_list[NTASKS];
    const void *data;
    size_t size;
    double t1, t2;
    int i, r, square, failed = 0;

    if ((r = mp_pool_new(&p, 4, NULL)) != MP_OK) return fail("mp_pool_new", r);
    t1 = mp_monotonic();
    for (i = 1; i <= NTASKS; i++) { /* res_list.append(p.apply_async(task, args=(i,))) */
        r = mp_pool_apply_async(p, task, &i, sizeof i, NULL, &res_list[i - 1]);
        if (r != MP_OK) return fail("mp_pool_apply_async", r);
    }
    for (i = 1; i <= NTASKS; i++) { /* for re in res_list: print(re.get()) */
        r = mp_async_get(res_list[i - 1], MP_FOREVER, &data, &size);
        if (r != MP_OK) return fail("mp_async_get", r);
        if (size != sizeof square) return fail("mp_async_get (size)", MP_ECORRUPT);
        memcpy(&square, data, sizeof square);
        printf("%d\n", square);
        fflush(stdout);
        failed |= square != i * i;
        mp_async_free(res_list[i - 1]);
    }
    t2 = mp_monotonic();
    printf("cost time: %.3f s for %d tasks of 0.1 s on 4 workers\n", t2 - t1, NTASKS);
    fflush(stdout);
    if ((r = mp_pool_close(p)) != MP_OK) return fail("mp_pool_close", r);
    if ((r = mp_pool_join(p)) != MP_OK) return fail("mp_pool_join", r);
    mp_pool_free(p);
    return failed;
}
