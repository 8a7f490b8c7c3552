/* main_ends_children_go_on.c - the end of main does not end its (non-daemonic) children.
   Mirrors seed 004, sections 3.1-3.3 ("默认：主进程的结束不会影响子进程": by default, the end
   of the main process does not affect the child processes).
   Build alone (in examples/):
       cc -std=c99 main_ends_children_go_on.c -o main_ends_children_go_on -pthread

   Python:
       class myProcess(Process):
           def __init__(self, name):
               super().__init__()
               self.name = name
           def run(self):
               print("进程%s start" % (self.name))
               time.sleep(2)
               print(f"进程{self.name} end")

       if __name__ == '__main__':
           p = myProcess("xc")
           p.start()
           print('主进程/父进程')             # "main process / parent process", twice
           p1 = myProcess("cyx")
           p1.start()
           print('主进程/父进程')             # four times
           # the end of the program: no join

   Output of the seed: the main process's lines first, then "进程xc start" and "进程cyx start",
   and 2 s later "进程xc end" and "进程cyx end": the children ran to their end although the
   main program had nothing left to do.

   Why: at its end, Python's main process waits for its non-daemonic children before it
   exits (multiprocessing's exit handler joins them). mp.h does the same when main returns
   (or calls exit): daemonic children are terminated, the others joined. So a child is
   never cut off because main was done; it is cut off only if you make it daemonic
   (examples/daemon.c) or kill it.

   C differences:
   - myProcess with only a name becomes a target and the process's name.
   - The 2-second sleep is 0.2 s. Each line says when it was printed (seconds since main
     started, measured with mp_monotonic(); the start is passed to the children), so the
     0.2 s gap after main's last line shows, and the children say that their parent is still
     there after main returned.
*/
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <stdio.h>
#include <string.h>

static int fail(const char *what, int err) {
    fprintf(stderr, "%s failed: %s\n", what, mp_strerror(err));
    return 1;
}

typedef struct job {
    double t0;       /* when main started, on the monotonic clock */
    long parent_pid; /* the main process */
} job;

static int run(void *arg, size_t size) {
    job j;
    const char *name = mp_process_name(mp_current_process());
    if (size != sizeof j) return 2;
    memcpy(&j, arg, sizeof j);
    printf("%.2f s  进程%s start\n", mp_monotonic() - j.t0, name);
    fflush(stdout);
    mp_sleep(0.2);
    printf("%.2f s  进程%s end (parent %ld still there: %s)\n", mp_monotonic() - j.t0, name,
           j.parent_pid, mp_getppid() == j.parent_pid ? "yes" : "no");
    fflush(stdout);
    return 0;
}

int main(void) {
    mp_process p, p1;
    job j;
    int r, i;

    j.t0 = mp_monotonic();
    j.parent_pid = mp_getpid();
    r = mp_process_init(&p, run, &j, sizeof j, "xc");
    if (r == MP_OK) r = mp_process_start(&p);
    if (r != MP_OK) return fail("start xc", r);
    for (i = 0; i < 2; i++) printf("%.2f s  主进程/父进程\n", mp_monotonic() - j.t0);
    fflush(stdout);

    r = mp_process_init(&p1, run, &j, sizeof j, "cyx");
    if (r == MP_OK) r = mp_process_start(&p1);
    if (r != MP_OK) return fail("start cyx", r);
    for (i = 0; i < 4; i++) printf("%.2f s  主进程/父进程\n", mp_monotonic() - j.t0);
    printf("%.2f s  main returns (no join): mp.h now waits for xc and cyx, as Python does\n",
           mp_monotonic() - j.t0);
    fflush(stdout);
    return 0;
}
