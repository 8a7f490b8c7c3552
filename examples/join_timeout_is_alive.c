/* join_timeout_is_alive.c - is_alive(), name, pid, and join() with and without a timeout.
   Mirrors seed 003, 实例2 (example 2).
   Build alone (in examples/):
       cc -std=c99 join_timeout_is_alive.c -o join_timeout_is_alive -pthread

   Python:
       def worker_1(interval):
           print("worker_1,父进程(%s),当前进程(%s)" % (os.getppid(), os.getpid()))
           t_start = time.time(); time.sleep(interval); t_end = time.time()
           print("worker_1,执行时间为'%0.2f'秒" % (t_end - t_start))
       # worker_2 is the same
       print("进程ID：%s" % os.getpid())
       p1 = Process(target=worker_1, args=(2,))
       p2 = Process(target=worker_2, name="dongGe", args=(1,))
       p1.start(); p2.start()
       print("p2.is_alive=%s" % p2.is_alive())
       print("p1.name=%s" % p1.name)         # Process-1 (the default name)
       print("p1.pid=%s" % p1.pid)           # and p2.name, p2.pid
       p1.join()                             # the seed suggests trying p1.join(1) here
       print("p1.is_alive=%s" % p1.is_alive())

   C differences:
   - The intervals 2 s and 1 s become 0.2 s and 0.1 s, passed as a double (argument bytes).
   - This file does what the seed's comment suggests as well: p1.join(0.1) gives up after
     0.1 s because p1 needs 0.2 s. In C the timed-out join returns MP_ETIMEDOUT (Python's
     join returns None either way and you ask is_alive()), then p1.is_alive is still True.
   - The seed has no `if __name__ == '__main__':`, so under spawn (Windows) Python would print
     its "进程ID" line again in every child. In C, main() never runs in a child.
   - Booleans print as True/False to match Python; mp_process_is_alive returns 1 or 0
     (or a negative MP_E* code on misuse).
   - fflush(stdout) keeps the lines in order when stdout is a pipe (see process_function.c).
*/
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* time.time() for measuring intervals: a monotonic clock, in seconds */
static int fail(const char *what, int err) {
    fprintf(stderr, "%s failed: %s\n", what, mp_strerror(err));
    return 1;
}

static const char *py_bool(int v) {
    return v == 1 ? "True" : v == 0 ? "False" : mp_strerror(v);
}

static void work(const char *who, void *arg) {
    double interval, t_start, t_end;
    memcpy(&interval, arg, sizeof interval); /* the argument bytes, back into a double */
    printf("%s, parent(%ld), current(%ld)\n", who, mp_getppid(), mp_getpid());
    fflush(stdout);
    t_start = mp_monotonic();
    mp_sleep(interval);
    t_end = mp_monotonic();
    printf("%s, ran for '%0.2f' seconds\n", who, t_end - t_start);
    fflush(stdout);
}

static int worker_1(void *arg, size_t size) {
    (void)size;
    work("worker_1", arg);
    return 0;
}

static int worker_2(void *arg, size_t size) {
    (void)size;
    work("worker_2", arg);
    return 0;
}

int main(void) {
    mp_process p1, p2;
    double interval1 = 0.2, interval2 = 0.1;
    int r;

    printf("process ID: %ld\n", mp_getpid());

    r = mp_process_init(&p1, worker_1, &interval1, sizeof interval1, NULL);
    if (r != MP_OK) return fail("mp_process_init p1", r);
    r = mp_process_init(&p2, worker_2, &interval2, sizeof interval2, "dongGe");
    if (r != MP_OK) return fail("mp_process_init p2", r);

    fflush(stdout);
    if ((r = mp_process_start(&p1)) != MP_OK) return fail("mp_process_start p1", r);
    if ((r = mp_process_start(&p2)) != MP_OK) return fail("mp_process_start p2", r);

    printf("p2.is_alive=%s\n", py_bool(mp_process_is_alive(&p2)));
    printf("p1.name=%s\n", mp_process_name(&p1));
    printf("p1.pid=%ld\n", mp_process_pid(&p1));
    printf("p2.name=%s\n", mp_process_name(&p2));
    printf("p2.pid=%ld\n", mp_process_pid(&p2));
    fflush(stdout);

    /* p1.join(0.1): wait at most 0.1 s; p1 needs 0.2 s, so this times out */
    r = mp_process_join(&p1, 0.1);
    if (r == MP_ETIMEDOUT)
        printf("p1.join(0.1) timed out\n");
    else if (r != MP_OK)
        return fail("mp_process_join p1", r);
    printf("p1.is_alive=%s\n", py_bool(mp_process_is_alive(&p1)));
    fflush(stdout);

    /* p1.join(): wait as long as it takes */
    if ((r = mp_process_join(&p1, MP_FOREVER)) != MP_OK) return fail("mp_process_join p1", r);
    printf("p1.is_alive=%s\n", py_bool(mp_process_is_alive(&p1)));

    if ((r = mp_process_join(&p2, MP_FOREVER)) != MP_OK) return fail("mp_process_join p2", r);
    return 0;
}
