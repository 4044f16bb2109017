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
 * from a peer process, through a socketpair, drained with imsg_get.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct imsgbuf	 ibuf;
	struct imsg	 imsg;
	int		 sv[2];
	ssize_t		 n;
	size_t		 off = 0, chunk;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		return (0);
	imsg_init(&ibuf, sv[1]);
	while (off < len) {
		/* The first byte picks how the stream is cut into reads. */
		chunk = 1 + (len > 0 ? data[0] % 64 : 0) * 97;
		if (chunk > len - off)
			chunk = len - off;
		if (write(sv[0], data + off, chunk) != (ssize_t)chunk)
			break;
		off += chunk;
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
	close(sv[0]);
	close(sv[1]);
	return (0);
}
