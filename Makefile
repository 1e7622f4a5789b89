# floe: one entry point. `make` builds, `make run` shows the demo desktop,
# `make test` runs the whole suite under ASan+UBSan, `make deps` installs packages.

BUILD   ?= build
SAN     ?= 0
CC      ?= cc
V       ?= 0

PKGS_COMMON := pixman-1 libpng zlib liblz4 libturbojpeg libjpeg vpx
PKGS_SERVER := libuv openssl
PKGS_DEMO   := freetype2
PKGS_CLIENT := sdl2 openssl
PKGS_VMHOST := libuv json-c
PKGS_TEST   := cmocka

pc_cflags = $(shell pkg-config --cflags $(1) 2>/dev/null)
pc_libs   = $(shell pkg-config --libs $(1) 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wpointer-arith \
           -Wstrict-prototypes -Wmissing-prototypes
CFLAGS  ?= -O2 -g
# -fPIC: the libraries also go into floe's libspice-server.so.1
CFLAGS  += -std=gnu11 -pthread -fPIC -fvisibility=hidden $(WARN) -D_GNU_SOURCE -I. -Iserver/include -Iclient/include \
           $(call pc_cflags,$(PKGS_COMMON) $(PKGS_SERVER) $(PKGS_DEMO) $(PKGS_CLIENT) $(PKGS_VMHOST))
LDFLAGS += -pthread
ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

OBJ := $(BUILD)/obj
LIB := $(BUILD)/lib
BIN := $(BUILD)/bin
TST := $(BUILD)/tests

COMMON_SRC := $(wildcard common/*.c)
PROTO_SRC  := $(wildcard protocol/spice/*.c protocol/rfb/*.c)
CODEC_SRC  := $(wildcard codecs/*.c)
SERVER_SRC := $(wildcard server/*.c server/net/*.c server/display/*.c)
DEMO_SRC   := $(wildcard demo/*.c)
CLIENT_SRC := $(wildcard client/*.c)
FSERVER_SRC := $(wildcard programs/floe-server/*.c)
VIEWER_SRC := $(wildcard programs/floe-viewer/*.c)
VMHOST_SRC := $(wildcard vmhost/*.c)
# floe's libspice-server.so.1 for QEMU, built against Debian's SPICE
# headers: QEMU's SPICE modules load it in place of the reference library
QEMU_SRC   := $(wildcard server/qemu/*.c)
SPICE_LIB  := $(LIB)/libspice-server.so.1
PKGS_QEMU  := spice-server spice-protocol
# the KVM probe's boot sector, assembled flat and linked in as data
KVM_PROBE_BIN := $(OBJ)/vmhost/kvm-probe-guest.bin
VMHOST_OBJ := $(patsubst %.c,$(OBJ)/%.o,$(VMHOST_SRC)) $(OBJ)/vmhost/kvm-probe-image.o

objs = $(patsubst %.c,$(OBJ)/%.o,$(1))

# Each library is one archive holding one relocatable object whose hidden
# symbols were made local: only what its public header declares (inside
# `#pragma GCC visibility push(default)`) can be linked against, so two
# libraries' internals never meet. White-box tests link the plain archives
# of the objects under $(LIB)/internal instead.
LIB_COMMON := $(LIB)/libfloe-common.a
LIB_PROTO  := $(LIB)/libfloe-protocol.a
LIB_CODECS := $(LIB)/libfloe-codecs.a
LIB_SERVER := $(LIB)/libfloe-server.a
LIB_DEMO   := $(LIB)/libfloe-demo.a
LIB_CLIENT := $(LIB)/libfloe-client.a
LIB_VMHOST := $(LIB)/libfloe-vmhost.a
LIBS_ALL   := $(LIB_VMHOST) $(LIB_DEMO) $(LIB_SERVER) $(LIB_CLIENT) $(LIB_CODECS) $(LIB_PROTO) $(LIB_COMMON)
INTERNAL    = $(patsubst $(LIB)/%.a,$(LIB)/internal/%.a,$(1))

BASE_LIBS   := $(LIB_CODECS) $(LIB_PROTO) $(LIB_COMMON)
SERVER_LIBS := $(LIB_SERVER) $(BASE_LIBS) $(call pc_libs,$(PKGS_SERVER) $(PKGS_COMMON)) -lm
CLIENT_LIBS := $(LIB_CLIENT) $(BASE_LIBS) $(call pc_libs,$(PKGS_CLIENT) $(PKGS_COMMON)) -lm
ALL_PC_LIBS := $(call pc_libs,$(PKGS_VMHOST) $(PKGS_SERVER) $(PKGS_DEMO) $(PKGS_CLIENT) $(PKGS_COMMON) $(PKGS_TEST)) -lm

# floe-agent, the guest agent: its core (no I/O) is an archive of its own,
# which the unit tests and the fuzz target drive without a guest
AGENT_PROG_SRC := guest-agent/main.c guest-agent/drm.c guest-agent/mouse.c
# With libX11, libXfixes and libXrandr (their -dev packages) floe-agent has
# an X session backend (guest-agent/x11/); without them, and in the test
# guest's static build (tests/guest/build.sh), it is left out.
PKGS_AGENT_X11 := x11 xfixes xrandr
AGENT_X11 := $(shell pkg-config --exists $(PKGS_AGENT_X11) 2>/dev/null && echo 1)
ifeq ($(AGENT_X11),1)
AGENT_X11_SRC := $(wildcard guest-agent/x11/*.c)
AGENT_PROG_SRC += $(AGENT_X11_SRC)
endif
AGENT_SRC  := $(filter-out $(AGENT_PROG_SRC),$(wildcard guest-agent/*.c))
AGENT_CORE := $(LIB)/internal/libfloe-agent.a
AGENT_TESTS := $(TST)/test_agent_core $(TST)/test_agent_clipboard $(TST)/test_agent_xfer
AGENT_TOOLS := $(TST)/agent_x11_peer
DRM_CFLAGS := $(shell pkg-config --cflags libdrm 2>/dev/null || echo -I/usr/include/libdrm)
PROGRAMS := $(BIN)/floe-server $(BIN)/floe-viewer $(BIN)/floe-agent
UNIT_SRC := $(wildcard tests/unit/*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(TST)/%,$(UNIT_SRC))
TOOL_SRC := $(wildcard tests/e2e/*.c)
TOOL_BIN := $(patsubst tests/e2e/%.c,$(TST)/%,$(TOOL_SRC))
BENCH_CODECS := $(BUILD)/bench/codec-bench
BENCH_DETECT := $(BUILD)/bench/detect-bench
BENCH_OFFICE := $(BUILD)/bench/office-probe
BENCH_FILM   := $(BUILD)/bench/film-make
BENCH_SCORE  := $(BUILD)/bench/mjpeg-score
BENCH_TOOLS  := $(BENCH_CODECS) $(BENCH_DETECT) $(BENCH_OFFICE) $(BENCH_FILM) $(BENCH_SCORE)

ifeq ($(V),0)
Q := @
endif

.PHONY: all deps run test test-build bench fuzz clean FORCE
.SECONDARY:
all: $(PROGRAMS) $(LIBS_ALL) $(SPICE_LIB)

deps:
	@scripts/deps.sh

run: deps
	$(MAKE) --no-print-directory all
	@scripts/run.sh $(BIN)

# make test builds everything it runs once, up front and on every core (the
# fuzz targets too), then tests/run.sh runs the suite, several tests at a time.
TEST_BUILD_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
test: deps
	$(MAKE) --no-print-directory -j$(TEST_BUILD_JOBS) BUILD=build/san SAN=1 test-build
	@BUILD=build/san tests/run.sh

test-build: $(PROGRAMS) $(LIBS_ALL) $(SPICE_LIB) $(UNIT_BIN) $(TOOL_BIN) $(BENCH_TOOLS) fuzz-build

bench: deps
	$(MAKE) --no-print-directory all $(BENCH_TOOLS) $(TST)/shape_proxy $(TST)/qxl_host
	@bench/run.sh $(BIN)

clean:
	rm -rf build

# Every object depends on the flags it was built with: the stamp changes
# (and the objects are built again) only when the flags do, e.g. after a
# pull that changed how libraries are built.
FLAGS_STAMP := $(OBJ)/.cflags
$(FLAGS_STAMP): FORCE
	@mkdir -p $(dir $@)
	@echo '$(CC) $(CFLAGS)' | cmp -s - $@ || echo '$(CC) $(CFLAGS)' >$@

$(OBJ)/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	@[ "$(V)" = 0 ] && echo "  CC      $<" || true
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB)/internal/%.a:
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIB)/%.a: $(LIB)/internal/%.a
	@[ "$(V)" = 0 ] && echo "  SEAL    $@" || true
	$(Q)rm -f $@ $(@:.a=.o) && ld -r -o $(@:.a=.o) --whole-archive $< && \
	    objcopy --localize-hidden $(@:.a=.o) && ar rcs $@ $(@:.a=.o) && rm -f $(@:.a=.o)

$(call INTERNAL,$(LIB_COMMON)): $(call objs,$(COMMON_SRC))
$(call INTERNAL,$(LIB_PROTO)):  $(call objs,$(PROTO_SRC))
$(call INTERNAL,$(LIB_CODECS)): $(call objs,$(CODEC_SRC))
$(call INTERNAL,$(LIB_SERVER)): $(call objs,$(SERVER_SRC))
$(call INTERNAL,$(LIB_DEMO)):   $(call objs,$(DEMO_SRC))
$(call INTERNAL,$(LIB_CLIENT)): $(call objs,$(CLIENT_SRC))
$(call INTERNAL,$(LIB_VMHOST)): $(VMHOST_OBJ)
LIB_QEMU_INTERNAL := $(LIB)/internal/libfloe-qemu.a
$(LIB_QEMU_INTERNAL): $(call objs,$(QEMU_SRC))
$(call objs,$(QEMU_SRC)) $(OBJ)/tests/unit/test_qxl_memslots.o $(OBJ)/tests/unit/test_qxl_cmd.o \
    $(OBJ)/tests/unit/test_qxl_record.o: CFLAGS += $(call pc_cflags,$(PKGS_QEMU))

# exactly the functions and versions QEMU imports (the map), nothing else
$(SPICE_LIB): $(call objs,$(QEMU_SRC)) $(LIB_SERVER) $(BASE_LIBS) server/qemu/libspice-server.map
	@mkdir -p $(dir $@)
	@[ "$(V)" = 0 ] && echo "  LD      $@" || true
	$(Q)$(CC) $(LDFLAGS) -shared -Wl,-soname,libspice-server.so.1 -Wl,-z,defs \
	    -Wl,--version-script=server/qemu/libspice-server.map -o $@ \
	    $(call objs,$(QEMU_SRC)) $(SERVER_LIBS) $(call pc_libs,$(PKGS_QEMU))

$(KVM_PROBE_BIN): vmhost/kvm-probe-guest.S
	@mkdir -p $(dir $@)
	@[ "$(V)" = 0 ] && echo "  AS16    $<" || true
	$(Q)$(CC) -E -P -x assembler-with-cpp $< -o $(@:.bin=.s)
	$(Q)as --32 -o $(@:.bin=.o) $(@:.bin=.s)
	$(Q)ld -m elf_i386 -Ttext 0x7c00 --oformat binary -o $@ $(@:.bin=.o)
	$(Q)[ $$(stat -c %s $@) = 512 ] || { echo "$@ is not one 512-byte sector" >&2; rm -f $@; exit 1; }

$(OBJ)/vmhost/kvm-probe-image.o: vmhost/kvm-probe-image.S $(KVM_PROBE_BIN)
	@[ "$(V)" = 0 ] && echo "  AS      $<" || true
	$(Q)$(CC) -c -DKVM_PROBE_BIN='"$(KVM_PROBE_BIN)"' $< -o $@

$(BIN)/floe-server: $(call objs,$(FSERVER_SRC)) $(LIB_VMHOST) $(LIB_DEMO) $(LIB_SERVER) $(BASE_LIBS)
	@mkdir -p $(dir $@)
	@[ "$(V)" = 0 ] && echo "  LD      $@" || true
	$(Q)$(CC) $(LDFLAGS) -o $@ $(call objs,$(FSERVER_SRC)) $(LIB_VMHOST) $(LIB_DEMO) $(SERVER_LIBS) \
	    $(call pc_libs,$(PKGS_VMHOST) $(PKGS_DEMO))

$(AGENT_CORE): $(call objs,$(AGENT_SRC))
$(OBJ)/guest-agent/drm.o: CFLAGS += $(DRM_CFLAGS)
ifeq ($(AGENT_X11),1)
$(call objs,guest-agent/main.c $(AGENT_X11_SRC)): CFLAGS += -DFLOE_AGENT_X11 $(call pc_cflags,$(PKGS_AGENT_X11))
endif
$(BIN)/floe-agent: $(call objs,$(AGENT_PROG_SRC)) $(AGENT_CORE) $(LIB_PROTO)
	@mkdir -p $(dir $@)
	@[ "$(V)" = 0 ] && echo "  LD      $@" || true
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(if $(AGENT_X11),$(call pc_libs,$(PKGS_AGENT_X11)))

$(BIN)/floe-viewer: $(call objs,$(VIEWER_SRC)) $(LIB_CLIENT) $(BASE_LIBS)
	@mkdir -p $(dir $@)
	@[ "$(V)" = 0 ] && echo "  LD      $@" || true
	$(Q)$(CC) $(LDFLAGS) -o $@ $(call objs,$(VIEWER_SRC)) $(CLIENT_LIBS)

# Unit tests and test tools link the sealed libraries, so they see what a
# user of each library sees; the white-box ones (WHITEBOX) link the plain
# archives and may call a library's internals. Each is one program.
WHITEBOX := $(TST)/test_qmp $(TST)/test_rfb $(TST)/qmp_tool $(TST)/vnc_snap $(TST)/test_client_canvas \
            $(TST)/test_vm_state $(TST)/test_display_queue $(TST)/test_chan_queue \
            $(TST)/test_qxl_memslots $(TST)/test_qxl_cmd $(TST)/test_qxl_record $(TST)/test_scroll \
            $(TST)/test_client_stream $(TST)/test_stream_server $(TST)/test_demo_video \
            $(TST)/test_stream_rate $(TST)/test_stream_report $(TST)/test_lossy $(TST)/test_vp8 \
            $(TST)/test_client_agent
# qxl_host and qxl_replay play QEMU for any libspice-server.so.1 they are
# given (floe's or the reference): they load the library at run time and
# link none of floe's, only the host helpers under tests/host/
DLOPEN_TOOLS := $(TST)/qxl_host $(TST)/qxl_replay
$(filter-out $(WHITEBOX) $(DLOPEN_TOOLS) $(AGENT_TESTS) $(AGENT_TOOLS),$(UNIT_BIN) $(TOOL_BIN)): $(LIBS_ALL)
$(filter $(WHITEBOX),$(UNIT_BIN) $(TOOL_BIN)): $(LIB_QEMU_INTERNAL) $(call INTERNAL,$(LIBS_ALL))
$(TST)/%: $(OBJ)/tests/unit/%.o
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(filter %.a,$^) $(ALL_PC_LIBS)

$(TST)/%: $(OBJ)/tests/e2e/%.o
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(filter %.a,$^) $(ALL_PC_LIBS)

# floe-agent's tests drive its core over a socketpair: the core and the
# protocol library, nothing else
$(AGENT_TESTS): $(TST)/%: $(OBJ)/tests/unit/%.o $(AGENT_CORE) $(LIB_PROTO)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(PKGS_TEST))
# agent_x11_peer plays the client to a floe-agent over a pty: the protocol only
$(AGENT_TOOLS): $(TST)/%: $(OBJ)/tests/e2e/%.o $(LIB_PROTO)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^

# (qxl_host's scenarios beyond its own file live in tests/e2e/qxl_host/)
HOST_OBJ := $(call objs,$(wildcard tests/host/*.c))
QXL_HOST_OBJ := $(call objs,$(wildcard tests/e2e/qxl_host/*.c))
$(OBJ)/tests/e2e/qxl_host.o $(OBJ)/tests/e2e/qxl_replay.o $(HOST_OBJ) $(QXL_HOST_OBJ): \
    CFLAGS += $(call pc_cflags,$(PKGS_QEMU))
$(TST)/qxl_host: $(QXL_HOST_OBJ)
$(DLOPEN_TOOLS): $(TST)/%: $(OBJ)/tests/e2e/%.o $(HOST_OBJ)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(filter $(QXL_HOST_OBJ),$^) $(HOST_OBJ) -ldl -lpthread -lm

# The codec bench (bench/codecs.c): built like the programs, optimised and,
# in make bench, without sanitizers.
$(BENCH_CODECS): $(OBJ)/bench/codecs.o $(BASE_LIBS)
	@mkdir -p $(dir $@)
	@[ "$(V)" = 0 ] && echo "  LD      $@" || true
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(BASE_LIBS) $(call pc_libs,$(PKGS_COMMON)) -lm

# The detection bench (bench/detect.c): built the same way; it times
# fsrv_scroll_find, an internal, so it links the plain archives as the
# white-box tests do.
BENCH_DETECT_LIBS := $(call INTERNAL,$(LIB_SERVER) $(BASE_LIBS))
$(BENCH_DETECT): $(OBJ)/bench/detect.o $(BENCH_DETECT_LIBS)
	@mkdir -p $(dir $@)
	@[ "$(V)" = 0 ] && echo "  LD      $@" || true
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(BENCH_DETECT_LIBS) $(call pc_libs,$(PKGS_SERVER) $(PKGS_COMMON)) -lm

# The office bench's client (bench/office.c): a libfloe-client session, linked
# like floe-viewer.
$(BENCH_OFFICE): $(OBJ)/bench/office.o $(LIB_CLIENT) $(BASE_LIBS)
	@mkdir -p $(dir $@)
	@[ "$(V)" = 0 ] && echo "  LD      $@" || true
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(CLIENT_LIBS)

# The MJPEG bench's tools (bench/mjpeg.sh): film-make writes the demo's
# video as a film (an internal of the demo library, so the plain archives),
# mjpeg-score decodes and scores streamed frames with TurboJPEG and libvpx alone.
BENCH_FILM_LIBS := $(call INTERNAL,$(LIB_DEMO) $(LIB_SERVER) $(BASE_LIBS))
$(BENCH_FILM): $(OBJ)/bench/film.o $(BENCH_FILM_LIBS)
	@mkdir -p $(dir $@)
	@[ "$(V)" = 0 ] && echo "  LD      $@" || true
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(BENCH_FILM_LIBS) $(call pc_libs,$(PKGS_DEMO) $(PKGS_SERVER) $(PKGS_COMMON)) -lm
$(BENCH_SCORE): $(OBJ)/bench/mjpeg-score.o
	@mkdir -p $(dir $@)
	@[ "$(V)" = 0 ] && echo "  LD      $@" || true
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(call pc_libs,libturbojpeg vpx) -lm

include tests/fuzz/fuzz.mk

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
