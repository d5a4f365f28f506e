# SPDX-License-Identifier: MIT
# faultline: one non-recursive Makefile.  Objects and generated files live in build/.
#   make            build build/faultlined and build/faultctl
#   make test       install missing dependencies, build, run every test
#   make demo       install missing dependencies, build, run the demo game day
#   make install    PREFIX=/usr/local DESTDIR= (SYSCONFDIR=/etc, UNITDIR, ... below)
#   make uninstall  the same variables: removes exactly what install put there
#   make man        the man pages, build/man/*.[158], from man/*.scd (scdoc)
#   make torture    N=200: the crash torture (scripts/torture.sh); make test runs a short one
#   make soak       SOAK_N=1000: that many experiments in a row (tests/integration/test_soak.sh)
#   make bench      faultline against the peers' mechanisms (bench/run.sh, docs/benchmarks.md);
#                   BENCH="latency abort" runs only those sections
#   V=1             show full commands

.DELETE_ON_ERROR:
.SECONDARY:
.SUFFIXES:

VERSION   := 0.1.0
GIT_REV   := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
PREFIX    ?= /usr/local
DESTDIR   ?=
SBINDIR   ?= $(PREFIX)/sbin
BINDIR    ?= $(PREFIX)/bin
DATADIR   ?= $(PREFIX)/share/faultline
LIBDIR    ?= $(PREFIX)/lib
MANDIR    ?= $(PREFIX)/share/man
DOCDIR    ?= $(PREFIX)/share/doc/faultline
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  ?= $(PREFIX)/share/zsh/site-functions
UNITDIR   ?= $(PREFIX)/lib/systemd/system
# Not under PREFIX: faultlined reads /etc/faultline/faultlined.conf by default, whatever the
# prefix, as chrony and node_exporter packages do.
SYSCONFDIR ?= /etc
BPFDIR    := $(LIBDIR)/faultline/bpf

B         := build
CC        ?= cc
CLANG     ?= clang
BPFTOOL   ?= bpftool

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-8s %s\n' $(1) $(2);
endif

# libcurl: headers only.  It is dlopen()ed on first use (agent/probes/curl_api.c), so that
# neither the agent nor faultctl maps its dependency chain unless an http probe needs it.
LINK_PKGS := libnl-3.0 libnl-route-3.0 libbpf jansson zlib
PKGS      := $(LINK_PKGS) libcurl
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(LINK_PKGS) 2>/dev/null)

WARN      := -Wall -Wextra -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes -Wshadow \
             -Wno-unused-parameter -Wno-format-truncation
ifneq ($(CI),)
WARN      += -Werror
endif
ifneq ($(WERROR),)
WARN      += -Werror
endif
OPT       ?= -O2 -g
CPPFLAGS  += -D_GNU_SOURCE -DFL_VERSION='"$(VERSION)"' -DFL_GIT_REV='"$(GIT_REV)"' \
             -DFL_SYSCONFDIR='"$(SYSCONFDIR)"' \
             -Iagent -I$(B)
CFLAGS    += -std=gnu11 $(OPT) $(WARN) -fno-strict-aliasing $(PKG_CFLAGS) -MMD -MP
LDLIBS    += $(PKG_LIBS) -lm

# ---- sources ---------------------------------------------------------------------------
LIB_SRCS  := $(filter-out agent/main.c,$(wildcard agent/*.c)) \
             $(wildcard agent/faults/*.c) $(wildcard agent/probes/*.c) $(wildcard agent/net/*.c)
AGENT_SRCS:= agent/main.c
CTL_SRCS  := $(wildcard ctl/*.c)
BPF_SRCS  := $(wildcard agent/bpf/*.bpf.c)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
HELP_SRCS := $(wildcard tests/helpers/*.c)
BENCH_SRCS:= $(wildcard bench/*.c)

obj = $(patsubst %.c,$(B)/$(1)/%.o,$(2))

LIB_OBJS  := $(call obj,o,$(LIB_SRCS))
LIB_A     := $(B)/libfaultline.a
BPF_OBJS  := $(patsubst agent/bpf/%.bpf.c,$(B)/bpf/%.bpf.o,$(BPF_SRCS))
BPF_SKELS := $(patsubst agent/bpf/%.bpf.c,$(B)/%.skel.h,$(BPF_SRCS))
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRCS))
HELP_BINS := $(patsubst tests/helpers/%.c,$(B)/tests/%,$(HELP_SRCS))
BENCH_BINS:= $(patsubst bench/%.c,$(B)/bench-bin/%,$(BENCH_SRCS))

# The same library and unit tests, built again with ASan+UBSan.
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
SAN_OBJS  := $(call obj,san,$(LIB_SRCS))
SAN_A     := $(B)/libfaultline-san.a
SAN_BINS  := $(patsubst tests/unit/%.c,$(B)/tests-san/%,$(UNIT_SRCS))
# ... and the agent and faultctl, for integration tests (tests/integration/test_sanitizers.sh).
SAN_PROGS := $(B)/san-bin/faultlined $(B)/san-bin/faultctl

# libFuzzer harnesses (clang): the library again with -fsanitize=fuzzer-no-link, one binary each.
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(FUZZ_SRCS))
FUZZ_CFLAGS := -std=gnu11 -g -O1 -w -fno-omit-frame-pointer $(PKG_CFLAGS) \
               -fsanitize=fuzzer-no-link,address,undefined
FUZZ_OBJS := $(call obj,fuzzo,$(LIB_SRCS))
FUZZ_TIME ?= 300

.PHONY: all deps test unit-test integration-test demo install uninstall clean bpf fuzz fuzz-build \
	man FORCE torture soak bench
all: $(B)/faultlined $(B)/faultctl

deps:
	$(Q)./scripts/install-deps.sh

# ---- BPF: vmlinux.h from the running kernel's BTF, objects, skeletons -----------------
$(B)/vmlinux.h:
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(B)/bpf/%.bpf.o: agent/bpf/%.bpf.c $(B)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_x86 -I$(B) -Iagent/bpf -c $< -o $@

$(B)/%.skel.h: $(B)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

bpf: $(BPF_SKELS)

# ---- C ---------------------------------------------------------------------------------
$(B)/o/%.o: %.c | $(BPF_SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(B)/san/%.o: %.c | $(BPF_SKELS)
	$(call msg,CC-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN_FLAGS) -O1 -c $< -o $@

$(LIB_A): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(SAN_A): $(SAN_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/faultlined: $(call obj,o,$(AGENT_SRCS)) $(LIB_A)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/faultctl: $(call obj,o,$(CTL_SRCS)) $(LIB_A)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/test_%: $(B)/o/tests/unit/test_%.o $(LIB_A)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

$(B)/tests-san/test_%: $(B)/san/tests/unit/test_%.o $(SAN_A)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $(SAN_FLAGS) -o $@ $^ $(LDLIBS) -lcmocka

$(B)/san-bin/faultlined: $(call obj,san,$(AGENT_SRCS)) $(SAN_A)
	$(call msg,LD-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $(SAN_FLAGS) -o $@ $^ $(LDLIBS)

$(B)/san-bin/faultctl: $(call obj,san,$(CTL_SRCS)) $(SAN_A)
	$(call msg,LD-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $(SAN_FLAGS) -o $@ $^ $(LDLIBS)

$(B)/fuzzo/%.o: %.c | $(BPF_SKELS)
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(CPPFLAGS) $(FUZZ_CFLAGS) -c $< -o $@

$(B)/fuzz/fuzz_%: $(B)/fuzzo/tests/fuzz/fuzz_%.o $(FUZZ_OBJS)
	$(call msg,LD-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS)

fuzz-build: $(FUZZ_BINS)

# Each harness for FUZZ_TIME seconds on a copy of its seed corpus.
fuzz: deps
	$(Q)$(MAKE) --no-print-directory fuzz-build
	$(Q)FUZZ_TIME=$(FUZZ_TIME) ./tests/fuzz/run.sh

$(B)/tests/%: $(B)/o/tests/helpers/%.o
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^

# ---- tests and demo ----------------------------------------------------------------------
test: deps
	$(Q)$(MAKE) --no-print-directory all tests-build man
	$(Q)./tests/run.sh

tests-build: $(UNIT_BINS) $(SAN_BINS) $(SAN_PROGS) $(HELP_BINS) $(FUZZ_BINS) $(BENCH_BINS)

unit-test: all tests-build
	$(Q)./tests/run.sh unit

integration-test: all tests-build
	$(Q)./tests/run.sh integration

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)./scripts/demo.sh

N ?= 200
torture: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)./scripts/torture.sh $(N)

# The benchmark's own programs link the agent's library (make test builds them too, so that
# they keep compiling).
$(B)/bench-bin/%: $(B)/o/bench/%.o $(LIB_A)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

BENCH ?=
bench: deps
	$(Q)$(MAKE) --no-print-directory all $(HELP_BINS) $(BENCH_BINS)
	$(Q)./bench/run.sh $(BENCH)

SOAK_N ?= 1000
soak: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)SOAK_N=$(SOAK_N) bash tests/integration/test_soak.sh

# ---- man pages, unit ---------------------------------------------------------------------
MAN_SRCS  := $(wildcard man/*.scd)
MAN_PAGES := $(patsubst man/%.scd,$(B)/man/%,$(MAN_SRCS))
EXAMPLES  := $(filter-out experiments/schema.json,$(wildcard experiments/*.json))

man: $(MAN_PAGES)

$(B)/man/%: man/%.scd
	$(call msg,SCDOC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)scdoc < $< > $@

# The unit names the installed paths (without DESTDIR).  FORCE: PREFIX may differ per call.
$(B)/dist/faultlined.service: dist/faultlined.service.in FORCE
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@BINDIR@|$(BINDIR)|g' \
		-e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' $< > $@

FORCE:

# ---- install -----------------------------------------------------------------------------
# Every file install creates is listed in uninstall, which removes those files and then only
# the directories that belong to faultline, when empty.  The config file is installed only
# when absent and removed only when unchanged, so an administrator's edits survive both.
install: all man $(B)/dist/faultlined.service
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/experiments \
		$(DESTDIR)$(BPFDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR) $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/faultline
	install -m 0755 $(B)/faultlined $(DESTDIR)$(SBINDIR)/faultlined
	install -m 0755 $(B)/faultctl $(DESTDIR)$(BINDIR)/faultctl
	install -m 0644 $(EXAMPLES) $(DESTDIR)$(DATADIR)/experiments/
	install -m 0644 experiments/schema.json $(DESTDIR)$(DATADIR)/schema.json
	install -m 0644 $(BPF_OBJS) $(DESTDIR)$(BPFDIR)/
	install -m 0644 $(B)/man/faultctl.1 $(DESTDIR)$(MANDIR)/man1/faultctl.1
	install -m 0644 $(B)/man/faultline-experiment.5 \
		$(DESTDIR)$(MANDIR)/man5/faultline-experiment.5
	install -m 0644 $(B)/man/faultlined.8 $(DESTDIR)$(MANDIR)/man8/faultlined.8
	install -m 0644 docs/experiment-format.md $(DESTDIR)$(DOCDIR)/experiment-format.md
	install -m 0644 dist/completion/faultctl.bash $(DESTDIR)$(BASHCOMPDIR)/faultctl
	install -m 0644 dist/completion/_faultctl $(DESTDIR)$(ZSHCOMPDIR)/_faultctl
	install -m 0644 $(B)/dist/faultlined.service $(DESTDIR)$(UNITDIR)/faultlined.service
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/faultline/faultlined.conf ]; then \
		echo "  keeping $(DESTDIR)$(SYSCONFDIR)/faultline/faultlined.conf"; \
	else \
		install -m 0644 dist/faultlined.conf \
			$(DESTDIR)$(SYSCONFDIR)/faultline/faultlined.conf; \
	fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/faultlined $(DESTDIR)$(BINDIR)/faultctl
	rm -f $(addprefix $(DESTDIR)$(DATADIR)/experiments/,$(notdir $(EXAMPLES)))
	rm -f $(DESTDIR)$(DATADIR)/schema.json
	rm -f $(addprefix $(DESTDIR)$(BPFDIR)/,$(notdir $(BPF_OBJS)))
	rm -f $(DESTDIR)$(MANDIR)/man1/faultctl.1 $(DESTDIR)$(MANDIR)/man5/faultline-experiment.5 \
		$(DESTDIR)$(MANDIR)/man8/faultlined.8
	rm -f $(DESTDIR)$(DOCDIR)/experiment-format.md
	rm -f $(DESTDIR)$(BASHCOMPDIR)/faultctl $(DESTDIR)$(ZSHCOMPDIR)/_faultctl
	rm -f $(DESTDIR)$(UNITDIR)/faultlined.service
	@if cmp -s dist/faultlined.conf $(DESTDIR)$(SYSCONFDIR)/faultline/faultlined.conf; then \
		rm -f $(DESTDIR)$(SYSCONFDIR)/faultline/faultlined.conf; \
	elif [ -e $(DESTDIR)$(SYSCONFDIR)/faultline/faultlined.conf ]; then \
		echo "  keeping the edited $(DESTDIR)$(SYSCONFDIR)/faultline/faultlined.conf"; \
	fi
	-rmdir $(DESTDIR)$(DATADIR)/experiments $(DESTDIR)$(DATADIR) $(DESTDIR)$(BPFDIR) \
		$(DESTDIR)$(LIBDIR)/faultline $(DESTDIR)$(DOCDIR) \
		$(DESTDIR)$(SYSCONFDIR)/faultline 2>/dev/null

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
