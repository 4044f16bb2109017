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
 * Client role: a network this host joined with an invitation.  The
 * engine talks HTTP to the network's server over the tunnel, keeps what
 * the server last sent in dbd's cache, and has wgd turn it into
 * WireGuard peers and hosts lines.  This file holds the role's hooks of
 * the lifecycle, the fetch, and the local verbs (up, down, settings,
 * list).  Everything is asynchronous; a step finds its network again
 * through a net_ref, so a network stopped or uninstalled meanwhile is
 * never touched by a late answer.
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
#include "engine_local.h"
#include "client.h"

struct fetchctx;

static void	fetch_begin(struct engine_net *);
static void	fetch_got(void *, int, const char *, json_t *, const char *);
static void	fetch_silent(struct engine_net *, void *);
static void	store_send(struct engine_net *, struct fetchctx *);
static void	fetch_stored(struct imsg *, void *);
static void	fetch_stats(struct engine_net *, void *);
static void	fetch_synced(struct imsg *, void *);
static void	fetch_result(struct engine_net *, struct fetchctx *, int);
static void	fetch_end(struct engine_net *, int, const char *, json_t *);
static void	fetch_timer(int, short, void *);
static void	waiters_reply(struct client_net *, int, const char *,
		    json_t *);
static void	net_update(struct engine_net *, server_cb, void *);

/*
 * The client role's hooks of the lifecycle (net.c): the cache from dbd,
 * the server's endpoint resolved, WireGuard up with the stored key, the
 * cached peers applied, then the first fetch.  A failed start is tried
 * again after CLIENT_RETRY seconds; a WireGuard that went away (userspace
 * WireGuard may have died and taken the interface along) is brought up
 * again from the cache, which is the truth here, CLIENT_HEAL seconds
 * later.
 */

static int
client_init(struct engine_net *en)
{
	struct client_net	*cli;

	if ((cli = calloc(1, sizeof(*cli))) == NULL)
		return (-1);
	TAILQ_INIT(&cli->waiters);
	evtimer_set(&cli->fetch_ev, fetch_timer, en);
	evtimer_set(&cli->nat_ev, nat_timer, en);
	en->cli = cli;
	return (0);
}

static void
client_load_begin(struct engine_net *en)
{
	ns_clear(&en->cache);
}

static int
client_load_row(struct engine_net *en, struct imsg *imsg)
{
	struct in_peer		 p;
	struct in_cidr		 c;
	struct in_override	 o;

	switch (imsg->hdr.type) {
	case IMSG_DB_OVERRIDE:
		if (imsg_get_data(imsg, &o, sizeof(o)) == -1 ||
		    !in_str_ok(o.public_key) || !in_str_ok(o.endpoint))
			fatalx("%s: bad override row", en->net.name);
		return (override_put(en->cli, &o));
	case IMSG_DB_PEER:
		memcpy(&p, imsg->data, sizeof(p));
		return (ns_peer_upsert(&en->cache, &p, (char *)imsg->data +
		    sizeof(p), p.candidates_len));
	case IMSG_DB_CIDR:
		memcpy(&c, imsg->data, sizeof(c));
		return (ns_cidr_upsert(&en->cache, &c));
	default:
		/* a row of the load, but a client's cache keeps none */
		return (0);
	}
}

static const char *
client_endpoint(struct engine_net *en)
{
	return (en->net.external_endpoint);
}

static void
client_resolved(struct engine_net *en, const char *ep)
{
	strlcpy(en->cli->server_ep, ep, sizeof(en->cli->server_ep));
}

static void
client_if_key(struct engine_net *en, const struct in_wgkey *k)
{
	if (in_key_ok(k->key) && strcmp(k->key, en->net.public_key))
		strlcpy(en->net.public_key, k->key,
		    sizeof(en->net.public_key));
	en->cli->port = k->listen_port;
}

/* Peers WireGuard refused fail the start: the cache is all there is. */
static int
client_synced(struct engine_net *en, const char *err)
{
	return (err != NULL ? -1 : 0);
}

static void
client_running(struct engine_net *en)
{
	en->loaded = 1;
	hosts_send(en, &en->cache);
	log_info("%s: up, %zu cached peers", en->net.name,
	    en->cache.npeers);
	fetch_begin(en);
}

static void
client_failed(struct engine_net *en, const char *why)
{
	waiters_reply(en->cli, 503, why, NULL);
}

static void
client_wg_lost(struct engine_net *en, const char *why)
{
	log_warnx("%s: WireGuard: %s; bringing it up again from the cache",
	    en->net.name, why);
	/* a new interface keeps no endpoint: give every peer its own */
	free(en->cli->stats);
	en->cli->stats = NULL;
	en->cli->nstats = 0;
}

static void
client_fini(struct engine_net *en)
{
	struct client_net	*cli = en->cli;

	if (cli == NULL)
		return;
	cwatch_stop(en);
	evtimer_del(&cli->fetch_ev);
	evtimer_del(&cli->nat_ev);
	waiters_reply(cli, 503, "the network was stopped", NULL);
	free(cli->stats);
	free(cli->nat);
	free(cli->ovr);
	free(cli);
	en->cli = NULL;
}

const struct net_role client_role = {
	.name = "client",
	.retry = CLIENT_RETRY,
	.heal = CLIENT_HEAL,
	.init = client_init,
	.fini = client_fini,
	.load_begin = client_load_begin,
	.load_row = client_load_row,
	.endpoint = client_endpoint,
	.resolved = client_resolved,
	.if_key = client_if_key,
	.sync = client_sync_compose,
	.synced = client_synced,
	.running = client_running,
	.failed = client_failed,
	.wg_lost = client_wg_lost,
};

/* A network of this host starts unless it was taken down. */
void
client_net_start(struct engine_net *en)
{
	if (en->net.flags & IN_NETF_DOWN) {
		log_info("%s: down (innernetctl up %s brings it up)",
		    en->net.name, en->net.name);
		return;
	}
	net_start(en);
}

/* Fetch waiters: innernetctl fetch, up and install wait for a fetch. */
void
waiter_add(struct client_net *cli, server_cb cb, void *arg)
{
	struct waiter	*w;

	if (cb == NULL)
		return;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		fatal("client");
	w->cb = cb;
	w->arg = arg;
	TAILQ_INSERT_TAIL(&cli->waiters, w, entry);
}

static void
waiters_reply(struct client_net *cli, int status, const char *err,
    json_t *res)
{
	struct waiter	*w;

	while ((w = TAILQ_FIRST(&cli->waiters)) != NULL) {
		TAILQ_REMOVE(&cli->waiters, w, entry);
		w->cb(w->arg, status, err, res);
		free(w);
	}
}

static uint32_t
fetch_interval(struct engine_net *en)
{
	/* up --daemon --interval, kept with the network */
	if (en->net.fetch_interval != 0)
		return (en->net.fetch_interval);
	if (en->opts.fetch_interval != 0)
		return (en->opts.fetch_interval);
	if (engine_conf.fetch_interval != 0)
		return (engine_conf.fetch_interval);
	return (IN_FETCH_INTERVAL);
}

static void
fetch_timer(int fd, short event, void *arg)
{
	struct engine_net	*en = arg;

	fetch_begin(en);
}

static void
fetch_arm(struct engine_net *en, int now)
{
	struct timeval	tv = { now ? 0 : fetch_interval(en), 0 };

	evtimer_add(&en->cli->fetch_ev, &tv);
}

/*
 * Fetching: GET /v1/user/state with the last ETag.  A new state is
 * checked against the cache (a known address must keep its key: the
 * server cannot swap a peer's identity), stored by dbd, applied by wgd
 * as a diff, then hosts, candidates and NAT traversal follow.
 */
struct fetchctx {
	struct net_ref		 ref;
	struct netstate		 ns;
	char			 etag[128];
	size_t			 added, removed;
	char			 err[IN_ERRSZ * 2];
};

static void
fetch_begin(struct engine_net *en)
{
	struct client_net	*cli = en->cli;
	struct fetchctx		 fc;
	int			 rc;

	if (en->lifecycle != NET_RUNNING) {
		net_start(en);
		return;
	}
	if (cli->fetching)
		return;
	evtimer_del(&cli->fetch_ev);
	memset(&fc, 0, sizeof(fc));
	net_ref_set(&fc.ref, en);
	ns_init(&fc.ns);
	cli->fetching = 1;
	if ((rc = cwatch_fetch(en, fetch_got, &fc, sizeof(fc))) == 1)
		rc = chttp(&en->net, EVHTTP_REQ_GET, "/user/state", NULL,
		    cli->etag, fetch_got, &fc, sizeof(fc));
	if (rc == -1)
		fetch_end(en, 500, "cannot make the request", NULL);
}

static void
fetch_got(void *arg, int status, const char *err, json_t *j,
    const char *etag)
{
	struct fetchctx		*fc = arg;
	struct engine_net	*en;
	char			 e[IN_ERRSZ * 2];

	if ((en = net_ref_find(&fc->ref)) == NULL)
		return;
	/*
	 * Nothing to sync: is the interface still there?  A fetch that got
	 * no answer may be one whose WireGuard died.
	 */
	if (status != 200)
		stats_get(en, stats_ignore, NULL, 0);
	if (status == 304) {
		candidates_report(en);
		fetch_result(en, NULL, 0);
		return;
	}
	if (status == 0) {
		strlcpy(fc->err, err, sizeof(fc->err));
		stats_get(en, fetch_silent, fc, sizeof(*fc));
		return;
	}
	if (status != 200) {
		fetch_end(en, status >= 400 ? status : 502, err != NULL ? err :
		    "unexpected answer to GET /v1/user/state", NULL);
		return;
	}
	if (json_to_state(j, &fc->ns, NULL, e, sizeof(e)) == -1 ||
	    pin_merge(&fc->ns, &en->cache, &fc->added, &fc->removed, e,
	    sizeof(e)) == -1) {
		ns_clear(&fc->ns);
		fetch_end(en, 502, e, NULL);
		return;
	}
	if (etag != NULL)
		strlcpy(fc->etag, etag, sizeof(fc->etag));
	store_send(en, fc);
}

/*
 * No answer to a fetch.  A server that disabled or deleted this peer
 * dropped its key, answers nothing and completes no handshake: when
 * WireGuard has not heard from it for longer than a session lives, say
 * so.  (Just after the change the old session may still look alive.)
 */
static void
fetch_silent(struct engine_net *en, void *arg)
{
	struct fetchctx		*fc = arg;
	const struct in_wgstat	*st;
	char			 e[IN_ERRSZ * 3], hs[128] = "";
	time_t			 now = time(NULL);

	if (en == NULL)
		return;
	st = stat_find(en->cli, en->net.server_public_key);
	if (st == NULL || st->last_handshake == 0)
		snprintf(hs, sizeof(hs), "; no WireGuard handshake with the "
		    "server yet");
	else if (now - st->last_handshake > RECENT_HANDSHAKE)
		snprintf(hs, sizeof(hs), "; no WireGuard handshake with the "
		    "server for %lld s", (long long)(now - st->last_handshake));
	snprintf(e, sizeof(e), "%s%s%s; keeping the %zu cached peers",
	    fc->err, hs, hs[0] != '\0' ? " (if this peer was disabled or "
	    "deleted, the server no longer knows its key)" : "",
	    en->cache.npeers);
	fetch_end(en, 502, e, NULL);
}

static void
store_send(struct engine_net *en, struct fetchctx *fc)
{
	struct in_netreq	 nr;
	struct iovec		 iov[2];
	struct ns_peer		*np;
	struct in_peer		 p;
	size_t			 i;
	uint32_t		 id;

	netreq_set(&nr, en->net.name);
	/* the state's tables go with the copy the registry keeps */
	id = engine_req_new_ctx(fetch_stored, fc, sizeof(*fc));
	engine_db_compose(IMSG_DB_STORE_BEGIN, id, &nr, sizeof(nr));
	for (i = 0; i < fc->ns.npeers; i++) {
		np = &fc->ns.peers[i];
		ns_peer_get(np, &p);
		iov[0].iov_base = &p;
		iov[0].iov_len = sizeof(p);
		iov[1].iov_base = np->candidates;
		iov[1].iov_len = np->p.candidates_len;
		engine_db_composev(IMSG_DB_PEER, id, iov,
		    np->p.candidates_len > 0 ? 2 : 1);
	}
	for (i = 0; i < fc->ns.ncidrs; i++)
		engine_db_compose(IMSG_DB_CIDR, id, &fc->ns.cidrs[i],
		    sizeof(fc->ns.cidrs[i]));
	engine_db_compose(IMSG_DB_STORE_END, id, &nr, sizeof(nr));
}

static void
fetch_stored(struct imsg *imsg, void *arg)
{
	struct fetchctx		*fc = arg;
	struct engine_net	*en;
	struct in_error		 e;

	if ((en = net_ref_find(&fc->ref)) == NULL) {
		ns_clear(&fc->ns);
		return;
	}
	if (engine_imsg_error(imsg, &e)) {
		ns_clear(&fc->ns);
		fetch_end(en, 500, e.msg, NULL);
		return;
	}
	ns_clear(&en->cache);
	en->cache = fc->ns;
	ns_init(&fc->ns);
	strlcpy(en->cli->etag, fc->etag, sizeof(en->cli->etag));
	stats_get(en, fetch_stats, fc, sizeof(*fc));
}

static void
fetch_stats(struct engine_net *en, void *arg)
{
	struct fetchctx	*fc = arg;

	if (en == NULL)
		return;
	client_sync_compose(en, engine_req_new_ctx(fetch_synced, fc,
	    sizeof(*fc)));
}

static void
fetch_synced(struct imsg *imsg, void *arg)
{
	struct fetchctx		*fc = arg;
	struct engine_net	*en;
	struct in_error		 e;

	if ((en = net_ref_find(&fc->ref)) == NULL)
		return;
	/* the fetch is stored; WireGuard follows the cache shortly */
	if (engine_imsg_error(imsg, &e))
		net_transition(en, NET_EV_WG_LOST, e.msg);
	hosts_send(en, &en->cache);
	candidates_report(en);
	nat_start(en);
	log_info("%s: %zu peers (%zu new, %zu gone)", en->net.name,
	    en->cache.npeers, fc->added, fc->removed);
	fetch_result(en, fc, 1);
}

static void
fetch_result(struct engine_net *en, struct fetchctx *fc, int changed)
{
	json_t	*r;

	r = json_pack("{s:s, s:b, s:I, s:I, s:I}", "network", en->net.name,
	    "changed", changed, "peers", (json_int_t)en->cache.npeers,
	    "added", (json_int_t)(fc != NULL ? fc->added : 0),
	    "removed", (json_int_t)(fc != NULL ? fc->removed : 0));
	fetch_end(en, 200, NULL, r);
}

static void
fetch_end(struct engine_net *en, int status, const char *err, json_t *res)
{
	struct client_net	*cli = en->cli;

	cli->fetching = 0;
	cli->fetches++;
	if (status < 400)
		cli->last_fetch = time(NULL);
	else
		log_warnx("%s: fetch: %s", en->net.name, err);
	fetch_arm(en, 0);
	waiters_reply(cli, status, err, res);
	json_decref(res);
	cwatch_fetched(en, status);
}

void
client_fetch(struct engine_net *en, server_cb cb, void *arg)
{
	if (en->cli == NULL || (en->net.flags & IN_NETF_DOWN)) {
		replyf(cb, arg, 409, "%s is down; innernetctl up %s brings "
		    "it up", en->net.name, en->net.name);
		return;
	}
	waiter_add(en->cli, cb, arg);
	fetch_begin(en);
}


/*
 * up with its options: --daemon [--interval N] gives the network its
 * own fetch interval (upstream's loop; innernetd fetches every network
 * anyway), NAT options replace the kept ones.
 */
void
client_up_opts(struct engine_net *en, json_t *args, server_cb cb, void *arg)
{
	struct in_network	 n = en->net;
	json_t			*iv;
	char			 err[IN_ERRSZ];
	int			 daemon;

	daemon = json_is_true(json_object_get(args, "daemon"));
	iv = json_object_get(args, "interval");
	if (iv != NULL && !daemon) {
		replyf(cb, arg, 400, "--interval is for --daemon, as "
		    "upstream's");
		return;
	}
	if (iv != NULL && (!json_is_integer(iv) ||
	    json_integer_value(iv) < 1 ||
	    json_integer_value(iv) > IN_MAXFETCHINTERVAL)) {
		replyf(cb, arg, 400, "--interval must be 1 to %d seconds",
		    IN_MAXFETCHINTERVAL);
		return;
	}
	if (daemon)
		n.fetch_interval = iv != NULL ?
		    (uint32_t)json_integer_value(iv) : 0;
	/* up's NAT options are the whole set: none means the defaults */
	n.flags &= ~(IN_NETF_NONAT | IN_NETF_NOCAND);
	n.nexclude = 0;
	memset(n.nat_exclude, 0, sizeof(n.nat_exclude));
	if (client_nat_opts(args, &n, err, sizeof(err)) == -1) {
		replyf(cb, arg, 400, "%s", err);
		return;
	}
	if (memcmp(&n, &en->net, sizeof(n)) != 0) {
		en->net = n;
		if (!(en->net.flags & IN_NETF_DOWN))
			net_update(en, NULL, NULL);
	}
	client_up(en, cb, arg);
}

/*
 * override-peer-endpoint: this host reaches a peer at an address of its
 * own choosing (a LAN address, a tunnel), kept in the cache across
 * fetches, applied instead of the server's endpoint and NAT traversal.
 */
struct overpeer {
	struct net_ref		 ref;
	struct in_override	 o;
	char			 name[IN_NAMESZ];
	server_cb		 cb;
	void			*arg;
};

static void
overpeer_stored(struct imsg *imsg, void *arg)
{
	struct overpeer		*op = arg;
	struct engine_net	*en;
	struct in_error		 e;
	struct ns_peer		*np;
	struct in_wgpeer	 w;

	if (engine_imsg_error(imsg, &e)) {
		replyf(op->cb, op->arg, e.status, "%s", e.msg);
		return;
	}
	if ((en = net_ref_find(&op->ref)) != NULL && en->cli != NULL) {
		/* the database has it; a restart reads it back */
		if (override_put(en->cli, &op->o) == -1)
			log_warnx("%s: %s: out of memory", en->net.name,
			    __func__);
		if (en->lifecycle == NET_RUNNING && (np = ns_peer_by_key(
		    &en->cache, op->o.public_key)) != NULL &&
		    !np->p.is_disabled) {
			client_wgpeer(en, np, &w, op->o.endpoint[0] == '\0' &&
			    recently_connected(en->cli, np->p.public_key,
			    time(NULL)));
			wg_fire(IMSG_WG_PEER_SET, &w, sizeof(w));
		}
	}
	log_info("%s: endpoint of %s %s%s", op->o.network, op->name,
	    op->o.endpoint[0] != '\0' ? "overridden: " : "from the server "
	    "again", op->o.endpoint);
	reply(op->cb, op->arg, 200, NULL, json_pack("{s:s, s:s, s:s?}",
	    "network", op->o.network, "peer", op->name, "endpoint",
	    op->o.endpoint[0] != '\0' ? op->o.endpoint : NULL));
}

void
client_override_peer_endpoint(struct engine_net *en, const char *name,
    const char *endpoint, server_cb cb, void *arg)
{
	struct overpeer		 o, *op;
	struct ns_peer		*np;
	char			 num[IN_ENDPOINTSZ];
	uint32_t		 id;

	if ((np = ns_peer_by_name(&en->cache, name)) == NULL) {
		replyf(cb, arg, 404, "no peer named %s in %s (as last "
		    "fetched)", name, en->net.name);
		return;
	}
	if (is_self(en, &np->p)) {
		replyf(cb, arg, 400, "%s is this host; override-endpoint "
		    "tells the server where it is", name);
		return;
	}
	if (endpoint != NULL && numeric_endpoint(endpoint, num,
	    sizeof(num)) == -1) {
		replyf(cb, arg, 400, "--endpoint must be an address and port, "
		    "like 192.168.1.7:51820 or [fd00::7]:51820");
		return;
	}
	op = &o;
	memset(op, 0, sizeof(*op));
	net_ref_set(&op->ref, en);
	op->cb = cb;
	op->arg = arg;
	strlcpy(op->name, np->p.name, sizeof(op->name));
	strlcpy(op->o.network, en->net.name, sizeof(op->o.network));
	strlcpy(op->o.public_key, np->p.public_key,
	    sizeof(op->o.public_key));
	if (endpoint != NULL)
		strlcpy(op->o.endpoint, num, sizeof(op->o.endpoint));
	id = engine_req_new_ctx(overpeer_stored, op, sizeof(*op));
	if (engine_db_compose(IMSG_DB_OVERRIDE, id, &op->o,
	    sizeof(op->o)) == -1) {
		engine_req_cancel(id);
		replyf(cb, arg, 500, "cannot reach the database process");
	}
}

/* fetch with NAT options: they replace the kept ones. */
void
client_fetch_opts(struct engine_net *en, json_t *args, server_cb cb,
    void *arg)
{
	struct in_network	 n = en->net;
	char			 err[IN_ERRSZ];

	switch (client_nat_opts(args, &n, err, sizeof(err))) {
	case -1:
		replyf(cb, arg, 400, "%s", err);
		return;
	case 1:
		en->net = n;
		net_update(en, NULL, NULL);
		break;
	}
	client_fetch(en, cb, arg);
}

/* Record the network's settings with dbd, then answer. */
struct netupdate {
	server_cb		 cb;
	void			*arg;
	struct in_network	 net;
};

static void
netupdate_answer(struct imsg *imsg, void *arg)
{
	struct netupdate	*nu = arg;
	struct in_error		 e;
	json_t			*r;

	if (engine_imsg_error(imsg, &e)) {
		reply(nu->cb, nu->arg, e.status >= 400 ? e.status : 500,
		    e.msg, NULL);
		return;
	}
	r = json_pack("{s:s, s:i, s:s, s:b}", "network", nu->net.name,
	    "listen_port", nu->net.listen_port, "override_endpoint",
	    nu->net.override_endpoint, "down",
	    (nu->net.flags & IN_NETF_DOWN) != 0);
	reply(nu->cb, nu->arg, 200, NULL, r);
}

static void
net_update(struct engine_net *en, server_cb cb, void *arg)
{
	struct netupdate	nu;
	uint32_t		id;

	memset(&nu, 0, sizeof(nu));
	nu.cb = cb;
	nu.arg = arg;
	nu.net = en->net;
	id = engine_req_new_ctx(netupdate_answer, &nu, sizeof(nu));
	if (engine_db_compose(IMSG_DB_NETWORK_UPDATE, id, &nu.net,
	    sizeof(nu.net)) == -1) {
		engine_req_cancel(id);
		reply(cb, arg, 500, "cannot reach the database process", NULL);
	}
}

void
client_up(struct engine_net *en, server_cb cb, void *arg)
{
	int	was_down = (en->net.flags & IN_NETF_DOWN) != 0;

	if (was_down) {
		en->net.flags &= ~IN_NETF_DOWN;
		net_update(en, NULL, NULL);
	}
	if (en->cli == NULL || was_down)
		net_start(en);
	if (en->cli == NULL) {
		reply(cb, arg, 500, "out of memory", NULL);
		return;
	}
	waiter_add(en->cli, cb, arg);
	if (en->lifecycle == NET_RUNNING)
		fetch_begin(en);
}

void
client_down(struct engine_net *en, server_cb cb, void *arg)
{
	struct in_netreq	nr;

	net_stop(en);
	en->net.flags |= IN_NETF_DOWN;
	netreq_set(&nr, en->net.name);
	wg_fire(IMSG_WG_IF_DOWN, &nr, sizeof(nr));
	engine_parent_fire(IMSG_PARENT_HOSTS_END, &nr, sizeof(nr));
	log_info("%s: down", en->net.name);
	net_update(en, cb, arg);
}

void
client_uninstall(struct engine_net *en, server_cb cb, void *arg)
{
	net_delete(en, cb, arg);
}

struct portctx {
	struct net_ref	 ref;
	server_cb	 cb;
	void		*arg;
	int		 port;
};

static void
port_reread(struct imsg *imsg, void *arg)
{
	struct portctx		*pc = arg;
	struct engine_net	*en;
	struct in_wgkey		 k;

	en = net_ref_find(&pc->ref);
	if (imsg->hdr.type == IMSG_WG_KEY) {
		if (en != NULL && imsg_get_data(imsg, &k, sizeof(k)) == 0)
			en->cli->port = k.listen_port;
		return;
	}
	if (en == NULL) {
		reply(pc->cb, pc->arg, 410, "the network went away", NULL);
		return;
	}
	en->net.listen_port = (uint16_t)pc->port;
	en->cli->reported_at = 0;
	candidates_report(en);
	net_update(en, pc->cb, pc->arg);
}

static void
port_set(struct imsg *imsg, void *arg)
{
	struct portctx		*pc = arg;
	struct engine_net	*en;
	struct in_error		 e;
	struct in_wgif		 wif;
	uint32_t		 id;

	if ((en = net_ref_find(&pc->ref)) == NULL) {
		reply(pc->cb, pc->arg, 410, "the network went away", NULL);
		return;
	}
	if (engine_imsg_error(imsg, &e)) {
		reply(pc->cb, pc->arg, 500, e.msg, NULL);
		return;
	}
	/* bring-up again is idempotent and tells the port in use */
	engine_wgif(en, &wif);
	wif.listen_port = (uint16_t)pc->port;
	id = engine_req_new_ctx(port_reread, pc, sizeof(*pc));
	if (engine_wg_compose(IMSG_WG_IF_UP, id, &wif, sizeof(wif)) == -1) {
		engine_req_cancel(id);
		reply(pc->cb, pc->arg, 500, "cannot reach the WireGuard "
		    "process", NULL);
	}
}

void
client_set_listen_port(struct engine_net *en, int port, server_cb cb,
    void *arg)
{
	struct portctx	 pc;
	struct in_wgkey	 k;
	uint32_t	 id;

	if (port < 0 || port > 65535) {
		replyf(cb, arg, 400, "the listen port must be 1..65535");
		return;
	}
	if (en->cli == NULL || en->lifecycle != NET_RUNNING) {
		en->net.listen_port = (uint16_t)port;
		net_update(en, cb, arg);
		return;
	}
	memset(&pc, 0, sizeof(pc));
	net_ref_set(&pc.ref, en);
	pc.cb = cb;
	pc.arg = arg;
	pc.port = port;
	memset(&k, 0, sizeof(k));
	strlcpy(k.ifname, en->net.name, sizeof(k.ifname));
	k.listen_port = (uint16_t)port;
	id = engine_req_new_ctx(port_set, &pc, sizeof(pc));
	if (engine_wg_compose(IMSG_WG_LISTEN_PORT, id, &k, sizeof(k)) == -1) {
		engine_req_cancel(id);
		replyf(cb, arg, 500, "cannot reach the WireGuard process");
	}
}

struct overctx {
	struct net_ref	 ref;
	server_cb	 cb;
	void		*arg;
	char		 endpoint[IN_ENDPOINTSZ];	/* "" = unset */
};

static void
over_done(void *arg, int status, const char *err, json_t *j,
    const char *etag)
{
	struct overctx		*oc = arg;
	struct engine_net	*en;

	if ((en = net_ref_find(&oc->ref)) == NULL) {
		reply(oc->cb, oc->arg, 410, "the network went away", NULL);
	} else if (status < 200 || status > 299) {
		reply(oc->cb, oc->arg, status == 0 ? 502 : status, err,
		    NULL);
	} else {
		strlcpy(en->net.override_endpoint, oc->endpoint,
		    sizeof(en->net.override_endpoint));
		log_info("%s: endpoint override %s%s", en->net.name,
		    oc->endpoint[0] ? "set to " : "unset", oc->endpoint);
		net_update(en, oc->cb, oc->arg);
	}
}

static void
over_send(struct engine_net *en, struct overctx *oc)
{
	json_t	*body;

	if (oc->endpoint[0] != '\0')
		body = json_pack("{s:s, s:s}", "option", "Set", "content",
		    oc->endpoint);
	else
		body = json_pack("{s:s}", "option", "Unset");
	if (body == NULL || chttp(&en->net, EVHTTP_REQ_PUT, "/user/endpoint",
	    body, NULL, over_done, oc, sizeof(*oc)) == -1)
		reply(oc->cb, oc->arg, 500, "cannot make the request", NULL);
	json_decref(body);
}

static void
over_capable(void *arg, int status, const char *err, json_t *j,
    const char *etag)
{
	struct overctx		*oc = arg;
	struct engine_net	*en;

	if ((en = net_ref_find(&oc->ref)) == NULL) {
		reply(oc->cb, oc->arg, 410, "the network went away", NULL);
		return;
	}
	if (status == 200 && json_is_true(json_object_get(j,
	    "unspecified_ip_in_override_endpoint"))) {
		over_send(en, oc);
		return;
	}
	reply(oc->cb, oc->arg, status == 0 ? 502 : 400, status == 0 ? err :
	    "the server cannot fill in an unspecified IP (it is older); "
	    "give the address", NULL);
}

void
client_override_endpoint(struct engine_net *en, const char *endpoint,
    server_cb cb, void *arg)
{
	struct overctx		 oc;
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	char			 host[IN_HOSTSZ];
	uint16_t		 port;
	struct in_ip		 ip;

	if (endpoint != NULL) {
		if (en->net.listen_port == 0) {
			replyf(cb, arg, 400, "set a listen port with "
			    "innernetctl set-listen-port first: with a "
			    "random port the override would not hold");
			return;
		}
		if (!in_endpoint_ok(endpoint) || in_endpoint_parse(endpoint,
		    host, sizeof(host), &port) == -1 || port == 0) {
			replyf(cb, arg, 400, "--endpoint must be host:port, "
			    "not %s", endpoint);
			return;
		}
	}
	if (en->cli == NULL || en->lifecycle != NET_RUNNING) {
		replyf(cb, arg, 409, "%s is down; innernetctl up %s first",
		    en->net.name, en->net.name);
		return;
	}
	memset(&oc, 0, sizeof(oc));
	net_ref_set(&oc.ref, en);
	oc.cb = cb;
	oc.arg = arg;
	if (endpoint != NULL)
		strlcpy(oc.endpoint, endpoint, sizeof(oc.endpoint));
	if (endpoint != NULL && in_endpoint_numeric(endpoint, &ss, &sl) ==
	    0 && in_ip_parse(host, &ip) == 0 && in_ip_is_unspecified(&ip)) {
		if (chttp(&en->net, EVHTTP_REQ_GET, "/user/capabilities",
		    NULL, NULL, over_capable, &oc, sizeof(oc)) == -1)
			reply(cb, arg, 500, "cannot make the request", NULL);
		return;
	}
	over_send(en, &oc);
}


/* innernetctl list: the cache with what WireGuard says of each peer. */

struct listctx {
	server_cb	 cb;
	void		*arg;
};

json_t *
client_cidrs_json(struct engine_net *en)
{
	json_t	*a;
	size_t	 i;

	a = json_array();
	for (i = 0; i < en->cache.ncidrs; i++)
		json_array_append_new(a, json_from_cidr(&en->cache.cidrs[i]));
	return (a);
}

/* What up, fetch and install were told to keep. */
static void
list_settings(struct engine_net *en, json_t *r)
{
	json_t	*ex;
	char	 c[IN_CIDRSTRSZ];
	int	 i;

	if (r == NULL || (ex = json_array()) == NULL)
		return;
	for (i = 0; i < en->net.nexclude && i < IN_MAXNATEXCLUDE; i++)
		if (in_prefix_str(&en->net.nat_exclude[i], c, sizeof(c)) == 0)
			json_array_append_new(ex, json_string(c));
	json_object_set_new(r, "fetch_interval",
	    json_integer(fetch_interval(en)));
	json_object_set_new(r, "nat_traversal",
	    json_boolean(!(en->net.flags & IN_NETF_NONAT)));
	json_object_set_new(r, "nat_candidates",
	    json_boolean(!(en->net.flags & IN_NETF_NOCAND)));
	json_object_set_new(r, "exclude_nat_candidates", ex);
}

static void
list_stats(struct engine_net *en, void *arg)
{
	struct listctx		*lc = arg;
	struct client_net	*cli;
	const struct in_wgstat	*st;
	struct ns_peer		*np;
	struct in_peer		 p;
	json_t			*r, *peers, *o, *self = json_null();
	const char		*ovr;
	char			 addr[IN_CIDRSTRSZ], sip[IN_ADDRSTRSZ];
	struct in_prefix	 a;
	size_t			 i;

	if (en == NULL) {
		reply(lc->cb, lc->arg, 410, "the network went away", NULL);
		return;
	}
	cli = en->cli;
	peers = json_array();
	for (i = 0; i < en->cache.npeers; i++) {
		np = &en->cache.peers[i];
		ns_peer_get(np, &p);
		o = json_from_peer(&p, np->candidates, np->p.candidates_len);
		if (o == NULL)
			continue;
		if (is_self(en, &np->p)) {
			json_decref(self);
			self = o;
			continue;
		}
		if (np->p.is_disabled) {
			json_decref(o);
			continue;
		}
		st = stat_find(cli, np->p.public_key);
		json_object_set_new(o, "last_handshake", st != NULL &&
		    st->last_handshake ? json_integer(st->last_handshake) :
		    json_null());
		json_object_set_new(o, "rx_bytes", json_integer(st != NULL ?
		    (json_int_t)st->rx_bytes : 0));
		json_object_set_new(o, "tx_bytes", json_integer(st != NULL ?
		    (json_int_t)st->tx_bytes : 0));
		json_object_set_new(o, "current_endpoint", st != NULL &&
		    st->endpoint[0] ? json_string(st->endpoint) :
		    json_null());
		ovr = override_find(cli, np->p.public_key);
		json_object_set_new(o, "endpoint_override", ovr != NULL ?
		    json_string(ovr) : json_null());
		json_array_append_new(peers, o);
	}
	a = en->net.net;
	a.ip = en->net.address;
	in_prefix_str(&a, addr, sizeof(addr));
	in_ip_str(&en->net.server_ip, sip, sizeof(sip));
	r = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:i, s:s, s:s, s:b, "
	    "s:I, s:o, s:o, s:o}", "network", en->net.name, "role", "client",
	    "address", addr, "public_key", en->net.public_key,
	    "listen_port", cli->port, "server_ip", sip,
	    "server_port", en->net.server_port,
	    "external_endpoint", en->net.external_endpoint,
	    "override_endpoint", en->net.override_endpoint,
	    "up", en->lifecycle == NET_RUNNING,
	    "last_fetch", (json_int_t)cli->last_fetch,
	    "self", self, "peers", peers, "cidrs", client_cidrs_json(en));
	list_settings(en, r);
	reply(lc->cb, lc->arg, 200, NULL, r);
}

void
client_list(struct engine_net *en, server_cb cb, void *arg)
{
	struct listctx	lc;

	if (en->cli == NULL || en->lifecycle != NET_RUNNING) {
		replyf(cb, arg, 409, "%s is down; innernetctl up %s first",
		    en->net.name, en->net.name);
		return;
	}
	lc.cb = cb;
	lc.arg = arg;
	stats_get(en, list_stats, &lc, sizeof(lc));
}
