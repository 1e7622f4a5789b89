/* The client half of the SPICE pixmap cache: decoded images by 64-bit id,
 * bounded in pixels like the server's own accounting, least recent out first. */
#include "client/display.h"

#include <errno.h>
#include <stdlib.h>

#include "common/log.h"

#define BUCKETS 4096u

struct fcli_cached_image {
    uint64_t id;
    pixman_image_t *img;
    uint64_t pixels;
    struct fcli_cached_image *next;           /* bucket chain */
    struct fcli_cached_image *newer, *older;  /* LRU list */
};

static unsigned bucket_of(uint64_t id)
{
    return (unsigned)((id ^ (id >> 17) ^ (id >> 35)) % BUCKETS);
}

void fcli_image_cache_init(struct fcli_image_cache *c, uint64_t limit_pixels)
{
    c->buckets = calloc(BUCKETS, sizeof(*c->buckets));
    c->lru_head = c->lru_tail = NULL;
    c->pixels = 0;
    c->count = 0;
    c->limit = limit_pixels;
}

static struct fcli_cached_image *find(struct fcli_image_cache *c, uint64_t id,
                                      struct fcli_cached_image ***link)
{
    struct fcli_cached_image **pp;

    if (!c->buckets)
        return NULL;
    for (pp = &c->buckets[bucket_of(id)]; *pp; pp = &(*pp)->next) {
        if ((*pp)->id == id) {
            if (link)
                *link = pp;
            return *pp;
        }
    }
    return NULL;
}

static void lru_unlink(struct fcli_image_cache *c, struct fcli_cached_image *e)
{
    if (e->newer)
        e->newer->older = e->older;
    else
        c->lru_head = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        c->lru_tail = e->newer;
    e->newer = e->older = NULL;
}

static void lru_push(struct fcli_image_cache *c, struct fcli_cached_image *e)
{
    e->newer = NULL;
    e->older = c->lru_head;
    if (c->lru_head)
        c->lru_head->newer = e;
    c->lru_head = e;
    if (!c->lru_tail)
        c->lru_tail = e;
}

void fcli_image_cache_remove(struct fcli_image_cache *c, uint64_t id)
{
    struct fcli_cached_image **link, *e = find(c, id, &link);

    if (!e)
        return;
    *link = e->next;
    lru_unlink(c, e);
    c->pixels -= e->pixels;
    c->count--;
    if (e->img)
        pixman_image_unref(e->img);
    free(e);
}

int fcli_image_cache_put(struct fcli_image_cache *c, uint64_t id, pixman_image_t *img,
                         uint64_t pixels)
{
    struct fcli_cached_image *e;
    unsigned b = bucket_of(id);

    if (!c->buckets)
        return -ENOMEM;
    fcli_image_cache_remove(c, id);
    if (pixels > c->limit) {
        floe_warn("display: image %llu (%llu pixels) is larger than the whole cache",
                  (unsigned long long)id, (unsigned long long)pixels);
        return 0;
    }
    while (c->pixels + pixels > c->limit && c->lru_tail) {
        floe_warn("display: image cache full, dropping image %llu the server did not free",
                  (unsigned long long)c->lru_tail->id);
        fcli_image_cache_remove(c, c->lru_tail->id);
    }
    e = calloc(1, sizeof(*e));
    if (!e)
        return -ENOMEM;
    e->id = id;
    e->img = img ? pixman_image_ref(img) : NULL;
    e->pixels = pixels;
    e->next = c->buckets[b];
    c->buckets[b] = e;
    lru_push(c, e);
    c->pixels += pixels;
    c->count++;
    return 0;
}

int fcli_image_cache_get(struct fcli_image_cache *c, uint64_t id, pixman_image_t **img)
{
    struct fcli_cached_image *e = find(c, id, NULL);

    if (!e)
        return 0;
    lru_unlink(c, e);
    lru_push(c, e);
    *img = e->img;
    return 1;
}

void fcli_image_cache_clear(struct fcli_image_cache *c)
{
    while (c->lru_tail)
        fcli_image_cache_remove(c, c->lru_tail->id);
}

void fcli_image_cache_fini(struct fcli_image_cache *c)
{
    fcli_image_cache_clear(c);
    free(c->buckets);
    c->buckets = NULL;
}
