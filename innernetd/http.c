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
 * The HTTP API listener of a server-role network.  It listens on the
 * server's overlay address and the network's port, bound to the WireGuard
 * interface, so the tunnel's cryptography vouches for the source address
 * that names the caller.  Here: limits, the server key header, the caller
 * lookup, routing to the handlers of /v1/user and /v1/admin (api_user.c
 * and api_admin.c, which engine.c gives http_routes(): they call the
 * server's operations, which start and stop this listener, so this file
 * knows them only by pointer), and answers.  The state
 * document is the hot path: it is serialised once per visibility class
 * (the caller's CIDR) and generation, then handed to every caller of
 * that class by reference, with an ETag for conditional requests.
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/tree.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <sodium.h>

#include "compat.h"
#include "engine_local.h"

#define HTTP_KEY_HEADER		"X-Innernet-Server-Key"
#define HTTP_MAX_HEADERS	(8 * 1024)
#define HTTP_DEFAULT_BODY	(1024 * 1024)
#define HTTP_DEFAULT_TIMEOUT	10
#define HTTP_DEFAULT_CONNS	1024
#define HTTP_DEFAULT_PERSOURCE	32
#define HTTP_DEFAULT_HEADERTO	10
#define HTTP_DEFAULT_BODYTO	30
/*
 * Descriptors the engine keeps for everything but API connections: the
 * pipes, the control socket and its clients (64), cached documents, the
 * resolver, the listeners.  Connections are capped below the descriptor
 * limit by this much, so a full API never starves the rest.
 */
#define HTTP_FD_RESERVE		128
#define HTTP_PAUSE_MSEC		100	/* out of fds: accept pause */
#define HTTP_EMFILE_EVICT	16	/* out of fds: closed at once */
#define HTTP_LOG_EVERY		10	/* seconds between like logs */
#define HTTP_MAX_PATH		512
#define HTTP_MAX_COMPONENTS	8
#define HTTP_CACHE_MAX		16	/* state documents kept */

/*
 * A serialised state document, shared by the responses sending it.  It
 * lives in an anonymous file (memfd) and leaves by sendfile(2), as a web
 * server sends a file from the page cache: at 10,000 peers a document is
 * 2.6 MB that our own memory never holds.  The file segment is counted:
 * a response still sending keeps it after the cache has let it go.
 */
struct http_cached {
	TAILQ_ENTRY(http_cached) entry;
	int64_t		 cidr_id;
	uint64_t	 gen;
	uint64_t	 epgen;
	struct evbuffer_file_segment *seg;
	size_t		 len;
	char		 etag[96];
};

/*
 * Admission.  A connection is counted from accept until it closes, and
 * is in one of these phases; only HANDLING (our route handler holds the
 * request) is never closed by us.  HEADERS and BODY each have a total
 * deadline that bytes do not extend; libevent's own timeout ("timeout")
 * bounds idle keep-alive and any single wait.
 */
enum conn_phase {
	CONN_HEADERS,		/* request line and headers being read */
	CONN_BODY,		/* the body being read */
	CONN_HANDLING,		/* a route handler has the request */
	CONN_IDLE		/* keep-alive, between requests */
};

struct http_source;

struct http_conn {
	RB_ENTRY(http_conn)		 entry;		/* by evcon */
	TAILQ_ENTRY(http_conn)		 all;	/* oldest first */
	TAILQ_ENTRY(http_conn)		 fresh;	/* to admit */
	struct evhttp_connection	*evcon;
	struct bufferevent		*bev;
	struct http_srv			*hs;
	struct http_source		*src;
	struct event			*deadline;
	enum conn_phase			 phase;
	int				 bol;	/* at a line start */
	size_t				 hdrlen; /* header bytes so far */
	size_t				 own;	/* libevent's answer at */
	int				 owned;	/* libevent answers */
	int				 status; /* its status */
	int				 rewriting;
};
RB_HEAD(http_conns, http_conn);
TAILQ_HEAD(http_conn_list, http_conn);

/* Connections per peer address and listener. */
struct http_source {
	RB_ENTRY(http_source)	 entry;
	struct http_srv		*hs;
	struct in_ip		 ip;
	int			 nconns;
};
RB_HEAD(http_sources, http_source);

struct http_srv {
	struct engine_net	*en;
	struct evhttp		*http;
	struct evconnlistener	*listener;
	struct event		*admit_ev;	/* right after accept */
	struct event		*pause_ev;	/* out of descriptors */
	struct http_conn_list	 fresh;
	int			 nconns;	/* admitted */
	uint8_t			 key[32];
	uint32_t		 nonce;
	TAILQ_HEAD(http_cache_list, http_cached) cache;
	TAILQ_HEAD(, api_req)	 pending;
};

/*
 * Engine-wide, as descriptors are: every listener's connections count
 * against one cap, and when it is full the connection closed to make
 * room is chosen among all networks' (see conn_victim()).
 */
static struct http_conns	 http_conns = RB_INITIALIZER(&http_conns);
static api_route_cb		 route_user, route_admin;
static struct http_conn_list	 http_all =
				    TAILQ_HEAD_INITIALIZER(http_all);
static struct http_sources	 http_sources =
				    RB_INITIALIZER(&http_sources);
static int			 http_nadmitted;
static int			 http_nlisteners;

struct api_req {
	TAILQ_ENTRY(api_req)	 entry;
	struct evhttp_request	*req;	/* NULL once the listener is gone */
	struct http_srv		*hs;
};

static void	http_request(struct evhttp_request *, void *);
static void	send_status(struct evhttp_request *, int, const char *);
static const char *status_reason(int);

static const char *
status_reason(int status)
{
	switch (status) {
	case 200:
		return ("OK");
	case 201:
		return ("Created");
	case 204:
		return ("No Content");
	case 304:
		return ("Not Modified");
	case 400:
		return ("Bad Request");
	case 401:
		return ("Unauthorized");
	case 404:
		return ("Not Found");
	case 405:
		return ("Method Not Allowed");
	case 410:
		return ("Gone");
	case 413:
		return ("Payload Too Large");
	case 417:
		return ("Expectation Failed");
	case 431:
		return ("Request Header Fields Too Large");
	case 501:
		return ("Not Implemented");
	case 503:
		return ("Service Unavailable");
	default:
		return (status >= 500 ? "Internal Server Error" : "Error");
	}
}

static void
cache_drop(struct http_srv *hs, struct http_cached *c)
{
	TAILQ_REMOVE(&hs->cache, c, entry);
	evbuffer_file_segment_free(c->seg);
	free(c);
}

void
http_state_invalidate(struct engine_net *en)
{
	struct http_srv		*hs = en->state_cache;
	struct http_cached	*c;

	if (hs == NULL)
		return;
	while ((c = TAILQ_FIRST(&hs->cache)) != NULL)
		cache_drop(hs, c);
}

static int
conn_cmp(struct http_conn *a, struct http_conn *b)
{
	return (a->evcon < b->evcon ? -1 : a->evcon > b->evcon);
}

RB_PROTOTYPE(http_conns, http_conn, entry, conn_cmp);
RB_GENERATE(http_conns, http_conn, entry, conn_cmp);

static int
source_cmp(struct http_source *a, struct http_source *b)
{
	if (a->hs != b->hs)
		return (a->hs < b->hs ? -1 : 1);
	return (in_ip_cmp(&a->ip, &b->ip));
}

RB_PROTOTYPE(http_sources, http_source, entry, source_cmp);
RB_GENERATE(http_sources, http_source, entry, source_cmp);

static unsigned int
conf_or(uint32_t v, unsigned int def)
{
	return (v != 0 ? v : def);
}

/* A log line at most every HTTP_LOG_EVERY seconds per kind. */
static void
log_limited(time_t *last, unsigned long *n, const char *what,
    const char *net)
{
	time_t	now = time(NULL);

	(*n)++;
	if (now - *last < HTTP_LOG_EVERY)
		return;
	log_warnx("%s: %s (%lu in the last %d s)", net, what, *n,
	    (int)(now - *last < 3600 ? now - *last : HTTP_LOG_EVERY));
	*last = now;
	*n = 0;
}

/* The address of a sockaddr, IPv4-mapped IPv6 taken as IPv4. */
static int
sa_to_ip(const struct sockaddr *sa, struct in_ip *ip)
{
	const struct sockaddr_in6	*sin6;
	static const uint8_t		 mapped[12] = { 0, 0, 0, 0, 0, 0, 0,
					    0, 0, 0, 0xff, 0xff };

	memset(ip, 0, sizeof(*ip));
	if (sa == NULL)
		return (-1);
	if (sa->sa_family == AF_INET) {
		ip->af = AF_INET;
		ip->u.v4 = ((const struct sockaddr_in *)sa)->sin_addr;
		return (0);
	}
	if (sa->sa_family != AF_INET6)
		return (-1);
	sin6 = (const struct sockaddr_in6 *)sa;
	if (memcmp(sin6->sin6_addr.s6_addr, mapped, sizeof(mapped)) == 0) {
		ip->af = AF_INET;
		memcpy(&ip->u.v4, sin6->sin6_addr.s6_addr + 12, 4);
	} else {
		ip->af = AF_INET6;
		ip->u.v6 = sin6->sin6_addr;
	}
	return (0);
}

/*
 * Is the address one of this host's own?  Then the connection did not
 * come through the tunnel: a local process made it (any local user can
 * connect() to the overlay address, and the listener's binding to the
 * WireGuard interface does not stop local traffic), and the address it
 * comes from may be a peer's, the server's own peer first of all, which
 * is an admin.  No local process is ever an API caller; the local
 * administrator has the control socket.
 *
 * The kernel is asked directly: bind() a throwaway UDP socket to the
 * address, port 0.  bind() accepts exactly the addresses of the local
 * routing table, the one that delivered the connection to us, so the
 * answer is current (no address list to keep in step with the host) and
 * costs three system calls per connection, none per request.  Only
 * EADDRNOTAVAIL means "not ours"; any other failure of bind() refuses,
 * so that a host where non-local binds are allowed (ip_nonlocal_bind)
 * refuses everything rather than admits a local user, and http_start()
 * warns.  Our networks' own addresses are refused before asking.
 * 1: local, 0: not, -1: no descriptor to ask with.
 */
static int
addr_is_local(const struct sockaddr *sa, const struct in_ip *ip)
{
	struct engine_net	*en;
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;
	const struct sockaddr	*probe;
	socklen_t		 len;
	int			 fd, rc, saved;

	TAILQ_FOREACH(en, &engine_nets, entry)
		if (in_ip_cmp(&en->net.address, ip) == 0)
			return (1);
	if (ip->af == AF_INET) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr = ip->u.v4;
		probe = (struct sockaddr *)&sin;
		len = sizeof(sin);
	} else {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_addr = ip->u.v6;
		/* a link-local address is local only on its link */
		if (sa->sa_family == AF_INET6)
			sin6.sin6_scope_id =
			    ((const struct sockaddr_in6 *)sa)->sin6_scope_id;
		probe = (struct sockaddr *)&sin6;
		len = sizeof(sin6);
	}
	if ((fd = socket(probe->sa_family, SOCK_DGRAM | SOCK_CLOEXEC,
	    0)) == -1)
		return (errno == EMFILE || errno == ENFILE ? -1 : 1);
	rc = bind(fd, probe, len);
	saved = errno;
	close(fd);
	return (rc == 0 || saved != EADDRNOTAVAIL);
}

static void
conn_deadline_set(struct http_conn *hc, unsigned int secs)
{
	struct timeval	tv = { secs, 0 };

	if (hc->deadline != NULL)
		evtimer_add(hc->deadline, &tv);
}

static void
conn_free(struct http_conn *hc)
{
	if (hc->deadline != NULL)
		event_free(hc->deadline);
	if (hc->src != NULL) {
		http_nadmitted--;
		hc->hs->nconns--;
		if (--hc->src->nconns == 0) {
			RB_REMOVE(http_sources, &http_sources, hc->src);
			free(hc->src);
		}
	}
	TAILQ_REMOVE(&http_all, hc, all);
	free(hc);
}

static void	conn_input(struct evbuffer *,
		    const struct evbuffer_cb_info *, void *);
static void	conn_output(struct evbuffer *,
		    const struct evbuffer_cb_info *, void *);

/* libevent closes the connection (after a reply, on error, on a timeout). */
static void
conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct http_conn	*hc = arg;

	evbuffer_remove_cb(bufferevent_get_input(hc->bev), conn_input, hc);
	evbuffer_remove_cb(bufferevent_get_output(hc->bev), conn_output, hc);
	RB_REMOVE(http_conns, &http_conns, hc);
	conn_free(hc);
}

/* Close a connection we no longer want; never one in CONN_HANDLING. */
static void
conn_drop(struct http_conn *hc)
{
	evhttp_connection_free(hc->evcon);	/* calls conn_closed() */
}

static void
conn_expired(int fd, short event, void *arg)
{
	struct http_conn	*hc = arg;
	static time_t		 last;
	static unsigned long	 n;

	if (hc->phase != CONN_HEADERS && hc->phase != CONN_BODY)
		return;
	log_limited(&last, &n, hc->phase == CONN_HEADERS ?
	    "closed connections slower than header-timeout" :
	    "closed connections slower than body-timeout",
	    hc->hs->en->net.name);
	conn_drop(hc);
}

/*
 * Find the end of the headers in what was just read, so that their
 * deadline gives way to the body's: an empty line, "\r\n" or "\n".
 */
static void
conn_scan(struct http_conn *hc, struct evbuffer *buf, size_t from)
{
	struct evbuffer_ptr	 ptr;
	struct evbuffer_iovec	 v[4];
	const unsigned char	*p;
	int			 i, n;
	size_t			 j;

	if (evbuffer_ptr_set(buf, &ptr, from, EVBUFFER_PTR_SET) == -1)
		return;
	while ((n = evbuffer_peek(buf, -1, &ptr, v, 4)) > 0) {
		for (i = 0; i < n && i < 4; i++) {
			p = v[i].iov_base;
			for (j = 0; j < v[i].iov_len; j++) {
				if (p[j] != '\n' && p[j] != '\r')
					hc->hdrlen++;
				if (p[j] == '\n') {
					if (hc->bol) {
						hc->phase = CONN_BODY;
						conn_deadline_set(hc, conf_or(
						    engine_conf.body_timeout,
						    HTTP_DEFAULT_BODYTO));
						return;
					}
					hc->bol = 1;
				} else if (p[j] != '\r')
					hc->bol = 0;
			}
			if (evbuffer_ptr_set(buf, &ptr, v[i].iov_len,
			    EVBUFFER_PTR_ADD) == -1)
				return;
		}
		if (n <= 4)
			break;
	}
}

/* A request begins: its headers have header-timeout in all. */
static void
conn_request_begins(struct http_conn *hc, struct evbuffer *buf, size_t from)
{
	hc->phase = CONN_HEADERS;
	hc->bol = 0;
	hc->hdrlen = 0;
	hc->owned = 0;
	conn_deadline_set(hc, conf_or(engine_conf.header_timeout,
	    HTTP_DEFAULT_HEADERTO));
	conn_scan(hc, buf, from);
}

/* Every change of a connection's input; only what was added is read. */
static void
conn_input(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct http_conn	*hc = arg;
	size_t			 len;

	if (info->n_added == 0)
		return;
	len = evbuffer_get_length(buf);
	if (hc->phase == CONN_IDLE)
		conn_request_begins(hc, buf, len - info->n_added);
	else if (hc->phase == CONN_HEADERS)
		conn_scan(hc, buf, len - info->n_added);
}

/*
 * LEN bytes at OFF of an output buffer.  Not evbuffer_copyout_from():
 * once a socket bufferevent has written, it keeps the start of its
 * output frozen but while it writes, and that refuses a frozen start.
 */
static int
out_copy(struct evbuffer *buf, size_t off, char *dst, size_t len)
{
	struct evbuffer_ptr	 ptr;
	struct evbuffer_iovec	 v[16];
	size_t			 l;
	int			 i, n;

	if (evbuffer_get_length(buf) < off + len ||
	    evbuffer_ptr_set(buf, &ptr, off, EVBUFFER_PTR_SET) == -1)
		return (-1);
	n = evbuffer_peek(buf, len, &ptr, v, 16);
	for (i = 0; i < n && i < 16 && len > 0; i++) {
		l = v[i].iov_len < len ? v[i].iov_len : len;
		memcpy(dst, v[i].iov_base, l);
		dst += l;
		len -= l;
	}
	return (len == 0 ? 0 : -1);
}

/*
 * libevent's refusal, made the JSON error the API gives everywhere else.
 * Its 400 also stands for headers over the limit; those are told apart
 * by their size as conn_scan() counts it (lines without their ends, as
 * libevent counts).  An interim answer before it ("100 Continue" still
 * unsent) is kept.
 */
static void
conn_own_answer(struct http_conn *hc, struct evbuffer *buf)
{
	struct evbuffer	*keep = NULL;
	const char	*err;
	char		 body[128], date[64];
	struct tm	 tm;
	time_t		 now = time(NULL);
	int		 status = hc->status, n, frozen;

	switch (status) {
	case 400:
		if (hc->hdrlen > HTTP_MAX_HEADERS) {
			status = 431;
			err = "request line and headers over 8 KiB";
		} else
			err = "malformed request";
		break;
	case 413:
		err = "request body over max-body, or malformed";
		break;
	case 417:
		err = "Expect other than 100-continue";
		break;
	case 501:
		err = "unknown method";
		break;
	default:
		err = status_reason(status);
		break;
	}
	n = snprintf(body, sizeof(body), "{\"error\":\"%s\"}", err);
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT",
	    &tm) == 0)
		date[0] = '\0';
	hc->rewriting = 1;
	/* a frozen start (see out_copy()) refuses a drain, even of 0 */
	if ((frozen = evbuffer_drain(buf, 0) == -1))
		evbuffer_unfreeze(buf, 1);
	if (hc->own > 0 && (keep = evbuffer_new()) != NULL)
		evbuffer_remove_buffer(buf, keep, hc->own);
	evbuffer_drain(buf, evbuffer_get_length(buf));
	if (keep != NULL) {
		evbuffer_add_buffer(buf, keep);
		evbuffer_free(keep);
	}
	/* libevent closes the connection after this answer */
	evbuffer_add_printf(buf, "HTTP/1.1 %d %s\r\n"
	    "Content-Type: application/json\r\n"
	    "Connection: close\r\n"
	    "Date: %s\r\n"
	    "Content-Length: %d\r\n\r\n%s", status, status_reason(status),
	    date, n, body);
	if (frozen)
		evbuffer_freeze(buf, 1);
	hc->rewriting = 0;
	hc->owned = 0;
}

/*
 * libevent refuses some requests itself, before any handler of ours
 * sees them, with an HTML page of its own (evhttp_send_error()): a
 * request line or header it cannot parse, headers over the limit, a bad
 * Content-Length (400), a body over max-body or a chunked body it cannot
 * read (413), an Expect other than 100-continue (417), a method it does
 * not know (501).  libevent 2.1 has no hook for that page (an error
 * callback came with 2.2), but it writes the whole answer into the
 * connection's output buffer, status line first and page last, before
 * it asks to write: each addition comes here at once, and the page is
 * replaced before a byte of it leaves.  libevent alone writes while the
 * connection is not CONN_HANDLING: such an answer, or an interim "100
 * Continue", which is left alone.  Costs nothing on our own answers.
 */
static void
conn_output(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct http_conn	*hc = arg;
	char			 head[48], tail[8];
	const char		*sp;
	size_t			 len, hl;

	if (info->n_added == 0 || hc->phase == CONN_HANDLING ||
	    hc->rewriting)
		return;
	len = evbuffer_get_length(buf);
	if (!hc->owned) {
		/*
		 * "HTTP/1.1 400 Bad Request\r\n", added at once; the
		 * version is the request's, "HTTP/-1.99" as well.
		 */
		hl = len - info->orig_size < sizeof(head) ?
		    len - info->orig_size : sizeof(head);
		if (hl < 13 || out_copy(buf, info->orig_size, head, hl) == -1 ||
		    strncmp(head, "HTTP/", 5) != 0 ||
		    (sp = memchr(head, ' ', hl)) == NULL ||
		    head + hl - sp < 5 || sp[4] != ' ' ||
		    sp[1] < '2' || sp[1] > '9' ||
		    sp[2] < '0' || sp[2] > '9' ||
		    sp[3] < '0' || sp[3] > '9')
			return;
		hc->owned = 1;
		hc->own = info->orig_size;
		hc->status = (sp[1] - '0') * 100 + (sp[2] - '0') * 10 +
		    (sp[3] - '0');
	}
	/* the page, the last addition, ends its answer */
	if (len - hc->own < sizeof(tail) ||
	    out_copy(buf, len - sizeof(tail), tail, sizeof(tail)) == -1 ||
	    strncasecmp(tail, "</html>\n", sizeof(tail)) != 0)
		return;
	conn_own_answer(hc, buf);
}

/* The answer has been written: the connection waits for the next. */
static void
conn_request_done(struct evhttp_request *req, void *arg)
{
	struct http_conn	*hc = arg;
	struct evbuffer		*in;

	if (hc->phase != CONN_HANDLING)
		return;		/* the next request has begun */
	hc->phase = CONN_IDLE;
	evtimer_del(hc->deadline);
	in = bufferevent_get_input(hc->bev);
	if (evbuffer_get_length(in) > 0)
		conn_request_begins(hc, in, 0);
}

/* What the descriptor limit leaves for connections. */
static int
conn_cap(void)
{
	struct rlimit	rl;
	int		cap = conf_or(engine_conf.max_connections,
			    HTTP_DEFAULT_CONNS);

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)cap + HTTP_FD_RESERVE)
		cap = rl.rlim_cur > HTTP_FD_RESERVE + 1 ?
		    (int)(rl.rlim_cur - HTTP_FD_RESERVE) : 1;
	return (cap);
}

/*
 * The connection to close when the engine is full.  An idle keep-alive
 * connection first (the oldest).  Else the oldest connection still
 * sending a request from the address that holds the most connections,
 * if it holds at least as many as the newcomer's address would: a
 * newcomer whose address has few connections finds room, and the slow
 * give way to the new.  Else, if the newcomer's
 * network holds less than its share of the cap, the oldest connection
 * still sending a request of the network that holds the most, if that
 * one is over its share: so no network's peers, however many, can fill
 * the engine against another network's.  A connection being answered
 * is never closed.
 */
static struct http_conn *
conn_victim(struct http_srv *newhs, struct http_source *newsrc)
{
	struct http_conn	*hc, *bysrc = NULL, *bynet = NULL;
	int			 want, share;

	want = newsrc != NULL ? newsrc->nconns + 1 : 1;
	share = conn_cap() / (http_nlisteners > 0 ? http_nlisteners : 1);
	TAILQ_FOREACH(hc, &http_all, all) {
		if (hc->src == NULL)
			continue;	/* not admitted yet */
		if (hc->phase == CONN_IDLE)
			return (hc);
		if (hc->phase == CONN_HANDLING)
			continue;
		if (hc->src->nconns >= want && (bysrc == NULL ||
		    hc->src->nconns > bysrc->src->nconns))
			bysrc = hc;
		if (newhs != NULL && newhs->nconns < share &&
		    hc->hs != newhs && hc->hs->nconns > share &&
		    (bynet == NULL || hc->hs->nconns > bynet->hs->nconns))
			bynet = hc;
	}
	return (bysrc != NULL ? bysrc : bynet);
}

/* 0: admitted; -1: the connection is to be closed. */
static int
conn_admit(struct http_conn *hc)
{
	struct http_srv		*hs = hc->hs;
	struct http_source	*src, key;
	struct http_conn	*victim;
	const struct sockaddr	*sa;
	int			 local;
	static time_t		 last_local, last_src, last_full;
	static unsigned long	 n_local, n_src, n_full;

	sa = evhttp_connection_get_addr(hc->evcon);
	memset(&key, 0, sizeof(key));
	key.hs = hs;
	if (sa_to_ip(sa, &key.ip) == -1)
		return (-1);
	/* out of descriptors: make room the way a full engine does */
	if ((local = addr_is_local(sa, &key.ip)) == -1 &&
	    (victim = conn_victim(hs, NULL)) != NULL) {
		conn_drop(victim);
		local = addr_is_local(sa, &key.ip);
	}
	if (local == -1) {
		log_limited(&last_full, &n_full,
		    "refused connections: out of descriptors",
		    hs->en->net.name);
		return (-1);
	}
	if (local == 1) {
		log_limited(&last_local, &n_local,
		    "refused connections from a local address",
		    hs->en->net.name);
		return (-1);
	}
	src = RB_FIND(http_sources, &http_sources, &key);
	if (src != NULL && src->nconns >= (int)conf_or(
	    engine_conf.max_per_source, HTTP_DEFAULT_PERSOURCE)) {
		log_limited(&last_src, &n_src,
		    "refused connections over max-per-source",
		    hs->en->net.name);
		return (-1);
	}
	/*
	 * Against the cap count the connections admitted: those accepted
	 * with this one and not judged yet are mostly refused at once.
	 */
	while (http_nadmitted >= conn_cap()) {
		if ((victim = conn_victim(hs, src)) == NULL) {
			log_limited(&last_full, &n_full,
			    "refused connections over max-connections",
			    hs->en->net.name);
			return (-1);
		}
		conn_drop(victim);
		/* it may have been its source's last: the source is gone */
		src = RB_FIND(http_sources, &http_sources, &key);
	}
	if (src == NULL) {
		if ((src = calloc(1, sizeof(*src))) == NULL)
			return (-1);
		*src = key;
		RB_INSERT(http_sources, &http_sources, src);
	}
	src->nconns++;
	hc->src = src;
	hs->nconns++;
	http_nadmitted++;
	return (0);
}

/*
 * libevent accepts and builds the connection, asking us for its
 * bufferevent on the way (evhttp_set_bevcb): that is our hook at accept.
 * The connection is counted from here, then judged by http_admit(),
 * which runs as soon as the accept callback returns and before libevent
 * reads a byte of it.  Our reference keeps the bufferevent valid in case
 * libevent gives up on the connection in between.
 */
static struct bufferevent *
http_newconn(struct event_base *base, void *arg)
{
	struct http_srv		*hs = arg;
	struct http_conn	*hc;
	struct bufferevent	*bev;

	/* as libevent makes it when we do not: it closes the fd itself */
	if ((bev = bufferevent_socket_new(base, -1, 0)) == NULL)
		return (NULL);
	if ((hc = calloc(1, sizeof(*hc))) == NULL ||
	    (hc->deadline = evtimer_new(base, conn_expired, hc)) == NULL) {
		free(hc);
		return (bev);	/* not admitted: refused at its request */
	}
	hc->bev = bev;
	hc->hs = hs;
	hc->phase = CONN_HEADERS;
	bufferevent_incref(bev);
	TAILQ_INSERT_TAIL(&hs->fresh, hc, fresh);
	TAILQ_INSERT_TAIL(&http_all, hc, all);
	event_active(hs->admit_ev, EV_TIMEOUT, 1);
	return (bev);
}

static void
http_admit(int fd, short event, void *arg)
{
	struct http_srv		*hs = arg;
	struct http_conn	*hc;
	bufferevent_data_cb	 readcb;
	void			*cbarg;
	int			 alive;

	while ((hc = TAILQ_FIRST(&hs->fresh)) != NULL) {
		TAILQ_REMOVE(&hs->fresh, hc, fresh);
		/* libevent's callbacks on it, with the connection as arg */
		bufferevent_getcb(hc->bev, &readcb, NULL, NULL, &cbarg);
		alive = (readcb != NULL && cbarg != NULL);
		if (!alive) {
			bufferevent_decref(hc->bev);
			conn_free(hc);
			continue;
		}
		hc->evcon = cbarg;
		RB_INSERT(http_conns, &http_conns, hc);
		evhttp_connection_set_closecb(hc->evcon, conn_closed, hc);
		evbuffer_add_cb(bufferevent_get_input(hc->bev), conn_input,
		    hc);
		evbuffer_add_cb(bufferevent_get_output(hc->bev), conn_output,
		    hc);
		bufferevent_decref(hc->bev);
		if (conn_admit(hc) == -1) {
			conn_drop(hc);
			continue;
		}
		conn_request_begins(hc, bufferevent_get_input(hc->bev), 0);
	}
}

/*
 * Out of descriptors: libevent's listener would retry accept() at once,
 * forever.  Close a few connections the way a full engine does (the
 * limit was lowered under us, or something else took descriptors), or
 * if none may be closed, pause this listener briefly; the kernel keeps
 * the backlog meanwhile.
 */
static void
http_accept_error(struct evconnlistener *lev, void *arg)
{
	struct engine_net	*en;
	struct http_srv		*hs = NULL;
	struct http_conn	*victim;
	struct timeval		 tv = { 0, HTTP_PAUSE_MSEC * 1000 };
	static time_t		 last;
	static unsigned long	 n;
	int			 i, err = errno;

	/* arg is libevent's (the evhttp): find our listener */
	TAILQ_FOREACH(en, &engine_nets, entry)
		if (en->state_cache != NULL &&
		    ((struct http_srv *)en->state_cache)->listener == lev)
			hs = en->state_cache;
	if (hs == NULL) {
		evconnlistener_disable(lev);
		return;
	}
	if (err == EMFILE || err == ENFILE || err == ENOBUFS ||
	    err == ENOMEM) {
		for (i = 0; i < HTTP_EMFILE_EVICT; i++) {
			if ((victim = conn_victim(NULL, NULL)) == NULL)
				break;
			conn_drop(victim);
		}
		log_limited(&last, &n, i > 0 ? "out of descriptors, "
		    "closed connections to make room" :
		    "out of descriptors, accept paused", hs->en->net.name);
		/* room made: accept() succeeds next time, no spin */
		if (i > 0)
			return;
	} else
		log_warnx("%s: API accept: %s", hs->en->net.name,
		    strerror(err));
	evconnlistener_disable(lev);
	evtimer_add(hs->pause_ev, &tv);
}

static void
http_accept_resume(int fd, short event, void *arg)
{
	struct http_srv	*hs = arg;

	evconnlistener_enable(hs->listener);
}

/* Apply the api: settings to a listener and its open connections. */
static void
http_limits(struct http_srv *hs)
{
	struct http_conn	*hc;
	unsigned int		 body = conf_or(engine_conf.max_body,
				    HTTP_DEFAULT_BODY);
	int			 to = conf_or(engine_conf.timeout,
				    HTTP_DEFAULT_TIMEOUT);

	evhttp_set_max_headers_size(hs->http, HTTP_MAX_HEADERS);
	evhttp_set_max_body_size(hs->http, body);
	evhttp_set_timeout(hs->http, to);
	TAILQ_FOREACH(hc, &http_all, all) {
		if (hc->hs != hs || hc->evcon == NULL)
			continue;
		evhttp_connection_set_max_body_size(hc->evcon, body);
		evhttp_connection_set_timeout(hc->evcon, to);
	}
}

/*
 * After SIGHUP: every api: setting applies at once.  Limits on sizes
 * and libevent's timeout change on open connections too; the caps are
 * checked at the next accept, and deadlines already running keep their
 * end.
 */
void
http_reconf(void)
{
	struct engine_net	*en;

	TAILQ_FOREACH(en, &engine_nets, entry)
		if (en->state_cache != NULL)
			http_limits(en->state_cache);
}

static int
listen_socket(struct engine_net *en)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 sslen;
	int			 fd, on = 1;

	memset(&ss, 0, sizeof(ss));
	if (en->net.address.af == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_addr = en->net.address.u.v4;
		sin->sin_port = htons(en->net.listen_port);
		sslen = sizeof(*sin);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = en->net.address.u.v6;
		sin6->sin6_port = htons(en->net.listen_port);
		sslen = sizeof(*sin6);
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		log_warn("%s: socket", en->net.name);
		return (-1);
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		log_warn("%s: SO_REUSEADDR", en->net.name);
	/*
	 * Responses are written whole: headers, then the document by
	 * sendfile.  With Nagle the document's last short segment would
	 * wait for the ACK of the headers.  Connections inherit this.
	 */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1)
		log_warn("%s: TCP_NODELAY", en->net.name);
#ifdef SO_BINDTODEVICE
	/* Binding to the address alone would accept it on any interface. */
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, en->net.name,
	    strlen(en->net.name) + 1) == -1) {
		log_warn("%s: SO_BINDTODEVICE", en->net.name);
		close(fd);
		return (-1);
	}
#endif
	/* The address may still be tentative right after the interface. */
#ifdef IP_FREEBIND
	if (ss.ss_family == AF_INET)
		(void)setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &on, sizeof(on));
#endif
#ifdef IPV6_FREEBIND
	if (ss.ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &on,
		    sizeof(on));
#endif
	if (bind(fd, (struct sockaddr *)&ss, sslen) == -1) {
		log_warn("%s: bind to port %u", en->net.name,
		    en->net.listen_port);
		close(fd);
		return (-1);
	}
	if (listen(fd, 128) == -1) {
		log_warn("%s: listen", en->net.name);
		close(fd);
		return (-1);
	}
	return (fd);
}

/*
 * A host that lets any address be bound makes addr_is_local() say yes
 * to everything: the API then refuses every connection.  Say so once.
 */
static void
http_check_probe(struct engine_net *en)
{
	struct sockaddr_in	sin;
	struct in_ip		ip;

	/* 240.0.0.1: reserved, never a host's address */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0xf0000001);
	if (sa_to_ip((struct sockaddr *)&sin, &ip) == 0 &&
	    addr_is_local((struct sockaddr *)&sin, &ip) == 1)
		log_warnx("%s: this host lets any address be bound "
		    "(net.ipv4.ip_nonlocal_bind?): local connections cannot "
		    "be told apart, and the API refuses every connection",
		    en->net.name);
}

/* The handlers of /v1/user/... and /v1/admin/..., before any start. */
void
http_routes(api_route_cb user, api_route_cb admin)
{
	route_user = user;
	route_admin = admin;
}

int
http_start(struct engine_net *en)
{
	struct http_srv			*hs;
	struct evhttp_bound_socket	*bound;
	size_t				 keylen;
	int				 fd;

	if (en->state_cache != NULL)
		return (0);
	if ((hs = calloc(1, sizeof(*hs))) == NULL)
		return (-1);
	hs->en = en;
	TAILQ_INIT(&hs->cache);
	TAILQ_INIT(&hs->pending);
	TAILQ_INIT(&hs->fresh);
	randombytes_buf(&hs->nonce, sizeof(hs->nonce));
	if (sodium_base642bin(hs->key, sizeof(hs->key), en->net.public_key,
	    strlen(en->net.public_key), NULL, &keylen, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || keylen != sizeof(hs->key)) {
		log_warnx("%s: the network's public key is invalid",
		    en->net.name);
		free(hs);
		return (-1);
	}
	if ((hs->admit_ev = event_new(engine_base, -1, 0, http_admit,
	    hs)) == NULL || (hs->pause_ev = evtimer_new(engine_base,
	    http_accept_resume, hs)) == NULL)
		goto fail;
	if ((fd = listen_socket(en)) == -1)
		goto fail;
	if ((hs->http = evhttp_new(engine_base)) == NULL) {
		close(fd);
		goto fail;
	}
	/*
	 * Every method reaches http_request(), which answers those we do
	 * not serve with a JSON 405; libevent's own refusal is HTML.
	 */
	evhttp_set_allowed_methods(hs->http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
	    EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_default_content_type(hs->http, "application/json");
	evhttp_set_gencb(hs->http, http_request, hs);
	evhttp_set_bevcb(hs->http, http_newconn, hs);
	http_limits(hs);
	if ((bound = evhttp_accept_socket_with_handle(hs->http, fd)) ==
	    NULL) {
		log_warnx("%s: cannot accept on the API socket", en->net.name);
		evhttp_free(hs->http);
		close(fd);
		goto fail;
	}
	hs->listener = evhttp_bound_socket_get_listener(bound);
	evconnlistener_set_error_cb(hs->listener, http_accept_error);
	en->http = hs->http;
	en->state_cache = hs;
	http_nlisteners++;
	http_check_probe(en);
	watch_start(en);
	log_info("%s: API listening on port %u", en->net.name,
	    en->net.listen_port);
	return (0);
 fail:
	if (hs->admit_ev != NULL)
		event_free(hs->admit_ev);
	if (hs->pause_ev != NULL)
		event_free(hs->pause_ev);
	free(hs);
	return (-1);
}

void
http_stop(struct engine_net *en)
{
	struct http_srv		*hs = en->state_cache;
	struct http_conn	*hc;
	struct api_req		*ar;

	if (hs == NULL)
		return;
	watch_stop(en);
	/* Answers still being prepared will find their request gone. */
	while ((ar = TAILQ_FIRST(&hs->pending)) != NULL) {
		TAILQ_REMOVE(&hs->pending, ar, entry);
		ar->req = NULL;
		ar->hs = NULL;
	}
	/* accepted but not judged yet: freed with the connections below */
	while ((hc = TAILQ_FIRST(&hs->fresh)) != NULL) {
		TAILQ_REMOVE(&hs->fresh, hc, fresh);
		bufferevent_decref(hc->bev);
		conn_free(hc);
	}
	evhttp_free(hs->http);	/* conn_closed() for each connection */
	event_free(hs->admit_ev);
	event_free(hs->pause_ev);
	http_state_invalidate(en);
	free(hs);
	http_nlisteners--;
	en->http = NULL;
	en->state_cache = NULL;
}

static void
send_json(struct evhttp_request *req, int status, json_t *o)
{
	struct evbuffer	*buf;
	char		*s;

	if ((s = json_dumps(o, JSON_COMPACT)) == NULL ||
	    (buf = evbuffer_new()) == NULL) {
		free(s);
		evhttp_send_reply(req, 500, status_reason(500), NULL);
		return;
	}
	evbuffer_add(buf, s, strlen(s));
	free(s);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evhttp_send_reply(req, status, status_reason(status), buf);
	evbuffer_free(buf);
}

static void
send_status(struct evhttp_request *req, int status, const char *err)
{
	json_t	*o;

	if (status < 400) {
		evhttp_send_reply(req, status, status_reason(status), NULL);
		return;
	}
	if ((o = json_pack("{s:s}", "error", err != NULL ? err :
	    status_reason(status))) == NULL) {
		evhttp_send_reply(req, status, status_reason(status), NULL);
		return;
	}
	send_json(req, status, o);
	json_decref(o);
}

static void
api_finish(struct api_req *ar, int status, const char *err, json_t *res,
    int empty)
{
	if (ar->req != NULL) {
		if (status >= 400 || status == 204 || res == NULL || empty)
			send_status(ar->req, status, err);
		else
			send_json(ar->req, status, res);
		if (status >= 500)
			log_warnx("%s: %d %s", ar->hs->en->net.name, status,
			    err != NULL ? err : "");
	}
	if (ar->hs != NULL)
		TAILQ_REMOVE(&ar->hs->pending, ar, entry);
	free(ar);
}

void
api_done(void *arg, int status, const char *err, json_t *res)
{
	api_finish(arg, status, err, res, 0);
}

void
api_done_empty(void *arg, int status, const char *err, json_t *res)
{
	api_finish(arg, status, err, res, 1);
}

/* watch.c answers some requests itself: the request, then its end. */
struct evhttp_request *
api_request(struct api_req *ar)
{
	return (ar->req);
}

void
api_release(struct api_req *ar)
{
	if (ar->hs != NULL)
		TAILQ_REMOVE(&ar->hs->pending, ar, entry);
	free(ar);
}

json_t *
api_body(struct api_req *ar)
{
	struct evbuffer	*buf;
	unsigned char	*data;
	size_t		 len;
	json_error_t	 e;

	if (ar->req == NULL)
		return (NULL);
	buf = evhttp_request_get_input_buffer(ar->req);
	if ((len = evbuffer_get_length(buf)) == 0)
		return (NULL);
	if ((data = evbuffer_pullup(buf, -1)) == NULL)
		return (NULL);
	return (json_loadb((const char *)data, len, JSON_DECODE_ANY |
	    JSON_REJECT_DUPLICATES, &e));
}

static struct http_cached *
state_cached(struct http_srv *hs, struct ns_peer *caller)
{
	struct engine_net	*en = hs->en;
	struct http_cached	*c, *next;
	int64_t			 cidr = caller->p.cidr_id;
	int			 ncached = 0, fd;

	for (c = TAILQ_FIRST(&hs->cache); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->gen != en->state.generation ||
		    c->epgen != en->state.endpoint_generation) {
			cache_drop(hs, c);
			continue;
		}
		if (c->cidr_id == cidr) {
			/* most recently used first, for eviction */
			TAILQ_REMOVE(&hs->cache, c, entry);
			TAILQ_INSERT_HEAD(&hs->cache, c, entry);
			return (c);
		}
		ncached++;
	}
	/* Bounded: many CIDRs must not mean many copies of a large network. */
	while (ncached-- >= HTTP_CACHE_MAX)
		cache_drop(hs, TAILQ_LAST(&hs->cache, http_cache_list));
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (NULL);
	if ((fd = memfd_create("innernet-state", MFD_CLOEXEC)) == -1 ||
	    server_state_write(en, caller, fd, &c->len) == -1 ||
	    (c->seg = evbuffer_file_segment_new(fd, 0, c->len,
	    EVBUF_FS_CLOSE_ON_FREE)) == NULL) {
		if (fd != -1)
			close(fd);
		free(c);
		return (NULL);
	}
	c->cidr_id = cidr;
	c->gen = en->state.generation;
	c->epgen = en->state.endpoint_generation;
	snprintf(c->etag, sizeof(c->etag), "\"%08x-%llx-%llx-%lld\"",
	    hs->nonce, (unsigned long long)c->gen,
	    (unsigned long long)c->epgen, (long long)cidr);
	TAILQ_INSERT_HEAD(&hs->cache, c, entry);
	return (c);
}

/* GET /v1/user/state, for a caller already found capable. */
void
api_reply_state(struct api_req *ar, struct engine_net *en,
    struct ns_peer *caller)
{
	struct http_cached	*c;
	struct evkeyvalq	*out;
	struct evbuffer		*buf;
	struct bufferevent	*bev;
	const char		*inm;

	if ((c = state_cached(ar->hs, caller)) == NULL) {
		api_done(ar, 500, "out of memory", NULL);
		return;
	}
	out = evhttp_request_get_output_headers(ar->req);
	evhttp_add_header(out, "ETag", c->etag);
	inm = evhttp_find_header(evhttp_request_get_input_headers(ar->req),
	    "If-None-Match");
	if (inm != NULL && strstr(inm, c->etag) != NULL) {
		api_done(ar, 304, NULL, NULL);
		return;
	}
	if ((buf = evbuffer_new()) == NULL) {
		api_done(ar, 500, "out of memory", NULL);
		return;
	}
	/* marked as the socket's buffer is, so the segment stays a file */
	evbuffer_set_flags(buf, EVBUFFER_FLAG_DRAINS_TO_FD);
	if (evbuffer_add_file_segment(buf, c->seg, 0, c->len) == -1) {
		evbuffer_free(buf);
		api_done(ar, 500, "out of memory", NULL);
		return;
	}
	evhttp_add_header(out, "Content-Type", "application/json");
	/*
	 * The headers, then the whole document in as few sendfile calls as
	 * the socket takes, not in libevent's 16 KiB pieces: each piece
	 * would end in a short segment, one more packet through WireGuard.
	 */
	if ((bev = evhttp_connection_get_bufferevent(
	    evhttp_request_get_connection(ar->req))) != NULL &&
	    bufferevent_get_max_single_write(bev) < (ev_ssize_t)c->len + 4096)
		bufferevent_set_max_single_write(bev, c->len + 4096);
	evhttp_send_reply(ar->req, 200, "OK", buf);
	evbuffer_free(buf);
	TAILQ_REMOVE(&ar->hs->pending, ar, entry);
	free(ar);
}

/* The caller's address, IPv4-mapped IPv6 taken as IPv4. */
static int
peer_address(struct evhttp_request *req, struct in_ip *ip)
{
	struct evhttp_connection	*evcon;

	memset(ip, 0, sizeof(*ip));
	if ((evcon = evhttp_request_get_connection(req)) == NULL)
		return (-1);
	return (sa_to_ip(evhttp_connection_get_addr(evcon), ip));
}

/*
 * A whole request has been read.  Only admitted connections get here
 * (http_admit() runs before libevent reads a byte), so an unknown one
 * means admission could not take place; it is refused and closed.
 */
static int
conn_request(struct evhttp_request *req)
{
	struct http_conn	*hc, key;

	if ((key.evcon = evhttp_request_get_connection(req)) == NULL ||
	    (hc = RB_FIND(http_conns, &http_conns, &key)) == NULL ||
	    hc->src == NULL) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Connection", "close");
		send_status(req, 503, "not admitted");
		return (-1);
	}
	hc->phase = CONN_HANDLING;
	evtimer_del(hc->deadline);
	evhttp_request_set_on_complete_cb(req, conn_request_done, hc);
	return (0);
}

/* The header must decode to exactly the server's key; compared in
 * constant time. */
static int
server_key_ok(struct http_srv *hs, struct evhttp_request *req)
{
	const char	*h;
	uint8_t		 key[32];
	size_t		 len;

	h = evhttp_find_header(evhttp_request_get_input_headers(req),
	    HTTP_KEY_HEADER);
	if (h == NULL)
		return (0);
	if (sodium_base642bin(key, sizeof(key), h, strlen(h), NULL, &len,
	    NULL, sodium_base64_VARIANT_ORIGINAL) != 0 || len != sizeof(key))
		return (0);
	return (sodium_memcmp(key, hs->key, sizeof(key)) == 0);
}

static int
method_of(struct evhttp_request *req)
{
	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_GET:
		return (API_GET);
	case EVHTTP_REQ_POST:
		return (API_POST);
	case EVHTTP_REQ_PUT:
		return (API_PUT);
	case EVHTTP_REQ_DELETE:
		return (API_DELETE);
	default:
		return (0);
	}
}

/*
 * Split the path as upstream does: leading slashes dropped, then every
 * '/' separates a component (so a trailing slash leaves an empty one).
 */
static int
path_split(const char *path, char *buf, size_t len, char **comps)
{
	char	*s, *p;
	int	 n = 0;

	while (*path == '/')
		path++;
	if (strlcpy(buf, path, len) >= len)
		return (-1);
	for (s = buf; n < HTTP_MAX_COMPONENTS; s = p + 1) {
		comps[n++] = s;
		if ((p = strchr(s, '/')) == NULL)
			break;
		*p = '\0';
	}
	return (n);
}

static void
http_request(struct evhttp_request *req, void *arg)
{
	struct http_srv		*hs = arg;
	struct engine_net	*en = hs->en;
	const struct evhttp_uri	*uri;
	const char		*path;
	struct api_req		*ar;
	struct ns_peer		*caller;
	struct in_ip		 ip;
	char			 buf[HTTP_MAX_PATH];
	char			*comps[HTTP_MAX_COMPONENTS];
	int			 n, method;

	memtrim_poke();
	if (conn_request(req) == -1)
		return;
	if ((method = method_of(req)) == 0) {
		send_status(req, 405, NULL);
		return;
	}
	if ((uri = evhttp_request_get_evhttp_uri(req)) == NULL ||
	    (path = evhttp_uri_get_path(uri)) == NULL ||
	    (n = path_split(path, buf, sizeof(buf), comps)) < 1 ||
	    strcmp(comps[0], "v1") != 0) {
		send_status(req, 404, NULL);
		return;
	}
	if (!server_key_ok(hs, req)) {
		send_status(req, 401, "missing or wrong " HTTP_KEY_HEADER);
		return;
	}
	if (!en->loaded) {
		send_status(req, 503, "the network is starting");
		return;
	}
	if (peer_address(req, &ip) == -1 ||
	    (caller = ns_peer_by_ip(&en->state, &ip)) == NULL ||
	    caller->p.is_disabled) {
		send_status(req, 401, "unknown or disabled peer");
		return;
	}
	if (n < 2 || (strcmp(comps[1], "user") != 0 &&
	    strcmp(comps[1], "admin") != 0)) {
		send_status(req, 404, NULL);
		return;
	}
	if ((ar = calloc(1, sizeof(*ar))) == NULL) {
		send_status(req, 500, "out of memory");
		return;
	}
	ar->req = req;
	ar->hs = hs;
	TAILQ_INSERT_TAIL(&hs->pending, ar, entry);
	log_debug("%s: %s %s from %s", en->net.name,
	    method == API_GET ? "GET" : method == API_POST ? "POST" :
	    method == API_PUT ? "PUT" : "DELETE", path, caller->p.name);
	if (strcmp(comps[1], "user") == 0)
		route_user(ar, en, caller, method, comps + 2, n - 2);
	else
		route_admin(ar, en, caller, method, comps + 2, n - 2);
}
