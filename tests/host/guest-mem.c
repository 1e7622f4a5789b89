/* Sparse guest memory for a replayed QXL device: memslots on anonymous
 * mappings reserved but untouched until written, QXL addresses translated,
 * and the memory held by each command the library has not released. */
#include "tests/host/guest-mem.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>

#define MAX_GROUPS 16
#define MAX_SLOTS 256

/* Memory standing for a range of the recording process's host memory. */
struct mapping {
    uint64_t start, end;
    uint8_t *base;
    struct mapping *next;
};

struct slot {
    int used;
    uint64_t start, end, delta;  /* as recorded */
    uint8_t *base;               /* NULL: too large, left out */
};

struct range {
    uintptr_t lo, hi;
};

struct held {
    uintptr_t key;
    struct range *r;
    size_t n;
    struct held *prev, *next;
};

struct gmem {
    unsigned groups, slots, id_bits, gen_bits;
    struct mapping *maps;
    struct slot slot[MAX_GROUPS][MAX_SLOTS];
    pthread_mutex_t lock;        /* what follows */
    struct range *note;
    size_t nnote, capnote;
    struct held *held;
};

struct gmem *gmem_new(unsigned groups, unsigned slots, unsigned id_bits, unsigned gen_bits)
{
    struct gmem *g;

    if (groups > MAX_GROUPS || slots > MAX_SLOTS || id_bits == 0 || id_bits + gen_bits >= 64)
        return NULL;
    g = calloc(1, sizeof(*g));
    if (!g)
        return NULL;
    g->groups = groups;
    g->slots = slots;
    g->id_bits = id_bits;
    g->gen_bits = gen_bits;
    pthread_mutex_init(&g->lock, NULL);
    return g;
}

static uint8_t *map_for(struct gmem *g, uint64_t start, uint64_t end)
{
    struct mapping *m;

    for (m = g->maps; m; m = m->next)
        if (m->start == start && m->end == end)
            return m->base;
    if (end - start > GMEM_MAX_MAP || !(m = calloc(1, sizeof(*m))))
        return NULL;
    m->base = mmap(NULL, end - start, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m->base == MAP_FAILED) {
        free(m);
        return NULL;
    }
    m->start = start;
    m->end = end;
    m->next = g->maps;
    g->maps = m;
    return m->base;
}

uint8_t *gmem_slot_add(struct gmem *g, unsigned group, unsigned id, uint64_t start,
                       uint64_t end, uint64_t delta)
{
    struct slot *s;

    if (group >= g->groups || id >= g->slots || end <= start)
        return NULL;
    s = &g->slot[group][id];
    *s = (struct slot){ .used = 1, .start = start, .end = end, .delta = delta,
                        .base = map_for(g, start, end) };
    return s->base;
}

void gmem_slot_del(struct gmem *g, unsigned group, unsigned id)
{
    if (group < g->groups && id < g->slots)
        g->slot[group][id].used = 0;
}

void gmem_reset(struct gmem *g)
{
    for (unsigned i = 0; i < g->groups; i++)
        for (unsigned j = 0; j < g->slots; j++)
            g->slot[i][j].used = 0;
}

uint8_t *gmem_at(struct gmem *g, unsigned group, unsigned id, uint64_t offset, uint64_t size)
{
    struct slot *s;

    if (group >= g->groups || id >= g->slots)
        return NULL;
    s = &g->slot[group][id];
    if (!s->used || !s->base || offset >= s->end - s->start || size > s->end - s->start - offset)
        return NULL;
    return s->base + offset;
}

uint8_t *gmem_translate(struct gmem *g, unsigned group, uint64_t addr, uint64_t size)
{
    uint64_t id = addr >> (64 - g->id_bits);
    uint64_t off = addr & (~0ull >> (g->id_bits + g->gen_bits));
    struct slot *s;

    if (group >= g->groups || id >= g->slots)
        return NULL;
    s = &g->slot[group][id];
    /* the address in the recording process, then ours */
    return gmem_at(g, group, (unsigned)id, off + s->delta - s->start, size);
}

void gmem_note(struct gmem *g, const uint8_t *p, size_t n)
{
    pthread_mutex_lock(&g->lock);
    if (g->nnote == g->capnote) {
        size_t cap = g->capnote ? g->capnote * 2 : 16;
        struct range *grown = realloc(g->note, cap * sizeof(*grown));

        if (!grown)
            abort();
        g->note = grown;
        g->capnote = cap;
    }
    g->note[g->nnote++] = (struct range){ (uintptr_t)p, (uintptr_t)p + n };
    pthread_mutex_unlock(&g->lock);
}

void gmem_drop_notes(struct gmem *g)
{
    pthread_mutex_lock(&g->lock);
    g->nnote = 0;
    pthread_mutex_unlock(&g->lock);
}

void gmem_hold(struct gmem *g, const void *key)
{
    struct held *h = calloc(1, sizeof(*h));

    if (!h)
        abort();
    pthread_mutex_lock(&g->lock);
    h->key = (uintptr_t)key;
    h->r = g->note;
    h->n = g->nnote;
    g->note = NULL;
    g->nnote = g->capnote = 0;
    h->next = g->held;
    if (g->held)
        g->held->prev = h;
    g->held = h;
    pthread_mutex_unlock(&g->lock);
}

int gmem_release(struct gmem *g, const void *key)
{
    struct held *h;

    pthread_mutex_lock(&g->lock);
    for (h = g->held; h && h->key != (uintptr_t)key; h = h->next)
        ;
    if (h) {
        if (h->prev)
            h->prev->next = h->next;
        else
            g->held = h->next;
        if (h->next)
            h->next->prev = h->prev;
        free(h->r);
        free(h);
    }
    pthread_mutex_unlock(&g->lock);
    return h ? 0 : -1;
}

int gmem_held(struct gmem *g, const uint8_t *p, size_t n)
{
    uintptr_t lo = (uintptr_t)p, hi = lo + n;
    int meets = 0;

    pthread_mutex_lock(&g->lock);
    for (struct held *h = g->held; h && !meets; h = h->next)
        for (size_t i = 0; i < h->n && !meets; i++)
            meets = lo < h->r[i].hi && h->r[i].lo < hi;
    pthread_mutex_unlock(&g->lock);
    return meets;
}

size_t gmem_held_count(struct gmem *g)
{
    size_t n = 0;

    pthread_mutex_lock(&g->lock);
    for (struct held *h = g->held; h; h = h->next)
        n++;
    pthread_mutex_unlock(&g->lock);
    return n;
}
