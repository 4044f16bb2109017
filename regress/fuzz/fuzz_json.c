/*
 * Copyright (c) 2026 The innernet-in-C authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * libFuzzer target: any bytes as an API request body, through every
 * parser of the upstream JSON shapes.  What parses must serialise again
 * and parse back to the same values.
 *
 *	clang -g -fsanitize=fuzzer,address,undefined -Iinnernetd -Iimsg \
 *	    -Icompat $(pkg-config --cflags libbsd-overlay) -D_GNU_SOURCE \
 *	    regress/fuzz/fuzz_json.c innernetd/json.c innernetd/netstate.c \
 *	    innernetd/util.c innernetd/log.c \
 *	    $(pkg-config --libs jansson libsodium libbsd-overlay)
 *	./a.out -max_total_time=30 regress/fuzz/corpus/fuzz_json
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine_local.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
peer_roundtrip(json_t *j)
{
	struct in_peer	 p, q;
	char		 cands[IN_CANDIDATES_MAXLEN], cands2[IN_CANDIDATES_MAXLEN];
	char		 err[IN_ERRSZ];
	json_t		*out;

	if (json_to_peer_contents(j, &p, cands, sizeof(cands), err,
	    sizeof(err)) == -1)
		return;
	if (!in_peer_candidates_ok(&p, cands, p.candidates_len))
		abort();
	if ((out = json_from_peer(&p, cands, p.candidates_len)) == NULL)
		abort();
	if (json_to_peer_contents(out, &q, cands2, sizeof(cands2), err,
	    sizeof(err)) == -1)
		abort();
	if (strcmp(p.name, q.name) != 0 || in_ip_cmp(&p.ip, &q.ip) != 0 ||
	    p.cidr_id != q.cidr_id || strcmp(p.endpoint, q.endpoint) != 0 ||
	    p.keepalive != q.keepalive || p.invite_expires !=
	    q.invite_expires || p.candidates_len != q.candidates_len ||
	    memcmp(cands, cands2, p.candidates_len) != 0)
		abort();
	json_decref(out);
}

/* A state from a server: whatever is accepted is a consistent mirror. */
static void
state_check(json_t *j)
{
	struct netstate	 ns;
	struct in_peer	 p;
	char		 err[IN_ERRSZ * 2];
	size_t		 i;

	ns_init(&ns);
	if (json_to_state(j, &ns, json_object_get(j, "associations"), err,
	    sizeof(err)) == 0) {
		for (i = 0; i < ns.npeers; i++) {
			ns_peer_get(&ns.peers[i], &p);
			if (ns_peer_by_id(&ns, p.id) != &ns.peers[i] ||
			    !in_peer_candidates_ok(&p, ns.peers[i].candidates,
			    p.candidates_len))
				abort();
		}
	}
	ns_clear(&ns);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	json_t		*j, *out;
	json_error_t	 e;
	struct in_cidr	 c;
	struct in_assoc	 a;
	struct in_peer	 p;
	char		 buf[IN_CANDIDATES_MAXLEN], err[IN_ERRSZ];
	char		 ep[IN_ENDPOINTSZ], key[IN_KEYSZ];

	if ((j = json_loadb((const char *)data, len, JSON_DECODE_ANY |
	    JSON_REJECT_DUPLICATES, &e)) == NULL)
		return (0);
	peer_roundtrip(j);
	state_check(j);
	if (json_to_cidr_contents(j, &c, err, sizeof(err)) == 0) {
		if ((out = json_from_cidr(&c)) == NULL)
			abort();
		json_decref(out);
	}
	if (json_to_assoc_contents(j, &a, err, sizeof(err)) == 0) {
		if ((out = json_from_assoc(&a)) == NULL)
			abort();
		json_decref(out);
	}
	if (json_to_endpoint_contents(j, ep, sizeof(ep), err,
	    sizeof(err)) == 0 && ep[0] != '\0' && !in_endpoint_ok(ep))
		abort();
	memset(&p, 0, sizeof(p));
	if (json_to_candidates(j, buf, sizeof(buf), &p, err,
	    sizeof(err)) == 0 && !in_peer_candidates_ok(&p, buf,
	    p.candidates_len))
		abort();
	if (json_to_redeem_contents(j, key, sizeof(key), err,
	    sizeof(err)) == 0 && !in_key_ok(key))
		abort();
	json_decref(j);
	return (0);
}
