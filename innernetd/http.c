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
 * lookup, routing to api_user.c and api_admin.c, and answers.  The state
 * document is the hot path: it is serialised once per visibility class
 * (the caller's CIDR) and generation, then handed to every caller of
 * that class by reference, with an ETag for conditional requests.
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/tree.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sodium.h>

#include "compat.h"
#include "engine.h"

#define HTTP_KEY_HEADER		"X-Innernet-Server-Key"
#define HTTP_MAX_HEADERS	(8 * 1024)
#define HTTP_DEFAULT_BODY	(1024 * 1024)
#define HTTP_DEFAULT_TIMEOUT	10
#define HTTP_DEFAULT_CONNS	1024
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

struct http_conn {
	RB_ENTRY(http_conn)		 entry;
	struct evhttp_connection	*evcon;
	struct http_srv			*hs;
};
RB_HEAD(http_conns, http_conn);

struct http_srv {
	struct engine_net	*en;
	struct evhttp		*http;
	uint8_t			 key[32];
	uint32_t		 nonce;
	struct http_conns	 conns;
	int			 nconns;
	int			 max_conns;
	TAILQ_HEAD(http_cache_list, http_cached) cache;
	TAILQ_HEAD(, api_req)	 pending;
};

struct api_req {
	TAILQ_ENTRY(api_req)	 entry;
	struct evhttp_request	*req;	/* NULL once the listener is gone */
	struct http_srv		*hs;
};

static void	http_request(struct evhttp_request *, void *);
static void	send_status(struct evhttp_request *, int, const char *);

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

/*
 * Connection accounting.  libevent has no hook at accept, so a connection
 * is counted from its first request until it closes; beyond the cap a new
 * connection gets 503 and is closed.  Connections that never send a
 * request are closed by the read timeout.
 */
static int
conn_cmp(struct http_conn *a, struct http_conn *b)
{
	return (a->evcon < b->evcon ? -1 : a->evcon > b->evcon);
}

RB_PROTOTYPE(http_conns, http_conn, entry, conn_cmp);
RB_GENERATE(http_conns, http_conn, entry, conn_cmp);

static void
conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct http_conn	*hc = arg;

	RB_REMOVE(http_conns, &hc->hs->conns, hc);
	hc->hs->nconns--;
	free(hc);
}

/* 0: the connection may go on; -1: it was refused. */
static int
conn_admit(struct http_srv *hs, struct evhttp_request *req)
{
	struct evhttp_connection	*evcon;
	struct http_conn		*hc, key;

	if ((evcon = evhttp_request_get_connection(req)) == NULL)
		return (-1);
	key.evcon = evcon;
	if (RB_FIND(http_conns, &hs->conns, &key) != NULL)
		return (0);
	if (hs->nconns >= hs->max_conns ||
	    (hc = calloc(1, sizeof(*hc))) == NULL) {
		log_debug("%s: connection limit %d reached",
		    hs->en->net.name, hs->max_conns);
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Connection", "close");
		send_status(req, 503, "too many connections");
		return (-1);
	}
	hc->evcon = evcon;
	hc->hs = hs;
	RB_INSERT(http_conns, &hs->conns, hc);
	hs->nconns++;
	evhttp_connection_set_closecb(evcon, conn_closed, hc);
	return (0);
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

int
http_start(struct engine_net *en)
{
	struct http_srv	*hs;
	size_t		 keylen;
	int		 fd;

	if (en->state_cache != NULL)
		return (0);
	if ((hs = calloc(1, sizeof(*hs))) == NULL)
		return (-1);
	hs->en = en;
	TAILQ_INIT(&hs->cache);
	TAILQ_INIT(&hs->pending);
	RB_INIT(&hs->conns);
	randombytes_buf(&hs->nonce, sizeof(hs->nonce));
	hs->max_conns = engine_conf.max_connections ?
	    (int)engine_conf.max_connections : HTTP_DEFAULT_CONNS;
	if (sodium_base642bin(hs->key, sizeof(hs->key), en->net.public_key,
	    strlen(en->net.public_key), NULL, &keylen, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || keylen != sizeof(hs->key)) {
		log_warnx("%s: the network's public key is invalid",
		    en->net.name);
		free(hs);
		return (-1);
	}
	if ((fd = listen_socket(en)) == -1) {
		free(hs);
		return (-1);
	}
	if ((hs->http = evhttp_new(engine_base)) == NULL) {
		close(fd);
		free(hs);
		return (-1);
	}
	evhttp_set_allowed_methods(hs->http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
	evhttp_set_max_headers_size(hs->http, HTTP_MAX_HEADERS);
	evhttp_set_max_body_size(hs->http, engine_conf.max_body ?
	    engine_conf.max_body : HTTP_DEFAULT_BODY);
	evhttp_set_timeout(hs->http, engine_conf.timeout ?
	    (int)engine_conf.timeout : HTTP_DEFAULT_TIMEOUT);
	evhttp_set_default_content_type(hs->http, "application/json");
	evhttp_set_gencb(hs->http, http_request, hs);
	if (evhttp_accept_socket_with_handle(hs->http, fd) == NULL) {
		log_warnx("%s: cannot accept on the API socket", en->net.name);
		evhttp_free(hs->http);
		close(fd);
		free(hs);
		return (-1);
	}
	en->http = hs->http;
	en->state_cache = hs;
	log_info("%s: API listening on port %u", en->net.name,
	    en->net.listen_port);
	return (0);
}

void
http_stop(struct engine_net *en)
{
	struct http_srv	*hs = en->state_cache;
	struct api_req	*ar;

	if (hs == NULL)
		return;
	/* Answers still being prepared will find their request gone. */
	while ((ar = TAILQ_FIRST(&hs->pending)) != NULL) {
		TAILQ_REMOVE(&hs->pending, ar, entry);
		ar->req = NULL;
		ar->hs = NULL;
	}
	evhttp_free(hs->http);
	http_state_invalidate(en);
	free(hs);
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
	const struct sockaddr		*sa;
	const struct sockaddr_in6	*sin6;
	static const uint8_t		 mapped[12] = { 0, 0, 0, 0, 0, 0, 0,
					    0, 0, 0, 0xff, 0xff };

	memset(ip, 0, sizeof(*ip));
	if ((evcon = evhttp_request_get_connection(req)) == NULL ||
	    (sa = evhttp_connection_get_addr(evcon)) == NULL)
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
	if (conn_admit(hs, req) == -1)
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
		api_user(ar, en, caller, method, comps + 2, n - 2);
	else
		api_admin(ar, en, caller, method, comps + 2, n - 2);
}
