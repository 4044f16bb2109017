# innernet in C: GNU make, pkg-config.
#
#	make			build everything into $(B)/
#	make check		unit tests, then the namespace suite (root),
#				on a regress build (see REGRESS)
#	make SAN=1 check	the same with AddressSanitizer + UBSan
#	make REGRESS=1		a regress build into $(B)-regress/: with the
#				switches by which the suite makes a child
#				break out of its sandbox (-DIN_REGRESS) and
#				INNERNET_SANDBOX_LOG; a default build has
#				neither.  One scenario on it:
#				make REGRESS=1 && B=build-regress \
#				REGRESS_ONLY=t_sandbox sh regress/run.sh
#	make check-parallel	make check in this tree and a copy at once
#	make SHARED=1		link every library shared (see LIB_*)
#	make install DESTDIR= PREFIX=
#	make deps		install build and test dependencies (Debian)
#	make demo		a server and two peers in namespaces

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DESTDIR	?=

CC	?= cc
PKG_CONFIG ?= pkg-config

ifeq ($(SAN),1)
B	:= build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined -DIN_SANITIZE
else
B	:= build
SANFLAGS :=
endif

# `make check` runs on a regress build of its own, never on what
# `make install` would install.
REGRESSFLAGS :=
ifeq ($(REGRESS),1)
B	:= $(B)-regress
REGRESSFLAGS := -DIN_REGRESS
endif

WARN	:= -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow \
	-Wpointer-arith -Wmissing-prototypes -Wstrict-prototypes
CFLAGS	?= -O2 -g
CFLAGS	+= -std=gnu11 $(WARN) $(SANFLAGS) $(REGRESSFLAGS) -D_GNU_SOURCE \
	-Iinnernetd -Iimsg -Icompat -Iinnernetctl \
	$(shell $(PKG_CONFIG) --cflags libbsd-overlay)
LDFLAGS	+= $(SANFLAGS)

pc	= $(shell $(PKG_CONFIG) --cflags --libs $(1))

# libevent, libsodium, jansson, libyaml and libbsd are linked statically
# (libc, SQLite and libmnl stay shared): each of the four daemons would
# otherwise map and relocate seven libraries of which it uses a little.
# At 10,000 peers that is 2.3 MiB of the set's resident memory.  A fix
# to one of them then needs a rebuild; SHARED=1 links them all shared.
# Sanitizer builds link shared.
ifeq ($(SHARED)$(SAN),)
pcs	= -Wl,-Bstatic $(shell $(PKG_CONFIG) --libs --static $(1)) \
	-Wl,-Bdynamic
else
pcs	= $(call pc,$(1))
endif

LIB_EVENT = $(call pcs,libevent)
LIB_SQLITE = $(call pc,sqlite3)
LIB_MNL = $(call pc,libmnl)
LIB_SODIUM = $(call pcs,libsodium)
LIB_BSD = $(call pcs,libbsd-overlay)
LIB_YAML = $(call pcs,yaml-0.1)
LIB_JANSSON = $(call pcs,jansson)
# zlib: gzip of full states for our watching clients (README, Dependencies)
LIB_Z = $(call pcs,zlib)

# Code every program links: the imsg library, the portable layer, logging
# and the small helpers for addresses, names and keys.
COMMON_SRCS := $(wildcard imsg/*.c) $(wildcard compat/*.c) \
	innernetd/log.c innernetd/util.c

INNERNETD_SRCS := $(filter-out innernetd/log.c innernetd/util.c, \
	$(wildcard innernetd/*.c))
DBD_SRCS	:= $(wildcard innernet-dbd/*.c)
WGD_SRCS	:= $(wildcard innernet-wgd/*.c)
CTL_SRCS	:= $(wildcard innernetctl/*.c)

obj	= $(patsubst %.c,$(B)/obj/%.o,$(1))

# While the tree is being built up, a program is built once all of its
# parts exist; the suite skips what needs a program that is not there.
INNERNETD_PARTS := innernetd/config.c innernetd/control.c innernetd/ctl.c \
	innernetd/client.c
PROGS	:=
ifeq ($(sort $(wildcard $(INNERNETD_PARTS))),$(sort $(INNERNETD_PARTS)))
PROGS	+= $(B)/innernetd
endif
ifneq ($(DBD_SRCS),)
PROGS	+= $(B)/innernet-dbd
endif
ifneq ($(WGD_SRCS),)
PROGS	+= $(B)/innernet-wgd
endif
ifneq ($(CTL_SRCS),)
PROGS	+= $(B)/innernetctl
endif

all: $(PROGS)

$(B)/obj/%.o: %.c innernetd/innernet.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

# The parent writes the hosts file wgd builds (wgd may only read it).
$(B)/innernetd: $(call obj,$(INNERNETD_SRCS) $(COMMON_SRCS) \
	innernet-wgd/hosts.c)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_EVENT) $(LIB_JANSSON) $(LIB_SODIUM) \
		$(LIB_YAML) $(LIB_Z) $(LIB_BSD)

$(B)/innernet-dbd: $(call obj,$(DBD_SRCS) $(COMMON_SRCS))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_EVENT) $(LIB_SQLITE) $(LIB_JANSSON) \
		$(LIB_SODIUM) $(LIB_BSD)

$(B)/innernet-wgd: $(call obj,$(WGD_SRCS) $(COMMON_SRCS))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_EVENT) $(LIB_MNL) $(LIB_SODIUM) \
		$(LIB_BSD)

$(B)/innernetctl: $(call obj,$(sort $(CTL_SRCS) $(COMMON_SRCS)))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_EVENT) $(LIB_JANSSON) $(LIB_SODIUM) \
		$(LIB_BSD)

# Unit tests: each regress/unit/<area>.mk adds to UNIT_TESTS, a list of
# $(B)/regress/<name> programs, with its own link rule.
UNIT_TESTS :=
include $(wildcard regress/*/*.mk)

-include $(shell find $(B) -name '*.d' 2>/dev/null)

unit: $(PROGS) $(UNIT_TESTS)
	@B=$(B) sh regress/run-unit.sh $(UNIT_TESTS)

CHECK_FUZZ_SECONDS ?= 10

ifeq ($(REGRESS),1)
check: $(PROGS) $(UNIT_TESTS) fuzz
	@B=$(B) FZ=$(FZ) FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS) \
		FUZZ_TARGETS="$(FUZZ_TARGETS)" sh regress/run.sh $(UNIT_TESTS)
else
check:
	@$(MAKE) --no-print-directory REGRESS=1 check
endif

# make check twice at once, in this tree and in a copy of it (slow; see
# regress/parallel.sh); PARALLEL_HOGS=N adds N busy loops.
check-parallel:
	@sh regress/parallel.sh

lint-man:
	@sh regress/man/lint.sh

deps:
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y \
		--no-install-recommends \
		build-essential clang pkg-config libevent-dev libsqlite3-dev \
		libmnl-dev libsodium-dev libbsd-dev libyaml-dev libjansson-dev \
		zlib1g-dev \
		wireguard-go wireguard-tools iproute2 iputils-ping procps \
		sqlite3 mandoc netcat-openbsd curl jq nftables wrk systemd \
		gcc-aarch64-linux-gnu libc6-dev-arm64-cross

# The demo installs what it lacks first, so it is one command on a fresh
# Debian machine.
demo:
	@command -v wireguard-go >/dev/null 2>&1 && command -v jq \
		>/dev/null 2>&1 && $(PKG_CONFIG) --exists libevent sqlite3 \
		libmnl libsodium libbsd-overlay yaml-0.1 jansson zlib || $(MAKE) deps
	@$(MAKE) all
	@B=$(B) sh regress/netns/demo.sh

UNITDIR	?= /lib/systemd/system
SYSUSERSDIR ?= /usr/lib/sysusers.d
TMPFILESDIR ?= /usr/lib/tmpfiles.d
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/vendor-completions

install: $(PROGS)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) \
		$(DESTDIR)$(SYSCONFDIR)
	install -m 0755 $(PROGS) $(DESTDIR)$(SBINDIR)/
	install -m 0644 man/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 man/*.8 $(DESTDIR)$(MANDIR)/man8/
	sed 's|@SBINDIR@|$(SBINDIR)|g' etc/systemd/innernetd.service.in \
		> $(DESTDIR)$(UNITDIR)/innernetd.service
	install -m 0644 etc/sysusers.d-innernet.conf \
		$(DESTDIR)$(SYSUSERSDIR)/innernet.conf
	install -m 0644 etc/tmpfiles.d-innernet.conf \
		$(DESTDIR)$(TMPFILESDIR)/innernet.conf
	[ -e $(DESTDIR)$(SYSCONFDIR)/innernet.conf ] || \
		install -m 0644 etc/innernet.conf $(DESTDIR)$(SYSCONFDIR)/
	if [ -f etc/bash_completion.d/innernetctl ]; then \
		install -d $(DESTDIR)$(BASHCOMPDIR) && install -m 0644 \
		etc/bash_completion.d/innernetctl $(DESTDIR)$(BASHCOMPDIR)/; fi
	if [ -f etc/zsh/_innernetctl ]; then \
		install -d $(DESTDIR)$(ZSHCOMPDIR) && install -m 0644 \
		etc/zsh/_innernetctl $(DESTDIR)$(ZSHCOMPDIR)/; fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/innernetd $(DESTDIR)$(SBINDIR)/innernet-dbd \
		$(DESTDIR)$(SBINDIR)/innernet-wgd $(DESTDIR)$(SBINDIR)/innernetctl
	rm -f $(DESTDIR)$(MANDIR)/man5/innernet.conf.5 \
		$(DESTDIR)$(MANDIR)/man8/innernetd.8 \
		$(DESTDIR)$(MANDIR)/man8/innernet-dbd.8 \
		$(DESTDIR)$(MANDIR)/man8/innernet-wgd.8 \
		$(DESTDIR)$(MANDIR)/man8/innernetctl.8
	rm -f $(DESTDIR)$(UNITDIR)/innernetd.service \
		$(DESTDIR)$(SYSUSERSDIR)/innernet.conf \
		$(DESTDIR)$(TMPFILESDIR)/innernet.conf \
		$(DESTDIR)$(BASHCOMPDIR)/innernetctl \
		$(DESTDIR)$(ZSHCOMPDIR)/_innernetctl

clean:
	rm -rf build build-san build-regress build-san-regress

.PHONY: all unit check check-parallel lint-man deps demo install uninstall clean
