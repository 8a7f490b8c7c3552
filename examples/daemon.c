/* daemon.c - a daemonic child ends when its parent ends, and may not start children.
   Mirrors seed 002's first example (two endless loops) and the p.daemon notes of seeds 000
   and 004.
   Build alone (in examples/): cc -std=c99 daemon.c -o daemon -pthread && ./daemon

   Python:
       def run_proc():
           while True:
               print("----2----")
               time.sleep(1)

       p = Process(target=run_proc)
       p.daemon = True          # the seeds: set it before p.start(); a daemonic p ends when
       p.start()                # its parent ends, and cannot create processes of its own
       while True:              # (here: three times, then the parent ends)
           print("----1----")
           time.sleep(1)

   C differences:
   - In the seed the parent loops forever too. Here it prints three times and returns from
     main, so that you can watch the daemon go: at exit mp.h terminates the daemonic children
     (and joins the others), as Python does. Only a normal exit does this; a parent that is
     killed leaves its daemon running, in Python as in C.
   - Setting the flag after start fails with MP_ESTARTED (Python raises an AssertionError).
   - Starting a process from the daemon fails with MP_EDAEMON (Python: AssertionError
     "daemonic processes are not allowed to have children").
   - Sleeps scaled down from 1 s to 0.1 s.
*/
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <stdio.h>

static int fail(const char *what, int err) {
    fprintf(stderr, "%s failed: %s\n", what, mp_strerror(err));
    return 1;
}

static int grandchild(void *arg, size_t size) {
    (void)arg;
    (void)size;
    printf("grandchild: this line is never printed\n");
    return 0;
}

static int run_proc(void *arg, size_t size) {
    mp_process g;
    int r;
    (void)arg;
    (void)size;

    r = mp_process_init(&g, grandchild, NULL, 0, NULL);
    if (r == MP_OK) r = mp_process_start(&g);
    printf("daemon: starting a child of my own -> %s\n", mp_strerror(r)); /* MP_EDAEMON */
    mp_process_close(&g);

    for (;;) {
        printf("----2----\n");
        fflush(stdout);
        mp_sleep(0.1);
    }
    return 0; /* never reached */
}

int main(void) {
    mp_process p;
    int i, r;

    r = mp_process_init(&p, run_proc, NULL, 0, NULL);
    if (r != MP_OK) return fail("mp_process_init", r);
    r = mp_process_set_daemon(&p, 1); /* p.daemon = True, before start */
    if (r != MP_OK) return fail("mp_process_set_daemon", r);
    r = mp_process_start(&p);
    if (r != MP_OK) return fail("mp_process_start", r);

    r = mp_process_set_daemon(&p, 0); /* too late: the child is running */
    printf("main: clearing the daemon flag after start -> %s\n", mp_strerror(r));
    fflush(stdout);

    for (i = 0; i < 3; i++) {
        printf("----1----\n");
        fflush(stdout);
        mp_sleep(0.1);
    }
    printf("main: returning while the daemon is alive (is_alive=%s); mp.h ends it at exit\n",
           mp_process_is_alive(&p) == 1 ? "True" : "False");
    fflush(stdout);
    return 0; /* no join: the exit handler terminates the daemonic child */
}
