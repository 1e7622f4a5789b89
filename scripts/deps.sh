#!/usr/bin/env bash
# Installs the Debian packages floe needs to build, test and run (make deps).
# Does nothing when everything is there already.
set -eu

BUILD_PKGS="build-essential pkg-config libuv1-dev libpixman-1-dev libssl-dev libfreetype-dev
fonts-dejavu-core libpng-dev zlib1g-dev libsdl2-dev libcmocka-dev liblz4-dev
libturbojpeg0-dev libjpeg62-turbo-dev libjson-c-dev libspice-server-dev libspice-protocol-dev libvpx-dev
libdrm-dev libx11-dev libxfixes-dev libxrandr-dev"
TEST_PKGS="qemu-system-x86 qemu-utils xvfb openbox virt-viewer spice-client-gtk imagemagick socat
python3 procps clang libclang-rt-14-dev tshark xdotool xclip gnome-backgrounds desktop-base x11-apps xterm
gnuplot-nox faketime cpio gstreamer1.0-plugins-good"

missing=()
for p in $BUILD_PKGS $TEST_PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "make deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "make deps: these Debian packages are missing: ${missing[*]}" >&2
        echo "make deps: run 'make deps' as root (or install them with apt-get) and try again" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get update -q; then
    echo "make deps: 'apt-get update' failed: check the network and /etc/apt/sources.list" >&2
    exit 1
fi
if ! $SUDO apt-get install -y -q "${missing[@]}"; then
    echo "make deps: 'apt-get install ${missing[*]}' failed; see the messages above" >&2
    exit 1
fi
