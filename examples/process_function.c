/* process_function.c - "开进程的方法一" (way 1 to start a process: a target function),
   seed 000, section 4.
   Build alone (in examples/): cc -std=c99 process_function.c -o process_function -pthread

   Python:
       def piao(name):
           print('%s piaoing' % name)
           time.sleep(random.randrange(1, 5))
           print('%s piao end' % name)

       p1 = Process(target=piao, args=('egon',))    # p2 'alex', p3 'wupeqi', p4 'yuanhao'
       p1.start()                                   # ... p4.start()
       print('主线程')                               # "main process"

   C differences:
   - args=('egon',) becomes mp_process_init_str(&p, piao, "egon", NULL): the bytes of the
     string, NUL included (mp_process_init with strlen + 1). mp.h copies the argument bytes
     into the child, so they arrive under fork and spawn alike. Pass the text,
     never a pointer into the parent's memory: under spawn the child is a fresh run of the
     program and that pointer would mean nothing there.
   - The sleeps are scaled down from 1-4 seconds to 1-4 tenths of a second, so that the whole
     examples/ directory runs in a few seconds.
   - rand() is seeded with the child's pid; otherwise every child would draw the same numbers.
   - The seed never joins. This file joins all four at the end, because a C program should
     not leave children behind. (Without the joins mp.h would still wait for them when main
     returns, as Python does for non-daemonic children.)
   - fflush(stdout) after printing: when stdout is a pipe, C keeps the text in a buffer until
     the process exits, and the lines of the four processes would come out in a jumble.
*/
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* time.sleep(ms / 1000.0) */
static int fail(const char *what, int err) {
    fprintf(stderr, "%s failed: %s\n", what, mp_strerror(err));
    return 1;
}

/* The target: receives its own copy of the argument bytes. */
static int piao(void *arg, size_t size) {
    const char *name = (const char *)arg;
    (void)size;
    srand((unsigned)mp_getpid());
    printf("%s piaoing\n", name);
    fflush(stdout);
    mp_sleep(0.1 * (1 + rand() % 4)); /* random.randrange(1, 5), in tenths of a second */
    printf("%s piao end\n", name);
    fflush(stdout);
    return 0; /* the exit code */
}

int main(void) {
    static const char *const names[4] = {"egon", "alex", "wupeqi", "yuanhao"};
    mp_process p[4];
    int i, r;

    for (i = 0; i < 4; i++) {
        r = mp_process_init_str(&p[i], piao, names[i], NULL);
        if (r != MP_OK) return fail("mp_process_init", r);
    }
    for (i = 0; i < 4; i++) {
        r = mp_process_start(&p[i]);
        if (r != MP_OK) return fail("mp_process_start", r);
    }
    printf("main process\n");
    fflush(stdout);

    for (i = 0; i < 4; i++) {
        r = mp_process_join(&p[i], MP_FOREVER);
        if (r != MP_OK) return fail("mp_process_join", r);
    }
    return 0;
}
