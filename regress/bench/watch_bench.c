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
 * The watch's figures that need thousands of watchers (make bench, and
 * regress/bench/watch.sh): a network of N peers in CIDRs of 20, as the
 * bench's, in the engine's own mirror with the change log.
 *  - bytes per one-peer change per watching client: the delta a client
 *    that sees the peer gets, beside the full state a polling client
 *    gets today (plain and gzip);
 *  - CPU per change with W watchers spread over the CIDRs: what the
 *    server does (wake the classes that see the peer, one delta per
 *    class, one buffer per woken watcher), per change;
 *  - memory per idle watcher: W held requests on a real libevent HTTP
 *    server (libevent's connection, buffers and request, and our
 *    watcher), measured in a process of their own as its RSS grows,
 *    the clients in another process.
 * Figures only; nothing here passes or fails.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include <sodium.h>

#include "engine_local.h"
#include "delta.h"

static struct dlog	 dl;
static uint64_t		 counter = 1;
static struct netstate	*logged;

static void
hook(struct netstate *ns, enum ns_change what, int64_t id, int64_t cidr)
{
	if (ns != logged)
		return;
	counter++;
	if (what == NS_CH_RESET)
		dlog_reset(&dl, counter);
	else
		dlog_add(&dl, counter, what, id, cidr);
}

static double
cpu_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static void
cidr_put(struct netstate *ns, int64_t id, int64_t parent, uint32_t net,
    int len)
{
	struct in_cidr	c;
	char		p[32];

	memset(&c, 0, sizeof(c));
	c.id = id;
	c.parent = parent;
	snprintf(c.name, sizeof(c.name), "c%lld", (long long)id);
	snprintf(p, sizeof(p), "%u.%u.%u.%u/%d", net >> 24, (net >> 16) & 255,
	    (net >> 8) & 255, net & 255, len);
	if (in_prefix_parse(p, &c.cidr) == -1 || ns_cidr_upsert(ns, &c) == -1)
		exit(1);
}

static void
peer_put(struct netstate *ns, int64_t id, int64_t cidr, uint32_t ip,
    int disabled)
{
	struct in_peer	p;
	char		a[32];
	uint8_t		key[32];

	memset(&p, 0, sizeof(p));
	p.id = id;
	p.cidr_id = cidr;
	p.keepalive = IN_DEFAULT_KEEPALIVE;
	p.is_redeemed = 1;
	p.is_disabled = disabled;
	snprintf(p.name, sizeof(p.name), "peer-%lld", (long long)id);
	/* random, as keys are: gzip gets no help from them */
	arc4random_buf(key, sizeof(key));
	sodium_bin2base64(p.public_key, sizeof(p.public_key), key,
	    sizeof(key), sodium_base64_VARIANT_ORIGINAL);
	snprintf(p.endpoint, sizeof(p.endpoint), "198.51.100.%lld:%lld",
	    (long long)(id % 250 + 1), (long long)(10000 + id % 50000));
	snprintf(a, sizeof(a), "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255,
	    (ip >> 8) & 255, ip & 255);
	in_ip_parse(a, &p.ip);
	if (ns_peer_upsert(ns, &p, NULL, 0) == -1)
		exit(1);
}

/* N peers in CIDRs of 20 under 10.80.0.0/12, as the bench's network. */
static void
build(struct netstate *ns, int n)
{
	uint32_t	base = 0x0a510000;	/* 10.81.0.0 */
	int		c, k, id = 2;

	cidr_put(ns, 1, 0, 0x0a500000, 12);
	cidr_put(ns, 2, 1, 0x0a500000, 24);		/* infra */
	peer_put(ns, 1, 2, 0x0a500001, 0);		/* the server */
	for (c = 0; c < n / 20; c++) {
		cidr_put(ns, 3 + c, 1, base + c * 32, 27);
		for (k = 0; k < 20; k++)
			peer_put(ns, id++, 3 + c, base + c * 32 + 1 + k, 0);
	}
}

static size_t
gz_size(const char *s, size_t len)
{
	uint8_t	*z;
	size_t	 zlen;

	if (gz_deflate(s, len, &z, &zlen) == -1)
		return (0);
	free(z);
	return (zlen);
}

struct wclass {
	int64_t		 cidr;
	uint8_t		*mark;
	int		 nwatchers;
	uint64_t	 since;
};

static void
measure(int n, int nwatchers, int nchanges)
{
	struct netstate	 ns;
	struct wclass	*cls;
	struct ns_peer	 caller;
	struct evbuffer	*buf;
	json_t		*full, *d;
	char		*s;
	size_t		 flen, dlen = 0, ndelta = 0, i;
	int		 ncls = n / 20, c, k, woken = 0, w;
	int64_t		 pid;
	ssize_t		 ci;
	double		 t0, cpu;

	ns_init(&ns);
	ns_change_hook = hook;
	build(&ns, n);
	logged = &ns;
	dlog_init(&dl, counter);

	/* today: a poll after any change fetches the whole state */
	memset(&caller, 0, sizeof(caller));
	caller.p.cidr_id = 3;
	full = delta_full(&ns, NULL);
	s = json_dumps(full, JSON_COMPACT);
	flen = strlen(s);
	printf("size %d full_bytes %zu\n", n, flen);
	printf("size %d full_gzip_bytes %zu\n", n, gz_size(s, flen));
	free(s);
	json_decref(full);
	full = delta_full(&ns, &caller);
	s = json_dumps(full, JSON_COMPACT);
	printf("size %d full_one_cidr_bytes %zu\n", n, strlen(s));
	free(s);
	json_decref(full);

	/* the watchers: spread over the CIDRs, one class per CIDR */
	if ((cls = calloc(ncls, sizeof(*cls))) == NULL)
		exit(1);
	for (c = 0; c < ncls; c++) {
		cls[c].cidr = 3 + c;
		cls[c].since = counter;
		if ((cls[c].mark = malloc(ns.ncidrs + 1)) == NULL ||
		    ns_visible_cidrs(&ns, cls[c].cidr, cls[c].mark) == -1)
			exit(1);
	}
	for (w = 0; w < nwatchers; w++)
		cls[w % ncls].nwatchers++;

	t0 = cpu_now();
	for (k = 0; k < nchanges; k++) {
		/* disable, then enable, a peer of a CIDR in turn */
		pid = 2 + (int64_t)(k / 2 % ncls) * 20 + k % 20;
		peer_put(&ns, pid, 3 + (pid - 2) / 20,
		    0x0a510000 + (uint32_t)((pid - 2) / 20) * 32 + 1 +
		    (pid - 2) % 20, k % 2 == 0);
		ci = ns_cidr_index(&ns, 3 + (pid - 2) / 20);
		for (c = 0; c < ncls; c++) {
			if (cls[c].nwatchers == 0 || !cls[c].mark[ci])
				continue;
			if (delta_build(&ns, &dl, cls[c].since, counter,
			    cls[c].mark, &d) != DELTA_OK)
				continue;
			s = json_dumps(d, JSON_COMPACT);
			json_decref(d);
			dlen += strlen(s);
			ndelta++;
			for (i = 0; i < (size_t)cls[c].nwatchers; i++) {
				buf = evbuffer_new();
				evbuffer_add(buf, s, strlen(s));
				evbuffer_free(buf);
				woken++;
			}
			free(s);
			cls[c].since = counter;
		}
	}
	cpu = cpu_now() - t0;
	printf("size %d delta_bytes %zu\n", n, ndelta ? dlen / ndelta : 0);
	printf("size %d watchers %d\n", n, nwatchers);
	printf("size %d woken_per_change %.1f\n", n,
	    (double)woken / nchanges);
	printf("size %d cpu_us_per_change %.1f\n", n, cpu * 1e6 / nchanges);
	for (c = 0; c < ncls; c++)
		free(cls[c].mark);
	free(cls);
	logged = NULL;
	ns_clear(&ns);
	dlog_free(&dl);
}

/* Memory per held request: a server process holding them. */

static int	held;

static void
hold_cb(struct evhttp_request *req, void *arg)
{
	/* held, as a watch is, until the process ends */
	held++;
}

static long
rss_kb(pid_t pid)
{
	char	 path[64], line[256];
	FILE	*f;
	long	 kb = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	fclose(f);
	return (kb);
}

static int
fd_count(pid_t pid)
{
	char	 path[64];
	FILE	*f;
	char	 line[64];
	int	 n = 0;

	snprintf(path, sizeof(path), "ls /proc/%d/fd", (int)pid);
	if ((f = popen(path, "r")) == NULL)
		return (0);
	while (fgets(line, sizeof(line), f) != NULL)
		n++;
	pclose(f);
	return (n);
}

static void
memory(int nwatchers)
{
	struct event_base	*base;
	struct evhttp		*http;
	struct evhttp_bound_socket *bs;
	struct sockaddr_in	 sin;
	struct rlimit		 rl;
	socklen_t		 len = sizeof(sin);
	int			 p[2], i, fd, port;
	pid_t			 srv, cli;
	long			 before, after;
	char			 req[] =
	    "GET /v1/user/state?since=0&watch=55 HTTP/1.1\r\nHost: x\r\n"
	    "X-Innernet-Server-Key: "
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n";
	char			 c;

	rl.rlim_cur = rl.rlim_max = nwatchers * 2 + 64;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1 || pipe(p) == -1)
		return;
	if ((srv = fork()) == 0) {
		base = event_base_new();
		http = evhttp_new(base);
		evhttp_set_gencb(http, hold_cb, NULL);
		evhttp_set_timeout(http, 600);
		bs = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
		fd = evhttp_bound_socket_get_fd(bs);
		getsockname(fd, (struct sockaddr *)&sin, &len);
		port = ntohs(sin.sin_port);
		write(p[1], &port, sizeof(port));
		event_base_dispatch(base);
		_exit(0);
	}
	if (read(p[0], &port, sizeof(port)) != sizeof(port))
		return;
	usleep(200000);
	before = rss_kb(srv);
	if ((cli = fork()) == 0) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(port);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		for (i = 0; i < nwatchers; i++) {
			if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
			    connect(fd, (struct sockaddr *)&sin,
			    sizeof(sin)) == -1)
				break;
			write(fd, req, sizeof(req) - 1);
		}
		write(p[1], &c, 1);
		pause();
		_exit(0);
	}
	read(p[0], &c, 1);
	/* until the server took them all (its descriptors), 10 s at most */
	for (i = 0; i < 100 && fd_count(srv) < nwatchers; i++)
		usleep(100000);
	sleep(2);	/* and read their requests */
	after = rss_kb(srv);
	printf("memory held %d\n", fd_count(srv) - 4);
	/* our struct watcher and http.c's connection entry come on top */
	printf("memory watchers %d rss_kb_before %ld rss_kb_after %ld\n",
	    nwatchers, before, after);
	printf("memory bytes_per_watcher %ld\n", (after - before) * 1024 /
	    nwatchers + 200);
	kill(cli, SIGTERM);
	kill(srv, SIGTERM);
	waitpid(cli, NULL, 0);
	waitpid(srv, NULL, 0);
}

int
main(int argc, char *argv[])
{
	int	i, nw = 1000;

	log_init(1, 0);
	if (getenv("WATCH_BENCH_WATCHERS") != NULL)
		nw = atoi(getenv("WATCH_BENCH_WATCHERS"));
	for (i = 1; i < argc; i++)
		measure(atoi(argv[i]), nw, 200);
	memory(getenv("WATCH_BENCH_IDLE") != NULL ?
	    atoi(getenv("WATCH_BENCH_IDLE")) : 5000);
	return (0);
}
