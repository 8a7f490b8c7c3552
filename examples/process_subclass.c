/* process_subclass.c - "开进程的方法二" (way 2 to start a process: subclass Process),
   seed 000, section 4. Seed 004's myProcess("xc") / myProcess("cyx") has the same shape.
   Build alone (in examples/): cc -std=c99 process_subclass.c -o process_subclass -pthread

   Python:
       class Piao(Process):
           def __init__(self, name):
               super().__init__()
               self.name = name
           def run(self):
               print('%s piaoing' % self.name)
               time.sleep(random.randrange(1, 5))
               print('%s piao end' % self.name)

       p1 = Piao('egon')          # p2 'alex', p3 'wupeiqi', p4 'yuanhao'
       p1.start()                 # start() calls run() in the child
       print('主线程')             # "main process"

   C differences:
   - "Subclassing" is a struct whose FIRST member is an mp_process, and a run function that
     receives that member. mp_process_init_run(&obj.base, run, sizeof obj, name) tells mp.h
     how big the whole object is: the child gets a copy of all of it (under fork and spawn).
   - self.name is the process's own name, so Piao needs no field of its own here;
     process_subclass_list.c shows a subclass with a field (MyProcess(i)).
   - Sleeps scaled down from 1-4 seconds to 1-4 tenths; rand() seeded with the child's pid.
   - This file joins the four processes at the end (the seed does not; mp.h, like Python,
     would wait for them when main returns anyway).
*/
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <stdio.h>
#include <stdlib.h>

static int fail(const char *what, int err) {
    fprintf(stderr, "%s failed: %s\n", what, mp_strerror(err));
    return 1;
}

struct Piao {
    mp_process base; /* must come first: the "superclass" */
};

/* def run(self) */
static int piao_run(mp_process *self) {
    const char *name = mp_process_name(self); /* self.name */
    srand((unsigned)mp_getpid());
    printf("%s piaoing\n", name);
    fflush(stdout);
    mp_sleep(0.1 * (1 + rand() % 4));
    printf("%s piao end\n", name);
    fflush(stdout);
    return 0;
}

/* def __init__(self, name): super().__init__(); self.name = name */
static int piao_init(struct Piao *self, const char *name) {
    return mp_process_init_run(&self->base, piao_run, sizeof *self, name);
}

int main(void) {
    static const char *const names[4] = {"egon", "alex", "wupeiqi", "yuanhao"};
    struct Piao p[4];
    int i, r;

    for (i = 0; i < 4; i++) {
        r = piao_init(&p[i], names[i]);
        if (r != MP_OK) return fail("mp_process_init_run", r);
    }
    for (i = 0; i < 4; i++) {
        r = mp_process_start(&p[i].base); /* start() runs piao_run in the child */
        if (r != MP_OK) return fail("mp_process_start", r);
    }
    printf("main process\n");
    fflush(stdout);

    for (i = 0; i < 4; i++) {
        r = mp_process_join(&p[i].base, MP_FOREVER);
        if (r != MP_OK) return fail("mp_process_join", r);
    }
    return 0;
}
