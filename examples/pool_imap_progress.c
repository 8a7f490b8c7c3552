/* pool_imap_progress.c - imap_unordered: the results come as the tasks finish, and a
   progress line counts them. The seeds have no imap example; this is the usual way to
   show progress with a Pool.
   Build alone (in examples/): cc -std=c99 pool_imap_progress.c -o pool_imap_progress -pthread

   Python:
       N = 40

       def work(i):
           time.sleep((i % 5) * 0.02)                 # tasks of 0, 20, 40, 60 or 80 ms
           return i, i * i

       if __name__ == '__main__':
           total, order = 0, []
           with Pool(4) as p:
               for k, (i, sq) in enumerate(p.imap_unordered(work, range(N)), 1):
                   total += sq
                   order.append(i)
                   print('\rdone %d/%d' % (k, N), end='', flush=True)
           print()
           print('arrival order:', *order)
           print('total', total)                      # sum(i * i for i in range(N))

   C differences:
   - mp_pool_map(..., MP_IMAP_UNORDERED, &batch) returns at once; each mp_batch_next gives
     the next finished item: its index in the input and its result (valid until
     mp_batch_free), so the C task returns i*i alone. MP_EOF comes after the last one.
   - chunksize 1 is Python's default for imap and imap_unordered; 0 would let mp.h choose
     as Python's map does (here 3 items per task), and results would come three at a time.
   - "\r" takes the cursor back to the start of the line, and fflush(stdout) shows the line
     at once (stdout is line-buffered on a terminal, and this line has no newline yet). When
     stdout is a file, all the progress lines end up in it, one after the other.
   - The arrival order changes from run to run: short tasks (i % 5 == 0) overtake long
     ones. The total is checked against the closed form (N-1) N (2N-1) / 6.
*/
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <stdio.h>
#include <string.h>

#define N 40

static int fail(const char *what, int err) {
    fprintf(stderr, "%s failed: %s\n", what, mp_strerror(err));
    return 1;
}

static int work(const void *arg, size_t size, mp_task_out *out) {
    long i, square;
    if (size != sizeof i) return 1; /* a non-zero status: the task failed */
    memcpy(&i, arg, sizeof i);
    mp_sleep(0.02 * (double)(i % 5));
    square = i * i;
    return mp_task_return(out, &square, sizeof square);
}

int main(void) {
    long items[N], square, total = 0, expected = (long)(N - 1) * N * (2 * N - 1) / 6;
    size_t order[N], index, size;
    int seen[N] = {0};
    mp_pool *p;
    mp_batch *batch;
    const void *data;
    int k, r, failed = 0;

    for (k = 0; k < N; k++) items[k] = k; /* range(N) */
    if ((r = mp_pool_new(&p, 4, NULL)) != MP_OK) return fail("mp_pool_new", r);
    r = mp_pool_map(p, work, items, sizeof items[0], N, 1, MP_IMAP_UNORDERED, &batch);
    if (r != MP_OK) return fail("mp_pool_map", r);
    for (k = 0; (r = mp_batch_next(batch, MP_FOREVER, &index, &data, &size)) != MP_EOF; k++) {
        if (r != MP_OK) return fail("mp_batch_next", r);
        if (size != sizeof square || index >= N || k >= N)
            return fail("mp_batch_next", MP_ECORRUPT);
        memcpy(&square, data, sizeof square);
        total += square;
        order[k] = index;
        failed |= seen[index]++ || square != items[index] * items[index];
        printf("\rdone %d/%d", k + 1, N);
        fflush(stdout);
    }
    printf("\n");
    printf("arrival order:");
    for (k = 0; k < N; k++) printf(" %d", (int)order[k]);
    printf("\ntotal %ld (expected %ld)\n", total, expected);
    failed |= total != expected;
    mp_batch_free(batch);
    if ((r = mp_pool_close(p)) != MP_OK) return fail("mp_pool_close", r);
    if ((r = mp_pool_join(p)) != MP_OK) return fail("mp_pool_join", r);
    mp_pool_free(p);
    return failed;
}
