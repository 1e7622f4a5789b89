/* Key translation for floe-viewer: USB HID usages (SDL scancodes) and ASCII
 * text to PC XT set-1 scancodes (0xE0-prefixed keys as 0x100 | code). */
#ifndef FLOE_VIEWER_KEYMAP_H
#define FLOE_VIEWER_KEYMAP_H

#include <stdint.h>

#define FLOE_XT_LSHIFT 0x2a

/* Set-1 scancode for a USB HID keyboard usage (what SDL_Scancode holds), 0 if none. */
uint32_t floe_keymap_hid_to_xt(int usage);
/* Set-1 scancode typing `ch` on a US layout; *shift tells whether Shift is
 * needed. 0 if the character cannot be typed. */
uint32_t floe_keymap_ascii_to_xt(unsigned char ch, int *shift);

#endif
