/* queue_big_message.c - a child sends an 8 MiB message through a queue whose ring holds
   64 KiB; the parent receives it whole with mp_queue_get_alloc and checks its checksum.
   Build alone (in examples/): cc -std=c99 queue_big_message.c -o queue_big_message -pthread

   Python:
       SIZE = 8 * 1024 * 1024

       def sender(q):
           data = random.Random(42).randbytes(SIZE)
           q.put((SIZE, zlib.crc32(data)))           # a small header first
           q.put(data)                               # then the big message
           print('sender (pid %d): put %d bytes' % (os.getpid(), SIZE))

       q = Queue()
       p = Process(target=sender, args=(q,))
       p.start()
       size, crc = q.get()
       data = q.get()                                # one object, however big
       p.join()
       print(len(data) == size, zlib.crc32(data) == crc)

   C differences:
   - mp_queue_new(64 * 1024, 0): the ring in shared memory is 64 KiB, 128 times smaller
     than the message. The message is streamed: the put writes it in pieces of at most a
     quarter of the ring, each published as soon as it is written, and waits for room when
     the ring is full; the get copies the pieces out as they come, which makes room. Sender
     and receiver run at the same time and the 8 MiB are never in shared memory at once.
     (Python does much the same: its feeder thread writes the pickled bytes into a pipe,
     whose buffer on Linux is 64 KiB too, and get reads them until the object is complete.)
   - So a put of a message larger than the ring returns only once a reader has taken all
     but its last pieces: a process must not put one and then get it back itself, and the
     reader must get it before it joins the sender. (Python's put returns at once and
     leaves the waiting to the feeder thread; Python needs the same order: get, then join.)
   - A streamed message still arrives whole and alone: another producer's put waits until
     the stream has ended, and a sender that dies in the middle delivers nothing (a receiver
     that has begun it drops the pieces and waits for the next message).
   - mp_queue_get into a buffer that is too small returns MP_ETOOBIG and sets the size; the
     message stays in the queue. mp_queue_get_alloc allocates a buffer of the right size
     for it (free it with mp_free).
   - The parent waits until qsize() is 2 before it takes anything: the header and the big
     message, which counts from its first piece. The pieces soon fill the ring, and then the
     sender waits inside its put for as long as the parent does not read.
   - The data comes from a small pseudo-random generator, the checksum is 64-bit FNV-1a.
*/
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <stdio.h>
#include <stdlib.h>

#define SIZE ((size_t)8 << 20)  /* the message: 8 MiB */
#define RING ((size_t)64 << 10) /* the queue's ring: 64 KiB */

static int fail(const char *what, int err) {
    fprintf(stderr, "%s failed: %s\n", what, mp_strerror(err));
    return 1;
}

/* 64-bit FNV-1a */
static unsigned long long checksum(const unsigned char *p, size_t n) {
    unsigned long long h = 14695981039346656037ULL;
    size_t i;
    for (i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

/* The argument of the sender: args=(q,), and the seed of its data. */
struct job {
    mp_queue *q;
    unsigned seed;
};

/* The first message: what the big one should be. */
struct header {
    unsigned long long size, sum;
};

static int sender(void *arg, size_t size) {
    struct job *job = (struct job *)arg;
    struct header h;
    unsigned char *data;
    unsigned x;
    size_t i;
    int r;
    if (size != sizeof *job) return 2;
    if (!(data = (unsigned char *)malloc(SIZE))) return fail("malloc", MP_ENOMEM);
    for (x = job->seed, i = 0; i < SIZE; i++) { /* xorshift32 */
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data[i] = (unsigned char)(x >> 24);
    }
    h.size = SIZE;
    h.sum = checksum(data, SIZE);
    if ((r = mp_queue_put(job->q, &h, sizeof h, MP_FOREVER)) != MP_OK)
        return fail("mp_queue_put header", r);
    printf("sender (pid %ld): put the header, now putting %lu bytes\n", mp_getpid(),
           (unsigned long)SIZE);
    fflush(stdout);
    r = mp_queue_put(job->q, data, SIZE, MP_FOREVER); /* returns when the last piece is in */
    free(data);
    if (r != MP_OK) return fail("mp_queue_put", r);
    printf("sender: put returned\n");
    fflush(stdout);
    return 0;
}

int main(void) {
    mp_process p;
    struct job job;
    struct header h;
    unsigned char small[4096];
    void *data;
    size_t size;
    unsigned long long sum;
    int r, i, code, failed = 0;

    job.q = mp_queue_new(RING, 0);
    job.seed = 42;
    if (!job.q) return fail("mp_queue_new", MP_ENOMEM);
    if ((r = mp_process_init(&p, sender, &job, sizeof job, "sender")) != MP_OK)
        return fail("mp_process_init", r);
    if ((r = mp_process_start(&p)) != MP_OK) return fail("mp_process_start", r);

    for (i = 0; i < 1000 && mp_queue_qsize(job.q) < 2; i++) mp_sleep(0.01);
    printf("parent: qsize() = %ld: the header, and the big message filling the ring\n",
           mp_queue_qsize(job.q));
    fflush(stdout);

    if ((r = mp_queue_get(job.q, &h, sizeof h, &size, MP_FOREVER)) != MP_OK)
        return fail("mp_queue_get header", r);
    printf("parent: header: %llu bytes, checksum %016llx\n", h.size, h.sum);

    r = mp_queue_get(job.q, small, sizeof small, &size, MP_FOREVER); /* a 4 KiB buffer */
    printf("parent: get into %lu bytes -> %s, size = %lu (the message stays queued)\n",
           (unsigned long)sizeof small, r == MP_ETOOBIG ? "MP_ETOOBIG" : mp_strerror(r),
           (unsigned long)size);
    fflush(stdout);
    if (r != MP_ETOOBIG) failed = 1;

    if ((r = mp_queue_get_alloc(job.q, &data, &size, MP_FOREVER)) != MP_OK)
        return fail("mp_queue_get_alloc", r);
    sum = checksum((const unsigned char *)data, size);
    failed |= size != h.size || sum != h.sum;
    printf("parent: get_alloc -> %lu bytes, checksum %016llx: %s\n", (unsigned long)size, sum,
           size == h.size && sum == h.sum ? "whole, checksum matches" : "CORRUPT");
    fflush(stdout);
    mp_free(data);

    if ((r = mp_process_join(&p, MP_FOREVER)) != MP_OK) return fail("mp_process_join", r);
    if (mp_process_exitcode(&p, &code) == 1 && code != 0) failed = 1;
    mp_process_close(&p);
    printf("parent: sender joined, qsize() = %ld\n", mp_queue_qsize(job.q));
    mp_queue_free(job.q);
    return failed;
}
