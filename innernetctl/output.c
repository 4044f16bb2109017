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

void
output_human(const char *verb, json_t *r)
{
	if (strcmp(verb, "status") == 0)
		print_status(r);
	else if (strcmp(verb, "list-peers") == 0 || (strcmp(verb, "list") ==
	    0 && json_is_array(r)))
		print_peers(r);
	else if (strcmp(verb, "list-cidrs") == 0)
		print_cidrs(r);
	else if (strcmp(verb, "list-associations") == 0)
		print_assocs(r);
	else if (json_is_object(r) && json_object_get(r, "name") != NULL)
		printf("%s: %s\n", verb, str(r, "name"));
	else if (!json_is_null(r)) {
		json_dumpf(r, stdout, JSON_INDENT(2));
		printf("\n");
	}
}
