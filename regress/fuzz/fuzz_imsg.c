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
 * libFuzzer target: arbitrary bytes as the stream an imsg reader gets
 * from a peer process, through a socket, read with imsg_read (a
 * descriptor riding along when the first byte asks) and drained with
 * imsg_get.  One socket pair serves the whole run and an input comes in
 * a few pieces at most: a socket pair per input and a read per byte made
 * the kernel, not the reader, the thing being measured.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"

#define FUZZ_MAXIN	(60 * 1024)	/* below the read buffer */
#define FUZZ_MAXPIECES	16

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int	sv[2] = { -1, -1 };

static void
send_piece(const uint8_t *data, size_t len, int withfd)
{
	struct msghdr	 msg;
	struct cmsghdr	*cmsg;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	int		 fd = -1;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = (void *)data;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (withfd && (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) != -1) {
		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = sizeof(cmsgbuf.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(fd));
	}
	if (sendmsg(sv[0], &msg, 0) != (ssize_t)len)
		abort();
	if (fd != -1)
		close(fd);
}

/* Whatever the reader left in the socket, descriptors included. */
static void
drain(void)
{
	struct imsgbuf	 ibuf;

	imsg_init(&ibuf, sv[1]);
	while (imsg_read(&ibuf) > 0)
		ibuf.r.rpos = ibuf.r.wpos = 0;
	imsg_clear(&ibuf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct imsgbuf	 ibuf;
	struct imsg		 imsg;
	ssize_t			 n;
	size_t			 off = 0, chunk, piece;
	int			 pieces = 0;

	if (sv[0] == -1) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 ||
		    fcntl(sv[1], F_SETFL, O_NONBLOCK) == -1)
			abort();
	}
	if (len == 0)
		return (0);
	if (len > FUZZ_MAXIN)
		len = FUZZ_MAXIN;
	/*
	 * The first byte picks how the stream is cut: small pieces that
	 * split headers, or the input in one to four reads; and whether a
	 * descriptor comes with the first piece.
	 */
	if (data[0] & 0x80)
		chunk = 1 + (data[0] & 0x1f);
	else
		chunk = (len + data[0] % 4) / (1 + data[0] % 4);
	imsg_init(&ibuf, sv[1]);
	while (off < len) {
		piece = len - off;
		if (piece > chunk && ++pieces < FUZZ_MAXPIECES)
			piece = chunk;
		send_piece(data + off, piece, off == 0 && (data[0] & 0x40));
		off += piece;
		if (imsg_read(&ibuf) <= 0)
			break;
		while ((n = imsg_get(&ibuf, &imsg)) > 0) {
			if (imsg.hdr.len != n || imsg_get_len(&imsg) !=
			    (size_t)n - IMSG_HEADER_SIZE)
				abort();
			if (imsg.fd != -1)
				close(imsg.fd);
			imsg_free(&imsg);
		}
		if (n == -1)
			break;
	}
	imsg_clear(&ibuf);
	drain();
	return (0);
}
