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
 * libFuzzer target: raw bytes as an HTTP request to the real API
 * listener (http.c, the route handlers and server.c over a small mirror)
 * from 198.18.0.1, which the mirror knows as an admin peer.  The API
 * refuses connections from the host's own addresses, so the network is
 * in 198.18.0.0/15 (benchmarking, never a host's address here), not in
 * 127.0.0.0/8.  dbd and wgd
 * are absent: every mutation that gets that far fails with 500, which is
 * fine, the parsing and checks before it are what is fuzzed.  An answer
 * in HTML (libevent's own error page) is a crash: every error is JSON.
 *
 * http.c makes its TCP listener on the loopback interface (root or
 * Linux >= 5.7 for SO_BINDTODEVICE "lo"); the harness then puts a UNIX
 * socket in its place when it is handed to libevent, and tells libevent
 * each connection accepted there comes from 198.18.0.1.  The server sees
 * what it would see over TCP, without a TCP handshake and teardown per
 * input, which was most of the time this target took.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/http.h>

#include "engine.h"

#define FUZZ_KEY	"YBVIgpfLbi/knrMCTEb0L6eVy0daiZnJJQkxBK9s+2I="
#define FUZZ_MAXIN	(64 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	accept4(int, struct sockaddr *, socklen_t *, int);
struct evhttp_bound_socket *evhttp_accept_socket_with_handle(struct evhttp *,
	    evutil_socket_t);

struct engine_nets	 engine_nets = TAILQ_HEAD_INITIALIZER(engine_nets);
struct in_conf_global	 engine_conf;
struct event_base	*engine_base;
struct evdns_base	*engine_dns;

static struct engine_net	 fuzz_net;
static uint16_t			 fuzz_port;
static int			 fuzz_listener = -1;
static struct sockaddr_un	 fuzz_sun;

/* The API listener, made a UNIX socket once http.c has set it up. */
struct evhttp_bound_socket *
evhttp_accept_socket_with_handle(struct evhttp *http, evutil_socket_t fd)
{
	struct evhttp_bound_socket *(*real)(struct evhttp *, evutil_socket_t);

	if ((real = dlsym(RTLD_NEXT, "evhttp_accept_socket_with_handle")) ==
	    NULL)
		abort();
	close(fd);
	memset(&fuzz_sun, 0, sizeof(fuzz_sun));
	fuzz_sun.sun_family = AF_UNIX;
	/* abstract: nothing in the file system */
	snprintf(fuzz_sun.sun_path + 1, sizeof(fuzz_sun.sun_path) - 1,
	    "innernet-fuzz-http.%d", (int)getpid());
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1 || bind(fd, (struct sockaddr *)&fuzz_sun,
	    sizeof(fuzz_sun)) == -1 || listen(fd, 128) == -1)
		abort();
	fuzz_listener = fd;
	return (real(http, fd));
}

/* Connections on the listener come from the admin peer, port 40000. */
int
accept4(int s, struct sockaddr *sa, socklen_t *salen, int flags)
{
	static int		(*real)(int, struct sockaddr *, socklen_t *,
				    int);
	struct sockaddr_in	 sin;
	socklen_t		 room = salen != NULL ? *salen : 0;
	int			 fd;

	if (real == NULL && (real = dlsym(RTLD_NEXT, "accept4")) == NULL)
		abort();
	if ((fd = real(s, sa, salen, flags)) == -1 || s != fuzz_listener ||
	    sa == NULL || salen == NULL)
		return (fd);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(40000);
	sin.sin_addr.s_addr = htonl(0xc6120001);	/* 198.18.0.1 */
	if (room < sizeof(sin))
		abort();
	memcpy(sa, &sin, sizeof(sin));
	*salen = sizeof(sin);
	return (fd);
}

/* The engine's plumbing, reduced to "the helper processes are gone". */
uint32_t
engine_req_new(engine_cb cb, void *arg)
{
	static uint32_t	id;

	return (++id);
}

uint32_t
engine_req_new_ctx(engine_cb cb, const void *ctx, size_t len)
{
	return (engine_req_new(cb, NULL));
}

uint32_t
engine_req_adopt(engine_cb cb, void *arg)
{
	free(arg);
	return (engine_req_new(cb, NULL));
}

void
engine_req_cancel(uint32_t id)
{
}

int
engine_db_compose(uint32_t type, uint32_t id, const void *data, size_t len)
{
	return (-1);
}

int
engine_db_composev(uint32_t type, uint32_t id, const struct iovec *iov,
    int n)
{
	return (-1);
}

int
engine_wg_compose(uint32_t type, uint32_t id, const void *data, size_t len)
{
	return (-1);
}

int
engine_parent_compose(uint32_t type, uint32_t id, const void *data,
    size_t len)
{
	return (-1);
}

int
engine_imsg_error(struct imsg *imsg, struct in_error *e)
{
	return (0);
}

struct engine_net *
engine_net_find(const char *name)
{
	return (strcmp(name, fuzz_net.net.name) == 0 ? &fuzz_net : NULL);
}

struct engine_net *
engine_net_add(const struct in_network *net)
{
	return (&fuzz_net);
}

void
engine_net_remove(struct engine_net *en)
{
}

static void
add_cidr(int64_t id, const char *name, const char *prefix, int64_t parent)
{
	struct in_cidr	c;

	memset(&c, 0, sizeof(c));
	c.id = id;
	c.parent = parent;
	strlcpy(c.name, name, sizeof(c.name));
	in_prefix_parse(prefix, &c.cidr);
	ns_cidr_upsert(&fuzz_net.state, &c);
}

static void
add_peer(int64_t id, const char *name, const char *ip, int64_t cidr,
    int admin, const char *key)
{
	struct in_peer	p;

	memset(&p, 0, sizeof(p));
	p.id = id;
	p.cidr_id = cidr;
	p.keepalive = IN_DEFAULT_KEEPALIVE;
	p.is_admin = admin;
	p.is_redeemed = 1;
	strlcpy(p.name, name, sizeof(p.name));
	strlcpy(p.public_key, key, sizeof(p.public_key));
	in_ip_parse(ip, &p.ip);
	ns_peer_upsert(&fuzz_net.state, &p, NULL, 0);
}

static int
fuzz_init(void)
{
	struct in_assoc	a;
	int		port;

	engine_base = event_base_new();
	engine_conf.timeout = 1;
	engine_conf.max_connections = 64;
	engine_conf.max_per_source = 64;	/* every input comes from one */
	log_init(0, 0);
	strlcpy(fuzz_net.net.name, "lo", sizeof(fuzz_net.net.name));
	fuzz_net.net.role = IN_ROLE_SERVER;
	in_prefix_parse("198.18.0.0/15", &fuzz_net.net.net);
	in_ip_parse("198.18.0.2", &fuzz_net.net.address);
	strlcpy(fuzz_net.net.public_key, FUZZ_KEY,
	    sizeof(fuzz_net.net.public_key));
	ns_init(&fuzz_net.state);
	add_cidr(1, "root", "198.18.0.0/15", 0);
	add_cidr(2, "innernet-server", "198.18.0.2/32", 1);
	add_cidr(3, "admins", "198.18.0.0/30", 1);
	add_cidr(4, "users", "198.19.0.0/16", 1);
	add_peer(1, "innernet-server", "198.18.0.2", 2, 0, FUZZ_KEY);
	add_peer(2, "admin", "198.18.0.1", 3, 1,
	    "4CNZorWVtohO64n6AAaH/JyFjIIgBFrfJK2SGtKjzEE=");
	add_peer(3, "user1", "198.19.0.5", 4, 0,
	    "ACNZorWVtohO64n6AAaH/JyFjIIgBFrfJK2SGtKjzEE=");
	memset(&a, 0, sizeof(a));
	a.id = 1;
	a.cidr_id_1 = 3;
	a.cidr_id_2 = 4;
	ns_assoc_upsert(&fuzz_net.state, &a);
	fuzz_net.loaded = 1;
	TAILQ_INSERT_TAIL(&engine_nets, &fuzz_net, entry);
	if ((fuzz_net.srv = calloc(1, 64)) == NULL)
		abort();
	for (port = 42000 + getpid() % 1000; port < 65000; port += 7) {
		fuzz_net.net.listen_port = (uint16_t)port;
		if (http_start(&fuzz_net) == 0) {
			fuzz_port = (uint16_t)port;
			return (0);
		}
	}
	abort();
}

/*
 * Every answer is JSON, libevent's own refusals too: none may be of type
 * text/html.  Only the headers are looked at (a JSON error may quote the
 * request); the answers are walked by their Content-Length.
 */
static void
check_answers(const char *p, size_t len)
{
	const char	*end, *line, *eol;
	size_t		 body;

	while (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		if ((end = memmem(p, len, "\r\n\r\n", 4)) == NULL)
			return;
		body = 0;
		/* the header lines: each after a "\r\n", up to the next */
		for (line = memmem(p, end + 2 - p, "\r\n", 2);
		    line != NULL && line < end; line = eol) {
			line += 2;
			if ((eol = memmem(line, end + 2 - line, "\r\n",
			    2)) == NULL)
				break;
			if (eol - line >= 13 &&
			    strncasecmp(line, "Content-Type:", 13) == 0 &&
			    memmem(line, eol - line, "html", 4) != NULL)
				abort();
			if (eol - line >= 15 &&
			    strncasecmp(line, "Content-Length:", 15) == 0)
				body = strtoul(line + 15, NULL, 10);
		}
		end += 4;
		if (body > len - (end - p))
			return;
		len -= end - p + body;
		p = end + body;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static int		 ready;
	struct pollfd		 pfd;
	static char		 ans[256 * 1024];
	char			 buf[65536];
	ssize_t			 n;
	size_t			 anslen = 0;
	size_t			 off = 0;
	int			 fd, i, idle = 0, progress;

	if (!ready) {
		fuzz_init();
		if (fuzz_listener == -1)
			abort();
		ready = 1;
	}
	if (len > FUZZ_MAXIN)
		len = FUZZ_MAXIN;
	/* a full backlog (a loop that has not run yet) is tried again */
	for (i = 0; ; i++) {
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK,
		    0)) == -1)
			abort();
		if (connect(fd, (struct sockaddr *)&fuzz_sun,
		    sizeof(fuzz_sun)) == 0)
			break;
		if (errno != EAGAIN || i == 50) {
			fprintf(stderr, "fuzz_http: connect: %s\n",
			    strerror(errno));
			abort();
		}
		close(fd);
		event_base_loop(engine_base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
	if (len == 0)
		shutdown(fd, SHUT_WR);
	/*
	 * Feed the request, let the server work, read what it answers;
	 * stop at the end of the answer or once a few rounds changed
	 * nothing (an incomplete request waits for more).
	 */
	for (i = 0; i < 400 && idle < 4; i++) {
		progress = 0;
		if (off < len) {
			n = write(fd, data + off, len - off);
			if (n > 0) {
				off += n;
				progress = 1;
			}
			if (off == len)
				shutdown(fd, SHUT_WR);
		}
		event_base_loop(engine_base, EVLOOP_NONBLOCK);
		n = read(fd, buf, sizeof(buf));
		if (n == 0 || (n == -1 && errno != EAGAIN))
			break;
		if (n > 0) {
			if (getenv("FUZZ_SHOW") != NULL)
				write(STDERR_FILENO, buf, n);
			if (n <= (ssize_t)(sizeof(ans) - anslen)) {
				memcpy(ans + anslen, buf, n);
				anslen += n;
			}
			idle = 0;
			continue;
		}
		if (progress) {
			idle = 0;
			continue;
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) == 0)
			idle++;
	}
	close(fd);
	event_base_loop(engine_base, EVLOOP_NONBLOCK);
	check_answers(ans, anslen);
	return (0);
}
