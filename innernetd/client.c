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
 * WireGuard peers and hosts lines.  Everything is asynchronous; a step
 * finds its network again through a cref, so a network stopped or
 * uninstalled meanwhile is never touched by a late answer.
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

#define CLIENT_HTTP_TIMEOUT	10	/* seconds per API request */
#define CLIENT_MAXBODY		(64 * 1024 * 1024)
#define CLIENT_RETRY		10	/* seconds after a failed start */
#define CLIENT_HEAL		1	/* seconds after a failed WireGuard step */
#define NAT_STEP		5	/* seconds per candidate, as upstream */
#define NAT_MAXCAND		(IN_MAXCANDIDATES + 1)
#define RECENT_HANDSHAKE	180	/* WireGuard's reject-after time */
#define CANDIDATES_REFRESH	3600	/* re-report unchanged candidates */
#define REDEEM_TRIES		3
#define REDEEM_TIMEOUT		5	/* seconds per redeem attempt */
#define REDEEM_RETRY		2	/* seconds between redeem attempts */
#define REDEEM_MARGIN_MS	50	/* after the announced key swap */

/* Someone (innernetctl) waiting for the end of a fetch. */
struct waiter {
	TAILQ_ENTRY(waiter)	 entry;
	server_cb		 cb;
	void			*arg;
};
TAILQ_HEAD(waiters, waiter);

/* A peer without a recent handshake and the endpoints left to try. */
struct nat_peer {
	struct in_wgpeer	 w;
	char			 cand[NAT_MAXCAND][IN_ENDPOINTSZ];
	int			 ncand;
};

struct client_net {
	uint64_t		 gen;
	struct event		 fetch_ev;
	struct event		 nat_ev;
	struct event		 retry_ev;
	int			 up;		/* WireGuard configured */
	int			 starting;
	int			 fetching;
	struct waiters		 waiters;
	char			 etag[128];
	char			 server_ep[IN_ENDPOINTSZ]; /* numeric */
	uint16_t		 port;		/* WireGuard's listen port */
	struct in_wgstat	*stats;		/* sorted by public key */
	size_t			 nstats;
	char			 reported[IN_CANDIDATES_MAXLEN];
	size_t			 reported_len;
	time_t			 reported_at;
	int			 candidates_unsupported;
	struct nat_peer		*nat;
	size_t			 nnat;
	int			 nat_steps;
	time_t			 last_fetch;
	uint64_t		 fetches;
	struct in_override	*ovr;		/* override-peer-endpoint */
	size_t			 novr;
};

/* What an asynchronous step needs to find its network again. */
struct cref {
	char			 net[IN_IFNAMSZ];
	uint64_t		 gen;
};

static uint64_t	client_gen;

static void	start_step(struct engine_net *);
static void	fetch_begin(struct engine_net *);
static void	fetch_end(struct engine_net *, int, const char *, json_t *);
static void	nat_start(struct engine_net *);
static void	candidates_report(struct engine_net *);
static void	net_update(struct engine_net *, server_cb, void *);
static void	nat_timer(int, short, void *);
static void	wg_failed(struct engine_net *, const char *);

static void
reply(server_cb cb, void *arg, int status, const char *err, json_t *res)
{
	if (cb != NULL)
		cb(arg, status, err, res);
	json_decref(res);
}

static void
replyf(server_cb cb, void *arg, int status, const char *fmt, ...)
    __attribute__((__format__ (printf, 4, 5)));

static void
replyf(server_cb cb, void *arg, int status, const char *fmt, ...)
{
	char	buf[IN_ERRSZ * 2];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	reply(cb, arg, status, buf, NULL);
}

static void
cref_set(struct cref *r, struct engine_net *en)
{
	strlcpy(r->net, en->net.name, sizeof(r->net));
	r->gen = en->cli != NULL ? en->cli->gen : 0;
}

static struct engine_net *
cref_net(const struct cref *r)
{
	struct engine_net	*en;

	if ((en = engine_net_find(r->net)) == NULL || en->cli == NULL ||
	    en->cli->gen != r->gen)
		return (NULL);
	return (en);
}

static struct cref *
cref_new(struct engine_net *en)
{
	struct cref	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("client");
	cref_set(r, en);
	return (r);
}

static void
netreq_set(struct in_netreq *nr, const char *name)
{
	memset(nr, 0, sizeof(*nr));
	strlcpy(nr->network, name, sizeof(nr->network));
}

/* Answers nobody waits for: log failures. */
static void
log_answer(struct imsg *imsg, void *arg)
{
	struct in_error	e;

	if (engine_imsg_error(imsg, &e))
		log_warnx("%s: %s", arg != NULL ? (char *)arg : "client",
		    e.msg);
}

static void
wg_fire(uint32_t type, const void *data, size_t len)
{
	uint32_t	id;

	id = engine_req_new(log_answer, NULL);
	if (engine_wg_compose(type, id, data, len) == -1)
		engine_req_cancel(id);
}

/*
 * HTTP to the server: plain HTTP/1.1 over the tunnel to its internal
 * address, with the key header every request carries.  The callback
 * gets the status (0: no answer at all), an error text for failures,
 * the JSON answer if there was one, and the ETag.
 */
typedef void	(*chttp_cb)(void *, int, const char *, json_t *,
		    const char *);

struct chttp {
	chttp_cb	 cb;
	void		*arg;
	char		 server[IN_ADDRSTRSZ + 8];	/* [address]:port */
	struct evhttp_connection *conn;
	char		 why[IN_ERRSZ];	/* refused before sending */
};

static void
chttp_conn_free(int fd, short event, void *arg)
{
	evhttp_connection_free(arg);
}

static void
chttp_done(struct evhttp_request *req, void *arg)
{
	struct chttp		*h = arg;
	struct evbuffer		*buf;
	json_t			*j = NULL;
	json_error_t		 jerr;
	const char		*etag = NULL, *reason;
	char			 err[IN_ERRSZ * 2], text[IN_ERRSZ];
	size_t			 len, i;
	int			 code;

	if (req == NULL || (code = evhttp_request_get_response_code(req)) ==
	    0) {
		/*
		 * Before 2.2, libevent leaves a connection that was to free
		 * itself when connecting fails or times out (the request has
		 * no connection then): free it once libevent is done.
		 */
		if (req != NULL && evhttp_request_get_connection(req) == NULL &&
		    event_get_version_number() < 0x02020000)
			event_base_once(engine_base, -1, EV_TIMEOUT,
			    chttp_conn_free, h->conn, NULL);
		snprintf(err, sizeof(err), "no answer from the server at %s "
		    "(is the tunnel up and the server running?)", h->server);
		h->cb(h->arg, 0, err, NULL, NULL);
		free(h);
		return;
	}
	buf = evhttp_request_get_input_buffer(req);
	len = evbuffer_get_length(buf);
	etag = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "ETag");
	if (len > CLIENT_MAXBODY) {
		snprintf(err, sizeof(err), "the server at %s sent %zu bytes, "
		    "more than %d", h->server, len, CLIENT_MAXBODY);
		h->cb(h->arg, 502, err, NULL, NULL);
		free(h);
		return;
	}
	if (code >= 400) {
		/*
		 * upstream answers errors in plain text, ours as
		 * {"error": "..."}: what the server said, as it said it.
		 */
		len = evbuffer_copyout(buf, text, sizeof(text) - 1);
		text[len] = '\0';
		if ((j = json_loadb(text, len, 0, NULL)) != NULL &&
		    json_is_string(json_object_get(j, "error"))) {
			len = strlcpy(text, json_string_value(json_object_get(j,
			    "error")), sizeof(text));
			if (len >= sizeof(text))
				len = sizeof(text) - 1;
		}
		json_decref(j);
		j = NULL;
		for (i = 0; i < len; i++)
			if ((unsigned char)text[i] < 0x20)
				text[i] = ' ';
		reason = evhttp_request_get_response_code_line(req);
		if (len > 0)
			snprintf(err, sizeof(err), "the server refused: %s "
			    "(%d %s)", text, code, reason != NULL ? reason :
			    "");
		else
			snprintf(err, sizeof(err), "the server answered %d "
			    "%s", code, reason != NULL ? reason : "");
		h->cb(h->arg, code, err, NULL, NULL);
		free(h);
		return;
	}
	if (len > 0 && (j = json_loadb((const char *)evbuffer_pullup(buf,
	    len), len, JSON_DECODE_ANY, &jerr)) == NULL) {
		snprintf(err, sizeof(err), "the server at %s sent invalid "
		    "JSON: %s", h->server, jerr.text);
		h->cb(h->arg, 502, err, NULL, NULL);
		free(h);
		return;
	}
	h->cb(h->arg, code, NULL, j, etag);
	json_decref(j);
	free(h);
}

/*
 * The API is plain HTTP, its privacy and its authentication are the
 * tunnel's: a request goes through the network's WireGuard interface
 * or not at all.  The source address the kernel would choose for the
 * server's internal address tells which way the request would leave;
 * anything but our own overlay address is a route outside the tunnel.
 */
int
chttp_route_ok(const struct in_network *net)
{
	struct sockaddr_storage	 dst, src;
	struct sockaddr_in	*s4 = (struct sockaddr_in *)&dst;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)&dst;
	struct in_ip		 ip;
	socklen_t		 len;
	int			 fd, ok = 0;

	memset(&dst, 0, sizeof(dst));
	memset(&ip, 0, sizeof(ip));
	if (net->server_ip.af == AF_INET) {
		s4->sin_family = AF_INET;
		s4->sin_addr = net->server_ip.u.v4;
		s4->sin_port = htons(net->server_port);
		len = sizeof(*s4);
	} else if (net->server_ip.af == AF_INET6) {
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = net->server_ip.u.v6;
		s6->sin6_port = htons(net->server_port);
		len = sizeof(*s6);
	} else
		return (0);
	/* connect() of a datagram socket sends nothing */
	if ((fd = socket(dst.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return (0);
	if (connect(fd, (struct sockaddr *)&dst, len) == 0 &&
	    getsockname(fd, (struct sockaddr *)&src, &(socklen_t){
	    sizeof(src) }) == 0) {
		ip.af = src.ss_family;
		if (ip.af == AF_INET)
			ip.u.v4 = ((struct sockaddr_in *)&src)->sin_addr;
		else
			ip.u.v6 = ((struct sockaddr_in6 *)&src)->sin6_addr;
		ok = in_ip_cmp(&ip, &net->address) == 0;
	}
	close(fd);
	return (ok);
}

static void
chttp_refused(int fd, short event, void *arg)
{
	struct chttp	*h = arg;

	h->cb(h->arg, 0, h->why, NULL, NULL);
	free(h);
}

/*
 * Once libevent made the socket, it is bound to the interface: should
 * the route change between our look at it and the connect, no answer
 * from outside the tunnel completes the handshake, and nothing we send
 * leaves by another interface.
 */
void
chttp_bind(struct evhttp_connection *conn, const struct in_network *net)
{
	struct bufferevent	*bev;
	int			 fd;

	if ((bev = evhttp_connection_get_bufferevent(conn)) == NULL ||
	    (fd = bufferevent_getfd(bev)) == -1)
		return;		/* connect failed at once */
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, net->name,
	    strlen(net->name)) == -1) {
		log_warn("%s: SO_BINDTODEVICE", net->name);
		shutdown(fd, SHUT_RDWR);
	}
}

static int
chttp_t(const struct in_network *net, enum evhttp_cmd_type cmd,
    const char *path, json_t *body, const char *etag, int timeout,
    chttp_cb cb, void *arg)
{
	struct evhttp_connection	*conn;
	struct evhttp_request		*req;
	struct evkeyvalq		*hdrs;
	struct chttp			*h;
	char				 host[IN_ADDRSTRSZ], uri[256];
	char				*s;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return (-1);
	h->cb = cb;
	h->arg = arg;
	if (in_ip_str(&net->server_ip, host, sizeof(host)) == -1) {
		free(h);
		return (-1);
	}
	snprintf(h->server, sizeof(h->server), net->server_ip.af ==
	    AF_INET6 ? "[%s]:%u" : "%s:%u", host, net->server_port);
	snprintf(uri, sizeof(uri), "/v1%s", path);
	if (!chttp_route_ok(net)) {
		snprintf(h->why, sizeof(h->why), "the route to the server at "
		    "%s does not go through %s: the request is not sent "
		    "outside the tunnel", h->server, net->name);
		log_warnx("%s: %s", net->name, h->why);
		if (event_base_once(engine_base, -1, EV_TIMEOUT, chttp_refused,
		    h, NULL) == -1) {
			free(h);
			return (-1);
		}
		return (0);
	}
	if ((conn = evhttp_connection_base_new(engine_base, engine_dns, host,
	    net->server_port)) == NULL) {
		free(h);
		return (-1);
	}
	h->conn = conn;
	evhttp_connection_set_timeout(conn, timeout);
	evhttp_connection_set_retries(conn, 0);
	evhttp_connection_set_max_body_size(conn, CLIENT_MAXBODY);
	if ((req = evhttp_request_new(chttp_done, h)) == NULL) {
		evhttp_connection_free(conn);
		free(h);
		return (-1);
	}
	hdrs = evhttp_request_get_output_headers(req);
	evhttp_add_header(hdrs, "Host", h->server);
	evhttp_add_header(hdrs, "User-Agent", "innernetd/" INNERNET_VERSION);
	evhttp_add_header(hdrs, "X-Innernet-Server-Key",
	    net->server_public_key);
	if (etag != NULL && etag[0] != '\0')
		evhttp_add_header(hdrs, "If-None-Match", etag);
	if (body != NULL) {
		if ((s = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY)) ==
		    NULL) {
			evhttp_request_free(req);
			evhttp_connection_free(conn);
			free(h);
			return (-1);
		}
		evhttp_add_header(hdrs, "Content-Type", "application/json");
		evbuffer_add(evhttp_request_get_output_buffer(req), s,
		    strlen(s));
		free(s);
	}
	if (evhttp_make_request(conn, req, cmd, uri) == -1) {
		/* the request is freed by libevent on failure */
		evhttp_connection_free(conn);
		free(h);
		return (-1);
	}
	chttp_bind(conn, net);
	evhttp_connection_free_on_completion(conn);
	return (0);
}

static int
chttp(const struct in_network *net, enum evhttp_cmd_type cmd,
    const char *path, json_t *body, const char *etag, chttp_cb cb,
    void *arg)
{
	return (chttp_t(net, cmd, path, body, etag, CLIENT_HTTP_TIMEOUT, cb,
	    arg));
}

/* WireGuard statistics, kept sorted by key for lookups. */

typedef void	(*stats_cb)(struct engine_net *, void *);

struct statreq {
	struct cref		 ref;
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

static const struct in_wgstat *
stat_find(struct client_net *cli, const char *key)
{
	struct in_wgstat	k;

	if (cli->nstats == 0)
		return (NULL);
	strlcpy(k.public_key, key, sizeof(k.public_key));
	return (bsearch(&k, cli->stats, cli->nstats, sizeof(k), stat_cmp));
}

static int
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
	if ((en = cref_net(&sr->ref)) != NULL) {
		if (imsg->hdr.type == IMSG_WG_END) {
			qsort(sr->v, sr->n, sizeof(*sr->v), stat_cmp);
			free(en->cli->stats);
			en->cli->stats = sr->v;
			en->cli->nstats = sr->n;
			sr->v = NULL;
		} else if (engine_imsg_error(imsg, &e))
			wg_failed(en, e.msg);
		else
			log_answer(imsg, en->net.name);
	}
	sr->done(en, sr->arg);
	free(sr->v);
	free(sr);
}

/* A stats request made only for its failure, which heals. */
static void
stats_ignore(struct engine_net *en, void *arg)
{
}

static void
stats_get(struct engine_net *en, stats_cb done, void *arg)
{
	struct statreq		*sr;
	struct in_netreq	 nr;
	uint32_t		 id;

	if ((sr = calloc(1, sizeof(*sr))) == NULL)
		fatal("client");
	cref_set(&sr->ref, en);
	sr->done = done;
	sr->arg = arg;
	netreq_set(&nr, en->net.name);
	id = engine_req_new(stats_answer, sr);
	if (engine_wg_compose(IMSG_WG_STATS_REQ, id, &nr, sizeof(nr)) == -1)
		fatalx("cannot reach wgd");
}

/*
 * The WireGuard peers the cache asks for.  The server's own peer is
 * always there, reached at the invitation's external endpoint until
 * the state names a usable one.  Endpoints of peers with a recent
 * handshake are left alone, as upstream, so roaming keeps working.
 */
static int
is_self(struct engine_net *en, const struct ns_row *p)
{
	return (strcmp(p->public_key, en->net.public_key) == 0 ||
	    in_ip_cmp(&p->ip, &en->net.address) == 0);
}

static int
is_server(struct engine_net *en, const struct ns_row *p)
{
	return (strcmp(p->public_key, en->net.server_public_key) == 0);
}

/* override-peer-endpoint: this host's endpoint for a peer, or NULL. */
static const char *
override_find(struct client_net *cli, const char *key)
{
	size_t	i;

	for (i = 0; cli != NULL && i < cli->novr; i++)
		if (strcmp(cli->ovr[i].public_key, key) == 0)
			return (cli->ovr[i].endpoint);
	return (NULL);
}

/* Set (endpoint not "") or drop one in memory. */
static int
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

static int
numeric_endpoint(const char *ep, char *out, size_t len)
{
	struct sockaddr_storage	ss;
	socklen_t		sl;

	if (ep == NULL || ep[0] == '\0' || in_endpoint_numeric(ep, &ss, &sl) == -1 ||
	    in_sockaddr_endpoint((struct sockaddr *)&ss, out, len) == -1)
		return (-1);
	return (0);
}

static void
wgpeer_from(struct engine_net *en, const struct ns_peer *np,
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

static uint32_t
sync_send(struct engine_net *en, engine_cb cb, void *arg)
{
	struct in_netreq	 nr;
	struct in_wgpeer	 w;
	struct ns_peer		*np;
	time_t			 now = time(NULL);
	size_t			 i;
	uint32_t		 id;
	int			 have_server = 0;

	netreq_set(&nr, en->net.name);
	id = engine_req_new(cb, arg);
	engine_wg_compose(IMSG_WG_SYNC_BEGIN, id, &nr, sizeof(nr));
	for (i = 0; i < en->cache.npeers; i++) {
		np = &en->cache.peers[i];
		if (np->p.is_disabled || is_self(en, &np->p))
			continue;
		if (is_server(en, &np->p))
			have_server = 1;
		wgpeer_from(en, np, &w, recently_connected(en->cli,
		    np->p.public_key, now));
		engine_wg_compose(IMSG_WG_SYNC_PEER, id, &w, sizeof(w));
	}
	if (!have_server) {
		server_wgpeer(en, &w);
		engine_wg_compose(IMSG_WG_SYNC_PEER, id, &w, sizeof(w));
	}
	engine_wg_compose(IMSG_WG_SYNC_END, id, &nr, sizeof(nr));
	return (id);
}

/*
 * Resolving the server's external endpoint: numeric ones at once,
 * names through the resolver set up before the chroot.
 */
typedef void	(*resolve_cb)(void *, const char *, const char *);

struct resolve {
	resolve_cb	 cb;
	void		*arg;
	uint16_t	 port;
	char		 name[IN_HOSTSZ];
};

static void
resolve_done(int result, struct evutil_addrinfo *res, void *arg)
{
	struct resolve	*r = arg;
	char		 ep[IN_ENDPOINTSZ], err[IN_ERRSZ * 2];
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

static void
resolve_endpoint(const char *endpoint, resolve_cb cb, void *arg)
{
	struct evutil_addrinfo	 hints;
	struct resolve		*r;
	char			 ep[IN_ENDPOINTSZ];

	if (numeric_endpoint(endpoint, ep, sizeof(ep)) == 0) {
		cb(arg, ep, NULL);
		return;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("client");
	r->cb = cb;
	r->arg = arg;
	if (in_endpoint_parse(endpoint, r->name, sizeof(r->name),
	    &r->port) == -1 || engine_dns == NULL) {
		free(r);
		cb(arg, NULL, "the server's external endpoint is not "
		    "host:port");
		return;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	evdns_getaddrinfo(engine_dns, r->name, NULL, &hints, resolve_done, r);
}

/* Fetch waiters: innernetctl fetch, up and install wait for a fetch. */
static void
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
 * Starting a network: the cache from dbd, the server's endpoint,
 * WireGuard up with the stored key, the cached peers applied, then the
 * first fetch.  A failure is retried after CLIENT_RETRY seconds.
 */
static void
start_failed(struct engine_net *en, const char *why)
{
	struct timeval	tv = { CLIENT_RETRY, 0 };

	log_warnx("%s: %s; trying again in %d seconds", en->net.name, why,
	    CLIENT_RETRY);
	en->cli->starting = 0;
	waiters_reply(en->cli, 503, why, NULL);
	evtimer_add(&en->cli->retry_ev, &tv);
}

static void
start_retry(int fd, short event, void *arg)
{
	start_step(arg);
}

/*
 * A WireGuard step failed, or WireGuard cannot be read (userspace
 * WireGuard may have died and taken the interface along): the network
 * starts again from its cache, which is the truth here, so the interface
 * comes back with every cached peer.  The cache already holds whatever
 * change the step was for.
 */
static void
wg_failed(struct engine_net *en, const char *why)
{
	struct timeval	tv = { CLIENT_HEAL, 0 };

	if (en->cli == NULL || !en->cli->up)
		return;
	log_warnx("%s: WireGuard: %s; bringing it up again from the cache",
	    en->net.name, why);
	en->cli->up = 0;
	/* a new interface keeps no endpoint: give every peer its own */
	free(en->cli->stats);
	en->cli->stats = NULL;
	en->cli->nstats = 0;
	evtimer_add(&en->cli->retry_ev, &tv);
}

static void
start_synced(struct imsg *imsg, void *arg)
{
	struct engine_net	*en;
	struct in_error		 e;

	en = cref_net(arg);
	free(arg);
	if (en == NULL)
		return;
	if (engine_imsg_error(imsg, &e)) {
		start_failed(en, e.msg);
		return;
	}
	en->cli->starting = 0;
	en->cli->up = 1;
	en->loaded = 1;
	hosts_send(en, &en->cache);
	log_info("%s: up, %zu cached peers", en->net.name,
	    en->cache.npeers);
	fetch_begin(en);
}

static void
start_wg_up(struct imsg *imsg, void *arg)
{
	struct engine_net	*en;
	struct in_wgkey		 k;
	struct in_error		 e;

	if ((en = cref_net(arg)) == NULL) {
		if (imsg->hdr.type != IMSG_WG_KEY)
			free(arg);
		return;
	}
	switch (imsg->hdr.type) {
	case IMSG_WG_KEY:
		if (imsg_get_data(imsg, &k, sizeof(k)) == -1 ||
		    !in_str_ok(k.key))
			return;
		if (in_key_ok(k.key) && strcmp(k.key, en->net.public_key))
			strlcpy(en->net.public_key, k.key,
			    sizeof(en->net.public_key));
		en->cli->port = k.listen_port;
		return;
	case IMSG_WG_OK:
		sync_send(en, start_synced, arg);
		return;
	default:
		free(arg);
		if (engine_imsg_error(imsg, &e))
			start_failed(en, e.msg);
		else
			start_failed(en, "unexpected answer from wgd");
	}
}

static void
start_resolved(void *arg, const char *ep, const char *err)
{
	struct engine_net	*en;
	struct in_wgif		 wif;
	uint32_t		 id;

	if ((en = cref_net(arg)) == NULL) {
		free(arg);
		return;
	}
	if (ep == NULL) {
		free(arg);
		start_failed(en, err);
		return;
	}
	strlcpy(en->cli->server_ep, ep, sizeof(en->cli->server_ep));
	engine_wgif(en, &wif);
	id = engine_req_new(start_wg_up, arg);
	engine_wg_compose(IMSG_WG_IF_UP, id, &wif, sizeof(wif));
}

static void
start_loaded(struct imsg *imsg, void *arg)
{
	struct engine_net	*en;
	struct in_peer		 p;
	struct in_cidr		 c;
	struct in_override	 o;
	struct in_error		 e;

	if ((en = cref_net(arg)) == NULL) {
		if (imsg->hdr.type != IMSG_DB_PEER &&
		    imsg->hdr.type != IMSG_DB_CIDR &&
		    imsg->hdr.type != IMSG_DB_ASSOC &&
		    imsg->hdr.type != IMSG_DB_OVERRIDE)
			free(arg);
		return;
	}
	switch (imsg->hdr.type) {
	case IMSG_DB_ASSOC:
		/* a row of the load, but a client's cache keeps none */
		return;
	case IMSG_DB_OVERRIDE:
		if (imsg_get_data(imsg, &o, sizeof(o)) == -1 ||
		    !in_str_ok(o.public_key) || !in_str_ok(o.endpoint))
			fatalx("%s: bad override row", en->net.name);
		if (override_put(en->cli, &o) == -1)
			fatal("%s: loading overrides", en->net.name);
		return;
	case IMSG_DB_PEER:
		memcpy(&p, imsg->data, sizeof(p));
		if (ns_peer_upsert(&en->cache, &p, (char *)imsg->data +
		    sizeof(p), p.candidates_len) == -1)
			fatal("%s: loading peers", en->net.name);
		return;
	case IMSG_DB_CIDR:
		memcpy(&c, imsg->data, sizeof(c));
		if (ns_cidr_upsert(&en->cache, &c) == -1)
			fatal("%s: loading CIDRs", en->net.name);
		return;
	case IMSG_DB_END:
		resolve_endpoint(en->net.external_endpoint, start_resolved,
		    arg);
		return;
	default:
		free(arg);
		if (engine_imsg_error(imsg, &e))
			start_failed(en, e.msg);
		else
			start_failed(en, "unexpected answer from dbd");
	}
}

static void
start_step(struct engine_net *en)
{
	struct in_netreq	nr;
	uint32_t		id;

	if (en->cli->starting || en->cli->up)
		return;
	en->cli->starting = 1;
	ns_clear(&en->cache);
	netreq_set(&nr, en->net.name);
	id = engine_req_new(start_loaded, cref_new(en));
	if (engine_db_compose(IMSG_DB_LOAD, id, &nr, sizeof(nr)) == -1)
		fatalx("cannot reach dbd");
}

void
client_net_start(struct engine_net *en)
{
	struct client_net	*cli;

	if (en->cli == NULL) {
		if ((cli = calloc(1, sizeof(*cli))) == NULL)
			fatal("client");
		cli->gen = ++client_gen;
		TAILQ_INIT(&cli->waiters);
		evtimer_set(&cli->fetch_ev, fetch_timer, en);
		evtimer_set(&cli->nat_ev, nat_timer, en);
		evtimer_set(&cli->retry_ev, start_retry, en);
		en->cli = cli;
	}
	if (en->net.flags & IN_NETF_DOWN) {
		log_info("%s: down (innernetctl up %s brings it up)",
		    en->net.name, en->net.name);
		return;
	}
	start_step(en);
}

void
client_net_stop(struct engine_net *en)
{
	struct client_net	*cli = en->cli;

	if (cli == NULL)
		return;
	cwatch_stop(en);
	evtimer_del(&cli->fetch_ev);
	evtimer_del(&cli->nat_ev);
	evtimer_del(&cli->retry_ev);
	waiters_reply(cli, 503, "the network was stopped", NULL);
	free(cli->stats);
	free(cli->nat);
	free(cli->ovr);
	free(cli);
	en->cli = NULL;
	en->loaded = 0;
}

/*
 * Fetching: GET /v1/user/state with the last ETag.  A new state is
 * checked against the cache (a known address must keep its key: the
 * server cannot swap a peer's identity), stored by dbd, applied by wgd
 * as a diff, then hosts, candidates and NAT traversal follow.
 */
struct fetchctx {
	struct cref		 ref;
	struct netstate		 ns;
	char			 etag[128];
	size_t			 added, removed;
	char			 err[IN_ERRSZ * 2];
};

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
fetch_synced(struct imsg *imsg, void *arg)
{
	struct fetchctx		*fc = arg;
	struct engine_net	*en;
	struct in_error		 e;

	if ((en = cref_net(&fc->ref)) == NULL) {
		free(fc);
		return;
	}
	/* the fetch is stored; WireGuard follows the cache shortly */
	if (engine_imsg_error(imsg, &e))
		wg_failed(en, e.msg);
	hosts_send(en, &en->cache);
	candidates_report(en);
	nat_start(en);
	log_info("%s: %zu peers (%zu new, %zu gone)", en->net.name,
	    en->cache.npeers, fc->added, fc->removed);
	fetch_result(en, fc, 1);
	free(fc);
}

static void
fetch_stats(struct engine_net *en, void *arg)
{
	struct fetchctx	*fc = arg;

	if (en == NULL) {
		free(fc);
		return;
	}
	sync_send(en, fetch_synced, fc);
}

static void
fetch_stored(struct imsg *imsg, void *arg)
{
	struct fetchctx		*fc = arg;
	struct engine_net	*en;
	struct in_error		 e;

	if ((en = cref_net(&fc->ref)) == NULL) {
		ns_clear(&fc->ns);
		free(fc);
		return;
	}
	if (engine_imsg_error(imsg, &e)) {
		ns_clear(&fc->ns);
		fetch_end(en, 500, e.msg, NULL);
		free(fc);
		return;
	}
	ns_clear(&en->cache);
	en->cache = fc->ns;
	ns_init(&fc->ns);
	strlcpy(en->cli->etag, fc->etag, sizeof(en->cli->etag));
	stats_get(en, fetch_stats, fc);
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
	id = engine_req_new(fetch_stored, fc);
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

	if (en == NULL) {
		free(fc);
		return;
	}
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
	free(fc);
	fetch_end(en, 502, e, NULL);
}

static void
fetch_got(void *arg, int status, const char *err, json_t *j,
    const char *etag)
{
	struct fetchctx		*fc = arg;
	struct engine_net	*en;
	char			 e[IN_ERRSZ * 2];

	if ((en = cref_net(&fc->ref)) == NULL) {
		ns_clear(&fc->ns);
		free(fc);
		return;
	}
	/*
	 * Nothing to sync: is the interface still there?  A fetch that got
	 * no answer may be one whose WireGuard died.
	 */
	if (status != 200)
		stats_get(en, stats_ignore, NULL);
	if (status == 304) {
		free(fc);
		candidates_report(en);
		fetch_result(en, NULL, 0);
		return;
	}
	if (status == 0) {
		strlcpy(fc->err, err, sizeof(fc->err));
		stats_get(en, fetch_silent, fc);
		return;
	}
	if (status != 200) {
		free(fc);
		fetch_end(en, status >= 400 ? status : 502, err != NULL ? err :
		    "unexpected answer to GET /v1/user/state", NULL);
		return;
	}
	if (json_to_state(j, &fc->ns, NULL, e, sizeof(e)) == -1 ||
	    pin_merge(&fc->ns, &en->cache, &fc->added, &fc->removed, e,
	    sizeof(e)) == -1) {
		ns_clear(&fc->ns);
		free(fc);
		fetch_end(en, 502, e, NULL);
		return;
	}
	if (etag != NULL)
		strlcpy(fc->etag, etag, sizeof(fc->etag));
	store_send(en, fc);
}

static void
fetch_begin(struct engine_net *en)
{
	struct client_net	*cli = en->cli;
	struct fetchctx		*fc;
	int			 rc;

	if (!cli->up) {
		start_step(en);
		return;
	}
	if (cli->fetching)
		return;
	evtimer_del(&cli->fetch_ev);
	if ((fc = calloc(1, sizeof(*fc))) == NULL)
		fatal("client");
	cref_set(&fc->ref, en);
	ns_init(&fc->ns);
	cli->fetching = 1;
	if ((rc = cwatch_fetch(en, fetch_got, fc)) == 1)
		rc = chttp(&en->net, EVHTTP_REQ_GET, "/user/state", NULL,
		    cli->etag, fetch_got, fc);
	if (rc == -1) {
		free(fc);
		fetch_end(en, 500, "cannot make the request", NULL);
	}
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
 * NAT candidates: this host's addresses on WireGuard's port, reported
 * when they change (and hourly), as upstream reports them every fetch.
 */
struct candctx {
	struct cref	 ref;
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

	if ((en = cref_net(&cc->ref)) != NULL) {
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
	free(cc);
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
	char			 a[IN_ADDRSTRSZ], ep[IN_ENDPOINTSZ];
	const char		*s;
	json_t			*list;
	size_t			 l;

	if ((en = cref_net(&cc->ref)) == NULL) {
		if (imsg->hdr.type != IMSG_WG_ADDR)
			free(cc);
		return;
	}
	if (imsg->hdr.type == IMSG_WG_ADDR) {
		if (imsg_get_data(imsg, &ip, sizeof(ip)) == -1 ||
		    cc->n >= IN_MAXCANDIDATES ||
		    (ip.af != AF_INET && ip.af != AF_INET6) ||
		    in_prefix_contains(&en->net.net, &ip) ||
		    candidate_excluded(&en->net, &ip) ||
		    in_ip_str(&ip, a, sizeof(a)) == -1)
			return;
		snprintf(ep, sizeof(ep), ip.af == AF_INET6 ? "[%s]:%u" :
		    "%s:%u", a, en->cli->port);
		l = strlen(ep) + 1;
		if (cc->len + l > sizeof(cc->buf))
			return;
		memcpy(cc->buf + cc->len, ep, l);
		cc->len += l;
		cc->n++;
		return;
	}
	if (imsg->hdr.type != IMSG_WG_END ||
	    (cc->len == en->cli->reported_len && memcmp(cc->buf,
	    en->cli->reported, cc->len) == 0 && time(NULL) -
	    en->cli->reported_at < CANDIDATES_REFRESH)) {
		free(cc);
		return;
	}
	list = json_array();
	for (s = cc->buf; s < cc->buf + cc->len; s += strlen(s) + 1)
		json_array_append_new(list, json_string(s));
	if (chttp(&en->net, EVHTTP_REQ_PUT, "/user/candidates", list, NULL,
	    candidates_put, cc) == -1)
		free(cc);
	json_decref(list);
}

static void
candidates_report(struct engine_net *en)
{
	struct candctx	*cc;
	uint32_t	 id;

	if (en->cli->port == 0 || en->cli->candidates_unsupported)
		return;
	if ((cc = calloc(1, sizeof(*cc))) == NULL)
		fatal("client");
	cref_set(&cc->ref, en);
	id = engine_req_new(candidates_addrs, cc);
	engine_wg_compose(IMSG_WG_ADDRS_REQ, id, NULL, 0);
}

/*
 * NAT traversal as upstream: every peer without a recent handshake
 * tries its candidates one by one, NAT_STEP seconds each, the
 * server-reported endpoint last, until a handshake happens.
 */

static void
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
		wgpeer_from(en, np, &t->w, 1);
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

static void
nat_timer(int fd, short event, void *arg)
{
	stats_get(arg, nat_stats, NULL);
}

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
		uint32_t id = engine_req_new(log_answer, NULL);

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
	resolve_endpoint(in->net.external_endpoint, inst_resolved, in);
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
	struct cref		 ref;
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
		free(op);
		return;
	}
	if ((en = cref_net(&op->ref)) != NULL && en->cli != NULL) {
		if (override_put(en->cli, &op->o) == -1)
			fatal(__func__);
		if (en->cli->up && (np = ns_peer_by_key(&en->cache,
		    op->o.public_key)) != NULL && !np->p.is_disabled) {
			wgpeer_from(en, np, &w, op->o.endpoint[0] == '\0' &&
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
	free(op);
}

void
client_override_peer_endpoint(struct engine_net *en, const char *name,
    const char *endpoint, server_cb cb, void *arg)
{
	struct overpeer		*op;
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
	if ((op = calloc(1, sizeof(*op))) == NULL) {
		replyf(cb, arg, 500, "out of memory");
		return;
	}
	cref_set(&op->ref, en);
	op->cb = cb;
	op->arg = arg;
	strlcpy(op->name, np->p.name, sizeof(op->name));
	strlcpy(op->o.network, en->net.name, sizeof(op->o.network));
	strlcpy(op->o.public_key, np->p.public_key,
	    sizeof(op->o.public_key));
	if (endpoint != NULL)
		strlcpy(op->o.endpoint, num, sizeof(op->o.endpoint));
	id = engine_req_new(overpeer_stored, op);
	engine_db_compose(IMSG_DB_OVERRIDE, id, &op->o, sizeof(op->o));
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

static void
netupdate_answer(struct imsg *imsg, void *arg)
{
	struct install	*in = arg;	/* only cb, arg and net are used */
	struct in_error	 e;
	json_t		*r;

	if (engine_imsg_error(imsg, &e)) {
		reply(in->cb, in->arg, e.status >= 400 ? e.status : 500,
		    e.msg, NULL);
		free(in);
		return;
	}
	r = json_pack("{s:s, s:i, s:s, s:b}", "network", in->net.name,
	    "listen_port", in->net.listen_port, "override_endpoint",
	    in->net.override_endpoint, "down",
	    (in->net.flags & IN_NETF_DOWN) != 0);
	reply(in->cb, in->arg, 200, NULL, r);
	free(in);
}

/* Record the network's settings with dbd, then answer. */
static void
net_update(struct engine_net *en, server_cb cb, void *arg)
{
	struct install	*in;
	uint32_t	 id;

	if ((in = calloc(1, sizeof(*in))) == NULL) {
		replyf(cb, arg, 500, "out of memory");
		return;
	}
	in->cb = cb;
	in->arg = arg;
	in->net = en->net;
	id = engine_req_new(netupdate_answer, in);
	engine_db_compose(IMSG_DB_NETWORK_UPDATE, id, &in->net,
	    sizeof(in->net));
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
		client_net_start(en);
	waiter_add(en->cli, cb, arg);
	if (en->cli->up)
		fetch_begin(en);
}

void
client_down(struct engine_net *en, server_cb cb, void *arg)
{
	struct in_netreq	nr;

	client_net_stop(en);
	en->net.flags |= IN_NETF_DOWN;
	netreq_set(&nr, en->net.name);
	wg_fire(IMSG_WG_IF_DOWN, &nr, sizeof(nr));
	wg_fire(IMSG_WG_HOSTS_CLEAR, &nr, sizeof(nr));
	log_info("%s: down", en->net.name);
	net_update(en, cb, arg);
}

void
client_uninstall(struct engine_net *en, server_cb cb, void *arg)
{
	server_net_delete(en, cb, arg);
}

struct portctx {
	struct cref	 ref;
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

	en = cref_net(&pc->ref);
	if (imsg->hdr.type == IMSG_WG_KEY) {
		if (en != NULL && imsg_get_data(imsg, &k, sizeof(k)) == 0)
			en->cli->port = k.listen_port;
		return;
	}
	if (en == NULL) {
		reply(pc->cb, pc->arg, 410, "the network went away", NULL);
		free(pc);
		return;
	}
	en->net.listen_port = (uint16_t)pc->port;
	en->cli->reported_at = 0;
	candidates_report(en);
	net_update(en, pc->cb, pc->arg);
	free(pc);
}

static void
port_set(struct imsg *imsg, void *arg)
{
	struct portctx		*pc = arg;
	struct engine_net	*en;
	struct in_error		 e;
	struct in_wgif		 wif;
	uint32_t		 id;

	if ((en = cref_net(&pc->ref)) == NULL) {
		reply(pc->cb, pc->arg, 410, "the network went away", NULL);
		free(pc);
		return;
	}
	if (engine_imsg_error(imsg, &e)) {
		reply(pc->cb, pc->arg, 500, e.msg, NULL);
		free(pc);
		return;
	}
	/* bring-up again is idempotent and tells the port in use */
	engine_wgif(en, &wif);
	wif.listen_port = (uint16_t)pc->port;
	id = engine_req_new(port_reread, pc);
	engine_wg_compose(IMSG_WG_IF_UP, id, &wif, sizeof(wif));
}

void
client_set_listen_port(struct engine_net *en, int port, server_cb cb,
    void *arg)
{
	struct portctx	*pc;
	struct in_wgkey	 k;
	uint32_t	 id;

	if (port < 0 || port > 65535) {
		replyf(cb, arg, 400, "the listen port must be 1..65535");
		return;
	}
	if (en->cli == NULL || !en->cli->up) {
		en->net.listen_port = (uint16_t)port;
		net_update(en, cb, arg);
		return;
	}
	if ((pc = calloc(1, sizeof(*pc))) == NULL) {
		replyf(cb, arg, 500, "out of memory");
		return;
	}
	cref_set(&pc->ref, en);
	pc->cb = cb;
	pc->arg = arg;
	pc->port = port;
	memset(&k, 0, sizeof(k));
	strlcpy(k.ifname, en->net.name, sizeof(k.ifname));
	k.listen_port = (uint16_t)port;
	id = engine_req_new(port_set, pc);
	engine_wg_compose(IMSG_WG_LISTEN_PORT, id, &k, sizeof(k));
}

struct overctx {
	struct cref	 ref;
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

	if ((en = cref_net(&oc->ref)) == NULL) {
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
	free(oc);
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
	    body, NULL, over_done, oc) == -1) {
		reply(oc->cb, oc->arg, 500, "cannot make the request", NULL);
		free(oc);
	}
	json_decref(body);
}

static void
over_capable(void *arg, int status, const char *err, json_t *j,
    const char *etag)
{
	struct overctx		*oc = arg;
	struct engine_net	*en;

	if ((en = cref_net(&oc->ref)) == NULL) {
		reply(oc->cb, oc->arg, 410, "the network went away", NULL);
		free(oc);
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
	free(oc);
}

void
client_override_endpoint(struct engine_net *en, const char *endpoint,
    server_cb cb, void *arg)
{
	struct overctx		*oc;
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
	if (en->cli == NULL || !en->cli->up) {
		replyf(cb, arg, 409, "%s is down; innernetctl up %s first",
		    en->net.name, en->net.name);
		return;
	}
	if ((oc = calloc(1, sizeof(*oc))) == NULL) {
		replyf(cb, arg, 500, "out of memory");
		return;
	}
	cref_set(&oc->ref, en);
	oc->cb = cb;
	oc->arg = arg;
	if (endpoint != NULL)
		strlcpy(oc->endpoint, endpoint, sizeof(oc->endpoint));
	if (endpoint != NULL && in_endpoint_numeric(endpoint, &ss, &sl) ==
	    0 && in_ip_parse(host, &ip) == 0 && in_ip_is_unspecified(&ip)) {
		if (chttp(&en->net, EVHTTP_REQ_GET, "/user/capabilities",
		    NULL, NULL, over_capable, oc) == -1) {
			reply(cb, arg, 500, "cannot make the request", NULL);
			free(oc);
		}
		return;
	}
	over_send(en, oc);
}

/* Admin verbs from this peer: the server's admin API over the tunnel. */

struct adminctx {
	server_cb	 cb;
	void		*arg;
	struct cref	 ref;
	int		 step;
	json_t		*peers, *cidrs;
};

static void
admin_done(void *arg, int status, const char *err, json_t *j,
    const char *etag)
{
	struct adminctx	*ac = arg;

	if (status == 0)
		status = 502;
	reply(ac->cb, ac->arg, status, err, json_incref(j));
	free(ac);
}

static enum evhttp_cmd_type
method(const char *m)
{
	if (strcmp(m, "POST") == 0)
		return (EVHTTP_REQ_POST);
	if (strcmp(m, "PUT") == 0)
		return (EVHTTP_REQ_PUT);
	if (strcmp(m, "DELETE") == 0)
		return (EVHTTP_REQ_DELETE);
	return (EVHTTP_REQ_GET);
}

void
client_admin(struct engine_net *en, const char *m, const char *path,
    json_t *body, server_cb cb, void *arg)
{
	struct adminctx	*ac;

	if ((ac = calloc(1, sizeof(*ac))) == NULL) {
		replyf(cb, arg, 500, "out of memory");
		return;
	}
	ac->cb = cb;
	ac->arg = arg;
	if (chttp(&en->net, method(m), path, body, NULL, admin_done,
	    ac) == -1) {
		free(ac);
		replyf(cb, arg, 500, "cannot make the request");
	}
}

static void	view_next(struct adminctx *, struct engine_net *);

static void
view_got(void *arg, int status, const char *err, json_t *j,
    const char *etag)
{
	struct adminctx		*ac = arg;
	struct engine_net	*en;
	json_t			*st;
	char			 e[IN_ERRSZ * 2];

	if ((en = engine_net_find(ac->ref.net)) == NULL) {
		reply(ac->cb, ac->arg, 410, "the network went away", NULL);
		goto done;
	}
	if (status != 200) {
		reply(ac->cb, ac->arg, status == 0 ? 502 : status, err, NULL);
		goto done;
	}
	switch (ac->step++) {
	case 0:
		ac->peers = json_incref(j);
		view_next(ac, en);
		return;
	case 1:
		ac->cidrs = json_incref(j);
		view_next(ac, en);
		return;
	}
	ns_clear(&en->state);
	st = json_pack("{s:O, s:O}", "peers", ac->peers, "cidrs", ac->cidrs);
	if (st == NULL || !json_is_array(j) || json_to_state(st, &en->state, j,
	    e, sizeof(e)) == -1) {
		ns_clear(&en->state);
		reply(ac->cb, ac->arg, 502, st == NULL ? "out of memory" :
		    !json_is_array(j) ? "associations are not a list" : e,
		    NULL);
	} else
		reply(ac->cb, ac->arg, 200, NULL, NULL);
	json_decref(st);
 done:
	json_decref(ac->peers);
	json_decref(ac->cidrs);
	free(ac);
}

static void
view_next(struct adminctx *ac, struct engine_net *en)
{
	static const char	*paths[] = { "/admin/peers", "/admin/cidrs",
				    "/admin/associations" };

	if (chttp(&en->net, EVHTTP_REQ_GET, paths[ac->step], NULL, NULL,
	    view_got, ac) == -1) {
		reply(ac->cb, ac->arg, 500, "cannot make the request", NULL);
		json_decref(ac->peers);
		json_decref(ac->cidrs);
		free(ac);
	}
}

void
client_admin_view(struct engine_net *en, server_cb cb, void *arg)
{
	struct adminctx	*ac;

	if ((ac = calloc(1, sizeof(*ac))) == NULL) {
		replyf(cb, arg, 500, "out of memory");
		return;
	}
	ac->cb = cb;
	ac->arg = arg;
	strlcpy(ac->ref.net, en->net.name, sizeof(ac->ref.net));
	view_next(ac, en);
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
		free(lc);
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
	    "up", cli->up, "last_fetch", (json_int_t)cli->last_fetch,
	    "self", self, "peers", peers, "cidrs", client_cidrs_json(en));
	list_settings(en, r);
	reply(lc->cb, lc->arg, 200, NULL, r);
	free(lc);
}

void
client_list(struct engine_net *en, server_cb cb, void *arg)
{
	struct listctx	*lc;

	if (en->cli == NULL || !en->cli->up) {
		replyf(cb, arg, 409, "%s is down; innernetctl up %s first",
		    en->net.name, en->net.name);
		return;
	}
	if ((lc = calloc(1, sizeof(*lc))) == NULL) {
		replyf(cb, arg, 500, "out of memory");
		return;
	}
	lc->cb = cb;
	lc->arg = arg;
	stats_get(en, list_stats, lc);
}
