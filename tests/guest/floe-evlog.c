/* floe-evlog: reports what the test guest's pointing devices receive, so a
 * mouse or tablet event can be followed from a SPICE client into the guest.
 *
 * Usage: floe-evlog
 *
 * Watches every /dev/input/eventN that has relative or absolute axes (a
 * PS/2 mouse, a USB tablet), looking again every 200 ms for devices that
 * come later (a tablet added at run time). Prints
 *   floe-evlog: watching eventN [rel] [abs] NAME
 * for each (with the kinds of axes it has), then after every report (SYN_REPORT) that changed something
 *   floe-evlog: eventN rel DX DY wheel W abs X Y buttons B
 * where DX, DY and W are the sums of the relative moves and wheel clicks
 * since it started, X and Y the last absolute position (-1 before any) and
 * B the buttons held (1 left, 2 middle, 4 right, as SPICE numbers them).
 *
 * Only the kernel's evdev interface: linked statically, it runs on the
 * guest's busybox. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define PROG "floe-evlog"
#define MAX_DEVS 32
#define BITS_LONG (8 * (int)sizeof(long))

struct dev {
    int fd;
    int num;                /* N of /dev/input/eventN */
    long rel_x, rel_y, wheel;
    int abs_x, abs_y;
    unsigned buttons;
    int changed;
};

static int has_bit(const unsigned long *bits, int bit)
{
    return (bits[bit / BITS_LONG] >> (bit % BITS_LONG)) & 1;
}

/* Opens eventN when it is a pointing device: 1, or 0 (not one, or gone). */
static int open_dev(struct dev *d, int num)
{
    unsigned long ev[1] = { 0 };
    char path[32], name[128] = "?";
    int fd, rel, abs;

    snprintf(path, sizeof(path), "/dev/input/event%d", num);
    fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return 0;
    if (ioctl(fd, EVIOCGBIT(0, sizeof(ev)), ev) < 0) {
        close(fd);
        return 0;
    }
    rel = has_bit(ev, EV_REL);
    abs = has_bit(ev, EV_ABS);
    if (!rel && !abs) {
        close(fd);
        return 0;
    }
    ioctl(fd, EVIOCGNAME(sizeof(name) - 1), name);
    *d = (struct dev){ .fd = fd, .num = num, .abs_x = -1, .abs_y = -1 };
    printf(PROG ": watching event%d%s%s %s\n", num, rel ? " rel" : "", abs ? " abs" : "", name);
    fflush(stdout);
    return 1;
}

/* Adds the pointing devices not watched yet. */
static void scan(struct dev *devs, int *n, unsigned char *tried)
{
    DIR *dir = opendir("/dev/input");
    struct dirent *e;

    if (!dir)
        return;
    while ((e = readdir(dir)) && *n < MAX_DEVS) {
        int num;

        if (sscanf(e->d_name, "event%d", &num) != 1 || num < 0 || num >= 256 || tried[num])
            continue;
        tried[num] = 1;
        if (open_dev(&devs[*n], num))
            (*n)++;
    }
    closedir(dir);
}

static unsigned button_bit(int code)
{
    switch (code) {
    case BTN_LEFT: return 1;
    case BTN_MIDDLE: return 2;
    case BTN_RIGHT: return 4;
    default: return 0;
    }
}

static void apply(struct dev *d, const struct input_event *e)
{
    switch (e->type) {
    case EV_REL:
        if (e->code == REL_X) d->rel_x += e->value;
        else if (e->code == REL_Y) d->rel_y += e->value;
        else if (e->code == REL_WHEEL) d->wheel += e->value;
        else return;
        break;
    case EV_ABS:
        if (e->code == ABS_X) d->abs_x = e->value;
        else if (e->code == ABS_Y) d->abs_y = e->value;
        else return;
        break;
    case EV_KEY:
        if (!button_bit(e->code))
            return;
        if (e->value)
            d->buttons |= button_bit(e->code);
        else
            d->buttons &= ~button_bit(e->code);
        break;
    case EV_SYN:
        if (e->code == SYN_REPORT && d->changed) {
            printf(PROG ": event%d rel %ld %ld wheel %ld abs %d %d buttons %u\n", d->num,
                   d->rel_x, d->rel_y, d->wheel, d->abs_x, d->abs_y, d->buttons);
            fflush(stdout);
            d->changed = 0;
        }
        return;
    default:
        return;
    }
    d->changed = 1;
}

/* Reads what a device has; 0, or -1 when it is gone. */
static int drain(struct dev *d)
{
    struct input_event ev[16];
    ssize_t r;

    while ((r = read(d->fd, ev, sizeof(ev))) > 0)
        for (size_t i = 0; i < (size_t)r / sizeof(ev[0]); i++)
            apply(d, &ev[i]);
    return r < 0 && errno != EAGAIN ? -1 : 0;
}

int main(void)
{
    static struct dev devs[MAX_DEVS];
    static unsigned char tried[256];
    struct pollfd pfd[MAX_DEVS];
    int n = 0;

    for (;;) {
        scan(devs, &n, tried);
        for (int i = 0; i < n; i++)
            pfd[i] = (struct pollfd){ devs[i].fd, POLLIN, 0 };
        if (poll(pfd, (nfds_t)n, 200) < 0 && errno != EINTR) {
            perror(PROG ": poll");
            return 1;
        }
        for (int i = 0; i < n; i++)
            if (devs[i].fd >= 0 && (pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) &&
                drain(&devs[i]) < 0) {
                close(devs[i].fd);
                devs[i].fd = -1;   /* poll skips a negative fd */
            }
    }
}
