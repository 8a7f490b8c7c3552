/* info.c - who am I? a process's name, its pid and its parent's pid.
   Part 1 mirrors seed 001, section 4 (info / foo); part 2 seed 004, section 3.1 (a / b with
   multiprocessing.current_process().name).
   Build alone (in examples/): cc -std=c99 info.c -o info -pthread && ./info

   Python (seed 001):
       def info(name):
           print("process name:", name)
           print("parent process:", os.getppid())
           print("process:", os.getpid())
           print("---------")
           time.sleep(10)
       def foo(name):
           info(name)

       info("main process")
       p1 = Process(target=info, args=("process1",)); p1.start(); p1.join()
       p2 = Process(target=foo, args=("process2",));  p2.start(); p2.join()
       print("ending")

   Python (seed 004):
       def a():
           for i in range(4):
               print(os.getpid(), os.getppid(), multiprocessing.current_process().name)
               print('today is a good day')
               time.sleep(1)
       def b():
           print('lucky is a good man')
       p = Process(target=a); p.start()
       b()                                   # runs in the main process

   C differences:
   - A target has the fixed shape int f(void *arg, size_t size); info_target unpacks the
     string and calls the ordinary function info(), so main can call info() directly too.
   - Sleeps scaled down: 10 s becomes 0.1 s, 1 s becomes 0.1 s.
   - The seed prints only the name it was given; info() here also prints
     current_process().name, the name mp.h gave the process: "MainProcess" in the parent,
     "Process-N" in a child that was not named (N counts from 1 in each parent, and a
     child of Process-3 names its own Process-3:1, as Python does).
   - The parent's pid printed by the children is the pid "process:" printed for the main
     process, as in the seed's output.
*/
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <stdio.h>

static int fail(const char *what, int err) {
    fprintf(stderr, "%s failed: %s\n", what, mp_strerror(err));
    return 1;
}

static const char *current_name(void) {
    return mp_process_name(mp_current_process()); /* multiprocessing.current_process().name */
}

/* ---- part 1: seed 001 */
static void info(const char *name) {
    printf("process name: %s (current_process().name: %s)\n", name, current_name());
    printf("parent process: %ld\n", mp_getppid());
    printf("process: %ld\n", mp_getpid());
    printf("---------\n");
    fflush(stdout);
    mp_sleep(0.1);
}

static int info_target(void *arg, size_t size) {
    (void)size;
    info((const char *)arg);
    return 0;
}

static int foo(void *arg, size_t size) {
    (void)size;
    info((const char *)arg);
    return 0;
}

/* ---- part 2: seed 004 */
static int a(void *arg, size_t size) {
    int i;
    (void)arg;
    (void)size;
    for (i = 0; i < 4; i++) {
        printf("%ld %ld %s\n", mp_getpid(), mp_getppid(), current_name());
        printf("today is a good day\n");
        fflush(stdout);
        mp_sleep(0.1);
    }
    return 0;
}

static void b(void) {
    printf("lucky is a good man (in %s)\n", current_name());
    fflush(stdout);
}

int main(void) {
    mp_process p1, p2, p;
    int r;

    /* part 1 */
    info("main process");

    r = mp_process_init_str(&p1, info_target, "process1", NULL);
    if (r != MP_OK) return fail("mp_process_init p1", r);
    if ((r = mp_process_start(&p1)) != MP_OK) return fail("mp_process_start p1", r);
    if ((r = mp_process_join(&p1, MP_FOREVER)) != MP_OK) return fail("mp_process_join p1", r);

    r = mp_process_init_str(&p2, foo, "process2", NULL);
    if (r != MP_OK) return fail("mp_process_init p2", r);
    if ((r = mp_process_start(&p2)) != MP_OK) return fail("mp_process_start p2", r);
    if ((r = mp_process_join(&p2, MP_FOREVER)) != MP_OK) return fail("mp_process_join p2", r);

    printf("ending\n\n");
    fflush(stdout);

    /* part 2 */
    r = mp_process_init(&p, a, NULL, 0, NULL);
    if (r != MP_OK) return fail("mp_process_init p", r);
    if ((r = mp_process_start(&p)) != MP_OK) return fail("mp_process_start p", r);
    b(); /* the main process carries on while the child runs a() */
    if ((r = mp_process_join(&p, MP_FOREVER)) != MP_OK) return fail("mp_process_join p", r);
    return 0;
}
