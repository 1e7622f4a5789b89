/* Tables from USB HID usages and US-layout ASCII to PC XT set-1 scancodes.
 * Numbers only, so the tables can be tested without SDL. */
#include "programs/floe-viewer/keymap.h"

#include <string.h>

#define E0(code) (0x100 | (code))

/* indexed by HID usage (SDL_SCANCODE_*) */
static const uint16_t hid_to_xt[232] = {
    /* 4..29: A..Z */
    [4] = 0x1e, 0x30, 0x2e, 0x20, 0x12, 0x21, 0x22, 0x23, 0x17, 0x24, 0x25, 0x26, 0x32,
    0x31, 0x18, 0x19, 0x10, 0x13, 0x1f, 0x14, 0x16, 0x2f, 0x11, 0x2d, 0x15, 0x2c,
    /* 30..39: 1..9, 0 */
    [30] = 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
    /* 40..56: Return Escape Backspace Tab Space - = [ ] \ #(non-US) ; ' ` , . / */
    [40] = 0x1c, 0x01, 0x0e, 0x0f, 0x39, 0x0c, 0x0d, 0x1a, 0x1b, 0x2b, 0x2b, 0x27, 0x28,
    0x29, 0x33, 0x34, 0x35,
    /* 57..69: CapsLock F1..F12 */
    [57] = 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40, 0x41, 0x42, 0x43, 0x44, 0x57, 0x58,
    /* 70..82: PrintScreen ScrollLock Pause(none) Insert Home PageUp Delete End
     * PageDown Right Left Down Up */
    [70] = E0(0x37), 0x46, 0, E0(0x52), E0(0x47), E0(0x49), E0(0x53), E0(0x4f), E0(0x51),
    E0(0x4d), E0(0x4b), E0(0x50), E0(0x48),
    /* 83..99: NumLock KP/ KP* KP- KP+ KPEnter KP1..KP9 KP0 KP. */
    [83] = 0x45, E0(0x35), 0x37, 0x4a, 0x4e, E0(0x1c), 0x4f, 0x50, 0x51, 0x4b, 0x4c, 0x4d,
    0x47, 0x48, 0x49, 0x52, 0x53,
    /* 100 NonUSBackslash, 101 Application (menu), 103 KP= */
    [100] = 0x56, E0(0x5d), [103] = 0x59,
    /* 135 International1 (ro), 137 International3 (yen) */
    [135] = 0x73, [137] = 0x7d,
    /* 224..231: LCtrl LShift LAlt LGui RCtrl RShift RAlt RGui */
    [224] = 0x1d, 0x2a, 0x38, E0(0x5b), E0(0x1d), 0x36, E0(0x38), E0(0x5c),
};

uint32_t floe_keymap_hid_to_xt(int usage)
{
    if (usage < 0 || usage >= (int)(sizeof(hid_to_xt) / sizeof(hid_to_xt[0])))
        return 0;
    return hid_to_xt[usage];
}

uint32_t floe_keymap_ascii_to_xt(unsigned char ch, int *shift)
{
    static const char plain[] = "1234567890-=[]\\;',./`";
    static const char shifted[] = "!@#$%^&*()_+{}|:\"<>?~";
    static const uint8_t codes[] = { 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
                                     0x0b, 0x0c, 0x0d, 0x1a, 0x1b, 0x2b, 0x27, 0x28, 0x33,
                                     0x34, 0x35, 0x29 };
    const char *p;

    *shift = 0;
    if (ch >= 'a' && ch <= 'z')
        return hid_to_xt[4 + ch - 'a'];
    if (ch >= 'A' && ch <= 'Z') {
        *shift = 1;
        return hid_to_xt[4 + ch - 'A'];
    }
    switch (ch) {
    case ' ': return 0x39;
    case '\n': case '\r': return 0x1c;
    case '\t': return 0x0f;
    case '\b': return 0x0e;
    case 0x1b: return 0x01;
    case 0: return 0;
    }
    if ((p = strchr(plain, ch)) != NULL)
        return codes[p - plain];
    if ((p = strchr(shifted, ch)) != NULL) {
        *shift = 1;
        return codes[p - shifted];
    }
    return 0;
}
