/* floe-drmcursor: puts a hardware cursor of a known shape on the test guest's
 * DRM device, so a display device's cursor commands can be followed end to end.
 *
 * Usage: floe-drmcursor X Y
 *
 * Opens /dev/dri/card0, finds the CRTC that shows a picture, makes a 64x64
 * ARGB dumb buffer holding an orange arrow with a black border on a
 * transparent ground, sets it as the CRTC's cursor with its hot spot at the
 * arrow's tip (DRM_IOCTL_MODE_CURSOR2), then moves it so the hot spot is at
 * X,Y. It prints one line with the shape's size, hot spot, position and a
 * FNV-1a hash of its pixels (as stored, little-endian ARGB), then waits to be
 * killed: the cursor is the open file's, and closing it hands the display
 * back to the console, which turns the cursor off.
 *
 * Only raw ioctls and the kernel's DRM headers: the program is linked
 * statically and runs on the guest's busybox, which has no libdrm. */
#include <drm.h>
#include <drm_mode.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define PROG "floe-drmcursor"
#define CARD "/dev/dri/card0"
#define SIZE 64
#define HOT_X 4
#define HOT_Y 2
#define MAX_CRTCS 16

#define FILL 0xffff8000u   /* opaque orange */
#define EDGE 0xff000000u   /* opaque black */
#define CLEAR 0x00000000u  /* transparent */

static int xioctl(int fd, unsigned long req, void *arg)
{
    int r;

    do {
        r = ioctl(fd, req, arg);
    } while (r < 0 && (errno == EINTR || errno == EAGAIN));
    return r < 0 ? -errno : 0;
}

/* The arrow, in coordinates from its tip: a triangle widening downwards and
 * a stem below its middle. */
static int in_arrow(int x, int y)
{
    int dx = x - HOT_X, dy = y - HOT_Y;

    if (dy >= 0 && dy < 32 && dx >= 0 && dx <= dy * 3 / 4)
        return 1;
    return dy >= 24 && dy < 48 && dx >= 6 && dx < 14;
}

static uint32_t arrow_pixel(int x, int y)
{
    if (!in_arrow(x, y))
        return CLEAR;
    if (!in_arrow(x - 1, y) || !in_arrow(x + 1, y) || !in_arrow(x, y - 1) || !in_arrow(x, y + 1))
        return EDGE;
    return FILL;
}

/* Fills the buffer (pitch in bytes) and returns the FNV-1a hash of the
 * SIZE*SIZE pixels as little-endian bytes, row after row. */
static uint32_t draw_arrow(uint8_t *buf, uint32_t pitch)
{
    uint32_t hash = 2166136261u;
    int x, y, b;

    for (y = 0; y < SIZE; y++) {
        for (x = 0; x < SIZE; x++) {
            uint32_t p = arrow_pixel(x, y);

            memcpy(buf + (size_t)y * pitch + (size_t)x * 4, &p, 4);
            for (b = 0; b < 32; b += 8)
                hash = (hash ^ ((p >> b) & 0xff)) * 16777619u;
        }
    }
    return hash;
}

/* The first CRTC with a mode set and a framebuffer on it: the one the
 * console shows. Returns its id, or a negative errno. */
static int find_crtc(int fd)
{
    uint32_t ids[MAX_CRTCS];
    struct drm_mode_card_res res;
    struct drm_mode_crtc crtc;
    uint32_t i;
    int r;

    memset(&res, 0, sizeof(res));
    if ((r = xioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res)) < 0)
        return r;
    if (res.count_crtcs == 0)
        return -ENODEV;
    if (res.count_crtcs > MAX_CRTCS)
        res.count_crtcs = MAX_CRTCS;
    /* ask again for the CRTCs only: the other lists stay unread */
    res.crtc_id_ptr = (uintptr_t)ids;
    res.count_fbs = res.count_connectors = res.count_encoders = 0;
    if ((r = xioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res)) < 0)
        return r;
    for (i = 0; i < res.count_crtcs && i < MAX_CRTCS; i++) {
        memset(&crtc, 0, sizeof(crtc));
        crtc.crtc_id = ids[i];
        if (xioctl(fd, DRM_IOCTL_MODE_GETCRTC, &crtc) == 0 && crtc.mode_valid && crtc.fb_id)
            return (int)ids[i];
    }
    return -ENODEV;
}

/* Makes the SIZE x SIZE dumb buffer and draws the arrow in it; sets *handle
 * and *hash. Returns 0 or a negative errno. */
static int make_cursor(int fd, uint32_t *handle, uint32_t *hash)
{
    struct drm_mode_create_dumb create;
    struct drm_mode_map_dumb map;
    void *mem;
    int r;

    memset(&create, 0, sizeof(create));
    create.width = SIZE;
    create.height = SIZE;
    create.bpp = 32;
    if ((r = xioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &create)) < 0)
        return r;
    /* the cursor's framebuffer is made with a pitch of exactly one row */
    if (create.pitch != SIZE * 4)
        return -EINVAL;
    memset(&map, 0, sizeof(map));
    map.handle = create.handle;
    if ((r = xioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map)) < 0)
        return r;
    mem = mmap(NULL, create.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)map.offset);
    if (mem == MAP_FAILED)
        return -errno;
    *hash = draw_arrow(mem, create.pitch);
    munmap(mem, create.size);
    *handle = create.handle;
    return 0;
}

/* Sets the cursor's shape, then moves its hot spot to x,y: the legacy
 * ioctls place the image's top left corner. */
static int set_cursor(int fd, uint32_t crtc, uint32_t handle, int x, int y)
{
    struct drm_mode_cursor2 set;
    struct drm_mode_cursor move;
    int r;

    memset(&set, 0, sizeof(set));
    set.flags = DRM_MODE_CURSOR_BO;
    set.crtc_id = crtc;
    set.width = SIZE;
    set.height = SIZE;
    set.handle = handle;
    set.hot_x = HOT_X;
    set.hot_y = HOT_Y;
    if ((r = xioctl(fd, DRM_IOCTL_MODE_CURSOR2, &set)) < 0)
        return r;
    memset(&move, 0, sizeof(move));
    move.flags = DRM_MODE_CURSOR_MOVE;
    move.crtc_id = crtc;
    move.x = x - HOT_X;
    move.y = y - HOT_Y;
    return xioctl(fd, DRM_IOCTL_MODE_CURSOR, &move);
}

static int parse_coord(const char *s, int *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > 16384)
        return -1;
    *out = (int)v;
    return 0;
}

int main(int argc, char **argv)
{
    uint32_t handle = 0, hash = 0;
    int fd, crtc, x, y, r;

    if (argc != 3 || parse_coord(argv[1], &x) < 0 || parse_coord(argv[2], &y) < 0) {
        fprintf(stderr, "usage: " PROG " X Y   (the hot spot's position, 0 to 16384)\n");
        return 2;
    }
    fd = open(CARD, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, PROG ": %s: %s\n", CARD, strerror(errno));
        return 1;
    }
    if ((crtc = find_crtc(fd)) < 0) {
        fprintf(stderr, PROG ": no CRTC shows a picture: %s\n", strerror(-crtc));
        return 1;
    }
    if ((r = make_cursor(fd, &handle, &hash)) < 0) {
        fprintf(stderr, PROG ": cannot make the cursor's buffer: %s\n", strerror(-r));
        return 1;
    }
    if ((r = set_cursor(fd, (uint32_t)crtc, handle, x, y)) < 0) {
        fprintf(stderr, PROG ": cannot set the cursor: %s\n", strerror(-r));
        return 1;
    }
    printf(PROG ": cursor %dx%d hot %d,%d at %d,%d on crtc %d, pixels fnv1a %08x\n",
           SIZE, SIZE, HOT_X, HOT_Y, x, y, crtc, (unsigned)hash);
    fflush(stdout);
    for (;;)
        pause();
}
