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


/* innernetctl's command line to request documents. */

#include <stdio.h>
#include <string.h>

#include "innernetctl.h"

static int	failed;

static void
expect(const char *name, const char *want, int argc, char **argv)
{
	char	 err[256] = "";
	json_t	*req, *w;

	req = parse_command(argc, argv, err, sizeof(err));
	if (want == NULL) {
		if (req == NULL)
			printf("ok - %s (%s)\n", name, err);
		else {
			printf("not ok - %s: accepted\n", name);
			failed = 1;
		}
		json_decref(req);
		return;
	}
	w = json_loads(want, 0, NULL);
	if (req != NULL && json_equal(req, w))
		printf("ok - %s\n", name);
	else {
		printf("not ok - %s: %s\n", name, req ? json_dumps(req, 0) :
		    err);
		failed = 1;
	}
	json_decref(req);
	json_decref(w);
}

#define ARGS(...)	(sizeof((char *[]){ __VA_ARGS__ }) / sizeof(char *)), \
	(char *[]){ __VA_ARGS__ }

int
main(void)
{
	expect("status", "{\"verb\":\"status\",\"args\":{}}", ARGS("status"));
	expect("new with every flag", "{\"verb\":\"new\",\"args\":{"
	    "\"network_name\":\"corp\",\"network_cidr\":\"10.0.0.0/16\","
	    "\"external_endpoint\":\"192.0.2.1:51820\",\"listen_port\":51820}}",
	    ARGS("new", "--network-name", "corp", "--network-cidr",
	    "10.0.0.0/16", "--external-endpoint=192.0.2.1:51820",
	    "--listen-port", "51820"));
	expect("add-peer, network anywhere", "{\"verb\":\"add-peer\","
	    "\"network\":\"corp\",\"args\":{\"name\":\"a\",\"cidr\":\"h\","
	    "\"auto_ip\":true,\"admin\":\"true\",\"invite_expires\":1209600,"
	    "\"yes\":true}}", ARGS("add-peer", "--name", "a", "corp",
	    "--cidr", "h", "--auto-ip", "--admin", "true",
	    "--invite-expires", "14d", "-y"));
	expect("add-association", "{\"verb\":\"add-association\","
	    "\"network\":\"corp\",\"args\":{\"cidr1\":\"a\",\"cidr2\":\"b\"}}",
	    ARGS("add-association", "corp", "a", "b"));
	expect("override-endpoint -u", "{\"verb\":\"override-endpoint\","
	    "\"network\":\"corp\",\"args\":{\"unset\":true}}",
	    ARGS("override-endpoint", "-u", "corp"));
	expect("install names its file", "{\"verb\":\"install\",\"args\":{"
	    "\"invitation\":\"x.toml\",\"default_name\":true}}",
	    ARGS("install", "x.toml", "--default-name"));
	expect("unknown verb", NULL, ARGS("frobnicate"));
	expect("unknown flag", NULL, ARGS("list-peers", "--colour", "corp"));
	expect("missing network", NULL, ARGS("list-peers"));
	expect("two networks", NULL, ARGS("list-peers", "a", "b"));
	expect("flag without value", NULL, ARGS("add-cidr", "corp", "--name"));
	expect("bad port", NULL, ARGS("set-listen-port", "corp",
	    "--listen-port", "70000"));
	expect("bad duration", NULL, ARGS("add-peer", "corp",
	    "--invite-expires", "soon"));
	expect("boolean with a value", NULL, ARGS("uninstall", "corp",
	    "--yes=no"));
	expect("new takes no network", NULL, ARGS("new", "corp"));
	return (failed);
}
