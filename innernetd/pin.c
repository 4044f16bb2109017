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
 * Upstream's key pinning on the client: a cached address that comes
 * back with another key is refused (a compromised server must not
 * impersonate a peer); cached peers the server no longer sends stay,
 * disabled, so their keys stay pinned.
 *
 * The peers kept are gathered apart, in the cache's id order, and moved
 * into the fetched state in one merge at the end.  Inserted one at a
 * time they would each shift the state's rows and void its lookup
 * index, and a fetch that drops thousands of peers would rebuild that
 * index thousands of times.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_local.h"

/* Lookups in the fetched state and in the peers kept so far. */
static struct ns_peer *
by_ip(struct netstate *fresh, struct netstate *kept, const struct in_ip *ip)
{
	struct ns_peer	*np;

	if ((np = ns_peer_by_ip(fresh, ip)) == NULL)
		np = ns_peer_by_ip(kept, ip);
	return (np);
}

static int
has_key(struct netstate *fresh, struct netstate *kept, const char *key)
{
	return (ns_peer_by_key(fresh, key) != NULL ||
	    ns_peer_by_key(kept, key) != NULL);
}

static int
has_id(struct netstate *fresh, struct netstate *kept, int64_t id)
{
	return (ns_peer_by_id(fresh, id) != NULL ||
	    ns_peer_by_id(kept, id) != NULL);
}

/*
 * Check "fresh" (the state the server sent) against "cache" (what the
 * client had) and add to it the cached peers it lacks, disabled.  On
 * success *added counts the enabled peers whose key the cache lacked,
 * *removed the cached enabled peers whose address the server no longer
 * sends.  On error fresh is left as it was.
 */
int
pin_merge(struct netstate *fresh, struct netstate *cache, size_t *added,
    size_t *removed, char *err, size_t errsz)
{
	struct netstate	 kept;
	struct ns_peer	*cp, *np;
	struct in_peer	 p;
	char		 ip[IN_ADDRSTRSZ];
	size_t		 i;

	*added = *removed = 0;
	ns_init(&kept);
	for (i = 0; i < cache->npeers; i++) {
		cp = &cache->peers[i];
		np = by_ip(fresh, &kept, &cp->p.ip);
		if (np != NULL && strcmp(np->p.public_key,
		    cp->p.public_key) != 0) {
			in_ip_str(&cp->p.ip, ip, sizeof(ip));
			snprintf(err, errsz, "pinning error: the server sent "
			    "%s for %s with another public key than before; "
			    "state refused", np->p.name, ip);
			ns_clear(&kept);
			return (-1);
		}
		if (np == NULL && !cp->p.is_disabled)
			(*removed)++;
		if (has_key(fresh, &kept, cp->p.public_key))
			continue;
		if (has_id(fresh, &kept, cp->p.id))
			continue;	/* the id went to another peer */
		ns_peer_get(cp, &p);
		p.is_disabled = 1;
		if (ns_peer_upsert(&kept, &p, cp->candidates,
		    p.candidates_len) == -1)
			goto oom;
	}
	if (ns_peers_merge(fresh, &kept) == -1)
		goto oom;
	for (i = 0; i < fresh->npeers; i++)
		if (!fresh->peers[i].p.is_disabled &&
		    ns_peer_by_key(cache, fresh->peers[i].p.public_key) ==
		    NULL)
			(*added)++;
	return (0);
 oom:
	ns_clear(&kept);
	snprintf(err, errsz, "out of memory");
	return (-1);
}
