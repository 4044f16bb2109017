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
 * What WireGuard holds for a client network: its statistics as last
 * read, the endpoints the user overrides, and the WireGuard peers the
 * cache asks for.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/queue.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event.h>
#include <evhttp.h>
#include <event2/dns.h>
#include <event2/http.h>
#include <jansson.h>

#include "compat.h"
#include "engine.h"
#include "client.h"

/* WireGuard statistics, kept sorted by key for lookups. */

/* A statistics request; the caller's context, if copied, follows it. */
struct statreq {
	struct net_ref		 ref;
	struct in_wgstat	*v;
	size_t			 n, cap;
	stats_cb		 done;
	void			*arg;
};

static int
stat_cmp(const void *a, const void *b)
{
	return (strcmp(((const struct in_wgstat *)a)->public_key,
	    ((const struct in_wgstat *)b)->public_key));
}

const struct in_wgstat *
stat_find(struct client_net *cli, const char *key)
{
	struct in_wgstat	k;

	if (cli->nstats == 0)
		return (NULL);
	strlcpy(k.public_key, key, sizeof(k.public_key));
	return (bsearch(&k, cli->stats, cli->nstats, sizeof(k), stat_cmp));
}

int
recently_connected(struct client_net *cli, const char *key, time_t now)
{
	const struct in_wgstat	*st;

	if ((st = stat_find(cli, key)) == NULL || st->last_handshake == 0)
		return (0);
	return (now - st->last_handshake <= RECENT_HANDSHAKE);
}

static void
stats_answer(struct imsg *imsg, void *arg)
{
	struct statreq		*sr = arg;
	struct engine_net	*en;
	struct in_wgstat	*nv;
	struct in_error		 e;
	size_t			 cap;

	if (imsg->hdr.type == IMSG_WG_STAT) {
		if (imsg_get_len(imsg) != sizeof(*nv))
			return;
		if (sr->n == sr->cap) {
			cap = sr->cap ? sr->cap * 2 : 64;
			if ((nv = reallocarray(sr->v, cap, sizeof(*nv))) ==
			    NULL)
				return;
			sr->v = nv;
			sr->cap = cap;
		}
		memcpy(&sr->v[sr->n], imsg->data, sizeof(*nv));
		if (!in_str_ok(sr->v[sr->n].public_key) ||
		    !in_str_ok(sr->v[sr->n].endpoint))
			return;
		sr->n++;
		return;
	}
	if ((en = net_ref_find(&sr->ref)) != NULL) {
		if (imsg->hdr.type == IMSG_WG_END) {
			qsort(sr->v, sr->n, sizeof(*sr->v), stat_cmp);
			free(en->cli->stats);
			en->cli->stats = sr->v;
			en->cli->nstats = sr->n;
			sr->v = NULL;
		} else if (engine_imsg_error(imsg, &e))
			net_transition(en, NET_EV_WG_LOST, e.msg);
		else
			wg_log_answer(imsg, en->net.name);
	}
	sr->done(en, sr->arg);
	free(sr->v);
}

/* A stats request made only for its failure, which heals. */
void
stats_ignore(struct engine_net *en, void *arg)
{
}

/*
 * Read WireGuard's statistics of en, then done(en, ctx) (en NULL if the
 * network went away meanwhile).  done gets a copy of ctx (len bytes)
 * that the request keeps, or with len 0 ctx itself.
 */
void
stats_get(struct engine_net *en, stats_cb done, const void *ctx, size_t len)
{
	struct statreq		*sr;
	struct in_netreq	 nr;
	uint32_t		 id;

	if ((sr = calloc(1, sizeof(*sr) + len)) == NULL) {
		done(NULL, (void *)ctx);
		return;
	}
	net_ref_set(&sr->ref, en);
	sr->done = done;
	if (len > 0) {
		memcpy(sr + 1, ctx, len);
		sr->arg = sr + 1;
	} else
		sr->arg = (void *)ctx;
	netreq_set(&nr, en->net.name);
	/* the registry frees sr, and the copy with it, at the end */
	id = engine_req_adopt(stats_answer, sr);
	if (engine_wg_compose(IMSG_WG_STATS_REQ, id, &nr, sizeof(nr)) == -1)
		fatalx("cannot reach wgd");
}

/*
 * The WireGuard peers the cache asks for.  The server's own peer is
 * always there, reached at the invitation's external endpoint until
 * the state names a usable one.  Endpoints of peers with a recent
 * handshake are left alone, as upstream, so roaming keeps working.
 */
int
is_self(struct engine_net *en, const struct ns_row *p)
{
	return (strcmp(p->public_key, en->net.public_key) == 0 ||
	    in_ip_cmp(&p->ip, &en->net.address) == 0);
}

int
is_server(struct engine_net *en, const struct ns_row *p)
{
	return (strcmp(p->public_key, en->net.server_public_key) == 0);
}

/* override-peer-endpoint: this host's endpoint for a peer, or NULL. */
const char *
override_find(struct client_net *cli, const char *key)
{
	size_t	i;

	for (i = 0; cli != NULL && i < cli->novr; i++)
		if (strcmp(cli->ovr[i].public_key, key) == 0)
			return (cli->ovr[i].endpoint);
	return (NULL);
}

/* Set (endpoint not "") or drop one in memory. */
int
override_put(struct client_net *cli, const struct in_override *o)
{
	struct in_override	*v;
	size_t			 i;

	for (i = 0; i < cli->novr; i++)
		if (strcmp(cli->ovr[i].public_key, o->public_key) == 0)
			break;
	if (o->endpoint[0] == '\0') {
		if (i < cli->novr)
			cli->ovr[i] = cli->ovr[--cli->novr];
		return (0);
	}
	if (i == cli->novr) {
		if ((v = reallocarray(cli->ovr, cli->novr + 1,
		    sizeof(*v))) == NULL)
			return (-1);
		cli->ovr = v;
		cli->novr++;
	}
	cli->ovr[i] = *o;
	return (0);
}

void
client_wgpeer(struct engine_net *en, const struct ns_peer *np,
    struct in_wgpeer *w, int keep_endpoint)
{
	const struct ns_row	*p = &np->p;
	const char		*ovr;

	memset(w, 0, sizeof(*w));
	strlcpy(w->ifname, en->net.name, sizeof(w->ifname));
	strlcpy(w->public_key, p->public_key, sizeof(w->public_key));
	w->nallowed = 1;
	in_prefix_host(&p->ip, &w->allowed[0]);
	/* the user's word beats the server's and roaming alike */
	if ((ovr = override_find(en->cli, p->public_key)) != NULL &&
	    numeric_endpoint(ovr, w->endpoint, sizeof(w->endpoint)) == 0) {
		w->keepalive = p->keepalive > 0 ? p->keepalive : 0;
		return;
	}
	if (!keep_endpoint && numeric_endpoint(np->endpoint, w->endpoint,
	    sizeof(w->endpoint)) == -1 && is_server(en, p))
		strlcpy(w->endpoint, en->cli->server_ep, sizeof(w->endpoint));
	/*
	 * Keepalives only toward an endpoint (a kept one is where the last
	 * handshake came from): WireGuard answers a keepalive turned on with
	 * a handshake and retries it for 90 s even with nowhere to send.
	 * The state's next endpoint for the peer turns them on.
	 */
	if (keep_endpoint || w->endpoint[0] != '\0')
		w->keepalive = p->keepalive > 0 ? p->keepalive : 0;
}

static void
server_wgpeer(struct engine_net *en, struct in_wgpeer *w)
{
	memset(w, 0, sizeof(*w));
	strlcpy(w->ifname, en->net.name, sizeof(w->ifname));
	strlcpy(w->public_key, en->net.server_public_key,
	    sizeof(w->public_key));
	strlcpy(w->endpoint, en->cli->server_ep, sizeof(w->endpoint));
	w->keepalive = IN_DEFAULT_KEEPALIVE;
	w->nallowed = 1;
	in_prefix_host(&en->net.server_ip, &w->allowed[0]);
}

/* The WireGuard peers of the cache, as one sync request of id. */
void
client_sync_compose(struct engine_net *en, uint32_t id)
{
	struct in_netreq	 nr;
	struct in_wgpeer	 w;
	struct ns_peer		*np;
	time_t			 now = time(NULL);
	size_t			 i;
	int			 have_server = 0;

	netreq_set(&nr, en->net.name);
	engine_wg_compose(IMSG_WG_SYNC_BEGIN, id, &nr, sizeof(nr));
	for (i = 0; i < en->cache.npeers; i++) {
		np = &en->cache.peers[i];
		if (np->p.is_disabled || is_self(en, &np->p))
			continue;
		if (is_server(en, &np->p))
			have_server = 1;
		client_wgpeer(en, np, &w, recently_connected(en->cli,
		    np->p.public_key, now));
		engine_wg_compose(IMSG_WG_SYNC_PEER, id, &w, sizeof(w));
	}
	if (!have_server) {
		server_wgpeer(en, &w);
		engine_wg_compose(IMSG_WG_SYNC_PEER, id, &w, sizeof(w));
	}
	engine_wg_compose(IMSG_WG_SYNC_END, id, &nr, sizeof(nr));
}
