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
 * The server role: bring a network up (mirror, WireGuard, hosts, API
 * listener), keep observed endpoints fresh, and carry out every API
 * operation.  A mutation is checked against the mirror with upstream's
 * rules, committed by dbd, and only then applied to the mirror, to
 * WireGuard and to the hosts file.  Operations remember their network by
 * name, never by pointer, because a network can be deleted while one of
 * its operations waits for an answer.
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

#define HOSTS_DELAY_MS	300	/* gather bursts of changes into one rewrite */

#define START_RETRY	10	/* seconds before trying a failed start again */

/*
 * Healing WireGuard from the mirror (the database's copy): a failed step
 * asks for a re-sync HEAL_DELAY seconds later, so a burst of failures
 * costs one; while WireGuard keeps failing the wait doubles up to
 * HEAL_MAXDELAY.  At rest nothing is compared: every HEAL_TICKS endpoint
 * refreshes a sync follows only if peers were set or removed since
 * WireGuard last took the whole mirror, a net under steps that all
 * succeeded.
 */
#define HEAL_DELAY	1
#define HEAL_MAXDELAY	30
#define HEAL_TICKS	6	/* of IN_ENDPOINT_REFRESH: a minute */

struct server_net {
	struct event	 refresh_ev;
	struct event	 hosts_ev;
	struct event	 retry_ev;
	int		 refreshing;
	int		 endpoints_told; /* wgd reports only changes */
	uint32_t	 endpoints_round; /* bumped when the mirror reloads */
	int		 hosts_scheduled;
	int		 started;		/* listener up */
	int		 wg_up;			/* interface configured */
	uint64_t	 start_round;	/* which start chain is current */
	struct event	 heal_ev;
	int		 healing;	/* a re-sync is under way */
	int		 heal_again;	/* wanted again once it ends */
	int		 heal_if;	/* bring the interface up first */
	int		 heal_fails;	/* in a row, for the back-off */
	uint64_t	 heal_round;	/* which re-sync an answer is for */
	uint64_t	 wg_changes;	/* peer sets and removals sent */
	uint64_t	 synced_gen;	/* wg_changes when last synced */
	unsigned int	 ticks;		/* endpoint refreshes */
	char		 addrs[IN_CANDIDATES_MAXLEN]; /* own candidates */
	size_t		 addrs_len;
	int		 naddrs;
};

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

static void	sop_db_answer(struct imsg *, void *);
static void	sop_commit(struct sop *);
static void	sop_finish(struct sop *);
static void	wg_log_answer(struct imsg *, void *);
static void	wg_fire_answer(struct imsg *, void *);
static void	wg_step_failed(const char *, const char *);
static void	hosts_schedule(struct engine_net *);
static void	hosts_timer(int, short, void *);
static void	refresh_start(int, short, void *);
static void	refresh_answer(struct imsg *, void *);
static void	start_loaded(struct imsg *, void *);
static void	start_wg_up(struct imsg *, void *);
static void	start_synced(struct imsg *, void *);
static void	start_addrs(struct imsg *, void *);
static void	server_quiet(void *, int, const char *, json_t *);
static void	start_retry(int, short, void *);
static void	heal_schedule(struct engine_net *);
static void	heal_start(int, short, void *);
static uint32_t	wg_sync_send(struct engine_net *, engine_cb, void *);

static void
reply(server_cb cb, void *arg, int status, const char *err, json_t *res)
{
	cb(arg, status, err, res);
	json_decref(res);
}

/* dbd and wgd errors as API statuses: constraint violations are 400. */
static int
error_status(int status)
{
	if (status == 409)
		return (400);
	if (status < 400 || status > 599)
		return (500);
	return (status);
}

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

static void
wgpeer_from(const char *ifname, const struct in_peer *p,
    struct in_wgpeer *w)
{
	struct sockaddr_storage	ss;
	socklen_t		sslen;

	memset(w, 0, sizeof(*w));
	strlcpy(w->ifname, ifname, sizeof(w->ifname));
	strlcpy(w->public_key, p->public_key, sizeof(w->public_key));
	/*
	 * wgd takes numeric endpoints only; peers reach the server anyway.
	 * Keepalives go only where there is an endpoint: WireGuard answers
	 * a keepalive turned on with a handshake, and goes on retrying for
	 * 90 s when there is nowhere to send it.  For 10,000 new peers that
	 * was most of userspace WireGuard's CPU and memory; a peer's own
	 * keepalives keep its way to the server open.
	 */
	if (p->endpoint[0] != '\0' &&
	    in_endpoint_numeric(p->endpoint, &ss, &sslen) == 0) {
		strlcpy(w->endpoint, p->endpoint, sizeof(w->endpoint));
		w->keepalive = p->keepalive;
	}
	w->nallowed = 1;
	in_prefix_host(&p->ip, &w->allowed[0]);
}

static int
is_server_peer(struct engine_net *en, const struct in_ip *ip)
{
	return (in_ip_cmp(ip, &en->net.address) == 0);
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
	wgpeer_from(op->net, p, &w);
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
wg_fire(const char *net, uint32_t type, const struct in_peer *p)
{
	struct in_wgpeer	 w;
	uint32_t		 id;
	char			*name;
	struct engine_net	*en;

	if ((en = engine_net_find(net)) != NULL && en->srv != NULL)
		en->srv->wg_changes++;
	wgpeer_from(net, p, &w);
	if ((name = strdup(net)) == NULL) {
		wg_step_failed(net, "out of memory");
		return;
	}
	id = engine_req_new(wg_fire_answer, name);
	if (engine_wg_compose(type, id, &w, sizeof(w)) == -1) {
		engine_req_cancel(id);
		free(name);
		wg_step_failed(net, "cannot reach the WireGuard process");
	}
}

static void
wg_fire_answer(struct imsg *imsg, void *arg)
{
	struct in_error	e;

	if (engine_imsg_error(imsg, &e))
		wg_step_failed(arg, e.msg);
	free(arg);
}

/* A WireGuard step of a network failed: the mirror is applied again. */
static void
wg_step_failed(const char *net, const char *why)
{
	struct engine_net	*en;

	log_warnx("%s: WireGuard: %s; re-syncing from the database", net,
	    why);
	if ((en = engine_net_find(net)) != NULL && en->srv != NULL)
		heal_schedule(en);
}

static void
wg_log_answer(struct imsg *imsg, void *arg)
{
	struct in_error	e;

	if (engine_imsg_error(imsg, &e))
		log_warnx("WireGuard: %s", e.msg);
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
			wg_fire(rs->net, IMSG_WG_PEER_REMOVE, &old);
		if (!np->p.is_disabled) {
			ns_peer_get(np, &old);
			wg_fire(rs->net, IMSG_WG_PEER_SET, &old);
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

/* JSON helpers for the list answers. */

static json_t *
peer_merged_json(const struct ns_peer *np)
{
	struct in_peer	p;
	char		cands[NS_MERGED_CANDSZ];
	size_t		len;

	len = ns_peer_merged(np, &p, cands, sizeof(cands));
	return (json_from_peer(&p, cands, len));
}

static json_t *
cidrs_json(struct netstate *ns)
{
	json_t	*a;
	size_t	 i;

	if ((a = json_array()) == NULL)
		return (NULL);
	for (i = 0; i < ns->ncidrs; i++)
		if (json_array_append_new(a, json_from_cidr(&ns->cidrs[i])) ==
		    -1) {
			json_decref(a);
			return (NULL);
		}
	return (a);
}

/*
 * The state document as it is written: a buffer of DUMP_CHUNK bytes,
 * flushed to a descriptor whenever full, so a document of any size
 * takes that much memory while it is made.
 */
#define DUMP_CHUNK	(64 * 1024)

struct dump {
	int	 fd;
	size_t	 len;		/* in buf */
	size_t	 total;		/* written */
	char	 buf[DUMP_CHUNK];
};

static int
dump_flush(struct dump *d)
{
	size_t	off;
	ssize_t	n;

	for (off = 0; off < d->len; off += n)
		if ((n = write(d->fd, d->buf + off, d->len - off)) <= 0) {
			if (n == -1 && errno == EINTR) {
				n = 0;
				continue;
			}
			return (-1);
		}
	d->total += d->len;
	d->len = 0;
	return (0);
}

static int
dump_add(struct dump *d, const char *s, size_t n)
{
	size_t	l;

	while (n > 0) {
		if (d->len == sizeof(d->buf) && dump_flush(d) == -1)
			return (-1);
		l = sizeof(d->buf) - d->len;
		if (l > n)
			l = n;
		memcpy(d->buf + d->len, s, l);
		d->len += l;
		s += l;
		n -= l;
	}
	return (0);
}

static int
dump_json(struct dump *d, json_t *j)
{
	char	*s;
	int	 rc;

	if (j == NULL || (s = json_dumps(j, JSON_COMPACT)) == NULL) {
		json_decref(j);
		return (-1);
	}
	rc = dump_add(d, s, strlen(s));
	free(s);
	json_decref(j);
	return (rc);
}

/*
 * GET /v1/user/state for a caller (NULL: everything), written a peer at
 * a time to fd: a network of 10,000 peers never exists as a tree of JSON
 * objects, nor as a whole text in our memory.  *lenp is its length.
 */
int
server_state_write(struct engine_net *en, const struct ns_peer *caller,
    int fd, size_t *lenp)
{
	struct netstate	*ns = &en->state;
	struct dump	*d;
	uint8_t		*mark = NULL;
	size_t		 i;
	ssize_t		 ci;
	int		 first = 1;

	if ((d = malloc(sizeof(*d))) == NULL)
		return (-1);
	d->fd = fd;
	d->len = d->total = 0;
	if (caller != NULL) {
		if ((mark = malloc(ns->ncidrs + 1)) == NULL)
			goto fail;
		if (ns_visible_cidrs(ns, caller->p.cidr_id, mark) == -1)
			goto fail;
	}
	if (dump_add(d, "{\"peers\":[", 10) == -1)
		goto fail;
	for (i = 0; i < ns->npeers; i++) {
		if (ns->peers[i].p.is_disabled || !ns->peers[i].p.is_redeemed)
			continue;
		if (mark != NULL && ((ci = ns_cidr_index(ns,
		    ns->peers[i].p.cidr_id)) == -1 || !mark[ci]))
			continue;
		if ((!first && dump_add(d, ",", 1) == -1) ||
		    dump_json(d, peer_merged_json(&ns->peers[i])) == -1)
			goto fail;
		first = 0;
	}
	if (dump_add(d, "],\"cidrs\":", 10) == -1 ||
	    dump_json(d, cidrs_json(ns)) == -1 ||
	    dump_add(d, "}", 1) == -1 || dump_flush(d) == -1)
		goto fail;
	*lenp = d->total;
	free(mark);
	free(d);
	return (0);
 fail:
	free(mark);
	free(d);
	return (-1);
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
		    peer_merged_json(&en->state.peers[i])) == -1) {
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

	if ((a = cidrs_json(&en->state)) == NULL)
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
		wg_fire(net, IMSG_WG_PEER_REMOVE, &p);
	}
	ns_peer_remove(&en->state, id);
	http_state_invalidate(en);
	hosts_schedule(en);
}

/* Hosts file: every enabled, redeemed peer as name.<suffix>. */

int
hosts_enabled(struct engine_net *en)
{
	int	w = en->opts.write_hosts;

	if (en->net.flags & IN_NETF_NOHOSTS)
		return (0);
	if (w == 0)
		w = engine_conf.write_hosts;
	return (w != 2);
}

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

/* The network's hosts section: every enabled, redeemed peer of ns. */
void
hosts_send(struct engine_net *en, struct netstate *ns)
{
	struct in_netreq	 nr;
	struct in_hostent	 he;
	const char		*suffix;
	char			 defsuffix[IN_HOSTSZ];
	size_t			 i;
	uint32_t		 id;

	if (!hosts_enabled(en))
		return;
	if (en->opts.host_suffix_set || en->opts.host_suffix[0] != '\0')
		suffix = en->opts.host_suffix;
	else {
		snprintf(defsuffix, sizeof(defsuffix), "%s.wg", en->net.name);
		suffix = defsuffix;
	}
	memset(&nr, 0, sizeof(nr));
	strlcpy(nr.network, en->net.name, sizeof(nr.network));
	id = engine_req_new(wg_log_answer, NULL);
	for (i = 0; i < ns->npeers; i++) {
		if (ns->peers[i].p.is_disabled ||
		    !ns->peers[i].p.is_redeemed)
			continue;
		memset(&he, 0, sizeof(he));
		strlcpy(he.ifname, en->net.name, sizeof(he.ifname));
		he.ip = ns->peers[i].p.ip;
		if (suffix[0] == '\0')
			strlcpy(he.name, ns->peers[i].p.name,
			    sizeof(he.name));
		else if ((size_t)snprintf(he.name, sizeof(he.name), "%s.%s",
		    ns->peers[i].p.name, suffix) >= sizeof(he.name))
			continue;
		engine_parent_compose(IMSG_PARENT_HOSTS, id, &he, sizeof(he));
	}
	engine_parent_compose(IMSG_PARENT_HOSTS_END, id, &nr, sizeof(nr));
}

/*
 * Endpoints WireGuard has seen, every IN_ENDPOINT_REFRESH seconds.  wgd
 * tells only those that changed since its last report, once it has told
 * this mirror everything; a reloaded mirror asks for all again, and an
 * answer meant for the mirror before it does not count.
 */

struct refresh_req {
	char		 net[IN_IFNAMSZ];
	uint32_t	 round;
};

static void
refresh_arm(struct engine_net *en)
{
	struct timeval	tv = { IN_ENDPOINT_REFRESH, 0 };

	evtimer_add(&en->srv->refresh_ev, &tv);
}

static void
refresh_start(int fd, short event, void *arg)
{
	struct engine_net	*en = arg;
	struct in_netreq	 nr;
	struct refresh_req	*rr;
	uint32_t		 id;

	refresh_arm(en);
	if (++en->srv->ticks % HEAL_TICKS == 0 &&
	    en->srv->wg_changes != en->srv->synced_gen)
		heal_schedule(en);
	if (en->srv->refreshing)
		return;
	if ((rr = calloc(1, sizeof(*rr))) == NULL)
		return;
	strlcpy(rr->net, en->net.name, sizeof(rr->net));
	rr->round = en->srv->endpoints_round;
	memset(&nr, 0, sizeof(nr));
	strlcpy(nr.network, en->net.name, sizeof(nr.network));
	nr.id = en->srv->endpoints_told ? 1 : 0;
	en->srv->refreshing = 1;
	id = engine_req_new(refresh_answer, rr);
	if (engine_wg_compose(IMSG_WG_ENDPOINTS_REQ, id, &nr,
	    sizeof(nr)) == -1) {
		engine_req_cancel(id);
		free(rr);
		en->srv->refreshing = 0;
	}
}

static void
refresh_answer(struct imsg *imsg, void *arg)
{
	struct refresh_req	*rr = arg;
	struct engine_net	*en;
	struct in_wgstat	 st;
	struct in_error		 e;
	int			 told;

	en = engine_net_find(rr->net);
	switch (imsg->hdr.type) {
	case IMSG_WG_STAT:
		memcpy(&st, imsg->data, sizeof(st));
		if (en != NULL && st.endpoint[0] != '\0')
			ns_peer_set_observed(&en->state, st.public_key,
			    st.endpoint);
		return;
	default:
		told = !engine_imsg_error(imsg, &e);
		/* the interface may be gone (userspace WireGuard died) */
		if (!told && en != NULL && en->srv != NULL &&
		    en->srv->wg_up && rr->round == en->srv->endpoints_round)
			wg_step_failed(rr->net, e.msg);
		if (en != NULL && en->srv != NULL) {
			en->srv->refreshing = 0;
			if (rr->round == en->srv->endpoints_round)
				en->srv->endpoints_told = told;
		}
		free(rr);
		return;
	}
}

/*
 * Bringing a network up: load the mirror, bring WireGuard up and give it
 * every enabled peer, then the hosts file and the API listener.  Each
 * step finds the network again by name and start round: the network may
 * be stopped (uninstalled) or started anew while an answer is on its way,
 * and a step of an older start must not drive the current one.
 */
struct start_req {
	char		 net[IN_IFNAMSZ];
	uint64_t	 round;
};

static uint64_t	start_rounds;

static struct start_req *
step_new(struct engine_net *en)
{
	struct start_req	*sr;

	if ((sr = calloc(1, sizeof(*sr))) == NULL)
		fatal("start");
	strlcpy(sr->net, en->net.name, sizeof(sr->net));
	sr->round = en->srv->start_round;
	return (sr);
}

/* Does this answer end its request (no more will come for it)? */
static int
step_final(struct imsg *imsg)
{
	switch (imsg->hdr.type) {
	case IMSG_DB_OK:
	case IMSG_DB_ERR:
	case IMSG_DB_END:
	case IMSG_WG_OK:
	case IMSG_WG_ERR:
	case IMSG_WG_END:
		return (1);
	default:
		return (0);
	}
}

static void
start_retry(int fd, short event, void *arg)
{
	server_net_start(arg);
}

/* The interface of a network, either role: configuration over defaults. */
void
engine_wgif(struct engine_net *en, struct in_wgif *wif)
{
	memset(wif, 0, sizeof(*wif));
	strlcpy(wif->name, en->net.name, sizeof(wif->name));
	wif->backend = en->opts.backend ? en->opts.backend :
	    engine_conf.backend;
	wif->address.ip = en->net.address;
	wif->address.len = en->net.net.len;
	wif->route = en->net.net;
	wif->listen_port = en->opts.listen_port ? en->opts.listen_port :
	    en->net.listen_port;
	wif->mtu = en->opts.mtu ? en->opts.mtu : engine_conf.mtu ?
	    engine_conf.mtu : IN_DEFAULT_MTU;
}

/* A failed start (database, WireGuard) is tried again a little later. */
static void
start_failed(struct engine_net *en)
{
	struct timeval	tv = { START_RETRY, 0 };

	log_warnx("%s: trying again in %d seconds", en->net.name,
	    START_RETRY);
	evtimer_add(&en->srv->retry_ev, &tv);
}

/*
 * The network a step's answer is for, or NULL if that start is over.  A
 * request answers with rows before its end, and the context stays the
 * request's until the end: freeing it at a row would leave the next
 * answer with freed memory (and free it again).
 */
static struct engine_net *
step_net(struct imsg *imsg, struct start_req *sr)
{
	struct engine_net	*en;

	en = engine_net_find(sr->net);
	if (en == NULL || en->srv == NULL ||
	    en->srv->start_round != sr->round) {
		if (step_final(imsg))
			free(sr);
		return (NULL);
	}
	return (en);
}

void
server_net_start(struct engine_net *en)
{
	struct in_netreq	nr;
	uint32_t		id;

	if (en->srv == NULL) {
		if ((en->srv = calloc(1, sizeof(*en->srv))) == NULL)
			fatal("server");
		evtimer_set(&en->srv->refresh_ev, refresh_start, en);
		evtimer_set(&en->srv->hosts_ev, hosts_timer, en);
		evtimer_set(&en->srv->retry_ev, start_retry, en);
		evtimer_set(&en->srv->heal_ev, heal_start, en);
	}
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
	en->srv->start_round = ++start_rounds;
	memset(&nr, 0, sizeof(nr));
	strlcpy(nr.network, en->net.name, sizeof(nr.network));
	id = engine_req_new(start_loaded, step_new(en));
	if (engine_db_compose(IMSG_DB_LOAD, id, &nr, sizeof(nr)) == -1)
		fatalx("cannot ask dbd for %s", en->net.name);
}

static void
start_loaded(struct imsg *imsg, void *arg)
{
	struct engine_net	*en;
	struct in_peer		 p;
	struct in_cidr		 c;
	struct in_assoc		 a;
	struct in_error		 e;
	struct in_wgif		 wif;
	uint32_t		 id;

	if ((en = step_net(imsg, arg)) == NULL)
		return;
	switch (imsg->hdr.type) {
	case IMSG_DB_PEER:
		memcpy(&p, imsg->data, sizeof(p));
		p.keepalive = IN_DEFAULT_KEEPALIVE;
		if (ns_peer_upsert(&en->state, &p, (char *)imsg->data +
		    sizeof(p), p.candidates_len) == -1)
			fatal("%s: loading peers", en->net.name);
		return;
	case IMSG_DB_CIDR:
		memcpy(&c, imsg->data, sizeof(c));
		if (ns_cidr_upsert(&en->state, &c) == -1)
			fatal("%s: loading CIDRs", en->net.name);
		return;
	case IMSG_DB_ASSOC:
		memcpy(&a, imsg->data, sizeof(a));
		if (ns_assoc_upsert(&en->state, &a) == -1)
			fatal("%s: loading associations", en->net.name);
		return;
	case IMSG_DB_END:
		break;
	default:
		if (engine_imsg_error(imsg, &e))
			log_warnx("%s: cannot load the database: %s",
			    en->net.name, e.msg);
		else
			log_warnx("%s: load: unexpected %s", en->net.name,
			    in_imsg_name(imsg->hdr.type));
		free(arg);
		start_failed(en);
		return;
	}
	en->loaded = 1;
	log_info("%s: %zu CIDRs, %zu peers, %zu associations", en->net.name,
	    en->state.ncidrs, en->state.npeers, en->state.nassocs);

	engine_wgif(en, &wif);
	id = engine_req_new(start_wg_up, arg);
	engine_wg_compose(IMSG_WG_IF_UP, id, &wif, sizeof(wif));
}

static void
start_wg_up(struct imsg *imsg, void *arg)
{
	struct engine_net	*en;
	struct in_wgkey		 k;
	struct in_error		 e;

	if ((en = step_net(imsg, arg)) == NULL)
		return;
	switch (imsg->hdr.type) {
	case IMSG_WG_KEY:
		memcpy(&k, imsg->data, sizeof(k));
		if (in_key_ok(k.key) && strcmp(k.key,
		    en->net.public_key) != 0) {
			log_warnx("%s: WireGuard key differs from the "
			    "database; using WireGuard's", en->net.name);
			strlcpy(en->net.public_key, k.key,
			    sizeof(en->net.public_key));
		}
		if (k.listen_port != 0)
			en->net.listen_port = k.listen_port;
		return;
	case IMSG_WG_OK:
		en->srv->wg_up = 1;
		break;
	default:
		if (engine_imsg_error(imsg, &e))
			log_warnx("%s: cannot bring WireGuard up: %s",
			    en->net.name, e.msg);
		free(arg);
		start_failed(en);
		return;
	}

	en->srv->synced_gen = en->srv->wg_changes;
	wg_sync_send(en, start_synced, arg);
}

/* WireGuard's peers made what the mirror says: every enabled peer. */
static uint32_t
wg_sync_send(struct engine_net *en, engine_cb cb, void *arg)
{
	struct in_netreq	 nr;
	struct in_wgpeer	 w;
	struct in_peer		 p;
	size_t			 i, n = 0;
	uint32_t		 id;

	memset(&nr, 0, sizeof(nr));
	strlcpy(nr.network, en->net.name, sizeof(nr.network));
	id = engine_req_new(cb, arg);
	engine_wg_compose(IMSG_WG_SYNC_BEGIN, id, &nr, sizeof(nr));
	for (i = 0; i < en->state.npeers; i++) {
		if (en->state.peers[i].p.is_disabled ||
		    is_server_peer(en, &en->state.peers[i].p.ip))
			continue;
		ns_peer_get(&en->state.peers[i], &p);
		wgpeer_from(en->net.name, &p, &w);
		engine_wg_compose(IMSG_WG_SYNC_PEER, id, &w, sizeof(w));
		n++;
	}
	engine_wg_compose(IMSG_WG_SYNC_END, id, &nr, sizeof(nr));
	log_debug("%s: %zu peers to WireGuard", en->net.name, n);
	return (id);
}

static void
start_synced(struct imsg *imsg, void *arg)
{
	struct engine_net	*en;
	struct in_error		 e;
	uint32_t		 id;

	if ((en = step_net(imsg, arg)) == NULL)
		return;
	if (engine_imsg_error(imsg, &e))
		wg_step_failed(en->net.name, e.msg);
	hosts_schedule(en);
	if (http_start(en) == -1)
		log_warnx("%s: the API is not available", en->net.name);
	else
		en->srv->started = 1;
	refresh_arm(en);
	id = engine_req_new(start_addrs, arg);
	engine_wg_compose(IMSG_WG_ADDRS_REQ, id, NULL, 0);
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
start_addrs(struct imsg *imsg, void *arg)
{
	struct engine_net	*en;
	struct server_net	*srv;
	struct in_ip		 ip;
	struct ns_peer		*self;
	struct in_peer		 p;
	struct sop		*op;
	char			 a[IN_ADDRSTRSZ], ep[IN_ENDPOINTSZ];
	const char		*s;
	size_t			 l;
	int			 n;

	if ((en = step_net(imsg, arg)) == NULL)
		return;
	srv = en->srv;
	if (imsg->hdr.type == IMSG_WG_ADDR) {
		memcpy(&ip, imsg->data, sizeof(ip));
		if (srv->naddrs >= IN_MAXCANDIDATES ||
		    in_prefix_contains(&en->net.net, &ip) ||
		    in_ip_str(&ip, a, sizeof(a)) == -1)
			return;
		n = snprintf(ep, sizeof(ep), ip.af == AF_INET6 ? "[%s]:%u" :
		    "%s:%u", a, en->net.listen_port);
		if (n < 0 || (size_t)n >= sizeof(ep))
			return;
		for (s = srv->addrs; s < srv->addrs + srv->addrs_len;
		    s += strlen(s) + 1)
			if (strcmp(s, ep) == 0)
				return;
		l = strlen(ep) + 1;
		if (srv->addrs_len + l > sizeof(srv->addrs))
			return;
		memcpy(srv->addrs + srv->addrs_len, ep, l);
		srv->addrs_len += l;
		srv->naddrs++;
		return;
	}
	free(arg);
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

/*
 * Healing: WireGuard is made to agree with the mirror again.  First the
 * peers alone, as a diff (unchanged peers cost nothing); if that fails
 * the interface itself is brought up again (userspace WireGuard may have
 * died and taken it along), its peers given, and the API listener,
 * which was bound to the interface that went away, opened anew.
 */
struct heal_req {
	char		 net[IN_IFNAMSZ];
	uint64_t	 round;
	uint64_t	 gen;
	int		 with_if;
};

static uint64_t	heal_rounds;

static void	heal_wg_up(struct imsg *, void *);
static void	heal_synced(struct imsg *, void *);

static void
heal_schedule(struct engine_net *en)
{
	struct server_net	*srv = en->srv;
	struct timeval		 tv = { HEAL_DELAY, 0 };
	int			 i;

	if (srv == NULL)
		return;
	if (srv->healing) {
		srv->heal_again = 1;
		return;
	}
	if (evtimer_pending(&srv->heal_ev, NULL))
		return;
	for (i = 0; i < srv->heal_fails && tv.tv_sec < HEAL_MAXDELAY; i++)
		tv.tv_sec *= 2;
	if (tv.tv_sec > HEAL_MAXDELAY)
		tv.tv_sec = HEAL_MAXDELAY;
	evtimer_add(&srv->heal_ev, &tv);
}

/* The answer belongs to the re-sync under way, else it is dropped. */
static struct engine_net *
heal_net(struct heal_req *hr)
{
	struct engine_net	*en;

	if ((en = engine_net_find(hr->net)) == NULL || en->srv == NULL ||
	    !en->srv->healing || en->srv->heal_round != hr->round) {
		free(hr);
		return (NULL);
	}
	return (en);
}

static void
heal_send(struct engine_net *en, struct heal_req *hr)
{
	struct in_wgif	wif;
	uint32_t	id;

	if (hr->with_if) {
		engine_wgif(en, &wif);
		id = engine_req_new(heal_wg_up, hr);
		if (engine_wg_compose(IMSG_WG_IF_UP, id, &wif,
		    sizeof(wif)) == -1) {
			engine_req_cancel(id);
			free(hr);
			en->srv->healing = 0;
			en->srv->heal_fails++;
			heal_schedule(en);
		}
		return;
	}
	hr->gen = en->srv->wg_changes;
	wg_sync_send(en, heal_synced, hr);
}

static void
heal_start(int fd, short event, void *arg)
{
	struct engine_net	*en = arg;
	struct server_net	*srv = en->srv;
	struct heal_req		*hr;

	/* a start under way gives WireGuard the whole mirror anyway */
	if (!srv->wg_up || srv->healing)
		return;
	if ((hr = calloc(1, sizeof(*hr))) == NULL) {
		heal_schedule(en);
		return;
	}
	strlcpy(hr->net, en->net.name, sizeof(hr->net));
	hr->round = srv->heal_round = ++heal_rounds;
	hr->with_if = srv->heal_if;
	srv->healing = 1;
	srv->heal_again = 0;
	heal_send(en, hr);
}

static void
heal_wg_up(struct imsg *imsg, void *arg)
{
	struct heal_req		*hr = arg;
	struct engine_net	*en;
	struct in_error		 e;

	if (imsg->hdr.type == IMSG_WG_KEY)
		return;		/* the key and port are known already */
	if ((en = heal_net(hr)) == NULL)
		return;
	if (imsg->hdr.type != IMSG_WG_OK) {
		if (!engine_imsg_error(imsg, &e))
			strlcpy(e.msg, "unexpected answer", sizeof(e.msg));
		log_warnx("%s: WireGuard: bringing the interface up: %s",
		    hr->net, e.msg);
		free(hr);
		en->srv->healing = 0;
		en->srv->heal_fails++;
		heal_schedule(en);
		return;
	}
	hr->gen = en->srv->wg_changes;
	wg_sync_send(en, heal_synced, hr);
}

static void
heal_synced(struct imsg *imsg, void *arg)
{
	struct heal_req		*hr = arg;
	struct engine_net	*en;
	struct server_net	*srv;
	struct in_error		 e;

	if ((en = heal_net(hr)) == NULL)
		return;
	srv = en->srv;
	if (engine_imsg_error(imsg, &e)) {
		if (!hr->with_if) {
			/* the interface itself, then */
			log_warnx("%s: WireGuard peers: %s; bringing the "
			    "interface up again", hr->net, e.msg);
			hr->with_if = srv->heal_if = 1;
			heal_send(en, hr);
			return;
		}
		log_warnx("%s: WireGuard peers: %s", hr->net, e.msg);
		free(hr);
		srv->healing = 0;
		srv->heal_fails++;
		heal_schedule(en);
		return;
	}
	if (hr->with_if) {
		http_stop(en);
		if (http_start(en) == -1) {
			log_warnx("%s: the API is not available",
			    en->net.name);
			srv->started = 0;
		} else
			srv->started = 1;
	}
	if (srv->heal_fails > 0 || hr->with_if)
		log_info("%s: WireGuard agrees with the database again",
		    hr->net);
	srv->synced_gen = hr->gen;
	srv->healing = 0;
	srv->heal_fails = 0;
	srv->heal_if = 0;
	free(hr);
	if (srv->heal_again)
		heal_schedule(en);
}

void
server_net_stop(struct engine_net *en)
{
	if (en->srv == NULL)
		return;
	http_stop(en);
	evtimer_del(&en->srv->heal_ev);
	evtimer_del(&en->srv->refresh_ev);
	evtimer_del(&en->srv->hosts_ev);
	evtimer_del(&en->srv->retry_ev);
	free(en->srv);
	en->srv = NULL;
	en->loaded = 0;
}

void
server_net_reconf(struct engine_net *en)
{
	hosts_schedule(en);
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
	uint32_t	id;

	memset(&k, 0, sizeof(k));
	strlcpy(k.ifname, name, sizeof(k.ifname));
	id = engine_req_new(wg_log_answer, NULL);
	if (engine_wg_compose(IMSG_WG_KEY_DELETE, id, &k, sizeof(k)) == -1)
		engine_req_cancel(id);
}

void
server_net_create(const struct in_netcreate *nc, server_cb cb, void *arg)
{
	struct net_create	*c;
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
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		reply(cb, arg, 500, "out of memory", NULL);
		return;
	}
	c->nc = *nc;
	c->nc.net.role = IN_ROLE_SERVER;
	c->cb = cb;
	c->arg = arg;
	memset(&k, 0, sizeof(k));
	strlcpy(k.ifname, nc->net.name, sizeof(k.ifname));
	id = engine_req_new(net_create_keyed, c);
	if (engine_wg_compose(IMSG_WG_KEY_NEW, id, &k, sizeof(k)) == -1) {
		engine_req_cancel(id);
		reply(cb, arg, 500, "cannot reach the WireGuard process",
		    NULL);
		free(c);
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
			free(c);
			return;
		}
		break;
	default:
		if (engine_imsg_error(imsg, &e))
			reply(c->cb, c->arg, error_status(e.status), e.msg,
			    NULL);
		else
			reply(c->cb, c->arg, 500, "unexpected answer", NULL);
		free(c);
		return;
	}
	id = engine_req_new(net_create_stored, c);
	if (engine_db_compose(IMSG_DB_NETWORK_CREATE, id, &c->nc,
	    sizeof(c->nc)) == -1) {
		engine_req_cancel(id);
		key_delete(c->nc.net.name);
		reply(c->cb, c->arg, 500, "cannot reach the database process",
		    NULL);
		free(c);
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
		free(c);
		return;
	}
	if (!c->got_row)
		c->row = c->nc.net;
	log_info("%s: network created", c->row.name);
	en = engine_net_add(&c->row);
	server_net_start(en);
	o = json_pack("{s:s,s:s}", "network", c->row.name, "public_key",
	    c->row.public_key);
	if (o == NULL)
		reply(c->cb, c->arg, 500, "out of memory", NULL);
	else
		reply(c->cb, c->arg, 201, NULL, o);
	free(c);
}

/*
 * Deleting a network: WireGuard down, hosts section dropped, key
 * removed, database removed; later steps run even if an earlier one
 * fails (the interface may already be gone), except the last decides.
 */
struct net_delete {
	char		 name[IN_IFNAMSZ];
	int		 step;
	server_cb	 cb;
	void		*arg;
};

static void	net_delete_next(struct imsg *, void *);

static void
net_delete_send(struct net_delete *d)
{
	struct in_netreq	nr;
	struct in_wgkey		k;
	uint32_t		id;
	int			rc;

	memset(&nr, 0, sizeof(nr));
	strlcpy(nr.network, d->name, sizeof(nr.network));
	memset(&k, 0, sizeof(k));
	strlcpy(k.ifname, d->name, sizeof(k.ifname));
	id = engine_req_new(net_delete_next, d);
	switch (d->step) {
	case 0:
		rc = engine_wg_compose(IMSG_WG_IF_DOWN, id, &nr, sizeof(nr));
		break;
	case 1:
		rc = engine_parent_compose(IMSG_PARENT_HOSTS_END, id, &nr,
		    sizeof(nr));
		break;
	case 2:
		rc = engine_wg_compose(IMSG_WG_KEY_DELETE, id, &k, sizeof(k));
		break;
	default:
		rc = engine_db_compose(IMSG_DB_NETWORK_DELETE, id, &nr,
		    sizeof(nr));
		break;
	}
	if (rc == -1) {
		engine_req_cancel(id);
		reply(d->cb, d->arg, 500, "cannot reach a helper process",
		    NULL);
		free(d);
	}
}

void
server_net_delete(struct engine_net *en, server_cb cb, void *arg)
{
	struct net_delete	*d;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		reply(cb, arg, 500, "out of memory", NULL);
		return;
	}
	strlcpy(d->name, en->net.name, sizeof(d->name));
	d->cb = cb;
	d->arg = arg;
	log_info("%s: deleting the network", d->name);
	if (en->net.role == IN_ROLE_SERVER)
		server_net_stop(en);
	else
		client_net_stop(en);
	net_delete_send(d);
}

static void
net_delete_next(struct imsg *imsg, void *arg)
{
	struct net_delete	*d = arg;
	struct engine_net	*en;
	struct in_error		 e;
	int			 err;

	err = engine_imsg_error(imsg, &e);
	if (d->step < 3) {
		if (err)
			log_debug("%s: delete step %d: %s", d->name, d->step,
			    e.msg);
		d->step++;
		net_delete_send(d);
		return;
	}
	if (err) {
		reply(d->cb, d->arg, error_status(e.status), e.msg, NULL);
		free(d);
		return;
	}
	if ((en = engine_net_find(d->name)) != NULL) {
		if (en->net.role == IN_ROLE_SERVER)
			server_net_stop(en);
		else
			client_net_stop(en);
		engine_net_remove(en);
	}
	reply(d->cb, d->arg, 204, NULL, NULL);
	free(d);
}
