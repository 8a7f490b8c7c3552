/* cpu_bound.c - two CPU-bound jobs, one after the other, then in two processes at once.
   Mirrors seed 001, section 2 (func1 / func2, serial and with Process).
   Build alone (in examples/): cc -std=c99 cpu_bound.c -o cpu_bound -pthread && ./cpu_bound

   Python:
       def func1(x):                     def func2(y):
           res1 = 0                          res2 = 1
           for i in range(x):                for i in range(1, y):
               res1 += i                         res2 *= i
           return res1                       return res2

       s1 = time.time(); func1(100000000); func2(100000); s2 = time.time()
       print("cost time:%s" % (s2 - s1))                     # serial

       t1 = time.time()
       p1 = Process(target=func1, args=(100000000,)); p1.start()
       p2 = Process(target=func2, args=(100000,));    p2.start()
       p1.join(); p2.join()
       print("ending")
       t2 = time.time()
       print("cost time:%s" % (t2 - t1))                     # parallel

   C differences:
   - C has no big integers: func2 computes the product modulo the prime 1000000007, and so
     does func1 for the sum. For func1 that also keeps the work real: a compiler turns a
     plain sum of 0..x-1 into the formula x*(x-1)/2 and the loop would vanish.
   - The sizes are not the seed's: both loops get X steps, so that the serial run takes
     about a second on a current x86-64 machine (with or without -O2), and the two jobs are
     about equally long. The parallel run needs two CPUs to be faster.
   - A target's return value is only an exit code, so each child writes its result into a
     struct that mp_shared_alloc placed in the family arena; the parent prints both results
     and checks them against the serial run. The address of that struct is passed to the
     children as their argument: arena pointers are valid in every process of the family.
   - time.time() becomes mp_monotonic() (the clock to measure with; mp_time() is time.time()
     itself, the wall clock).
*/
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define X     160000000ull /* steps of each loop */
#define PRIME 1000000007ull

static int fail(const char *what, int err) {
    fprintf(stderr, "%s failed: %s\n", what, mp_strerror(err));
    return 1;
}

/* sum(range(x)) % PRIME */
static unsigned long long func1(unsigned long long x) {
    unsigned long long res1 = 0, i;
    for (i = 0; i < x; i++) res1 = (res1 + i) % PRIME;
    return res1;
}

/* product(range(1, y)) % PRIME */
static unsigned long long func2(unsigned long long y) {
    unsigned long long res2 = 1, i;
    for (i = 1; i < y; i++) res2 = res2 * i % PRIME;
    return res2;
}

/* What each child receives: its input, and where in shared memory to put the result. */
struct job {
    unsigned long long n;
    unsigned long long *result; /* points into the family arena */
};

static int func1_target(void *arg, size_t size) {
    struct job job;
    if (size != sizeof job) return 2;
    memcpy(&job, arg, sizeof job);
    *job.result = func1(job.n);
    return 0;
}

static int func2_target(void *arg, size_t size) {
    struct job job;
    if (size != sizeof job) return 2;
    memcpy(&job, arg, sizeof job);
    *job.result = func2(job.n);
    return 0;
}

int main(void) {
    unsigned long long *results, serial1, serial2;
    struct job job1, job2;
    mp_process p1, p2;
    double s1, s2, t1, t2;
    int r;

    /* the serial run */
    s1 = mp_monotonic();
    serial1 = func1(X);
    serial2 = func2(X);
    s2 = mp_monotonic();
    printf("serial:   func1 = %llu, func2 = %llu\n", serial1, serial2);
    printf("cost time: %.3f s\n", s2 - s1);
    fflush(stdout);

    /* the parallel run: two results in shared memory */
    results = (unsigned long long *)mp_shared_alloc(2 * sizeof *results);
    if (!results) return fail("mp_shared_alloc", MP_ENOMEM);
    job1.n = X;
    job1.result = &results[0];
    job2.n = X;
    job2.result = &results[1];

    t1 = mp_monotonic();
    if ((r = mp_process_init(&p1, func1_target, &job1, sizeof job1, NULL)) != MP_OK)
        return fail("mp_process_init p1", r);
    if ((r = mp_process_start(&p1)) != MP_OK) return fail("mp_process_start p1", r);
    if ((r = mp_process_init(&p2, func2_target, &job2, sizeof job2, NULL)) != MP_OK)
        return fail("mp_process_init p2", r);
    if ((r = mp_process_start(&p2)) != MP_OK) return fail("mp_process_start p2", r);
    if ((r = mp_process_join(&p1, MP_FOREVER)) != MP_OK) return fail("mp_process_join p1", r);
    if ((r = mp_process_join(&p2, MP_FOREVER)) != MP_OK) return fail("mp_process_join p2", r);
    printf("ending\n");
    t2 = mp_monotonic();

    printf("parallel: func1 = %llu, func2 = %llu (%s)\n", results[0], results[1],
           results[0] == serial1 && results[1] == serial2 ? "same" : "DIFFERENT!");
    printf("cost time: %.3f s\n", t2 - t1);
    printf("speed-up: %.2fx on %d CPU(s)\n", (s2 - s1) / (t2 - t1), mp_cpu_count());
    mp_shared_free(results);
    return 0;
}
