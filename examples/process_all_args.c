/* process_all_args.c - target, args and name together, and the time it all takes.
   Mirrors seed 004, section 3.5 ("全部参数的完整实例", the complete example with every
   argument).
   Build alone (in examples/): cc -std=c99 process_all_args.c -o process_all_args -pthread

   Python:
       def a(count):
           for i in range(count):
               print(multiprocessing.current_process().name)
               time.sleep(1)
       # b(count) is the same

       t1 = time.time()
       p1 = Process(target=a, args=(5,), name='process_1')
       p2 = Process(target=b, args=(5,), name='process_2')
       p1.start(); p2.start()
       p1.join(); p2.join()
       t2 = time.time()
       print(t2 - t1)                 # about 5 s, not 10: the two ran at the same time
       print('over')

   C differences:
   - args=(5,) becomes the bytes of an int; the target copies them back out.
   - The 1-second sleeps are scaled down to 0.1 s, so the total is about 0.5 s, not 1 s.
   - time.time() becomes mp_monotonic() (the clock to measure with; mp_time() is time.time()
     itself, the wall clock).
*/
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static int fail(const char *what, int err) {
    fprintf(stderr, "%s failed: %s\n", what, mp_strerror(err));
    return 1;
}

static int a(void *arg, size_t size) {
    int count, i;
    if (size != sizeof count) return 2;
    memcpy(&count, arg, sizeof count);
    for (i = 0; i < count; i++) {
        printf("%s\n", mp_process_name(mp_current_process()));
        fflush(stdout);
        mp_sleep(0.1);
    }
    return 0;
}

static int b(void *arg, size_t size) {
    int count, i;
    if (size != sizeof count) return 2;
    memcpy(&count, arg, sizeof count);
    for (i = 0; i < count; i++) {
        printf("%s\n", mp_process_name(mp_current_process()));
        fflush(stdout);
        mp_sleep(0.1);
    }
    return 0;
}

int main(void) {
    mp_process p1, p2;
    int count = 5, r;
    double t1, t2;

    t1 = mp_monotonic();
    if ((r = mp_process_init(&p1, a, &count, sizeof count, "process_1")) != MP_OK)
        return fail("mp_process_init p1", r);
    if ((r = mp_process_init(&p2, b, &count, sizeof count, "process_2")) != MP_OK)
        return fail("mp_process_init p2", r);
    if ((r = mp_process_start(&p1)) != MP_OK) return fail("mp_process_start p1", r);
    if ((r = mp_process_start(&p2)) != MP_OK) return fail("mp_process_start p2", r);
    if ((r = mp_process_join(&p1, MP_FOREVER)) != MP_OK) return fail("mp_process_join p1", r);
    if ((r = mp_process_join(&p2, MP_FOREVER)) != MP_OK) return fail("mp_process_join p2", r);
    t2 = mp_monotonic();
    printf("%f\n", t2 - t1);
    printf("over\n");
    return 0;
}
