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


/* imsg: round trips, descriptor passing, partial I/O, bad headers. */

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"

static int	failed;

#define CHECK(cond, name) do {						\
	if (cond)							\
		printf("ok - %s\n", name);				\
	else {								\
		printf("not ok - %s (line %d)\n", name, __LINE__);	\
		failed = 1;						\
	}								\
} while (0)

static void
pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1) {
		perror("socketpair");
		exit(1);
	}
}

static void
test_roundtrip(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	unsigned char	 big[MAX_IMSGSIZE - IMSG_HEADER_SIZE];
	uint32_t	 v = 0xdeadbeef, got;
	int		 sv[2], ok = 1;
	ssize_t		 n;
	size_t		 i;

	pair(sv);
	imsg_init(&a, sv[0]);
	imsg_init(&b, sv[1]);
	for (i = 0; i < sizeof(big); i++)
		big[i] = i * 7;
	CHECK(imsg_compose(&a, 1, 11, 0, -1, NULL, 0) == 1, "compose empty");
	CHECK(imsg_compose(&a, 2, 22, 0, -1, "x", 1) == 1, "compose 1 byte");
	CHECK(imsg_compose(&a, 3, 33, 0, -1, big, sizeof(big)) == 1,
	    "compose the largest message");
	CHECK(imsg_compose(&a, 4, 44, 0, -1, &v, sizeof(v)) == 1,
	    "compose u32");
	CHECK(imsg_compose(&a, 5, 0, 0, -1, big, sizeof(big) + 1) == -1 &&
	    errno == ERANGE, "oversize compose refused");
	CHECK(a.w.queued == 4, "four messages queued");
	CHECK(imsg_flush(&a) == 0 && a.w.queued == 0, "flush");

	n = imsg_read(&b);
	CHECK(n > 0, "read");
	while (b.r.wpos < 3 * IMSG_HEADER_SIZE + 1 + sizeof(big) + 4 &&
	    (n = imsg_read(&b)) > 0)
		;
	CHECK(imsg_get(&b, &imsg) == IMSG_HEADER_SIZE &&
	    imsg.hdr.type == 1 && imsg.hdr.peerid == 11 && imsg.fd == -1 &&
	    imsg_get_len(&imsg) == 0, "empty message");
	imsg_free(&imsg);
	CHECK(imsg_get(&b, &imsg) > 0 && imsg.hdr.type == 2 &&
	    imsg_get_len(&imsg) == 1 && ((char *)imsg.data)[0] == 'x',
	    "1-byte message");
	imsg_free(&imsg);
	CHECK(imsg_get(&b, &imsg) > 0 && imsg.hdr.type == 3 &&
	    imsg_get_len(&imsg) == sizeof(big), "largest message");
	if (imsg.data == NULL || memcmp(imsg.data, big, sizeof(big)) != 0)
		ok = 0;
	CHECK(ok, "largest message intact");
	imsg_free(&imsg);
	CHECK(imsg_get(&b, &imsg) > 0, "u32 message");
	CHECK(imsg_get_data(&imsg, &got, sizeof(got)) == 0 && got == v,
	    "get_data with the exact size");
	CHECK(imsg_get_data(&imsg, &got, 2) == -1 && errno == EBADMSG,
	    "get_data with another size refused");
	imsg_free(&imsg);
	CHECK(imsg_get(&b, &imsg) == 0, "nothing more");
	close(sv[0]);
	CHECK(imsg_read(&b) == 0, "EOF reads 0");
	imsg_clear(&a);
	imsg_clear(&b);
	close(sv[1]);
}

static void
test_fd(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	int		 sv[2], p[2], fd;
	char		 buf[8];

	pair(sv);
	if (pipe(p) == -1)
		exit(1);
	imsg_init(&a, sv[0]);
	imsg_init(&b, sv[1]);
	CHECK(imsg_compose(&a, 9, 0, 0, p[1], "fd", 2) == 1, "compose fd");
	CHECK(imsg_compose(&a, 10, 0, 0, -1, NULL, 0) == 1, "compose after");
	CHECK(imsg_flush(&a) == 0, "flush fd");
	CHECK(fcntl(p[1], F_GETFD) == -1, "sender closed its copy");
	while (imsg_read(&b) > 0 && b.r.wpos < 2 * IMSG_HEADER_SIZE + 2)
		;
	CHECK(imsg_get(&b, &imsg) > 0 && imsg.hdr.type == 9 &&
	    (fd = imsg_get_fd(&imsg)) != -1, "fd received");
	imsg_free(&imsg);
	CHECK(write(fd, "hi", 2) == 2 && read(p[0], buf, 2) == 2 &&
	    memcmp(buf, "hi", 2) == 0, "received fd works");
	close(fd);
	CHECK(imsg_get(&b, &imsg) > 0 && imsg.hdr.type == 10 && imsg.fd == -1,
	    "next message has no fd");
	imsg_free(&imsg);
	close(p[0]);
	imsg_clear(&a);
	imsg_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

/* One byte at a time in; many messages out through a tiny send buffer. */
static void
test_partial(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	unsigned char	 wire[512];
	int		 sv[2], sv2[2], i, sz = 1024, seen = 0, inorder = 1;
	ssize_t		 n, w;

	pair(sv);
	imsg_init(&a, sv[0]);
	CHECK(imsg_compose(&a, 7, 77, 0, -1, "hello", 5) == 1, "compose");
	CHECK(imsg_flush(&a) == 0, "flush");
	n = read(sv[1], wire, sizeof(wire));
	CHECK(n == (ssize_t)IMSG_HEADER_SIZE + 5, "wire size");
	pair(sv2);
	imsg_init(&b, sv2[1]);
	for (i = 0; i < n; i++) {
		if (write(sv2[0], wire + i, 1) != 1 || imsg_read(&b) != 1)
			break;
		if (i < n - 1 && imsg_get(&b, &imsg) != 0)
			break;
	}
	CHECK(i == n, "partial message stays pending");
	CHECK(imsg_get(&b, &imsg) > 0 && imsg.hdr.peerid == 77 &&
	    memcmp(imsg.data, "hello", 5) == 0, "assembled from bytes");
	imsg_free(&imsg);
	imsg_clear(&a);
	imsg_clear(&b);
	close(sv[0]); close(sv[1]); close(sv2[0]); close(sv2[1]);

	pair(sv);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	imsg_init(&a, sv[0]);
	imsg_init(&b, sv[1]);
	for (i = 0; i < 2000; i++)
		imsg_compose(&a, 100, i, 0, -1, wire, 300);
	for (i = 0; i < 100000 && seen < 2000; i++) {
		w = msgbuf_write(&a.w);
		if (w == -1 && errno != EAGAIN)
			break;
		if ((n = imsg_read(&b)) == -1 && errno != EAGAIN)
			break;
		while (imsg_get(&b, &imsg) > 0) {
			if (imsg.hdr.peerid != (uint32_t)seen)
				inorder = 0;
			seen++;
			imsg_free(&imsg);
		}
	}
	CHECK(seen == 2000, "2000 messages through partial writes");
	CHECK(inorder, "in order");
	imsg_clear(&a);
	imsg_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

/*
 * Messages are taken from an offset and the rest moved to the front only
 * on the next read: take a few at a time between reads, so messages end
 * and begin across that move, and check every byte.
 */
static void
test_offset(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	unsigned char	 data[61];
	int		 sv[2], i, j, k, seen = 0, good = 1;
	ssize_t		 n;

	pair(sv);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	imsg_init(&a, sv[0]);
	imsg_init(&b, sv[1]);
	for (i = 0; i < 5000; i++) {
		for (j = 0; j < (int)sizeof(data); j++)
			data[j] = (unsigned char)(i + j);
		imsg_compose(&a, 9, i, 0, -1, data, 1 + i % sizeof(data));
	}
	for (k = 0; k < 200000 && seen < 5000; k++) {
		if (msgbuf_write(&a.w) == -1 && errno != EAGAIN)
			break;
		if ((n = imsg_read(&b)) == -1 && errno != EAGAIN)
			break;
		for (j = 0; j < 3 && imsg_get(&b, &imsg) > 0; j++) {
			if (imsg.hdr.peerid != (uint32_t)seen ||
			    imsg.hdr.len - IMSG_HEADER_SIZE !=
			    1 + seen % sizeof(data))
				good = 0;
			for (i = 0; good && i < 1 + seen % (int)sizeof(data);
			    i++)
				if (((unsigned char *)imsg.data)[i] !=
				    (unsigned char)(seen + i))
					good = 0;
			seen++;
			imsg_free(&imsg);
		}
	}
	CHECK(seen == 5000, "5000 messages taken three per read");
	CHECK(good, "every header and byte intact across buffer moves");
	CHECK(b.r.rpos == 0 && b.r.wpos == 0, "read buffer empty at the end");
	imsg_clear(&a);
	imsg_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

static void
test_badheader(void)
{
	struct imsgbuf	 b;
	struct imsg	 imsg;
	struct imsg_hdr	 hdr;
	int		 sv[2];

	pair(sv);
	imsg_init(&b, sv[1]);
	memset(&hdr, 0, sizeof(hdr));
	hdr.len = IMSG_HEADER_SIZE - 1;
	CHECK(write(sv[0], &hdr, sizeof(hdr)) == sizeof(hdr) &&
	    imsg_read(&b) > 0, "short-length header read");
	CHECK(imsg_get(&b, &imsg) == -1 && errno == ERANGE,
	    "length below the header size refused");
	imsg_clear(&b);
	close(sv[0]);
	close(sv[1]);

	pair(sv);
	imsg_init(&b, sv[1]);
	hdr.len = MAX_IMSGSIZE;
	hdr.len += 1;
	CHECK(write(sv[0], &hdr, sizeof(hdr)) == sizeof(hdr) &&
	    imsg_read(&b) > 0, "oversize header read");
	CHECK(imsg_get(&b, &imsg) == -1 && errno == ERANGE,
	    "length above 16 KiB refused");
	imsg_clear(&b);
	close(sv[0]);
	close(sv[1]);

	pair(sv);
	imsg_init(&b, sv[1]);
	CHECK(write(sv[0], &hdr, 5) == 5 && imsg_read(&b) == 5 &&
	    imsg_get(&b, &imsg) == 0, "truncated header stays pending");
	imsg_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

/*
 * Messages may carry private keys: once a message is taken, no copy of
 * it stays in the read buffer, nor in the write buffer once sent.
 */
static void
test_zeroed(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	const char	 key[] = "SECRET-KEY-0123456789abcdefghijklmnopqr";
	int		 sv[2];

	pair(sv);
	imsg_init(&a, sv[0]);
	imsg_init(&b, sv[1]);
	CHECK(imsg_compose(&a, 7, 0, 0, -1, key, sizeof(key)) == 1 &&
	    imsg_compose(&a, 8, 0, 0, -1, "x", 1) == 1 &&
	    imsg_flush(&a) == 0, "two messages sent, a key in the first");
	CHECK(imsg_read(&b) > 0, "read both");
	CHECK(imsg_get(&b, &imsg) > 0 && imsg.hdr.type == 7 &&
	    memcmp(imsg.data, key, sizeof(key)) == 0, "the key arrives");
	CHECK(memmem(b.r.buf, sizeof(b.r.buf), key, sizeof(key) - 1) ==
	    NULL, "no copy of it left in the read buffer");
	imsg_free(&imsg);
	CHECK(imsg_get(&b, &imsg) > 0 && imsg.hdr.type == 8,
	    "the next message is intact");
	imsg_free(&imsg);
	imsg_clear(&a);
	imsg_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

int
main(void)
{
	test_roundtrip();
	test_fd();
	test_partial();
	test_offset();
	test_badheader();
	test_zeroed();
	return (failed);
}
