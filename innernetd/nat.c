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
 * NAT traversal of a client network, as upstream: this host's
 * candidates reported to the server, the peers' candidates tried in
 * turn, and the options that turn either off.
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

/*
 * NAT candidates: this host's addresses on WireGuard's port, reported
 * when they change (and hourly), as upstream reports them every fetch.
 */
struct candctx {
	struct net_ref	 ref;
	char		 buf[IN_CANDIDATES_MAXLEN];
	size_t		 len;
	int		 n;
};

static void
candidates_put(void *arg, int status, const char *err, json_t *j,
    const char *etag)
{
	struct candctx		*cc = arg;
	struct engine_net	*en;

	if ((en = net_ref_find(&cc->ref)) != NULL) {
		if (status == 204 || status == 200) {
			memcpy(en->cli->reported, cc->buf, cc->len);
			en->cli->reported_len = cc->len;
			en->cli->reported_at = time(NULL);
			log_debug("%s: reported %d NAT candidates",
			    en->net.name, cc->n);
		} else if (status == 404) {
			if (!en->cli->candidates_unsupported)
				log_warnx("%s: the server does not take NAT "
				    "candidates (older innernet-server)",
				    en->net.name);
			en->cli->candidates_unsupported = 1;
		} else
			log_warnx("%s: reporting candidates: %s",
			    en->net.name, err != NULL ? err : "failed");
	}
}

/*
 * --no-nat-candidates and --exclude-nat-candidates, as upstream: the
 * addresses are left out of the report, so with none left an empty
 * list goes to the server and takes back what was reported before.
 */
static int
candidate_excluded(const struct in_network *net, const struct in_ip *ip)
{
	int	i;

	if (net->flags & IN_NETF_NOCAND)
		return (1);
	for (i = 0; i < net->nexclude && i < IN_MAXNATEXCLUDE; i++)
		if (in_prefix_contains(&net->nat_exclude[i], ip))
			return (1);
	return (0);
}

static void
candidates_addrs(struct imsg *imsg, void *arg)
{
	struct candctx		*cc = arg;
	struct engine_net	*en;
	struct in_ip		 ip;
	const char		*s;
	json_t			*list;

	if ((en = net_ref_find(&cc->ref)) == NULL)
		return;
	if (imsg->hdr.type == IMSG_WG_ADDR) {
		if (imsg_get_data(imsg, &ip, sizeof(ip)) == -1 ||
		    cc->n >= IN_MAXCANDIDATES ||
		    (ip.af != AF_INET && ip.af != AF_INET6) ||
		    in_prefix_contains(&en->net.net, &ip) ||
		    candidate_excluded(&en->net, &ip))
			return;
		if (candidate_append(cc->buf, sizeof(cc->buf), &cc->len, &ip,
		    en->cli->port, 0) == 0)
			cc->n++;
		return;
	}
	if (imsg->hdr.type != IMSG_WG_END ||
	    (cc->len == en->cli->reported_len && memcmp(cc->buf,
	    en->cli->reported, cc->len) == 0 && time(NULL) -
	    en->cli->reported_at < CANDIDATES_REFRESH))
		return;
	list = json_array();
	for (s = cc->buf; s < cc->buf + cc->len; s += strlen(s) + 1)
		json_array_append_new(list, json_string(s));
	if (chttp(&en->net, EVHTTP_REQ_PUT, "/user/candidates", list, NULL,
	    candidates_put, cc, sizeof(*cc)) == -1)
		log_warnx("%s: reporting candidates: cannot make the request",
		    en->net.name);
	json_decref(list);
}

void
candidates_report(struct engine_net *en)
{
	struct candctx	cc;
	uint32_t	id;

	if (en->cli->port == 0 || en->cli->candidates_unsupported)
		return;
	memset(&cc, 0, sizeof(cc));
	net_ref_set(&cc.ref, en);
	id = engine_req_new_ctx(candidates_addrs, &cc, sizeof(cc));
	if (engine_wg_compose(IMSG_WG_ADDRS_REQ, id, NULL, 0) == -1)
		engine_req_cancel(id);
}

/*
 * NAT traversal as upstream: every peer without a recent handshake
 * tries its candidates one by one, NAT_STEP seconds each, the
 * server-reported endpoint last, until a handshake happens.
 */

void
nat_start(struct engine_net *en)
{
	struct client_net	*cli = en->cli;
	struct ns_peer		*np;
	struct nat_peer		*t;
	struct timeval		 tv = { NAT_STEP, 0 };
	const char		*s;
	char			 ep[IN_ENDPOINTSZ];
	time_t			 now = time(NULL);
	size_t			 i, n = 0;
	int			 k;

	evtimer_del(&cli->nat_ev);
	free(cli->nat);
	cli->nat = NULL;
	cli->nnat = 0;
	if (en->net.flags & IN_NETF_NONAT)	/* --no-nat-traversal */
		return;
	for (i = 0; i < en->cache.npeers; i++) {
		np = &en->cache.peers[i];
		if (!np->p.is_disabled && !is_self(en, &np->p) &&
		    np->p.candidates_len > 0 &&
		    override_find(cli, np->p.public_key) == NULL &&
		    !recently_connected(cli, np->p.public_key, now))
			n++;
	}
	if (n == 0)
		return;
	if ((cli->nat = calloc(n, sizeof(*cli->nat))) == NULL)
		return;
	for (i = 0; i < en->cache.npeers && cli->nnat < n; i++) {
		np = &en->cache.peers[i];
		if (np->p.is_disabled || is_self(en, &np->p) ||
		    np->p.candidates_len == 0 ||
		    override_find(cli, np->p.public_key) != NULL ||
		    recently_connected(cli, np->p.public_key, now))
			continue;
		t = &cli->nat[cli->nnat];
		client_wgpeer(en, np, &t->w, 1);
		if (numeric_endpoint(np->endpoint, ep, sizeof(ep)) == 0)
			strlcpy(t->cand[t->ncand++], ep, IN_ENDPOINTSZ);
		for (s = np->candidates, k = 0; s < np->candidates +
		    np->p.candidates_len && k < IN_MAXCANDIDATES;
		    s += strlen(s) + 1, k++) {
			if (numeric_endpoint(s, ep, sizeof(ep)) == -1 ||
			    (t->ncand > 0 && strcmp(ep, t->cand[0]) == 0) ||
			    t->ncand >= NAT_MAXCAND)
				continue;
			strlcpy(t->cand[t->ncand++], ep, IN_ENDPOINTSZ);
		}
		if (t->ncand > 0)
			cli->nnat++;
	}
	if (cli->nnat == 0)
		return;
	cli->nat_steps = 0;
	evtimer_add(&cli->nat_ev, &tv);
}

static void
nat_stats(struct engine_net *en, void *arg)
{
	struct client_net	*cli;
	struct nat_peer		*t;
	struct timeval		 tv = { NAT_STEP, 0 };
	time_t			 now = time(NULL);
	size_t			 i, j;

	if (en == NULL)
		return;
	cli = en->cli;
	for (i = j = 0; i < cli->nnat; i++) {
		t = &cli->nat[i];
		if (t->ncand == 0 || recently_connected(cli, t->w.public_key,
		    now) || stat_find(cli, t->w.public_key) == NULL)
			continue;
		if (i != j)
			cli->nat[j] = *t;
		j++;
	}
	cli->nnat = j;
	if (cli->nnat == 0 || ++cli->nat_steps > NAT_MAXCAND) {
		log_debug("%s: NAT traversal done", en->net.name);
		cli->nnat = 0;
		return;
	}
	log_debug("%s: trying candidates for %zu unconnected peers",
	    en->net.name, cli->nnat);
	for (i = 0; i < cli->nnat; i++) {
		t = &cli->nat[i];
		strlcpy(t->w.endpoint, t->cand[--t->ncand],
		    sizeof(t->w.endpoint));
		wg_fire(IMSG_WG_PEER_SET, &t->w, sizeof(t->w));
	}
	evtimer_add(&cli->nat_ev, &tv);
}

void
nat_timer(int fd, short event, void *arg)
{
	stats_get(arg, nat_stats, NULL, 0);
}

/*
 * upstream's NAT options of install, up and fetch, from a request:
 * "no_nat_traversal", "no_nat_candidates" (booleans) and
 * "exclude_nat_candidates" (CIDRs: an array, or one string separated by
 * commas or spaces).  The network keeps them.  0 if none was given (net
 * unchanged), 1 if applied, -1 with err set.
 */
int
client_nat_opts(json_t *args, struct in_network *net, char *err,
    size_t errlen)
{
	struct in_network	 n = *net;
	json_t			*ex, *v;
	char			 buf[IN_MAXNATEXCLUDE * IN_CIDRSTRSZ + 64];
	char			*s, *p;
	size_t			 i;
	int			 given = 0;

	n.flags &= ~(IN_NETF_NONAT | IN_NETF_NOCAND);
	n.nexclude = 0;
	memset(n.nat_exclude, 0, sizeof(n.nat_exclude));
	if (json_is_true(json_object_get(args, "no_nat_traversal"))) {
		n.flags |= IN_NETF_NONAT;
		given = 1;
	}
	if (json_is_true(json_object_get(args, "no_nat_candidates"))) {
		n.flags |= IN_NETF_NOCAND;
		given = 1;
	}
	if ((ex = json_object_get(args, "exclude_nat_candidates")) != NULL) {
		given = 1;
		buf[0] = '\0';
		if (json_is_string(ex))
			strlcpy(buf, json_string_value(ex), sizeof(buf));
		else if (json_is_array(ex)) {
			json_array_foreach(ex, i, v) {
				if (!json_is_string(v))
					goto bad;
				strlcat(buf, " ", sizeof(buf));
				strlcat(buf, json_string_value(v), sizeof(buf));
			}
		} else
			goto bad;
		for (s = buf; (p = strsep(&s, " ,")) != NULL;) {
			if (*p == '\0')
				continue;
			if (n.nexclude == IN_MAXNATEXCLUDE) {
				snprintf(err, errlen, "at most %d "
				    "--exclude-nat-candidates CIDRs",
				    IN_MAXNATEXCLUDE);
				return (-1);
			}
			if (in_prefix_parse(p, &n.nat_exclude[n.nexclude]) ==
			    -1) {
				snprintf(err, errlen,
				    "--exclude-nat-candidates: %s is not a "
				    "CIDR like 10.0.0.0/8", p);
				return (-1);
			}
			n.nexclude++;
		}
	}
	if (given)
		*net = n;
	return (given);
 bad:
	snprintf(err, errlen, "--exclude-nat-candidates takes CIDRs");
	return (-1);
}
