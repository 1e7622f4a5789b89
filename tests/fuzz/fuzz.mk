# libFuzzer targets for the protocol parsers and the server's read path;
# included from the main Makefile.
# `make fuzz` runs each for FUZZ_SECONDS (default 60), `make fuzz-smoke` for 5.

# Included anywhere in the main Makefile, this must not become its default goal.
_fuzz_saved_goal := $(.DEFAULT_GOAL)

BUILD        ?= build
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_DIR     := $(BUILD)/fuzz
# one target per tests/fuzz/fuzz_<t>.c, seeded from tests/fuzz/corpus/<t>/
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
# built from the sources with clang, never from the gcc-built libraries
# every target is built with the protocol and codec sources and their libraries
FUZZ_SRC     := $(wildcard common/*.c protocol/spice/*.c protocol/rfb/*.c codecs/*.c)
FUZZ_HDRS    := $(wildcard common/*.h protocol/*.h protocol/spice/*.h protocol/rfb/*.h codecs/*.h tests/fuzz/*.h) tests/unit/data/seabios_capture.h
FUZZ_LIBS    := $(shell pkg-config --libs libpng zlib liblz4 libturbojpeg libjpeg vpx pixman-1 2>/dev/null) -lm
# fuzz_server runs a whole libfloe-server (no demo source: it needs fonts);
# FUZZ_SRC_<t>, FUZZ_CFLAGS_<t> and FUZZ_LIBS_<t> add to target <t>'s build
FUZZ_PKGS_server := libuv pixman-1 openssl libpng zlib
FUZZ_SRC_server  := $(wildcard server/*.c server/net/*.c \
                    server/display/*.c)
FUZZ_HDRS_server := $(wildcard server/*.h server/display/*.h server/include/floe/*.h)
FUZZ_CFLAGS_server := -Iserver/include $(shell pkg-config --cflags $(FUZZ_PKGS_server) 2>/dev/null)
FUZZ_LIBS_server := $(shell pkg-config --libs $(FUZZ_PKGS_server) 2>/dev/null) -lm
# fuzz_inputs_host is fuzz_server with an input host (INPUTS read by the host)
FUZZ_SRC_inputs_host    := $(FUZZ_SRC_server)
FUZZ_HDRS_inputs_host   := $(FUZZ_HDRS_server) tests/fuzz/fuzz_server.c
FUZZ_CFLAGS_inputs_host := $(FUZZ_CFLAGS_server)
FUZZ_LIBS_inputs_host   := $(FUZZ_LIBS_server)
# fuzz_agent_relay is fuzz_server's MAIN with a guest agent attached
FUZZ_SRC_agent_relay    := $(FUZZ_SRC_server)
FUZZ_HDRS_agent_relay   := $(FUZZ_HDRS_server) tests/fuzz/fuzz_server.c
FUZZ_CFLAGS_agent_relay := $(FUZZ_CFLAGS_server)
FUZZ_LIBS_agent_relay   := $(FUZZ_LIBS_server)
# fuzz_client drives libfloe-client's read path and its canvas drawing
FUZZ_PKGS_client := pixman-1 openssl libpng zlib
FUZZ_SRC_client  := $(wildcard client/*.c)
FUZZ_HDRS_client := $(wildcard client/*.h client/include/floe/*.h)
FUZZ_CFLAGS_client := -Iclient/include $(shell pkg-config --cflags $(FUZZ_PKGS_client) 2>/dev/null)
FUZZ_LIBS_client := $(shell pkg-config --libs $(FUZZ_PKGS_client) 2>/dev/null) -lm
# fuzz_qmp drives vmhost's QMP line parser (json-c)
FUZZ_SRC_qmp    := vmhost/qmp-parse.c
FUZZ_HDRS_qmp   := vmhost/qmp-parse.h
FUZZ_CFLAGS_qmp := $(shell pkg-config --cflags json-c 2>/dev/null)
FUZZ_LIBS_qmp   := $(shell pkg-config --libs json-c 2>/dev/null)
# fuzz_qxl drives the guest-memory checkpoint of floe's library for QEMU
FUZZ_SRC_qxl    := server/qemu/memslots.c
FUZZ_HDRS_qxl   := server/qemu/memslots.h
FUZZ_CFLAGS_qxl := $(shell pkg-config --cflags spice-server spice-protocol 2>/dev/null)
# fuzz_qxl_cmd drives the QXL command parser and the renderer over guest memory
FUZZ_SRC_qxl_cmd    := $(addprefix server/qemu/,memslots.c qxl-cmd.c qxl-image.c qxl-cursor.c qxl-render.c)
FUZZ_HDRS_qxl_cmd   := $(wildcard server/qemu/*.h)
FUZZ_CFLAGS_qxl_cmd := $(shell pkg-config --cflags spice-server spice-protocol pixman-1 2>/dev/null)
FUZZ_LIBS_qxl_cmd   := $(shell pkg-config --libs pixman-1 2>/dev/null)
# fuzz_qxl_record drives the reader of QXL recordings that qxl_replay plays
FUZZ_SRC_qxl_record    := tests/host/qxl-record-read.c
FUZZ_HDRS_qxl_record   := tests/host/qxl-record-read.h server/qemu/record.h
FUZZ_CFLAGS_qxl_record := $(shell pkg-config --cflags spice-server spice-protocol 2>/dev/null)
# fuzz_agent drives floe-agent's core (the guest agent's message parser)
FUZZ_SRC_agent  := $(filter-out guest-agent/main.c guest-agent/drm.c guest-agent/mouse.c,$(wildcard guest-agent/*.c))
FUZZ_HDRS_agent := $(wildcard guest-agent/*.h)
FUZZ_CFLAGS  ?= -g -O1
FUZZ_FLAGS   := $(FUZZ_CFLAGS) -std=gnu11 -D_GNU_SOURCE -I. -Wall -Wextra -Werror \
                -Wno-unused-parameter -fno-omit-frame-pointer $(shell pkg-config --cflags pixman-1 2>/dev/null) \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_RUN_FLAGS ?= -timeout=10 -rss_limit_mb=2048 -print_final_stats=1

FUZZ_BINS := $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_TARGETS))

.PHONY: fuzz fuzz-smoke fuzz-build fuzz-corpus $(addprefix fuzz-run-,$(FUZZ_TARGETS))

fuzz: $(addprefix fuzz-run-,$(FUZZ_TARGETS))

fuzz-smoke: FUZZ_SECONDS = 5
fuzz-smoke: $(addprefix fuzz-run-,$(FUZZ_TARGETS))

fuzz-build: $(FUZZ_BINS)

# Each source is compiled once: the protocol and codec sources every target
# shares into obj/common/, a target's own sources (its fuzz_<t>.c and
# FUZZ_SRC_<t>) with its FUZZ_CFLAGS_<t> into obj/<t>/; each target links
# its objects with the shared ones.
FUZZ_OBJ := $(FUZZ_DIR)/obj
fuzz_objs = $(patsubst %.c,$(FUZZ_OBJ)/$(1)/%.o,$(2))
FUZZ_COMMON_OBJ := $(call fuzz_objs,common,$(FUZZ_SRC))

$(FUZZ_OBJ)/common/%.o: %.c $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $<"
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -c $< -o $@

define fuzz_target_rules
$(FUZZ_OBJ)/$(1)/%.o: %.c $(FUZZ_HDRS) $(FUZZ_HDRS_$(1))
	@mkdir -p $$(dir $$@)
	@echo "  FUZZCC  $$< ($(1))"
	$$(Q)$$(FUZZ_CC) $$(FUZZ_FLAGS) $$(FUZZ_CFLAGS_$(1)) -c $$< -o $$@

$(FUZZ_DIR)/fuzz_$(1): $(call fuzz_objs,$(1),tests/fuzz/fuzz_$(1).c $(FUZZ_SRC_$(1))) $(FUZZ_COMMON_OBJ)
	@echo "  FUZZLD  $$@"
	$$(Q)$$(FUZZ_CC) $$(FUZZ_FLAGS) -o $$@ $$^ $$(FUZZ_LIBS_$(1)) $$(FUZZ_LIBS)
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_target_rules,$(t))))

# (static pattern rules: make skips implicit rules for .PHONY targets)
# Each run works on a scratch copy of the seeds, so the tree's corpus stays
# small; libFuzzer exits non-zero on a crash, leak or timeout, failing make.
$(addprefix fuzz-run-,$(FUZZ_TARGETS)): fuzz-run-%: $(FUZZ_DIR)/fuzz_%
	@rm -rf $(FUZZ_DIR)/corpus-$* && mkdir -p $(FUZZ_DIR)/corpus-$*
	@cp tests/fuzz/corpus/$*/* $(FUZZ_DIR)/corpus-$*/
	@echo "  FUZZ    $* for $(FUZZ_SECONDS) s"
	$(Q)$< $(FUZZ_RUN_FLAGS) -max_total_time=$(FUZZ_SECONDS) \
	    -artifact_prefix=$(FUZZ_DIR)/crash-$*- $(FUZZ_DIR)/corpus-$* \
	    > $(FUZZ_DIR)/fuzz-$*.log 2>&1 || { tail -n 60 $(FUZZ_DIR)/fuzz-$*.log; exit 1; }
	@grep -E '^(stat::number_of_executed_units|Done)' $(FUZZ_DIR)/fuzz-$*.log || true

# Rewrites tests/fuzz/corpus/{link,display,draw,stream,agent}/ from floe's encoders and
# the reference capture (corpus/server/ is hand-made and holds found bugs: kept).
fuzz-corpus:
	@mkdir -p $(FUZZ_DIR)
	$(Q)$(FUZZ_CC) -std=gnu11 -D_GNU_SOURCE -I. -Wall -Wextra -Werror -Wno-unused-parameter \
	    $(shell pkg-config --cflags pixman-1 2>/dev/null) -o $(FUZZ_DIR)/gen_corpus \
	    tests/fuzz/gen_corpus.c $(FUZZ_SRC) $(FUZZ_LIBS)
	$(Q)rm -rf tests/fuzz/corpus/link tests/fuzz/corpus/display tests/fuzz/corpus/draw \
	    tests/fuzz/corpus/stream tests/fuzz/corpus/agent && \
	    $(FUZZ_DIR)/gen_corpus tests/fuzz/corpus

.DEFAULT_GOAL := $(_fuzz_saved_goal)
