#!/bin/sh
# Every manual page is mandoc -Tlint clean.
cd "$(dirname "$0")/../.." || exit 1
rc=0
for m in man/*.[58]; do
	if out=$(mandoc -Tlint -W warning "$m" 2>&1) && [ -z "$out" ]; then
		echo "ok - $m is mandoc -Tlint clean"
	else
		echo "not ok - $m: mandoc -Tlint"
		printf '%s\n' "$out" | sed 's/^/#   /'
		rc=1
	fi
done
exit $rc
