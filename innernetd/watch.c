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
 * The watch, server side (our extension; innernetd(8), WATCH): the
 * version of each server network's state, the log of its changes, and
 * GET /v1/user/state?since=<version>[&watch=<seconds>] answered with a
 * delta, nothing (304) or a full state, and held up to WATCH_HOLD
 * seconds while nothing the caller may see changes.  Upstream clients
 * never send "since" and get what they always got.
 *
 * Watchers are grouped in classes by CIDR (what a peer may see depends
 * on its CIDR only): a change wakes the classes that may see it, and a
 * class makes one delta for all of its watchers.  An idle watcher is a
 * struct watcher, a timer and libevent's connection; no CPU.
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sodium.h>

#include "engine_local.h"
#include "delta.h"

#define WATCH_RESERVE	4096	/* counter values reserved at a time */
#define WATCH_GZ_CACHE	4	/* compressed full states kept */
#define WATCH_GZ_MIN	512	/* smaller documents go plain */
#define WATCH_SLACK	15	/* seconds libevent waits beyond a hold */
#define WATCH_DEFAULT_CONNS	1024	/* as http.c's max-connections */
#define WATCH_DEFAULT_TIMEOUT	10	/* as http.c's timeout */

struct watcher;

/* The watchers of one CIDR, who all see the same. */
struct wclass {
	TAILQ_ENTRY(wclass)	 entry;
	TAILQ_HEAD(, watcher)	 watchers;
	int64_t			 cidr_id;
	int			 refs;
	uint64_t		 treegen;	/* of mark */
	uint8_t			*mark; /* visible CIDRs, by index */
	/* the last delta made for the class */
	uint64_t		 dsince, dnow;
	char			*doc;
	size_t			 doclen;
};

struct watcher {
	RB_ENTRY(watcher)	 byid;
	TAILQ_ENTRY(watcher)	 entry;		/* in its class */
	TAILQ_ENTRY(watcher)	 woken;
	struct watch_net	*wn;
	struct wclass		*cls;
	struct api_req		*ar;
	int64_t			 peer_id;
	uint64_t		 since;
	int			 gzip;
	int			 is_woken;
	struct event		 ev;
};
RB_HEAD(watchers_byid, watcher);

struct wgz {
	int64_t		 cidr_id;
	uint64_t	 gen, epgen;
	uint8_t		*buf;
	size_t		 len;
};

struct watch_net {
	struct engine_net	*en;
	uint64_t		 serial;	/* finds it again by answer */
	int			 ready;		/* version known */
	uint64_t		 epoch, counter, ceiling;
	int			 reserving;
	uint64_t		 treegen;	/* CIDR tree, associations */
	struct dlog		 log;
	struct watchers_byid	 byid;
	TAILQ_HEAD(, wclass)	 classes;
	TAILQ_HEAD(, watcher)	 woken;
	struct event		*wake_ev;
	struct wgz		 gz[WATCH_GZ_CACHE];
	unsigned int		 gz_next;
};

/* An answer of dbd finds its network by name and serial. */
struct wref {
	char			 net[IN_IFNAMSZ];
	uint64_t		 serial;
	struct in_version	 v;
};

static int		 watch_nwatchers;	/* every network's */
static uint64_t		 watch_serial;

static void	watcher_answer(struct watcher *, int);
static void	reserve(struct watch_net *);

static int
watcher_cmp(struct watcher *a, struct watcher *b)
{
	return (a->peer_id < b->peer_id ? -1 : a->peer_id > b->peer_id);
}

RB_PROTOTYPE(watchers_byid, watcher, byid, watcher_cmp);
RB_GENERATE(watchers_byid, watcher, byid, watcher_cmp);

/*
 * Held watches take at most half of max-connections: the other half is
 * always there for ordinary requests, whatever the number of watchers.
 */
static int
watch_cap(void)
{
	int	cap = engine_conf.max_connections != 0 ?
		    (int)engine_conf.max_connections : WATCH_DEFAULT_CONNS;

	return (cap / 2 > 0 ? cap / 2 : 1);
}

static struct watch_net *
wref_net(const struct wref *r)
{
	struct engine_net	*en;

	if ((en = engine_net_find(r->net)) == NULL || en->watch == NULL ||
	    en->watch->serial != r->serial)
		return (NULL);
	return (en->watch);
}

static struct wref *
wref_new(struct watch_net *wn)
{
	struct wref	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return (NULL);
	strlcpy(r->net, wn->en->net.name, sizeof(r->net));
	strlcpy(r->v.network, wn->en->net.name, sizeof(r->v.network));
	r->serial = wn->serial;
	return (r);
}

/* Classes. */

static struct wclass *
class_get(struct watch_net *wn, int64_t cidr_id)
{
	struct wclass	*cls;

	TAILQ_FOREACH(cls, &wn->classes, entry)
		if (cls->cidr_id == cidr_id) {
			cls->refs++;
			return (cls);
		}
	if ((cls = calloc(1, sizeof(*cls))) == NULL)
		return (NULL);
	cls->cidr_id = cidr_id;
	cls->refs = 1;
	cls->treegen = wn->treegen - 1;
	TAILQ_INIT(&cls->watchers);
	TAILQ_INSERT_TAIL(&wn->classes, cls, entry);
	return (cls);
}

static void
class_put(struct watch_net *wn, struct wclass *cls)
{
	if (--cls->refs > 0)
		return;
	TAILQ_REMOVE(&wn->classes, cls, entry);
	free(cls->mark);
	free(cls->doc);
	free(cls);
}

/* The CIDRs the class may see, by index; NULL: out of memory. */
static const uint8_t *
class_mark(struct watch_net *wn, struct wclass *cls)
{
	struct netstate	*ns = &wn->en->state;
	uint8_t		*m;

	if (cls->mark != NULL && cls->treegen == wn->treegen)
		return (cls->mark);
	if ((m = realloc(cls->mark, ns->ncidrs + 1)) == NULL)
		return (NULL);
	cls->mark = m;
	if (ns_visible_cidrs(ns, cls->cidr_id, m) == -1)
		return (NULL);
	cls->treegen = wn->treegen;
	return (m);
}

/*
 * The delta from since to now for the class, made once for all of its
 * watchers and kept until the next change.
 */
static int
class_delta(struct watch_net *wn, struct wclass *cls, uint64_t since)
{
	const uint8_t	*mark;
	json_t		*doc;
	int		 rc;

	if (cls->doc != NULL && cls->dsince == since &&
	    cls->dnow == wn->counter)
		return (DELTA_OK);
	if ((mark = class_mark(wn, cls)) == NULL)
		return (DELTA_FULL);
	rc = delta_build(&wn->en->state, &wn->log, since, wn->counter, mark,
	    &doc);
	if (rc == -1)
		return (DELTA_FULL);
	if (rc != DELTA_OK)
		return (rc);
	free(cls->doc);
	cls->doc = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (cls->doc == NULL)
		return (DELTA_FULL);
	cls->doclen = strlen(cls->doc);
	cls->dsince = since;
	cls->dnow = wn->counter;
	return (DELTA_OK);
}

/* Answers. */

static void
answer_headers(struct watch_net *wn, struct evhttp_request *req,
    const char *state)
{
	struct evkeyvalq		*out;
	struct evhttp_connection	*evcon;
	char				 v[DELTA_VERSIONSZ];

	out = evhttp_request_get_output_headers(req);
	delta_version_str(wn->epoch, wn->counter, v, sizeof(v));
	evhttp_add_header(out, WATCH_HDR_VERSION, v);
	if (state != NULL)
		evhttp_add_header(out, WATCH_HDR_STATE, state);
	/* a held request had a longer timeout: back to the usual */
	if ((evcon = evhttp_request_get_connection(req)) != NULL)
		evhttp_connection_set_timeout(evcon,
		    engine_conf.timeout != 0 ? (int)engine_conf.timeout :
		    WATCH_DEFAULT_TIMEOUT);
}

static void
answer_doc(struct watch_net *wn, struct api_req *ar, const char *doc,
    size_t len, int refused)
{
	struct evhttp_request	*req;
	struct evkeyvalq	*out;
	struct evbuffer		*buf;

	if ((req = api_request(ar)) != NULL) {
		answer_headers(wn, req, "delta");
		out = evhttp_request_get_output_headers(req);
		if (refused)
			evhttp_add_header(out, WATCH_HDR_WATCH, "refused");
		evhttp_add_header(out, "Content-Type", "application/json");
		if ((buf = evbuffer_new()) == NULL ||
		    evbuffer_add(buf, doc, len) == -1)
			evhttp_send_reply(req, 500, "Internal Server Error",
			    NULL);
		else
			evhttp_send_reply(req, 200, "OK", buf);
		if (buf != NULL)
			evbuffer_free(buf);
	}
	api_release(ar);
}

static void
answer_nothing(struct watch_net *wn, struct api_req *ar, int refused)
{
	struct evhttp_request	*req;

	if ((req = api_request(ar)) != NULL) {
		answer_headers(wn, req, NULL);
		if (refused)
			evhttp_add_header(
			    evhttp_request_get_output_headers(req),
			    WATCH_HDR_WATCH, "refused");
		evhttp_send_reply(req, 304, "Not Modified", NULL);
	}
	api_release(ar);
}

/* The caller's full state, compressed, kept by class and generation. */
static struct wgz *
gz_get(struct watch_net *wn, const struct ns_peer *caller)
{
	struct engine_net	*en = wn->en;
	struct wgz		*z;
	uint8_t			*plain = NULL;
	size_t			 len, i;
	ssize_t			 n;
	int			 fd;

	for (i = 0; i < WATCH_GZ_CACHE; i++) {
		z = &wn->gz[i];
		if (z->buf != NULL && z->cidr_id == caller->p.cidr_id &&
		    z->gen == en->state.generation &&
		    z->epgen == en->state.endpoint_generation)
			return (z);
	}
	z = &wn->gz[wn->gz_next++ % WATCH_GZ_CACHE];
	free(z->buf);
	z->buf = NULL;
	if ((fd = memfd_create("innernet-gz", MFD_CLOEXEC)) == -1)
		return (NULL);
	if (server_state_write(en, caller, fd, &len) == -1 ||
	    len < WATCH_GZ_MIN || (plain = malloc(len)) == NULL ||
	    (n = pread(fd, plain, len, 0)) == -1 || (size_t)n != len ||
	    gz_deflate(plain, len, &z->buf, &z->len) == -1) {
		close(fd);
		free(plain);
		z->buf = NULL;
		return (NULL);
	}
	close(fd);
	free(plain);
	z->cidr_id = caller->p.cidr_id;
	z->gen = en->state.generation;
	z->epgen = en->state.endpoint_generation;
	return (z);
}

static void
answer_full(struct watch_net *wn, struct api_req *ar,
    struct ns_peer *caller, int gzip, int refused)
{
	struct evhttp_request	*req;
	struct evkeyvalq	*out;
	struct evbuffer		*buf;
	struct wgz		*z;

	if ((req = api_request(ar)) == NULL) {
		api_release(ar);
		return;
	}
	answer_headers(wn, req, "full");
	out = evhttp_request_get_output_headers(req);
	if (refused)
		evhttp_add_header(out, WATCH_HDR_WATCH, "refused");
	if (gzip && (z = gz_get(wn, caller)) != NULL &&
	    (buf = evbuffer_new()) != NULL) {
		if (evbuffer_add(buf, z->buf, z->len) == -1)
			evhttp_send_reply(req, 500, "Internal Server Error",
			    NULL);
		else {
			evhttp_add_header(out, "Content-Type",
			    "application/json");
			evhttp_add_header(out, "Content-Encoding", "gzip");
			evhttp_send_reply(req, 200, "OK", buf);
		}
		evbuffer_free(buf);
		api_release(ar);
		return;
	}
	api_reply_state(ar, wn->en, caller);
}

/* Watchers. */

static void
watcher_free(struct watcher *w)
{
	struct watch_net	*wn = w->wn;

	evtimer_del(&w->ev);
	RB_REMOVE(watchers_byid, &wn->byid, w);
	TAILQ_REMOVE(&w->cls->watchers, w, entry);
	if (w->is_woken)
		TAILQ_REMOVE(&wn->woken, w, woken);
	class_put(wn, w->cls);
	watch_nwatchers--;
	free(w);
}

/*
 * Answer a watcher if anything it may see changed since its version, or
 * in any case ("final": its hold is over, or the network stops).
 */
static void
watcher_answer(struct watcher *w, int final)
{
	struct watch_net	*wn = w->wn;
	struct wclass		*cls = w->cls;
	struct ns_peer		*caller;
	struct api_req		*ar = w->ar;
	int			 rc, gzip = w->gzip;

	caller = ns_peer_by_id(&wn->en->state, w->peer_id);
	if (caller == NULL || caller->p.is_disabled ||
	    !caller->p.is_redeemed || caller->p.cidr_id != cls->cidr_id) {
		/* it moved, or is no longer let in: it asks again */
		watcher_free(w);
		if (caller == NULL || caller->p.is_disabled ||
		    !caller->p.is_redeemed)
			api_done(ar, 401, "unknown or disabled peer", NULL);
		else
			answer_nothing(wn, ar, 0);
		return;
	}
	rc = class_delta(wn, cls, w->since);
	if (rc == DELTA_NONE && !final) {
		/* nothing for it: it now holds the current version */
		w->since = wn->counter;
		return;
	}
	cls->refs++;		/* its delta outlives the watcher */
	watcher_free(w);
	if (rc == DELTA_OK)
		answer_doc(wn, ar, cls->doc, cls->doclen, 0);
	else if (rc == DELTA_NONE)
		answer_nothing(wn, ar, 0);
	else
		answer_full(wn, ar, caller, gzip, 0);
	class_put(wn, cls);
}

static void
watcher_expired(int fd, short event, void *arg)
{
	watcher_answer(arg, 1);
}

static void
wake(struct watch_net *wn, struct watcher *w)
{
	if (w->is_woken)
		return;
	w->is_woken = 1;
	TAILQ_INSERT_TAIL(&wn->woken, w, woken);
	event_active(wn->wake_ev, EV_TIMEOUT, 1);
}

static void
wake_class(struct watch_net *wn, struct wclass *cls)
{
	struct watcher	*w;

	TAILQ_FOREACH(w, &cls->watchers, entry)
		wake(wn, w);
}

/*
 * The woken are answered once the change is complete (an operation may
 * change several rows), from the event loop.
 */
static void
wake_run(int fd, short event, void *arg)
{
	struct watch_net	*wn = arg;
	struct watcher		*w;

	while ((w = TAILQ_FIRST(&wn->woken)) != NULL) {
		TAILQ_REMOVE(&wn->woken, w, woken);
		w->is_woken = 0;
		watcher_answer(w, 0);
	}
}

/* Every change of a server network's mirror (netstate.c). */
static void
watch_changed(struct netstate *ns, enum ns_change what, int64_t id,
    int64_t cidr)
{
	struct engine_net	*en;
	struct watch_net	*wn;
	struct wclass		*cls;
	const uint8_t		*mark;
	ssize_t			 i;

	TAILQ_FOREACH(en, &engine_nets, entry)
		if (&en->state == ns)
			break;
	if (en == NULL || (wn = en->watch) == NULL || !wn->ready)
		return;
	wn->counter++;
	if (wn->counter + WATCH_RESERVE / 2 >= wn->ceiling)
		reserve(wn);
	switch (what) {
	case NS_CH_RESET:
		dlog_reset(&wn->log, wn->counter);
		wn->treegen++;
		TAILQ_FOREACH(cls, &wn->classes, entry)
			wake_class(wn, cls);
		break;
	case NS_CH_CIDR:
	case NS_CH_ASSOC:
	case NS_CH_PEER_MOVED:
		dlog_add(&wn->log, wn->counter, what, id, cidr);
		wn->treegen++;
		TAILQ_FOREACH(cls, &wn->classes, entry)
			wake_class(wn, cls);
		break;
	case NS_CH_PEER:
		dlog_add(&wn->log, wn->counter, what, id, cidr);
		/* only who may see the peer */
		i = ns_cidr_index(ns, cidr);
		TAILQ_FOREACH(cls, &wn->classes, entry)
			if (i == -1 || (mark = class_mark(wn, cls)) == NULL ||
			    mark[i])
				wake_class(wn, cls);
		break;
	case NS_CH_OBSERVED:
		/* told with the next answer, not worth a wake of its own */
		dlog_add(&wn->log, wn->counter, what, id, cidr);
		break;
	}
}

/* The version: dbd keeps the epoch and the reserved counter ceiling. */

static void
reserved(struct imsg *imsg, void *arg)
{
	struct wref		*r = arg;
	struct watch_net	*wn;
	struct in_error		 e;

	wn = wref_net(r);
	if (engine_imsg_error(imsg, &e)) {
		log_warnx("%s: watch: cannot keep the version: %s", r->net,
		    e.msg);
		if (wn != NULL)
			wn->reserving = 0;
		free(r);
		return;
	}
	if (wn != NULL) {
		wn->reserving = 0;
		if (r->v.counter > wn->ceiling)
			wn->ceiling = r->v.counter;
		if (!wn->ready) {
			wn->ready = 1;
			dlog_init(&wn->log, wn->counter);
			log_debug("%s: watch: version %016llx:%llu",
			    r->net, (unsigned long long)wn->epoch,
			    (unsigned long long)wn->counter);
		}
	}
	free(r);
}

/*
 * Reserve counter values in the database before they are told, so a
 * restart, even after a crash, starts above every value ever told.
 */
static void
reserve(struct watch_net *wn)
{
	struct wref	*r;
	uint32_t	 id;

	if (wn->reserving || (r = wref_new(wn)) == NULL)
		return;
	r->v.epoch = wn->epoch;
	r->v.counter = wn->counter + WATCH_RESERVE;
	wn->reserving = 1;
	id = engine_req_new(reserved, r);
	if (engine_db_compose(IMSG_DB_VERSION_SET, id, &r->v,
	    sizeof(r->v)) == -1) {
		engine_req_cancel(id);
		wn->reserving = 0;
		free(r);
	}
}

static void
version_got(struct imsg *imsg, void *arg)
{
	struct wref		*r = arg;
	struct watch_net	*wn;
	struct in_error		 e;

	if (imsg->hdr.type == IMSG_DB_VERSION) {
		memcpy(&r->v, imsg->data, sizeof(r->v));
		return;
	}
	wn = wref_net(r);
	if (engine_imsg_error(imsg, &e) || r->v.epoch == 0) {
		log_warnx("%s: watch: no version, clients poll: %s", r->net,
		    engine_imsg_error(imsg, &e) ? e.msg : "none stored");
		free(r);
		return;
	}
	if (wn != NULL) {
		wn->epoch = r->v.epoch;
		/* above anything told before the restart */
		wn->counter = r->v.counter + 1;
		wn->ceiling = r->v.counter;
		reserve(wn);
	}
	free(r);
}

void
watch_start(struct engine_net *en)
{
	struct watch_net	*wn;
	struct wref		*r;
	uint32_t		 id;

	if (en->watch != NULL || en->net.role != IN_ROLE_SERVER)
		return;
	ns_change_hook = watch_changed;
	if ((wn = calloc(1, sizeof(*wn))) == NULL)
		return;
	if ((wn->wake_ev = event_new(engine_base, -1, 0, wake_run, wn)) ==
	    NULL) {
		free(wn);
		return;
	}
	wn->en = en;
	wn->serial = ++watch_serial;
	RB_INIT(&wn->byid);
	TAILQ_INIT(&wn->classes);
	TAILQ_INIT(&wn->woken);
	en->watch = wn;
	if ((r = wref_new(wn)) == NULL)
		return;
	/* a fresh epoch, if the database has none yet */
	do
		randombytes_buf(&r->v.epoch, sizeof(r->v.epoch));
	while (r->v.epoch == 0);
	id = engine_req_new(version_got, r);
	if (engine_db_compose(IMSG_DB_VERSION_GET, id, &r->v,
	    sizeof(r->v)) == -1) {
		engine_req_cancel(id);
		free(r);
	}
}

void
watch_stop(struct engine_net *en)
{
	struct watch_net	*wn = en->watch;
	struct watcher		*w;
	struct api_req		*ar;
	size_t			 i;

	if (wn == NULL)
		return;
	while ((w = RB_ROOT(&wn->byid)) != NULL) {
		ar = w->ar;
		watcher_free(w);
		api_done(ar, 503, "the network is stopping", NULL);
	}
	for (i = 0; i < WATCH_GZ_CACHE; i++)
		free(wn->gz[i].buf);
	dlog_free(&wn->log);
	event_free(wn->wake_ev);
	free(wn);
	en->watch = NULL;
}

void
watch_capabilities(json_t *o)
{
	json_t	*w;

	if ((w = json_pack("{s:i, s:i, s:[s]}", "version", 1, "hold",
	    WATCH_HOLD, "encodings", "gzip")) != NULL)
		json_object_set_new(o, WATCH_CAP, w);
}

/* Accept-Encoding names gzip, and not with q=0. */
static int
accepts_gzip(struct evhttp_request *req)
{
	const char	*h, *p;

	h = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Accept-Encoding");
	if (h == NULL || (p = strcasestr(h, "gzip")) == NULL)
		return (0);
	p += 4;
	while (*p == ' ')
		p++;
	if (*p == ';') {
		p++;
		while (*p == ' ')
			p++;
		if (strncmp(p, "q=0", 3) == 0 && strspn(p + 3, ".0") ==
		    strcspn(p + 3, ",") )
			return (0);
	}
	return (1);
}

static void
hold(struct watch_net *wn, struct api_req *ar, struct ns_peer *caller,
    uint64_t since, int secs, int gzip)
{
	struct evhttp_request		*req = api_request(ar);
	struct evhttp_connection	*evcon;
	struct watcher			*w, *old;
	struct timeval			 tv = { secs, 0 };

	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->cls = class_get(wn, caller->p.cidr_id)) == NULL) {
		free(w);
		api_done(ar, 500, "out of memory", NULL);
		return;
	}
	w->wn = wn;
	w->ar = ar;
	w->peer_id = caller->p.id;
	w->since = since;
	w->gzip = gzip;
	/* one watch per peer: a new one ends the one before */
	if ((old = RB_FIND(watchers_byid, &wn->byid, w)) != NULL)
		watcher_answer(old, 1);
	RB_INSERT(watchers_byid, &wn->byid, w);
	TAILQ_INSERT_TAIL(&w->cls->watchers, w, entry);
	watch_nwatchers++;
	evtimer_set(&w->ev, watcher_expired, w);
	evtimer_add(&w->ev, &tv);
	if ((evcon = evhttp_request_get_connection(req)) != NULL)
		evhttp_connection_set_timeout(evcon, secs + WATCH_SLACK);
}

/*
 * GET /v1/user/state, for a caller found capable.  Without "since" it
 * is upstream's request, answered as upstream's server would.
 */
void
watch_reply_state(struct api_req *ar, struct engine_net *en,
    struct ns_peer *caller)
{
	struct watch_net	*wn = en->watch;
	struct evhttp_request	*req = api_request(ar);
	struct evkeyvalq	 kv;
	struct wclass		*cls;
	const char		*q, *since_s, *watch_s, *e;
	uint64_t		 epoch, since;
	long long		 secs = 0;
	int			 rc, gzip, refused = 0;

	if (req == NULL || (q = evhttp_uri_get_query(
	    evhttp_request_get_evhttp_uri(req))) == NULL) {
		api_reply_state(ar, en, caller);
		return;
	}
	TAILQ_INIT(&kv);
	if (evhttp_parse_query_str(q, &kv) == -1) {
		api_done(ar, 400, "invalid query", NULL);
		return;
	}
	since_s = evhttp_find_header(&kv, "since");
	watch_s = evhttp_find_header(&kv, "watch");
	if (since_s == NULL) {
		evhttp_clear_headers(&kv);
		if (watch_s != NULL)
			api_done(ar, 400, "watch needs since", NULL);
		else
			api_reply_state(ar, en, caller);
		return;
	}
	if (delta_version_parse(since_s, &epoch, &since) == -1) {
		evhttp_clear_headers(&kv);
		api_done(ar, 400, "invalid since: want <epoch>:<counter> "
		    "or 0", NULL);
		return;
	}
	if (watch_s != NULL) {
		secs = strtonum(watch_s, 0, 86400, &e);
		if (e != NULL) {
			evhttp_clear_headers(&kv);
			api_done(ar, 400, "invalid watch: want seconds", NULL);
			return;
		}
		if (secs > WATCH_HOLD)
			secs = WATCH_HOLD;
	}
	evhttp_clear_headers(&kv);
	if (wn == NULL || !wn->ready) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", "1");
		api_done(ar, 503, "the state's version is not known yet",
		    NULL);
		return;
	}
	gzip = accepts_gzip(req);
	if (secs > 0 && watch_nwatchers >= watch_cap() &&
	    RB_FIND(watchers_byid, &wn->byid, &(struct watcher){
	    .peer_id = caller->p.id }) == NULL)
		refused = 1;
	if (epoch != wn->epoch) {
		answer_full(wn, ar, caller, gzip, refused);
		return;
	}
	if ((cls = class_get(wn, caller->p.cidr_id)) == NULL) {
		api_done(ar, 500, "out of memory", NULL);
		return;
	}
	rc = class_delta(wn, cls, since);
	if (rc == DELTA_OK)
		answer_doc(wn, ar, cls->doc, cls->doclen, refused);
	else if (rc == DELTA_FULL)
		answer_full(wn, ar, caller, gzip, refused);
	else if (secs > 0 && !refused)
		hold(wn, ar, caller, wn->counter, (int)secs, gzip);
	else
		answer_nothing(wn, ar, refused);
	class_put(wn, cls);
}
