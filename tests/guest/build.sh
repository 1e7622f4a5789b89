#!/usr/bin/env bash
# Builds the test guest from Debian packages: the distribution kernel and an
# initramfs with busybox, the modules it needs and floe's init and workloads
# (floe-drmcursor and floe-agent are compiled here, statically, with the
# build machine's cc).
# Usage: tests/guest/build.sh [OUTDIR]   (default build/guest)
# Prints the kernel's and the initramfs's paths. Does nothing when the stamp
# (this script, its inputs and the package versions) matches the last build.
set -euo pipefail
SRC=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$SRC/../.." && pwd)
# floe-agent: the guest agent and the protocol files it is built from
AGENT_SRC="$(ls "$TOP"/guest-agent/*.c "$TOP"/guest-agent/*.h) $TOP/protocol/spice/messages.c \
$TOP/protocol/spice/wire.c $TOP/protocol/spice/messages.h $TOP/protocol/spice/wire.h $TOP/protocol/spice/enums.h"
OUT=${1:-build/guest}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# Modules loaded at boot (with what they depend on); the framebuffer console
# is the kernel's built-in vesafb, so no display driver is needed. uinput:
# floe-agent's pointer in client mouse mode.
MODULES="virtio_pci virtio_console uinput"
# Loaded only when the VM has more display heads than the standard VGA: the
# DRM driver for QEMU's secondary VGA devices (see init); with floe.drm=1 on
# the kernel's command line it takes the standard VGA too, so floe-agent can
# set its modes.
HEAD_MODULES="bochs"
# Loaded only when the VM has a QXL device: its DRM driver then takes the
# console over from vesafb and draws it with QXL commands (see init).
QXL_MODULES="qxl"
# Loaded only when the kernel's command line says floe.input=1: the PS/2
# mouse, evdev, and USB HID on QEMU's xHCI controller (a tablet added at
# run time), for the pointer tests (see init and floe-evlog.c).
INPUT_MODULES="psmouse evdev xhci_pci usbhid hid_generic"

die() { echo "guest build: $*" >&2; exit 1; }
for tool in apt-get apt-cache dpkg-deb cpio gzip sha256sum cc; do
    command -v "$tool" >/dev/null || die "$tool is missing (make deps installs it)"
done
# the DRM headers (drm.h, drm_mode.h) come with libdrm-dev; nothing links libdrm
DRM_CFLAGS=$(pkg-config --cflags libdrm 2>/dev/null || echo -I/usr/include/libdrm)
CURSOR_CC="cc -static -Os -s -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes $DRM_CFLAGS"

candidate() { # package -> version apt would fetch
    apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p' | grep -v '(none)' || true
}
# linux-image-amd64 is a metapackage naming the current versioned kernel
resolve() {
    KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null |
           sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1)
    [ -n "$KPKG" ] || die "apt does not know linux-image-amd64 (run apt-get update)"
    KVER_PKG=$(candidate "$KPKG")
    BB_VER=$(candidate busybox-static)
    if [ -z "$KVER_PKG" ] || [ -z "$BB_VER" ]; then
        die "no candidate version for $KPKG or busybox-static"
    fi
}
resolve

stamp() {
    { cat "$SRC/build.sh" "$SRC/init" "$SRC/inittab" "$SRC/floe-demo" "$SRC/floe-keyflip" "$SRC/floe-paint" \
          "$SRC/floe-drmcursor.c" "$SRC/floe-evlog.c" $AGENT_SRC
      cc --version | head -n 1
      echo "$KPKG $KVER_PKG busybox-static $BB_VER $MODULES $HEAD_MODULES $QXL_MODULES $INPUT_MODULES $CURSOR_CC"
    } | sha256sum | cut -c1-64
}
STAMP=$(stamp)
if [ -f "$OUT/stamp" ] && [ "$(cat "$OUT/stamp")" = "$STAMP" ] &&
   [ -s "$OUT/vmlinuz" ] && [ -s "$OUT/initrd.gz" ]; then
    echo "$OUT/vmlinuz"; echo "$OUT/initrd.gz"; exit 0
fi
rm -f "$OUT/stamp"

# fetch PACKAGE VERSION: the .deb under $OUT/dl, downloaded unless already there
fetch() {
    local f
    for f in "$OUT"/dl/"$1"_*.deb; do
        [ -f "$f" ] && [ "$(dpkg-deb -f "$f" Version)" = "$2" ] && { echo "$f"; return; }
    done
    rm -f "$OUT"/dl/"$1"_*.deb
    # as root apt drops to its own user, which cannot write here
    local opts=()
    [ "$(id -u)" = 0 ] && opts=(-o APT::Sandbox::User=root)
    (cd "$OUT/dl" && apt-get download -q "${opts[@]}" "$1=$2" >&2) || return 1
    ls "$OUT"/dl/"$1"_*.deb
}
mkdir -p "$OUT/dl"
if ! KDEB=$(fetch "$KPKG" "$KVER_PKG") || ! BBDEB=$(fetch busybox-static "$BB_VER"); then
    # package lists older than the archive name versions it no longer has
    [ "$(id -u)" = 0 ] || die "cannot download $KPKG or busybox-static (run apt-get update)"
    echo "guest build: downloading failed; updating the package lists" >&2
    apt-get update -q >&2 || die "apt-get update failed"
    resolve
    STAMP=$(stamp)
    KDEB=$(fetch "$KPKG" "$KVER_PKG") || die "cannot download $KPKG $KVER_PKG"
    BBDEB=$(fetch busybox-static "$BB_VER") || die "cannot download busybox-static $BB_VER"
fi

W="$OUT/work"
rm -rf "$W"; mkdir -p "$W/kernel" "$W/root"
dpkg-deb -x "$KDEB" "$W/kernel"
KVER=$(ls "$W/kernel/lib/modules")
KMOD="$W/kernel/lib/modules/$KVER"

R="$W/root"
mkdir -p "$R"/{bin,dev,proc,sys,etc,root,tmp,lib/modules}
dpkg-deb --fsys-tarfile "$BBDEB" | tar -xO ./bin/busybox >"$R/bin/busybox"
chmod 755 "$R/bin/busybox"
install -m 755 "$SRC/init" "$R/init"
install -m 755 "$SRC/floe-demo" "$R/bin/floe-demo"
install -m 755 "$SRC/floe-keyflip" "$R/bin/floe-keyflip"
install -m 755 "$SRC/floe-paint" "$R/bin/floe-paint"
install -m 644 "$SRC/inittab" "$R/etc/inittab"
$CURSOR_CC -o "$R/bin/floe-drmcursor" "$SRC/floe-drmcursor.c" ||
    die "floe-drmcursor does not build (libc6-dev and libdrm-dev give its headers)"
$CURSOR_CC -o "$R/bin/floe-evlog" "$SRC/floe-evlog.c" ||
    die "floe-evlog does not build (libc6-dev and linux-libc-dev give its headers)"
$CURSOR_CC -D_GNU_SOURCE -I"$TOP" -o "$R/bin/floe-agent" $(ls "$TOP"/guest-agent/*.c) \
    "$TOP/protocol/spice/messages.c" "$TOP/protocol/spice/wire.c" ||
    die "floe-agent does not build (libc6-dev and libdrm-dev give its headers)"

# The packaged kernel has no modules.dep (depmod runs at install), so the
# dependencies come from each module's own "depends=" field.
declare -A seen=()
ORDER=()
# a module's file may spell its name with hyphens (xhci-pci.ko is xhci_pci)
module_path() {
    find "$KMOD/kernel" \( -name "$1.ko" -o -name "$1.ko.xz" -o -name "${1//_/-}.ko" \
        -o -name "${1//_/-}.ko.xz" \) | head -n 1
}
add_module() {
    local name=${1//-/_} path deps d
    [ -n "${seen[$name]:-}" ] && return
    seen[$name]=1
    path=$(module_path "$name")
    [ -n "$path" ] || { grep -q "/$name.ko" "$KMOD/modules.builtin" 2>/dev/null && return
                        die "module $name is not in $KPKG"; }
    deps=$(tr '\0' '\n' <"$path" | sed -n 's/^depends=//p' | head -n 1)
    for d in ${deps//,/ }; do add_module "$d"; done
    ORDER+=("${path#"$KMOD/"}")
}
# copy_modules LIST: copies ORDER's modules and lists them in LIST
copy_modules() {
    local p
    : >"$R/lib/modules/$1"
    for p in "${ORDER[@]}"; do
        mkdir -p "$R/lib/modules/$(dirname "$p")"
        case "$p" in
            *.xz) command -v xz >/dev/null || die "xz is missing for compressed modules"
                  xz -dc "$KMOD/$p" >"$R/lib/modules/${p%.xz}"; p=${p%.xz} ;;
            *) cp "$KMOD/$p" "$R/lib/modules/$p" ;;
        esac
        echo "$p" >>"$R/lib/modules/$1"
    done
}
# pack_list LIST MODULE...: the modules and what they depend on, copied and
# listed in LIST in loading order (a module in two lists is copied twice)
pack_list() {
    local list=$1 m
    shift
    seen=(); ORDER=()
    for m in "$@"; do add_module "$m"; done
    copy_modules "$list"
}
pack_list load.list $MODULES
BOOT_ORDER=("${ORDER[@]}")
pack_list heads.list $HEAD_MODULES
HEAD_ORDER=("${ORDER[@]}")
pack_list input.list $INPUT_MODULES
INPUT_ORDER=("${ORDER[@]}")
pack_list qxl.list $QXL_MODULES

(cd "$R" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -6 >"$W/initrd.gz"
cp "$W/kernel/boot/vmlinuz-$KVER" "$OUT/vmlinuz"
mv "$W/initrd.gz" "$OUT/initrd.gz"
echo "$KPKG $KVER_PKG; busybox-static $BB_VER; modules: ${BOOT_ORDER[*]}; for more heads: ${HEAD_ORDER[*]}; for input tests: ${INPUT_ORDER[*]}; for QXL: ${ORDER[*]}" >"$OUT/contents"
rm -rf "$W"
echo "$STAMP" >"$OUT/stamp"
echo "$OUT/vmlinuz"; echo "$OUT/initrd.gz"
