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
 * The engine's messages to dbd, wgd and the parent, and the answers it
 * awaits.  A request is registered with a callback and an id, and goes
 * out on one of the three pipes; its answers are checked for size and
 * terminated strings here, once, then handed to its callback, so
 * callbacks can trust what they get.  What answers no request (the
 * parent's configuration, dbd's news of expired peers) goes to the
 * handlers engine.c gave engine_pipes_init(): this file calls nothing
 * above it.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <stdlib.h>
#include <string.h>

#include "engine_local.h"

struct engine_req {
	RB_ENTRY(engine_req)	 entry;
	uint32_t		 id;
	engine_cb		 cb;
	void			*arg;
	struct proc_pipe	*pipe;	/* where the request went */
	uint32_t		 type;	/* what it asked */
	int			 owned;	/* arg is ours, freed at the end */
};

static int
req_cmp(struct engine_req *a, struct engine_req *b)
{
	return (a->id < b->id ? -1 : a->id > b->id);
}

RB_HEAD(engine_reqs, engine_req);
RB_PROTOTYPE(engine_reqs, engine_req, entry, req_cmp);
RB_GENERATE(engine_reqs, engine_req, entry, req_cmp);

static struct engine_reqs	 reqs = RB_INITIALIZER(&reqs);
static uint32_t			 req_next = 1;
static struct proc_pipe		 pipe_parent, pipe_dbd, pipe_wgd;
static proc_dispatch_cb		 parent_unasked, dbd_unasked;

static int	pipe_compose(struct proc_pipe *, uint32_t, uint32_t,
		    const struct iovec *, int);
static void	dispatch_parent(struct proc_pipe *, struct imsg *);
static void	dispatch_dbd(struct proc_pipe *, struct imsg *);
static void	dispatch_wgd(struct proc_pipe *, struct imsg *);
static void	req_deliver(struct proc_pipe *, struct imsg *, int);
static void	req_sent(struct proc_pipe *, uint32_t, uint32_t);
static int	req_answered_by(uint32_t, uint32_t);
static void	parent_log_answer(struct imsg *, void *);

/*
 * The pipes innernetd handed us.  What the parent or dbd send that
 * answers no request goes to the handler given for it, which ends the
 * engine with proc_bad() on what it does not expect; wgd sends only
 * answers.
 */
void
engine_pipes_init(proc_dispatch_cb parent, proc_dispatch_cb dbd)
{
	parent_unasked = parent;
	dbd_unasked = dbd;
	proc_pipe_init(&pipe_parent, PROC_PARENT, PROC_FD_PARENT,
	    dispatch_parent, NULL, NULL);
	proc_pipe_init(&pipe_dbd, PROC_DBD, PROC_FD_DBD, dispatch_dbd, NULL,
	    NULL);
	proc_pipe_init(&pipe_wgd, PROC_WGD, PROC_FD_WGD, dispatch_wgd, NULL,
	    NULL);
}

static int
pipe_compose(struct proc_pipe *p, uint32_t type, uint32_t id,
    const struct iovec *iov, int iovcnt)
{
	if (proc_composev(p, type, id, iov, iovcnt) == -1)
		return (-1);
	req_sent(p, type, id);
	return (0);
}

static int
compose1(struct proc_pipe *p, uint32_t type, uint32_t id,
    const void *data, size_t len)
{
	if (proc_compose(p, type, id, data, len) == -1)
		return (-1);
	req_sent(p, type, id);
	return (0);
}

int
engine_db_compose(uint32_t type, uint32_t id, const void *data, size_t len)
{
	return (compose1(&pipe_dbd, type, id, data, len));
}

int
engine_db_composev(uint32_t type, uint32_t id, const struct iovec *iov,
    int iovcnt)
{
	return (pipe_compose(&pipe_dbd, type, id, iov, iovcnt));
}

int
engine_wg_compose(uint32_t type, uint32_t id, const void *data, size_t len)
{
	return (compose1(&pipe_wgd, type, id, data, len));
}

int
engine_parent_compose(uint32_t type, uint32_t id, const void *data,
    size_t len)
{
	return (compose1(&pipe_parent, type, id, data, len));
}

/* A request to the parent whose answer is only logged. */
void
engine_parent_fire(uint32_t type, const void *data, size_t len)
{
	uint32_t	id;

	id = engine_req_new(parent_log_answer, NULL);
	if (engine_parent_compose(type, id, data, len) == -1)
		engine_req_cancel(id);
}

/* Request ids: never 0 (unsolicited messages), never one in use. */
uint32_t
engine_req_new(engine_cb cb, void *arg)
{
	struct engine_req	*r, key;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("request");
	for (;;) {
		key.id = req_next++;
		if (key.id != 0 && RB_FIND(engine_reqs, &reqs, &key) == NULL)
			break;
	}
	r->id = key.id;
	r->cb = cb;
	r->arg = arg;
	RB_INSERT(engine_reqs, &reqs, r);
	return (r->id);
}

/*
 * A request whose context the registry keeps: arg, allocated by the
 * caller (engine_req_adopt), or a copy of ctx (engine_req_new_ctx), is
 * handed to every answer's callback and freed when the request ends or
 * is cancelled, so no callback frees its argument.
 */
uint32_t
engine_req_adopt(engine_cb cb, void *arg)
{
	struct engine_req	*r, key;

	key.id = engine_req_new(cb, arg);
	r = RB_FIND(engine_reqs, &reqs, &key);
	r->owned = 1;
	return (key.id);
}

uint32_t
engine_req_new_ctx(engine_cb cb, const void *ctx, size_t len)
{
	void	*copy;

	if ((copy = malloc(len)) == NULL)
		fatal("request");
	memcpy(copy, ctx, len);
	return (engine_req_adopt(cb, copy));
}

static void
req_free(struct engine_req *r)
{
	if (r->owned)
		free(r->arg);
	free(r);
}

void
engine_req_cancel(uint32_t id)
{
	struct engine_req	*r, key;

	key.id = id;
	if ((r = RB_FIND(engine_reqs, &reqs, &key)) == NULL)
		return;
	RB_REMOVE(engine_reqs, &reqs, r);
	req_free(r);
}

/* A request's first message says where it went and what it asks. */
static void
req_sent(struct proc_pipe *p, uint32_t type, uint32_t id)
{
	struct engine_req	*r, key;

	key.id = id;
	if (id == 0 || type == IMSG_PROCINFO ||
	    (r = RB_FIND(engine_reqs, &reqs, &key)) == NULL || r->pipe != NULL)
		return;
	r->pipe = p;
	r->type = type;
}

/*
 * Can "answer" come for a request that began with "type"?  Any end of
 * the request's process (OK, ERR, END), and only the rows it asks for:
 * a callback may take another row for its end, free its state and be
 * called again by the real end.
 */
static int
req_answered_by(uint32_t type, uint32_t answer)
{
	if (type == IMSG_PROCINFO_REQ)
		return (answer == IMSG_PROCINFO);
	switch (answer) {
	case IMSG_DB_OK:
	case IMSG_DB_ERR:
	case IMSG_DB_END:
	case IMSG_WG_OK:
	case IMSG_WG_ERR:
	case IMSG_WG_END:
		return (1);
	case IMSG_DB_NETWORK:
		return (type == IMSG_DB_NETWORKS_REQ ||
		    type == IMSG_DB_NETWORK_CREATE ||
		    type == IMSG_DB_NETWORK_IMPORT);
	case IMSG_DB_PEER:
		return (type == IMSG_DB_LOAD || type == IMSG_DB_PEER_ADD ||
		    type == IMSG_DB_PEER_UPDATE ||
		    type == IMSG_DB_PEER_REDEEM ||
		    type == IMSG_DB_PEER_DELETE);
	case IMSG_DB_OVERRIDE:
		return (type == IMSG_DB_LOAD);
	case IMSG_DB_CIDR:
		return (type == IMSG_DB_LOAD || type == IMSG_DB_CIDR_ADD ||
		    type == IMSG_DB_CIDR_UPDATE);
	case IMSG_DB_ASSOC:
		return (type == IMSG_DB_LOAD || type == IMSG_DB_ASSOC_ADD);
	case IMSG_DB_VERSION:
		return (type == IMSG_DB_VERSION_GET);
	case IMSG_WG_KEY:
		return (type == IMSG_WG_IF_UP || type == IMSG_WG_KEY_SET ||
		    type == IMSG_WG_KEY_NEW || type == IMSG_WG_KEY_PENDING);
	case IMSG_WG_STAT:
		return (type == IMSG_WG_STATS_REQ ||
		    type == IMSG_WG_ENDPOINTS_REQ);
	case IMSG_WG_ADDR:
		return (type == IMSG_WG_ADDRS_REQ);
	default:
		return (0);
	}
}

/*
 * Hand an answer to its request.  The entry leaves the registry before a
 * final answer's callback runs, so the callback may start new requests
 * or cancel this one without harm.  Answers to cancelled requests are
 * dropped.
 */
static void
req_deliver(struct proc_pipe *p, struct imsg *imsg, int final)
{
	struct engine_req	*r, key;

	key.id = imsg->hdr.peerid;
	if ((r = RB_FIND(engine_reqs, &reqs, &key)) == NULL) {
		log_debug("%s: %s for no request (%u)", p->name,
		    in_imsg_name(imsg->hdr.type), imsg->hdr.peerid);
		return;
	}
	/* only the process asked answers, and only with what was asked */
	if (r->pipe != NULL && (r->pipe != p ||
	    !req_answered_by(r->type, imsg->hdr.type)))
		fatalx("%s: %s does not answer %s", p->name,
		    in_imsg_name(imsg->hdr.type), in_imsg_name(r->type));
	if (final)
		RB_REMOVE(engine_reqs, &reqs, r);
	r->cb(imsg, r->arg);
	if (final)
		req_free(r);
}

int
engine_imsg_error(struct imsg *imsg, struct in_error *e)
{
	switch (imsg->hdr.type) {
	case IMSG_DB_ERR:
	case IMSG_WG_ERR:
		if (imsg_get_data(imsg, e, sizeof(*e)) == -1)
			fatalx("bad error answer");
		return (1);
	default:
		return (0);
	}
}

/*
 * Answers to our requests are checked here, once, then handed to the
 * request's callback: callbacks trust what they get.
 */
static void
answer_end(struct proc_pipe *p, struct imsg *imsg)
{
	req_deliver(p, imsg, 1);
}

static void
answer_error(struct proc_pipe *p, struct imsg *imsg, const struct in_error *e)
{
	if (!in_str_ok(e->msg))
		proc_bad(p, imsg, "unterminated error message");
	req_deliver(p, imsg, 1);
}

static void
answer_procinfo(struct proc_pipe *p, struct imsg *imsg)
{
	proc_procinfo_check(p, imsg);
	req_deliver(p, imsg, 1);
}

static void
row_network(struct proc_pipe *p, struct imsg *imsg, const struct in_network *n)
{
	if (!in_str_ok(n->name) || !in_str_ok(n->public_key) ||
	    !in_str_ok(n->server_public_key) ||
	    !in_str_ok(n->external_endpoint) ||
	    !in_str_ok(n->override_endpoint) || !in_ifname_ok(n->name))
		proc_bad(p, imsg, "network");
	req_deliver(p, imsg, 0);
}

static void
row_peer(struct proc_pipe *p, struct imsg *imsg)
{
	struct in_peer	 peer;
	const char	*cand;

	cand = proc_get_peer(p, imsg, &peer, sizeof(peer));
	if (!in_peer_candidates_ok(&peer, cand, peer.candidates_len))
		proc_bad(p, imsg, "candidates");
	if (peer.ip.af != AF_INET && peer.ip.af != AF_INET6)
		proc_bad(p, imsg, "address family");
	req_deliver(p, imsg, 0);
}

static void
row_cidr(struct proc_pipe *p, struct imsg *imsg, const struct in_cidr *c)
{
	if (!in_str_ok(c->name) || (c->cidr.ip.af != AF_INET &&
	    c->cidr.ip.af != AF_INET6))
		proc_bad(p, imsg, "CIDR");
	req_deliver(p, imsg, 0);
}

static void
row_override(struct proc_pipe *p, struct imsg *imsg,
    const struct in_override *o)
{
	if (!in_str_ok(o->network) || !in_str_ok(o->public_key) ||
	    !in_str_ok(o->endpoint))
		proc_bad(p, imsg, "override");
	req_deliver(p, imsg, 0);
}

static void
row_version(struct proc_pipe *p, struct imsg *imsg,
    const struct in_version *v)
{
	if (!in_str_ok(v->network))
		proc_bad(p, imsg, "version");
	req_deliver(p, imsg, 0);
}

static void
row_key(struct proc_pipe *p, struct imsg *imsg, const struct in_wgkey *k)
{
	if (!in_str_ok(k->ifname) || !in_str_ok(k->key))
		proc_bad(p, imsg, "key");
	req_deliver(p, imsg, 0);
}

static void
row_stat(struct proc_pipe *p, struct imsg *imsg, const struct in_wgstat *s)
{
	if (!in_str_ok(s->ifname) || !in_str_ok(s->public_key) ||
	    !in_str_ok(s->endpoint))
		proc_bad(p, imsg, "stat");
	req_deliver(p, imsg, 0);
}

static void
row_addr(struct proc_pipe *p, struct imsg *imsg, const struct in_ip *ip)
{
	if (ip->af != AF_INET && ip->af != AF_INET6)
		proc_bad(p, imsg, "address family");
	req_deliver(p, imsg, 0);
}

static void
dispatch_parent(struct proc_pipe *p, struct imsg *imsg)
{
	struct in_error		e;

	switch (imsg->hdr.type) {
	case IMSG_WG_OK:
		proc_get_none(p, imsg);
		answer_end(p, imsg);
		break;
	case IMSG_WG_ERR:
		proc_get(p, imsg, &e, sizeof(e));
		answer_error(p, imsg, &e);
		break;
	case IMSG_PROCINFO:
		answer_procinfo(p, imsg);
		break;
	default:
		parent_unasked(p, imsg);
	}
}

static void
dispatch_dbd(struct proc_pipe *p, struct imsg *imsg)
{
	struct in_network	net;
	struct in_cidr		cidr;
	struct in_assoc		assoc;
	struct in_override	ov;
	struct in_version	ver;
	struct in_error		e;

	switch (imsg->hdr.type) {
	case IMSG_DB_OK:
	case IMSG_DB_END:
		proc_get_none(p, imsg);
		answer_end(p, imsg);
		break;
	case IMSG_DB_ERR:
		proc_get(p, imsg, &e, sizeof(e));
		answer_error(p, imsg, &e);
		break;
	case IMSG_DB_NETWORK:
		proc_get(p, imsg, &net, sizeof(net));
		row_network(p, imsg, &net);
		break;
	case IMSG_DB_PEER:
		row_peer(p, imsg);
		break;
	case IMSG_DB_CIDR:
		proc_get(p, imsg, &cidr, sizeof(cidr));
		row_cidr(p, imsg, &cidr);
		break;
	case IMSG_DB_ASSOC:
		proc_get(p, imsg, &assoc, sizeof(assoc));
		req_deliver(p, imsg, 0);
		break;
	case IMSG_DB_OVERRIDE:
		proc_get(p, imsg, &ov, sizeof(ov));
		row_override(p, imsg, &ov);
		break;
	case IMSG_DB_VERSION:
		proc_get(p, imsg, &ver, sizeof(ver));
		row_version(p, imsg, &ver);
		break;
	case IMSG_PROCINFO:
		answer_procinfo(p, imsg);
		break;
	default:
		dbd_unasked(p, imsg);
	}
}

static void
dispatch_wgd(struct proc_pipe *p, struct imsg *imsg)
{
	struct in_wgkey		k;
	struct in_wgstat	st;
	struct in_ip		ip;
	struct in_error		e;

	switch (imsg->hdr.type) {
	case IMSG_WG_OK:
	case IMSG_WG_END:
		proc_get_none(p, imsg);
		answer_end(p, imsg);
		break;
	case IMSG_WG_ERR:
		proc_get(p, imsg, &e, sizeof(e));
		answer_error(p, imsg, &e);
		break;
	case IMSG_WG_KEY:
		proc_get(p, imsg, &k, sizeof(k));
		row_key(p, imsg, &k);
		break;
	case IMSG_WG_STAT:
		proc_get(p, imsg, &st, sizeof(st));
		row_stat(p, imsg, &st);
		break;
	case IMSG_WG_ADDR:
		proc_get(p, imsg, &ip, sizeof(ip));
		row_addr(p, imsg, &ip);
		break;
	case IMSG_PROCINFO:
		answer_procinfo(p, imsg);
		break;
	default:
		proc_bad(p, imsg, "unexpected");
	}
}

static void
parent_log_answer(struct imsg *imsg, void *arg)
{
	struct in_error	e;

	if (engine_imsg_error(imsg, &e))
		log_warnx("parent: %s", e.msg);
}
