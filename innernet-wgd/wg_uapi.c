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
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "wgd.h"

#define UAPI_MAXREPLY	(64 * 1024 * 1024)
/*
 * How long an answer may take to start, and each later read: userspace
 * WireGuard answers only once it has applied the whole request, and with
 * tens of thousands of peers its garbage collector alone can pause it
 * for seconds on a busy machine.  Large requests get 1 ms per 64 bytes
 * more (about 2 ms a peer, several times what it takes to apply one).
 */
#define UAPI_TIMEOUT_MS	15000
#define UAPI_BYTES_PER_MS 64
#define UAPI_MAXEXTRA	(10 * 60 * 1000)
#define UAPI_MAXPEERS	(1024 * 1024)

unsigned long	uapi_peer_ops;

static int
uapi_path(const char *ifname, char *path, size_t len)
{
	if (!in_ifname_ok(ifname))
		return (-1);
	return ((size_t)snprintf(path, len, "%s/%s.sock", INNERNET_WGSOCKDIR,
	    ifname) >= len ? -1 : 0);
}

/*
 * A socket nobody listens on is the leftover of a userspace WireGuard
 * that was killed (its interface went with it): the interface does not
 * exist, and bringing it up starts the program again, which replaces
 * the socket.
 */
int
uapi_exists(const char *ifname)
{
	struct sockaddr_un	sun;
	struct stat		st;
	int			fd, rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (uapi_path(ifname, sun.sun_path, sizeof(sun.sun_path)) == -1 ||
	    stat(sun.sun_path, &st) == -1 || !S_ISSOCK(st.st_mode))
		return (0);
	/* non-blocking: a full backlog is a live program too */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1)
		return (1);	/* cannot tell: as before */
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 ||
	    errno != ECONNREFUSED;
	close(fd);
	return (rc);
}

/*
 * Connect to the interface's socket and send a request; the descriptor
 * to read the answer from, and how long each read may wait, or -1.
 */
static int
uapi_request(const char *ifname, const char *req, size_t reqlen,
    int *timeoutp, char *err, size_t errlen)
{
	struct sockaddr_un	 sun;
	struct timeval		 tv;
	size_t			 off;
	ssize_t			 n;
	int			 fd, timeout;

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
	timeout = UAPI_TIMEOUT_MS + (reqlen / UAPI_BYTES_PER_MS <
	    UAPI_MAXEXTRA ? (int)(reqlen / UAPI_BYTES_PER_MS) : UAPI_MAXEXTRA);
	/* A writer that stops reading must not hold wgd either. */
	tv.tv_sec = timeout / 1000;
	tv.tv_usec = (timeout % 1000) * 1000;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	for (off = 0; off < reqlen; off += n) {
		if ((n = write(fd, req + off, reqlen - off)) <= 0) {
			snprintf(err, errlen, "uapi write: %s",
			    strerror(errno));
			close(fd);
			return (-1);
		}
	}
	*timeoutp = timeout;
	return (fd);
}

/*
 * A get=1 answer holds the interface's private key, a set=1 request may:
 * their buffers are zeroed before they are freed, and grown by copy, not
 * realloc, which could leave the old block as it was.
 */
static void
uapi_free(char *buf, size_t len)
{
	if (buf == NULL)
		return;
	explicit_bzero(buf, len);
	free(buf);
}

/*
 * Send a request and read the whole answer, up to the blank line that
 * ends it, within a bounded time and size.
 */
static int
uapi_call(const char *ifname, const char *req, size_t reqlen, char **ans,
    size_t *anslen, char *err, size_t errlen)
{
	struct pollfd		 pfd;
	char			*buf = NULL, *p;
	size_t			 len = 0, cap = 0;
	ssize_t			 n;
	int			 fd, timeout;

	if ((fd = uapi_request(ifname, req, reqlen, &timeout, err,
	    errlen)) == -1)
		return (-1);
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			if (cap >= UAPI_MAXREPLY)
				goto toolong;
			if ((p = malloc(cap ? cap * 2 : 16384)) == NULL)
				goto toolong;
			if (len > 0)
				memcpy(p, buf, len);
			uapi_free(buf, cap);
			cap = cap ? cap * 2 : 16384;
			buf = p;
		}
		if (poll(&pfd, 1, timeout) <= 0) {
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
		if (n == 0 || (len >= 2 &&
		    strcmp(buf + len - 2, "\n\n") == 0) ||
		    (len == 1 && buf[0] == '\n'))
			break;
	}
	close(fd);
	*ans = buf;
	*anslen = len;
	return (0);
toolong:
	snprintf(err, errlen, "uapi: answer too large");
fail:
	uapi_free(buf, cap);
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
	size_t	 anslen;
	int	 rc;

	if ((req = malloc(len + 8)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	memcpy(req, "set=1\n", 6);
	memcpy(req + 6, body, len);
	req[6 + len] = '\n';
	rc = uapi_call(ifname, req, len + 7, &ans, &anslen, err, errlen);
	uapi_free(req, len + 8);
	if (rc == 0) {
		rc = uapi_errno(ans, err, errlen);
		uapi_free(ans, anslen);
	}
	return (rc);
}

/* Private key, listen port, fwmark: whichever are given. */
int
uapi_set_device(const char *ifname, const struct wg_settings *ws, char *err,
    size_t errlen)
{
	char	body[256], hex[65];
	size_t	n = 0;
	int	rc;

	body[0] = '\0';
	if (ws->private_key != NULL) {
		if (key_b64_to_hex(ws->private_key, hex) == -1) {
			snprintf(err, errlen, "bad private key");
			return (-1);
		}
		n = snprintf(body, sizeof(body), "private_key=%s\n", hex);
		explicit_bzero(hex, sizeof(hex));
	}
	if (ws->listen_port >= 0 && ws->listen_port <= 65535)
		n += snprintf(body + n, sizeof(body) - n, "listen_port=%d\n",
		    (int)ws->listen_port);
	if (ws->fwmark >= 0 && ws->fwmark <= UINT32_MAX)
		n += snprintf(body + n, sizeof(body) - n, "fwmark=%lld\n",
		    (long long)ws->fwmark);
	if (n == 0)
		return (0);
	rc = uapi_set(ifname, body, n, err, errlen);
	explicit_bzero(body, sizeof(body));
	return (rc);
}

/* One change as set=1 lines; 0 if it does not fit or is invalid. */
size_t
uapi_format_change(const struct wg_change *ch, char *buf, size_t len)
{
	const struct wg_peer	*p = ch->peer;
	char			 hex[65], pfx[IN_CIDRSTRSZ];
	size_t			 n;
	int			 i;

	if (key_b64_to_hex(p->public_key, hex) == -1 ||
	    p->nallowed > IN_MAXALLOWEDIPS)
		return (0);
	n = snprintf(buf, len, "public_key=%s\n", hex);
	if (ch->flags & WG_CHANGE_REMOVE) {
		if (n < len)
			n += snprintf(buf + n, len - n, "remove=true\n");
		return (n < len ? n : 0);
	}
	if ((ch->flags & WG_CHANGE_REPLACE_ALLOWED) && n < len)
		n += snprintf(buf + n, len - n, "replace_allowed_ips=true\n");
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

static int
uapi_change(const char *ifname, const struct wg_change *ch, char *err,
    size_t errlen)
{
	char	buf[2048];
	size_t	n;

	if ((n = uapi_format_change(ch, buf, sizeof(buf))) == 0) {
		snprintf(err, errlen, "bad peer");
		return (-1);
	}
	uapi_peer_ops++;
	return (uapi_set(ifname, buf, n, err, errlen));
}

int
uapi_peer_set(const char *ifname, const struct wg_peer *p, char *err,
    size_t errlen)
{
	struct wg_change	ch = { p, WG_CHANGE_REPLACE_ALLOWED };

	return (uapi_change(ifname, &ch, err, errlen));
}

int
uapi_peer_remove(const char *ifname, const char *pub, char *err,
    size_t errlen)
{
	struct wg_peer		p;
	struct wg_change	ch = { &p, WG_CHANGE_REMOVE };

	memset(&p, 0, sizeof(p));
	if (strlcpy(p.public_key, pub, sizeof(p.public_key)) >=
	    sizeof(p.public_key) || !in_key_ok(p.public_key)) {
		snprintf(err, errlen, "bad public key");
		return (-1);
	}
	return (uapi_change(ifname, &ch, err, errlen));
}

/* A decimal number no larger than max, and nothing else. */
static int
uapi_num(const char *s, unsigned long long max, unsigned long long *v)
{
	char	*end;

	if (*s < '0' || *s > '9')
		return (-1);
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || *v > max)
		return (-1);
	return (0);
}

/*
 * Parse a get=1 answer of len bytes, which need not be NUL-terminated.
 * Unknown keys are ignored; malformed lines, numbers out of range and a
 * missing or non-zero errno refuse the whole answer.  An endpoint we
 * cannot read back (one with a zone index) counts as none.
 */
int
uapi_parse_get(const char *ans, size_t len, struct wg_device *d)
{
	const char		*line = ans, *end = ans + len, *nl;
	char			 buf[512], *eq, *key, *val;
	struct wg_peer		*p = NULL;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	unsigned long long	 v;
	char			 priv[IN_KEYSZ];
	size_t			 l;
	int			 got_errno = 0, rc;

	memset(d, 0, sizeof(*d));
	while (line < end) {
		nl = memchr(line, '\n', end - line);
		l = nl != NULL ? (size_t)(nl - line) : (size_t)(end - line);
		if (l == 0)
			break;
		if (l >= sizeof(buf) || memchr(line, '\0', l) != NULL)
			goto bad;
		memcpy(buf, line, l);
		buf[l] = '\0';
		line += l + (nl != NULL);
		if ((eq = strchr(buf, '=')) == NULL)
			goto bad;
		*eq = '\0';
		key = buf;
		val = eq + 1;
		if (strcmp(key, "errno") == 0) {
			if (uapi_num(val, INT32_MAX, &v) == -1 || v != 0)
				goto bad;
			got_errno = 1;
		} else if (strcmp(key, "public_key") == 0) {
			if ((p = wg_device_add(d, UAPI_MAXPEERS)) == NULL ||
			    key_hex_to_b64(val, p->public_key) == -1)
				goto bad;
		} else if (p == NULL) {
			if (strcmp(key, "listen_port") == 0) {
				if (uapi_num(val, UINT16_MAX, &v) == -1)
					goto bad;
				d->listen_port = v;
			} else if (strcmp(key, "fwmark") == 0) {
				if (uapi_num(val, UINT32_MAX, &v) == -1)
					goto bad;
				d->fwmark = v;
			} else if (strcmp(key, "private_key") == 0) {
				/* kept as its public key, as the kernel says */
				rc = key_hex_to_b64(val, priv) == -1 ||
				    key_public(priv, d->public_key) == -1;
				explicit_bzero(priv, sizeof(priv));
				explicit_bzero(buf, sizeof(buf));
				if (rc)
					goto bad;
			}
		} else if (strcmp(key, "endpoint") == 0) {
			/* one we cannot read (a zone index) is as none */
			if (in_endpoint_numeric(val, &ss, &sslen) == -1 ||
			    strlcpy(p->endpoint, val, sizeof(p->endpoint)) >=
			    sizeof(p->endpoint))
				p->endpoint[0] = '\0';
		} else if (strcmp(key, "last_handshake_time_sec") == 0) {
			if (uapi_num(val, INT64_MAX, &v) == -1)
				goto bad;
			p->last_handshake = v;
		} else if (strcmp(key, "rx_bytes") == 0) {
			if (uapi_num(val, UINT64_MAX, &v) == -1)
				goto bad;
			p->rx = v;
		} else if (strcmp(key, "tx_bytes") == 0) {
			if (uapi_num(val, UINT64_MAX, &v) == -1)
				goto bad;
			p->tx = v;
		} else if (strcmp(key, "persistent_keepalive_interval") == 0) {
			if (uapi_num(val, UINT16_MAX, &v) == -1)
				goto bad;
			p->keepalive = v;
		} else if (strcmp(key, "allowed_ip") == 0) {
			if (p->nallowed >= IN_MAXALLOWEDIPS) {
				p->more_allowed = 1;
				continue;
			}
			if (in_prefix_parse(val, &p->allowed[p->nallowed]) ==
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
	size_t	 len;

	if (uapi_call(ifname, "get=1\n\n", 7, &ans, &len, err, errlen) == -1)
		return (-1);
	if (uapi_parse_get(ans, len, d) == -1) {
		snprintf(err, errlen, "uapi: malformed answer from %s",
		    ifname);
		uapi_free(ans, len);
		return (-1);
	}
	uapi_free(ans, len);
	return (0);
}

/*
 * Make the device's peers what "want" says, sending only the difference
 * (wg_diff) in one set=1 request.
 */
int
uapi_sync(const char *ifname, const struct wg_peer *want, size_t nwant,
    char *err, size_t errlen)
{
	struct wg_device	 cur;
	struct wg_change	*ch = NULL;
	char			*body = NULL, *p;
	size_t			 len = 0, cap = 0, i, n, nch;
	int			 rc = 0;

	if (uapi_get(ifname, &cur, err, errlen) == -1)
		return (-1);
	if (wg_diff(&cur, want, nwant, &ch, &nch) == -1) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
		goto done;
	}
	for (i = 0; i < nch; i++) {
		if (cap - len < 2048) {
			cap = cap ? cap * 2 : 65536;
			if ((p = realloc(body, cap)) == NULL) {
				snprintf(err, errlen, "out of memory");
				rc = -1;
				goto done;
			}
			body = p;
		}
		if ((n = uapi_format_change(&ch[i], body + len,
		    cap - len)) == 0) {
			snprintf(err, errlen, "bad peer");
			rc = -1;
			goto done;
		}
		len += n;
		uapi_peer_ops++;
	}
	if (len > 0)
		rc = uapi_set(ifname, body, len, err, errlen);
done:
	free(body);
	free(ch);
	wg_device_free(&cur);
	return (rc);
}

#define UAPI_WALKBUF	(64 * 1024)

/* One line of a get=1 answer as the endpoint walk needs it. */
static int
uapi_walk_line(const char *line, size_t l, struct uapi_walk *w)
{
	size_t		 vl;

	/* the other lines, eight of ten, are not looked into */
	if (l > 11 && memcmp(line, "public_key=", 11) == 0) {
		if (w->have && w->cb(w->arg, w->key, w->endpoint) == -1)
			return (-2);
		if (key_hex_to_bin(line + 11, l - 11, w->key) == -1)
			return (-1);
		w->endpoint[0] = '\0';
		w->have = 1;
	} else if (w->have && l > 9 && memcmp(line, "endpoint=", 9) == 0) {
		/* as the full parse: one too long to keep counts as none */
		vl = l - 9;
		if (memchr(line + 9, '\0', vl) != NULL)
			return (-1);
		if (vl >= sizeof(w->endpoint))
			vl = 0;
		memcpy(w->endpoint, line + 9, vl);
		w->endpoint[vl] = '\0';
	} else if (l > 6 && memcmp(line, "errno=", 6) == 0) {
		if (l != 7 || line[6] != '0')
			return (-1);
		w->got_errno = 1;
	}
	return (0);
}

/*
 * Feed the walk what was read: the whole lines in it are taken, and how
 * many bytes they were is returned; the rest is to come again with more.
 * w->done is set at the blank line that ends the answer, w->rc at the
 * first fault.
 */
size_t
uapi_walk_feed(struct uapi_walk *w, const char *buf, size_t len)
{
	const char	*line, *nl, *end = buf + len;
	int		 rc = w->rc;

	/*
	 * rc is kept here, not in *w, through the loop: the compiler
	 * otherwise tests done and rc with one load just after storing
	 * rc, a store forwarding stall at every line that cost a fifth
	 * of the walk.
	 */
	if (w->done)
		return (0);
	for (line = buf; rc == 0 &&
	    (nl = memchr(line, '\n', end - line)) != NULL; line = nl + 1) {
		if (nl == line) {
			w->done = 1;
			line = nl + 1;
			break;
		}
		rc = uapi_walk_line(line, nl - line, w);
	}
	w->rc = rc;
	return (line - buf);
}

/* The answer is over: the last peer, and whether it was whole. */
int
uapi_walk_end(struct uapi_walk *w)
{
	if (w->rc == 0 && w->have) {
		w->have = 0;
		if (w->cb(w->arg, w->key, w->endpoint) == -1)
			w->rc = -2;
	}
	if (w->rc == 0 && !w->got_errno)
		w->rc = -1;
	return (w->rc);
}

/*
 * Each peer's key and endpoint, as the device answers get=1, given to cb
 * a peer at a time while the answer is read: at 50,000 peers the answer
 * is some 16 MB of text, and the periodic refresh wants two of its ten
 * lines a peer.  The endpoint is as the device wrote it ("" for none),
 * not checked.  A malformed answer fails the walk after cb has seen part
 * of it; the caller forgets what it was given.
 */
int
uapi_endpoints(const char *ifname, wg_endpoint_cb cb, void *arg, char *err,
    size_t errlen)
{
	struct uapi_walk	 w;
	struct pollfd		 pfd;
	char			*buf;
	size_t			 len = 0, used;
	ssize_t			 n;
	int			 fd, timeout;

	memset(&w, 0, sizeof(w));
	w.cb = cb;
	w.arg = arg;
	if ((buf = malloc(UAPI_WALKBUF)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	if ((fd = uapi_request(ifname, "get=1\n\n", 7, &timeout, err,
	    errlen)) == -1) {
		uapi_free(buf, UAPI_WALKBUF);
		return (-1);
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (!w.done && w.rc == 0) {
		if (len == UAPI_WALKBUF) {
			w.rc = -1;	/* a line longer than any valid one */
			break;
		}
		if (poll(&pfd, 1, timeout) <= 0) {
			snprintf(err, errlen, "uapi: no answer from %s",
			    ifname);
			goto fail;
		}
		if ((n = read(fd, buf + len, UAPI_WALKBUF - len)) < 0) {
			snprintf(err, errlen, "uapi read: %s", strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += n;
		used = uapi_walk_feed(&w, buf, len);
		len -= used;
		memmove(buf, buf + used, len);
		explicit_bzero(buf + len, used);
	}
	switch (uapi_walk_end(&w)) {
	case 0:
		close(fd);
		uapi_free(buf, UAPI_WALKBUF);
		return (0);
	case -2:
		snprintf(err, errlen, "out of memory");
		break;
	default:
		snprintf(err, errlen, "uapi: malformed answer from %s",
		    ifname);
		break;
	}
fail:
	close(fd);
	uapi_free(buf, UAPI_WALKBUF);
	return (-1);
}
