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
 * The control socket, in the engine.  The parent bound and listens on it
 * and handed us the descriptor.  A client sends one JSON document split
 * into IMSG_CTL_DATA chunks and closed by IMSG_CTL_END; the answer comes
 * back the same way: {"ok": true, "result": ...} or {"ok": false,
 * "status": N, "error": "..."}.  Each connection is one of proc.c's,
 * in client mode: whatever goes wrong closes it, and only it.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/queue.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event.h>
#include <jansson.h>

#include "engine.h"

#define CONTROL_MAXCONNS	64

struct ctl_conn {
	TAILQ_ENTRY(ctl_conn)	 entry;
	struct proc_pipe	 pipe;
	char			*doc;
	size_t			 len, cap;
	int			 busy;		/* a request is being answered */
	int			 closed;	/* peer gone, freed on reply */
};

static TAILQ_HEAD(, ctl_conn)	ctl_conns = TAILQ_HEAD_INITIALIZER(ctl_conns);
static struct event		ctl_accept_ev, ctl_pause_ev;
static int			ctl_fd = -1, ctl_nconns;

static void	control_accept(int, short, void *);
static void	control_dispatch(struct proc_pipe *, struct imsg *);
static void	control_gone(struct proc_pipe *);
static void	control_close(struct ctl_conn *);
static void	control_send(struct ctl_conn *, json_t *);

void
control_init(int fd)
{
	int	flags;

	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		fatal("control socket");
	ctl_fd = fd;
	event_set(&ctl_accept_ev, fd, EV_READ | EV_PERSIST, control_accept,
	    NULL);
	event_add(&ctl_accept_ev, NULL);
	evtimer_set(&ctl_pause_ev, control_accept, NULL);
}

/*
 * Only root and members of the daemon's group may talk to us; the
 * socket's mode says the same, this holds even if someone changes it.
 * SO_PEERCRED holds the primary group only: a member by supplementary
 * group is found in SO_PEERGROUPS, the groups the peer had when it
 * connected (not racy, unlike reading them by its pid).
 */
static int
control_peer_ok(int fd)
{
	struct ucred	 cred;
	gid_t		 gid = getgid(), few[64], *groups = few;
	socklen_t	 len = sizeof(cred);
	size_t		 i;
	int		 ok = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return (0);
	if (cred.uid == 0 || cred.gid == gid)
		return (1);
	len = sizeof(few);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == -1) {
		/* more groups than fit: len is what they need */
		if (errno != ERANGE || (groups = malloc(len)) == NULL ||
		    getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups,
		    &len) == -1)
			goto done;
	}
	for (i = 0; i < len / sizeof(groups[0]); i++)
		if (groups[i] == gid)
			ok = 1;
 done:
	if (groups != few)
		free(groups);
	return (ok);
}

static void
control_accept(int fd, short event, void *arg)
{
	struct ctl_conn	*c;
	struct timeval	 tv = { 1, 0 };
	int		 s;

	event_add(&ctl_accept_ev, NULL);
	if ((s = accept4(ctl_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) ==
	    -1) {
		if (errno == EMFILE || errno == ENFILE) {
			/* Out of descriptors: stop accepting for a while. */
			event_del(&ctl_accept_ev);
			evtimer_add(&ctl_pause_ev, &tv);
		} else if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("control: accept");
		return;
	}
	if (ctl_nconns >= CONTROL_MAXCONNS || !control_peer_ok(s) ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		log_warnx("control: connection refused");
		close(s);
		return;
	}
	proc_client_init(&c->pipe, s, control_dispatch, control_gone, c);
	TAILQ_INSERT_TAIL(&ctl_conns, c, entry);
	ctl_nconns++;
}

/* A request may carry a key (an invitation's): no copy stays behind. */
static void
control_doc_free(struct ctl_conn *c)
{
	if (c->doc != NULL)
		explicit_bzero(c->doc, c->len);
	free(c->doc);
	c->doc = NULL;
	c->len = c->cap = 0;
}

/* Doubled, not realloc'd: realloc could leave the old copy behind. */
static int
control_doc_grow(struct ctl_conn *c, size_t need)
{
	size_t	 cap = c->cap ? c->cap : 16384, len = c->len;
	char	*p;

	while (cap < need)
		cap *= 2;
	if ((p = malloc(cap)) == NULL)
		return (-1);
	if (len > 0)
		memcpy(p, c->doc, len);
	control_doc_free(c);
	c->doc = p;
	c->len = len;
	c->cap = cap;
	return (0);
}

static void
control_free(struct ctl_conn *c)
{
	proc_free(&c->pipe);
	control_doc_free(c);
	free(c);
}

/*
 * The connection ended (proc.c says when: at once, or once its handler
 * is done with it).  A request being answered keeps it until the reply.
 */
static void
control_gone(struct proc_pipe *p)
{
	struct ctl_conn	*c = p->arg;

	if (!c->closed) {
		TAILQ_REMOVE(&ctl_conns, c, entry);
		ctl_nconns--;
		c->closed = 1;
	}
	if (!c->busy)
		control_free(c);
}

static void
control_close(struct ctl_conn *c)
{
	proc_shut(&c->pipe);
}

static void
control_request(struct ctl_conn *c)
{
	json_t		*req;
	json_error_t	 jerr;

	req = json_loadb(c->doc != NULL ? c->doc : "", c->len,
	    JSON_REJECT_DUPLICATES, &jerr);
	control_doc_free(c);
	if (req == NULL || !json_is_object(req)) {
		json_decref(req);
		c->busy = 1;
		control_reply_error(c, 400, "bad request: %s",
		    req == NULL ? jerr.text : "not a JSON object");
		return;
	}
	c->busy = 1;
	ctl_dispatch(c, req);
	json_decref(req);
}

/* A chunk of the request document; a request is one at a time. */
static void
control_data(struct ctl_conn *c, const void *data, size_t len)
{
	if (c->busy || len > CTL_MAXJSON - c->len ||
	    (c->len + len + 1 > c->cap &&
	    control_doc_grow(c, c->len + len + 1) == -1)) {
		control_close(c);
		return;
	}
	if (len > 0)
		memcpy(c->doc + c->len, data, len);
	c->len += len;
}

static void
control_end(struct ctl_conn *c, size_t len)
{
	if (c->busy || len != 0) {
		control_close(c);
		return;
	}
	control_request(c);
}

static void
control_dispatch(struct proc_pipe *p, struct imsg *imsg)
{
	struct ctl_conn	*c = p->arg;

	switch (imsg->hdr.type) {
	case IMSG_CTL_DATA:
		control_data(c, imsg->data, imsg_get_len(imsg));
		break;
	case IMSG_CTL_END:
		control_end(c, imsg_get_len(imsg));
		break;
	default:
		log_warnx("control: unexpected message %u", imsg->hdr.type);
		control_close(c);
	}
}

static void
control_send(struct ctl_conn *c, json_t *doc)
{
	char	*s;
	size_t	 len, off, chunk;

	c->busy = 0;
	if (c->closed) {
		json_decref(doc);
		control_free(c);
		return;
	}
	s = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(doc);
	if (s == NULL) {
		control_close(c);
		return;
	}
	len = strlen(s);
	for (off = 0; off < len; off += chunk) {
		chunk = len - off;
		if (chunk > MAX_IMSGSIZE - IMSG_HEADER_SIZE)
			chunk = MAX_IMSGSIZE - IMSG_HEADER_SIZE;
		if (proc_compose(&c->pipe, IMSG_CTL_DATA, 0, s + off,
		    chunk) == -1)
			break;
	}
	explicit_bzero(s, len);
	free(s);
	proc_compose(&c->pipe, IMSG_CTL_END, 0, NULL, 0);
}

/* A line of progress while the answer is still being made. */
void
control_progress(struct ctl_conn *c, const char *line)
{
	if (c->closed)
		return;
	proc_compose(&c->pipe, IMSG_CTL_PROGRESS, 0, line, strlen(line));
}

void
control_reply(struct ctl_conn *c, json_t *result)
{
	json_t	*doc;

	if (result == NULL)
		result = json_null();
	doc = json_pack("{s:b, s:o}", "ok", 1, "result", result);
	if (doc == NULL) {
		control_reply_error(c, 500, "out of memory");
		return;
	}
	control_send(c, doc);
}

void
control_reply_error(struct ctl_conn *c, int status, const char *fmt, ...)
{
	char	 msg[1024];
	va_list	 ap;
	json_t	*doc;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	doc = json_pack("{s:b, s:i, s:s}", "ok", 0, "status", status,
	    "error", msg);
	if (doc == NULL)
		doc = json_pack("{s:b}", "ok", 0);
	control_send(c, doc);
}
