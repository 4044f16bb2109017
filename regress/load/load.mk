# `make load`: a minute of GET /v1/user/state over WireGuard with wrk
# against a real server set in namespaces (root).  Fails on any request
# error; prints each daemon's resident memory before and after.
LOAD_SECONDS ?= 60

load: $(PROGS)
	@command -v wrk >/dev/null 2>&1 || \
		DEBIAN_FRONTEND=noninteractive apt-get install -y \
		--no-install-recommends wrk
	@B=$(B) LOAD_SECONDS=$(LOAD_SECONDS) sh regress/load/load.sh

.PHONY: load
