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
	char		 err[256] = "";
	const char	*verb;
	json_t		*req, *w;

	if (parse_command(argc, argv, &req, &verb, err, sizeof(err)) !=
	    PARSE_OK)
		req = NULL;
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
	    "\"auto_ip\":true,\"admin\":true,\"invite_expires\":1209600,"
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

	/* each verb its own flags, and short ones as upstream's */
	expect("up -d is --daemon", "{\"verb\":\"up\",\"network\":\"corp\","
	    "\"args\":{\"daemon\":true,\"interval\":30}}",
	    ARGS("up", "-d", "corp", "--interval", "30"));
	expect("install -d is --delete-invite", "{\"verb\":\"install\","
	    "\"args\":{\"delete_invite\":true,\"invitation\":\"x.toml\"}}",
	    ARGS("install", "-d", "x.toml"));
	expect("down has no -d", NULL, ARGS("down", "-d", "corp"));
	expect("install has no --hosts-path", NULL, ARGS("install", "x.toml",
	    "--hosts-path", "/etc/hosts"));
	expect("list-peers has no --yes", NULL, ARGS("list-peers", "corp",
	    "--yes"));
	expect("show is list", "{\"verb\":\"list\",\"network\":\"corp\","
	    "\"args\":{\"tree\":true,\"short\":true}}",
	    ARGS("show", "-ts", "corp"));
	expect("list without a network", "{\"verb\":\"list\",\"args\":{}}",
	    ARGS("list"));
	expect("redeem is install", "{\"verb\":\"install\",\"args\":{"
	    "\"invitation\":\"x.toml\"}}", ARGS("redeem", "x.toml"));
	expect("init is new", "{\"verb\":\"new\",\"args\":{}}",
	    ARGS("init"));
	expect("set-listen-port -l", "{\"verb\":\"set-listen-port\","
	    "\"network\":\"corp\",\"args\":{\"listen_port\":51999}}",
	    ARGS("set-listen-port", "corp", "-l51999"));
	expect("override-endpoint -e", "{\"verb\":\"override-endpoint\","
	    "\"network\":\"corp\",\"args\":{\"endpoint\":"
	    "\"192.0.2.1:51820\"}}", ARGS("override-endpoint", "corp", "-e",
	    "192.0.2.1:51820"));
	expect("NAT flags", "{\"verb\":\"fetch\",\"network\":\"corp\","
	    "\"args\":{\"no_nat_traversal\":true,\"exclude_nat_candidates\":"
	    "[\"10.0.0.0/8\",\"192.168.0.0/16\"]}}", ARGS("fetch", "corp",
	    "--no-nat-traversal", "--exclude-nat-candidates", "10.0.0.0/8",
	    "--exclude-nat-candidates=192.168.0.0/16"));
	expect("override-peer-endpoint", "{\"verb\":"
	    "\"override-peer-endpoint\",\"network\":\"corp\",\"args\":{"
	    "\"name\":\"db\",\"unset\":true}}",
	    ARGS("override-peer-endpoint", "corp", "--name", "db", "-u"));
	expect("delete-peer", "{\"verb\":\"delete-peer\",\"network\":"
	    "\"corp\",\"args\":{\"name\":\"db\",\"yes\":true}}",
	    ARGS("delete-peer", "corp", "--name", "db", "--yes"));
	expect("-- ends the flags", "{\"verb\":\"list\",\"network\":"
	    "\"corp\",\"args\":{}}", ARGS("list", "--", "corp"));

	/* malformed values are refused here */
	expect("a /33", NULL, ARGS("add-cidr", "corp", "--name", "a",
	    "--cidr", "10.0.0.0/33", "--parent", "corp"));
	expect("a garbage endpoint", NULL, ARGS("override-endpoint", "corp",
	    "--endpoint", "garbage"));
	expect("a bad address", NULL, ARGS("add-peer", "corp", "--ip",
	    "10.0.0.256"));
	expect("--ip with --auto-ip", NULL, ARGS("add-peer", "corp", "--ip",
	    "10.0.0.2", "--auto-ip"));
	expect("--admin maybe", NULL, ARGS("add-peer", "corp", "--admin",
	    "maybe"));
	expect("a new name that is no hostname", NULL, ARGS("add-cidr", "corp",
	    "--name", "Humans"));
	expect("a network that is no interface name", NULL,
	    ARGS("list-peers", "this-is-far-too-long"));
	expect("--interval 0", NULL, ARGS("up", "corp", "-d", "--interval",
	    "0"));
	expect("--endpoint with --unset", NULL, ARGS("override-endpoint",
	    "corp", "-e", "192.0.2.1:1", "-u"));
	expect("a NAT exclusion that is no CIDR", NULL, ARGS("fetch", "corp",
	    "--exclude-nat-candidates", "10.0.0.1"));

	/* the semantic half's flags, as the daemon reads them */
	expect("fetch without a network is every network", "{\"verb\":"
	    "\"fetch\",\"args\":{\"no_nat_candidates\":true}}",
	    ARGS("fetch", "--no-nat-candidates"));
	expect("up without a network, --interval in seconds", "{\"verb\":"
	    "\"up\",\"args\":{\"daemon\":true,\"interval\":60}}",
	    ARGS("up", "--daemon", "--interval=60"));
	expect("--interval is seconds, not a duration", NULL, ARGS("up",
	    "-d", "--interval", "1h"));
	expect("--interval beyond a day", NULL, ARGS("up", "-d",
	    "--interval", "86401"));
	expect("up takes one network at most", NULL, ARGS("up", "a", "b"));
	expect("down needs its network", NULL, ARGS("down"));
	expect("exclusions with --no-nat-candidates", NULL, ARGS("up",
	    "--exclude-nat-candidates", "10.0.0.0/8", "--no-nat-candidates"));
	expect("override-peer-endpoint -e --yes", "{\"verb\":"
	    "\"override-peer-endpoint\",\"network\":\"corp\",\"args\":{"
	    "\"name\":\"db\",\"endpoint\":\"192.0.2.9:51820\","
	    "\"yes\":true}}", ARGS("override-peer-endpoint", "corp",
	    "--name", "db", "-e", "192.0.2.9:51820", "--yes"));
	expect("override-peer-endpoint -e with -u", NULL,
	    ARGS("override-peer-endpoint", "corp", "--name", "db", "-e",
	    "192.0.2.9:51820", "-u"));
	expect("override-peer-endpoint has no -l", NULL,
	    ARGS("override-peer-endpoint", "corp", "--name", "db", "-l",
	    "1"));
	expect("delete-peer -y", "{\"verb\":\"delete-peer\",\"network\":"
	    "\"corp\",\"args\":{\"name\":\"db\",\"yes\":true}}",
	    ARGS("delete-peer", "-y", "corp", "--name=db"));
	expect("delete-peer has no --force", NULL, ARGS("delete-peer",
	    "corp", "--name", "db", "--force"));
	expect("delete-peer needs its network", NULL, ARGS("delete-peer",
	    "--name", "db", "--yes"));

	/* upstream takes several exclusions at once; so does the daemon */
	expect("NAT exclusions as one list", "{\"verb\":\"install\","
	    "\"args\":{\"invitation\":\"x.toml\",\"exclude_nat_candidates\":"
	    "[\"10.0.0.0/8\",\"192.168.0.0/16\",\"2001:db8::/32\"]}}",
	    ARGS("install", "x.toml", "--exclude-nat-candidates",
	    "10.0.0.0/8,192.168.0.0/16", "--exclude-nat-candidates",
	    "2001:db8::/32"));
	expect("a NAT list with an empty part", NULL, ARGS("fetch",
	    "--exclude-nat-candidates", "10.0.0.0/8,"));
	return (failed);
}
