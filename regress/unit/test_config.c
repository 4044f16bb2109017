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


/* innernet.conf: the example, defaults, every key, every error. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static int	failed;

static void
check(int cond, const char *name, const char *detail)
{
	if (cond)
		printf("ok - %s\n", name);
	else {
		printf("not ok - %s%s%s\n", name, detail ? ": " : "",
		    detail ? detail : "");
		failed = 1;
	}
}

static int
parse(const char *text, struct innernet_conf *c, char *err, size_t len)
{
	return (config_parse_buf(text, strlen(text), "t.conf", c, err, len));
}

/* The text must fail with exactly this message. */
static void
bad(const char *text, const char *expect)
{
	struct innernet_conf	c;
	char			err[512] = "";
	int			rc;

	rc = parse(text, &c, err, sizeof(err));
	check(rc == -1 && strcmp(err, expect) == 0, expect, err);
	if (rc == 0)
		config_free(&c);
}

int
main(void)
{
	struct innernet_conf	c;
	char			err[512] = "";
	int			rc;

	rc = config_parse("etc/innernet.conf", &c, err, sizeof(err));
	check(rc == 0, "the example configuration parses", err);
	if (rc == 0) {
		check(c.nnets == 2 && strcmp(c.nets[0].name, "evilcorp") == 0 &&
		    c.nets[0].listen_port == 51820 &&
		    c.nets[0].host_suffix_set &&
		    strcmp(c.nets[0].host_suffix, "evilcorp.internal") == 0,
		    "example: network evilcorp", NULL);
		check(c.nets[1].backend == IN_BACKEND_USERSPACE &&
		    c.nets[1].fetch_interval == 30 &&
		    c.nets[1].write_hosts == 2, "example: network home", NULL);
		config_free(&c);
	}

	check(parse("", &c, err, sizeof(err)) == 0 &&
	    strcmp(c.global.user, "_innernet") == 0 &&
	    strcmp(c.global.state_dir, "/var/lib/innernet") == 0 &&
	    strcmp(c.global.socket_path,
	    "/var/run/innernet/innernetd.sock") == 0 &&
	    c.global.mtu == 1280 && c.global.fetch_interval == 60 &&
	    c.global.write_hosts == 1 && c.global.watch == 1 &&
	    c.global.max_body == 1048576 &&
	    c.global.max_per_source == 32 && c.global.header_timeout == 10 &&
	    c.global.body_timeout == 30 && c.nnets == 0,
	    "an empty file gives the defaults", err);
	config_free(&c);

	check(parse("", &c, err, sizeof(err)) == 0 &&
	    strcmp(c.global.wgd_user, "_innernetwg") == 0,
	    "wgd-user defaults to _innernetwg", err);
	config_free(&c);
	check(parse("wgd-user: _wgd\n", &c, err, sizeof(err)) == 0 &&
	    strcmp(c.global.wgd_user, "_wgd") == 0, "wgd-user is read", err);
	config_free(&c);

	check(parse("user: _wg\nstate-dir: /srv/in\ncontrol-socket: /run/x.sock"
	    "\nhosts-file: /tmp/hosts\nwrite-hosts: off\nbackend: kernel\n"
	    "wireguard-userspace: boringtun\nmtu: 1420\nfetch-interval: 5\n"
	    "watch: no\napi:\n  max-connections: 7\n  max-body: 2048\n  timeout: 3\n"
	    "  max-per-source: 4\n  header-timeout: 5\n  body-timeout: 6\n"
	    "networks:\n  a-b:\n    host-suffix: \"\"\n  c:\n",
	    &c, err, sizeof(err)) == 0 &&
	    strcmp(c.global.user, "_wg") == 0 &&
	    strcmp(c.global.state_dir, "/srv/in") == 0 &&
	    c.global.write_hosts == 2 &&
	    c.global.backend == IN_BACKEND_KERNEL &&
	    strcmp(c.global.wg_userspace, "boringtun") == 0 &&
	    c.global.mtu == 1420 && c.global.fetch_interval == 5 &&
	    c.global.watch == 2 &&
	    c.global.max_connections == 7 && c.global.max_body == 2048 &&
	    c.global.timeout == 3 && c.global.max_per_source == 4 &&
	    c.global.header_timeout == 5 && c.global.body_timeout == 6 &&
	    c.nnets == 2 &&
	    c.nets[0].host_suffix_set && c.nets[0].host_suffix[0] == '\0',
	    "every key", err);
	config_free(&c);

	check(parse("", &c, err, sizeof(err)) == 0 && c.nranges == 5 &&
	    c.ranges[0].len == 8 && c.ranges[4].ip.af == AF_INET6 &&
	    c.ranges[4].len == 7, "allowed-ranges: the private and "
	    "unique-local ranges by default", err);
	config_free(&c);
	check(parse("allowed-ranges:\n  - 10.60.0.0/16\n  - fd00:1::/64\n",
	    &c, err, sizeof(err)) == 0 && c.nranges == 2 &&
	    c.ranges[0].len == 16 && c.ranges[1].len == 64,
	    "allowed-ranges: a list replaces the defaults", err);
	config_free(&c);
	bad("allowed-ranges: 10.0.0.0/8\n", "t.conf:1: 'allowed-ranges' must "
	    "be a list of networks like 10.0.0.0/8");
	bad("allowed-ranges: []\n", "t.conf:1: 'allowed-ranges' must list "
	    "at least one network");
	bad("allowed-ranges:\n  - 0.0.0.0/0\n", "t.conf:2: 'allowed-ranges': "
	    "0.0.0.0/0 would hand innernet every address");
	bad("allowed-ranges:\n  - 10.1.2.3/8\n", "t.conf:2: 'allowed-ranges': "
	    "'10.1.2.3/8' is not a network like 10.0.0.0/8");
	bad("allowed-ranges:\n  - [a]\n", "t.conf:2: 'allowed-ranges' takes "
	    "a single value");

	bad("foo: 1\n", "t.conf:1: unknown key 'foo'");
	bad("mtu: 1280\nnetworks:\n  x:\n    colour: red\n",
	    "t.conf:4: unknown key 'colour' in network 'x'");
	bad("mtu: 100\n", "t.conf:1: 'mtu' must be a number from 576 to 9000, "
	    "not '100'");
	bad("mtu: [1]\n", "t.conf:1: 'mtu' takes a single value");
	bad("write-hosts: maybe\n",
	    "t.conf:1: 'write-hosts' must be yes or no, not 'maybe'");
	bad("backend: quantum\n", "t.conf:1: 'backend' must be auto, kernel "
	    "or userspace, not 'quantum'");
	bad("state-dir: relative\n",
	    "t.conf:1: 'state-dir' must be an absolute path");
	bad("user: \"bad user\"\n", "t.conf:1: 'bad user' is not a valid user "
	    "name");
	bad("wgd-user: \"x y\"\n", "t.conf:1: 'x y' is not a valid user "
	    "name");
	bad("user: _same\nwgd-user: _same\n",
	    "t.conf: 'user' and 'wgd-user' must differ");
	bad("mtu: 1280\nmtu: 1300\n", "t.conf:2: duplicate key 'mtu'");
	bad("networks:\n  Bad_Name:\n    mtu: 1280\n",
	    "t.conf:3: 'Bad_Name' is not a valid network name (lowercase "
	    "letters, digits and inner hyphens, at most 15 characters)");
	bad("networks:\n  a:\n    listen-port: 0\n", "t.conf:3: 'listen-port' "
	    "must be a number from 1 to 65535, not '0'");
	bad("networks:\n  a: {}\n  a: {}\n", "t.conf:3: duplicate key 'a'");
	bad("- 1\n- 2\n", "t.conf:1: the file must be a mapping of keys to values");
	bad("a: &x 1\nb: *x\n", "t.conf:1: anchors and aliases are not "
	    "allowed");
	bad("mtu: 1280\n  bad: indent\n",
	    "t.conf:2: mapping values are not allowed in this context");
	bad("api: 5\n", "t.conf:1: api must be a mapping of keys to values");
	bad("fetch-interval: 0\n", "t.conf:1: 'fetch-interval' must be a "
	    "number from 1 to 86400, not '0'");
	bad("mtu: 1280\n---\nmtu: 1300\n",
	    "t.conf:2: only one document is allowed");

	rc = config_parse("/nonexistent/innernet.conf", &c, err, sizeof(err));
	check(rc == -1 && strcmp(err, "/nonexistent/innernet.conf: No such "
	    "file or directory") == 0, "a missing file is named", err);
	return (failed);
}
