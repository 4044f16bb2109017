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

/*
 * innernetctl install: the invitation's key on a new interface with the
 * server as its only peer, a fresh key pair redeemed over the tunnel,
 * then the new key applied.  Until the server accepted the redeem,
 * every step is undone on failure: no interface, key or database stays.
 */
struct install {
	server_cb		 cb;
	void			*arg;
	struct in_network	 net;
	char			 inv_priv[IN_KEYSZ];
	char			 newpub[IN_KEYSZ];
	int			 db_made, if_made, key_pending;
	int			 imported;	/* key already redeemed */
	int			 tries;
	int			 swap_ms;	/* server's key swap delay */
	int			 handshake;	/* WireGuard reached it */
	progress_cb		 progress;
	void			*parg;
	struct event		 ev;
};

static void	inst_fail(struct install *, int, const char *, ...)
		    __attribute__((__format__ (printf, 3, 4)));
static void	inst_redeem(struct install *);
static void	inst_probe(struct install *);
static void	inst_retry_probe(int, short, void *);
static void	inst_step(struct install *, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));

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

static void
inst_fail(struct install *in, int status, const char *fmt, ...)
{
	struct in_netreq	nr;
	struct in_wgkey		k;
	char			msg[IN_ERRSZ * 2];
	va_list			ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	netreq_set(&nr, in->net.name);
	memset(&k, 0, sizeof(k));
	strlcpy(k.ifname, in->net.name, sizeof(k.ifname));
	if (in->key_pending)
		wg_fire(IMSG_WG_KEY_ABORT, &k, sizeof(k));
	if (in->if_made)
		wg_fire(IMSG_WG_IF_DOWN, &nr, sizeof(nr));
	wg_fire(IMSG_WG_KEY_DELETE, &k, sizeof(k));
	if (in->db_made) {
		uint32_t id = engine_req_new(wg_log_answer, NULL);

		engine_db_compose(IMSG_DB_NETWORK_DELETE, id, &nr,
		    sizeof(nr));
	}
	log_warnx("%s: install failed: %s", in->net.name, msg);
	reply(in->cb, in->arg, status, msg, NULL);
	explicit_bzero(in->inv_priv, sizeof(in->inv_priv));
	free(in);
}

static int
inst_error(struct imsg *imsg, struct install *in, const char *what)
{
	struct in_error	e;

	if (!engine_imsg_error(imsg, &e))
		return (0);
	inst_fail(in, e.status >= 400 ? e.status : 500, "%s: %s", what,
	    e.msg);
	return (1);
}

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
	reply(in->cb, in->arg, 201, NULL, r);
	free(in);
}

static void
inst_wait_done(int fd, short event, void *arg)
{
	struct install		*in = arg;
	struct engine_net	*en;

	if (engine_net_find(in->net.name) != NULL) {
		reply(in->cb, in->arg, 409, "the network appeared twice",
		    NULL);
		free(in);
		return;
	}
	en = engine_net_add(&in->net);
	log_info("%s: installed, address and key registered",
	    en->net.name);
	inst_step(in, "fetching the network's state");
	client_net_start(en);
	waiter_add(en->cli, inst_started, in);
}

static void
inst_updated(struct imsg *imsg, void *arg)
{
	struct install	*in = arg;
	struct in_error	 e;
	struct timeval	 tv;

	if (engine_imsg_error(imsg, &e))
		log_warnx("%s: recording the new key: %s", in->net.name,
		    e.msg);
	/*
	 * The server swaps the key after its answer: give it the time it
	 * announced, or upstream's IN_REDEEM_WAIT.
	 */
	tv.tv_sec = in->swap_ms / 1000;
	tv.tv_usec = (in->swap_ms % 1000) * 1000;
	if (in->swap_ms >= 1000)
		inst_step(in, "waiting %d s for the server to take the new "
		    "key", in->swap_ms / 1000);
	evtimer_set(&in->ev, inst_wait_done, in);
	evtimer_add(&in->ev, &tv);
}

static void
inst_committed(struct imsg *imsg, void *arg)
{
	struct install	*in = arg;
	struct in_error	 e;
	uint32_t	 id;

	if (engine_imsg_error(imsg, &e)) {
		/* the server already has the new key: nothing to undo */
		log_warnx("%s: applying the new key: %s", in->net.name,
		    e.msg);
		reply(in->cb, in->arg, 500, "the invitation was redeemed, "
		    "but the new key could not be applied", NULL);
		free(in);
		return;
	}
	strlcpy(in->net.public_key, in->newpub, sizeof(in->net.public_key));
	id = engine_req_new(inst_updated, in);
	engine_db_compose(IMSG_DB_NETWORK_UPDATE, id, &in->net,
	    sizeof(in->net));
}

static void
inst_retry(int fd, short event, void *arg)
{
	inst_redeem(arg);
}

static void
inst_redeemed(void *arg, int status, const char *err, json_t *j,
    const char *etag)
{
	struct install	*in = arg;
	struct in_wgkey	 k;
	struct timeval	 tv = { REDEEM_RETRY, 0 };
	uint32_t	 id;

	if (status == 0 && ++in->tries < REDEEM_TRIES) {
		log_debug("%s: redeem: %s; trying again", in->net.name, err);
		evtimer_set(&in->ev, inst_retry, in);
		evtimer_add(&in->ev, &tv);
		return;
	}
	if (status < 200 || status > 299) {
		inst_fail(in, status == 0 ? 502 : status, "redeeming the "
		    "invitation: %s", err != NULL ? err : "failed");
		return;
	}
	log_info("%s: invitation redeemed, switching to the new key",
	    in->net.name);
	inst_step(in, "invitation redeemed; switching to the new key");
	in->key_pending = 0;
	memset(&k, 0, sizeof(k));
	strlcpy(k.ifname, in->net.name, sizeof(k.ifname));
	id = engine_req_new(inst_committed, in);
	engine_wg_compose(IMSG_WG_KEY_COMMIT, id, &k, sizeof(k));
}

static void
inst_redeem(struct install *in)
{
	json_t	*body;

	body = json_pack("{s:s}", "public_key", in->newpub);
	if (body == NULL || chttp_t(&in->net, EVHTTP_REQ_POST, "/user/redeem",
	    body, NULL, REDEEM_TIMEOUT, inst_redeemed, in) == -1)
		inst_fail(in, 500, "cannot make the redeem request");
	json_decref(body);
}

/*
 * No answer: did WireGuard reach the server at all?  A server that does
 * not know the invitation's key never completes a handshake, and never
 * answers over the tunnel either: say so rather than "no answer".
 */
static void
inst_stats(struct imsg *imsg, void *arg)
{
	struct install		*in = arg;
	struct in_wgstat	 st;
	struct timeval		 tv = { REDEEM_RETRY, 0 };

	if (imsg->hdr.type == IMSG_WG_STAT) {
		if (imsg_get_data(imsg, &st, sizeof(st)) == 0 &&
		    in_str_ok(st.public_key) && strcmp(st.public_key,
		    in->net.server_public_key) == 0 && st.last_handshake != 0)
			in->handshake = 1;
		return;
	}
	if (!in->handshake) {
		inst_fail(in, 502, "no WireGuard handshake with the server "
		    "at %s in %d seconds: it does not know this "
		    "invitation's key (used already, expired, withdrawn, or "
		    "the file was changed), or it cannot be reached",
		    in->net.external_endpoint, REDEEM_TIMEOUT);
		return;
	}
	if (++in->tries >= REDEEM_TRIES) {
		inst_fail(in, 502, "the tunnel to the server is up, but its "
		    "API at port %u did not answer (is the server running?)",
		    in->net.server_port);
		return;
	}
	evtimer_set(&in->ev, inst_retry_probe, in);
	evtimer_add(&in->ev, &tv);
}

/*
 * Before redeeming, ask what the server is: ours announces how soon
 * after its redeem answer it takes the new key, so the wait after the
 * redeem is that instead of upstream's 5 seconds.
 */
static void
inst_probed(void *arg, int status, const char *err, json_t *j,
    const char *etag)
{
	struct install		*in = arg;
	struct in_netreq	 nr;
	json_t			*v;
	uint32_t		 id;

	if (status == 0) {
		netreq_set(&nr, in->net.name);
		in->handshake = 0;
		id = engine_req_new(inst_stats, in);
		if (engine_wg_compose(IMSG_WG_STATS_REQ, id, &nr,
		    sizeof(nr)) == -1)
			fatalx("cannot reach wgd");
		return;
	}
	/*
	 * Anything but our answer (an upstream server's 404 or one without
	 * the field, or a refusal) means upstream's wait; the redeem then
	 * says what the server thinks of the invitation.
	 */
	in->swap_ms = IN_REDEEM_WAIT * 1000;
	if (status == 200 && json_is_object(j) && json_is_integer(v =
	    json_object_get(j, IN_CAP_KEY_SWAP)) &&
	    json_integer_value(v) >= 0 &&
	    json_integer_value(v) < IN_REDEEM_WAIT * 1000)
		in->swap_ms = (int)json_integer_value(v) + REDEEM_MARGIN_MS;
	inst_step(in, "server reached over the tunnel; redeeming the "
	    "invitation");
	inst_redeem(in);
}

static void
inst_probe(struct install *in)
{
	if (chttp_t(&in->net, EVHTTP_REQ_GET, "/user/capabilities", NULL,
	    NULL, REDEEM_TIMEOUT, inst_probed, in) == -1)
		inst_fail(in, 500, "cannot make the capabilities request");
}

static void
inst_retry_probe(int fd, short event, void *arg)
{
	inst_probe(arg);
}

static void
inst_pending(struct imsg *imsg, void *arg)
{
	struct install	*in = arg;
	struct in_wgkey	 k;

	if (imsg->hdr.type == IMSG_WG_KEY) {
		if (imsg_get_data(imsg, &k, sizeof(k)) == 0 &&
		    in_str_ok(k.key) && in_key_ok(k.key))
			strlcpy(in->newpub, k.key, sizeof(in->newpub));
		return;
	}
	if (inst_error(imsg, in, "new key pair"))
		return;
	if (in->newpub[0] == '\0') {
		inst_fail(in, 500, "no new key from wgd");
		return;
	}
	in->key_pending = 1;
	inst_probe(in);
}

static void
inst_peered(struct imsg *imsg, void *arg)
{
	struct install	*in = arg;
	struct in_wgkey	 k;
	uint32_t	 id;

	if (inst_error(imsg, in, "adding the server as a WireGuard peer"))
		return;
	if (in->imported) {
		/* an upstream client's key is the redeemed one already */
		strlcpy(in->newpub, in->net.public_key, sizeof(in->newpub));
		evtimer_set(&in->ev, inst_wait_done, in);
		inst_wait_done(-1, 0, in);
		return;
	}
	memset(&k, 0, sizeof(k));
	strlcpy(k.ifname, in->net.name, sizeof(k.ifname));
	id = engine_req_new(inst_pending, in);
	engine_wg_compose(IMSG_WG_KEY_PENDING, id, &k, sizeof(k));
}

static void
inst_wg_up(struct imsg *imsg, void *arg)
{
	struct install	*in = arg;
	struct in_wgpeer w;
	uint32_t	 id;

	if (imsg->hdr.type == IMSG_WG_KEY)
		return;
	if (inst_error(imsg, in, "bringing WireGuard up"))
		return;
	in->if_made = 1;
	inst_step(in, "interface %s up with the invitation's key; reaching "
	    "the server at %s", in->net.name, in->net.external_endpoint);
	memset(&w, 0, sizeof(w));
	strlcpy(w.ifname, in->net.name, sizeof(w.ifname));
	strlcpy(w.public_key, in->net.server_public_key,
	    sizeof(w.public_key));
	strlcpy(w.endpoint, in->net.override_endpoint, sizeof(w.endpoint));
	in->net.override_endpoint[0] = '\0';
	w.keepalive = IN_DEFAULT_KEEPALIVE;
	w.nallowed = 1;
	in_prefix_host(&in->net.server_ip, &w.allowed[0]);
	id = engine_req_new(inst_peered, in);
	engine_wg_compose(IMSG_WG_PEER_SET, id, &w, sizeof(w));
}

static void
inst_resolved(void *arg, const char *ep, const char *err)
{
	struct install	*in = arg;
	struct in_wgif	 wif;
	uint32_t	 id;

	if (ep == NULL) {
		inst_fail(in, 400, "%s", err);
		return;
	}
	/* carried to inst_wg_up in the (still empty) override field */
	strlcpy(in->net.override_endpoint, ep,
	    sizeof(in->net.override_endpoint));
	memset(&wif, 0, sizeof(wif));
	strlcpy(wif.name, in->net.name, sizeof(wif.name));
	wif.backend = engine_conf.backend;
	wif.address.ip = in->net.address;
	wif.address.len = in->net.net.len;
	wif.route = in->net.net;
	wif.listen_port = in->net.listen_port;
	wif.mtu = engine_conf.mtu ? engine_conf.mtu : IN_DEFAULT_MTU;
	id = engine_req_new(inst_wg_up, in);
	engine_wg_compose(IMSG_WG_IF_UP, id, &wif, sizeof(wif));
}

static void
inst_recorded(struct imsg *imsg, void *arg)
{
	struct install	*in = arg;

	if (imsg->hdr.type == IMSG_DB_NETWORK)
		return;
	if (inst_error(imsg, in, "recording the network"))
		return;
	in->db_made = 1;
	net_resolve(in->net.external_endpoint, inst_resolved, in, 0);
}

static void
inst_keyed(struct imsg *imsg, void *arg)
{
	struct install		*in = arg;
	struct in_wgkey		 k;
	struct in_netcreate	 nc;
	uint32_t		 id;

	if (imsg->hdr.type == IMSG_WG_KEY) {
		if (imsg_get_data(imsg, &k, sizeof(k)) == 0 &&
		    in_str_ok(k.key) && in_key_ok(k.key))
			strlcpy(in->net.public_key, k.key,
			    sizeof(in->net.public_key));
		return;
	}
	explicit_bzero(in->inv_priv, sizeof(in->inv_priv));
	if (inst_error(imsg, in, "storing the invitation key"))
		return;
	memset(&nc, 0, sizeof(nc));
	nc.net = in->net;
	id = engine_req_new(inst_recorded, in);
	engine_db_compose(IMSG_DB_NETWORK_CREATE, id, &nc, sizeof(nc));
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
	struct in_wgkey		 k;
	struct in_prefix	 addr;
	json_t			*inv, *lp;
	const char		*name, *s, *priv, *spub, *ext, *internal;
	char			 host[IN_HOSTSZ];
	uint32_t		 id;

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

	memset(&k, 0, sizeof(k));
	strlcpy(k.ifname, name, sizeof(k.ifname));
	strlcpy(k.key, priv, sizeof(k.key));
	id = engine_req_new(inst_keyed, in);
	engine_wg_compose(IMSG_WG_KEY_SET, id, &k, sizeof(k));
	explicit_bzero(&k, sizeof(k));
	log_info("%s: installing, server %s", name, ext);
}

/* up, down, listen port, endpoint override */
