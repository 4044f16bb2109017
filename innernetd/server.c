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
 * The server role: its hooks of the network lifecycle (net.c: the
 * mirror, WireGuard, hosts, API listener), creating a network, and
 * carrying out every API operation; server_wg.c keeps WireGuard in step
 * with the mirror.  A mutation is checked against the mirror with
 * upstream's rules, committed by dbd, and only then applied to the
 * mirror, to WireGuard and to the hosts file.  Operations remember their
 * network by name, never by pointer, because a network can be deleted
 * while one of its operations waits for an answer.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "server.h"

#define HOSTS_DELAY_MS	300	/* gather bursts of changes into one rewrite */

#define START_RETRY	10	/* seconds before trying a failed start again */

enum sop_kind {
	SOP_PEER_ADD,
	SOP_PEER_UPDATE,
	SOP_PEER_DELETE,
	SOP_REDEEM,
	SOP_CIDR_ADD,
	SOP_CIDR_UPDATE,
	SOP_CIDR_DELETE,
	SOP_ASSOC_ADD,
	SOP_ASSOC_DELETE,
	SOP_SERVER_CANDIDATES,
};

/* One server operation in progress. */
struct sop {
	char		 net[IN_IFNAMSZ];
	enum sop_kind	 kind;
	server_cb	 cb;
	void		*arg;
	int		 status;	/* on success */
	int		 pending;	/* wgd answers still to come */
	int		 failed;
	char		 err[IN_ERRSZ];
	int64_t		 id;
	int		 got_row;
	struct in_peer	 peer;		/* the committed row */
	char		 cands[IN_CANDIDATES_MAXLEN];
	struct in_cidr	 cidr;
	struct in_assoc	 assoc;
	json_t		*result;
};

/* A redeemed peer's WireGuard key swap, made a little later. */
struct redeem_swap {
	char		 net[IN_IFNAMSZ];
	char		 old_key[IN_KEYSZ];
	int64_t		 id;
	struct event	 ev;
};

static struct sop *sop_new(struct engine_net *, enum sop_kind, int,
		    server_cb, void *);
static void	sop_send_peer(struct sop *, uint32_t, const struct in_peer *,
		    const char *);
static void	sop_db_answer(struct imsg *, void *);
static void	sop_commit(struct sop *);
static void	sop_finish(struct sop *);
static void	hosts_schedule(struct engine_net *);
static void	hosts_timer(int, short, void *);
static void	server_addrs(struct imsg *, void *);


/*
 * The server role's hooks of the lifecycle (net.c): the mirror loaded
 * from the database, WireGuard given every enabled peer, then the hosts
 * file, the API listener, the endpoint refresh and the server's own NAT
 * candidates.
 */

static int
server_init(struct engine_net *en)
{
	if ((en->srv = calloc(1, sizeof(*en->srv))) == NULL)
		return (-1);
	evtimer_set(&en->srv->refresh_ev, refresh_start, en);
	evtimer_set(&en->srv->hosts_ev, hosts_timer, en);
	evtimer_set(&en->srv->heal_ev, heal_start, en);
	return (0);
}

static void
server_load_begin(struct engine_net *en)
{
	ns_clear(&en->state);
	en->loaded = 0;
	en->srv->wg_up = 0;
	/* the start gives WireGuard everything; a re-sync under way lapses */
	evtimer_del(&en->srv->heal_ev);
	en->srv->healing = 0;
	en->srv->heal_fails = 0;
	en->srv->heal_if = 0;
	en->srv->endpoints_told = 0;
	en->srv->endpoints_round++;
}

static int
server_load_row(struct engine_net *en, struct imsg *imsg)
{
	struct in_peer	p;
	struct in_cidr	c;
	struct in_assoc	a;

	switch (imsg->hdr.type) {
	case IMSG_DB_PEER:
		memcpy(&p, imsg->data, sizeof(p));
		p.keepalive = IN_DEFAULT_KEEPALIVE;
		return (ns_peer_upsert(&en->state, &p, (char *)imsg->data +
		    sizeof(p), p.candidates_len));
	case IMSG_DB_CIDR:
		memcpy(&c, imsg->data, sizeof(c));
		return (ns_cidr_upsert(&en->state, &c));
	case IMSG_DB_ASSOC:
		memcpy(&a, imsg->data, sizeof(a));
		return (ns_assoc_upsert(&en->state, &a));
	default:
		return (0);
	}
}

static void
server_loaded(struct engine_net *en)
{
	en->loaded = 1;
	log_info("%s: %zu CIDRs, %zu peers, %zu associations", en->net.name,
	    en->state.ncidrs, en->state.npeers, en->state.nassocs);
}

static void
server_if_key(struct engine_net *en, const struct in_wgkey *k)
{
	if (in_key_ok(k->key) && strcmp(k->key, en->net.public_key) != 0) {
		log_warnx("%s: WireGuard key differs from the database; "
		    "using WireGuard's", en->net.name);
		strlcpy(en->net.public_key, k->key,
		    sizeof(en->net.public_key));
	}
	if (k->listen_port != 0)
		en->net.listen_port = k->listen_port;
}

/* The interface is up: from now on changes go to WireGuard as well. */
static void
server_sync(struct engine_net *en, uint32_t id)
{
	en->srv->wg_up = 1;
	en->srv->synced_gen = en->srv->wg_changes;
	wg_sync_compose(en, id);
}

/* Peers WireGuard refused are given again by a re-sync; the start goes on. */
static int
server_synced(struct engine_net *en, const char *err)
{
	if (err != NULL)
		wg_step_failed(en->net.name, err);
	return (0);
}

static void
server_running(struct engine_net *en)
{
	struct net_ref	ref;
	uint32_t	id;

	hosts_schedule(en);
	if (http_start(en) == -1)
		log_warnx("%s: the API is not available", en->net.name);
	else
		en->srv->started = 1;
	refresh_arm(en);
	net_ref_set(&ref, en);
	id = engine_req_new_ctx(server_addrs, &ref, sizeof(ref));
	if (engine_wg_compose(IMSG_WG_ADDRS_REQ, id, NULL, 0) == -1)
		engine_req_cancel(id);
}

/* Completion of operations nobody waits for: log failures. */
static void
server_quiet(void *arg, int status, const char *err, json_t *result)
{
	if (status >= 400)
		log_warnx("%s", err != NULL ? err : "failed");
}

/*
 * As upstream, the server offers its local addresses on the listen port
 * as NAT candidates of its own peer.
 */
static void
server_addrs(struct imsg *imsg, void *arg)
{
	struct engine_net	*en;
	struct server_net	*srv;
	struct in_ip		 ip;
	struct ns_peer		*self;
	struct in_peer		 p;
	struct sop		*op;

	if ((en = net_ref_find(arg)) == NULL)
		return;
	srv = en->srv;
	if (imsg->hdr.type == IMSG_WG_ADDR) {
		memcpy(&ip, imsg->data, sizeof(ip));
		if (srv->naddrs >= IN_MAXCANDIDATES ||
		    in_prefix_contains(&en->net.net, &ip))
			return;
		if (candidate_append(srv->addrs, sizeof(srv->addrs),
		    &srv->addrs_len, &ip, en->net.listen_port, 1) == 0)
			srv->naddrs++;
		return;
	}
	if ((self = ns_peer_by_ip(&en->state, &en->net.address)) == NULL ||
	    imsg->hdr.type != IMSG_WG_END)
		goto done;
	if (self->p.candidates_len == srv->addrs_len &&
	    (srv->addrs_len == 0 || memcmp(self->candidates, srv->addrs,
	    srv->addrs_len) == 0))
		goto done;
	ns_peer_get(self, &p);
	p.ncandidates = (uint8_t)srv->naddrs;
	p.candidates_len = (uint16_t)srv->addrs_len;
	if ((op = sop_new(en, SOP_SERVER_CANDIDATES, 204, server_quiet,
	    NULL)) == NULL)
		goto done;
	log_debug("%s: %d local candidates for the server peer",
	    en->net.name, srv->naddrs);
	sop_send_peer(op, IMSG_DB_PEER_UPDATE, &p, srv->addrs);
 done:
	srv->addrs_len = 0;
	srv->naddrs = 0;
}

/* A WireGuard step failed: the mirror is applied again, in place. */
static void
server_wg_lost(struct engine_net *en, const char *why)
{
	log_warnx("%s: WireGuard: %s; re-syncing from the database",
	    en->net.name, why);
	heal_schedule(en);
}

static void
server_fini(struct engine_net *en)
{
	if (en->srv == NULL)
		return;
	http_stop(en);
	evtimer_del(&en->srv->heal_ev);
	evtimer_del(&en->srv->refresh_ev);
	evtimer_del(&en->srv->hosts_ev);
	free(en->srv);
	en->srv = NULL;
}

const struct net_role server_role = {
	.name = "server",
	.retry = START_RETRY,
	.heal = 0,		/* heals WireGuard in place */
	.init = server_init,
	.fini = server_fini,
	.load_begin = server_load_begin,
	.load_row = server_load_row,
	.loaded = server_loaded,
	.if_key = server_if_key,
	.sync = server_sync,
	.synced = server_synced,
	.running = server_running,
	.wg_lost = server_wg_lost,
};

void
server_net_reconf(struct engine_net *en)
{
	hosts_schedule(en);
}

/* Hosts file: changes in a burst make one rewrite. */
static void
hosts_schedule(struct engine_net *en)
{
	struct timeval	tv = { 0, HOSTS_DELAY_MS * 1000 };

	if (en->srv == NULL || en->srv->hosts_scheduled || !hosts_enabled(en))
		return;
	en->srv->hosts_scheduled = 1;
	evtimer_add(&en->srv->hosts_ev, &tv);
}

static void
hosts_timer(int fd, short event, void *arg)
{
	struct engine_net	*en = arg;

	en->srv->hosts_scheduled = 0;
	hosts_send(en, &en->state);
}


/*
 * innernetctl new: a key pair from wgd (the private half never leaves
 * it), the database from dbd, then the network starts like any other.
 */
struct net_create {
	struct in_netcreate	 nc;
	server_cb		 cb;
	void			*arg;
	int			 got_key;
	int			 got_row;
	struct in_network	 row;
};

static void	net_create_keyed(struct imsg *, void *);
static void	net_create_stored(struct imsg *, void *);

static void
key_delete(const char *name)
{
	struct in_wgkey	k;

	memset(&k, 0, sizeof(k));
	strlcpy(k.ifname, name, sizeof(k.ifname));
	wg_fire(IMSG_WG_KEY_DELETE, &k, sizeof(k));
}

void
server_net_create(const struct in_netcreate *nc, server_cb cb, void *arg)
{
	struct net_create	 c;
	struct in_wgkey		 k;
	uint32_t		 id;

	if (!in_str_ok(nc->net.name) || !in_ifname_ok(nc->net.name) ||
	    !in_str_ok(nc->root_name) || !in_str_ok(nc->server_name) ||
	    !in_str_ok(nc->net.external_endpoint)) {
		reply(cb, arg, 400, "invalid network", NULL);
		return;
	}
	if (engine_net_find(nc->net.name) != NULL) {
		reply(cb, arg, 400, "network exists already", NULL);
		return;
	}
	if (!in_prefix_contains(&nc->net.net, &nc->net.address)) {
		reply(cb, arg, 400, "server address outside of the network",
		    NULL);
		return;
	}
	memset(&c, 0, sizeof(c));
	c.nc = *nc;
	c.nc.net.role = IN_ROLE_SERVER;
	c.cb = cb;
	c.arg = arg;
	memset(&k, 0, sizeof(k));
	strlcpy(k.ifname, nc->net.name, sizeof(k.ifname));
	id = engine_req_new_ctx(net_create_keyed, &c, sizeof(c));
	if (engine_wg_compose(IMSG_WG_KEY_NEW, id, &k, sizeof(k)) == -1) {
		engine_req_cancel(id);
		reply(cb, arg, 500, "cannot reach the WireGuard process",
		    NULL);
	}
}

static void
net_create_keyed(struct imsg *imsg, void *arg)
{
	struct net_create	*c = arg;
	struct in_wgkey		 k;
	struct in_error		 e;
	uint32_t		 id;

	switch (imsg->hdr.type) {
	case IMSG_WG_KEY:
		memcpy(&k, imsg->data, sizeof(k));
		if (in_key_ok(k.key)) {
			strlcpy(c->nc.net.public_key, k.key,
			    sizeof(c->nc.net.public_key));
			c->got_key = 1;
		}
		return;
	case IMSG_WG_OK:
		if (!c->got_key) {
			reply(c->cb, c->arg, 500, "no key from WireGuard",
			    NULL);
			return;
		}
		break;
	default:
		if (engine_imsg_error(imsg, &e))
			reply(c->cb, c->arg, error_status(e.status), e.msg,
			    NULL);
		else
			reply(c->cb, c->arg, 500, "unexpected answer", NULL);
		return;
	}
	id = engine_req_new_ctx(net_create_stored, c, sizeof(*c));
	if (engine_db_compose(IMSG_DB_NETWORK_CREATE, id, &c->nc,
	    sizeof(c->nc)) == -1) {
		engine_req_cancel(id);
		key_delete(c->nc.net.name);
		reply(c->cb, c->arg, 500, "cannot reach the database process",
		    NULL);
	}
}

static void
net_create_stored(struct imsg *imsg, void *arg)
{
	struct net_create	*c = arg;
	struct engine_net	*en;
	struct in_error		 e;
	json_t			*o;

	switch (imsg->hdr.type) {
	case IMSG_DB_NETWORK:
		memcpy(&c->row, imsg->data, sizeof(c->row));
		c->got_row = 1;
		return;
	case IMSG_DB_OK:
		break;
	default:
		key_delete(c->nc.net.name);
		if (engine_imsg_error(imsg, &e))
			reply(c->cb, c->arg, error_status(e.status), e.msg,
			    NULL);
		else
			reply(c->cb, c->arg, 500, "unexpected answer", NULL);
		return;
	}
	if (!c->got_row)
		c->row = c->nc.net;
	log_info("%s: network created", c->row.name);
	en = engine_net_add(&c->row);
	net_start(en);
	o = json_pack("{s:s,s:s}", "network", c->row.name, "public_key",
	    c->row.public_key);
	if (o == NULL)
		reply(c->cb, c->arg, 500, "out of memory", NULL);
	else
		reply(c->cb, c->arg, 201, NULL, o);
}


/* The operations, as the API and the control socket ask them. */

static struct sop *
sop_new(struct engine_net *en, enum sop_kind kind, int status,
    server_cb cb, void *arg)
{
	struct sop	*op;

	if ((op = calloc(1, sizeof(*op))) == NULL)
		return (NULL);
	strlcpy(op->net, en->net.name, sizeof(op->net));
	op->kind = kind;
	op->status = status;
	op->cb = cb;
	op->arg = arg;
	return (op);
}

static void
sop_send(struct sop *op, uint32_t type, const struct iovec *iov, int iovcnt)
{
	uint32_t	id;

	id = engine_req_new(sop_db_answer, op);
	if (engine_db_composev(type, id, iov, iovcnt) == -1) {
		engine_req_cancel(id);
		op->failed = 500;
		strlcpy(op->err, "cannot reach the database process",
		    sizeof(op->err));
		sop_finish(op);
	}
}

static void
sop_send_peer(struct sop *op, uint32_t type, const struct in_peer *p,
    const char *cands)
{
	struct in_peerreq	pr;
	struct iovec		iov[2];

	memset(&pr, 0, sizeof(pr));
	strlcpy(pr.network, op->net, sizeof(pr.network));
	pr.peer = *p;
	iov[0].iov_base = &pr;
	iov[0].iov_len = sizeof(pr);
	iov[1].iov_base = (void *)cands;
	iov[1].iov_len = p->candidates_len;
	sop_send(op, type, iov, p->candidates_len > 0 ? 2 : 1);
}

static void
sop_send_netreq(struct sop *op, uint32_t type, int64_t id)
{
	struct in_netreq	nr;
	struct iovec		iov;

	memset(&nr, 0, sizeof(nr));
	strlcpy(nr.network, op->net, sizeof(nr.network));
	nr.id = id;
	iov.iov_base = &nr;
	iov.iov_len = sizeof(nr);
	sop_send(op, type, &iov, 1);
}

static void
sop_db_answer(struct imsg *imsg, void *arg)
{
	struct sop	*op = arg;
	struct in_error	 e;
	size_t		 len;

	switch (imsg->hdr.type) {
	case IMSG_DB_PEER:
		memcpy(&op->peer, imsg->data, sizeof(op->peer));
		/* not stored; upstream always serves its default */
		op->peer.keepalive = IN_DEFAULT_KEEPALIVE;
		len = op->peer.candidates_len;
		if (len > sizeof(op->cands))
			fatalx("candidates too long");
		memcpy(op->cands, (char *)imsg->data + sizeof(op->peer), len);
		op->got_row = 1;
		break;
	case IMSG_DB_CIDR:
		memcpy(&op->cidr, imsg->data, sizeof(op->cidr));
		op->got_row = 1;
		break;
	case IMSG_DB_ASSOC:
		memcpy(&op->assoc, imsg->data, sizeof(op->assoc));
		op->got_row = 1;
		break;
	case IMSG_DB_OK:
		sop_commit(op);
		break;
	default:
		if (engine_imsg_error(imsg, &e)) {
			op->failed = error_status(e.status);
			strlcpy(op->err, e.msg, sizeof(op->err));
		} else {
			op->failed = 500;
			snprintf(op->err, sizeof(op->err), "unexpected %s",
			    in_imsg_name(imsg->hdr.type));
		}
		sop_finish(op);
		break;
	}
}

static void
sop_wg_answer(struct imsg *imsg, void *arg)
{
	struct sop	*op = arg;
	struct in_error	 e;

	/*
	 * The database holds the change and is the truth: the caller gets
	 * its answer for the change, and WireGuard is made to agree with
	 * the database by a re-sync moments later.
	 */
	if (engine_imsg_error(imsg, &e))
		wg_step_failed(op->net, e.msg);
	if (--op->pending == 0)
		sop_finish(op);
}

/* Ask wgd to add or remove a peer; the operation waits for the answer. */
static void
sop_wg(struct sop *op, uint32_t type, const struct in_peer *p)
{
	struct in_wgpeer	w;
	struct engine_net	*en;
	uint32_t		id;

	/*
	 * While the interface is still coming up there is nothing to
	 * change: the full sync that follows takes the mirror as it is.
	 */
	if ((en = engine_net_find(op->net)) != NULL && en->srv != NULL &&
	    !en->srv->wg_up)
		return;
	wgpeer_of(op->net, p, &w);
	if (en != NULL && en->srv != NULL)
		en->srv->wg_changes++;
	op->pending++;
	id = engine_req_new(sop_wg_answer, op);
	if (engine_wg_compose(type, id, &w, sizeof(w)) == -1) {
		engine_req_cancel(id);
		op->pending--;
		wg_step_failed(op->net, "cannot reach the WireGuard process");
	}
}

static void
redeem_swap_fire(int fd, short event, void *arg)
{
	struct redeem_swap	*rs = arg;
	struct engine_net	*en;
	struct ns_peer		*np;
	struct in_peer		 old;

	if ((en = engine_net_find(rs->net)) != NULL &&
	    (np = ns_peer_by_id(&en->state, rs->id)) != NULL) {
		log_info("%s: WireGuard: %s takes its new key", rs->net,
		    np->p.name);
		memset(&old, 0, sizeof(old));
		strlcpy(old.public_key, rs->old_key, sizeof(old.public_key));
		old.ip = np->p.ip;
		if (strcmp(rs->old_key, np->p.public_key) != 0)
			wg_peer_fire(rs->net, IMSG_WG_PEER_REMOVE, &old);
		if (!np->p.is_disabled) {
			ns_peer_get(np, &old);
			wg_peer_fire(rs->net, IMSG_WG_PEER_SET, &old);
		}
	}
	free(rs);
}

/*
 * The committed change reaches the mirror, WireGuard and the hosts file.
 * "before" is the mirror's row as it was, which decides what WireGuard
 * must be told.
 */
static void
sop_commit(struct sop *op)
{
	struct engine_net	*en;
	struct ns_peer		*np;
	struct in_peer		 before;
	struct redeem_swap	*rs;
	struct timeval		 tv = { IN_REDEEM_SWAP_MS / 1000,
				    (IN_REDEEM_SWAP_MS % 1000) * 1000 };
	int			 existed = 0;

	if ((en = engine_net_find(op->net)) == NULL) {
		op->failed = 404;
		strlcpy(op->err, "network went away", sizeof(op->err));
		sop_finish(op);
		return;
	}
	switch (op->kind) {
	case SOP_PEER_DELETE:
		if (!op->got_row) {
			op->failed = 500;
			strlcpy(op->err, "database sent no row",
			    sizeof(op->err));
			break;
		}
		if ((np = ns_peer_by_id(&en->state, op->peer.id)) != NULL)
			ns_peer_get(np, &before);
		else
			before = op->peer;
		op->result = json_pack("{s:s, s:s, s:s}", "name",
		    before.name, "action", op->peer.is_redeemed ?
		    "deleted" : "withdrawn", "network", en->net.name);
		if (!op->peer.is_redeemed) {
			/* a withdrawn invitation goes like an expired one */
			if (!before.is_disabled)
				sop_wg(op, IMSG_WG_PEER_REMOVE, &before);
			ns_peer_remove(&en->state, op->peer.id);
			hosts_schedule(en);
			break;
		}
		if (ns_peer_upsert(&en->state, &op->peer, op->cands,
		    op->peer.candidates_len) == -1) {
			op->failed = 500;
			strlcpy(op->err, "out of memory", sizeof(op->err));
			break;
		}
		if (!before.is_disabled)
			sop_wg(op, IMSG_WG_PEER_REMOVE, &before);
		hosts_schedule(en);
		break;
	case SOP_PEER_ADD:
	case SOP_PEER_UPDATE:
	case SOP_REDEEM:
	case SOP_SERVER_CANDIDATES:
		if (!op->got_row) {
			op->failed = 500;
			strlcpy(op->err, "database sent no row",
			    sizeof(op->err));
			break;
		}
		if ((np = ns_peer_by_id(&en->state, op->peer.id)) != NULL) {
			ns_peer_get(np, &before);
			existed = 1;
		}
		if (ns_peer_upsert(&en->state, &op->peer, op->cands,
		    op->peer.candidates_len) == -1) {
			op->failed = 500;
			strlcpy(op->err, "out of memory", sizeof(op->err));
			break;
		}
		if (op->kind == SOP_PEER_ADD)
			op->result = json_from_peer(&op->peer, op->cands,
			    op->peer.candidates_len);
		if (is_server_peer(en, &op->peer.ip))
			break;
		if (op->kind == SOP_REDEEM) {
			/*
			 * The answer must still reach the peer through its
			 * invitation key; swap a little later, as upstream
			 * does, but sooner: our capabilities tell the client
			 * how soon, an upstream client waits 5 s regardless.
			 */
			if ((rs = calloc(1, sizeof(*rs))) == NULL)
				break;
			strlcpy(rs->net, op->net, sizeof(rs->net));
			rs->id = op->peer.id;
			strlcpy(rs->old_key, existed ? before.public_key : "",
			    sizeof(rs->old_key));
			evtimer_set(&rs->ev, redeem_swap_fire, rs);
			evtimer_add(&rs->ev, &tv);
			hosts_schedule(en);
			break;
		}
		if (!existed) {
			if (!op->peer.is_disabled)
				sop_wg(op, IMSG_WG_PEER_SET, &op->peer);
		} else if (!before.is_disabled && op->peer.is_disabled) {
			sop_wg(op, IMSG_WG_PEER_REMOVE, &before);
		} else if (before.is_disabled && !op->peer.is_disabled) {
			sop_wg(op, IMSG_WG_PEER_SET, &op->peer);
		} else if (!op->peer.is_disabled &&
		    (strcmp(before.public_key, op->peer.public_key) != 0)) {
			sop_wg(op, IMSG_WG_PEER_REMOVE, &before);
			sop_wg(op, IMSG_WG_PEER_SET, &op->peer);
		}
		if (!existed || strcmp(before.name, op->peer.name) != 0 ||
		    before.is_disabled != op->peer.is_disabled ||
		    before.is_redeemed != op->peer.is_redeemed)
			hosts_schedule(en);
		break;
	case SOP_CIDR_ADD:
	case SOP_CIDR_UPDATE:
		if (!op->got_row) {
			op->failed = 500;
			strlcpy(op->err, "database sent no row",
			    sizeof(op->err));
			break;
		}
		if (ns_cidr_upsert(&en->state, &op->cidr) == -1) {
			op->failed = 500;
			strlcpy(op->err, "out of memory", sizeof(op->err));
			break;
		}
		if (op->kind == SOP_CIDR_ADD)
			op->result = json_from_cidr(&op->cidr);
		break;
	case SOP_CIDR_DELETE:
		ns_cidr_remove(&en->state, op->id);
		break;
	case SOP_ASSOC_ADD:
		if (!op->got_row) {
			op->failed = 500;
			strlcpy(op->err, "database sent no row",
			    sizeof(op->err));
			break;
		}
		if (ns_assoc_upsert(&en->state, &op->assoc) == -1) {
			op->failed = 500;
			strlcpy(op->err, "out of memory", sizeof(op->err));
			break;
		}
		op->result = json_from_assoc(&op->assoc);
		break;
	case SOP_ASSOC_DELETE:
		ns_assoc_remove(&en->state, op->id);
		break;
	}
	http_state_invalidate(en);
	if (op->pending == 0)
		sop_finish(op);
}

static void
sop_finish(struct sop *op)
{
	if (op->failed)
		reply(op->cb, op->arg, op->failed, op->err, NULL);
	else if (op->result == NULL && (op->status == 200 ||
	    op->status == 201) && op->kind != SOP_SERVER_CANDIDATES)
		reply(op->cb, op->arg, 500, "out of memory", NULL);
	else {
		reply(op->cb, op->arg, op->status, NULL, op->result);
		op->result = NULL;
	}
	json_decref(op->result);
	free(op);
}

/* What a peer may do, as upstream's Session decides it. */
static int
user_capable(const struct ns_peer *p)
{
	return (!p->p.is_disabled && p->p.is_redeemed);
}

static int
key_in_use(struct netstate *ns, const char *key, int64_t except)
{
	struct ns_peer	*np;

	np = ns_peer_by_key(ns, key);
	return (np != NULL && np->p.id != except);
}

/*
 * Endpoints and candidates a peer gives the server for the others: a
 * clear reason for any that would send their traffic astray.  "old" and
 * "oldcands" are what the peer has now: an update may keep those (a
 * database taken over from upstream can hold anything) but add no more.
 */
static int
endpoint_refused(const char *ep, const char *old, char *err, size_t errsz)
{
	const char	*why;

	if (ep[0] == '\0' || (old != NULL && strcmp(ep, old) == 0) ||
	    (why = in_endpoint_problem(ep, 1)) == NULL)
		return (0);
	snprintf(err, errsz, "invalid endpoint \"%.64s\": %s", ep, why);
	return (1);
}

static int
has_candidate(const char *cands, size_t len, const char *s)
{
	const char	*c;

	for (c = cands; c != NULL && c < cands + len; c += strlen(c) + 1)
		if (strcmp(c, s) == 0)
			return (1);
	return (0);
}

static int
candidates_refused(const char *cands, size_t len, const char *oldcands,
    size_t oldlen, char *err, size_t errsz)
{
	const char	*c, *why;

	for (c = cands; c < cands + len; c += strlen(c) + 1) {
		if (has_candidate(oldcands, oldlen, c) ||
		    (why = in_endpoint_problem(c, 0)) == NULL)
			continue;
		snprintf(err, errsz, "invalid candidate \"%.64s\": %s", c,
		    why);
		return (1);
	}
	return (0);
}

static int
key_refused(const char *key, char *err, size_t errsz)
{
	if (!in_key_weak(key))
		return (0);
	strlcpy(err, "public_key is a point of small order (such as all "
	    "zeros), which anyone could impersonate", errsz);
	return (1);
}

void
server_redeem(struct engine_net *en, struct ns_peer *caller, json_t *body,
    server_cb cb, void *arg)
{
	struct in_redeem	 rd;
	struct iovec		 iov;
	struct sop		*op;
	char			 err[IN_ERRSZ];

	if (caller == NULL) {
		reply(cb, arg, 400, "redeem needs an invited peer", NULL);
		return;
	}
	if (caller->p.is_disabled || caller->p.is_redeemed) {
		reply(cb, arg, 401, "not an unredeemed invitation", NULL);
		return;
	}
	if (caller->p.invite_expires != 0 &&
	    caller->p.invite_expires < (int64_t)time(NULL)) {
		reply(cb, arg, 401, "invitation expired", NULL);
		return;
	}
	memset(&rd, 0, sizeof(rd));
	if (json_to_redeem_contents(body, rd.public_key,
	    sizeof(rd.public_key), err, sizeof(err)) == -1 ||
	    key_refused(rd.public_key, err, sizeof(err))) {
		reply(cb, arg, 400, err, NULL);
		return;
	}
	if (key_in_use(&en->state, rd.public_key, caller->p.id)) {
		reply(cb, arg, 400, "public key already in use", NULL);
		return;
	}
	strlcpy(rd.network, en->net.name, sizeof(rd.network));
	rd.id = caller->p.id;
	if ((op = sop_new(en, SOP_REDEEM, 204, cb, arg)) == NULL) {
		reply(cb, arg, 500, "out of memory", NULL);
		return;
	}
	log_info("%s: peer %s redeems its invitation", en->net.name,
	    caller->p.name);
	iov.iov_base = &rd;
	iov.iov_len = sizeof(rd);
	sop_send(op, IMSG_DB_PEER_REDEEM, &iov, 1);
}

static void
peer_update_send(struct engine_net *en, const struct in_peer *p,
    const char *cands, server_cb cb, void *arg)
{
	struct sop	*op;

	if ((op = sop_new(en, SOP_PEER_UPDATE, 204, cb, arg)) == NULL) {
		reply(cb, arg, 500, "out of memory", NULL);
		return;
	}
	sop_send_peer(op, IMSG_DB_PEER_UPDATE, p, cands);
}

void
server_endpoint(struct engine_net *en, struct ns_peer *caller, json_t *body,
    server_cb cb, void *arg)
{
	struct in_peer	p;
	char		err[IN_ERRSZ];

	if (caller == NULL || !user_capable(caller)) {
		reply(cb, arg, caller == NULL ? 400 : 401,
		    "not a redeemed, enabled peer", NULL);
		return;
	}
	ns_peer_get(caller, &p);
	if (json_to_endpoint_contents(body, p.endpoint, sizeof(p.endpoint),
	    err, sizeof(err)) == -1 ||
	    endpoint_refused(p.endpoint, NULL, err, sizeof(err))) {
		reply(cb, arg, 400, err, NULL);
		return;
	}
	peer_update_send(en, &p, caller->candidates, cb, arg);
}

void
server_candidates(struct engine_net *en, struct ns_peer *caller,
    json_t *body, server_cb cb, void *arg)
{
	struct in_peer	p;
	char		cands[IN_CANDIDATES_MAXLEN], err[IN_ERRSZ];
	int		rc;

	if (caller == NULL || !user_capable(caller)) {
		reply(cb, arg, caller == NULL ? 400 : 401,
		    "not a redeemed, enabled peer", NULL);
		return;
	}
	ns_peer_get(caller, &p);
	if ((rc = json_to_candidates(body, cands, sizeof(cands), &p, err,
	    sizeof(err))) != 0) {
		reply(cb, arg, rc == -2 ? 413 : 400, err, NULL);
		return;
	}
	if (candidates_refused(cands, p.candidates_len, NULL, 0, err,
	    sizeof(err))) {
		reply(cb, arg, 400, err, NULL);
		return;
	}
	peer_update_send(en, &p, cands, cb, arg);
}

void
server_peers_list(struct engine_net *en, server_cb cb, void *arg)
{
	json_t	*a;
	size_t	 i;

	if ((a = json_array()) == NULL) {
		reply(cb, arg, 500, "out of memory", NULL);
		return;
	}
	for (i = 0; i < en->state.npeers; i++)
		if (json_array_append_new(a,
		    state_peer_json(&en->state.peers[i])) == -1) {
			json_decref(a);
			reply(cb, arg, 500, "out of memory", NULL);
			return;
		}
	reply(cb, arg, 200, NULL, a);
}

void
server_peer_add(struct engine_net *en, json_t *body, server_cb cb,
    void *arg)
{
	struct in_peer	 p;
	struct in_cidr	*c;
	struct sop	*op;
	char		 cands[IN_CANDIDATES_MAXLEN], err[IN_ERRSZ];
	size_t		 i;

	if (json_to_peer_contents(body, &p, cands, sizeof(cands), err,
	    sizeof(err)) == -1 ||
	    key_refused(p.public_key, err, sizeof(err)) ||
	    endpoint_refused(p.endpoint, NULL, err, sizeof(err)) ||
	    candidates_refused(cands, p.candidates_len, NULL, 0, err,
	    sizeof(err))) {
		reply(cb, arg, 400, err, NULL);
		return;
	}
	if ((c = ns_cidr_by_id(&en->state, p.cidr_id)) == NULL) {
		reply(cb, arg, 404, "no such CIDR", NULL);
		return;
	}
	/* leaves only: see cidr_has_children() in dbd */
	for (i = 0; i < en->state.ncidrs; i++)
		if (en->state.cidrs[i].parent == c->id) {
			snprintf(err, sizeof(err), "CIDR %s has child CIDRs; "
			    "peers go only into CIDRs without children",
			    c->name);
			reply(cb, arg, 400, err, NULL);
			return;
		}
	if (!in_prefix_contains(&c->cidr, &p.ip)) {
		reply(cb, arg, 400, "IP outside of the CIDR", NULL);
		return;
	}
	if (in_prefix_is_network_or_broadcast(&c->cidr, &p.ip)) {
		reply(cb, arg, 400, "IP is the network or broadcast address",
		    NULL);
		return;
	}
	if (ns_peer_by_ip(&en->state, &p.ip) != NULL) {
		reply(cb, arg, 400, "IP already in use", NULL);
		return;
	}
	if (ns_peer_by_name(&en->state, p.name) != NULL) {
		reply(cb, arg, 400, "name already in use", NULL);
		return;
	}
	if (key_in_use(&en->state, p.public_key, -1)) {
		reply(cb, arg, 400, "public key already in use", NULL);
		return;
	}
	if ((op = sop_new(en, SOP_PEER_ADD, 201, cb, arg)) == NULL) {
		reply(cb, arg, 500, "out of memory", NULL);
		return;
	}
	log_info("%s: adding peer %s", en->net.name, p.name);
	sop_send_peer(op, IMSG_DB_PEER_ADD, &p, cands);
}

/*
 * As upstream, an update changes only the name, endpoint, admin and
 * disabled flags and candidates; address, key and CIDR stay.
 */
void
server_peer_update(struct engine_net *en, int64_t id, json_t *body,
    server_cb cb, void *arg)
{
	struct ns_peer	*np, *other;
	struct in_peer	 c, p;
	char		 cands[IN_CANDIDATES_MAXLEN], err[IN_ERRSZ];

	if ((np = ns_peer_by_id(&en->state, id)) == NULL) {
		reply(cb, arg, 404, "no such peer", NULL);
		return;
	}
	if (json_to_peer_contents(body, &c, cands, sizeof(cands), err,
	    sizeof(err)) == -1 ||
	    endpoint_refused(c.endpoint, np->endpoint, err, sizeof(err)) ||
	    candidates_refused(cands, c.candidates_len, np->candidates,
	    np->p.candidates_len, err, sizeof(err))) {
		reply(cb, arg, 400, err, NULL);
		return;
	}
	if ((other = ns_peer_by_name(&en->state, c.name)) != NULL &&
	    other->p.id != id) {
		reply(cb, arg, 400, "name already in use", NULL);
		return;
	}
	if (c.is_disabled && !np->p.is_disabled &&
	    is_server_peer(en, &np->p.ip)) {
		reply(cb, arg, 400, "the server's own peer cannot be "
		    "disabled", NULL);
		return;
	}
	ns_peer_get(np, &p);
	strlcpy(p.name, c.name, sizeof(p.name));
	strlcpy(p.endpoint, c.endpoint, sizeof(p.endpoint));
	p.is_admin = c.is_admin;
	p.is_disabled = c.is_disabled;
	p.ncandidates = c.ncandidates;
	p.candidates_len = c.candidates_len;
	peer_update_send(en, &p, cands, cb, arg);
}

/* DELETE /v1/admin/peers/{id}: peers are disabled, never deleted. */
void
server_peer_disable(struct engine_net *en, int64_t id, server_cb cb,
    void *arg)
{
	struct ns_peer	*np;
	struct in_peer	 p;

	if ((np = ns_peer_by_id(&en->state, id)) == NULL) {
		reply(cb, arg, 404, "no such peer", NULL);
		return;
	}
	if (is_server_peer(en, &np->p.ip)) {
		reply(cb, arg, 400, "the server's own peer cannot be "
		    "disabled", NULL);
		return;
	}
	ns_peer_get(np, &p);
	p.is_disabled = 1;
	log_info("%s: disabling peer %s", en->net.name, p.name);
	peer_update_send(en, &p, np->candidates, cb, arg);
}

/*
 * innernetctl delete-peer, on the server host only (upstream's API has
 * no such thing: its DELETE disables).  See db_peer_delete.
 */
void
server_peer_delete(struct engine_net *en, int64_t id, server_cb cb,
    void *arg)
{
	struct ns_peer	*np;
	struct sop	*op;

	if ((np = ns_peer_by_id(&en->state, id)) == NULL) {
		reply(cb, arg, 404, "no such peer", NULL);
		return;
	}
	if (is_server_peer(en, &np->p.ip)) {
		reply(cb, arg, 400, "the server's own peer cannot be "
		    "deleted", NULL);
		return;
	}
	if ((op = sop_new(en, SOP_PEER_DELETE, 200, cb, arg)) == NULL) {
		reply(cb, arg, 500, "out of memory", NULL);
		return;
	}
	log_info("%s: %s peer %s", en->net.name, np->p.is_redeemed ?
	    "deleting" : "withdrawing the invitation of", np->p.name);
	sop_send_netreq(op, IMSG_DB_PEER_DELETE, id);
}

void
server_cidrs_list(struct engine_net *en, server_cb cb, void *arg)
{
	json_t	*a;

	if ((a = state_cidrs_json(&en->state)) == NULL)
		reply(cb, arg, 500, "out of memory", NULL);
	else
		reply(cb, arg, 200, NULL, a);
}

/* Upstream's rules for a new CIDR, checked on the mirror. */
static const char *
cidr_add_problem(struct netstate *ns, const struct in_cidr *c)
{
	struct in_cidr	*closest = NULL;
	size_t		 i;

	if (c->parent == 0)
		return ("a new CIDR needs a parent");
	for (i = 0; i < ns->npeers; i++)
		if (ns->peers[i].p.cidr_id == c->parent)
			return ("the parent CIDR has peers; CIDRs go only "
			    "under CIDRs without peers");
	for (i = 0; i < ns->ncidrs; i++) {
		if (ns->cidrs[i].cidr.len == c->cidr.len &&
		    in_ip_cmp(&ns->cidrs[i].cidr.ip, &c->cidr.ip) == 0)
			return ("that CIDR exists already");
		if (in_prefix_within(&c->cidr, &ns->cidrs[i].cidr) &&
		    (closest == NULL ||
		    ns->cidrs[i].cidr.len >= closest->cidr.len))
			closest = &ns->cidrs[i];
	}
	if (closest == NULL)
		return ("the CIDR lies outside of the network");
	if (closest->id != c->parent)
		return ("wrong place in the tree: the closest containing "
		    "CIDR is another one");
	for (i = 0; i < ns->ncidrs; i++)
		if (ns->cidrs[i].parent == c->parent &&
		    in_prefix_overlaps(&ns->cidrs[i].cidr, &c->cidr))
			return ("the CIDR overlaps a sibling");
	if (ns_cidr_by_name(ns, c->name) != NULL)
		return ("name already in use");
	return (NULL);
}

void
server_cidr_add(struct engine_net *en, json_t *body, server_cb cb,
    void *arg)
{
	struct in_cidr	 c;
	struct sop	*op;
	struct iovec	 iov;
	struct in_cidrreq cr;
	const char	*problem;
	char		 err[IN_ERRSZ];

	if (json_to_cidr_contents(body, &c, err, sizeof(err)) == -1) {
		reply(cb, arg, 400, err, NULL);
		return;
	}
	if ((problem = cidr_add_problem(&en->state, &c)) != NULL) {
		reply(cb, arg, 400, problem, NULL);
		return;
	}
	if ((op = sop_new(en, SOP_CIDR_ADD, 201, cb, arg)) == NULL) {
		reply(cb, arg, 500, "out of memory", NULL);
		return;
	}
	memset(&cr, 0, sizeof(cr));
	strlcpy(cr.network, en->net.name, sizeof(cr.network));
	cr.cidr = c;
	iov.iov_base = &cr;
	iov.iov_len = sizeof(cr);
	log_info("%s: adding CIDR %s", en->net.name, c.name);
	sop_send(op, IMSG_DB_CIDR_ADD, &iov, 1);
}

/* Only the name changes, as upstream. */
void
server_cidr_update(struct engine_net *en, int64_t id, json_t *body,
    server_cb cb, void *arg)
{
	struct in_cidr	 c, *cur, *other;
	struct in_cidrreq cr;
	struct sop	*op;
	struct iovec	 iov;
	char		 err[IN_ERRSZ];

	if ((cur = ns_cidr_by_id(&en->state, id)) == NULL) {
		reply(cb, arg, 404, "no such CIDR", NULL);
		return;
	}
	if (json_to_cidr_contents(body, &c, err, sizeof(err)) == -1) {
		reply(cb, arg, 400, err, NULL);
		return;
	}
	if ((other = ns_cidr_by_name(&en->state, c.name)) != NULL &&
	    other->id != id) {
		reply(cb, arg, 400, "name already in use", NULL);
		return;
	}
	memset(&cr, 0, sizeof(cr));
	strlcpy(cr.network, en->net.name, sizeof(cr.network));
	cr.cidr = *cur;
	strlcpy(cr.cidr.name, c.name, sizeof(cr.cidr.name));
	if ((op = sop_new(en, SOP_CIDR_UPDATE, 204, cb, arg)) == NULL) {
		reply(cb, arg, 500, "out of memory", NULL);
		return;
	}
	iov.iov_base = &cr;
	iov.iov_len = sizeof(cr);
	sop_send(op, IMSG_DB_CIDR_UPDATE, &iov, 1);
}

void
server_cidr_delete(struct engine_net *en, int64_t id, server_cb cb,
    void *arg)
{
	struct netstate	*ns = &en->state;
	struct sop	*op;
	size_t		 i;

	if (ns_cidr_by_id(ns, id) == NULL) {
		reply(cb, arg, 404, "no such CIDR", NULL);
		return;
	}
	for (i = 0; i < ns->ncidrs; i++)
		if (ns->cidrs[i].parent == id) {
			reply(cb, arg, 400, "the CIDR has child CIDRs", NULL);
			return;
		}
	for (i = 0; i < ns->npeers; i++)
		if (ns->peers[i].p.cidr_id == id) {
			reply(cb, arg, 400, "the CIDR has peers", NULL);
			return;
		}
	for (i = 0; i < ns->nassocs; i++)
		if (ns->assocs[i].cidr_id_1 == id ||
		    ns->assocs[i].cidr_id_2 == id) {
			reply(cb, arg, 400, "the CIDR has associations", NULL);
			return;
		}
	if ((op = sop_new(en, SOP_CIDR_DELETE, 204, cb, arg)) == NULL) {
		reply(cb, arg, 500, "out of memory", NULL);
		return;
	}
	op->id = id;
	log_info("%s: deleting CIDR %lld", en->net.name, (long long)id);
	sop_send_netreq(op, IMSG_DB_CIDR_DELETE, id);
}

void
server_assocs_list(struct engine_net *en, server_cb cb, void *arg)
{
	json_t	*a;
	size_t	 i;

	if ((a = json_array()) == NULL) {
		reply(cb, arg, 500, "out of memory", NULL);
		return;
	}
	for (i = 0; i < en->state.nassocs; i++)
		if (json_array_append_new(a,
		    json_from_assoc(&en->state.assocs[i])) == -1) {
			json_decref(a);
			reply(cb, arg, 500, "out of memory", NULL);
			return;
		}
	reply(cb, arg, 200, NULL, a);
}

void
server_assoc_add(struct engine_net *en, json_t *body, server_cb cb,
    void *arg)
{
	struct netstate		*ns = &en->state;
	struct in_assoc		 a;
	struct in_assocreq	 ar;
	struct sop		*op;
	struct iovec		 iov;
	char			 err[IN_ERRSZ];
	size_t			 i;

	if (json_to_assoc_contents(body, &a, err, sizeof(err)) == -1) {
		reply(cb, arg, 400, err, NULL);
		return;
	}
	if (a.cidr_id_1 == a.cidr_id_2 || ns_cidr_by_id(ns,
	    a.cidr_id_1) == NULL || ns_cidr_by_id(ns, a.cidr_id_2) == NULL) {
		reply(cb, arg, 400, "needs two existing, different CIDRs",
		    NULL);
		return;
	}
	for (i = 0; i < ns->nassocs; i++)
		if ((ns->assocs[i].cidr_id_1 == a.cidr_id_1 &&
		    ns->assocs[i].cidr_id_2 == a.cidr_id_2) ||
		    (ns->assocs[i].cidr_id_1 == a.cidr_id_2 &&
		    ns->assocs[i].cidr_id_2 == a.cidr_id_1)) {
			reply(cb, arg, 400, "association exists already",
			    NULL);
			return;
		}
	if ((op = sop_new(en, SOP_ASSOC_ADD, 201, cb, arg)) == NULL) {
		reply(cb, arg, 500, "out of memory", NULL);
		return;
	}
	memset(&ar, 0, sizeof(ar));
	strlcpy(ar.network, en->net.name, sizeof(ar.network));
	ar.assoc = a;
	iov.iov_base = &ar;
	iov.iov_len = sizeof(ar);
	sop_send(op, IMSG_DB_ASSOC_ADD, &iov, 1);
}

void
server_assoc_delete(struct engine_net *en, int64_t id, server_cb cb,
    void *arg)
{
	struct sop	*op;

	if (ns_assoc_by_id(&en->state, id) == NULL) {
		reply(cb, arg, 404, "no such association", NULL);
		return;
	}
	if ((op = sop_new(en, SOP_ASSOC_DELETE, 204, cb, arg)) == NULL) {
		reply(cb, arg, 500, "out of memory", NULL);
		return;
	}
	op->id = id;
	sop_send_netreq(op, IMSG_DB_ASSOC_DELETE, id);
}

/* dbd removed an invitation that expired unredeemed. */
void
server_peer_expired(const char *net, int64_t id)
{
	struct engine_net	*en;
	struct in_peer		 p;
	struct ns_peer		*np;

	if ((en = engine_net_find(net)) == NULL ||
	    (np = ns_peer_by_id(&en->state, id)) == NULL)
		return;
	log_info("%s: invitation for %s expired", net, np->p.name);
	if (!np->p.is_disabled && !is_server_peer(en, &np->p.ip)) {
		ns_peer_get(np, &p);
		wg_peer_fire(net, IMSG_WG_PEER_REMOVE, &p);
	}
	ns_peer_remove(&en->state, id);
	http_state_invalidate(en);
	hosts_schedule(en);
}

