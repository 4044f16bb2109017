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


/* Reading and composing imsgs. */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"

void
imsg_init(struct imsgbuf *ibuf, int fd)
{
	msgbuf_init(&ibuf->w);
	memset(&ibuf->r, 0, sizeof(ibuf->r));
	ibuf->fd = fd;
	ibuf->w.fd = fd;
	ibuf->pid = getpid();
	TAILQ_INIT(&ibuf->fds);
}

/*
 * Read what the socket has.  Returns the bytes read, 0 at end of file,
 * -1 on error (errno EAGAIN: nothing now).  A received descriptor is
 * queued for the message it came with.
 */
ssize_t
imsg_read(struct imsgbuf *ibuf)
{
	struct msghdr	 msg;
	struct cmsghdr	*cmsg;
	struct iovec	 iov;
	struct imsg_fd	*ifd;
	ssize_t		 n;
	int		 fd, i, nfd;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * 1)];
	} cmsgbuf;

	/* Messages are taken from the front; move what is left there once. */
	if (ibuf->r.rpos > 0) {
		memmove(ibuf->r.buf, ibuf->r.buf + ibuf->r.rpos,
		    ibuf->r.wpos - ibuf->r.rpos);
		/* no stale copy of what moved stays behind it */
		explicit_bzero(ibuf->r.buf + ibuf->r.wpos - ibuf->r.rpos,
		    ibuf->r.rpos);
		ibuf->r.wpos -= ibuf->r.rpos;
		ibuf->r.rpos = 0;
	}
	if (ibuf->r.wpos >= sizeof(ibuf->r.buf)) {
		errno = ENOBUFS;
		return (-1);
	}
	memset(&msg, 0, sizeof(msg));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	iov.iov_base = ibuf->r.buf + ibuf->r.wpos;
	iov.iov_len = sizeof(ibuf->r.buf) - ibuf->r.wpos;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = &cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);

	/* Room for the descriptor before it can arrive. */
	if ((ifd = calloc(1, sizeof(*ifd))) == NULL)
		return (-1);
again:
	if ((n = recvmsg(ibuf->fd, &msg, MSG_CMSG_CLOEXEC)) == -1) {
		if (errno == EINTR)
			goto again;
		free(ifd);
		return (-1);
	}
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfd; i++) {
			memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int),
			    sizeof(fd));
			if (i == 0 && ifd != NULL) {
				ifd->fd = fd;
				TAILQ_INSERT_TAIL(&ibuf->fds, ifd, entry);
				ifd = NULL;
			} else
				close(fd);
		}
	}
	free(ifd);
	if (msg.msg_flags & MSG_CTRUNC) {
		errno = EBADMSG;
		return (-1);
	}
	ibuf->r.wpos += n;
	return (n);
}

static int
imsg_dequeue_fd(struct imsgbuf *ibuf)
{
	struct imsg_fd	*ifd;
	int		 fd;

	if ((ifd = TAILQ_FIRST(&ibuf->fds)) == NULL)
		return (-1);
	fd = ifd->fd;
	TAILQ_REMOVE(&ibuf->fds, ifd, entry);
	free(ifd);
	return (fd);
}

/*
 * Take the next complete message.  Returns its total size, 0 when no
 * complete message is buffered, -1 (ERANGE) for a header whose length is
 * impossible: the stream cannot be trusted after that.
 */
ssize_t
imsg_get(struct imsgbuf *ibuf, struct imsg *imsg)
{
	unsigned char	*p;
	size_t		 av, datalen;

	av = ibuf->r.wpos - ibuf->r.rpos;
	if (av < IMSG_HEADER_SIZE)
		return (0);
	p = ibuf->r.buf + ibuf->r.rpos;
	memcpy(&imsg->hdr, p, sizeof(imsg->hdr));
	if (imsg->hdr.len < IMSG_HEADER_SIZE ||
	    imsg->hdr.len > MAX_IMSGSIZE) {
		errno = ERANGE;
		return (-1);
	}
	if (imsg->hdr.len > av)
		return (0);
	datalen = imsg->hdr.len - IMSG_HEADER_SIZE;
	ibuf->r.rptr = p + IMSG_HEADER_SIZE;
	if (datalen == 0)
		imsg->data = NULL;
	else if ((imsg->data = malloc(datalen)) == NULL)
		return (-1);
	if (imsg->hdr.flags & IMSGF_HASFD)
		imsg->fd = imsg_dequeue_fd(ibuf);
	else
		imsg->fd = -1;
	if (datalen != 0)
		memcpy(imsg->data, ibuf->r.rptr, datalen);
	/*
	 * Some messages carry private keys: a message leaves no copy in the
	 * read buffer once taken, nor in its own once freed.
	 */
	explicit_bzero(p, imsg->hdr.len);

	/*
	 * Only the read offset moves: shifting the buffer per message made
	 * taking a full buffer of small messages quadratic.
	 */
	ibuf->r.rpos += imsg->hdr.len;
	if (ibuf->r.rpos == ibuf->r.wpos)
		ibuf->r.rpos = ibuf->r.wpos = 0;
	return (datalen + IMSG_HEADER_SIZE);
}

struct ibuf *
imsg_create(struct imsgbuf *ibuf, uint32_t type, uint32_t peerid, pid_t pid,
    size_t datalen)
{
	struct ibuf	*wbuf;
	struct imsg_hdr	 hdr;

	if (datalen > MAX_IMSGSIZE - IMSG_HEADER_SIZE) {
		errno = ERANGE;
		return (NULL);
	}
	datalen += IMSG_HEADER_SIZE;
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.peerid = peerid;
	hdr.pid = pid == 0 ? ibuf->pid : pid;
	if ((wbuf = ibuf_dynamic(datalen, MAX_IMSGSIZE)) == NULL)
		return (NULL);
	if (imsg_add(wbuf, &hdr, sizeof(hdr)) == -1)
		return (NULL);
	return (wbuf);
}

/* On failure the buffer is freed, as OpenBSD's imsg_add does. */
int
imsg_add(struct ibuf *msg, const void *data, size_t datalen)
{
	if (datalen > 0 && ibuf_add(msg, data, datalen) == -1) {
		ibuf_free(msg);
		return (-1);
	}
	return (datalen);
}

void
imsg_close(struct imsgbuf *ibuf, struct ibuf *msg)
{
	struct imsg_hdr	*hdr;

	hdr = (struct imsg_hdr *)msg->buf;
	hdr->flags &= ~IMSGF_HASFD;
	if (msg->fd != -1)
		hdr->flags |= IMSGF_HASFD;
	hdr->len = (uint16_t)msg->wpos;
	ibuf_close(&ibuf->w, msg);
}

int
imsg_compose(struct imsgbuf *ibuf, uint32_t type, uint32_t peerid, pid_t pid,
    int fd, const void *data, size_t datalen)
{
	struct ibuf	*wbuf;

	if ((wbuf = imsg_create(ibuf, type, peerid, pid, datalen)) == NULL)
		return (-1);
	if (imsg_add(wbuf, data, datalen) == -1)
		return (-1);
	wbuf->fd = fd;
	imsg_close(ibuf, wbuf);
	return (1);
}

int
imsg_composev(struct imsgbuf *ibuf, uint32_t type, uint32_t peerid, pid_t pid,
    int fd, const struct iovec *iov, int iovcnt)
{
	struct ibuf	*wbuf;
	size_t		 datalen = 0;
	int		 i;

	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > MAX_IMSGSIZE) {
			errno = ERANGE;
			return (-1);
		}
		datalen += iov[i].iov_len;
	}
	if ((wbuf = imsg_create(ibuf, type, peerid, pid, datalen)) == NULL)
		return (-1);
	for (i = 0; i < iovcnt; i++)
		if (imsg_add(wbuf, iov[i].iov_base, iov[i].iov_len) == -1)
			return (-1);
	wbuf->fd = fd;
	imsg_close(ibuf, wbuf);
	return (1);
}

void
imsg_free(struct imsg *imsg)
{
	if (imsg->data != NULL)
		explicit_bzero(imsg->data, imsg->hdr.len - IMSG_HEADER_SIZE);
	free(imsg->data);
	imsg->data = NULL;
}

/* Write everything queued, waiting for a blocking socket as needed. */
int
imsg_flush(struct imsgbuf *ibuf)
{
	while (ibuf->w.queued)
		if (msgbuf_write(&ibuf->w) <= 0)
			return (-1);
	return (0);
}

void
imsg_clear(struct imsgbuf *ibuf)
{
	int	fd;

	msgbuf_clear(&ibuf->w);
	explicit_bzero(ibuf->r.buf, ibuf->r.wpos);
	ibuf->r.rpos = ibuf->r.wpos = 0;
	while ((fd = imsg_dequeue_fd(ibuf)) != -1)
		close(fd);
}

uint32_t
imsg_get_type(struct imsg *imsg)
{
	return (imsg->hdr.type);
}

size_t
imsg_get_len(struct imsg *imsg)
{
	return (imsg->hdr.len - IMSG_HEADER_SIZE);
}

/* Copy the data out, only if it has exactly the expected size. */
int
imsg_get_data(struct imsg *imsg, void *data, size_t len)
{
	if (len == 0 || imsg_get_len(imsg) != len) {
		errno = EBADMSG;
		return (-1);
	}
	memcpy(data, imsg->data, len);
	return (0);
}

int
imsg_get_fd(struct imsg *imsg)
{
	int	fd = imsg->fd;

	imsg->fd = -1;
	return (fd);
}
