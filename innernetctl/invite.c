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
 * Invitation files: the small TOML subset upstream writes for an
 * interface configuration.  Two tables, [interface] and [server], keys
 * with quoted strings or integers, comments and blank lines.  Anything
 * else, any unknown or repeated key, or a value that does not check out,
 * is refused.  Written 0600 via a temporary file and rename.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "innernetctl.h"

/*
 * jansson's strings may hold a private key (an invitation's): every
 * block it frees is zeroed first.  Its free hook is given no size; the
 * allocator knows it.
 */
static void
json_zfree(void *p)
{
	if (p == NULL)
		return;
	explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

static void __attribute__((__constructor__))
json_zero_on_free(void)
{
	json_set_alloc_funcs(malloc, json_zfree);
}

#define INVITE_MAXSIZE	8192

enum { T_NONE, T_INTERFACE, T_SERVER };

static int
fail(char *err, size_t errlen, int line, const char *msg)
{
	snprintf(err, errlen, "line %d: %s", line, msg);
	return (-1);
}

/* A basic string: "..." with the escapes \" \\ only. */
static int
parse_string(const char *s, char *out, size_t outlen)
{
	size_t	n = 0;

	if (*s++ != '"')
		return (-1);
	while (*s != '"') {
		if (*s == '\0' || (unsigned char)*s < 0x20)
			return (-1);
		if (*s == '\\') {
			s++;
			if (*s != '"' && *s != '\\')
				return (-1);
		}
		if (n + 1 >= outlen)
			return (-1);
		out[n++] = *s++;
	}
	out[n] = '\0';
	s++;
	while (*s == ' ' || *s == '\t')
		s++;
	return (*s == '\0' || *s == '#' ? 0 : -1);
}

int
invite_parse(const char *buf, size_t len, struct invitation *inv, char *err,
    size_t errlen)
{
	char		 line[1024], key[64], *p, *eq, *k, *v, *end;
	const char	*s = buf, *nl;
	int		 table = T_NONE, lineno = 0, seen = 0, bit;
	size_t		 l;
	long		 port;
	struct in_prefix pfx;
	struct in_ip	 ip;
	char		 host[IN_HOSTSZ];
	uint16_t	 pt;

	memset(inv, 0, sizeof(*inv));
	inv->listen_port = -1;
	if (len > INVITE_MAXSIZE || memchr(buf, '\0', len) != NULL)
		return (fail(err, errlen, 0, "not an invitation file"));
	while (s < buf + len) {
		lineno++;
		nl = memchr(s, '\n', buf + len - s);
		l = (nl != NULL ? nl : buf + len) - s;
		if (l >= sizeof(line))
			return (fail(err, errlen, lineno, "line too long"));
		memcpy(line, s, l);
		line[l] = '\0';
		s += l + (nl != NULL);
		if (l > 0 && line[l - 1] == '\r')
			line[--l] = '\0';
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '\0' || *p == '#')
			continue;
		if (*p == '[') {
			if (strncmp(p, "[interface]", 11) == 0 && (p[11] == '\0' ||
			    p[11] == ' ' || p[11] == '#'))
				bit = T_INTERFACE;
			else if (strncmp(p, "[server]", 8) == 0 && (p[8] ==
			    '\0' || p[8] == ' ' || p[8] == '#'))
				bit = T_SERVER;
			else
				return (fail(err, errlen, lineno,
				    "unknown table"));
			if (seen & (1 << (bit + 8)))
				return (fail(err, errlen, lineno,
				    "table given twice"));
			seen |= 1 << (bit + 8);
			table = bit;
			continue;
		}
		if ((eq = strchr(p, '=')) == NULL)
			return (fail(err, errlen, lineno, "expected key = "
			    "value"));
		*eq = '\0';
		k = p;
		for (end = eq; end > k && (end[-1] == ' ' || end[-1] == '\t');)
			*--end = '\0';
		for (v = eq + 1; *v == ' ' || *v == '\t'; v++)
			;
		if (strlcpy(key, k, sizeof(key)) >= sizeof(key))
			return (fail(err, errlen, lineno, "unknown key"));

#define KEY(t, name, b)	(table == (t) && strcmp(key, (name)) == 0 && \
	    (bit = (b)) != 0)
		if (KEY(T_INTERFACE, "network-name", 1)) {
			if (parse_string(v, inv->network_name,
			    sizeof(inv->network_name)) == -1 ||
			    !in_ifname_ok(inv->network_name))
				return (fail(err, errlen, lineno, "invalid "
				    "network-name"));
		} else if (KEY(T_INTERFACE, "address", 2)) {
			if (parse_string(v, inv->address,
			    sizeof(inv->address)) == -1 ||
			    in_prefix_parse_host(inv->address, &pfx, &ip) == -1)
				return (fail(err, errlen, lineno, "invalid "
				    "address"));
		} else if (KEY(T_INTERFACE, "private-key", 4)) {
			if (parse_string(v, inv->private_key,
			    sizeof(inv->private_key)) == -1 ||
			    !in_key_ok(inv->private_key))
				return (fail(err, errlen, lineno, "invalid "
				    "private-key"));
		} else if (KEY(T_INTERFACE, "listen-port", 8)) {
			port = strtol(v, &end, 10);
			while (*end == ' ' || *end == '\t')
				end++;
			if (v[0] < '0' || v[0] > '9' || (*end != '\0' &&
			    *end != '#') || port < 0 || port > 65535)
				return (fail(err, errlen, lineno, "invalid "
				    "listen-port"));
			inv->listen_port = (int)port;
		} else if (KEY(T_SERVER, "public-key", 16)) {
			if (parse_string(v, inv->server_public_key,
			    sizeof(inv->server_public_key)) == -1 ||
			    !in_key_ok(inv->server_public_key))
				return (fail(err, errlen, lineno, "invalid "
				    "public-key"));
		} else if (KEY(T_SERVER, "external-endpoint", 32)) {
			if (parse_string(v, inv->external_endpoint,
			    sizeof(inv->external_endpoint)) == -1 ||
			    !in_endpoint_ok(inv->external_endpoint))
				return (fail(err, errlen, lineno, "invalid "
				    "external-endpoint"));
		} else if (KEY(T_SERVER, "internal-endpoint", 64)) {
			if (parse_string(v, inv->internal_endpoint,
			    sizeof(inv->internal_endpoint)) == -1 ||
			    in_endpoint_parse(inv->internal_endpoint, host,
			    sizeof(host), &pt) == -1 ||
			    in_ip_parse(host, &ip) == -1)
				return (fail(err, errlen, lineno, "invalid "
				    "internal-endpoint"));
		} else
			return (fail(err, errlen, lineno, "unknown key"));
#undef KEY
		if (seen & bit)
			return (fail(err, errlen, lineno, "key given twice"));
		seen |= bit;
	}
	if ((seen & 0x77) != 0x77)
		return (fail(err, errlen, lineno, "incomplete invitation: "
		    "network-name, address, private-key, public-key, "
		    "external-endpoint and internal-endpoint are required"));
	return (0);
}

int
invite_read(const char *path, struct invitation *inv, char *err,
    size_t errlen)
{
	char	buf[INVITE_MAXSIZE + 1], msg[256];
	ssize_t	n;
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0 || n > INVITE_MAXSIZE) {
		snprintf(err, errlen, "%s: not an invitation file", path);
		return (-1);
	}
	if (invite_parse(buf, n, inv, msg, sizeof(msg)) == -1) {
		snprintf(err, errlen, "%s: %s", path, msg);
		return (-1);
	}
	return (0);
}

/* The layout upstream's TOML serialiser produces. */
int
invite_format(const struct invitation *inv, char *buf, size_t len)
{
	char	port[32] = "";
	int	n;

	if (inv->listen_port >= 0)
		snprintf(port, sizeof(port), "listen-port = %d\n",
		    inv->listen_port);
	n = snprintf(buf, len, "[interface]\nnetwork-name = \"%s\"\n"
	    "address = \"%s\"\nprivate-key = \"%s\"\n%s\n[server]\n"
	    "public-key = \"%s\"\nexternal-endpoint = \"%s\"\n"
	    "internal-endpoint = \"%s\"\n", inv->network_name, inv->address,
	    inv->private_key, port, inv->server_public_key,
	    inv->external_endpoint, inv->internal_endpoint);
	return (n < 0 || (size_t)n >= len ? -1 : n);
}

int
invite_write(const char *path, const struct invitation *inv, char *err,
    size_t errlen)
{
	char	buf[INVITE_MAXSIZE], tmp[PATH_MAX];
	int	fd, n;

	if ((n = invite_format(inv, buf, sizeof(buf))) == -1) {
		snprintf(err, errlen, "invitation too large");
		return (-1);
	}
	if (access(path, F_OK) == 0) {
		snprintf(err, errlen, "%s exists already; choose another "
		    "--save-config", path);
		return (-1);
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >=
	    sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return (-1);
	}
	if ((fd = mkstemp(tmp)) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return (-1);
	}
	if (fchmod(fd, 0600) == -1 || write(fd, buf, n) != n ||
	    fsync(fd) == -1 || close(fd) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		unlink(tmp);
		return (-1);
	}
	/* link() refuses to replace a file that appeared meanwhile. */
	if (link(tmp, path) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return (-1);
	}
	unlink(tmp);
	return (0);
}

/*
 * add-peer claims the invitation's file before the peer exists: a path
 * that cannot be written is found out while nothing is used up yet.
 * The file is created empty, 0600, and never replaces another.
 */
int
invite_reserve(const char *path, char *err, size_t errlen)
{
	int	fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) == -1) {
		if (errno == EEXIST)
			snprintf(err, errlen, "%s exists already; choose "
			    "another --save-config", path);
		else
			snprintf(err, errlen, "cannot write the invitation "
			    "to %s: %s", path, strerror(errno));
		return (-1);
	}
	if (fchmod(fd, 0600) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return (-1);
	}
	return (fd);
}

/* Fill a reserved file; closes fd either way. */
int
invite_fill(int fd, const char *path, const struct invitation *inv,
    char *err, size_t errlen)
{
	char	buf[INVITE_MAXSIZE];
	int	n;

	if ((n = invite_format(inv, buf, sizeof(buf))) == -1) {
		snprintf(err, errlen, "invitation too large");
		close(fd);
		return (-1);
	}
	if (write(fd, buf, n) != n || fsync(fd) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		explicit_bzero(buf, sizeof(buf));
		close(fd);
		return (-1);
	}
	explicit_bzero(buf, sizeof(buf));
	if (close(fd) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	return (0);
}

json_t *
invite_json(const struct invitation *inv)
{
	json_t	*o;

	o = json_pack("{s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s}}",
	    "interface", "network_name", inv->network_name, "address",
	    inv->address, "private_key", inv->private_key,
	    "server", "public_key", inv->server_public_key,
	    "external_endpoint", inv->external_endpoint,
	    "internal_endpoint", inv->internal_endpoint);
	if (o != NULL && inv->listen_port >= 0)
		json_object_set_new(json_object_get(o, "interface"),
		    "listen_port", json_integer(inv->listen_port));
	return (o);
}

/*
 * upstream innernet-server's configuration: top-level private-key,
 * listen-port, address and network-cidr-prefix, nothing else.
 */
int
server_conf_read(const char *path, struct server_conf *sc, char *err,
    size_t errlen)
{
	char		 buf[INVITE_MAXSIZE + 1], line[1024], *p, *eq, *v, *end;
	const char	*s, *nl;
	struct in_ip	 ip;
	ssize_t		 n;
	size_t		 l;
	long		 num;
	int		 fd, lineno = 0, seen = 0;

	memset(sc, 0, sizeof(*sc));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0 || n > INVITE_MAXSIZE || memchr(buf, '\0', n) != NULL) {
		snprintf(err, errlen, "%s: not a server configuration", path);
		return (-1);
	}
	for (s = buf; s < buf + n; s += l + (nl != NULL)) {
		lineno++;
		nl = memchr(s, '\n', buf + n - s);
		l = (nl != NULL ? nl : buf + n) - s;
		if (l >= sizeof(line))
			goto bad;
		memcpy(line, s, l);
		line[l] = '\0';
		line[strcspn(line, "\r")] = '\0';
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '\0' || *p == '#')
			continue;
		if ((eq = strchr(p, '=')) == NULL)
			goto bad;
		for (end = eq; end > p && (end[-1] == ' ' || end[-1] == '\t');)
			end--;
		*end = '\0';
		for (v = eq + 1; *v == ' ' || *v == '\t'; v++)
			;
		if (strcmp(p, "private-key") == 0 && !(seen & 1)) {
			if (parse_string(v, sc->private_key,
			    sizeof(sc->private_key)) == -1 ||
			    !in_key_ok(sc->private_key))
				goto bad;
			seen |= 1;
		} else if (strcmp(p, "address") == 0 && !(seen & 2)) {
			if (parse_string(v, sc->address,
			    sizeof(sc->address)) == -1 ||
			    in_ip_parse(sc->address, &ip) == -1)
				goto bad;
			seen |= 2;
		} else if ((strcmp(p, "listen-port") == 0 && !(seen & 4)) ||
		    (strcmp(p, "network-cidr-prefix") == 0 && !(seen & 8))) {
			num = strtol(v, &end, 10);
			while (*end == ' ' || *end == '\t')
				end++;
			if (end == v || (*end != '\0' && *end != '#'))
				goto bad;
			if (p[0] == 'l') {
				if (num < 1 || num > 65535)
					goto bad;
				sc->listen_port = (int)num;
				seen |= 4;
			} else {
				if (num < 0 || num > 128)
					goto bad;
				sc->prefix = (int)num;
				seen |= 8;
			}
		} else
			goto bad;
	}
	if (seen != 15) {
		snprintf(err, errlen, "%s: private-key, listen-port, address "
		    "and network-cidr-prefix are all needed", path);
		return (-1);
	}
	return (0);
 bad:
	snprintf(err, errlen, "%s: line %d: not upstream's server "
	    "configuration", path, lineno);
	return (-1);
}
