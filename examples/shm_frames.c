/* shm_frames.c - a frame buffer shared by name between C and Python (named shared memory).
   shm_frames.py (beside this file) creates the block with multiprocessing.shared_memory and
   starts this program with its name: the C side draws frames into it, the Python side reads
   them. Run alone (no arguments), the program creates a block of its own and a child process
   reads it, attaching by name as the Python side does.
   Build alone (in examples/): cc -std=c99 shm_frames.c -o shm_frames -pthread && ./shm_frames

   Python (the reader; the block is the same memory under the same name):
       from multiprocessing import shared_memory
       shm = shared_memory.SharedMemory(name)             # attach
       frame_no, w, h = struct.unpack_from('III', shm.buf, 0)
       pixels = shm.buf[16:16 + w * h]

   C differences:
   - mp_shm_open(&s, name, create, size): create=1 makes it (name NULL: a generated one,
     "psm_..." as Python's), create=0 attaches. The memory is mp_shm_buf(s), mp_shm_size(s).
   - mp_shm_close(s) unmaps it here; mp_shm_unlink(name) removes the name (the creator does).
   - The header's frame number is written last, so a reader that sees it sees the pixels. A
     real program would also guard the buffer (two buffers, or a lock) while it is redrawn. */
#define MP_IMPLEMENTATION
#include "../mp.h"
#include <stdio.h>
#include <string.h>

#define W 64
#define H 48
typedef struct header {
    volatile unsigned frame; /* the last frame drawn; 0: none yet, or seen by the reader */
    unsigned w, h;
    volatile unsigned done; /* the drawer has finished */
} header;

static void draw(header *hd, unsigned char *px, unsigned frame) {
    int x, y;
    for (y = 0; y < H; y++)
        for (x = 0; x < W; x++) px[y * W + x] = (unsigned char)(x + y + frame * 20);
    __sync_synchronize(); /* the pixels before the frame number */
    hd->frame = frame;
}
static int drawer(const char *name, int frames) {
    mp_shm *s;
    header *hd;
    int f, r = mp_shm_open(&s, name, 0, 0); /* attach */
    if (r != MP_OK) {
        fprintf(stderr, "attach %s: %s\n", name, mp_strerror(r));
        return 1;
    }
    hd = (header *)mp_shm_buf(s);
    hd->w = W;
    hd->h = H;
    for (f = 1; f <= frames; f++) {
        unsigned seen = 0;
        draw(hd, (unsigned char *)mp_shm_buf(s) + sizeof(header), (unsigned)f);
        while (seen++ < 5000 && hd->frame == (unsigned)f) mp_sleep(0.001); /* until it is seen */
    }
    hd->done = 1;
    mp_shm_close(s);
    return 0;
}
/* The reader of the demonstration (what shm_frames.py does). */
static int reader(void *arg, size_t size) {
    mp_shm *s;
    header *hd;
    int frames = 0;
    (void)size;
    if (mp_shm_open(&s, (const char *)arg, 0, 0) != MP_OK) return 1;
    hd = (header *)mp_shm_buf(s);
    while (!hd->done) {
        unsigned f = hd->frame;
        if (f) {
            const unsigned char *px = (const unsigned char *)mp_shm_buf(s) + sizeof(header);
            unsigned long sum = 0;
            int i;
            for (i = 0; i < W * H; i++) sum += px[i];
            printf("reader: frame %u, %ux%u, mean %.1f\n", f, hd->w, hd->h, (double)sum / (W * H));
            frames++;
            hd->frame = 0; /* seen */
        }
        mp_sleep(0.001);
    }
    mp_shm_close(s);
    return frames > 0 ? 0 : 2;
}

int main(int argc, char **argv) {
    mp_shm *s;
    mp_process p;
    char name[MP_SHM_NAME_MAX];
    int r;
    mp_init();
    if (argc >= 2) return drawer(argv[1], argc >= 3 ? 100 : 5); /* started by shm_frames.py */
    r = mp_shm_open(&s, NULL, 1, sizeof(header) + W * H);       /* a new block, a fresh name */
    if (r != MP_OK) {
        fprintf(stderr, "create: %s\n", mp_strerror(r));
        return 1;
    }
    snprintf(name, sizeof name, "%s", mp_shm_name(s));
    printf("block %s, %zu bytes\n", name, mp_shm_size(s));
    mp_process_init(&p, reader, name, strlen(name) + 1, "reader");
    mp_process_start(&p);
    r = drawer(name, 5);
    mp_process_join(&p, MP_FOREVER);
    mp_shm_unlink(name);
    mp_shm_close(s);
    return r;
}
