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
 * A network's lifecycle, the same for both roles: load from dbd (the
 * server's mirror, the client's cache), resolve the server's endpoint
 * (client role), bring WireGuard up, give it every peer, then run
 * (serve the API, or fetch); a failed step waits and starts again, and
 * a stop ends it wherever it is.  One machine drives it: a state per
 * network, an event per answer, and net_transition(), which switches on
 * state then event.  What differs between the roles are hooks of a
 * struct net_role, which server.c and client.c fill.
 *
 * An asynchronous step remembers its network by name and run (net_ref),
 * never by pointer: a network can be stopped, deleted or started anew
 * while an answer is on its way.  The request registry keeps each
 * step's context and frees it when the request ends.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event.h>
#include <event2/dns.h>

#include "engine.h"

/* A step of a start: the network's run, and which start of it. */
struct net_step {
	struct net_ref	 ref;
	uint64_t	 round;
};

static const struct net_role	*net_roles[IN_ROLE_CLIENT + 1];
static uint64_t			 net_gens, net_rounds;

static void	change_state(struct engine_net *, enum net_state);
static void	net_load(struct engine_net *);
static void	net_resolve_server(struct engine_net *, const char *);
static void	net_if_up(struct engine_net *);
static void	net_sync(struct engine_net *);
static void	net_fail(struct engine_net *, const char *);
static void	net_retry(struct engine_net *, int);
static void	net_retry_timer(int, short, void *);
static void	net_answer(struct imsg *, void *);
static void	net_resolved(void *, const char *, const char *);

static const char *net_state_names[] = {
	"idle", "loading", "resolving", "interface up", "syncing",
	"running", "retry"
};

void
net_role_set(int role, const struct net_role *r)
{
	if (role < 0 || role > IN_ROLE_CLIENT)
		fatalx("%s: role %d", __func__, role);
	net_roles[role] = r;
}

static const struct net_role *
net_role(struct engine_net *en)
{
	if (en->net.role > IN_ROLE_CLIENT ||
	    net_roles[en->net.role] == NULL)
		return (NULL);
	return (net_roles[en->net.role]);
}

void
net_ref_set(struct net_ref *r, struct engine_net *en)
{
	memset(r, 0, sizeof(*r));
	strlcpy(r->name, en->net.name, sizeof(r->name));
	r->gen = en->gen;
}

/* The network a step was for, or NULL if it is gone or was stopped. */
struct engine_net *
net_ref_find(const struct net_ref *r)
{
	struct engine_net	*en;

	if ((en = engine_net_find(r->name)) == NULL || en->gen == 0 ||
	    en->gen != r->gen)
		return (NULL);
	return (en);
}

/* A request for the current start of en, answered by net_answer(). */
static uint32_t
net_req(struct engine_net *en, engine_cb cb)
{
	struct net_step	st;

	memset(&st, 0, sizeof(st));
	net_ref_set(&st.ref, en);
	st.round = en->round;
	return (engine_req_new_ctx(cb, &st, sizeof(st)));
}

/*
 * The machine.  Events that make no sense in a state (a late answer, a
 * start of a network already starting) are ignored.
 */
void
net_transition(struct engine_net *en, enum net_event ev, const char *arg)
{
	const struct net_role	*r;

	if ((r = net_role(en)) == NULL)
		return;
	if (ev == NET_EV_STOP) {
		if (en->retry_set)
			evtimer_del(&en->retry_ev);
		if (en->gen != 0 && r->fini != NULL)
			r->fini(en);
		en->gen = 0;
		en->loaded = 0;
		change_state(en, NET_IDLE);
		return;
	}
	if (ev == NET_EV_WG_LOST) {
		/* a role that heals WireGuard in place does it any time */
		if (en->gen == 0)
			return;
		if (r->heal == 0) {
			r->wg_lost(en, arg);
			return;
		}
		if (en->lifecycle != NET_RUNNING)
			return;
		r->wg_lost(en, arg);
		net_retry(en, r->heal);
		return;
	}

	switch (en->lifecycle) {
	case NET_IDLE:
	case NET_RETRY:
		if (ev != NET_EV_START && ev != NET_EV_RETRY)
			break;
		if (en->gen == 0) {
			if (r->init(en) == -1) {
				log_warnx("%s: %s: out of memory",
				    en->net.name, __func__);
				break;
			}
			en->gen = ++net_gens;
		}
		if (en->retry_set)
			evtimer_del(&en->retry_ev);
		net_load(en);
		break;
	case NET_LOADING:
		if (ev == NET_EV_LOADED) {
			if (r->loaded != NULL)
				r->loaded(en);
			if (r->endpoint != NULL && r->endpoint(en) != NULL)
				net_resolve_server(en, r->endpoint(en));
			else
				net_if_up(en);
		} else if (ev == NET_EV_FAILED)
			net_fail(en, arg);
		break;
	case NET_RESOLVING:
		if (ev == NET_EV_RESOLVED) {
			r->resolved(en, arg);
			net_if_up(en);
		} else if (ev == NET_EV_FAILED)
			net_fail(en, arg);
		break;
	case NET_IF_UP:
		if (ev == NET_EV_IF_UP)
			net_sync(en);
		else if (ev == NET_EV_FAILED)
			net_fail(en, arg);
		break;
	case NET_SYNCING:
		if (ev == NET_EV_SYNCED) {
			if (r->synced(en, arg) == -1) {
				net_fail(en, arg);
				break;
			}
			change_state(en, NET_RUNNING);
			r->running(en);
		} else if (ev == NET_EV_FAILED)
			net_fail(en, arg);
		break;
	case NET_RUNNING:
		/* a start of a running network has nothing to do */
		break;
	}
}

static void
change_state(struct engine_net *en, enum net_state state)
{
	if (en->lifecycle == state)
		return;
	log_debug("%s: %s -> %s", en->net.name,
	    net_state_names[en->lifecycle], net_state_names[state]);
	en->lifecycle = state;
}

void
net_start(struct engine_net *en)
{
	net_transition(en, NET_EV_START, NULL);
}

void
net_stop(struct engine_net *en)
{
	net_transition(en, NET_EV_STOP, NULL);
}

/* The steps, in the order they happen. */

static void
net_load(struct engine_net *en)
{
	const struct net_role	*r = net_role(en);
	struct in_netreq	 nr;
	uint32_t		 id;

	change_state(en, NET_LOADING);
	en->round = ++net_rounds;
	en->load_failed = 0;
	r->load_begin(en);
	netreq_set(&nr, en->net.name);
	id = net_req(en, net_answer);
	if (engine_db_compose(IMSG_DB_LOAD, id, &nr, sizeof(nr)) == -1) {
		engine_req_cancel(id);
		net_transition(en, NET_EV_FAILED,
		    "cannot reach the database process");
	}
}

static void
net_resolve_server(struct engine_net *en, const char *endpoint)
{
	struct net_step	st;

	change_state(en, NET_RESOLVING);
	memset(&st, 0, sizeof(st));
	net_ref_set(&st.ref, en);
	st.round = en->round;
	net_resolve(endpoint, net_resolved, &st, sizeof(st));
}

static void
net_resolved(void *arg, const char *ep, const char *err)
{
	struct net_step		*st = arg;
	struct engine_net	*en;

	if ((en = net_ref_find(&st->ref)) == NULL || en->round != st->round)
		return;
	if (ep == NULL)
		net_transition(en, NET_EV_FAILED, err);
	else
		net_transition(en, NET_EV_RESOLVED, ep);
}

static void
net_if_up(struct engine_net *en)
{
	struct in_wgif	wif;
	uint32_t	id;

	change_state(en, NET_IF_UP);
	engine_wgif(en, &wif);
	id = net_req(en, net_answer);
	if (engine_wg_compose(IMSG_WG_IF_UP, id, &wif, sizeof(wif)) == -1) {
		engine_req_cancel(id);
		net_transition(en, NET_EV_FAILED,
		    "cannot reach the WireGuard process");
	}
}

static void
net_sync(struct engine_net *en)
{
	change_state(en, NET_SYNCING);
	net_role(en)->sync(en, net_req(en, net_answer));
}

/* A failed start is tried again a little later. */
static void
net_fail(struct engine_net *en, const char *why)
{
	const struct net_role	*r = net_role(en);

	log_warnx("%s: %s: %s", en->net.name, net_state_names[en->lifecycle],
	    why);
	log_warnx("%s: trying again in %d seconds", en->net.name, r->retry);
	if (r->failed != NULL)
		r->failed(en, why);
	net_retry(en, r->retry);
}

static void
net_retry(struct engine_net *en, int secs)
{
	struct timeval	tv = { secs, 0 };

	change_state(en, NET_RETRY);
	if (!en->retry_set) {
		evtimer_set(&en->retry_ev, net_retry_timer, en);
		en->retry_set = 1;
	}
	evtimer_add(&en->retry_ev, &tv);
}

static void
net_retry_timer(int fd, short event, void *arg)
{
	net_transition(arg, NET_EV_RETRY, NULL);
}

/*
 * Every answer to a step of a start, turned into its event.  Rows come
 * before the end of a load; the key and port before the end of an
 * interface; an answer of an older start or of a stopped network finds
 * nothing and is dropped (the registry frees its context).
 */
static void
net_answer(struct imsg *imsg, void *arg)
{
	struct net_step		*st = arg;
	struct engine_net	*en;
	const struct net_role	*r;
	struct in_wgkey		 k;
	struct in_error		 e;
	char			 why[IN_ERRSZ + 64];

	if ((en = net_ref_find(&st->ref)) == NULL || en->round != st->round ||
	    (r = net_role(en)) == NULL)
		return;
	if (engine_imsg_error(imsg, &e))
		snprintf(why, sizeof(why), "%s", e.msg);
	else
		snprintf(why, sizeof(why), "unexpected %s",
		    in_imsg_name(imsg->hdr.type));
	switch (en->lifecycle) {
	case NET_LOADING:
		switch (imsg->hdr.type) {
		case IMSG_DB_END:
			if (en->load_failed)
				net_transition(en, NET_EV_FAILED,
				    "loading: out of memory");
			else
				net_transition(en, NET_EV_LOADED, NULL);
			return;
		case IMSG_DB_PEER:
		case IMSG_DB_CIDR:
		case IMSG_DB_ASSOC:
		case IMSG_DB_OVERRIDE:
			if (!en->load_failed && r->load_row(en, imsg) == -1)
				en->load_failed = 1;
			return;
		default:
			net_transition(en, NET_EV_FAILED, why);
			return;
		}
	case NET_IF_UP:
		switch (imsg->hdr.type) {
		case IMSG_WG_KEY:
			if (imsg_get_data(imsg, &k, sizeof(k)) == -1 ||
			    !in_str_ok(k.key))
				return;
			r->if_key(en, &k);
			return;
		case IMSG_WG_OK:
			net_transition(en, NET_EV_IF_UP, NULL);
			return;
		default:
			net_transition(en, NET_EV_FAILED, why);
			return;
		}
	case NET_SYNCING:
		if (imsg->hdr.type == IMSG_WG_OK || imsg->hdr.type ==
		    IMSG_WG_END)
			net_transition(en, NET_EV_SYNCED, NULL);
		else
			net_transition(en, NET_EV_SYNCED, why);
		return;
	default:
		return;
	}
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
	id = engine_req_new_ctx(net_delete_next, d, sizeof(*d));
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
	}
}

void
net_delete(struct engine_net *en, server_cb cb, void *arg)
{
	struct net_delete	d;

	memset(&d, 0, sizeof(d));
	strlcpy(d.name, en->net.name, sizeof(d.name));
	d.cb = cb;
	d.arg = arg;
	log_info("%s: deleting the network", d.name);
	net_stop(en);
	net_delete_send(&d);
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
		return;
	}
	if ((en = engine_net_find(d->name)) != NULL) {
		net_stop(en);
		engine_net_remove(en);
	}
	reply(d->cb, d->arg, 204, NULL, NULL);
}

/*
 * Resolving an endpoint: numeric ones at once, names through the
 * resolver set up before the chroot.
 */
struct resolve {
	resolve_cb	 cb;
	void		*arg;
	uint16_t	 port;
	char		 name[IN_HOSTSZ];
	/* then the caller's context, if it asked for a copy */
};

static void
resolve_done(int result, struct evutil_addrinfo *res, void *arg)
{
	struct resolve		*r = arg;
	char			 ep[IN_ENDPOINTSZ], err[IN_ERRSZ * 2];
	struct sockaddr_in	*sin;
	struct sockaddr_in6	*sin6;

	if (result != 0 || res == NULL) {
		snprintf(err, sizeof(err), "cannot resolve %s: %s", r->name,
		    evutil_gai_strerror(result));
		r->cb(r->arg, NULL, err);
	} else {
		if (res->ai_family == AF_INET) {
			sin = (struct sockaddr_in *)res->ai_addr;
			sin->sin_port = htons(r->port);
		} else {
			sin6 = (struct sockaddr_in6 *)res->ai_addr;
			sin6->sin6_port = htons(r->port);
		}
		if (in_sockaddr_endpoint(res->ai_addr, ep, sizeof(ep)) == -1)
			r->cb(r->arg, NULL, "unusable address");
		else
			r->cb(r->arg, ep, NULL);
	}
	if (res != NULL)
		evutil_freeaddrinfo(res);
	free(r);
}

/*
 * cb gets the numeric endpoint, or NULL and why not.  The resolver
 * keeps a copy of ctx (len bytes) and hands it to cb, or with len 0
 * hands ctx itself.
 */
void
net_resolve(const char *endpoint, resolve_cb cb, const void *ctx, size_t len)
{
	struct evutil_addrinfo	 hints;
	struct resolve		*r;
	char			 ep[IN_ENDPOINTSZ];

	if (numeric_endpoint(endpoint, ep, sizeof(ep)) == 0) {
		cb((void *)ctx, ep, NULL);
		return;
	}
	if ((r = calloc(1, sizeof(*r) + len)) == NULL) {
		cb((void *)ctx, NULL, "resolving: out of memory");
		return;
	}
	r->cb = cb;
	if (len > 0) {
		memcpy(r + 1, ctx, len);
		r->arg = r + 1;
	} else
		r->arg = (void *)ctx;
	if (in_endpoint_parse(endpoint, r->name, sizeof(r->name),
	    &r->port) == -1 || engine_dns == NULL) {
		free(r);
		cb((void *)ctx, NULL, "the server's external endpoint is not "
		    "host:port");
		return;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	evdns_getaddrinfo(engine_dns, r->name, NULL, &hints, resolve_done, r);
}

int
numeric_endpoint(const char *ep, char *out, size_t len)
{
	struct sockaddr_storage	ss;
	socklen_t		sl;

	if (ep == NULL || ep[0] == '\0' ||
	    in_endpoint_numeric(ep, &ss, &sl) == -1 ||
	    in_sockaddr_endpoint((struct sockaddr *)&ss, out, len) == -1)
		return (-1);
	return (0);
}

/*
 * A local address as a NAT candidate, "address:port", appended to a
 * NUL-separated list of *len bytes: 0, or -1 if it does not fit (or,
 * with unique, is in the list already).
 */
int
candidate_append(char *buf, size_t bufsz, size_t *len,
    const struct in_ip *ip, uint16_t port, int unique)
{
	char		 a[IN_ADDRSTRSZ], ep[IN_ENDPOINTSZ];
	const char	*s;
	size_t		 l;
	int		 n;

	if (in_ip_str(ip, a, sizeof(a)) == -1)
		return (-1);
	n = snprintf(ep, sizeof(ep), ip->af == AF_INET6 ? "[%s]:%u" :
	    "%s:%u", a, port);
	if (n < 0 || (size_t)n >= sizeof(ep))
		return (-1);
	if (unique)
		for (s = buf; s < buf + *len; s += strlen(s) + 1)
			if (strcmp(s, ep) == 0)
				return (-1);
	l = strlen(ep) + 1;
	if (*len + l > bufsz)
		return (-1);
	memcpy(buf + *len, ep, l);
	*len += l;
	return (0);
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

/* What every role's operations share. */

void
reply(server_cb cb, void *arg, int status, const char *err, json_t *res)
{
	if (cb != NULL)
		cb(arg, status, err, res);
	json_decref(res);
}

void
replyf(server_cb cb, void *arg, int status, const char *fmt, ...)
{
	char	buf[IN_ERRSZ * 2];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	reply(cb, arg, status, buf, NULL);
}

/* dbd and wgd errors as API statuses: constraint violations are 400. */
int
error_status(int status)
{
	if (status == 409)
		return (400);
	if (status < 400 || status > 599)
		return (500);
	return (status);
}

void
netreq_set(struct in_netreq *nr, const char *name)
{
	memset(nr, 0, sizeof(*nr));
	strlcpy(nr->network, name, sizeof(nr->network));
}

/* Answers nobody waits for: log failures. */
void
wg_log_answer(struct imsg *imsg, void *arg)
{
	struct in_error	e;

	if (engine_imsg_error(imsg, &e))
		log_warnx("%s: %s", arg != NULL ? (char *)arg : "WireGuard",
		    e.msg);
}

void
wg_fire(uint32_t type, const void *data, size_t len)
{
	uint32_t	id;

	id = engine_req_new(wg_log_answer, NULL);
	if (engine_wg_compose(type, id, data, len) == -1)
		engine_req_cancel(id);
}
