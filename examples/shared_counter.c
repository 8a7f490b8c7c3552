/* shared_counter.c - memory that several processes really share: the family arena.
   No seed has this example; it is the counterpart of globals_not_shared.c (seed 002): there a
   global changed in a child stays in the child, here the children add to one counter that
   the parent can read.
   Build alone (in examples/): cc -std=c99 shared_counter.c -o shared_counter -pthread

   Python (the nearest equivalent, with multiprocessing.RawValue):
       def add(counter, n):
           for _ in range(n):
               counter.value += 1            # not atomic: needs a Lock in Python

       counter = RawValue('i', 0)
       ps = [Process(target=add, args=(counter, 1000)) for _ in range(4)]
       for p in ps: p.start()
       for p in ps: p.join()
       print(counter.value)                  # 4000

   C differences:
   - mp_shared_alloc(size) returns zero-filled memory in the family arena, mapped at the
     same address in every process of the family, under fork and spawn. So a plain pointer
     to it can travel inside the argument bytes and is valid in the child: each child prints
     the address it got, and it is the parent's.
   - Four processes adding to one int at once must add atomically, or additions get lost.
     gcc and clang (mingw-w64 included) have __atomic_fetch_add. Other compilers get a plain
     add here, which is only safe if the children do not overlap; mp.h's synchronisation
     release brings a Lock for that.
*/
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <stdio.h>
#include <string.h>

#define NPROC 4
#define ADDS  1000

static int fail(const char *what, int err) {
    fprintf(stderr, "%s failed: %s\n", what, mp_strerror(err));
    return 1;
}

/* The argument of each child: a pointer into the arena, and how many times to add. */
struct job {
    int *counter;
    int n;
};

static int add(void *arg, size_t size) {
    struct job job;
    int i;
    if (size != sizeof job) return 2;
    memcpy(&job, arg, sizeof job);
    printf("%s (pid %ld): counter at %p\n", mp_process_name(mp_current_process()), mp_getpid(),
           (void *)job.counter);
    fflush(stdout);
    for (i = 0; i < job.n; i++) {
#if defined(__GNUC__) || defined(__clang__)
        __atomic_fetch_add(job.counter, 1, __ATOMIC_SEQ_CST);
#else
        *job.counter += 1; /* not atomic: a Lock arrives in mp.h's synchronisation release */
#endif
    }
    return 0;
}

int main(void) {
    mp_process ps[NPROC];
    struct job job;
    int i, r;

    job.counter = (int *)mp_shared_alloc(sizeof *job.counter); /* RawValue('i', 0) */
    if (!job.counter) return fail("mp_shared_alloc", MP_ENOMEM);
    job.n = ADDS;
    printf("parent (pid %ld): counter at %p = %d\n", mp_getpid(), (void *)job.counter,
           *job.counter);
    fflush(stdout);

    for (i = 0; i < NPROC; i++) {
        if ((r = mp_process_init(&ps[i], add, &job, sizeof job, NULL)) != MP_OK)
            return fail("mp_process_init", r);
        if ((r = mp_process_start(&ps[i])) != MP_OK) return fail("mp_process_start", r);
    }
    for (i = 0; i < NPROC; i++)
        if ((r = mp_process_join(&ps[i], MP_FOREVER)) != MP_OK) return fail("mp_process_join", r);

    printf("counter = %d (expected %d)\n", *job.counter, NPROC * ADDS);
    mp_shared_free(job.counter);
    return 0;
}
