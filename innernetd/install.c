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
 * innernetctl install, as a machine of its own: the invitation's key on
 * a new interface with the server as its only peer, a fresh key pair
 * redeemed over the tunnel, then the new key applied and the network
 * started.  The states in the order they happen; each answer becomes an
 * event, and inst_transition() decides the next step.  Until the server
 * accepted the redeem, a failure undoes every step: no interface, key or
 * database stays.  The install lives until inst_end(), its one end.
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

#define REDEEM_TRIES		3
#define REDEEM_TIMEOUT		5	/* seconds per redeem attempt */
#define REDEEM_RETRY		2	/* seconds between redeem attempts */
#define REDEEM_MARGIN_MS	50	/* after the announced key swap */

enum inst_state {
	INST_KEY,		/* wgd keeps the invitation's key */
	INST_RECORD,		/* dbd records the network */
	INST_RESOLVE,		/* the server's external endpoint */
	INST_IF_UP,		/* the interface, with the invitation's key */
	INST_PEER,		/* the server as its only peer */
	INST_KEY_NEW,		/* a new key pair, pending */
	INST_PROBE,		/* what the server is, over the tunnel */
	INST_HANDSHAKE,		/* no answer: did WireGuard reach it? */
	INST_REDEEM,		/* the server takes the new public key */
	INST_COMMIT,		/* wgd switches to the new key */
	INST_UPDATE,		/* dbd records it */
	INST_SWAP_WAIT,		/* the server switches too */
	INST_FETCH,		/* the network starts: its first fetch */
};

enum inst_event {
	INST_EV_OK,		/* the step is done */
	INST_EV_FAIL,		/* it failed: status and err say why */
	INST_EV_SILENT,		/* the server did not answer */
	INST_EV_TIMER,		/* a wait is over */
};

struct install {
	enum inst_state		 state;
	server_cb		 cb;
	void			*arg;
	struct in_network	 net;
	char			 inv_priv[IN_KEYSZ];
	char			 newpub[IN_KEYSZ];
	char			 server_ep[IN_ENDPOINTSZ]; /* resolved */
	int			 db_made, if_made, key_pending;
	int			 imported;	/* key already redeemed */
	int			 tries;
	int			 swap_ms;	/* server's key swap delay */
	int			 handshake;	/* WireGuard reached it */
	int			 status;	/* of a failure */
	char			 err[IN_ERRSZ * 2];
	progress_cb		 progress;
	void			*parg;
	struct event		 ev;
};

static void	inst_transition(struct install *, enum inst_event);
static void	inst_enter(struct install *, enum inst_state);
static void	inst_answer(struct imsg *, void *);
static void	inst_http(void *, int, const char *, json_t *, const char *);
static void	inst_resolved(void *, const char *, const char *);
static void	inst_timer(int, short, void *);
static void	inst_started(void *, int, const char *, json_t *);
static void	inst_end(struct install *, int, const char *, json_t *);
static void	inst_fail(struct install *, int, const char *, ...)
		    __attribute__((__format__ (printf, 3, 4)));
static void	inst_step(struct install *, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));

static const char *inst_what[] = {
	"storing the invitation key",
	"recording the network",
	"resolving the server's endpoint",
	"bringing WireGuard up",
	"adding the server as a WireGuard peer",
	"new key pair",
	"asking the server what it is",
	"reading WireGuard",
	"redeeming the invitation",
	"applying the new key",
	"recording the new key",
	"waiting for the server",
	"starting the network",
};

static void
inst_transition(struct install *in, enum inst_event ev)
{
	struct timeval	tv = { REDEEM_RETRY, 0 };

	if (ev == INST_EV_FAIL) {
		switch (in->state) {
		case INST_COMMIT:
			/* the server has the new key: nothing to undo */
			log_warnx("%s: %s", in->net.name, in->err);
			inst_fail(in, 500, "the invitation was redeemed, but "
			    "the new key could not be applied");
			return;
		case INST_UPDATE:
			/* dbd keeps the old key; WireGuard has the new one */
			log_warnx("%s: %s", in->net.name, in->err);
			inst_enter(in, INST_SWAP_WAIT);
			return;
		default:
			inst_fail(in, in->status, "%s", in->err);
			return;
		}
	}
	switch (in->state) {
	case INST_KEY:
		inst_enter(in, INST_RECORD);
		break;
	case INST_RECORD:
		inst_enter(in, INST_RESOLVE);
		break;
	case INST_RESOLVE:
		inst_enter(in, INST_IF_UP);
		break;
	case INST_IF_UP:
		inst_enter(in, INST_PEER);
		break;
	case INST_PEER:
		if (in->imported) {
			/* an upstream client's key is the redeemed one */
			strlcpy(in->newpub, in->net.public_key,
			    sizeof(in->newpub));
			inst_enter(in, INST_FETCH);
		} else
			inst_enter(in, INST_KEY_NEW);
		break;
	case INST_KEY_NEW:
		in->key_pending = 1;
		inst_enter(in, INST_PROBE);
		break;
	case INST_PROBE:
		if (ev == INST_EV_SILENT)
			inst_enter(in, INST_HANDSHAKE);
		else {
			inst_step(in, "server reached over the tunnel; "
			    "redeeming the invitation");
			inst_enter(in, INST_REDEEM);
		}
		break;
	case INST_HANDSHAKE:
		/* WireGuard reached the server, its API did not answer */
		if (ev == INST_EV_TIMER)
			inst_enter(in, INST_PROBE);
		else if (++in->tries >= REDEEM_TRIES)
			inst_fail(in, 502, "the tunnel to the server is up, "
			    "but its API at port %u did not answer (is the "
			    "server running?)", in->net.server_port);
		else
			evtimer_add(&in->ev, &tv);
		break;
	case INST_REDEEM:
		if (ev == INST_EV_TIMER)
			inst_enter(in, INST_REDEEM);
		else if (ev == INST_EV_SILENT)
			evtimer_add(&in->ev, &tv);
		else {
			log_info("%s: invitation redeemed, switching to the "
			    "new key", in->net.name);
			inst_step(in, "invitation redeemed; switching to the "
			    "new key");
			in->key_pending = 0;
			inst_enter(in, INST_COMMIT);
		}
		break;
	case INST_COMMIT:
		strlcpy(in->net.public_key, in->newpub,
		    sizeof(in->net.public_key));
		inst_enter(in, INST_UPDATE);
		break;
	case INST_UPDATE:
		inst_enter(in, INST_SWAP_WAIT);
		break;
	case INST_SWAP_WAIT:
		inst_enter(in, INST_FETCH);
		break;
	case INST_FETCH:
		break;
	}
}

/* A step begins: its request, its resolution or its wait. */
static void
inst_enter(struct install *in, enum inst_state state)
{
	struct in_wgkey		 k;
	struct in_netreq	 nr;
	struct in_netcreate	 nc;
	struct in_wgif		 wif;
	struct in_wgpeer	 w;
	struct timeval		 tv;
	struct engine_net	*en;
	json_t			*body;
	uint32_t		 id;
	int			 rc = 0;

	in->state = state;
	memset(&k, 0, sizeof(k));
	strlcpy(k.ifname, in->net.name, sizeof(k.ifname));
	netreq_set(&nr, in->net.name);
	switch (state) {
	case INST_KEY:
		strlcpy(k.key, in->inv_priv, sizeof(k.key));
		id = engine_req_new(inst_answer, in);
		rc = engine_wg_compose(IMSG_WG_KEY_SET, id, &k, sizeof(k));
		explicit_bzero(&k, sizeof(k));
		break;
	case INST_RECORD:
		memset(&nc, 0, sizeof(nc));
		nc.net = in->net;
		id = engine_req_new(inst_answer, in);
		rc = engine_db_compose(IMSG_DB_NETWORK_CREATE, id, &nc,
		    sizeof(nc));
		break;
	case INST_RESOLVE:
		net_resolve(in->net.external_endpoint, inst_resolved, in, 0);
		return;
	case INST_IF_UP:
		memset(&wif, 0, sizeof(wif));
		strlcpy(wif.name, in->net.name, sizeof(wif.name));
		wif.backend = engine_conf.backend;
		wif.address.ip = in->net.address;
		wif.address.len = in->net.net.len;
		wif.route = in->net.net;
		wif.listen_port = in->net.listen_port;
		wif.mtu = engine_conf.mtu ? engine_conf.mtu : IN_DEFAULT_MTU;
		id = engine_req_new(inst_answer, in);
		rc = engine_wg_compose(IMSG_WG_IF_UP, id, &wif, sizeof(wif));
		break;
	case INST_PEER:
		inst_step(in, "interface %s up with the invitation's key; "
		    "reaching the server at %s", in->net.name,
		    in->net.external_endpoint);
		memset(&w, 0, sizeof(w));
		strlcpy(w.ifname, in->net.name, sizeof(w.ifname));
		strlcpy(w.public_key, in->net.server_public_key,
		    sizeof(w.public_key));
		strlcpy(w.endpoint, in->server_ep, sizeof(w.endpoint));
		w.keepalive = IN_DEFAULT_KEEPALIVE;
		w.nallowed = 1;
		in_prefix_host(&in->net.server_ip, &w.allowed[0]);
		id = engine_req_new(inst_answer, in);
		rc = engine_wg_compose(IMSG_WG_PEER_SET, id, &w, sizeof(w));
		break;
	case INST_KEY_NEW:
		id = engine_req_new(inst_answer, in);
		rc = engine_wg_compose(IMSG_WG_KEY_PENDING, id, &k,
		    sizeof(k));
		break;
	case INST_PROBE:
		if (chttp_t(&in->net, EVHTTP_REQ_GET, "/user/capabilities",
		    NULL, NULL, REDEEM_TIMEOUT, inst_http, in, 0) == -1)
			inst_fail(in, 500, "cannot make the capabilities "
			    "request");
		return;
	case INST_HANDSHAKE:
		in->handshake = 0;
		id = engine_req_new(inst_answer, in);
		rc = engine_wg_compose(IMSG_WG_STATS_REQ, id, &nr,
		    sizeof(nr));
		break;
	case INST_REDEEM:
		body = json_pack("{s:s}", "public_key", in->newpub);
		if (body == NULL || chttp_t(&in->net, EVHTTP_REQ_POST,
		    "/user/redeem", body, NULL, REDEEM_TIMEOUT, inst_http,
		    in, 0) == -1)
			inst_fail(in, 500, "cannot make the redeem request");
		json_decref(body);
		return;
	case INST_COMMIT:
		id = engine_req_new(inst_answer, in);
		rc = engine_wg_compose(IMSG_WG_KEY_COMMIT, id, &k, sizeof(k));
		break;
	case INST_UPDATE:
		id = engine_req_new(inst_answer, in);
		rc = engine_db_compose(IMSG_DB_NETWORK_UPDATE, id, &in->net,
		    sizeof(in->net));
		break;
	case INST_SWAP_WAIT:
		/*
		 * The server swaps the key after its answer: give it the
		 * time it announced, or upstream's IN_REDEEM_WAIT.
		 */
		tv.tv_sec = in->swap_ms / 1000;
		tv.tv_usec = (in->swap_ms % 1000) * 1000;
		if (in->swap_ms >= 1000)
			inst_step(in, "waiting %d s for the server to take "
			    "the new key", in->swap_ms / 1000);
		evtimer_add(&in->ev, &tv);
		return;
	case INST_FETCH:
		if (engine_net_find(in->net.name) != NULL) {
			inst_end(in, 409, "the network appeared twice", NULL);
			return;
		}
		en = engine_net_add(&in->net);
		log_info("%s: installed, address and key registered",
		    en->net.name);
		inst_step(in, "fetching the network's state");
		client_net_start(en);
		if (en->cli == NULL)
			inst_started(in, 500, "out of memory", NULL);
		else
			waiter_add(en->cli, inst_started, in);
		return;
	}
	if (rc == -1) {
		engine_req_cancel(id);
		in->status = 500;
		snprintf(in->err, sizeof(in->err), "%s: cannot reach a helper "
		    "process", inst_what[state]);
		inst_transition(in, INST_EV_FAIL);
	}
}

/* Every imsg answer of a step, as the machine's event. */
static void
inst_answer(struct imsg *imsg, void *arg)
{
	struct install		*in = arg;
	struct in_wgkey		 k;
	struct in_wgstat	 st;
	struct in_error		 e;

	switch (imsg->hdr.type) {
	case IMSG_WG_KEY:
		if (imsg_get_data(imsg, &k, sizeof(k)) == -1 ||
		    !in_str_ok(k.key) || !in_key_ok(k.key))
			return;
		if (in->state == INST_KEY)
			strlcpy(in->net.public_key, k.key,
			    sizeof(in->net.public_key));
		else if (in->state == INST_KEY_NEW)
			strlcpy(in->newpub, k.key, sizeof(in->newpub));
		return;
	case IMSG_WG_STAT:
		if (imsg_get_data(imsg, &st, sizeof(st)) == 0 &&
		    in_str_ok(st.public_key) && strcmp(st.public_key,
		    in->net.server_public_key) == 0 && st.last_handshake != 0)
			in->handshake = 1;
		return;
	case IMSG_DB_NETWORK:
		return;
	}
	if (in->state == INST_KEY)
		explicit_bzero(in->inv_priv, sizeof(in->inv_priv));
	/* without statistics there is no handshake to speak of */
	if (in->state != INST_HANDSHAKE && engine_imsg_error(imsg, &e)) {
		in->status = e.status >= 400 ? e.status : 500;
		snprintf(in->err, sizeof(in->err), "%s: %s",
		    inst_what[in->state], e.msg);
		inst_transition(in, INST_EV_FAIL);
		return;
	}
	switch (in->state) {
	case INST_RECORD:
		in->db_made = 1;
		break;
	case INST_IF_UP:
		in->if_made = 1;
		break;
	case INST_KEY_NEW:
		if (in->newpub[0] == '\0') {
			in->status = 500;
			strlcpy(in->err, "no new key from wgd",
			    sizeof(in->err));
			inst_transition(in, INST_EV_FAIL);
			return;
		}
		break;
	case INST_HANDSHAKE:
		/*
		 * A server that does not know the invitation's key never
		 * completes a handshake, and never answers over the tunnel
		 * either: say so rather than "no answer".
		 */
		if (!in->handshake) {
			in->status = 502;
			snprintf(in->err, sizeof(in->err), "no WireGuard "
			    "handshake with the server at %s in %d seconds: "
			    "it does not know this invitation's key (used "
			    "already, expired, withdrawn, or the file was "
			    "changed), or it cannot be reached",
			    in->net.external_endpoint, REDEEM_TIMEOUT);
			inst_transition(in, INST_EV_FAIL);
			return;
		}
		break;
	default:
		break;
	}
	inst_transition(in, INST_EV_OK);
}

/*
 * The server's answers.  Before redeeming, the install asks what the
 * server is: ours announces how soon after its redeem answer it takes
 * the new key, so the wait after the redeem is that instead of
 * upstream's 5 seconds.
 */
static void
inst_http(void *arg, int status, const char *err, json_t *j,
    const char *etag)
{
	struct install	*in = arg;
	json_t		*v;

	if (in->state == INST_PROBE) {
		if (status == 0) {
			inst_transition(in, INST_EV_SILENT);
			return;
		}
		/*
		 * Anything but our answer (an upstream server's 404 or one
		 * without the field, or a refusal) means upstream's wait;
		 * the redeem then says what the server thinks of the
		 * invitation.
		 */
		in->swap_ms = IN_REDEEM_WAIT * 1000;
		if (status == 200 && json_is_object(j) && json_is_integer(v =
		    json_object_get(j, IN_CAP_KEY_SWAP)) &&
		    json_integer_value(v) >= 0 &&
		    json_integer_value(v) < IN_REDEEM_WAIT * 1000)
			in->swap_ms = (int)json_integer_value(v) +
			    REDEEM_MARGIN_MS;
		inst_transition(in, INST_EV_OK);
		return;
	}
	/* the redeem */
	if (status == 0 && ++in->tries < REDEEM_TRIES) {
		log_debug("%s: redeem: %s; trying again", in->net.name, err);
		inst_transition(in, INST_EV_SILENT);
		return;
	}
	if (status < 200 || status > 299) {
		in->status = status == 0 ? 502 : status;
		snprintf(in->err, sizeof(in->err), "redeeming the invitation: "
		    "%s", err != NULL ? err : "failed");
		inst_transition(in, INST_EV_FAIL);
		return;
	}
	inst_transition(in, INST_EV_OK);
}

static void
inst_resolved(void *arg, const char *ep, const char *err)
{
	struct install	*in = arg;

	if (ep == NULL) {
		in->status = 400;
		strlcpy(in->err, err, sizeof(in->err));
		inst_transition(in, INST_EV_FAIL);
		return;
	}
	strlcpy(in->server_ep, ep, sizeof(in->server_ep));
	inst_transition(in, INST_EV_OK);
}

static void
inst_timer(int fd, short event, void *arg)
{
	inst_transition(arg, INST_EV_TIMER);
}

/* The first fetch ended: the install answers. */
static void
inst_started(void *arg, int status, const char *err, json_t *res)
{
	struct install	*in = arg;
	json_t		*r;
	char		 addr[IN_ADDRSTRSZ];

	in_ip_str(&in->net.address, addr, sizeof(addr));
	r = json_pack("{s:s, s:s, s:s, s:b}", "network", in->net.name,
	    "address", addr, "public_key", in->newpub, "fetched",
	    status < 400);
	if (status >= 400 && r != NULL)
		json_object_set_new(r, "warning", json_sprintf("installed, "
		    "but the first fetch failed (%s); innernetd keeps trying",
		    err != NULL ? err : "unknown error"));
	inst_end(in, 201, NULL, r);
}

/* One line per step for a waiting terminal. */
static void
inst_step(struct install *in, const char *fmt, ...)
{
	char	line[256];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_debug("%s: install: %s", in->net.name, line);
	if (in->progress != NULL)
		in->progress(in->parg, line);
}

/* A failure: what was made is undone, as far as the state says. */
static void
inst_fail(struct install *in, int status, const char *fmt, ...)
{
	struct in_netreq	nr;
	struct in_wgkey		k;
	char			msg[IN_ERRSZ * 2];
	va_list			ap;
	uint32_t		id;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (in->state < INST_COMMIT) {
		netreq_set(&nr, in->net.name);
		memset(&k, 0, sizeof(k));
		strlcpy(k.ifname, in->net.name, sizeof(k.ifname));
		if (in->key_pending)
			wg_fire(IMSG_WG_KEY_ABORT, &k, sizeof(k));
		if (in->if_made)
			wg_fire(IMSG_WG_IF_DOWN, &nr, sizeof(nr));
		wg_fire(IMSG_WG_KEY_DELETE, &k, sizeof(k));
		if (in->db_made) {
			id = engine_req_new(wg_log_answer, NULL);
			if (engine_db_compose(IMSG_DB_NETWORK_DELETE, id, &nr,
			    sizeof(nr)) == -1)
				engine_req_cancel(id);
		}
		log_warnx("%s: install failed: %s", in->net.name, msg);
	}
	inst_end(in, status, msg, NULL);
}

/* The install's one end: the answer, and the install is gone. */
static void
inst_end(struct install *in, int status, const char *err, json_t *res)
{
	reply(in->cb, in->arg, status, err, res);
	explicit_bzero(in->inv_priv, sizeof(in->inv_priv));
	evtimer_del(&in->ev);
	free(in);
}

static const char *
jget(json_t *o, const char *a, const char *b)
{
	json_t	*v = json_object_get(json_object_get(o, a), b);

	return (json_is_string(v) ? json_string_value(v) : NULL);
}

void
client_install(json_t *args, server_cb cb, void *arg)
{
	client_install_progress(args, cb, arg, NULL, NULL);
}

void
client_install_progress(json_t *args, server_cb cb, void *arg,
    progress_cb progress, void *parg)
{
	struct install		*in;
	struct in_prefix	 addr;
	json_t			*inv, *lp;
	const char		*name, *s, *priv, *spub, *ext, *internal;
	char			 host[IN_HOSTSZ];

	inv = json_object_get(args, "invitation");
	name = json_string_value(json_object_get(args, "name"));
	if (name == NULL)
		name = jget(inv, "interface", "network_name");
	s = jget(inv, "interface", "address");
	priv = jget(inv, "interface", "private_key");
	spub = jget(inv, "server", "public_key");
	ext = jget(inv, "server", "external_endpoint");
	internal = jget(inv, "server", "internal_endpoint");
	if (name == NULL || s == NULL || priv == NULL || spub == NULL ||
	    ext == NULL || internal == NULL) {
		replyf(cb, arg, 400, "the invitation lacks a field");
		return;
	}
	if (!in_ifname_ok(name)) {
		replyf(cb, arg, 400, "%s is not a usable interface name: "
		    "lowercase letters, digits and inner hyphens, at most 15",
		    name);
		return;
	}
	if (engine_net_find(name) != NULL) {
		replyf(cb, arg, 409, "network %s exists already; uninstall "
		    "it first or choose another --name", name);
		return;
	}
	if (in_prefix_parse_host(s, &addr, NULL) == -1 ||
	    !in_key_ok(priv) || !in_key_ok(spub) || !in_endpoint_ok(ext)) {
		replyf(cb, arg, 400, "the invitation has an invalid address, "
		    "key or endpoint");
		return;
	}
	if ((in = calloc(1, sizeof(*in))) == NULL) {
		replyf(cb, arg, 500, "out of memory");
		return;
	}
	in->cb = cb;
	in->arg = arg;
	in->progress = progress;
	in->parg = parg;
	in->swap_ms = IN_REDEEM_WAIT * 1000;
	strlcpy(in->net.name, name, sizeof(in->net.name));
	in->net.role = IN_ROLE_CLIENT;
	if (json_is_true(json_object_get(args, "no_write_hosts")))
		in->net.flags |= IN_NETF_NOHOSTS;
	in->imported = json_is_true(json_object_get(args, "imported"));
	if (client_nat_opts(args, &in->net, host, sizeof(host)) == -1) {
		free(in);
		replyf(cb, arg, 400, "%s", host);
		return;
	}
	in_prefix_parse_host(s, &in->net.net, &in->net.address);
	if (in_endpoint_parse(internal, host, sizeof(host),
	    &in->net.server_port) == -1 ||
	    in_ip_parse(host, &in->net.server_ip) == -1 ||
	    !in_prefix_contains(&in->net.net, &in->net.server_ip)) {
		free(in);
		replyf(cb, arg, 400, "the invitation's internal endpoint %s "
		    "is not an address:port inside the network", internal);
		return;
	}
	if (!engine_net_allowed(&in->net.net, host, sizeof(host))) {
		free(in);
		replyf(cb, arg, 400, "the invitation's network %s", host);
		return;
	}
	lp = json_object_get(json_object_get(inv, "interface"),
	    "listen_port");
	if (json_is_integer(lp) && json_integer_value(lp) > 0 &&
	    json_integer_value(lp) <= 65535)
		in->net.listen_port = (uint16_t)json_integer_value(lp);
	strlcpy(in->net.server_public_key, spub,
	    sizeof(in->net.server_public_key));
	strlcpy(in->net.external_endpoint, ext,
	    sizeof(in->net.external_endpoint));
	in->net.created = time(NULL);

	strlcpy(in->inv_priv, priv, sizeof(in->inv_priv));
	evtimer_set(&in->ev, inst_timer, in);
	log_info("%s: installing, server %s", name, ext);
	inst_enter(in, INST_KEY);
}

/* up, down, listen port, endpoint override */
