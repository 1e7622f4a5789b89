/* floe-agent's pointer: an absolute device through /dev/uinput whose axes
 * span the display, fed the positions, buttons and wheel of MOUSE_STATE. */
#include "guest-agent/mouse.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <linux/uinput.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* MOUSE_STATE's button bits (vd_agent.h) */
enum { VD_LBUTTON = 1 << 1, VD_MBUTTON = 1 << 2, VD_RBUTTON = 1 << 3, VD_UBUTTON = 1 << 4,
       VD_DBUTTON = 1 << 5 };

struct agent_mouse {
    int fd;
    uint32_t width, height;   /* the device's axes, 0 until made */
    uint32_t want_w, want_h;
    uint32_t buttons;
};

struct agent_mouse *agent_mouse_new(void)
{
    struct agent_mouse *m = calloc(1, sizeof(*m));

    if (m) {
        m->fd = -1;
        m->want_w = 1024;
        m->want_h = 768;
    }
    return m;
}

static void mouse_close(struct agent_mouse *m)
{
    if (m->fd >= 0) {
        ioctl(m->fd, UI_DEV_DESTROY);
        close(m->fd);
    }
    m->fd = -1;
}

void agent_mouse_free(struct agent_mouse *m)
{
    if (m)
        mouse_close(m);
    free(m);
}

void agent_mouse_set_size(struct agent_mouse *m, uint32_t width, uint32_t height)
{
    if (width && height) {
        m->want_w = width;
        m->want_h = height;
    }
}

static int mouse_open(struct agent_mouse *m)
{
    struct uinput_user_dev dev;
    static const int keys[] = { BTN_LEFT, BTN_MIDDLE, BTN_RIGHT };

    if ((m->fd = open("/dev/uinput", O_WRONLY | O_CLOEXEC)) < 0)
        return -errno;
    memset(&dev, 0, sizeof(dev));
    strcpy(dev.name, "floe-agent pointer");
    dev.id.bustype = BUS_VIRTUAL;
    dev.absmax[ABS_X] = (int)m->want_w - 1;
    dev.absmax[ABS_Y] = (int)m->want_h - 1;
    int bad = ioctl(m->fd, UI_SET_EVBIT, EV_KEY) < 0 || ioctl(m->fd, UI_SET_EVBIT, EV_ABS) < 0 ||
              ioctl(m->fd, UI_SET_EVBIT, EV_REL) < 0 || ioctl(m->fd, UI_SET_EVBIT, EV_SYN) < 0 ||
              ioctl(m->fd, UI_SET_ABSBIT, ABS_X) < 0 || ioctl(m->fd, UI_SET_ABSBIT, ABS_Y) < 0 ||
              ioctl(m->fd, UI_SET_RELBIT, REL_WHEEL) < 0;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        bad |= ioctl(m->fd, UI_SET_KEYBIT, keys[i]) < 0;
    if (bad || write(m->fd, &dev, sizeof(dev)) != (ssize_t)sizeof(dev) ||
        ioctl(m->fd, UI_DEV_CREATE) < 0) {
        int e = errno;
        close(m->fd);
        m->fd = -1;
        return -e;
    }
    m->width = m->want_w;
    m->height = m->want_h;
    m->buttons = 0;
    return 0;
}

static void mouse_emit(struct agent_mouse *m, uint16_t type, uint16_t code, int32_t value,
                       int *rc)
{
    struct input_event e;

    memset(&e, 0, sizeof(e));
    e.type = type;
    e.code = code;
    e.value = value;
    if (write(m->fd, &e, sizeof(e)) != (ssize_t)sizeof(e) && !*rc)
        *rc = -errno;
}

int agent_mouse_state(struct agent_mouse *m, uint32_t x, uint32_t y, uint32_t buttons)
{
    static const struct { uint32_t bit; uint16_t key; } map[] = {
        { VD_LBUTTON, BTN_LEFT }, { VD_MBUTTON, BTN_MIDDLE }, { VD_RBUTTON, BTN_RIGHT } };
    int rc = 0;

    if (m->fd >= 0 && (m->width != m->want_w || m->height != m->want_h))
        mouse_close(m);
    if (m->fd < 0 && (rc = mouse_open(m)) < 0)
        return rc;
    mouse_emit(m, EV_ABS, ABS_X, (int32_t)(x < m->width ? x : m->width - 1), &rc);
    mouse_emit(m, EV_ABS, ABS_Y, (int32_t)(y < m->height ? y : m->height - 1), &rc);
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if ((buttons ^ m->buttons) & map[i].bit)
            mouse_emit(m, EV_KEY, map[i].key, !!(buttons & map[i].bit), &rc);
    /* the wheel comes as a press of its "button" */
    if (buttons & VD_UBUTTON & ~m->buttons)
        mouse_emit(m, EV_REL, REL_WHEEL, 1, &rc);
    if (buttons & VD_DBUTTON & ~m->buttons)
        mouse_emit(m, EV_REL, REL_WHEEL, -1, &rc);
    mouse_emit(m, EV_SYN, SYN_REPORT, 0, &rc);
    m->buttons = buttons;
    return rc;
}
