# `make bench`: the benchmark suite over real daemon sets in namespaces
# (root; installs wrk and nginx when missing).  It prints figures and
# ratios measured in one run and writes regress/bench/RESULTS.md; nothing
# passes or fails on timing.  About a quarter of an hour with the 50,000-peer
# network.
BENCH_SIZES	?= 100 1000 10000 50000
BENCH_DURATION	?= 10
BENCH_ROUNDS	?= 4

# The watch's figures (regress/bench/watch.sh, run by `make bench` too):
# thousands of watchers in one process, and the time from disable-peer
# to the peer gone from real watching clients' WireGuard.
WATCH_BENCH := $(B)/regress/watch_bench

$(WATCH_BENCH): $(call obj,regress/bench/watch_bench.c innernetd/delta.c \
	innernetd/netstate.c innernetd/json.c $(COMMON_SRCS))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_EVENT) $(LIB_JANSSON) $(LIB_SODIUM) \
		$(LIB_Z) $(LIB_BSD)

bench: $(PROGS) $(WATCH_BENCH)
	@sh regress/bench/deps.sh
	@B=$(B) BENCH_SIZES="$(BENCH_SIZES)" \
		BENCH_DURATION=$(BENCH_DURATION) BENCH_ROUNDS=$(BENCH_ROUNDS) \
		sh regress/bench/run.sh
	@B=$(B) BENCH_SIZES="$(BENCH_SIZES)" \
		BENCH_RESULTS=$${BENCH_RESULTS:-regress/bench/RESULTS.md} \
		sh regress/bench/watch.sh

watch-bench: $(PROGS) $(WATCH_BENCH)
	@B=$(B) BENCH_SIZES="$(BENCH_SIZES)" sh regress/bench/watch.sh

.PHONY: watch-bench

.PHONY: bench

# The endpoint refresh measured through wgd's own code against a real
# wireguard-go (regress/bench/ep_bench.sh): built on demand only.
EP_BENCH := $(B)/regress/ep_bench

$(EP_BENCH): $(call obj,regress/bench/ep_bench.c \
	$(WG_SRCS) $(COMMON_SRCS))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_EVENT) $(LIB_MNL) $(LIB_SODIUM) \
		$(LIB_BSD)

$(B)/obj/regress/bench/ep_bench.o: CFLAGS += -Iinnernet-wgd

ep-bench: $(EP_BENCH)
	@B=$(B) sh regress/bench/ep_bench.sh

.PHONY: ep-bench
