/* globals_not_shared.c - processes do not share global variables.
   Mirrors seed 002, "进程间不能共享全局变量".
   Build alone (in examples/): cc -std=c99 globals_not_shared.c -o globals_not_shared -pthread

   Python:
       nums = [11, 22]

       def work1():
           print("in process1 pid=%d ,nums=%s" % (os.getpid(), nums))
           for i in range(3):
               nums.append(i)
               print("in process1 pid=%d ,nums=%s" % (os.getpid(), nums))

       def work2():
           nums.pop()
           print("in process2 pid=%d ,nums=%s" % (os.getpid(), nums))

       p1 = Process(target=work1); p1.start(); p1.join()
       p2 = Process(target=work2); p2.start()
       print('in process0 pid={} ,nums={}'.format(os.getpid(), nums))

   Expected: process1 ends with [11, 22, 0, 1, 2], process2 shows [11] (it starts from the
   parent's [11, 22], not from process1's list), and process0 (the parent) still has [11, 22].

   C differences:
   - The list is a small fixed array plus a length, in one global struct.
   - Under fork a child starts with a copy of the parent's globals as they are at start();
     under spawn the child is a fresh run of the program and its globals start from their
     initial values. Here both are [11, 22], so the output is the same under both. To share
     memory between processes, use mp_shared_alloc (see shared_counter.c).
   - p2 is joined at the end (the seed leaves it to the exit).
*/
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <stdio.h>

static struct {
    int items[8];
    int len;
} nums = {{11, 22}, 2};

static int fail(const char *what, int err) {
    fprintf(stderr, "%s failed: %s\n", what, mp_strerror(err));
    return 1;
}

/* print("in process%d pid=%d ,nums=%s" % (n, os.getpid(), nums)) */
static void show(int n) {
    int i;
    printf("in process%d pid=%ld ,nums=[", n, mp_getpid());
    for (i = 0; i < nums.len; i++) printf("%s%d", i ? ", " : "", nums.items[i]);
    printf("]\n");
    fflush(stdout);
}

static int work1(void *arg, size_t size) {
    int i;
    (void)arg;
    (void)size;
    show(1);
    for (i = 0; i < 3; i++) {
        nums.items[nums.len++] = i; /* nums.append(i) */
        show(1);
    }
    return 0;
}

static int work2(void *arg, size_t size) {
    (void)arg;
    (void)size;
    nums.len--; /* nums.pop() */
    show(2);
    return 0;
}

int main(void) {
    mp_process p1, p2;
    int r;

    if ((r = mp_process_init(&p1, work1, NULL, 0, NULL)) != MP_OK) return fail("init p1", r);
    if ((r = mp_process_start(&p1)) != MP_OK) return fail("start p1", r);
    if ((r = mp_process_join(&p1, MP_FOREVER)) != MP_OK) return fail("join p1", r);

    if ((r = mp_process_init(&p2, work2, NULL, 0, NULL)) != MP_OK) return fail("init p2", r);
    if ((r = mp_process_start(&p2)) != MP_OK) return fail("start p2", r);

    show(0); /* the parent's nums: still [11, 22] */

    if ((r = mp_process_join(&p2, MP_FOREVER)) != MP_OK) return fail("join p2", r);
    return 0;
}
