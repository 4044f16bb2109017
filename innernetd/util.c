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
 * Parsing and checks every process needs: addresses, prefixes, names,
 * keys, endpoints.  Each process validates what it receives again with
 * these, so the rules live in one place.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sodium.h>

#include "innernet.h"

static int
ip_len(const struct in_ip *ip)
{
	return (ip->af == AF_INET ? 4 : 16);
}

int
in_ip_parse(const char *s, struct in_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (inet_pton(AF_INET, s, &ip->u.v4) == 1) {
		ip->af = AF_INET;
		return (0);
	}
	if (inet_pton(AF_INET6, s, &ip->u.v6) == 1) {
		ip->af = AF_INET6;
		return (0);
	}
	return (-1);
}

int
in_ip_str(const struct in_ip *ip, char *buf, size_t len)
{
	if (ip->af != AF_INET && ip->af != AF_INET6)
		return (-1);
	if (inet_ntop(ip->af, ip->u.b, buf, len) == NULL)
		return (-1);
	return (0);
}

int
in_ip_cmp(const struct in_ip *a, const struct in_ip *b)
{
	if (a->af != b->af)
		return (a->af < b->af ? -1 : 1);
	return (memcmp(a->u.b, b->u.b, ip_len(a)));
}

int
in_ip_is_unspecified(const struct in_ip *ip)
{
	static const uint8_t	zero[16];

	return (memcmp(ip->u.b, zero, ip_len(ip)) == 0);
}

static int
prefix_maxlen(uint8_t af)
{
	return (af == AF_INET ? 32 : 128);
}

/* Clear the host bits of ip beyond len. */
static void
ip_mask(struct in_ip *ip, int len)
{
	int	i, n = ip_len(ip);

	for (i = 0; i < n; i++) {
		if (len >= 8) {
			len -= 8;
			continue;
		}
		ip->u.b[i] &= (uint8_t)(0xff << (8 - len));
		len = 0;
	}
}

int
in_prefix_parse_host(const char *s, struct in_prefix *p, struct in_ip *host)
{
	char		 buf[IN_CIDRSTRSZ], *slash, *end;
	long		 len;
	struct in_ip	 ip;

	if (strlcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		return (-1);
	if ((slash = strchr(buf, '/')) == NULL)
		return (-1);
	*slash++ = '\0';
	if (*slash == '\0' || !isdigit((unsigned char)*slash))
		return (-1);
	errno = 0;
	len = strtol(slash, &end, 10);
	if (errno != 0 || *end != '\0')
		return (-1);
	if (in_ip_parse(buf, &ip) == -1)
		return (-1);
	if (len < 0 || len > prefix_maxlen(ip.af))
		return (-1);
	if (host != NULL)
		*host = ip;
	memset(p, 0, sizeof(*p));
	p->ip = ip;
	p->len = (uint8_t)len;
	ip_mask(&p->ip, p->len);
	return (0);
}

int
in_prefix_parse(const char *s, struct in_prefix *p)
{
	return (in_prefix_parse_host(s, p, NULL));
}

int
in_prefix_str(const struct in_prefix *p, char *buf, size_t len)
{
	char	a[IN_ADDRSTRSZ];
	int	n;

	if (in_ip_str(&p->ip, a, sizeof(a)) == -1)
		return (-1);
	n = snprintf(buf, len, "%s/%u", a, p->len);
	if (n < 0 || (size_t)n >= len)
		return (-1);
	return (0);
}

int
in_prefix_contains(const struct in_prefix *p, const struct in_ip *ip)
{
	struct in_ip	m;

	if (p->ip.af != ip->af)
		return (0);
	m = *ip;
	ip_mask(&m, p->len);
	return (memcmp(m.u.b, p->ip.u.b, ip_len(ip)) == 0);
}

/* Is inner entirely inside outer? */
int
in_prefix_within(const struct in_prefix *inner, const struct in_prefix *outer)
{
	return (inner->len >= outer->len &&
	    in_prefix_contains(outer, &inner->ip));
}

int
in_prefix_overlaps(const struct in_prefix *a, const struct in_prefix *b)
{
	return (in_prefix_within(a, b) || in_prefix_within(b, a));
}

/*
 * Is the prefix a network (host bits zero), not /0, and inside one of
 * the ranges root's configuration allows innernet?
 */
int
in_prefix_in_ranges(const struct in_prefix *p, const struct in_prefix *r,
    size_t n)
{
	size_t	i;

	if ((p->ip.af != AF_INET && p->ip.af != AF_INET6) || p->len == 0 ||
	    p->len > ip_len(&p->ip) * 8 || !in_prefix_contains(p, &p->ip))
		return (0);
	for (i = 0; i < n; i++)
		if (r[i].len > 0 && in_prefix_within(p, &r[i]))
			return (1);
	return (0);
}

/* allowed-ranges by default: the private and unique-local ranges. */
void
in_ranges_default(struct in_prefix *r, size_t *n)
{
	static const char	*def[] = { "10.0.0.0/8", "172.16.0.0/12",
	    "192.168.0.0/16", "100.64.0.0/10", "fc00::/7" };
	size_t			 i;

	for (i = 0; i < sizeof(def) / sizeof(def[0]); i++)
		if (in_prefix_parse(def[i], &r[i]) == -1)
			abort();
	*n = i;
}

/*
 * The network and broadcast addresses of a prefix are not usable by a
 * peer (upstream applies the rule to IPv6 as well).
 */
int
in_prefix_is_network_or_broadcast(const struct in_prefix *p,
    const struct in_ip *ip)
{
	struct in_ip	bcast;
	int		i, n, len;

	if (!in_prefix_contains(p, ip))
		return (0);
	if (p->len >= prefix_maxlen(p->ip.af) - 1)
		return (0);
	if (in_ip_cmp(&p->ip, ip) == 0)
		return (1);
	bcast = p->ip;
	n = ip_len(&bcast);
	len = p->len;
	for (i = 0; i < n; i++) {
		if (len >= 8) {
			len -= 8;
			continue;
		}
		bcast.u.b[i] |= (uint8_t)(0xff >> len);
		len = 0;
	}
	return (in_ip_cmp(&bcast, ip) == 0);
}

void
in_prefix_host(const struct in_ip *ip, struct in_prefix *p)
{
	memset(p, 0, sizeof(*p));
	p->ip = *ip;
	p->len = (uint8_t)prefix_maxlen(ip->af);
}

/* hostname(7) as upstream: ^([a-z0-9]-?)*[a-z0-9]$, shorter than 64. */
int
in_hostname_ok(const char *s)
{
	size_t	i, n;

	n = strnlen(s, IN_NAMESZ);
	if (n == 0 || n >= IN_NAMESZ)
		return (0);
	for (i = 0; i < n; i++) {
		if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9'))
			continue;
		if (s[i] != '-' || i == 0 || i == n - 1 || s[i - 1] == '-')
			return (0);
	}
	return (1);
}

int
in_ifname_ok(const char *s)
{
	return (strnlen(s, IN_IFNAMSZ) < IN_IFNAMSZ && in_hostname_ok(s));
}

int
in_key_ok(const char *s)
{
	unsigned char	bin[32];
	size_t		binlen;

	if (strnlen(s, IN_KEYSZ) != IN_KEYSZ - 1)
		return (0);
	if (sodium_base642bin(bin, sizeof(bin), s, IN_KEYSZ - 1, NULL,
	    &binlen, NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
		return (0);
	return (binlen == sizeof(bin));
}

/* A DNS name as url::Host accepts it, kept simple: labels of [A-Za-z0-9_-]. */
static int
dnsname_ok(const char *s)
{
	size_t	i, n, label = 0;

	n = strlen(s);
	if (n == 0 || n >= IN_HOSTSZ)
		return (0);
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return (0);
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_')
			return (0);
		if (++label > 63)
			return (0);
	}
	return (1);
}

/*
 * "host:port" split at the last colon, as upstream does; IPv6 hosts come
 * in brackets.  host receives the address or name without brackets.
 */
int
in_endpoint_parse(const char *s, char *host, size_t hostsz, uint16_t *port)
{
	const char	*colon, *h;
	char		 buf[IN_ENDPOINTSZ], *end;
	size_t		 hlen;
	long		 p;
	struct in_ip	 ip;

	if (strnlen(s, IN_ENDPOINTSZ) >= IN_ENDPOINTSZ)
		return (-1);
	if ((colon = strrchr(s, ':')) == NULL || colon == s)
		return (-1);
	if (colon[1] == '\0' || strlen(colon + 1) > 5)
		return (-1);
	for (end = (char *)colon + 1; *end != '\0'; end++)
		if (!isdigit((unsigned char)*end))
			return (-1);
	p = strtol(colon + 1, NULL, 10);
	if (p < 0 || p > 65535)
		return (-1);

	h = s;
	hlen = colon - s;
	if (h[0] == '[') {
		if (hlen < 3 || h[hlen - 1] != ']')
			return (-1);
		h++;
		hlen -= 2;
	}
	if (hlen >= sizeof(buf))
		return (-1);
	memcpy(buf, h, hlen);
	buf[hlen] = '\0';
	if (s[0] == '[') {
		if (in_ip_parse(buf, &ip) == -1 || ip.af != AF_INET6)
			return (-1);
	} else if (in_ip_parse(buf, &ip) == 0) {
		if (ip.af != AF_INET)	/* bare IPv6 needs brackets */
			return (-1);
	} else if (!dnsname_ok(buf))
		return (-1);
	if (host != NULL && strlcpy(host, buf, hostsz) >= hostsz)
		return (-1);
	if (port != NULL)
		*port = (uint16_t)p;
	return (0);
}

int
in_endpoint_ok(const char *s)
{
	return (in_endpoint_parse(s, NULL, 0, NULL) == 0);
}

/*
 * What is wrong with an address as a place to send another peer's
 * WireGuard traffic, or NULL: loopback, link-local, multicast and
 * broadcast addresses would point every peer at itself or its own link,
 * and "this network" (0.0.0.0/8, ::) at nothing.  IPv4 inside IPv6
 * (::ffff:a.b.c.d) is the IPv4 address.
 */
static const char *
ip_problem(const struct in_ip *ip)
{
	static const uint8_t	 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				    0xff, 0xff };
	const uint8_t		*b = ip->u.b;

	if (ip->af == AF_INET6 && memcmp(b, mapped, sizeof(mapped)) == 0)
		b += sizeof(mapped);
	else if (ip->af == AF_INET6) {
		if (in_ip_is_unspecified(ip))
			return ("unspecified");
		if (IN6_IS_ADDR_LOOPBACK(&ip->u.v6))
			return ("loopback");
		if (IN6_IS_ADDR_MULTICAST(&ip->u.v6))
			return ("multicast");
		if (IN6_IS_ADDR_LINKLOCAL(&ip->u.v6))
			return ("link-local");
		return (NULL);
	}
	if (b[0] == 0)
		return ("unspecified");
	if (b[0] == 127)
		return ("loopback");
	if (b[0] >= 224 && b[0] <= 239)
		return ("multicast");
	if (b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255)
		return ("broadcast");
	if (b[0] == 169 && b[1] == 254)
		return ("link-local");
	return (NULL);
}

/*
 * Why an endpoint or candidate a peer hands the server must be refused,
 * or NULL if it may be given to other peers.  Upstream accepts these,
 * but each one points other peers' WireGuard at themselves, their own
 * link or nowhere.  With "override", an unspecified address with a port
 * is the documented form that asks the server for the address it sees
 * (unspecified_ip_in_override_endpoint).  Names are not resolved here,
 * except that localhost is loopback by definition (RFC 6761).
 */
const char *
in_endpoint_problem(const char *s, int override)
{
	char		 host[IN_HOSTSZ];
	const char	*why;
	size_t		 l;
	uint16_t	 port;
	struct in_ip	 ip;

	if (in_endpoint_parse(s, host, sizeof(host), &port) == -1)
		return ("not host:port");
	if (port == 0)
		return ("port 0");
	if (in_ip_parse(host, &ip) == -1) {
		l = strlen(host);
		if (l > 0 && host[l - 1] == '.')
			host[--l] = '\0';
		if (strcasecmp(host, "localhost") == 0 || (l > 10 &&
		    strcasecmp(host + l - 10, ".localhost") == 0))
			return ("loopback");
		return (NULL);
	}
	if ((why = ip_problem(&ip)) == NULL)
		return (NULL);
	if (override && in_ip_is_unspecified(&ip))
		return (NULL);
	return (why);
}

/*
 * The all-zero key and the other points of small order on Curve25519
 * (and their non-canonical encodings): a peer with such a public key
 * shares a secret anyone can compute.  libsodium refuses exactly these
 * in crypto_scalarmult(), whatever the scalar.
 */
int
in_key_weak(const char *s)
{
	static const unsigned char	scalar[crypto_scalarmult_SCALARBYTES] =
					    { 1 };
	unsigned char			bin[32], q[crypto_scalarmult_BYTES];
	size_t				binlen;
	int				weak;

	if (sodium_base642bin(bin, sizeof(bin), s, strlen(s), NULL, &binlen,
	    NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    binlen != sizeof(bin))
		return (1);
	weak = crypto_scalarmult(q, scalar, bin) != 0;
	sodium_memzero(q, sizeof(q));
	return (weak);
}

int
in_endpoint_numeric(const char *s, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	char			 host[IN_HOSTSZ];
	uint16_t		 port;
	struct in_ip		 ip;
	struct sockaddr_in	*sin;
	struct sockaddr_in6	*sin6;

	if (in_endpoint_parse(s, host, sizeof(host), &port) == -1)
		return (-1);
	if (in_ip_parse(host, &ip) == -1)
		return (-1);
	memset(ss, 0, sizeof(*ss));
	if (ip.af == AF_INET) {
		sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr = ip.u.v4;
		*sslen = sizeof(*sin);
	} else {
		sin6 = (struct sockaddr_in6 *)ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sin6->sin6_addr = ip.u.v6;
		*sslen = sizeof(*sin6);
	}
	return (0);
}

int
in_sockaddr_endpoint(const struct sockaddr *sa, char *buf, size_t len)
{
	char				 a[IN_ADDRSTRSZ];
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;
	int				 n;

	switch (sa->sa_family) {
	case AF_INET:
		sin = (const struct sockaddr_in *)sa;
		if (inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a)) == NULL)
			return (-1);
		n = snprintf(buf, len, "%s:%u", a, ntohs(sin->sin_port));
		break;
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *)sa;
		if (inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a)) ==
		    NULL)
			return (-1);
		n = snprintf(buf, len, "[%s]:%u", a, ntohs(sin6->sin6_port));
		break;
	default:
		return (-1);
	}
	if (n < 0 || (size_t)n >= len)
		return (-1);
	return (0);
}

/*
 * The candidates trailing a struct in_peer: exactly ncandidates valid
 * endpoints, each NUL-terminated, filling exactly len bytes.
 */
int
in_peer_candidates_ok(const struct in_peer *p, const void *data, size_t len)
{
	const char	*s = data, *end = s + len;
	size_t		 n = 0, l;

	if (len != p->candidates_len || p->ncandidates > IN_MAXCANDIDATES ||
	    len > IN_CANDIDATES_MAXLEN)
		return (0);
	while (s < end) {
		l = strnlen(s, end - s);
		if (s + l == end)	/* not terminated */
			return (0);
		if (!in_endpoint_ok(s))
			return (0);
		s += l + 1;
		n++;
	}
	return (n == p->ncandidates);
}

const char *
in_imsg_name(unsigned int type)
{
	static const char *names[] = {
		"NONE",
		"CONF_GLOBAL", "CONF_NETOPTS", "CONF_END",
		"PROCINFO_REQ", "PROCINFO", "PARENT_WGGO_START",
		"PARENT_HOSTS", "PARENT_HOSTS_END",
		"DB_OK", "DB_ERR", "DB_END", "DB_NETWORK", "DB_PEER", "DB_CIDR",
		"DB_ASSOC", "DB_NETWORKS_REQ", "DB_NETWORK_CREATE",
		"DB_NETWORK_UPDATE", "DB_NETWORK_DELETE", "DB_NETWORK_IMPORT",
		"DB_LOAD",
		"DB_PEER_ADD", "DB_PEER_UPDATE", "DB_PEER_REDEEM",
		"DB_CIDR_ADD", "DB_CIDR_UPDATE", "DB_CIDR_DELETE",
		"DB_ASSOC_ADD", "DB_ASSOC_DELETE", "DB_PEER_EXPIRED",
		"DB_PEER_DELETE", "DB_OVERRIDE",
		"DB_STORE_BEGIN", "DB_STORE_END",
		"WG_OK", "WG_ERR", "WG_END", "WG_IF_UP", "WG_IF_DOWN",
		"WG_KEY_SET", "WG_KEY_NEW", "WG_KEY_PENDING", "WG_KEY_COMMIT",
		"WG_KEY_ABORT", "WG_KEY_DELETE", "WG_KEY", "WG_LISTEN_PORT",
		"WG_PEER_SET", "WG_PEER_REMOVE", "WG_SYNC_BEGIN",
		"WG_SYNC_PEER", "WG_SYNC_END", "WG_STATS_REQ", "WG_STAT",
		"WG_ADDRS_REQ", "WG_ADDR", "WG_ENDPOINTS_REQ",
		"CTL_DATA", "CTL_END", "CTL_PROGRESS",
		"CONF_RANGE",
		"PARENT_LINK_REQ", "PARENT_LINK",
		"DB_VERSION_GET", "DB_VERSION_SET", "DB_VERSION",
	};
	/* a type added to the enum and not here fails the build */
	_Static_assert(sizeof(names) / sizeof(names[0]) == IMSG_MAX,
	    "in_imsg_name: one name per imsg type");

	if (type < sizeof(names) / sizeof(names[0]) && type < IMSG_MAX)
		return (names[type]);
	return ("UNKNOWN");
}

#ifdef IN_REGRESS
/* Regress builds only: does the environment name this process? */
int
regress_violate_wanted(const char *proc)
{
	const char	*v;

	return ((v = getenv(IN_REGRESS_VIOLATE_ENV)) != NULL &&
	    strcmp(v, proc) == 0);
}

/* One escape attempt: 0 done (escaped), -1 refused with errno set. */
static int
regress_escape(const char *kind, const char *arg)
{
	struct sockaddr_un	 sun;
	char			*argv[] = { (char *)arg, NULL };
	const char		*e;
	long			 n;
	int			 s, rc;

	if (strcmp(kind, "open") == 0) {
		if ((s = open(arg, O_RDONLY)) == -1)
			return (-1);
		close(s);
		return (0);
	}
	if (strcmp(kind, "chmod") == 0)
		return (chmod(arg, 04777));
	if (strcmp(kind, "exec") == 0)
		return (execv(arg, argv));
	if (strcmp(kind, "kill") == 0) {
		n = strtol(arg, NULL, 10);
		return (kill((pid_t)n, SIGTERM));
	}
	if (strcmp(kind, "netlink") == 0) {
		n = strtol(arg, NULL, 10);
		if ((s = socket(AF_NETLINK, SOCK_RAW, (int)n)) == -1)
			return (-1);
		close(s);
		return (0);
	}
	if (strcmp(kind, "connect") == 0 || strcmp(kind, "abstract") == 0) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		/* an abstract name starts with a NUL byte */
		e = kind[0] == 'a' ? "" : NULL;
		if (strlcpy(sun.sun_path + (e != NULL), arg,
		    sizeof(sun.sun_path) - 1) >= sizeof(sun.sun_path) - 1)
			fatalx("regress: %s too long", arg);
		if ((s = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
			return (-1);
		rc = connect(s, (struct sockaddr *)&sun, e != NULL ?
		    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
		    strlen(arg)) : (socklen_t)sizeof(sun));
		close(s);
		return (rc);
	}
	fatalx("regress: unknown escape %s", kind);
}

/*
 * Regress builds only: make a call no process of the set may make.  A
 * working sandbox kills us here; if we are still alive, say so loudly.
 * With INNERNET_REGRESS_OPEN set, open that file instead; with
 * INNERNET_REGRESS_ESCAPE set to KIND:ARG, try that escape (open, chmod
 * to 04777, connect to a UNIX socket, an abstract one, a netlink socket
 * of a protocol, exec, kill with SIGTERM).  The sandbox refuses it and
 * we go on, or kills us, or we have escaped and stop.
 */
void
regress_violate(const char *proc)
{
	char		 esc[256], *arg;
	const char	*path;
	int		 s;

	if ((path = getenv("INNERNET_REGRESS_ESCAPE")) != NULL) {
		if (strlcpy(esc, path, sizeof(esc)) >= sizeof(esc) ||
		    (arg = strchr(esc, ':')) == NULL)
			fatalx("regress: bad INNERNET_REGRESS_ESCAPE");
		*arg++ = '\0';
		log_warnx("regress: %s attempts %s %s", proc, esc, arg);
		if (regress_escape(esc, arg) == 0)
			fatalx("regress: %s escaped: %s %s", proc, esc, arg);
		log_warnx("regress: %s refused %s %s: %s", proc, esc, arg,
		    strerror(errno));
		return;
	}
	if ((path = getenv("INNERNET_REGRESS_OPEN")) != NULL) {
		if ((s = open(path, O_RDONLY)) != -1)
			fatalx("regress: %s was not stopped from opening %s",
			    proc, path);
		log_warnx("regress: %s cannot open %s: %s", proc, path,
		    strerror(errno));
		return;
	}
	log_warnx("regress: %s attempts socket(AF_PACKET)", proc);
	s = socket(AF_PACKET, SOCK_RAW, 0);
	if (s != -1)
		close(s);
	fatalx("regress: %s was not stopped by its sandbox", proc);
}
#endif /* IN_REGRESS */
