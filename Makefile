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

# What every program links: the imsg library, the portable layer, and
# the shared set kept in innernetd/ (as bgpctl links bgpd's util.c):
# logging, the checks of addresses, names and keys, and the imsg pipes.
IMSG_SRCS	:= imsg/imsg.c imsg/imsg-buffer.c
COMPAT_SRCS	:= compat/memtrim.c compat/pledge_linux.c compat/unveil_linux.c
COMMON_SRCS	:= $(IMSG_SRCS) $(COMPAT_SRCS) \
	innernetd/log.c innernetd/util.c innernetd/proc.c

# innernetd: the parent, and the engine it starts as `innernetd -E'.
PARENT_SRCS	:= innernetd/innernetd.c innernetd/config.c innernetd/hosts.c
# The engine: setup and registry, control socket, the network machine,
# the server role, the client role and install, then what they share;
# last the watch, our extension (server, client, deltas).
ENGINE_SRCS	:= innernetd/engine.c innernetd/req.c innernetd/netlist.c \
	innernetd/control.c innernetd/ctl.c innernetd/import.c innernetd/net.c \
	innernetd/server.c innernetd/server_wg.c innernetd/http.c \
	innernetd/api_user.c innernetd/api_admin.c innernetd/statedoc.c \
	innernetd/client.c innernetd/client_wg.c innernetd/client_admin.c \
	innernetd/chttp.c innernetd/install.c innernetd/nat.c \
	innernetd/hostlines.c innernetd/pin.c innernetd/netstate.c \
	innernetd/json.c innernetd/watch.c innernetd/cwatch.c \
	innernetd/delta.c
INNERNETD_SRCS	:= $(PARENT_SRCS) $(ENGINE_SRCS)

# innernet-dbd: main and dispatch, then the database layer.
DB_SRCS		:= innernet-dbd/db.c innernet-dbd/db_network.c \
	innernet-dbd/db_peer.c innernet-dbd/db_cidr.c innernet-dbd/db_assoc.c \
	innernet-dbd/db_client.c innernet-dbd/db_version.c
DBD_SRCS	:= innernet-dbd/dbd.c $(DB_SRCS)

# innernet-wgd: main and dispatch, then WireGuard, links, keys, netlink.
WG_SRCS		:= innernet-wgd/backend.c innernet-wgd/links.c \
	innernet-wgd/keys.c innernet-wgd/endpoints.c innernet-wgd/wg_genl.c \
	innernet-wgd/wg_uapi.c innernet-wgd/netlink.c innernet-wgd/rtnl.c
WGD_SRCS	:= innernet-wgd/wgd.c $(WG_SRCS)

CTL_SRCS	:= innernetctl/innernetctl.c innernetctl/parser.c \
	innernetctl/output.c innernetctl/prompt.c innernetctl/invite.c

obj	= $(patsubst %.c,$(B)/obj/%.o,$(1))

PROGS	:= $(B)/innernetd $(B)/innernet-dbd $(B)/innernet-wgd $(B)/innernetctl

all: $(PROGS)

$(B)/obj/%.o: %.c innernetd/innernet.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(B)/innernetd: $(call obj,$(INNERNETD_SRCS) $(COMMON_SRCS))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_EVENT) $(LIB_JANSSON) $(LIB_SODIUM) \
		$(LIB_YAML) $(LIB_Z) $(LIB_BSD)

$(B)/innernet-dbd: $(call obj,$(DBD_SRCS) $(COMMON_SRCS))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_EVENT) $(LIB_SQLITE) $(LIB_JANSSON) \
		$(LIB_SODIUM) $(LIB_BSD)

$(B)/innernet-wgd: $(call obj,$(WGD_SRCS) $(COMMON_SRCS))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_EVENT) $(LIB_MNL) $(LIB_SODIUM) \
		$(LIB_BSD)

$(B)/innernetctl: $(call obj,$(CTL_SRCS) $(COMMON_SRCS))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_EVENT) $(LIB_JANSSON) $(LIB_SODIUM) \
		$(LIB_BSD)

# Unit tests: each regress/unit/<area>.mk adds to UNIT_TESTS, a list of
# $(B)/regress/<name> programs, with its own link rule; the others add
# the harnesses, fuzz targets and benchmarks.
UNIT_TESTS :=
include regress/unit/config.mk regress/unit/ctl.mk regress/unit/dbd.mk \
	regress/unit/engine.mk regress/unit/genl.mk regress/unit/hosts.mk \
	regress/unit/imsg.mk regress/unit/inputs.mk regress/unit/sandbox.mk \
	regress/unit/watch.mk regress/wgd/wgd.mk regress/fuzz/fuzz.mk regress/bench/bench.mk \
	regress/load/load.mk

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
		sqlite3 mandoc netcat-openbsd curl jq nftables wrk systemd python3 \
		gcc-aarch64-linux-gnu libc6-dev-arm64-cross \
		gcc-i686-linux-gnu libc6-dev-i386-cross \
		gcc-arm-linux-gnueabihf libc6-dev-armhf-cross

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
