#!/bin/sh
# What only the benchmark uses: wrk, and nginx as its yardstick.  `make
# deps` leaves them out.  nginx is installed without starting its system
# service: the benchmark runs its own, in a namespace.
command -v nginx >/dev/null 2>&1 && command -v wrk >/dev/null 2>&1 && exit 0
policy=/usr/sbin/policy-rc.d
made=
if [ ! -e $policy ]; then
	printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy && made=1
fi
apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y \
    --no-install-recommends nginx wrk
st=$?
[ -n "$made" ] && rm -f $policy
exit $st
