/* process_ctime.c - the smallest Process: a target without arguments.
   Mirrors seed 001, section 1.1 ("通过Process类调用", calling through the Process class).

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
   - The 2-second sleep is scaled down to 0.2 s, so the three times printed by ctime() (whole
     seconds only) are usually the same.
   - The seed does not join; this file does, at the end. (mp.h would also wait for the child
     when main returns, as Python does.)
*/
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <stdio.h>
#include <time.h>
#ifdef _WIN32
#include <windows.h>
#endif

static void sleep_ms(int ms) {
#ifdef _WIN32
    Sleep((DWORD)ms);
#else
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
#endif
}

static int fail(const char *what, int err) {
    fprintf(stderr, "%s failed: %s\n", what, mp_strerror(err));
    return 1;
}

static int func(void *arg, size_t size) {
    time_t now = time(NULL);
    (void)arg;
    (void)size;
    printf("hello world------> %s", ctime(&now)); /* ctime's text ends with '\n' */
    fflush(stdout);
    sleep_ms(200);
    now = time(NULL);
    printf("func ending------> %s", ctime(&now));
    fflush(stdout);
    return 0;
}

int main(void) {
    mp_process p1;
    time_t now;
    int r;

    r = mp_process_init(&p1, func, NULL, 0, NULL);
    if (r != MP_OK) return fail("mp_process_init", r);
    r = mp_process_start(&p1);
    if (r != MP_OK) return fail("mp_process_start", r);
    now = time(NULL);
    printf("ending------> %s", ctime(&now));
    fflush(stdout);

    r = mp_process_join(&p1, MP_FOREVER);
    if (r != MP_OK) return fail("mp_process_join", r);
    return 0;
}
