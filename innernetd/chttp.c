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
 * HTTP to a network's server: plain HTTP/1.1 over the tunnel to its
 * internal address, with the key header every request carries, and
 * the answer read back as JSON.
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
#include "engine_local.h"
#include "client.h"

#define CLIENT_HTTP_TIMEOUT	10	/* seconds per API request */
#define CLIENT_MAXBODY		(64 * 1024 * 1024)

/* A request; the caller's context, if copied, follows it. */
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

/*
 * cb gets a copy of ctx (len bytes) that the request keeps and frees
 * after the callback, or with len 0 ctx itself.
 */
int
chttp_t(const struct in_network *net, enum evhttp_cmd_type cmd,
    const char *path, json_t *body, const char *etag, int timeout,
    chttp_cb cb, const void *ctx, size_t len)
{
	struct evhttp_connection	*conn;
	struct evhttp_request		*req;
	struct evkeyvalq		*hdrs;
	struct chttp			*h;
	char				 host[IN_ADDRSTRSZ], uri[256];
	char				*s;

	if ((h = calloc(1, sizeof(*h) + len)) == NULL)
		return (-1);
	h->cb = cb;
	if (len > 0) {
		memcpy(h + 1, ctx, len);
		h->arg = h + 1;
	} else
		h->arg = (void *)ctx;
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
	/*
	 * One request a connection: said, so that the server closes it at
	 * once rather than holding it against this peer's connection cap
	 * until its idle timeout.
	 */
	evhttp_add_header(hdrs, "Connection", "close");
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

int
chttp(const struct in_network *net, enum evhttp_cmd_type cmd,
    const char *path, json_t *body, const char *etag, chttp_cb cb,
    const void *ctx, size_t len)
{
	return (chttp_t(net, cmd, path, body, etag, CLIENT_HTTP_TIMEOUT, cb,
	    ctx, len));
}
