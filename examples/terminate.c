/* terminate.c - end a running child with terminate(), then read its exit code.
   Mirrors seed 003, 实例1 (example 1); seed 002 has the same example with sleep(0.2).
   Build alone (in examples/): cc -std=c99 terminate.c -o terminate -pthread && ./terminate

   Python:
       def run_proc(name, age, **kwargs):
           for i in range(10):
               print('子进程运行中，name= %s,age=%d ,pid=%d...' % (name, age, os.getpid()))
               print(kwargs)
               sleep(0.5)

       print('父进程 %d.' % os.getpid())                       # "parent process"
       p = Process(target=run_proc, args=('test', 18), kwargs={"m": 20})
       print('子进程将要执行')                                   # "child process about to run"
       p.start()
       sleep(1)
       p.terminate()
       p.join()
       print('子进程已结束')                                     # "child process ended"

   C differences:
   - args and kwargs travel together as one struct of argument bytes. The name is a char
     array inside the struct (the text itself, not a pointer), and the dict {"m": 20} becomes
     a small array of key/value pairs.
   - Sleeps scaled down ten times: the child prints every 0.05 s, the parent waits 0.1 s, so
     the child gets to print about twice before it is terminated, as in the seed.
   - After join, the exit code is -15: minus the number of SIGTERM, the signal terminate()
     sends on POSIX. On Windows mp.h reports -15 as well.
   - The child flushes stdout after every line: a terminated process does not get to flush
     its buffer, so without it the lines could be lost when stdout is a pipe.
*/
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <stdio.h>
#include <string.h>

static int fail(const char *what, int err) {
    fprintf(stderr, "%s failed: %s\n", what, mp_strerror(err));
    return 1;
}

struct kwarg {
    char key[8];
    int value;
};

/* args=('test', 18), kwargs={"m": 20} */
struct run_proc_args {
    char name[16];
    int age;
    int nkwargs;
    struct kwarg kwargs[4];
};

static int run_proc(void *arg, size_t size) {
    struct run_proc_args a;
    int i, k;
    if (size != sizeof a) return 2;
    memcpy(&a, arg, sizeof a);
    for (i = 0; i < 10; i++) {
        printf("child process running, name= %s,age=%d ,pid=%ld...\n", a.name, a.age, mp_getpid());
        printf("{"); /* print(kwargs) */
        for (k = 0; k < a.nkwargs; k++)
            printf("%s'%s': %d", k ? ", " : "", a.kwargs[k].key, a.kwargs[k].value);
        printf("}\n");
        fflush(stdout);
        mp_sleep(0.05);
    }
    return 0;
}

int main(void) {
    struct run_proc_args args;
    mp_process p;
    int r, code;

    memset(&args, 0, sizeof args);
    strcpy(args.name, "test");
    args.age = 18;
    args.nkwargs = 1;
    strcpy(args.kwargs[0].key, "m");
    args.kwargs[0].value = 20;

    printf("parent process %ld.\n", mp_getpid());
    r = mp_process_init(&p, run_proc, &args, sizeof args, NULL);
    if (r != MP_OK) return fail("mp_process_init", r);
    printf("child process about to run\n");
    fflush(stdout);
    r = mp_process_start(&p);
    if (r != MP_OK) return fail("mp_process_start", r);

    mp_sleep(0.1);
    r = mp_process_terminate(&p); /* end it now, finished or not */
    if (r != MP_OK) return fail("mp_process_terminate", r);
    r = mp_process_join(&p, MP_FOREVER);
    if (r != MP_OK) return fail("mp_process_join", r);
    printf("child process ended\n");

    if (mp_process_exitcode(&p, &code) == 1) printf("p.exitcode=%d\n", code); /* -15 */
    return 0;
}
