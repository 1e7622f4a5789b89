#!/usr/bin/env bash
# interop/qxl-guest.sh's checks with floe's own libspice-server.so.1 in
# QEMU: the Linux test guest on the qxl device in native mode (the qxl DRM
# driver's draw, surface and cursor commands), its picture after typing,
# its DRM cursor in clients that were connected and that connect later.
BIN=${BIN:-$PWD/build/bin}
SPICE_LIB_DIR=$(cd "$BIN/../lib" && pwd) exec "$(dirname "$0")/qxl-guest.sh"
