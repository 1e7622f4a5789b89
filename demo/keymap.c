/* PC XT set-1 scancodes to characters for the typed-text window: US layout,
 * Shift and Caps Lock; Ctrl/Alt chords, Tab, Esc, F-keys and arrows type nothing. */
#include "demo/demo-priv.h"

/* Unshifted and shifted characters for scancodes 0x00..0x39. */
static const char plain[] = "\0\0" "1234567890-=\b\0" "qwertyuiop[]\n\0"
                            "asdfghjkl;'`\0\\" "zxcvbnm,./\0*\0 ";
static const char shifted[] = "\0\0" "!@#$%^&*()_+\b\0" "QWERTYUIOP{}\n\0"
                              "ASDFGHJKL:\"~\0|" "ZXCVBNM<>?\0*\0 ";

/* The number pad (0x47..0x53) as if Num Lock were on. */
static const char keypad[] = "789-456+1230.";

static int is_letter(char c)
{
    return c >= 'a' && c <= 'z';
}

/* Returns 1 when scancode is a modifier (state updated), else 0. */
static int modifier(struct floe_demo_keys *k, uint32_t sc, int down)
{
    switch (sc) {
    case 0x2a: k->shift_l = down ? 1 : 0; return 1;
    case 0x36: k->shift_r = down ? 1 : 0; return 1;
    case 0x1d: k->ctrl_l = down ? 1 : 0; return 1;
    case 0xe01d: k->ctrl_r = down ? 1 : 0; return 1;
    case 0x38: k->alt_l = down ? 1 : 0; return 1;
    case 0xe038: k->alt_r = down ? 1 : 0; return 1;
    case 0x3a:
        if (down)
            k->caps = !k->caps;
        return 1;
    default: return 0;
    }
}

static int plain_char(const struct floe_demo_keys *k, uint32_t sc)
{
    int shift = k->shift_l || k->shift_r;
    char c;

    if (sc >= 0x47 && sc <= 0x53)
        return keypad[sc - 0x47];
    if (sc >= sizeof(plain) - 1)
        return 0;
    c = plain[sc];
    if (is_letter(c))
        shift ^= k->caps;
    return shift ? shifted[sc] : c;
}

int floe_demo_keymap_char(struct floe_demo_keys *k, uint32_t scancode, int down)
{
    /* some senders fold the break bit into the code instead of `down` */
    if (scancode & 0x80) {
        scancode &= ~0x80u;
        down = 0;
    }
    if (modifier(k, scancode, down) || !down)
        return 0;
    if (k->ctrl_l || k->ctrl_r || k->alt_l || k->alt_r)
        return 0;
    if (scancode == 0xe01c)
        return '\n';
    if (scancode == 0xe035)
        return '/';
    if (scancode > 0xff)
        return 0;
    return plain_char(k, scancode);
}
