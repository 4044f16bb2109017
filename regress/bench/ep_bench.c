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
 * The server's endpoint refresh as wgd makes it, through the real code
 * (endpoints_changed over the UAPI walk), against a real userspace
 * WireGuard; run by ep_bench.sh in a namespace of its own.  Figures
 * only, no verdicts:
 *
 *	ep_bench fill IFNAME N		N peers with endpoints, by wgd's
 *					own uapi_sync
 *	ep_bench walk IFNAME ROUNDS	one refresh afresh, then ROUNDS with
 *					nothing changed: the CPU of each,
 *					and the memory the table holds
 *	ep_bench move IFNAME K		K endpoints moved, then a refresh
 */

#include <sys/types.h>
#include <sys/resource.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "wgd.h"

static unsigned long	told;

static void
count_tell(void *arg, const char *key, const char *endpoint)
{
	told++;
}

static double
cpu_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (ts.tv_sec * 1e3 + ts.tv_nsec / 1e6);
}

static double
wall_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1e3 + ts.tv_nsec / 1e6);
}

/* VmRSS, KiB. */
static long
rss_kib(void)
{
	FILE	*f;
	char	 line[256];
	long	 v = -1;

	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &v) == 1)
			break;
	fclose(f);
	return (v);
}

/* Bytes the allocator has handed out and not had back. */
static long
heap_used(void)
{
#ifdef __GLIBC__
	struct mallinfo2	mi = mallinfo2();

	return ((long)(mi.uordblks + mi.hblkhd));
#else
	return (-1);
#endif
}

static void
trim(void)
{
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

static const struct wg_backend *
uapi(void)
{
	return (&wg_backend_userspace);
}

static void
peer_make(struct wg_peer *p, size_t i, unsigned gen)
{
	unsigned char	key[32];

	memset(p, 0, sizeof(*p));
	randombytes_buf(key, sizeof(key));
	key_bin_to_b64(key, p->public_key);
	p->nallowed = 1;
	p->allowed[0].ip.af = AF_INET;
	p->allowed[0].ip.u.b[0] = 10;
	p->allowed[0].ip.u.b[1] = (uint8_t)(64 + i / 65536);
	p->allowed[0].ip.u.b[2] = (uint8_t)(i / 256);
	p->allowed[0].ip.u.b[3] = (uint8_t)i;
	p->allowed[0].len = 32;
	/* a third IPv6 as some networks have, the rest IPv4 */
	if (i % 3 == 2)
		snprintf(p->endpoint, sizeof(p->endpoint),
		    "[2001:db8:%x:%x::%x]:%u", (unsigned)(i >> 16),
		    (unsigned)(i & 0xffff), gen + 1, 1024 + (unsigned)(i %
		    60000));
	else
		snprintf(p->endpoint, sizeof(p->endpoint),
		    "198.%u.%u.%u:%u", 18 + (unsigned)((i >> 16) & 1),
		    (unsigned)((i >> 8) & 0xff), (unsigned)(i & 0xff),
		    1024 + gen * 1000 + (unsigned)(i % 50000));
}

static int
fill(const char *ifname, size_t n)
{
	struct wg_peer	*p;
	char		 err[IN_ERRSZ];
	size_t		 i;
	double		 t;

	if ((p = calloc(n, sizeof(*p))) == NULL)
		return (1);
	for (i = 0; i < n; i++)
		peer_make(&p[i], i, 0);
	t = wall_ms();
	if (uapi_sync(ifname, p, n, err, sizeof(err)) == -1) {
		fprintf(stderr, "ep_bench: sync: %s\n", err);
		return (1);
	}
	printf("fill: %zu peers in %.0f ms\n", n, wall_ms() - t);
	free(p);
	return (0);
}

/* One refresh: its CPU and wall time, ms. */
static int
refresh(const char *ifname, int afresh, double *cpu, double *wall)
{
	char	err[IN_ERRSZ];
	double	c0, w0;
	int	rc;

	told = 0;
	c0 = cpu_ms();
	w0 = wall_ms();
	rc = endpoints_changed(ifname, afresh, uapi(), count_tell, NULL, err,
	    sizeof(err));
	*cpu = cpu_ms() - c0;
	*wall = wall_ms() - w0;
	if (rc == -1)
		fprintf(stderr, "ep_bench: refresh: %s\n", err);
	return (rc);
}

static int
walk(const char *ifname, int rounds)
{
	struct wg_device	 d;
	char			 err[IN_ERRSZ];
	double			*cpu, wall, c, mean = 0;
	long			 rss0, rss1, heap0, heap1;
	size_t			 npeers;
	int			 i;

	if (uapi_get(ifname, &d, err, sizeof(err)) == -1) {
		fprintf(stderr, "ep_bench: get: %s\n", err);
		return (1);
	}
	npeers = d.npeers;
	wg_device_free(&d);
	if ((cpu = calloc(rounds + 1, sizeof(*cpu))) == NULL)
		return (1);
	trim();
	rss0 = rss_kib();
	heap0 = heap_used();
	if (refresh(ifname, 1, &c, &wall) == -1)
		return (1);
	trim();
	rss1 = rss_kib();
	heap1 = heap_used();
	printf("peers: %zu\n", npeers);
	printf("afresh: told %lu, cpu %.2f ms, wall %.2f ms\n", told, c,
	    wall);
	printf("table: heap %+.1f KiB (%.1f bytes a peer), "
	    "rss %+ld KiB\n", (heap1 - heap0) / 1024.0,
	    npeers ? (double)(heap1 - heap0) / npeers : 0.0, rss1 - rss0);
	for (i = 0; i < rounds; i++) {
		if (refresh(ifname, 0, &cpu[i], &wall) == -1)
			return (1);
		mean += cpu[i];
		if (told != 0)
			printf("# round %d told %lu\n", i, told);
	}
	qsort(cpu, rounds, sizeof(*cpu), cmp_double);
	printf("steady: %d rounds, cpu median %.2f ms, min %.2f, max %.2f, "
	    "mean %.2f; %.0f ns a peer\n", rounds, cpu[rounds / 2], cpu[0],
	    cpu[rounds - 1], mean / rounds, npeers ? cpu[rounds / 2] * 1e6 /
	    npeers : 0.0);
	trim();
	printf("after: rss %ld KiB, heap %.1f KiB\n", rss_kib(),
	    heap_used() / 1024.0);
	free(cpu);
	return (0);
}

/* Move k endpoints, then one refresh: all k are told. */
static int
move(const char *ifname, size_t k)
{
	struct wg_device	 d;
	struct wg_peer		*p;
	char			 err[IN_ERRSZ];
	double			 c, wall;
	size_t			 i, n;

	if (refresh(ifname, 1, &c, &wall) == -1 ||
	    uapi_get(ifname, &d, err, sizeof(err)) == -1)
		return (1);
	n = d.npeers;
	p = d.peers;
	for (i = 0; i < k && i < n; i++) {
		snprintf(p[i * (n / k)].endpoint, sizeof(p->endpoint),
		    "203.0.113.%zu:%zu", i % 250 + 1, 1024 + i);
		p[i * (n / k)].keepalive = 0;
	}
	if (uapi_sync(ifname, p, n, err, sizeof(err)) == -1) {
		fprintf(stderr, "ep_bench: sync: %s\n", err);
		return (1);
	}
	wg_device_free(&d);
	if (refresh(ifname, 0, &c, &wall) == -1)
		return (1);
	printf("moved %zu: told %lu, cpu %.2f ms, wall %.2f ms\n", k, told, c,
	    wall);
	return (told == k ? 0 : 1);
}

int
main(int argc, char *argv[])
{
#ifdef __GLIBC__
	/* as wgd has it (memtrim_start) */
	mallopt(M_ARENA_MAX, 1);
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	mallopt(M_TRIM_THRESHOLD, 256 * 1024);
#endif
	if (sodium_init() == -1)
		return (1);
	if (argc == 4 && strcmp(argv[1], "fill") == 0)
		return (fill(argv[2], strtoul(argv[3], NULL, 10)));
	if (argc == 4 && strcmp(argv[1], "walk") == 0)
		return (walk(argv[2], atoi(argv[3]) > 0 ? atoi(argv[3]) : 1));
	if (argc == 4 && strcmp(argv[1], "move") == 0)
		return (move(argv[2], strtoul(argv[3], NULL, 10)));
	fprintf(stderr, "usage: ep_bench fill|walk|move IFNAME N\n");
	return (2);
}
