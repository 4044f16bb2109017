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
 * WireGuard of a server network kept in agreement with its mirror: the
 * peers as wgd takes them, the whole set given at a start, single peers
 * set or removed, the endpoints WireGuard observed read back, and the
 * healing re-sync after a failed step.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "server.h"

static void	refresh_answer(struct imsg *, void *);
static void	wg_peer_answer(struct imsg *, void *);
static void	heal_wg_up(struct imsg *, void *);
static void	heal_synced(struct imsg *, void *);

void
wgpeer_of(const char *ifname, const struct in_peer *p,
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

int
is_server_peer(struct engine_net *en, const struct in_ip *ip)
{
	return (in_ip_cmp(ip, &en->net.address) == 0);
}


/* WireGuard's peers made what the mirror says: every enabled peer. */
void
wg_sync_compose(struct engine_net *en, uint32_t id)
{
	struct in_netreq	 nr;
	struct in_wgpeer	 w;
	struct in_peer		 p;
	size_t			 i, n = 0;

	netreq_set(&nr, en->net.name);
	engine_wg_compose(IMSG_WG_SYNC_BEGIN, id, &nr, sizeof(nr));
	for (i = 0; i < en->state.npeers; i++) {
		if (en->state.peers[i].p.is_disabled ||
		    is_server_peer(en, &en->state.peers[i].p.ip))
			continue;
		ns_peer_get(&en->state.peers[i], &p);
		wgpeer_of(en->net.name, &p, &w);
		engine_wg_compose(IMSG_WG_SYNC_PEER, id, &w, sizeof(w));
		n++;
	}
	engine_wg_compose(IMSG_WG_SYNC_END, id, &nr, sizeof(nr));
	log_debug("%s: %zu peers to WireGuard", en->net.name, n);
}


/* A peer set or removed outside an operation; a refusal heals. */
void
wg_peer_fire(const char *net, uint32_t type, const struct in_peer *p)
{
	struct in_wgpeer	 w;
	char			 name[IN_IFNAMSZ];
	uint32_t		 id;
	struct engine_net	*en;

	if ((en = engine_net_find(net)) != NULL && en->srv != NULL)
		en->srv->wg_changes++;
	wgpeer_of(net, p, &w);
	memset(name, 0, sizeof(name));
	strlcpy(name, net, sizeof(name));
	id = engine_req_new_ctx(wg_peer_answer, name, sizeof(name));
	if (engine_wg_compose(type, id, &w, sizeof(w)) == -1) {
		engine_req_cancel(id);
		wg_step_failed(net, "cannot reach the WireGuard process");
	}
}

static void
wg_peer_answer(struct imsg *imsg, void *arg)
{
	struct in_error	e;

	if (engine_imsg_error(imsg, &e))
		wg_step_failed(arg, e.msg);
}


/* A WireGuard step of a network failed, as the lifecycle's event. */
void
wg_step_failed(const char *net, const char *why)
{
	struct engine_net	*en;

	if ((en = engine_net_find(net)) != NULL && en->srv != NULL)
		net_transition(en, NET_EV_WG_LOST, why);
	else
		log_warnx("%s: WireGuard: %s", net, why);
}


/*
 * Endpoints WireGuard has seen, every IN_ENDPOINT_REFRESH seconds.  wgd
 * tells only those that changed since its last report, once it has told
 * this mirror everything; a reloaded mirror asks for all again, and an
 * answer meant for the mirror before it does not count.
 */

struct refresh_req {
	struct net_ref	 ref;
	uint32_t	 round;
};

void
refresh_arm(struct engine_net *en)
{
	struct timeval	tv = { IN_ENDPOINT_REFRESH, 0 };

	evtimer_add(&en->srv->refresh_ev, &tv);
}

void
refresh_start(int fd, short event, void *arg)
{
	struct engine_net	*en = arg;
	struct in_netreq	 nr;
	struct refresh_req	 rr;
	uint32_t		 id;

	refresh_arm(en);
	if (++en->srv->ticks % HEAL_TICKS == 0 &&
	    en->srv->wg_changes != en->srv->synced_gen)
		heal_schedule(en);
	if (en->srv->refreshing)
		return;
	net_ref_set(&rr.ref, en);
	rr.round = en->srv->endpoints_round;
	netreq_set(&nr, en->net.name);
	nr.id = en->srv->endpoints_told ? 1 : 0;
	en->srv->refreshing = 1;
	id = engine_req_new_ctx(refresh_answer, &rr, sizeof(rr));
	if (engine_wg_compose(IMSG_WG_ENDPOINTS_REQ, id, &nr,
	    sizeof(nr)) == -1) {
		engine_req_cancel(id);
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

	en = net_ref_find(&rr->ref);
	switch (imsg->hdr.type) {
	case IMSG_WG_STAT:
		memcpy(&st, imsg->data, sizeof(st));
		if (en != NULL && st.endpoint[0] != '\0')
			ns_peer_set_observed(&en->state, st.public_key,
			    st.endpoint);
		return;
	default:
		told = !engine_imsg_error(imsg, &e);
		if (en == NULL)
			return;
		/* the interface may be gone (userspace WireGuard died) */
		if (!told && en->srv->wg_up &&
		    rr->round == en->srv->endpoints_round)
			wg_step_failed(rr->ref.name, e.msg);
		en->srv->refreshing = 0;
		if (rr->round == en->srv->endpoints_round)
			en->srv->endpoints_told = told;
		return;
	}
}

/*
 * Healing: WireGuard is made to agree with the mirror again.  First the
 * peers alone, as a diff (unchanged peers cost nothing); if that fails
 * the interface itself is brought up again (userspace WireGuard may have
 * died and taken it along), its peers given, and the API listener,
 * which was bound to the interface that went away, opened anew.
 */
struct heal_req {
	struct net_ref	 ref;
	uint64_t	 round;
	uint64_t	 gen;
	int		 with_if;
};

static uint64_t	heal_rounds;


void
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

	if ((en = net_ref_find(&hr->ref)) == NULL || !en->srv->healing ||
	    en->srv->heal_round != hr->round)
		return (NULL);
	return (en);
}

static void
heal_failed(struct engine_net *en)
{
	en->srv->healing = 0;
	en->srv->heal_fails++;
	heal_schedule(en);
}

/* The next request of a re-sync, with a copy of hr as its context. */
static void
heal_send(struct engine_net *en, struct heal_req *hr)
{
	struct in_wgif	wif;
	uint32_t	id;

	if (hr->with_if) {
		engine_wgif(en, &wif);
		id = engine_req_new_ctx(heal_wg_up, hr, sizeof(*hr));
		if (engine_wg_compose(IMSG_WG_IF_UP, id, &wif,
		    sizeof(wif)) == -1) {
			engine_req_cancel(id);
			heal_failed(en);
		}
		return;
	}
	hr->gen = en->srv->wg_changes;
	wg_sync_compose(en, engine_req_new_ctx(heal_synced, hr, sizeof(*hr)));
}

void
heal_start(int fd, short event, void *arg)
{
	struct engine_net	*en = arg;
	struct server_net	*srv = en->srv;
	struct heal_req		 hr;

	/* a start under way gives WireGuard the whole mirror anyway */
	if (!srv->wg_up || srv->healing)
		return;
	memset(&hr, 0, sizeof(hr));
	net_ref_set(&hr.ref, en);
	hr.round = srv->heal_round = ++heal_rounds;
	hr.with_if = srv->heal_if;
	srv->healing = 1;
	srv->heal_again = 0;
	heal_send(en, &hr);
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
		    hr->ref.name, e.msg);
		heal_failed(en);
		return;
	}
	hr->gen = en->srv->wg_changes;
	wg_sync_compose(en, engine_req_new_ctx(heal_synced, hr, sizeof(*hr)));
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
			    "interface up again", hr->ref.name, e.msg);
			hr->with_if = srv->heal_if = 1;
			heal_send(en, hr);
			return;
		}
		log_warnx("%s: WireGuard peers: %s", hr->ref.name, e.msg);
		heal_failed(en);
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
		    hr->ref.name);
	srv->synced_gen = hr->gen;
	srv->healing = 0;
	srv->heal_fails = 0;
	srv->heal_if = 0;
	if (srv->heal_again)
		heal_schedule(en);
}
