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
 * Human output: tables for lists, a line for everything that changed
 * something.  Tables are as wide as what they hold.
 */

#include <sys/socket.h>

#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "innernetctl.h"

#define TABLE_MAXCOLS	8

struct table {
	size_t	  ncols;
	size_t	  nrows;
	char	**cells;		/* nrows * ncols, row 0 the heading */
	size_t	  width[TABLE_MAXCOLS];
};

static void
table_init(struct table *t, size_t ncols)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
}

/* A row of ncols strings; copied. */
static void
table_row(struct table *t, ...)
{
	va_list		 ap;
	char		**c;
	const char	*s;
	size_t		 i, n;

	if ((c = reallocarray(t->cells, (t->nrows + 1) * t->ncols,
	    sizeof(*c))) == NULL)
		return;
	t->cells = c;
	va_start(ap, t);
	for (i = 0; i < t->ncols; i++) {
		s = va_arg(ap, const char *);
		if (s == NULL)
			s = "-";
		c[t->nrows * t->ncols + i] = strdup(s);
		if ((n = strlen(s)) > t->width[i])
			t->width[i] = n;
	}
	va_end(ap);
	t->nrows++;
}

static void
table_print(struct table *t)
{
	size_t		 r, i;
	const char	*s;

	for (r = 0; r < t->nrows; r++) {
		for (i = 0; i < t->ncols; i++) {
			s = t->cells[r * t->ncols + i];
			if (s == NULL)
				s = "-";
			if (i + 1 == t->ncols)
				printf("%s\n", s);
			else
				printf("%-*s  ", (int)t->width[i], s);
		}
	}
	for (r = 0; r < t->nrows * t->ncols; r++)
		free(t->cells[r]);
	free(t->cells);
}

static const char *
str(json_t *o, const char *k)
{
	json_t	*v = json_object_get(o, k);

	return (json_is_string(v) ? json_string_value(v) : "-");
}

static const char *
num(json_t *o, const char *k, char *buf, size_t len)
{
	json_t	*v = json_object_get(o, k);

	if (!json_is_integer(v))
		return ("-");
	snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	return (buf);
}

/* A CIDR's name from its id, or the id when the name is not known. */
static const char *
cidr_name(json_t *cidrs, json_t *id, char *buf, size_t len)
{
	size_t	 i;
	json_t	*c;

	json_array_foreach(cidrs, i, c)
		if (json_equal(json_object_get(c, "id"), id))
			return (str(c, "name"));
	if (!json_is_integer(id))
		return ("-");
	snprintf(buf, len, "%lld", (long long)json_integer_value(id));
	return (buf);
}

/* Keys are long; the first ten characters tell them apart. */
static const char *
key(json_t *o, int verbose, char *buf, size_t len)
{
	const char	*k = str(o, "public_key");

	if (verbose || strlen(k) <= 10)
		return (k);
	snprintf(buf, len, "%.10s...", k);
	return (buf);
}

static void
print_peers(json_t *a, json_t *cidrs, json_t *args)
{
	struct table	 t;
	size_t		 i;
	json_t		*p;
	char		 id[32], cn[32], kb[32];
	int		 verbose;

	verbose = json_is_true(json_object_get(args, "verbose"));
	table_init(&t, verbose ? 8 : 7);
	table_row(&t, "ID", "NAME", "IP", "CIDR", "ADMIN", "STATE",
	    "ENDPOINT", "PUBLIC KEY");
	json_array_foreach(a, i, p)
		table_row(&t, num(p, "id", id, sizeof(id)), str(p, "name"),
		    str(p, "ip"), cidr_name(cidrs, json_object_get(p,
		    "cidr_id"), cn, sizeof(cn)),
		    json_is_true(json_object_get(p, "is_admin")) ? "yes" : "no",
		    json_is_true(json_object_get(p, "is_disabled")) ?
		    "disabled" : json_is_true(json_object_get(p,
		    "is_redeemed")) ? "active" : "invited",
		    str(p, "endpoint"), key(p, 1, kb, sizeof(kb)));
	table_print(&t);
}

static void
print_cidrs(json_t *a)
{
	struct table	 t;
	size_t		 i;
	json_t		*c;
	char		 id[32], pn[32];

	table_init(&t, 4);
	table_row(&t, "ID", "NAME", "CIDR", "PARENT");
	json_array_foreach(a, i, c)
		table_row(&t, num(c, "id", id, sizeof(id)), str(c, "name"),
		    str(c, "cidr"), json_is_integer(json_object_get(c,
		    "parent")) ? cidr_name(a, json_object_get(c, "parent"),
		    pn, sizeof(pn)) : "-");
	table_print(&t);
}

/* As upstream: "3: humans <=> servers". */
static void
print_assocs(json_t *a, json_t *cidrs)
{
	size_t	 i;
	json_t	*x;
	char	 b1[32], b2[32];

	json_array_foreach(a, i, x)
		printf("%lld: %s <=> %s\n",
		    (long long)json_integer_value(json_object_get(x, "id")),
		    cidr_name(cidrs, json_object_get(x, "cidr_id_1"), b1,
		    sizeof(b1)), cidr_name(cidrs, json_object_get(x,
		    "cidr_id_2"), b2, sizeof(b2)));
}

static int
by_name(const void *a, const void *b)
{
	json_t * const	*x = a, * const *y = b;

	return (strcmp(str(*x, "name"), str(*y, "name")));
}

/* The array's elements sorted by name, for an order that never moves. */
static json_t **
sorted(json_t *a, size_t *np)
{
	json_t	**v;
	size_t	  i, n = json_array_size(a);

	*np = 0;
	if (n == 0 || (v = calloc(n, sizeof(*v))) == NULL)
		return (NULL);
	for (i = 0; i < n; i++)
		v[i] = json_array_get(a, i);
	qsort(v, n, sizeof(*v), by_name);
	*np = n;
	return (v);
}

static void
print_status(json_t *r)
{
	struct table	  t;
	struct passwd	 *pw;
	json_t		**v, *p;
	size_t		  i, n;
	char		  pid[32], uid[32], peers[32];

	printf("innernetd %s (innernet protocol %s)\n\n", str(r, "version"),
	    str(r, "protocol"));
	table_init(&t, 5);
	table_row(&t, "PROCESS", "PID", "USER", "ROOT", "SANDBOX");
	v = sorted(json_object_get(r, "processes"), &n);
	for (i = 0; i < n; i++) {
		p = v[i];
		num(p, "uid", uid, sizeof(uid));
		if (json_is_integer(json_object_get(p, "uid")) &&
		    (pw = getpwuid((uid_t)json_integer_value(
		    json_object_get(p, "uid")))) != NULL)
			strlcpy(uid, pw->pw_name, sizeof(uid));
		table_row(&t, str(p, "name"), num(p, "pid", pid, sizeof(pid)),
		    uid, str(p, "root"), str(p, "sandbox"));
	}
	free(v);
	table_print(&t);
	printf("\n");
	table_init(&t, 6);
	table_row(&t, "NETWORK", "ROLE", "STATE", "CIDR", "ADDRESS", "PEERS");
	v = sorted(json_object_get(r, "networks"), &n);
	for (i = 0; i < n; i++) {
		p = v[i];
		table_row(&t, str(p, "name"), str(p, "role"),
		    json_is_true(json_object_get(p, "up")) ? "up" : "down",
		    str(p, "cidr"), str(p, "address"), num(p, "peers", peers,
		    sizeof(peers)));
	}
	free(v);
	table_print(&t);
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
print_client_peer(json_t *p, int shortform, int verbose, const char *indent)
{
	char	hs[32], rx[32], tx[32], kb[32];
	json_t	*ce = json_object_get(p, "current_endpoint");
	json_t	*ovr = json_object_get(p, "endpoint_override");

	if (shortform) {
		printf("%s%s %s\n", indent, str(p, "name"), str(p, "ip"));
		return;
	}
	age(json_object_get(p, "last_handshake"), hs, sizeof(hs));
	bytes(json_object_get(p, "rx_bytes"), rx, sizeof(rx));
	bytes(json_object_get(p, "tx_bytes"), tx, sizeof(tx));
	printf("%speer %s (%s)%s\n", indent, str(p, "name"), str(p, "ip"),
	    json_is_true(json_object_get(p, "is_admin")) ? " admin" : "");
	printf("%s  public key: %s\n", indent, key(p, verbose, kb,
	    sizeof(kb)));
	/* override-peer-endpoint: this host's choice over the server's */
	if (json_is_string(ovr))
		printf("%s  endpoint:   %s (overridden here; the server gives "
		    "%s)\n", indent, json_string_value(ovr), str(p,
		    "endpoint"));
	else
		printf("%s  endpoint:   %s\n", indent, json_is_string(ce) ?
		    json_string_value(ce) : str(p, "endpoint"));
	if (json_object_get(p, "last_handshake") != NULL) {
		printf("%s  handshake:  %s\n", indent, hs);
		printf("%s  transfer:   %s received, %s sent\n", indent, rx,
		    tx);
	}
}

static void
print_tree(json_t *cidrs, json_t *peers, json_t *parent, int depth,
    int shortform, int verbose)
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
				print_client_peer(p, shortform, verbose,
				    indent);
				indent[strlen(indent) - 2] = '\0';
			}
		print_tree(cidrs, peers, json_object_get(c, "id"), depth + 1,
		    shortform, verbose);
	}
}

/* What up, fetch and install keep with a joined network. */
static void
print_settings(json_t *r)
{
	json_t	*ex = json_object_get(r, "exclude_nat_candidates"), *c;
	size_t	 i;

	if (!json_is_integer(json_object_get(r, "fetch_interval")))
		return;
	printf("  fetch:      every %llds; NAT traversal %s; candidates %s",
	    (long long)json_integer_value(json_object_get(r,
	    "fetch_interval")), json_is_false(json_object_get(r,
	    "nat_traversal")) ? "off" : "on", json_is_false(json_object_get(r,
	    "nat_candidates")) ? "not reported" : "reported");
	if (!json_is_false(json_object_get(r, "nat_candidates")) &&
	    json_array_size(ex) > 0) {
		printf(" except inside");
		json_array_foreach(ex, i, c)
			printf("%s %s", i > 0 ? "," : "", json_is_string(c) ?
			    json_string_value(c) : "-");
	}
	printf("\n");
}

static void
print_client(json_t *r, json_t *args)
{
	json_t	*peers = json_object_get(r, "peers"), *p;
	size_t	 i;
	int	 shortform, tree, verbose;
	char	 kb[32];

	shortform = json_is_true(json_object_get(args, "short"));
	tree = json_is_true(json_object_get(args, "tree"));
	verbose = json_is_true(json_object_get(args, "verbose"));
	printf("network %s: %s, listening on port %lld%s\n", str(r, "network"),
	    str(r, "address"), (long long)json_integer_value(
	    json_object_get(r, "listen_port")), json_is_true(json_object_get(
	    r, "up")) ? "" : " (down)");
	if (!shortform) {
		printf("  public key: %s\n", key(r, verbose, kb, sizeof(kb)));
		printf("  server:     %s:%lld (%s)\n", str(r, "server_ip"),
		    (long long)json_integer_value(json_object_get(r,
		    "server_port")), str(r, "external_endpoint"));
		print_settings(r);
	}
	if (tree) {
		print_tree(json_object_get(r, "cidrs"), peers, json_null(), 1,
		    shortform, verbose);
		return;
	}
	json_array_foreach(peers, i, p)
		print_client_peer(p, shortform, verbose, "  ");
}

/* list on a server host: every enabled, redeemed peer. */
static void
print_server_list(json_t *peers, json_t *cidrs, json_t *args)
{
	json_t	*active, *p;
	size_t	 i;
	int	 shortform, verbose;

	if (!json_is_true(json_object_get(args, "tree"))) {
		print_peers(peers, cidrs, args);
		return;
	}
	shortform = json_is_true(json_object_get(args, "short"));
	verbose = json_is_true(json_object_get(args, "verbose"));
	active = json_array();
	json_array_foreach(peers, i, p)
		if (!json_is_true(json_object_get(p, "is_disabled")))
			json_array_append(active, p);
	print_tree(cidrs, active, json_null(), 0, shortform, verbose);
	json_decref(active);
}

static const char *
arg(json_t *args, const char *k)
{
	return (str(args, k));
}

/* What a verb that changes something did, in one line. */
static int
print_done(const char *verb, const char *net, json_t *r, json_t *args)
{
	struct in_prefix	pfx;
	char			first[IN_ADDRSTRSZ];
	int			i;

	if (strcmp(verb, "new") == 0) {
		/* the server takes the first address of the root CIDR */
		first[0] = '\0';
		if (in_prefix_parse(arg(args, "network_cidr"), &pfx) == 0) {
			for (i = (pfx.ip.af == AF_INET ? 3 : 15); i >= 0; i--)
				if (++pfx.ip.u.b[i] != 0)
					break;
			in_ip_str(&pfx.ip, first, sizeof(first));
		}
		printf("network %s created: this host is %s in %s, public key "
		    "%s%s%s\n", str(r, "network"), first, arg(args,
		    "network_cidr"), str(r, "public_key"),
		    json_is_string(json_object_get(args,
		    "external_endpoint")) ? ", peers reach it at " : "",
		    json_is_string(json_object_get(args,
		    "external_endpoint")) ? arg(args, "external_endpoint") :
		    "");
	}
	else if (strcmp(verb, "add-cidr") == 0)
		printf("CIDR %s (%s) added to %s under %s\n", str(r, "name"),
		    str(r, "cidr"), net, arg(args, "parent"));
	else if (strcmp(verb, "rename-cidr") == 0)
		printf("CIDR %s of %s renamed to %s\n", arg(args, "name"), net,
		    arg(args, "new_name"));
	else if (strcmp(verb, "delete-cidr") == 0)
		printf("CIDR %s deleted from %s\n", arg(args, "name"), net);
	else if (strcmp(verb, "add-peer") == 0)
		printf("peer %s added to %s (%s), invitation saved to %s\n",
		    str(r, "name"), arg(args, "cidr"), str(r, "ip"),
		    arg(args, "save_config"));
	else if (strcmp(verb, "rename-peer") == 0)
		printf("peer %s of %s renamed to %s\n", arg(args, "name"), net,
		    arg(args, "new_name"));
	else if (strcmp(verb, "enable-peer") == 0)
		printf("peer %s of %s enabled\n", arg(args, "name"), net);
	else if (strcmp(verb, "disable-peer") == 0)
		printf("peer %s of %s disabled\n", arg(args, "name"), net);
	else if (strcmp(verb, "delete-peer") == 0)
		printf("peer %s of %s %s\n", arg(args, "name"), net,
		    strcmp(str(r, "action"), "withdrawn") == 0 ?
		    "withdrawn (its invitation was never redeemed)" :
		    "deleted (its address and key are never given again)");
	else if (strcmp(verb, "add-association") == 0)
		printf("%s <=> %s associated in %s\n", arg(args, "cidr1"),
		    arg(args, "cidr2"), net);
	else if (strcmp(verb, "delete-association") == 0)
		printf("association %s <=> %s deleted from %s\n",
		    arg(args, "cidr1"), arg(args, "cidr2"), net);
	else if (strcmp(verb, "uninstall") == 0)
		printf("%s uninstalled from this host\n", net);
	else if (strcmp(verb, "override-peer-endpoint") == 0) {
		/* the daemon's answer: the endpoint now overriding, or null */
		if (json_is_string(json_object_get(r, "endpoint")))
			printf("%s: peer %s is reached at %s\n", net,
			    arg(args, "name"), str(r, "endpoint"));
		else
			printf("%s: endpoint override of peer %s removed; the "
			    "server's endpoint again\n", net,
			    arg(args, "name"));
	} else
		return (0);
	return (1);
}

void
output_human(const char *verb, const char *net, json_t *r, json_t *args,
    json_t *cidrs)
{
	json_t	*peers;

	if (print_done(verb, net, r, args))
		return;
	if (strcmp(verb, "status") == 0)
		print_status(r);
	else if (strcmp(verb, "list") == 0 && json_is_object(r) &&
	    json_object_get(r, "peers") != NULL)
		print_client(r, args);
	else if (strcmp(verb, "list") == 0 && json_is_array(r))
		print_server_list(r, cidrs, args);
	else if (strcmp(verb, "list-peers") == 0)
		print_peers(r, cidrs, args);
	else if (strcmp(verb, "list-cidrs") == 0 &&
	    json_is_true(json_object_get(args, "tree"))) {
		peers = json_array();
		print_tree(r, peers, json_null(), 0, 1, 0);
		json_decref(peers);
	} else if (strcmp(verb, "list-cidrs") == 0)
		print_cidrs(r);
	else if (strcmp(verb, "list-associations") == 0)
		print_assocs(r, cidrs);
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
	else if (json_is_object(r) && json_object_get(r, "name") != NULL)
		printf("%s: %s\n", verb, str(r, "name"));
	else if (!json_is_null(r) && r != NULL) {
		json_dumpf(r, stdout, JSON_INDENT(2));
		printf("\n");
	} else
		printf("%s%s%s: done\n", verb, net ? " " : "", net ? net : "");
}
