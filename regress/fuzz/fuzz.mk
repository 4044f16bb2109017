# libFuzzer targets (clang).  `make fuzz` builds them into $(FZ);
# `make fuzz-run FUZZ_SECONDS=N` runs each for N seconds on a copy of its
# seed corpus and reports executions and crashes; a crash input is kept
# in $(FZ)/crash-<target>-* and fails the run.

FUZZ_CC		?= clang
FZ		:= build-fuzz
FUZZ_SECONDS	?= 60
FUZZ_CFLAGS	 = -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 \
	-D_GNU_SOURCE -Iinnernetd -Iimsg -Icompat -Iinnernetctl \
	$(shell $(PKG_CONFIG) --cflags libbsd-overlay)

FUZZ_ENGINE_SRCS := innernetd/json.c innernetd/netstate.c innernetd/util.c \
	innernetd/log.c

fuzz_imsg_SRCS	:= $(IMSG_SRCS)
fuzz_imsg_LIBS	 = $(LIB_BSD)
fuzz_config_SRCS := innernetd/config.c innernetd/util.c innernetd/log.c
fuzz_config_LIBS = $(LIB_YAML) $(LIB_SODIUM) $(LIB_BSD)
fuzz_invite_SRCS := innernetctl/invite.c innernetd/util.c innernetd/log.c
fuzz_invite_LIBS = $(LIB_JANSSON) $(LIB_SODIUM) $(LIB_BSD)
fuzz_json_SRCS	:= $(FUZZ_ENGINE_SRCS) $(IMSG_SRCS)
fuzz_json_LIBS	 = $(LIB_JANSSON) $(LIB_SODIUM) $(LIB_EVENT) $(LIB_BSD)
fuzz_http_SRCS	:= innernetd/http.c innernetd/api_user.c innernetd/api_admin.c \
	compat/memtrim.c innernetd/watch.c innernetd/delta.c \
	innernetd/server.c innernetd/server_wg.c innernetd/net.c \
	innernetd/hostlines.c \
	innernetd/statedoc.c $(FUZZ_ENGINE_SRCS) $(IMSG_SRCS)
fuzz_http_LIBS	 = $(LIB_JANSSON) $(LIB_SODIUM) $(LIB_EVENT) $(LIB_Z) $(LIB_BSD)
# What a watching client takes from the server: gzip bodies, deltas
# applied to the state it holds, versions.
fuzz_delta_SRCS	:= innernetd/delta.c $(FUZZ_ENGINE_SRCS) $(IMSG_SRCS)
fuzz_delta_LIBS	 = $(LIB_JANSSON) $(LIB_SODIUM) $(LIB_EVENT) $(LIB_Z) $(LIB_BSD)
# innernet-wgd without main and its dispatch: netlink answers (WireGuard
# dumps, the family lookup, address dumps) and the UAPI get=1 answer.
FUZZ_WGD_SRCS	:= $(WG_SRCS) innernetd/util.c innernetd/log.c
fuzz_netlink_SRCS := $(FUZZ_WGD_SRCS)
fuzz_netlink_LIBS = $(LIB_MNL) $(LIB_SODIUM) $(LIB_BSD)
fuzz_uapi_SRCS	:= $(FUZZ_WGD_SRCS)
fuzz_uapi_LIBS	 = $(LIB_MNL) $(LIB_SODIUM) $(LIB_BSD)
$(FZ)/fuzz_netlink $(FZ)/fuzz_uapi: FUZZ_CFLAGS += -Iinnernet-wgd
# wgd's imsg dispatch: wgd.c is compiled into the harness (its main
# renamed), over a model of WireGuard, the links and the key files.
FUZZ_DISPATCH_SRCS := regress/fuzz/fuzzlog.c innernetd/util.c \
	innernetd/proc.c $(IMSG_SRCS) $(COMPAT_SRCS)
fuzz_wgd_imsg_SRCS := innernet-wgd/backend.c innernet-wgd/keys.c \
	innernet-wgd/endpoints.c $(FUZZ_DISPATCH_SRCS)
fuzz_wgd_imsg_LIBS = $(LIB_EVENT) $(LIB_SODIUM) $(LIB_BSD)
$(FZ)/fuzz_wgd_imsg: FUZZ_CFLAGS += -Iinnernet-wgd -Iregress/fuzz
$(FZ)/fuzz_wgd_imsg: innernet-wgd/wgd.c innernet-wgd/wgd.h \
	regress/fuzz/fuzzlog.h
# The engine's imsg dispatch and the request callbacks behind it:
# engine.c, req.c and netlist.c are compiled into the harness; the
# control socket, the parent's files and innernetctl's verbs are left
# out.
fuzz_engine_imsg_SRCS := $(filter-out innernetd/engine.c innernetd/req.c \
	innernetd/netlist.c innernetd/control.c innernetd/ctl.c \
	innernetd/import.c, $(ENGINE_SRCS)) $(FUZZ_DISPATCH_SRCS)
fuzz_engine_imsg_LIBS = $(LIB_EVENT) $(LIB_JANSSON) $(LIB_SODIUM) \
	$(LIB_Z) $(LIB_BSD)
$(FZ)/fuzz_engine_imsg: FUZZ_CFLAGS += -Iregress/fuzz
$(FZ)/fuzz_engine_imsg: innernetd/engine.c innernetd/req.c \
	innernetd/netlist.c innernetd/engine_local.h \
	regress/fuzz/fuzzlog.h

FUZZ_TARGETS	:= fuzz_imsg fuzz_config fuzz_invite fuzz_json fuzz_http \
	fuzz_netlink fuzz_uapi fuzz_wgd_imsg fuzz_engine_imsg fuzz_db_imsg \
	fuzz_delta

# Every library shared, as in sanitizer builds: a harness may define a
# function of libevent's in its place, which a static archive would
# define again.
$(FZ)/%: pcs = $(call pc,$(1))

.SECONDEXPANSION:
$(FZ)/%: regress/fuzz/%.c $$($$*_SRCS) innernetd/innernet.h
	@mkdir -p $(FZ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $($*_SRCS) $($*_LIBS)

fuzz: $(addprefix $(FZ)/,$(FUZZ_TARGETS))

fuzz-run: fuzz
	@FZ=$(FZ) sh regress/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# The long run: ten million executions per target, an hour at most each.
fuzz-long: fuzz
	@FZ=$(FZ) FUZZ_RUNS=10000000 sh regress/fuzz/run.sh 3600 \
		$(FUZZ_TARGETS)

.PHONY: fuzz fuzz-run fuzz-long
