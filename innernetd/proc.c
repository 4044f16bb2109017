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
 * One imsg connection, the same in every process: non-blocking reads
 * and writes, EV_WRITE asked for only while something is queued, the
 * end of a pipe, and the process status every process gives alike.
 * Two processes streaming to each other must never both sit in send()
 * with full buffers, so a writer only queues and waits for EV_WRITE.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"
#include "compat.h"

static void	proc_handler(int, short, void *);
static void	proc_update(struct proc_pipe *);
static void	proc_drain(struct proc_pipe *);
static void	proc_procinfo(struct proc_pipe *, uint32_t);

static struct {
	const char	*name;
	const char	*root;		/* NULL: not chrooted */
	const char	*sandbox;	/* NULL: sandbox_state() */
} proc_self;

/*
 * A pipe between two processes of the set, made by the parent before it
 * starts them.  Non-blocking on both ends (see above); each child finds
 * its end at its PROC_FD_* descriptor.
 */
void
proc_socketpair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    sv) == -1)
		fatal("socketpair");
}

void
proc_info(const char *name, const char *root, const char *sandbox)
{
	proc_self.name = name;
	proc_self.root = root;
	proc_self.sandbox = sandbox;
}

static void
proc_start(struct proc_pipe *p, const char *name, int fd, int flags,
    proc_dispatch_cb dispatch, proc_closed_cb closed, void *arg)
{
	p->name = name;
	p->flags = flags;
	p->dispatch = dispatch;
	p->closed = closed;
	p->arg = arg;
	imsg_init(&p->ibuf, fd);
	p->events = EV_READ;
	event_set(&p->ev, fd, EV_READ | EV_PERSIST, proc_handler, p);
	if (event_add(&p->ev, NULL) == -1)
		fatal("event_add %s", name);
}

/* A pipe to another process of the set: a broken peer is fatal. */
void
proc_pipe_init(struct proc_pipe *p, const char *name, int fd,
    proc_dispatch_cb dispatch, proc_closed_cb closed, void *arg)
{
	proc_start(p, name, fd, 0, dispatch, closed, arg);
}

/* A control client: whatever goes wrong closes it, and only it. */
void
proc_client_init(struct proc_pipe *p, int fd, proc_dispatch_cb dispatch,
    proc_closed_cb closed, void *arg)
{
	proc_start(p, "control client", fd, PROC_F_CLIENT, dispatch, closed,
	    arg);
}

/* Listen for writability only while something is queued. */
static void
proc_update(struct proc_pipe *p)
{
	short	events = EV_READ;

	if (p->flags & PROC_F_SHUT)
		return;
	if (p->ibuf.w.queued)
		events |= EV_WRITE;
	if (events == p->events)
		return;
	p->events = events;
	event_del(&p->ev);
	event_set(&p->ev, p->ibuf.fd, events | EV_PERSIST, proc_handler, p);
	if (event_add(&p->ev, NULL) == -1)
		fatal("event_add %s", p->name);
}

int
proc_composev(struct proc_pipe *p, uint32_t type, uint32_t id,
    const struct iovec *iov, int iovcnt)
{
	if (p->flags & PROC_F_SHUT)
		return (-1);
	if (imsg_composev(&p->ibuf, type, id, 0, -1, iov, iovcnt) == -1) {
		/* the sender decides: a request fails, or the process */
		log_warn("compose %s to %s", in_imsg_name(type), p->name);
		return (-1);
	}
	proc_update(p);
	return (0);
}

int
proc_compose(struct proc_pipe *p, uint32_t type, uint32_t id,
    const void *data, size_t len)
{
	struct iovec	iov;

	iov.iov_base = (void *)data;
	iov.iov_len = len;
	return (proc_composev(p, type, id, &iov, len > 0 ? 1 : 0));
}

/*
 * A pipe whose messages must wait (wgd hears the engine only once the
 * parent has said what the engine may ask).
 */
void
proc_hold(struct proc_pipe *p)
{
	p->flags |= PROC_F_HELD;
}

void
proc_release(struct proc_pipe *p)
{
	if (!(p->flags & PROC_F_HELD))
		return;
	p->flags &= ~PROC_F_HELD;
	proc_drain(p);
	proc_update(p);
}

/*
 * The connection ends.  From inside its own handler the owner hears of
 * it once the handler is done with the connection; else at once.
 */
void
proc_shut(struct proc_pipe *p)
{
	if (p->flags & PROC_F_SHUT)
		return;
	p->flags |= PROC_F_SHUT;
	event_del(&p->ev);
	if (p->flags & PROC_F_INSIDE)
		return;
	if (p->closed == NULL)
		fatalx("pipe to %s closed", p->name);
	p->closed(p);
}

/* What is left of a shut connection: its queue and its descriptor. */
void
proc_free(struct proc_pipe *p)
{
	if (!(p->flags & PROC_F_SHUT))
		event_del(&p->ev);
	imsg_clear(&p->ibuf);
	close(p->ibuf.fd);
}

static void
proc_fail(struct proc_pipe *p, const char *what)
{
	if (!(p->flags & PROC_F_CLIENT))
		fatal("pipe to %s: %s", p->name, what);
	proc_shut(p);
}

static void
proc_drain(struct proc_pipe *p)
{
	struct imsg	imsg;
	ssize_t		n;

	while (!(p->flags & (PROC_F_HELD | PROC_F_SHUT))) {
		if ((n = imsg_get(&p->ibuf, &imsg)) == -1) {
			proc_fail(p, "imsg_get");
			break;
		}
		if (n == 0)
			break;
		if (imsg.hdr.type == IMSG_PROCINFO_REQ &&
		    !(p->flags & PROC_F_CLIENT)) {
			proc_get_none(p, &imsg);
			proc_procinfo(p, imsg.hdr.peerid);
		} else
			p->dispatch(p, &imsg);
		imsg_free(&imsg);
	}
}

static void
proc_handler(int fd, short event, void *arg)
{
	struct proc_pipe	*p = arg;
	ssize_t			 n;

	p->flags |= PROC_F_INSIDE;
	if (event & EV_READ) {
		memtrim_poke();
		if ((n = imsg_read(&p->ibuf)) == -1 && errno != EAGAIN)
			proc_fail(p, "read");
		else if (n == 0)
			proc_shut(p);
	}
	if ((event & EV_WRITE) && !(p->flags & PROC_F_SHUT)) {
		if (msgbuf_write(&p->ibuf.w) <= 0 && errno != EAGAIN)
			proc_fail(p, "write");
	}
	proc_drain(p);
	p->flags &= ~PROC_F_INSIDE;
	if (p->flags & PROC_F_SHUT) {
		if (p->closed == NULL)
			fatalx("pipe to %s closed", p->name);
		p->closed(p);
		return;
	}
	proc_update(p);
}

/* A peer process that breaks the protocol is stopped, not answered. */
void
proc_bad(struct proc_pipe *p, struct imsg *imsg, const char *why)
{
	fatalx("%s sent a bad %s: %s", p->name, in_imsg_name(imsg->hdr.type),
	    why);
}

/* The payload, at exactly its size. */
void
proc_get(struct proc_pipe *p, struct imsg *imsg, void *buf, size_t len)
{
	if (imsg_get_data(imsg, buf, len) == -1)
		fatalx("%s sent %s with %zu bytes, want %zu", p->name,
		    in_imsg_name(imsg->hdr.type),
		    (size_t)imsg->hdr.len - IMSG_HEADER_SIZE, len);
}

void
proc_get_none(struct proc_pipe *p, struct imsg *imsg)
{
	if (imsg_get_len(imsg) != 0)
		fatalx("%s sent %s with %zu bytes, want none", p->name,
		    in_imsg_name(imsg->hdr.type), imsg_get_len(imsg));
}

static void
proc_procinfo(struct proc_pipe *p, uint32_t id)
{
	struct in_procinfo	pi;

	memset(&pi, 0, sizeof(pi));
	strlcpy(pi.name, proc_self.name, sizeof(pi.name));
	pi.pid = getpid();
	pi.uid = getuid();
	pi.gid = getgid();
	pi.chrooted = proc_self.root != NULL;
	strlcpy(pi.root, proc_self.root != NULL ? proc_self.root : "/",
	    sizeof(pi.root));
	strlcpy(pi.sandbox, proc_self.sandbox != NULL ? proc_self.sandbox :
	    sandbox_state(), sizeof(pi.sandbox));
	proc_compose(p, IMSG_PROCINFO, id, &pi, sizeof(pi));
}

/* An answer to our IMSG_PROCINFO_REQ, checked before anyone reads it. */
void
proc_procinfo_check(struct proc_pipe *p, struct imsg *imsg)
{
	struct in_procinfo	pi;

	proc_get(p, imsg, &pi, sizeof(pi));
	if (!in_str_ok(pi.name) || !in_str_ok(pi.root) ||
	    !in_str_ok(pi.sandbox))
		proc_bad(p, imsg, "unterminated string");
}

/*
 * The one payload of variable size: a head (a request, or just the
 * peer) ending in a struct in_peer, then the peer's candidates_len
 * bytes of candidates.  The head is copied and its peer's strings
 * checked; the candidates are returned in place.
 */
const char *
proc_get_peer(struct proc_pipe *p, struct imsg *imsg, void *head,
    size_t headlen)
{
	struct in_peer	peer;
	size_t		len = imsg_get_len(imsg);

	if (headlen < sizeof(peer) || len < headlen)
		proc_bad(p, imsg, "short");
	memcpy(head, imsg->data, headlen);
	memcpy(&peer, (char *)head + headlen - sizeof(peer), sizeof(peer));
	if (!in_str_ok(peer.name) || !in_str_ok(peer.public_key) ||
	    !in_str_ok(peer.endpoint))
		proc_bad(p, imsg, "unterminated string");
	if (len != headlen + peer.candidates_len)
		proc_bad(p, imsg, "candidates of another length");
	return ((const char *)imsg->data + headlen);
}
