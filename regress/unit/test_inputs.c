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
 * Inputs upstream accepts but the server refuses because they harm
 * other peers: endpoints and candidates that point nowhere useful, and
 * public keys of small order.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "innernet.h"

static int	failures;

static void
check(int cond, const char *what, const char *input)
{
	printf("%s - %s: %s\n", cond ? "ok" : "not ok", what, input);
	if (!cond)
		failures++;
}

static void
test_endpoints(void)
{
	static const char *good[] = {
		"192.0.2.1:51820", "198.51.100.7:1", "[2001:db8::1]:51820",
		"vpn.example.com:51820", "10.0.0.1:65535", "172.16.0.1:443",
		"[::ffff:192.0.2.1]:51820", "localhostish.example:51820",
	};
	static const struct {
		const char	*ep;
		const char	*why;
	} bad[] = {
		{ "127.0.0.1:51820", "loopback" },
		{ "127.255.0.9:51820", "loopback" },
		{ "[::1]:51820", "loopback" },
		{ "[::ffff:127.0.0.1]:51820", "loopback" },
		{ "localhost:51820", "loopback" },
		{ "LocalHost.:51820", "loopback" },
		{ "a.localhost:51820", "loopback" },
		{ "224.0.0.1:51820", "multicast" },
		{ "239.255.255.250:1900", "multicast" },
		{ "[ff02::1]:51820", "multicast" },
		{ "255.255.255.255:51820", "broadcast" },
		{ "169.254.1.1:51820", "link-local" },
		{ "[fe80::1]:51820", "link-local" },
		{ "0.0.0.0:51820", "unspecified" },
		{ "0.1.2.3:51820", "unspecified" },
		{ "[::]:51820", "unspecified" },
		{ "192.0.2.1:0", "port 0" },
		{ "vpn.example.com:0", "port 0" },
		{ "0.0.0.0:0", "port 0" },
		{ "nonsense", "not host:port" },
	};
	const char	*why;
	size_t		 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		check(in_endpoint_problem(good[i], 0) == NULL,
		    "candidate accepted", good[i]);
		check(in_endpoint_problem(good[i], 1) == NULL,
		    "endpoint accepted", good[i]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = in_endpoint_problem(bad[i].ep, 0);
		check(why != NULL && strcmp(why, bad[i].why) == 0,
		    "candidate refused with its reason", bad[i].ep);
	}
	/* the override form: an unspecified address with a real port */
	check(in_endpoint_problem("0.0.0.0:51820", 1) == NULL,
	    "override endpoint accepted", "0.0.0.0:51820");
	check(in_endpoint_problem("[::]:51820", 1) == NULL,
	    "override endpoint accepted", "[::]:51820");
	check(in_endpoint_problem("0.0.0.0:0", 1) != NULL,
	    "override without a port refused", "0.0.0.0:0");
	check(in_endpoint_problem("127.0.0.1:51820", 1) != NULL,
	    "loopback endpoint refused", "127.0.0.1:51820");
}

/* The points of small order on Curve25519, as libsodium lists them. */
static const unsigned char small_order[][32] = {
	{ 0 },
	{ 1 },
	{ 0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3,
	  0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32,
	  0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00 },
	{ 0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1,
	  0x55, 0x9c, 0x83, 0xef, 0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c,
	  0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f, 0x11, 0x57 },
	{ 0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
	{ 0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
	{ 0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
};

static void
test_keys(void)
{
	unsigned char	bin[32], sk[32];
	char		b64[IN_KEYSZ];
	size_t		i;
	int		hi;

	for (i = 0; i < sizeof(small_order) / sizeof(small_order[0]); i++)
		for (hi = 0; hi < 2; hi++) {
			memcpy(bin, small_order[i], sizeof(bin));
			if (hi)		/* the unused top bit set */
				bin[31] |= 0x80;
			sodium_bin2base64(b64, sizeof(b64), bin, sizeof(bin),
			    sodium_base64_VARIANT_ORIGINAL);
			check(in_key_ok(b64), "a well-formed key", b64);
			check(in_key_weak(b64), "small order refused", b64);
		}
	for (i = 0; i < 100; i++) {
		crypto_box_keypair(bin, sk);
		sodium_bin2base64(b64, sizeof(b64), bin, sizeof(bin),
		    sodium_base64_VARIANT_ORIGINAL);
		if (in_key_weak(b64)) {
			check(0, "a real key accepted", b64);
			return;
		}
	}
	check(1, "a hundred real keys accepted", "crypto_box_keypair");
	check(!in_key_weak("YBVIgpfLbi/knrMCTEb0L6eVy0daiZnJJQkxBK9s+2I="),
	    "a known key accepted",
	    "YBVIgpfLbi/knrMCTEb0L6eVy0daiZnJJQkxBK9s+2I=");
	check(in_key_weak("not base64"), "garbage refused", "not base64");
}

int
main(void)
{
	if (sodium_init() == -1)
		return (1);
	test_endpoints();
	test_keys();
	return (failures ? 1 : 0);
}
