/* process_subclass_list.c - "继承Process类调用" (a Process subclass with a field, started
   in a loop and joined in a second loop), seed 001, section 1.2.
   Build alone (in examples/):
       cc -std=c99 process_subclass_list.c -o process_subclass_list -pthread

   Python:
       class MyProcess(Process):
           def __init__(self, i):
               super(MyProcess, self).__init__()
               self.i = i
           def run(self):
               print("%s hello python------>" % self.i, time.ctime())
               time.sleep(2)

       p_list = []
       for i in range(3):
           p1 = MyProcess(i); p1.start(); p_list.append(p1)
       for item in p_list:
           item.join()
       print("ending------>", time.ctime())

   C differences:
   - The field self.i lives in the struct after the mp_process member. Because
     mp_process_init_run is told sizeof(struct MyProcess), the child gets the whole object,
     i included, under fork and under spawn.
   - The list is a plain array; the 2-second sleep is scaled down to 0.2 s, so "ending" usually
     shows the same second as the children (time.ctime() has whole seconds only).
*/
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <stdio.h>
#include <time.h>

static int fail(const char *what, int err) {
    fprintf(stderr, "%s failed: %s\n", what, mp_strerror(err));
    return 1;
}

struct MyProcess {
    mp_process base; /* first: the "superclass" */
    int i;           /* self.i */
};

static int my_process_run(mp_process *p) {
    struct MyProcess *self = (struct MyProcess *)p;
    time_t now = time(NULL);
    printf("%d hello python------> %s", self->i, ctime(&now)); /* ctime ends with '\n' */
    fflush(stdout);
    mp_sleep(0.2);
    return 0;
}

static int my_process_init(struct MyProcess *self, int i) {
    int r = mp_process_init_run(&self->base, my_process_run, sizeof *self, NULL);
    self->i = i; /* after init, which clears the mp_process part */
    return r;
}

int main(void) {
    struct MyProcess p_list[3];
    time_t now;
    int i, r;

    for (i = 0; i < 3; i++) {
        r = my_process_init(&p_list[i], i);
        if (r != MP_OK) return fail("mp_process_init_run", r);
        r = mp_process_start(&p_list[i].base);
        if (r != MP_OK) return fail("mp_process_start", r);
    }
    for (i = 0; i < 3; i++) {
        r = mp_process_join(&p_list[i].base, MP_FOREVER);
        if (r != MP_OK) return fail("mp_process_join", r);
    }
    now = time(NULL);
    printf("ending------> %s", ctime(&now));
    return 0;
}
