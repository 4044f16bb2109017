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
 * Private keys: made here, stored here (<statedir>/keys/<if>.key, 0600,
 * temp file + fsync + rename), never sent to another process.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "wgd.h"

static int
b64_bin(const char *b64, unsigned char *bin)
{
	size_t	len;

	if (!in_key_ok(b64))
		return (-1);
	if (sodium_base642bin(bin, 32, b64, strlen(b64), NULL, &len, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || len != 32)
		return (-1);
	return (0);
}

int
key_public(const char *priv, char *pub)
{
	unsigned char	sk[32], pk[32];

	if (b64_bin(priv, sk) == -1)
		return (-1);
	/* WireGuard clamps the scalar; crypto_scalarmult_base does too. */
	if (crypto_scalarmult_base(pk, sk) != 0) {
		sodium_memzero(sk, sizeof(sk));
		return (-1);
	}
	sodium_memzero(sk, sizeof(sk));
	sodium_bin2base64(pub, IN_KEYSZ, pk, sizeof(pk),
	    sodium_base64_VARIANT_ORIGINAL);
	return (0);
}

int
key_generate(char *priv, char *pub)
{
	unsigned char	sk[32];

	randombytes_buf(sk, sizeof(sk));
	sk[0] &= 248;
	sk[31] &= 127;
	sk[31] |= 64;
	sodium_bin2base64(priv, IN_KEYSZ, sk, sizeof(sk),
	    sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(sk, sizeof(sk));
	return (key_public(priv, pub));
}

static int
key_path(const char *dir, const char *ifname, char *path, size_t len)
{
	if (!in_ifname_ok(ifname))
		return (-1);
	if ((size_t)snprintf(path, len, "%s/%s.key", dir, ifname) >= len)
		return (-1);
	return (0);
}

int
key_load(const char *dir, const char *ifname, char *priv)
{
	char	path[PATH_MAX], buf[IN_KEYSZ + 2];
	ssize_t	n;
	int	fd;

	if (key_path(dir, ifname, path, sizeof(path)) == -1)
		return (-1);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < IN_KEYSZ - 1)
		return (-1);
	buf[IN_KEYSZ - 1] = '\0';
	if (!in_key_ok(buf))
		return (-1);
	strlcpy(priv, buf, IN_KEYSZ);
	sodium_memzero(buf, sizeof(buf));
	return (0);
}

int
key_store(const char *dir, const char *ifname, const char *priv)
{
	char	path[PATH_MAX], tmp[PATH_MAX], line[IN_KEYSZ + 1];
	int	fd, dfd, saved;

	if (key_path(dir, ifname, path, sizeof(path)) == -1 ||
	    !in_key_ok(priv)) {
		errno = EINVAL;
		return (-1);
	}
	snprintf(tmp, sizeof(tmp), "%s/.%s.key.XXXXXX", dir, ifname);
	if ((fd = mkstemp(tmp)) == -1)
		return (-1);
	snprintf(line, sizeof(line), "%s\n", priv);
	/* mkstemp made it 0600: wgd has no promise to change modes */
	if (write(fd, line, strlen(line)) !=
	    (ssize_t)strlen(line) || fsync(fd) == -1) {
		saved = errno;
		close(fd);
		unlink(tmp);
		errno = saved;
		return (-1);
	}
	close(fd);
	sodium_memzero(line, sizeof(line));
	if (rename(tmp, path) == -1) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		return (-1);
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(dfd);
		close(dfd);
	}
	return (0);
}

int
key_remove(const char *dir, const char *ifname)
{
	char	path[PATH_MAX];

	if (key_path(dir, ifname, path, sizeof(path)) == -1)
		return (-1);
	if (unlink(path) == -1 && errno != ENOENT)
		return (-1);
	return (0);
}

int
key_b64_to_bin(const char *b64, unsigned char *bin)
{
	return (b64_bin(b64, bin));
}

void
key_bin_to_b64(const unsigned char *bin, char *b64)
{
	sodium_bin2base64(b64, IN_KEYSZ, bin, 32,
	    sodium_base64_VARIANT_ORIGINAL);
}

int
key_b64_to_hex(const char *b64, char *hex)
{
	unsigned char	bin[32];

	if (b64_bin(b64, bin) == -1)
		return (-1);
	sodium_bin2hex(hex, 65, bin, sizeof(bin));
	sodium_memzero(bin, sizeof(bin));
	return (0);
}

/*
 * Exactly 64 hex digits, not NUL-terminated: a public key, as the UAPI
 * lists one per peer.  By table, not in constant time (sodium_hex2bin
 * took a third of the endpoint walk): for public keys only.
 */
int
key_hex_to_bin(const char *hex, size_t len, unsigned char *bin)
{
	/* a digit's value, with 0x10 set; 0 for what is not one */
	static const unsigned char	 v[256] = {
		['0'] = 0x10, ['1'] = 0x11, ['2'] = 0x12, ['3'] = 0x13,
		['4'] = 0x14, ['5'] = 0x15, ['6'] = 0x16, ['7'] = 0x17,
		['8'] = 0x18, ['9'] = 0x19,
		['a'] = 0x1a, ['b'] = 0x1b, ['c'] = 0x1c, ['d'] = 0x1d,
		['e'] = 0x1e, ['f'] = 0x1f,
		['A'] = 0x1a, ['B'] = 0x1b, ['C'] = 0x1c, ['D'] = 0x1d,
		['E'] = 0x1e, ['F'] = 0x1f,
	};
	const unsigned char		*h = (const unsigned char *)hex;
	unsigned char			 hi, lo, all = 0x10;
	size_t				 i;

	if (len != 64)
		return (-1);
	for (i = 0; i < 32; i++) {
		hi = v[h[2 * i]];
		lo = v[h[2 * i + 1]];
		all &= hi & lo;
		bin[i] = (unsigned char)(hi << 4 | (lo & 0x0f));
	}
	return (all ? 0 : -1);
}

int
key_hex_to_b64(const char *hex, char *b64)
{
	unsigned char	bin[32];
	size_t		len;

	if (strlen(hex) != 64 || sodium_hex2bin(bin, sizeof(bin), hex, 64,
	    NULL, &len, NULL) != 0 || len != 32)
		return (-1);
	sodium_bin2base64(b64, IN_KEYSZ, bin, sizeof(bin),
	    sodium_base64_VARIANT_ORIGINAL);
	return (0);
}
