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


/* Invitation files: upstream's layout, round trips, every refusal. */

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "innernetctl.h"

static int	failed;

#define CHECK(c, n) do { if (c) printf("ok - %s\n", n); else {		\
	printf("not ok - %s\n", n); failed = 1; } } while (0)

#define KEY1	"8M0A4a8DdFXmAtW2vO0JxHA3Ljb+FfFlcF0bdHnq/E8="
#define KEY2	"ryBiRXbS8bnlFTNTlyu/w5rh8vcx1chJ1PUUd2cJwlY="

/* Exactly what upstream's serialiser writes for an invitation. */
static const char upstream[] =
    "[interface]\n"
    "network-name = \"evilcorp\"\n"
    "address = \"10.60.64.2/16\"\n"
    "private-key = \"" KEY1 "\"\n"
    "\n"
    "[server]\n"
    "public-key = \"" KEY2 "\"\n"
    "external-endpoint = \"vpn.example.com:51820\"\n"
    "internal-endpoint = \"10.60.0.1:51820\"\n";

static int
parses(const char *text)
{
	struct invitation	inv;
	char			err[256];

	return (invite_parse(text, strlen(text), &inv, err, sizeof(err)) ==
	    0);
}

static char *
replace(const char *from, const char *to)
{
	static char	buf[2048];
	const char	*p = strstr(upstream, from);

	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(p - upstream), upstream,
	    to, p + strlen(from));
	return (buf);
}

int
main(void)
{
	struct invitation	 inv, back;
	char			 err[256], buf[4096], path[] =
	    "/tmp/invite-test.XXXXXX", file[64];
	struct stat		 st;

	CHECK(invite_parse(upstream, strlen(upstream), &inv, err,
	    sizeof(err)) == 0, "an invitation as upstream writes it parses");
	CHECK(strcmp(inv.network_name, "evilcorp") == 0 &&
	    strcmp(inv.address, "10.60.64.2/16") == 0 &&
	    strcmp(inv.private_key, KEY1) == 0 && inv.listen_port == -1 &&
	    strcmp(inv.server_public_key, KEY2) == 0 &&
	    strcmp(inv.external_endpoint, "vpn.example.com:51820") == 0 &&
	    strcmp(inv.internal_endpoint, "10.60.0.1:51820") == 0,
	    "every field read");
	CHECK(invite_format(&inv, buf, sizeof(buf)) > 0 &&
	    strcmp(buf, upstream) == 0, "written byte for byte as upstream");
	inv.listen_port = 51821;
	CHECK(invite_format(&inv, buf, sizeof(buf)) > 0 &&
	    invite_parse(buf, strlen(buf), &back, err, sizeof(err)) == 0 &&
	    back.listen_port == 51821, "listen-port round trip");

	CHECK(parses("# comment\n\n[server]\npublic-key = \"" KEY2 "\"\n"
	    "external-endpoint = \"192.0.2.1:1\"\ninternal-endpoint = "
	    "\"[fd00::1]:51820\"\n[interface]\nnetwork-name = \"a\"\n"
	    "address = \"fd00::2/64\"\nprivate-key = \"" KEY1 "\"\n"),
	    "tables in any order, comments, IPv6");
	CHECK(!parses(replace("[server]", "[servers]")), "unknown table");
	CHECK(!parses(replace("address", "adress")), "unknown key");
	CHECK(!parses(replace("\"evilcorp\"", "\"Evil_Corp\"")),
	    "bad network name");
	CHECK(!parses(replace("10.60.64.2/16", "10.60.64.2")),
	    "address without prefix");
	CHECK(!parses(replace(KEY1, "AAAA")), "short key");
	CHECK(!parses(replace("vpn.example.com:51820", "vpn.example.com")),
	    "endpoint without port");
	CHECK(!parses(replace("10.60.0.1:51820", "api.example.com:51820")),
	    "internal endpoint must be an address");
	CHECK(!parses(replace("[server]\n", "[server]\n[server]\n")),
	    "table twice");
	CHECK(!parses(replace("network-name = \"evilcorp\"\n",
	    "network-name = \"evilcorp\"\nnetwork-name = \"x\"\n")),
	    "key twice");
	CHECK(!parses(replace("private-key", "private-key = 1\n#")),
	    "unquoted value");
	CHECK(!parses(replace("\"evilcorp\"", "\"evil\\ncorp\"")),
	    "unknown escape");
	CHECK(!parses("[interface]\nnetwork-name = \"a\"\n"),
	    "incomplete invitation");
	CHECK(!parses(replace("[interface]\n", "[interface]\nlisten-port = "
	    "70000\n")), "listen-port out of range");
	CHECK(!parses(replace("evilcorp\"", "evilcorp\" trailing")),
	    "trailing garbage");

	if (mkdtemp(path) == NULL)
		return (2);
	snprintf(file, sizeof(file), "%s/a.toml", path);
	CHECK(invite_write(file, &inv, err, sizeof(err)) == 0 &&
	    stat(file, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "written 0600");
	CHECK(invite_write(file, &inv, err, sizeof(err)) == -1,
	    "an existing file is never overwritten");
	CHECK(invite_read(file, &back, err, sizeof(err)) == 0 &&
	    back.listen_port == 51821, "read back from disk");
	unlink(file);
	rmdir(path);
	return (failed);
}
