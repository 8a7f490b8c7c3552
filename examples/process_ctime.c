/* process_ctime.c - the smallest Process: a target without arguments.
   Mirrors seed 001, section 1.1 ("通过Process类调用", calling through the Process class).
   Build alone (in examples/): cc -std=c99 process_ctime.c -o process_ctime -pthread

   Python:
       def func():
           print("hello world------>", time.ctime())
           time.sleep(2)
           print("func ending------>", time.ctime())

       p1 = multiprocessing.Process(target=func, args=())
       p1.start()
       print("ending------>", time.ctime())

   Output of the seed: "ending" and "hello world" at once, "func ending" 2 s later.

   C differences:
   - args=() becomes (NULL, 0).
   - The 2-second sleep is scaled down to 0.2 s. So that the three times still show what
     the seed shows, they are printed like time.ctime() but with milliseconds (from
     mp_time(), the twin of time.time()): "ending" and "hello world" a few milliseconds
     apart, "func ending" 0.2 s later, e.g.
         ending------> Wed Nov 25 19:20:43.101 2026
         hello world------> Wed Nov 25 19:20:43.104 2026
         func ending------> Wed Nov 25 19:20:43.305 2026
   - The seed does not join; this file does, at the end. (mp.h would also wait for the child
     when main returns, as Python does: see examples/main_ends_children_go_on.c.)
*/
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <stdio.h>
#include <time.h>

static int fail(const char *what, int err) {
    fprintf(stderr, "%s failed: %s\n", what, mp_strerror(err));
    return 1;
}

/* print(what, time.ctime()), with milliseconds */
static void print_ctime(const char *what) {
    double now = mp_time();
    time_t seconds = (time_t)now;
    char text[64];
    strftime(text, sizeof text, "%a %b %d %H:%M:%S", localtime(&seconds));
    printf("%s %s.%03d %d\n", what, text, (int)((now - (double)seconds) * 1000),
           localtime(&seconds)->tm_year + 1900);
    fflush(stdout);
}

static int func(void *arg, size_t size) {
    (void)arg;
    (void)size;
    print_ctime("hello world------>");
    mp_sleep(0.2);
    print_ctime("func ending------>");
    return 0;
}

int main(void) {
    mp_process p1;
    int r;

    r = mp_process_init(&p1, func, NULL, 0, NULL);
    if (r != MP_OK) return fail("mp_process_init", r);
    r = mp_process_start(&p1);
    if (r != MP_OK) return fail("mp_process_start", r);
    print_ctime("ending------>");

    r = mp_process_join(&p1, MP_FOREVER);
    if (r != MP_OK) return fail("mp_process_join", r);
    return 0;
}
