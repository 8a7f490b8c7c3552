/* The family arena: shared memory at one address, its allocator, and the robust lock that
   guards it. */

static int write_through(void *arg, size_t size) {
    int *p;
    (void)size;
    memcpy(&p, arg, sizeof p);
    p[0] += 1; /* the same address names the same memory in the child */
    p[1] = 1234;
    return 0;
}
static int test_arena_same_address(void) {
    int *p = (int *)mp_shared_alloc(2 * sizeof(int));
    mp_process c;
    CHECK(p != NULL);
    CHECK_EQ(p[0], 0);
    p[0] = 41;
    CHECK_EQ(mp_process_init(&c, write_through, &p, sizeof p, NULL), MP_OK);
    CHECK_EQ(mp_process_start(&c), MP_OK);
    CHECK_EQ(mp_process_join(&c, 30), MP_OK);
    CHECK_EQ(p[0], 42);
    CHECK_EQ(p[1], 1234);
    mp_process_close(&c);
    mp_shared_free(p);
    return 0;
}

static int test_arena_alloc_free(void) {
    char *a, *b, *c, local = 0;
    size_t i;
    CHECK(mp_shared_alloc(0) == NULL);
    CHECK(mp_shared_alloc((size_t)-1) == NULL);
    CHECK(mp_shared_alloc(MP_ARENA_SIZE) == NULL);
    a = (char *)mp_shared_alloc(100);
    b = (char *)mp_shared_alloc(100);
    CHECK(a && b && a != b);
    CHECK(((size_t)a & 15) == 0);
    for (i = 0; i < 100; i++) CHECK_EQ(a[i], 0);
    memset(a, 0x5a, 100);
    mp_shared_free(a);
    c = (char *)mp_shared_alloc(100); /* freed memory comes back zeroed */
    CHECK(c != NULL);
    for (i = 0; i < 100; i++) CHECK_EQ(c[i], 0);
    mp_shared_free(NULL);
    mp_shared_free(&local); /* not arena memory: ignored */
    mp_shared_free(c + 1);  /* not a block: ignored */
    mp_shared_free(c + 16);
    mp_shared_free(mp__g.arena + 16); /* the arena's header */
    mp_shared_free(mp__g.arena + mp__g.arena_size - 16);
    mp_shared_free(c);
    mp_shared_free(c); /* twice: ignored, not listed twice (which would hand it out twice) */
    a = (char *)mp_shared_alloc(100);
    c = (char *)mp_shared_alloc(100);
    CHECK(a && c && a != c);
    mp_shared_free(a);
    mp_shared_free(c);
    a = (char *)mp_shared_alloc((size_t)32 << 20); /* large blocks are lazily committed */
    CHECK(a != NULL);
    a[((size_t)32 << 20) - 1] = 1;
    mp_shared_free(a);
    mp_shared_free(b);
    return 0;
}

static int alloc_many(void *arg, size_t size) {
    void **slots;
    int i;
    (void)size;
    memcpy(&slots, arg, sizeof slots);
    for (i = 0; i < 2000; i++) {
        void *p = mp_shared_alloc((size_t)(16 + i % 300));
        if (!p) return 2;
        if (i % 3) mp_shared_free(p);
    }
    return 0;
}
static int test_arena_concurrent_alloc(void) {
    mp_process p[4];
    int i, code;
    void *dummy = NULL;
    for (i = 0; i < 4; i++) {
        CHECK_EQ(mp_process_init(&p[i], alloc_many, &dummy, sizeof dummy, NULL), MP_OK);
        CHECK_EQ(mp_process_start(&p[i]), MP_OK);
    }
    for (i = 0; i < 4; i++) {
        CHECK_EQ(mp_process_join(&p[i], 30), MP_OK);
        CHECK_EQ(mp_process_exitcode(&p[i], &code), 1);
        CHECK_EQ(code, 0);
        mp_process_close(&p[i]);
    }
    return 0;
}

typedef struct held_lock {
    mp__mutex m;
    mp__word ready; /* 1: parent says lock it; 2: child holds it */
} held_lock;
static int hold_and_hang(void *arg, size_t size) {
    mp__mutex *m;
    mp__word *ready;
    (void)size;
    memcpy(&m, arg, sizeof m);
    memcpy(&ready, (char *)arg + sizeof m, sizeof ready);
    while (mp__load(&ready->value) == 0) mp__wait(ready, 0, 1);
    if (mp__mutex_lock(m, MP_FOREVER) != MP_OK) return 2;
    mp__store(&ready->value, 2);
    mp__wake(ready, 1);
    for (;;) mp__wait(ready, 2, 10); /* hold it until killed */
}
static int kill_holder(mp__mutex *m, int join_first) {
    held_lock *h = (held_lock *)mp_shared_alloc(sizeof *h);
    unsigned char arg[2 * sizeof(void *)];
    mp__word *ready;
    mp_process p;
    mp__u32 rebuilds = ((mp__arena_hdr *)mp__g.arena)->rebuilds;
    int r;
    CHECK(h != NULL);
    if (!m) m = &h->m;
    ready = &h->ready;
    memcpy(arg, &m, sizeof m);
    memcpy(arg + sizeof m, &ready, sizeof ready);
    CHECK_EQ(mp_process_init(&p, hold_and_hang, arg, sizeof arg, NULL), MP_OK);
    CHECK_EQ(mp_process_start(&p), MP_OK);
    mp__store(&ready->value, 1); /* only now: starting a child takes the arena's lock */
    mp__wake(ready, 1);
    while (mp__load(&ready->value) == 1) mp__wait(ready, 1, 1);
    CHECK_EQ(mp__mutex_lock(m, 0.05), MP_ETIMEDOUT); /* alive: the lock stays held */
    CHECK_EQ(mp_process_kill(&p), MP_OK);
    if (join_first) CHECK_EQ(mp_process_join(&p, 30), MP_OK);
    r = mp__mutex_lock(m, 30);
    /* The arena's lock: another process of the family (the test runner, freeing a boot
       block) may have taken it back first (the kernel wakes one waiter at once) and
       repaired the heap; then it is simply free. */
    if (r == MP_OK && m == &((mp__arena_hdr *)mp__g.arena)->lock)
        CHECK(((mp__arena_hdr *)mp__g.arena)->rebuilds > rebuilds);
    else
        CHECK_EQ(r, MP_EOWNERDEAD);
    CHECK_EQ(mp__mutex_unlock(m), MP_OK);
    CHECK_EQ(mp__mutex_unlock(m), MP_ENOTOWNER);
    CHECK_EQ(mp__mutex_lock(m, 1), MP_OK);
    CHECK_EQ(mp__mutex_unlock(m), MP_OK);
    CHECK_EQ(mp_process_join(&p, 30), MP_OK);
    mp_process_close(&p);
    return 0;
}
static int test_mutex_owner_killed(void) {
    CHECK_EQ(kill_holder(NULL, 0), 0); /* the dead owner is still an unreaped zombie */
    CHECK_EQ(kill_holder(NULL, 1), 0);
    return 0;
}
static int test_arena_lock_owner_killed(void) {
    void *p;
    CHECK(mp_shared_alloc(8) != NULL);
    CHECK_EQ(kill_holder(&((mp__arena_hdr *)mp__g.arena)->lock, 0), 0);
    p = mp_shared_alloc(64); /* the allocator still works after its lock's owner died */
    CHECK(p != NULL);
    mp_shared_free(p);
    return 0;
}

/* -- the allocator ---------------------------------------------------------------------- */

/* What a heap walk finds; heap_check returns 0 or the line of the first inconsistency. */
typedef struct heap_stats {
    size_t used, free, free_units, largest;
} heap_stats;
#define HEAP_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            line = __LINE__;                                                                       \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)
/* Every invariant: the chain walks from the first block to the sentinel with agreeing prev
   sizes, no two free blocks touch, every free block is listed once in its own class, the
   bitmaps say which lists are non-empty. Under the heap's lock. */
static int heap_check(const mp__heap *v, heap_stats *st) {
    mp__arena_hdr *h = mp__heap_hdr(v);
    unsigned char *seen = (unsigned char *)calloc(v->end / 8 + 1, 1);
    mp__u32 off = v->first, below = 0, s, n;
    size_t listed = 0;
    unsigned fl, sl, f, l;
    int line = 0, was_free = 0;
    memset(st, 0, sizeof *st);
    if (!seen) return __LINE__;
    mp__heap_lock(v);
    while (off < v->end) {
        s = mp__heap_size(v, off);
        HEAP_CHECK(s != 0);
        n = s & ~MP__HEAP_USED;
        HEAP_CHECK(mp__heap_at(v, off)->prev == below);
        if (s & MP__HEAP_USED) {
            st->used++;
            was_free = 0;
        } else {
            HEAP_CHECK(!was_free && n >= 2);
            st->free++;
            st->free_units += n;
            if (n > st->largest) st->largest = n;
            seen[off / 8] |= (unsigned char)(1u << (off % 8));
            was_free = 1;
        }
        below = n;
        off += n;
    }
    HEAP_CHECK(off == v->end && mp__heap_next(v, off - below, below) == MP__HEAP_USED);
    for (f = 0; f < MP__HEAP_FL; f++) {
        HEAP_CHECK(!(h->fl_map & (1u << f)) == !(h->sl_map[f] & 0xffffu));
        HEAP_CHECK((h->sl_map[f] & ~0xffffu) == 0);
        for (l = 0; l < MP__HEAP_SL; l++) {
            mp__u32 prev = 0, at = h->head[f][l];
            HEAP_CHECK(!(h->sl_map[f] & (1u << l)) == !at);
            for (; at; prev = at, at = mp__heap_at(v, at)->fnext) {
                HEAP_CHECK(at < v->end && (seen[at / 8] & (1u << (at % 8)))); /* free, once */
                seen[at / 8] &= (unsigned char)~(1u << (at % 8));
                HEAP_CHECK(mp__heap_at(v, at)->fprev == prev);
                mp__heap_class(mp__heap_size(v, at), &fl, &sl);
                HEAP_CHECK(fl == f && sl == l);
                listed++;
            }
        }
    }
    HEAP_CHECK(listed == st->free);
done:
    mp__heap_unlock(v);
    free(seen);
    if (line) fprintf(stderr, "  heap_check: inconsistent (test_arena.c:%d)\n", line);
    return line;
}
/* A private heap over zeroed process memory (ASan sees any access outside it). */
static char *heap_new(mp__heap *v, size_t size, char **mem) {
    char *base;
    *mem = (char *)calloc(1, size + 16);
    if (!*mem) return NULL;
    base = *mem + (16 - (size_t)((uintptr_t)*mem & 15)) % 16;
    return mp__heap_init(v, base, size) == MP_OK ? base : NULL;
}
static size_t heap_max(const mp__heap *v) { /* the largest request an empty heap takes */
    return (size_t)(v->end - v->first) * 16 - 16;
}
static int heap_inside(const mp__heap *v, const void *p, size_t n) {
    uintptr_t a = (uintptr_t)p, lo = (uintptr_t)v->base + ((size_t)v->first + 1) * 16,
              hi = (uintptr_t)v->base + (size_t)v->end * 16;
    return a >= lo && a <= hi && n <= hi - a && (a & 15) == 0;
}
static mp__u32 rnd(mp__u32 *x) {
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

/* The largest mp_shared_alloc that succeeds now. */
/* The largest request the family arena can serve now, read from the heap's own blocks
   (allocating to find it would zero up to the whole arena each time: slow under TSan). */
static size_t largest_block(void) {
    mp__heap v;
    heap_stats st;
    if (!mp__heap_view(&v, mp__g.arena, mp__g.arena_size) || heap_check(&v, &st) != 0) return 0;
    return st.largest > 1 ? (st.largest - 1) * 16 : 0;
}
/* Issue 8: blocks were never split or merged, so memory freed by one size never served
   another. Here the arena is cut down to a 32 MiB window, filled with small blocks, emptied,
   and must then serve a queue, 200 bytes, the queues of a Pool(64) and 1 MiB, and be one
   block again at the end. */
static int test_arena_reuse_any_size(void) {
    size_t window, i, n = 0, cap = (size_t)1 << 20;
    void **v = (void **)malloc(cap * sizeof(void *)), *p, *hold;
    mp_queue *q[65];
    heap_stats st;
    mp__heap fam;
    CHECK(v != NULL);
    mp_shared_free(mp_shared_alloc(1)); /* the arena exists */
    hold = mp_shared_alloc(largest_block() - ((size_t)32 << 20));
    CHECK(hold != NULL);
    window = largest_block();
    CHECK(window >= (size_t)31 << 20 && window <= (size_t)33 << 20);
    while (n < cap && (v[n] = mp_shared_alloc(16 + (n * 7919) % 240)) != NULL) n++;
    CHECK(n > 1000 && n < cap);
    for (i = 0; i < n; i += 2) mp_shared_free(v[i]); /* every other: nothing merges yet */
    for (i = 1; i < n; i += 2) mp_shared_free(v[i]);
    q[0] = mp_simple_queue_new();
    p = mp_shared_alloc(200);
    CHECK(q[0] && p);
    mp_shared_free(p);
    mp_queue_free(q[0]);
    q[0] = mp_queue_new(MP__POOL_RESULTS, 0);
    CHECK(q[0] != NULL);
    for (i = 1; i <= 64; i++) CHECK((q[i] = mp_queue_new((size_t)256 << 10, 0)) != NULL);
    for (i = 0; i <= 64; i++) mp_queue_free(q[i]);
    p = mp_shared_alloc((size_t)1 << 20);
    CHECK(p != NULL);
    mp_shared_free(p);
    CHECK_EQ(largest_block(), window); /* healed: the window is one block again */
    mp_shared_free(hold);
    free(v);
    CHECK(mp__heap_view(&fam, mp__g.arena, mp__g.arena_size));
    CHECK_EQ(heap_check(&fam, &st), 0);
    return 0;
}

/* A million random allocs and frees of mixed sizes: every block stays intact (its first and
   last words keep what was written), and once all is freed the heap is one block again. */
static int test_arena_churn_million(void) {
    enum { SLOTS = 4096 };
    static void *slot[SLOTS];
    static size_t len[SLOTS];
    mp__heap v;
    heap_stats st;
    char *mem, *base = heap_new(&v, (size_t)8 << 20, &mem), *p;
    mp__u32 x = 2463534242u;
    long i, fails = 0;
    CHECK(base != NULL);
    p = (char *)mp__heap_alloc(&v, heap_max(&v)); /* the whole heap, as one block */
    CHECK(p == base + ((size_t)v.first + 1) * 16);
    CHECK(mp__heap_alloc(&v, 1) == NULL);
    mp__heap_free(&v, p);
    for (i = 0; i < 1000000; i++) {
        mp__u32 k = rnd(&x) % SLOTS, r = rnd(&x);
        if (slot[k]) {
            size_t w = (size_t)k * 2654435761u;
            CHECK(memcmp(slot[k], &w, sizeof w) == 0);
            CHECK(memcmp((char *)slot[k] + len[k] - sizeof w, &w, sizeof w) == 0);
            mp__heap_free(&v, slot[k]);
            slot[k] = NULL;
        } else {
            size_t n = r % 64 ? 16 + r % 500 : 16 + r % 65536, w = (size_t)k * 2654435761u;
            if (!(slot[k] = mp__heap_alloc(&v, n))) {
                fails++;
                continue;
            }
            CHECK(heap_inside(&v, slot[k], n));
            CHECK(((char *)slot[k])[0] == 0 && ((char *)slot[k])[n - 1] == 0);
            len[k] = n;
            memcpy(slot[k], &w, sizeof w);
            memcpy((char *)slot[k] + n - sizeof w, &w, sizeof w);
        }
        if (i % 250000 == 0) CHECK_EQ(heap_check(&v, &st), 0);
    }
    for (i = 0; i < SLOTS; i++) mp__heap_free(&v, slot[i]);
    CHECK_EQ(heap_check(&v, &st), 0);
    CHECK_EQ(st.used, 0);
    CHECK_EQ(st.free, 1);
    CHECK(mp__heap_alloc(&v, heap_max(&v)) == p);
    CHECK_EQ(mp__heap_hdr(&v)->rebuilds, 0);
    free(mem);
    return fails < 1000 ? 0 : 1; /* the heap was seldom full */
}

/* Issue 8: memory shared with a child is input. A heap whose headers, links and bitmaps are
   scribbled on hands out blocks inside itself or NULL, never crashes or loops, and a bad
   pointer to free changes nothing. */
static int test_arena_corrupt_headers(void) {
    mp__heap v;
    heap_stats st, st2;
    char *mem, *base, *p[8], local[32];
    mp__arena_hdr *h;
    mp__u32 x = 88172645u, bad[] = {0xffffffffu, 0x7fffffffu, 1, 0, 0, 0};
    unsigned fl, sl;
    int k, round;
    /* a list head pointing anywhere: outside, the header, mid-block, a used block */
    for (k = 0; k < 6; k++) {
        void *q;
        CHECK((base = heap_new(&v, (size_t)256 << 10, &mem)) != NULL);
        h = mp__heap_hdr(&v);
        for (round = 0; round < 8; round++) CHECK((p[round] = (char *)mp__heap_alloc(&v, 200)));
        mp__heap_free(&v, p[2]);
        mp__heap_free(&v, p[5]);
        bad[3] = v.end; /* the sentinel */
        bad[4] = (mp__u32)((p[3] - base) / 16) - 1 + 3;
        bad[5] = (mp__u32)((p[3] - base) / 16) - 1;
        mp__heap_class(mp__heap_size(&v, (mp__u32)((p[2] - base) / 16) - 1), &fl, &sl);
        CHECK(h->head[fl][sl] != 0);
        h->head[fl][sl] = bad[k];
        q = mp__heap_alloc(&v, 200);
        CHECK(q == NULL || heap_inside(&v, q, 200));
        CHECK(q != p[3] && q != p[4]);
        CHECK_EQ(heap_check(&v, &st), 0);
        CHECK(h->rebuilds >= 1);
        free(mem);
    }
    /* bitmaps full of ones, sizes and prev sizes and links overwritten */
    CHECK((base = heap_new(&v, (size_t)256 << 10, &mem)) != NULL);
    h = mp__heap_hdr(&v);
    for (k = 0; k < 8; k++) CHECK((p[k] = (char *)mp__heap_alloc(&v, 100 + 50 * (size_t)k)));
    mp__heap_free(&v, p[1]);
    mp__heap_free(&v, p[6]);
    h->fl_map = 0xffffffffu;
    for (k = 0; k < MP__HEAP_FL; k++) h->sl_map[k] = 0xffffffffu;
    CHECK(heap_inside(&v, mp__heap_alloc(&v, 64), 64));
    CHECK_EQ(heap_check(&v, &st), 0);
    ((mp__blk *)(void *)p[3] - 1)->prev = 12345; /* prev size wrong: found, rebuilt, freed */
    mp__heap_free(&v, p[3]);
    CHECK_EQ(heap_check(&v, &st), 0);
    CHECK(!(mp__heap_size(&v, (mp__u32)((p[3] - base) / 16) - 1) & MP__HEAP_USED));
    ((mp__blk *)(void *)p[6] - 1)->fnext = 0x7ffffff0u; /* a free block's links */
    ((mp__blk *)(void *)p[6] - 1)->fprev = 7;
    mp__heap_free(&v, p[5]); /* merges with p[6]'s block: unlinking it finds the damage */
    CHECK_EQ(heap_check(&v, &st), 0);
    ((mp__blk *)(void *)p[4] - 1)->size = 0x7fffffffu | MP__HEAP_USED; /* a size past the end */
    mp__heap_free(&v, p[4]); /* not a block any more: ignored */
    CHECK(heap_inside(&v, mp__heap_alloc(&v, 5000), 5000));
    CHECK_EQ(heap_check(&v, &st), 0); /* the chain ends at p[4]: the rest stays out of use */
    free(mem);
    /* frees of what is not a used block change nothing */
    CHECK((base = heap_new(&v, (size_t)256 << 10, &mem)) != NULL);
    for (k = 0; k < 4; k++) CHECK((p[k] = (char *)mp__heap_alloc(&v, 64)));
    mp__heap_free(&v, p[1]);
    CHECK_EQ(heap_check(&v, &st), 0);
    mp__heap_free(&v, NULL);
    mp__heap_free(&v, local);
    mp__heap_free(&v, base);
    mp__heap_free(&v, base + 16);
    mp__heap_free(&v, base + ((size_t)v.first + 1) * 16 - 16);
    mp__heap_free(&v, base + (size_t)v.end * 16);
    mp__heap_free(&v, base + (size_t)v.end * 16 + 16);
    mp__heap_free(&v, p[0] + 1);
    mp__heap_free(&v, p[0] + 16);
    mp__heap_free(&v, p[1]); /* a double free */
    mp__heap_free(&v, p[1] + 16);
    CHECK_EQ(heap_check(&v, &st2), 0);
    CHECK(memcmp(&st, &st2, sizeof st) == 0);
    CHECK_EQ(mp__heap_hdr(&v)->rebuilds, 0);
    free(mem);
    /* random words written over random headers, links and the index, between random ops */
    for (round = 0; round < test_rounds(20); round++) {
        void *slot[64];
        CHECK((base = heap_new(&v, (size_t)64 << 10, &mem)) != NULL);
        memset(slot, 0, sizeof slot);
        for (k = 0; k < 3000; k++) {
            mp__u32 r = rnd(&x), i = r % 64;
            if (k % 40 == 39) { /* a header word or a list link, or a word of the index */
                mp__u32 *w = r & 1 ? (mp__u32 *)(void *)(base + (rnd(&x) % (v.end + 1)) * 16 +
                                                         (rnd(&x) % 8) * 4)
                                   : (mp__u32 *)(void *)(base + 24 + rnd(&x) % 1900 / 4 * 4);
                *w = r & 2 ? rnd(&x) : rnd(&x) % (v.end + 4);
            } else if (slot[i]) {
                mp__heap_free(&v, slot[i]);
                slot[i] = NULL;
            } else {
                size_t n = 1 + rnd(&x) % 3000;
                slot[i] = mp__heap_alloc(&v, n);
                CHECK(slot[i] == NULL || heap_inside(&v, slot[i], n));
            }
        }
        mp__heap_lock(&v);
        mp__heap_rebuild(&v); /* whatever is left: a rebuild makes it whole */
        mp__heap_unlock(&v);
        CHECK_EQ(heap_check(&v, &st), 0);
        free(mem);
    }
    return 0;
}
/* The same in the family arena: a list head pointing past the arena (what issue 8 saw). */
static int test_arena_corrupt_family_list(void) {
    mp__heap v;
    heap_stats st;
    char *a = (char *)mp_shared_alloc(200), *b = (char *)mp_shared_alloc(200), *c;
    mp__arena_hdr *h = (mp__arena_hdr *)(void *)mp__g.arena;
    unsigned fl, sl;
    CHECK(a && b && mp__heap_view(&v, mp__g.arena, mp__g.arena_size));
    mp_shared_free(a); /* b keeps it from merging: a list of its own size is not empty */
    mp__heap_class(mp__heap_size(&v, (mp__u32)((a - mp__g.arena) / 16) - 1), &fl, &sl);
    CHECK(h->head[fl][sl] != 0);
    h->head[fl][sl] = 0x7fffff00u;
    c = (char *)mp_shared_alloc(200);
    CHECK(c != NULL && mp__in_arena(c) && c + 200 <= mp__g.arena + mp__g.arena_size);
    CHECK_EQ(heap_check(&v, &st), 0);
    mp_shared_free(b);
    mp_shared_free(c);
    return 0;
}

/* Each store of a sequence of allocs and frees, and of a rebuild, interrupted in turn: the
   heap as a process killed just before that store would leave it (a copy taken from the
   hook) is rebuilt, its live blocks freed, and then has at most the one block that the
   killed operation was taking. */
enum { SCRIPT_HEAP = 64 << 10, SCRIPT_LIVE = 16 };
static char *snap_mem;
static long snap_at, snap_stores;
static char *script_live[SCRIPT_LIVE], *snap_live[SCRIPT_LIVE];
static void snap_hook(const mp__heap *v) {
    if (++snap_stores == snap_at) {
        memcpy(snap_mem, v->base, SCRIPT_HEAP);
        memcpy(snap_live, script_live, sizeof snap_live);
    }
}
static int run_script(mp__heap *v) {
    static const int sizes[SCRIPT_LIVE] = {64, 200, 64, 1000, 64, 64, 3000, 16};
    static const int frees[] = {1, 3, 2, 5, 4, 6, 0, 7};
    int i;
    for (i = 0; i < 8; i++)
        if (!(script_live[i] = (char *)mp__heap_alloc(v, (size_t)sizes[i]))) return 1;
    for (i = 0; i < 6; i++) { /* alone, merge down, up, both... */
        char *p = script_live[frees[i]];
        script_live[frees[i]] = NULL;
        mp__heap_free(v, p);
    }
    if (!(script_live[8] = (char *)mp__heap_alloc(v, 40))) return 1;    /* a split */
    if (!(script_live[9] = (char *)mp__heap_alloc(v, 1000))) return 1;  /* another */
    if (!(script_live[10] = (char *)mp__heap_alloc(v, 8000))) return 1; /* from the top */
    for (i = 0; i < SCRIPT_LIVE; i++) {
        char *p = script_live[i];
        script_live[i] = NULL;
        mp__heap_free(v, p);
    }
    ((mp__blk *)(void *)(v->base + (size_t)v->first * 16))->prev = 3; /* a rebuild, too */
    mp__heap_lock(v);
    mp__heap_rebuild(v);
    mp__heap_unlock(v);
    return 0;
}
static int test_arena_interrupted_at_each_store(void) {
    mp__heap v, s;
    heap_stats st;
    char *mem, *base, *smem = (char *)calloc(1, SCRIPT_HEAP + 16);
    long k, total;
    int i;
    CHECK(smem != NULL);
    snap_mem = smem + (16 - (size_t)((uintptr_t)smem & 15)) % 16;
    CHECK((base = heap_new(&v, SCRIPT_HEAP, &mem)) != NULL);
    snap_at = 0;
    snap_stores = 0;
    mp__heap_hook = snap_hook;
    CHECK_EQ(run_script(&v), 0);
    mp__heap_hook = NULL;
    total = snap_stores;
    free(mem);
    CHECK(total > 100);
    for (k = 1; k <= total; k++) {
        CHECK((base = heap_new(&v, SCRIPT_HEAP, &mem)) != NULL);
        snap_at = k;
        snap_stores = 0;
        mp__heap_hook = snap_hook;
        i = run_script(&v);
        mp__heap_hook = NULL;
        CHECK_EQ(i, 0);
        CHECK(mp__heap_view(&s, snap_mem, SCRIPT_HEAP));
        mp__heap_hdr(&s)->lock.w.value = 0; /* its owner is gone */
        mp__heap_lock(&s);
        mp__heap_rebuild(&s); /* what the next owner does on MP_EOWNERDEAD */
        mp__heap_unlock(&s);
        CHECK_EQ(heap_check(&s, &st), 0);
        for (i = 0; i < SCRIPT_LIVE; i++) { /* what was handed out is still taken */
            mp__u32 off = (mp__u32)((snap_live[i] - base) / 16) - 1;
            if (!snap_live[i]) continue;
            CHECK(mp__heap_size(&s, off) & MP__HEAP_USED);
            mp__heap_free(&s, snap_mem + (snap_live[i] - base));
        }
        CHECK_EQ(heap_check(&s, &st), 0);
        if (st.used > 1 || st.free < 1 || st.free > 1 + st.used) {
            fprintf(stderr, "  store %ld of %ld: %d used, %d free blocks\n", k, total, (int)st.used,
                    (int)st.free);
            return 1;
        }
        free(mem);
    }
    free(smem);
    return 0;
}

/* Processes killed at random moments while they allocate and free in a shared heap and in
   the family arena: the survivor and the parent carry on, both heaps are consistent, and a
   kill loses at most the one block the dead process was handling. */
typedef struct churn_shared {
    mp__word count[2];
    mp__word stop;
    char *base;
    void *volatile slot[2][64];
} churn_shared;
enum { CHURN_HEAP = 256 << 10 };
static int churn(void *arg, size_t size) {
    churn_shared *s;
    mp__heap v;
    int me, k;
    mp__u32 x;
    (void)size;
    memcpy(&s, arg, sizeof s);
    memcpy(&me, (char *)arg + sizeof s, sizeof me);
    x = (mp__u32)mp_getpid() * 2654435761u | 1u;
    if (!mp__heap_view(&v, s->base, CHURN_HEAP)) return 2;
    while (!mp__load(&s->stop.value)) {
        mp__u32 r = rnd(&x), i = r % 64;
        void *p = s->slot[me][i];
        if (p) { /* forgotten first: a kill now leaks it, never frees it twice */
            s->slot[me][i] = NULL;
            if (i < 32)
                mp__heap_free(&v, p);
            else
                mp_shared_free(p); /* half of them in the family arena itself */
        } else {
            size_t n = 1 + rnd(&x) % 2000;
            s->slot[me][i] = i < 32 ? mp__heap_alloc(&v, n) : mp_shared_alloc(n);
        }
        mp__fetch_add(&s->count[me].value, 1);
    }
    for (k = 0; k < 32; k++) mp__heap_free(&v, s->slot[me][k]);
    for (k = 32; k < 64; k++) mp_shared_free(s->slot[me][k]);
    return 0;
}
static int test_arena_killed_mid_op(void) {
    churn_shared *s = (churn_shared *)mp_shared_alloc(sizeof *s);
    char *heap = (char *)mp_shared_alloc(CHURN_HEAP);
    mp__u32 x = 1234567u;
    int round, k, code;
    CHECK(s && heap);
    s->base = heap;
    for (round = 0; round < test_rounds(6); round++) {
        mp_process p[2];
        unsigned char arg[sizeof(void *) + sizeof(int)];
        mp__heap v;
        heap_stats st;
        mp__u32 target = 200 + rnd(&x) % 5000;
        memset(heap, 0, CHURN_HEAP);
        memset((void *)s->slot, 0, sizeof s->slot);
        s->stop.value = 0;
        s->count[0].value = s->count[1].value = 0;
        CHECK_EQ(mp__heap_init(&v, heap, CHURN_HEAP), MP_OK);
        for (k = 0; k < 2; k++) {
            memcpy(arg, &s, sizeof s);
            memcpy(arg + sizeof s, &k, sizeof k);
            CHECK_EQ(mp_process_init(&p[k], churn, arg, sizeof arg, NULL), MP_OK);
            CHECK_EQ(mp_process_start(&p[k]), MP_OK);
        }
        while (mp__load(&s->count[0].value) < target) {
            mp__u32 c = mp__load(&s->count[0].value);
            CHECK(mp_process_is_alive(&p[0]) == 1);
            mp__wait(&s->count[0], c, 0.001);
        }
        CHECK_EQ(mp_process_kill(&p[0]), MP_OK);
        CHECK_EQ(mp_process_join(&p[0], 30), MP_OK);
        while (mp__load(&s->count[1].value) < target) { /* the survivor goes on */
            mp__u32 c = mp__load(&s->count[1].value);
            CHECK(mp_process_is_alive(&p[1]) == 1);
            mp__wait(&s->count[1], c, 0.001);
        }
        mp__store(&s->stop.value, 1);
        CHECK_EQ(mp_process_join(&p[1], 30), MP_OK);
        CHECK_EQ(mp_process_exitcode(&p[1], &code), 1);
        CHECK_EQ(code, 0);
        for (k = 0; k < 32; k++) mp__heap_free(&v, s->slot[0][k]);
        for (k = 32; k < 64; k++) mp_shared_free(s->slot[0][k]);
        CHECK_EQ(heap_check(&v, &st), 0);
        CHECK(st.used <= 1);
        CHECK(mp__heap_view(&v, mp__g.arena, mp__g.arena_size));
        CHECK_EQ(heap_check(&v, &st), 0);
        for (k = 0; k < 2; k++) mp_process_close(&p[k]);
    }
    mp_shared_free(heap);
    mp_shared_free(s);
    return 0;
}

static const mp_test arena_tests[] = {
    {"arena_same_address", test_arena_same_address},
    {"arena_alloc_free", test_arena_alloc_free},
    {"arena_concurrent_alloc", test_arena_concurrent_alloc},
    {"mutex_owner_killed", test_mutex_owner_killed},
    {"arena_lock_owner_killed", test_arena_lock_owner_killed},
    {"arena_reuse_any_size", test_arena_reuse_any_size},
    {"arena_churn_million", test_arena_churn_million},
    {"arena_corrupt_headers", test_arena_corrupt_headers},
    {"arena_corrupt_family_list", test_arena_corrupt_family_list},
    {"arena_interrupted_at_each_store", test_arena_interrupted_at_each_store},
    {"arena_killed_mid_op", test_arena_killed_mid_op},
    {NULL, NULL}};
