/* join.c - start a child and wait for it with join().
   Part 1 mirrors seed 003's first example, part 2 seed 004 section 3.4.
   Build alone (in examples/): cc -std=c99 join.c -o join -pthread && ./join

   Python (seed 003):
       def run_proc(name):
           print('子进程运行中，name= %s ,pid=%d...' % (name, os.getpid()))
       print('父进程 %d.' % os.getpid())              # "parent process"
       p = Process(target=run_proc, args=('test',))
       print('子进程将要执行')                          # "child process about to run"
       p.start()
       p.join()
       print('子进程已结束')                            # "child process ended"

   Python (seed 004, 3.4):
       def a():
           for i in range(4):
               print(os.getpid(), os.getppid(), multiprocessing.current_process().name)
               print('today is a good day')
               time.sleep(1)
       def b():
           print(os.getpid(), os.getppid(), multiprocessing.current_process().name)
           print('lucky is a good man')
       p1 = Process(target=a, name='进程1')
       p2 = Process(target=b, name='进程2')
       p1.start(); p2.start(); p1.join(); p2.join()
       print('over')

   C differences:
   - The names are ASCII ("process_1"); the 1-second sleeps are scaled down to 0.1 s.
   - A target without arguments gets (NULL, 0): mp_process_init(&p, a, NULL, 0, name).
   - mp_process_close() frees what mp.h keeps for a process that has ended (p.close()).
   - fflush(stdout) after printing, in the children and before the parent starts or waits:
     when stdout is a pipe or a file, C holds the text in a buffer until the process exits,
     and the lines of the different processes would come out in the wrong order.
*/
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <stdio.h>

static int fail(const char *what, int err) {
    fprintf(stderr, "%s failed: %s\n", what, mp_strerror(err));
    return 1;
}

/* ---- part 1: seed 003 */
static int run_proc(void *arg, size_t size) {
    (void)size;
    printf("child process running, name= %s ,pid=%ld...\n", (const char *)arg, mp_getpid());
    return 0;
}

/* ---- part 2: seed 004 */
static const char *current_name(void) {
    return mp_process_name(mp_current_process()); /* multiprocessing.current_process().name */
}

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

static int b(void *arg, size_t size) {
    (void)arg;
    (void)size;
    printf("%ld %ld %s\n", mp_getpid(), mp_getppid(), current_name());
    printf("lucky is a good man\n");
    fflush(stdout);
    return 0;
}

int main(void) {
    mp_process p, p1, p2;
    int r;

    /* part 1 */
    printf("parent process %ld.\n", mp_getpid());
    r = mp_process_init_str(&p, run_proc, "test", NULL); /* args=('test',) */
    if (r != MP_OK) return fail("mp_process_init", r);
    printf("child process about to run\n");
    fflush(stdout); /* see the note at the top */
    r = mp_process_start(&p);
    if (r != MP_OK) return fail("mp_process_start", r);
    r = mp_process_join(&p, MP_FOREVER); /* wait here until the child has ended */
    if (r != MP_OK) return fail("mp_process_join", r);
    printf("child process ended\n\n");
    fflush(stdout);
    mp_process_close(&p);

    /* part 2 */
    r = mp_process_init(&p1, a, NULL, 0, "process_1");
    if (r != MP_OK) return fail("mp_process_init", r);
    r = mp_process_init(&p2, b, NULL, 0, "process_2");
    if (r != MP_OK) return fail("mp_process_init", r);
    if ((r = mp_process_start(&p1)) != MP_OK) return fail("mp_process_start p1", r);
    if ((r = mp_process_start(&p2)) != MP_OK) return fail("mp_process_start p2", r);
    if ((r = mp_process_join(&p1, MP_FOREVER)) != MP_OK) return fail("mp_process_join p1", r);
    if ((r = mp_process_join(&p2, MP_FOREVER)) != MP_OK) return fail("mp_process_join p2", r);
    printf("over\n");
    mp_process_close(&p1);
    mp_process_close(&p2);
    return 0;
}
