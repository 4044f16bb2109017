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
 * The watch, client side (our extension; innernetd(8), WATCH).  When
 * our server says in GET /v1/user/capabilities that it can, the client
 * keeps one request open to it, GET /v1/user/state?since=<version>&
 * watch=55, answered as soon as anything this peer may see changes,
 * with only what changed; fetches name the version they hold too and
 * get a delta, or 304.  The delta applied to the state we hold gives
 * the full state, which goes through the fetch as one from the server
 * (checks, cache, WireGuard, hosts).  A server that cannot, a watch
 * refused or failing: the periodic fetch goes on as always, and the
 * watch is tried again later.  An upstream server is never asked
 * anything but what upstream's client asks.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "engine_local.h"
#include "delta.h"

#define CW_TIMEOUT	10	/* seconds for a fetch or a probe */
#define CW_MAXBODY	(64 * 1024 * 1024)	/* as client.c's */
#define CW_MAXFAIL	3	/* failures in a row, then poll a while */
#define CW_BACKOFF	60	/* seconds of polling after them */
#define CW_REPROBE	300	/* seconds before asking a server again */

typedef void	(*cw_fetch_cb)(void *, int, const char *, json_t *,
		    const char *);

enum cw_kind { CW_PROBE, CW_FETCH, CW_WATCH };

struct cwatch {
	uint64_t		 serial;
	int			 capable; /* 1 yes, -1 no, 0 not yet */
	time_t			 probe_after;
	struct creq		*probe;
	struct creq		*watch;		/* the held request */
	int			 failures;	/* of watches in a row */
	struct event		 ev;		/* next watch */
	/* the state we hold, as the server last sent it, and its version */
	json_t			*doc;
	char			 version[DELTA_VERSIONSZ];
	/* the version doc came with: it stays the state up to version */
	char			 doc_from[DELTA_VERSIONSZ];
	/* a state from a watch, for the fetch it starts */
	json_t			*pending;
	char			 pending_version[DELTA_VERSIONSZ];
	int			 handed;	/* a fetch has one of ours */
};

struct creq {
	char			 net[IN_IFNAMSZ];
	uint64_t		 serial;
	enum cw_kind		 kind;
	char			 since[DELTA_VERSIONSZ];
	struct evhttp_connection *conn;
	cw_fetch_cb		 cb;
	void			*arg;
};

/* What an answer said, once decoded. */
struct canswer {
	int		 status;
	const char	*state;		/* "full", "delta", NULL */
	char		 version[DELTA_VERSIONSZ];
	int		 refused;
	json_t		*j;
	char		 err[IN_ERRSZ];
};

static uint64_t	cw_serial;

static void
cw_ignore(void *arg, int status, const char *err, json_t *res)
{
}

static void	cw_arm(struct engine_net *, int);

static struct cwatch *
cw_get(struct engine_net *en)
{
	struct cwatch	*cw;

	if (en->cw != NULL)
		return (en->cw);
	/* watch: no polls as upstream, our server not even asked */
	if (en->net.role != IN_ROLE_CLIENT || engine_conf.watch == 2 ||
	    (cw = calloc(1, sizeof(*cw))) == NULL)
		return (NULL);
	cw->serial = ++cw_serial;
	en->cw = cw;
	return (cw);
}

static struct engine_net *
creq_net(struct creq *r)
{
	struct engine_net	*en;

	if ((en = engine_net_find(r->net)) == NULL || en->cw == NULL ||
	    en->cw->serial != r->serial)
		return (NULL);
	return (en);
}

static void
cw_forget(struct cwatch *cw)
{
	json_decref(cw->doc);
	cw->doc = NULL;
	cw->version[0] = cw->doc_from[0] = '\0';
}

/* A new state and its version. */
static void
cw_hold(struct cwatch *cw, json_t *doc, const char *version)
{
	json_decref(cw->doc);
	cw->doc = json_incref(doc);
	strlcpy(cw->version, version, sizeof(cw->version));
	strlcpy(cw->doc_from, version, sizeof(cw->doc_from));
}

/*
 * Is the state we hold that of version v?  It is from the version it
 * came with to the last one a 304 named: nothing we see changed between.
 */
static int
cw_holds(struct cwatch *cw, const char *v)
{
	uint64_t	e, c, fe, fc, le, lc;

	if (cw->doc == NULL || delta_version_parse(v, &e, &c) == -1 ||
	    delta_version_parse(cw->doc_from, &fe, &fc) == -1 ||
	    delta_version_parse(cw->version, &le, &lc) == -1)
		return (0);
	return (e != 0 && e == fe && e == le && fc <= c && c <= lc);
}

/* Decode an answer: gzip, the extension's headers, JSON. */
static void
cw_decode(struct evhttp_request *req, struct canswer *a)
{
	struct evkeyvalq	*in;
	struct evbuffer		*buf;
	const char		*h;
	uint8_t			*plain = NULL;
	unsigned char		*body;
	size_t			 len;
	json_error_t		 jerr;
	uint64_t		 e, c;

	memset(a, 0, sizeof(*a));
	if (req == NULL || (a->status =
	    evhttp_request_get_response_code(req)) == 0) {
		snprintf(a->err, sizeof(a->err), "no answer from the server");
		return;
	}
	in = evhttp_request_get_input_headers(req);
	if ((h = evhttp_find_header(in, WATCH_HDR_VERSION)) != NULL &&
	    delta_version_parse(h, &e, &c) == 0 && e != 0)
		strlcpy(a->version, h, sizeof(a->version));
	if ((h = evhttp_find_header(in, WATCH_HDR_STATE)) != NULL)
		a->state = strcmp(h, "delta") == 0 ? "delta" :
		    strcmp(h, "full") == 0 ? "full" : NULL;
	if ((h = evhttp_find_header(in, WATCH_HDR_WATCH)) != NULL &&
	    strcmp(h, "refused") == 0)
		a->refused = 1;
	if (a->status >= 300) {
		if (a->status != 304)
			snprintf(a->err, sizeof(a->err), "the server "
			    "answered %d", a->status);
		return;
	}
	buf = evhttp_request_get_input_buffer(req);
	if ((len = evbuffer_get_length(buf)) == 0 ||
	    (body = evbuffer_pullup(buf, len)) == NULL) {
		a->status = 502;
		snprintf(a->err, sizeof(a->err), "the server sent no state");
		return;
	}
	if ((h = evhttp_find_header(in, "Content-Encoding")) != NULL) {
		if (strcasecmp(h, "gzip") != 0 || gz_inflate(body, len,
		    CW_MAXBODY, &plain, &len) == -1) {
			a->status = 502;
			snprintf(a->err, sizeof(a->err), "the server sent a "
			    "body we cannot decode (%s)", h);
			return;
		}
		body = plain;
	}
	if ((a->j = json_loadb((const char *)body, len, 0, &jerr)) == NULL) {
		a->status = 502;
		snprintf(a->err, sizeof(a->err), "the server sent invalid "
		    "JSON: %s", jerr.text);
	}
	free(plain);
}

/*
 * The full state an answer gives, or NULL (a->err says why): a full
 * state as sent, or the delta applied to the state we hold, if it was
 * made from our version.
 */
static json_t *
cw_state(struct cwatch *cw, struct creq *r, struct canswer *a)
{
	json_t	*doc;

	if (a->state == NULL || strcmp(a->state, "full") == 0 ||
	    a->version[0] == '\0')
		return (json_incref(a->j));
	if (!cw_holds(cw, r->since)) {
		snprintf(a->err, sizeof(a->err), "a delta from a version we "
		    "do not hold");
		return (NULL);
	}
	if ((doc = json_deep_copy(cw->doc)) == NULL) {
		snprintf(a->err, sizeof(a->err), "out of memory");
		return (NULL);
	}
	if (delta_apply(doc, a->j, a->err, sizeof(a->err)) == -1) {
		json_decref(doc);
		return (NULL);
	}
	return (doc);
}

/* A 304 to a request from since: the state we hold is also v's. */
static void
cw_extend(struct cwatch *cw, const char *since, const char *v)
{
	uint64_t	e, c, le, lc;

	if (cw_holds(cw, since) && delta_version_parse(v, &e, &c) == 0 &&
	    delta_version_parse(cw->version, &le, &lc) == 0 && e == le &&
	    c > lc)
		strlcpy(cw->version, v, sizeof(cw->version));
}

static void
cw_done(struct evhttp_request *req, void *arg)
{
	struct creq		*r = arg;
	struct engine_net	*en;
	struct cwatch		*cw = NULL;
	struct canswer		 a;
	json_t			*doc = NULL, *cap;

	cw_decode(req, &a);
	if ((en = creq_net(r)) != NULL)
		cw = en->cw;
	switch (r->kind) {
	case CW_PROBE:
		if (cw == NULL)
			break;
		cw->probe = NULL;
		cw->probe_after = time(NULL) + CW_REPROBE;
		if (a.status == 200 && json_is_object(cap =
		    json_object_get(a.j, WATCH_CAP)) &&
		    json_integer_value(json_object_get(cap, "version")) >= 1)
			cw->capable = 1;
		else if (a.status == 200 || a.status == 404)
			cw->capable = -1;	/* upstream, or ours without */
		if (cw->capable == 1) {
			/* a fetch naming no version gets the first one */
			log_info("%s: the server can be watched", r->net);
			client_fetch(en, cw_ignore, NULL);
		}
		break;
	case CW_FETCH:
		if (cw == NULL) {
			r->cb(r->arg, 0, "the network was stopped", NULL,
			    NULL);
			break;
		}
		if (a.status == 304) {
			cw_extend(cw, r->since, a.version);
			r->cb(r->arg, 304, NULL, NULL, NULL);
			break;
		}
		if (a.status != 200 || (doc = cw_state(cw, r, &a)) == NULL) {
			/* poll as upstream does until asked again */
			if (a.status == 400 || a.status == 404 ||
			    a.status == 503)
				cw->capable = 0;
			cw_forget(cw);
			r->cb(r->arg, a.status != 200 ? a.status : 502,
			    a.err, NULL, NULL);
			break;
		}
		cw_hold(cw, doc, a.version);
		cw->handed = 1;
		r->cb(r->arg, 200, NULL, doc, NULL);
		break;
	case CW_WATCH:
		if (cw == NULL)
			break;
		cw->watch = NULL;
		if (a.status == 304 && !a.refused) {
			cw->failures = 0;
			cw_extend(cw, r->since, a.version);
			cw_arm(en, 0);
			break;
		}
		if (a.status == 200 && a.state != NULL &&
		    strcmp(a.state, "delta") == 0 && !cw_holds(cw, r->since)) {
			/* a fetch moved us on meanwhile: watch from there */
			cw_arm(en, 0);
			break;
		}
		if (a.status == 200 && (doc = cw_state(cw, r, &a)) != NULL) {
			json_decref(cw->pending);
			cw->pending = json_incref(doc);
			strlcpy(cw->pending_version, a.version,
			    sizeof(cw->pending_version));
			/* the fetch takes it; the watch goes on after it */
			if (a.refused) {
				log_info("%s: watch refused by the server; "
				    "polling for %d s", r->net, CW_BACKOFF);
				cw->failures = CW_MAXFAIL;
			} else
				cw->failures = 0;
			client_fetch(en, cw_ignore, NULL);
			break;
		}
		if (a.status == 200)
			cw_forget(cw);
		/* refused: the server is full of watches, poll for now */
		if (a.refused)
			cw->failures = CW_MAXFAIL - 1;
		if (++cw->failures >= CW_MAXFAIL)
			log_info("%s: watch %s%s; polling for %d s", r->net,
			    a.refused ? "refused by the server" : "failing: ",
			    a.refused ? "" : a.err, CW_BACKOFF);
		cw_arm(en, 1);
		break;
	}
	json_decref(doc);
	json_decref(a.j);
	free(r);
}

/* A request to the server, through the tunnel only (see client.c). */
/*
 * A request's record; the caller's context, if any, is copied after it
 * (as chttp.c does) and lives as long as the request.
 */
static struct creq *
creq_new(struct engine_net *en, const void *ctx, size_t len)
{
	struct creq	*r;

	if ((r = calloc(1, sizeof(*r) + len)) == NULL)
		return (NULL);
	strlcpy(r->net, en->net.name, sizeof(r->net));
	r->serial = en->cw->serial;
	if (len > 0) {
		memcpy(r + 1, ctx, len);
		r->arg = r + 1;
	} else
		r->arg = (void *)(uintptr_t)ctx;
	return (r);
}

static struct creq *
cw_request(struct engine_net *en, enum cw_kind kind, const char *path,
    int timeout, const void *ctx, size_t len)
{
	struct evhttp_connection	*conn;
	struct evhttp_request		*req;
	struct evkeyvalq		*hdrs;
	struct creq			*r;
	char				 host[IN_ADDRSTRSZ];
	char				 hp[IN_ADDRSTRSZ + 8];
	char				 uri[256];

	if (!chttp_route_ok(&en->net) ||
	    in_ip_str(&en->net.server_ip, host, sizeof(host)) == -1 ||
	    (r = creq_new(en, ctx, len)) == NULL)
		return (NULL);
	r->kind = kind;
	snprintf(uri, sizeof(uri), "/v1%s", path);
	snprintf(hp, sizeof(hp), en->net.server_ip.af == AF_INET6 ?
	    "[%s]:%u" : "%s:%u", host, en->net.server_port);
	if ((conn = evhttp_connection_base_new(engine_base, engine_dns, host,
	    en->net.server_port)) == NULL) {
		free(r);
		return (NULL);
	}
	evhttp_connection_set_timeout(conn, timeout);
	evhttp_connection_set_retries(conn, 0);
	evhttp_connection_set_max_body_size(conn, CW_MAXBODY);
	if ((req = evhttp_request_new(cw_done, r)) == NULL) {
		evhttp_connection_free(conn);
		free(r);
		return (NULL);
	}
	hdrs = evhttp_request_get_output_headers(req);
	evhttp_add_header(hdrs, "Host", hp);
	evhttp_add_header(hdrs, "User-Agent", "innernetd/" INNERNET_VERSION);
	evhttp_add_header(hdrs, "X-Innernet-Server-Key",
	    en->net.server_public_key);
	if (kind != CW_PROBE)
		evhttp_add_header(hdrs, "Accept-Encoding", "gzip");
	/*
	 * One request a connection: kept alive, libevent would keep it
	 * open until the server's idle timeout, one more against the
	 * server's max-per-source for each fetch.
	 */
	evhttp_add_header(hdrs, "Connection", "close");
	if (evhttp_make_request(conn, req, EVHTTP_REQ_GET, uri) == -1) {
		evhttp_connection_free(conn);
		free(r);
		return (NULL);
	}
	chttp_bind(conn, &en->net);
	evhttp_connection_free_on_completion(conn);
	r->conn = conn;
	return (r);
}

static void
cw_watch_fire(int fd, short event, void *arg)
{
	struct engine_net	*en = arg;
	struct cwatch		*cw = en->cw;
	char			 path[128];

	if (cw == NULL || cw->watch != NULL || cw->capable != 1 ||
	    cw->version[0] == '\0')
		return;
	snprintf(path, sizeof(path), "/user/state?since=%s&watch=%d",
	    cw->version, WATCH_HOLD);
	if ((cw->watch = cw_request(en, CW_WATCH, path, WATCH_HOLD +
	    CW_TIMEOUT, NULL, 0)) != NULL)
		strlcpy(cw->watch->since, cw->version,
		    sizeof(cw->watch->since));
}

/*
 * The next watch: at once, or after a failure a little later, or after
 * CW_MAXFAIL of them only after CW_BACKOFF seconds of plain polling.
 */
static void
cw_arm(struct engine_net *en, int failed)
{
	struct cwatch	*cw = en->cw;
	struct timeval	 tv = { 0, 0 };

	if (cw == NULL || cw->capable != 1 || cw->watch != NULL)
		return;
	if (!evtimer_initialized(&cw->ev))
		evtimer_set(&cw->ev, cw_watch_fire, en);
	if (failed) {
		if (cw->failures >= CW_MAXFAIL) {
			tv.tv_sec = CW_BACKOFF;
			cw->failures = 0;
		} else
			tv.tv_sec = 1 << cw->failures;
	}
	if (!evtimer_pending(&cw->ev, NULL))
		evtimer_add(&cw->ev, &tv);
}

static void
cw_handover(int fd, short event, void *arg)
{
	struct creq		*r = arg;
	struct engine_net	*en;
	json_t			*doc;

	if ((en = creq_net(r)) == NULL || en->cw->pending == NULL) {
		r->cb(r->arg, 0, "the network was stopped", NULL, NULL);
		free(r);
		return;
	}
	doc = en->cw->pending;
	en->cw->pending = NULL;
	cw_hold(en->cw, doc, en->cw->pending_version);
	en->cw->handed = 1;
	r->cb(r->arg, 200, NULL, doc, NULL);
	json_decref(doc);
	free(r);
}

/*
 * client.c's fetch asks here first.  0: we took it (the callback will
 * run), 1: the plain upstream request is the caller's, -1: failure.
 */
int
cwatch_fetch(struct engine_net *en, cw_fetch_cb cb, const void *ctx,
    size_t len)
{
	struct cwatch	*cw;
	struct creq	*r;
	char		 path[128];

	if ((cw = cw_get(en)) == NULL)
		return (1);
	if (cw->pending != NULL) {
		if ((r = creq_new(en, ctx, len)) == NULL)
			return (-1);
		r->cb = cb;
		if (event_base_once(engine_base, -1, EV_TIMEOUT, cw_handover,
		    r, NULL) == -1) {
			free(r);
			return (-1);
		}
		return (0);
	}
	if (cw->capable != 1)
		return (1);
	snprintf(path, sizeof(path), "/user/state?since=%s",
	    cw->version[0] != '\0' ? cw->version : "0");
	if ((r = cw_request(en, CW_FETCH, path, CW_TIMEOUT, ctx, len)) ==
	    NULL)
		return (1);
	strlcpy(r->since, cw->version, sizeof(r->since));
	r->cb = cb;
	return (0);
}

static void
cw_refetch(int fd, short event, void *arg)
{
	struct creq		*r = arg;
	struct engine_net	*en;

	if ((en = creq_net(r)) != NULL && en->cw->pending != NULL)
		client_fetch(en, cw_ignore, NULL);
	free(r);
}

/*
 * A fetch ended (status as innernetctl fetch would be told).  A state we
 * handed over that was refused is forgotten, so the next fetch is full;
 * then the watch goes on, or starts once the server said it can.
 */
void
cwatch_fetched(struct engine_net *en, int status)
{
	struct cwatch	*cw;
	struct creq	*r;

	if ((cw = cw_get(en)) == NULL)
		return;
	if (cw->handed && status >= 400)
		cw_forget(cw);
	cw->handed = 0;
	if (status >= 400)
		return;
	if (cw->pending != NULL) {
		/* a watch answered while that fetch ran */
		if ((r = creq_new(en, NULL, 0)) == NULL)
			return;
		if (event_base_once(engine_base, -1, EV_TIMEOUT, cw_refetch,
		    r, NULL) == -1)
			free(r);
		return;
	}
	if (cw->capable == 0 && cw->probe == NULL &&
	    time(NULL) >= cw->probe_after) {
		cw->probe = cw_request(en, CW_PROBE, "/user/capabilities",
		    CW_TIMEOUT, NULL, 0);
		return;
	}
	if (cw->capable == 1 && cw->version[0] == '\0') {
		/* polled plainly until now: the next fetch gets a version */
		return;
	}
	cw_arm(en, cw->failures > 0);
}

void
cwatch_stop(struct engine_net *en)
{
	struct cwatch	*cw = en->cw;

	if (cw == NULL)
		return;
	if (evtimer_initialized(&cw->ev))
		evtimer_del(&cw->ev);
	/* a held watch would keep its connection up to a minute */
	if (cw->watch != NULL) {
		evhttp_connection_free(cw->watch->conn);
		free(cw->watch);
	}
	json_decref(cw->doc);
	json_decref(cw->pending);
	free(cw);
	en->cw = NULL;
}
