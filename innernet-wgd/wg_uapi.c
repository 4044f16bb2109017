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
 * Userspace WireGuard (wireguard-go and friends) over the UAPI socket in
 * /var/run/wireguard: "set=1" / "get=1" key=value lines ended by a blank
 * line, answered by "errno=N".  Keys travel in hex on this socket.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wgd.h"

#define UAPI_MAXREPLY	(64 * 1024 * 1024)
#define UAPI_TIMEOUT_MS	5000

unsigned long	uapi_peer_ops;

static int
uapi_path(const char *ifname, char *path, size_t len)
{
	if (!in_ifname_ok(ifname))
		return (-1);
	return ((size_t)snprintf(path, len, "%s/%s.sock", INNERNET_WGSOCKDIR,
	    ifname) >= len ? -1 : 0);
}

int
uapi_exists(const char *ifname)
{
	char		path[108];
	struct stat	st;

	return (uapi_path(ifname, path, sizeof(path)) == 0 &&
	    stat(path, &st) == 0 && S_ISSOCK(st.st_mode));
}

/*
 * Send a request and read the whole answer, up to the blank line that
 * ends it, within a bounded time and size.
 */
static int
uapi_call(const char *ifname, const char *req, size_t reqlen, char **ans,
    char *err, size_t errlen)
{
	struct sockaddr_un	 sun;
	struct pollfd		 pfd;
	char			*buf = NULL, *p;
	size_t			 len = 0, cap = 0, off;
	ssize_t			 n;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (uapi_path(ifname, sun.sun_path, sizeof(sun.sun_path)) == -1) {
		snprintf(err, errlen, "bad interface name");
		return (-1);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		snprintf(err, errlen, "%s: %s", sun.sun_path, strerror(errno));
		if (fd != -1)
			close(fd);
		return (-1);
	}
	for (off = 0; off < reqlen; off += n) {
		if ((n = write(fd, req + off, reqlen - off)) <= 0) {
			snprintf(err, errlen, "uapi write: %s",
			    strerror(errno));
			close(fd);
			return (-1);
		}
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			if (cap >= UAPI_MAXREPLY)
				goto toolong;
			cap = cap ? cap * 2 : 16384;
			if ((p = realloc(buf, cap)) == NULL)
				goto toolong;
			buf = p;
		}
		if (poll(&pfd, 1, UAPI_TIMEOUT_MS) <= 0) {
			snprintf(err, errlen, "uapi: no answer from %s",
			    ifname);
			goto fail;
		}
		if ((n = read(fd, buf + len, cap - len - 1)) < 0) {
			snprintf(err, errlen, "uapi read: %s", strerror(errno));
			goto fail;
		}
		len += n;
		buf[len] = '\0';
		if (n == 0 || (len >= 2 && strcmp(buf + len - 2, "\n\n") == 0) ||
		    (len == 1 && buf[0] == '\n'))
			break;
	}
	close(fd);
	*ans = buf;
	return (0);
toolong:
	snprintf(err, errlen, "uapi: answer too large");
fail:
	free(buf);
	close(fd);
	return (-1);
}

/* The errno=N line that ends every answer. */
static int
uapi_errno(const char *ans, char *err, size_t errlen)
{
	const char	*p;
	long		 e;

	if ((p = strstr(ans, "errno=")) == NULL ||
	    (p != ans && p[-1] != '\n')) {
		snprintf(err, errlen, "uapi: answer without errno");
		return (-1);
	}
	e = strtol(p + 6, NULL, 10);
	if (e != 0) {
		snprintf(err, errlen, "uapi: %s", strerror((int)e));
		return (-1);
	}
	return (0);
}

static int
uapi_set(const char *ifname, const char *body, size_t len, char *err,
    size_t errlen)
{
	char	*req, *ans = NULL;
	int	 rc;

	if ((req = malloc(len + 8)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	memcpy(req, "set=1\n", 6);
	memcpy(req + 6, body, len);
	req[6 + len] = '\n';
	rc = uapi_call(ifname, req, len + 7, &ans, err, errlen);
	free(req);
	if (rc == 0)
		rc = uapi_errno(ans, err, errlen);
	free(ans);
	return (rc);
}

int
uapi_set_key_port(const char *ifname, const char *priv, int port, char *err,
    size_t errlen)
{
	char	body[256], hex[65];
	int	n = 0;

	if (priv != NULL) {
		if (key_b64_to_hex(priv, hex) == -1) {
			snprintf(err, errlen, "bad private key");
			return (-1);
		}
		n = snprintf(body, sizeof(body), "private_key=%s\n", hex);
	}
	if (port >= 0)
		n += snprintf(body + n, sizeof(body) - n, "listen_port=%d\n",
		    port);
	return (uapi_set(ifname, body, n, err, errlen));
}

size_t
uapi_format_peer(const struct wg_peer *p, char *buf, size_t len)
{
	char	hex[65], pfx[IN_CIDRSTRSZ];
	size_t	n;
	int	i;

	if (key_b64_to_hex(p->public_key, hex) == -1)
		return (0);
	n = snprintf(buf, len, "public_key=%s\nreplace_allowed_ips=true\n",
	    hex);
	if (p->endpoint[0] != '\0' && n < len)
		n += snprintf(buf + n, len - n, "endpoint=%s\n", p->endpoint);
	if (n < len)
		n += snprintf(buf + n, len - n,
		    "persistent_keepalive_interval=%d\n",
		    p->keepalive > 0 ? p->keepalive : 0);
	for (i = 0; i < p->nallowed && n < len; i++) {
		if (in_prefix_str(&p->allowed[i], pfx, sizeof(pfx)) == -1)
			return (0);
		n += snprintf(buf + n, len - n, "allowed_ip=%s\n", pfx);
	}
	return (n < len ? n : 0);
}

int
uapi_peer_set(const char *ifname, const struct wg_peer *p, char *err,
    size_t errlen)
{
	char	buf[2048];
	size_t	n;

	if ((n = uapi_format_peer(p, buf, sizeof(buf))) == 0) {
		snprintf(err, errlen, "bad peer");
		return (-1);
	}
	uapi_peer_ops++;
	return (uapi_set(ifname, buf, n, err, errlen));
}

int
uapi_peer_remove(const char *ifname, const char *pub, char *err,
    size_t errlen)
{
	char	buf[128], hex[65];
	int	n;

	if (key_b64_to_hex(pub, hex) == -1) {
		snprintf(err, errlen, "bad public key");
		return (-1);
	}
	n = snprintf(buf, sizeof(buf), "public_key=%s\nremove=true\n", hex);
	uapi_peer_ops++;
	return (uapi_set(ifname, buf, n, err, errlen));
}

void
wg_device_free(struct wg_device *d)
{
	free(d->peers);
	d->peers = NULL;
	d->npeers = 0;
}

/* Parse a get=1 answer; unknown keys are ignored, malformed lines not. */
int
uapi_parse_get(const char *ans, struct wg_device *d)
{
	const char	*line = ans, *nl;
	char		 buf[512], *eq, *key, *val;
	struct wg_peer	*p = NULL, *np;
	size_t		 l;
	int		 got_errno = 0;

	memset(d, 0, sizeof(*d));
	while (*line != '\0') {
		nl = strchr(line, '\n');
		l = nl != NULL ? (size_t)(nl - line) : strlen(line);
		if (l == 0)
			break;
		if (l >= sizeof(buf))
			goto bad;
		memcpy(buf, line, l);
		buf[l] = '\0';
		line += l + (nl != NULL);
		if ((eq = strchr(buf, '=')) == NULL)
			goto bad;
		*eq = '\0';
		key = buf;
		val = eq + 1;
		if (strcmp(key, "public_key") == 0) {
			np = reallocarray(d->peers, d->npeers + 1,
			    sizeof(*np));
			if (np == NULL)
				goto bad;
			d->peers = np;
			p = &d->peers[d->npeers++];
			memset(p, 0, sizeof(*p));
			if (key_hex_to_b64(val, p->public_key) == -1)
				goto bad;
		} else if (strcmp(key, "listen_port") == 0 && p == NULL) {
			d->listen_port = (uint16_t)strtoul(val, NULL, 10);
		} else if (strcmp(key, "private_key") == 0 && p == NULL) {
			/* not kept: the key file is the truth */
		} else if (strcmp(key, "errno") == 0) {
			got_errno = 1;
			if (strtol(val, NULL, 10) != 0)
				goto bad;
		} else if (p == NULL) {
			continue;
		} else if (strcmp(key, "endpoint") == 0) {
			if (strlcpy(p->endpoint, val, sizeof(p->endpoint)) >=
			    sizeof(p->endpoint))
				goto bad;
		} else if (strcmp(key, "last_handshake_time_sec") == 0) {
			p->last_handshake = strtoll(val, NULL, 10);
		} else if (strcmp(key, "rx_bytes") == 0) {
			p->rx = strtoull(val, NULL, 10);
		} else if (strcmp(key, "tx_bytes") == 0) {
			p->tx = strtoull(val, NULL, 10);
		} else if (strcmp(key, "persistent_keepalive_interval") == 0) {
			p->keepalive = (int32_t)strtol(val, NULL, 10);
		} else if (strcmp(key, "allowed_ip") == 0) {
			if (p->nallowed >= IN_MAXALLOWEDIPS ||
			    in_prefix_parse(val, &p->allowed[p->nallowed]) ==
			    -1)
				goto bad;
			p->nallowed++;
		}
	}
	if (!got_errno)
		goto bad;
	return (0);
bad:
	wg_device_free(d);
	return (-1);
}

int
uapi_get(const char *ifname, struct wg_device *d, char *err, size_t errlen)
{
	char	*ans = NULL;

	if (uapi_call(ifname, "get=1\n\n", 7, &ans, err, errlen) == -1)
		return (-1);
	if (uapi_parse_get(ans, d) == -1) {
		snprintf(err, errlen, "uapi: malformed answer from %s",
		    ifname);
		free(ans);
		return (-1);
	}
	free(ans);
	return (0);
}

static const struct wg_peer *
find_peer(const struct wg_peer *peers, size_t n, const char *key)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(peers[i].public_key, key) == 0)
			return (&peers[i]);
	return (NULL);
}

static int
same_allowed(const struct wg_peer *a, const struct wg_peer *b)
{
	int	i;

	if (a->nallowed != b->nallowed)
		return (0);
	for (i = 0; i < a->nallowed; i++)
		if (a->allowed[i].len != b->allowed[i].len ||
		    in_ip_cmp(&a->allowed[i].ip, &b->allowed[i].ip) != 0)
			return (0);
	return (1);
}

/*
 * Make the device's peers what "want" says, sending only the difference:
 * new and changed peers, and removals.  An endpoint is only set when we
 * have one and it differs, so a roaming peer's observed endpoint stays.
 */
int
uapi_sync(const char *ifname, const struct wg_peer *want, size_t nwant,
    char *err, size_t errlen)
{
	struct wg_device	 cur;
	const struct wg_peer	*c;
	char			*body = NULL, *p, hex[65];
	size_t			 len = 0, cap = 0, i, n;
	int			 rc = 0, ka;

	if (uapi_get(ifname, &cur, err, errlen) == -1)
		return (-1);
	for (i = 0; i < nwant + cur.npeers; i++) {
		if (cap - len < 2048) {
			cap = cap ? cap * 2 : 65536;
			if ((p = realloc(body, cap)) == NULL) {
				snprintf(err, errlen, "out of memory");
				rc = -1;
				goto done;
			}
			body = p;
		}
		if (i < nwant) {
			c = find_peer(cur.peers, cur.npeers,
			    want[i].public_key);
			ka = want[i].keepalive > 0 ? want[i].keepalive : 0;
			if (c != NULL && same_allowed(c, &want[i]) &&
			    c->keepalive == ka && (want[i].endpoint[0] ==
			    '\0' || strcmp(c->endpoint, want[i].endpoint) ==
			    0))
				continue;
			if ((n = uapi_format_peer(&want[i], body + len,
			    cap - len)) == 0) {
				snprintf(err, errlen, "bad peer");
				rc = -1;
				goto done;
			}
		} else {
			c = &cur.peers[i - nwant];
			if (find_peer(want, nwant, c->public_key) != NULL)
				continue;
			if (key_b64_to_hex(c->public_key, hex) == -1)
				continue;
			n = snprintf(body + len, cap - len,
			    "public_key=%s\nremove=true\n", hex);
		}
		len += n;
		uapi_peer_ops++;
	}
	if (len > 0)
		rc = uapi_set(ifname, body, len, err, errlen);
done:
	free(body);
	wg_device_free(&cur);
	return (rc);
}
