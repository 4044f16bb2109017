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
 * The pipes between the processes of the set, and the control socket's
 * client connections: one imsg connection each, read and written by
 * proc.c.  A program gives each pipe its dispatch function, which sees
 * only the program's own messages; proc.c answers IMSG_PROCINFO_REQ on
 * the set's pipes itself, the same way in every process.
 */

#ifndef PROC_H
#define PROC_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include <event.h>

#include "imsg.h"
#include "innernet.h"

struct proc_pipe;
typedef void	(*proc_dispatch_cb)(struct proc_pipe *, struct imsg *);
typedef void	(*proc_closed_cb)(struct proc_pipe *);

struct proc_pipe {
	const char	*name;		/* PROC_*, for messages */
	struct imsgbuf	 ibuf;
	struct event	 ev;
	short		 events;	/* what ev waits for now */
	int		 flags;		/* PROC_F_* */
	proc_dispatch_cb dispatch;
	proc_closed_cb	 closed;	/* NULL: a closed pipe is fatal */
	void		*arg;		/* the owner's */
};

#define PROC_F_CLIENT	0x01	/* a control client: errors close it */
#define PROC_F_HELD	0x02	/* messages wait until proc_release() */
#define PROC_F_INSIDE	0x04	/* its handler is running */
#define PROC_F_SHUT	0x08	/* closed, closed() not yet called */

void	proc_socketpair(int [2]);

/* What this process says of itself in IMSG_PROCINFO. */
void	proc_info(const char *, const char *, const char *);

void	proc_pipe_init(struct proc_pipe *, const char *, int,
	    proc_dispatch_cb, proc_closed_cb, void *);
void	proc_client_init(struct proc_pipe *, int, proc_dispatch_cb,
	    proc_closed_cb, void *);
int	proc_compose(struct proc_pipe *, uint32_t, uint32_t, const void *,
	    size_t);
int	proc_composev(struct proc_pipe *, uint32_t, uint32_t,
	    const struct iovec *, int);
void	proc_hold(struct proc_pipe *);
void	proc_release(struct proc_pipe *);
void	proc_shut(struct proc_pipe *);
void	proc_free(struct proc_pipe *);
void	proc_procinfo_check(struct proc_pipe *, struct imsg *);
void	proc_get(struct proc_pipe *, struct imsg *, void *, size_t);
void	proc_get_none(struct proc_pipe *, struct imsg *);
const char *proc_get_peer(struct proc_pipe *, struct imsg *, void *, size_t);
void	proc_bad(struct proc_pipe *, struct imsg *, const char *)
	    __attribute__((__noreturn__));

#endif /* PROC_H */
