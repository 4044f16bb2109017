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


/* Human output: tables for lists, a few lines for everything else. */

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "innernetctl.h"

static const char *
str(json_t *o, const char *k)
{
	json_t	*v = json_object_get(o, k);

	return (json_is_string(v) ? json_string_value(v) : "-");
}

static void
print_peers(json_t *a)
{
	size_t	 i;
	json_t	*p;

	printf("%-5s %-24s %-18s %-6s %-5s %-8s %s\n", "ID", "NAME", "IP",
	    "CIDR", "ADMIN", "STATE", "ENDPOINT");
	json_array_foreach(a, i, p)
		printf("%-5lld %-24s %-18s %-6lld %-5s %-8s %s\n",
		    (long long)json_integer_value(json_object_get(p, "id")),
		    str(p, "name"), str(p, "ip"),
		    (long long)json_integer_value(json_object_get(p,
		    "cidr_id")),
		    json_is_true(json_object_get(p, "is_admin")) ? "yes" : "no",
		    json_is_true(json_object_get(p, "is_disabled")) ?
		    "disabled" : json_is_true(json_object_get(p,
		    "is_redeemed")) ? "active" : "invited",
		    str(p, "endpoint"));
}

static void
print_cidrs(json_t *a)
{
	size_t	 i;
	json_t	*c, *parent;

	printf("%-5s %-24s %-20s %s\n", "ID", "NAME", "CIDR", "PARENT");
	json_array_foreach(a, i, c) {
		parent = json_object_get(c, "parent");
		printf("%-5lld %-24s %-20s ", (long long)json_integer_value(
		    json_object_get(c, "id")), str(c, "name"), str(c, "cidr"));
		if (json_is_integer(parent))
			printf("%lld\n", (long long)json_integer_value(parent));
		else
			printf("-\n");
	}
}

static void
print_assocs(json_t *a)
{
	size_t	 i;
	json_t	*x;

	printf("%-5s %-8s %s\n", "ID", "CIDR 1", "CIDR 2");
	json_array_foreach(a, i, x)
		printf("%-5lld %-8lld %lld\n",
		    (long long)json_integer_value(json_object_get(x, "id")),
		    (long long)json_integer_value(json_object_get(x,
		    "cidr_id_1")),
		    (long long)json_integer_value(json_object_get(x,
		    "cidr_id_2")));
}

static void
print_status(json_t *r)
{
	size_t	 i;
	json_t	*p;

	printf("innernetd %s (innernet protocol %s)\n\n", str(r, "version"),
	    str(r, "protocol"));
	printf("%-8s %-7s %-6s %-24s %s\n", "PROCESS", "PID", "UID", "ROOT",
	    "SANDBOX");
	json_array_foreach(json_object_get(r, "processes"), i, p)
		printf("%-8s %-7lld %-6lld %-24s %s\n", str(p, "name"),
		    (long long)json_integer_value(json_object_get(p, "pid")),
		    (long long)json_integer_value(json_object_get(p, "uid")),
		    str(p, "root"), str(p, "sandbox"));
	printf("\n%-16s %-7s %-20s %-16s %s\n", "NETWORK", "ROLE", "CIDR",
	    "ADDRESS", "PEERS");
	json_array_foreach(json_object_get(r, "networks"), i, p)
		printf("%-16s %-7s %-20s %-16s %lld\n", str(p, "name"),
		    str(p, "role"), str(p, "cidr"), str(p, "address"),
		    (long long)json_integer_value(json_object_get(p,
		    "peers")));
}

/* "3m 10s ago" for a handshake time, "never" without one. */
static void
age(json_t *t, char *buf, size_t len)
{
	long long	d;

	if (!json_is_integer(t)) {
		snprintf(buf, len, "never");
		return;
	}
	d = (long long)time(NULL) - json_integer_value(t);
	if (d < 0)
		d = 0;
	if (d < 60)
		snprintf(buf, len, "%llds ago", d);
	else if (d < 3600)
		snprintf(buf, len, "%lldm %llds ago", d / 60, d % 60);
	else
		snprintf(buf, len, "%lldh %lldm ago", d / 3600,
		    (d % 3600) / 60);
}

static void
bytes(json_t *v, char *buf, size_t len)
{
	double		 b = (double)json_integer_value(v);
	const char	*u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int		 i = 0;

	while (b >= 1024 && i < 4) {
		b /= 1024;
		i++;
	}
	snprintf(buf, len, i == 0 ? "%.0f %s" : "%.1f %s", b, u[i]);
}

static void
print_client_peer(json_t *p, int shortform, const char *indent)
{
	char	hs[32], rx[32], tx[32];
	json_t	*ce = json_object_get(p, "current_endpoint");

	if (shortform) {
		printf("%s%s %s\n", indent, str(p, "name"), str(p, "ip"));
		return;
	}
	age(json_object_get(p, "last_handshake"), hs, sizeof(hs));
	bytes(json_object_get(p, "rx_bytes"), rx, sizeof(rx));
	bytes(json_object_get(p, "tx_bytes"), tx, sizeof(tx));
	printf("%speer %s (%s)%s\n", indent, str(p, "name"), str(p, "ip"),
	    json_is_true(json_object_get(p, "is_admin")) ? " admin" : "");
	printf("%s  endpoint:  %s\n", indent, json_is_string(ce) ?
	    json_string_value(ce) : str(p, "endpoint"));
	printf("%s  handshake: %s\n", indent, hs);
	printf("%s  transfer:  %s received, %s sent\n", indent, rx, tx);
}

static void
print_tree(json_t *cidrs, json_t *peers, json_t *parent, int depth,
    int shortform)
{
	char	 indent[64];
	size_t	 i, j;
	json_t	*c, *p;
	int	 d;

	if (depth > 16)
		return;
	for (d = 0; d < depth * 2 && d < 62; d++)
		indent[d] = ' ';
	indent[d] = '\0';
	json_array_foreach(cidrs, i, c) {
		if (!json_equal(json_object_get(c, "parent"), parent) &&
		    !(json_is_null(parent) && json_object_get(c, "parent") ==
		    NULL))
			continue;
		printf("%s%s %s\n", indent, str(c, "cidr"), str(c, "name"));
		json_array_foreach(peers, j, p)
			if (json_equal(json_object_get(p, "cidr_id"),
			    json_object_get(c, "id"))) {
				strlcat(indent, "  ", sizeof(indent));
				print_client_peer(p, shortform, indent);
				indent[strlen(indent) - 2] = '\0';
			}
		print_tree(cidrs, peers, json_object_get(c, "id"), depth + 1,
		    shortform);
	}
}

static void
print_client(json_t *r, json_t *args)
{
	json_t	*peers = json_object_get(r, "peers"), *p;
	size_t	 i;
	int	 shortform, tree;

	shortform = json_is_true(json_object_get(args, "short"));
	tree = json_is_true(json_object_get(args, "tree"));
	printf("network %s: %s, listening on port %lld%s\n", str(r, "network"),
	    str(r, "address"), (long long)json_integer_value(
	    json_object_get(r, "listen_port")), json_is_true(json_object_get(
	    r, "up")) ? "" : " (down)");
	if (!shortform) {
		printf("  public key: %s\n", str(r, "public_key"));
		printf("  server:     %s:%lld (%s)\n", str(r, "server_ip"),
		    (long long)json_integer_value(json_object_get(r,
		    "server_port")), str(r, "external_endpoint"));
	}
	if (tree) {
		print_tree(json_object_get(r, "cidrs"), peers, json_null(), 1,
		    shortform);
		return;
	}
	json_array_foreach(peers, i, p)
		print_client_peer(p, shortform, "  ");
}

void
output_human(const char *verb, json_t *r, json_t *args)
{
	json_t	*peers;

	if (strcmp(verb, "status") == 0)
		print_status(r);
	else if (strcmp(verb, "list") == 0 && json_is_object(r) &&
	    json_object_get(r, "peers") != NULL)
		print_client(r, args);
	else if (strcmp(verb, "list-peers") == 0 || (strcmp(verb, "list") ==
	    0 && json_is_array(r)))
		print_peers(r);
	else if (strcmp(verb, "list-cidrs") == 0 &&
	    json_is_true(json_object_get(args, "tree"))) {
		peers = json_array();
		print_tree(r, peers, json_null(), 0, 1);
		json_decref(peers);
	} else if (strcmp(verb, "list-cidrs") == 0)
		print_cidrs(r);
	else if (strcmp(verb, "list-associations") == 0)
		print_assocs(r);
	else if (strcmp(verb, "fetch") == 0 || strcmp(verb, "up") == 0) {
		if (json_is_true(json_object_get(r, "changed")))
			printf("%s: %lld peers (%lld new, %lld gone)\n",
			    str(r, "network"), (long long)json_integer_value(
			    json_object_get(r, "peers")),
			    (long long)json_integer_value(json_object_get(r,
			    "added")), (long long)json_integer_value(
			    json_object_get(r, "removed")));
		else
			printf("%s: peers are up to date\n", str(r, "network"));
	} else if (strcmp(verb, "install") == 0) {
		printf("%s installed: address %s, public key %s\n",
		    str(r, "network"), str(r, "address"), str(r, "public_key"));
		if (json_is_string(json_object_get(r, "warning")))
			fprintf(stderr, "innernetctl: %s\n", str(r, "warning"));
	} else if (strcmp(verb, "import") == 0)
		printf("%s imported\n", str(r, "network"));
	else if (strcmp(verb, "down") == 0)
		printf("%s is down\n", str(r, "network"));
	else if (strcmp(verb, "set-listen-port") == 0)
		printf("%s: listen port %lld\n", str(r, "network"),
		    (long long)json_integer_value(json_object_get(r,
		    "listen_port")));
	else if (strcmp(verb, "override-endpoint") == 0)
		printf("%s: endpoint override %s\n", str(r, "network"),
		    *str(r, "override_endpoint") != '-' &&
		    *str(r, "override_endpoint") != '\0' ?
		    str(r, "override_endpoint") : "unset");
	else if (strcmp(verb, "delete-peer") == 0)
		printf("%s: peer %s %s\n", str(r, "network"), str(r, "name"),
		    strcmp(str(r, "action"), "withdrawn") == 0 ?
		    "withdrawn (its invitation was never redeemed)" :
		    "deleted (its address and key are never given again)");
	else if (strcmp(verb, "override-peer-endpoint") == 0)
		printf("%s: endpoint of %s %s%s\n", str(r, "network"),
		    str(r, "peer"), json_is_string(json_object_get(r,
		    "endpoint")) ? "overridden: " : "from the server again",
		    json_is_string(json_object_get(r, "endpoint")) ?
		    str(r, "endpoint") : "");
	else if (json_is_object(r) && json_object_get(r, "name") != NULL)
		printf("%s: %s\n", verb, str(r, "name"));
	else if (!json_is_null(r)) {
		json_dumpf(r, stdout, JSON_INDENT(2));
		printf("\n");
	}
}
