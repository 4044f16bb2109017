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
 * The command line, turned into the request document innernetd expects:
 * {"verb": ..., "network": ..., "args": {...}}.  Each verb has its own
 * flags (upstream's names: --listen-port becomes "listen_port"); a flag
 * of another verb is a usage error that lists the verb's own.  Values
 * are checked for shape here, so a malformed one never reaches the
 * daemon, and for meaning by the daemon.  The same table prints the
 * help and the shell completions.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "innernetctl.h"

enum flag_kind {
	F_BOOL,
	F_STRING,	/* free text */
	F_FILE,		/* a path */
	F_NAME,		/* an existing peer's or CIDR's name */
	F_HOSTNAME,	/* a new name: lowercase, digits, inner hyphens */
	F_IFNAME,	/* a network (interface) name */
	F_CIDR,
	F_CIDRS,	/* a CIDR, repeatable: an array */
	F_IP,
	F_ENDPOINT,
	F_PORT,
	F_DURATION,
	F_SECONDS,
	F_TRUEFALSE,
};

struct flag {
	const char	*name;
	char		 shortname;
	enum flag_kind	 kind;
	const char	*metavar;
	const char	*help;
};

static const struct flag
    f_yes = { "yes", 'y', F_BOOL, NULL, "do not ask for confirmation" },
    f_tree = { "tree", 't', F_BOOL, NULL, "group by CIDR, as a tree" },
    f_short = { "short", 's', F_BOOL, NULL, "one line a peer" },
    f_verbose = { "verbose", 'v', F_BOOL, NULL, "print keys in full" },
    f_unset_ep = { "unset", 'u', F_BOOL, NULL,
	"go back to the endpoint the server observes" },
    f_unset_port = { "unset", 'u', F_BOOL, NULL,
	"let WireGuard choose a port" },
    f_unset_peer = { "unset", 'u', F_BOOL, NULL, "remove the override" },
    f_delete_invite = { "delete-invite", 'd', F_BOOL, NULL,
	"delete the invitation file once installed" },
    f_default_name = { "default-name", 0, F_BOOL, NULL,
	"use the invitation's network name" },
    f_no_write_hosts = { "no-write-hosts", 0, F_BOOL, NULL,
	"keep this network out of the hosts file" },
    f_daemon = { "daemon", 'd', F_BOOL, NULL,
	"keep fetching every --interval seconds" },
    f_interval = { "interval", 0, F_SECONDS, "SECONDS",
	"fetch interval with --daemon (default 60)" },
    f_no_nat_traversal = { "no-nat-traversal", 0, F_BOOL, NULL,
	"do not try the peers' NAT candidates" },
    f_exclude_nat = { "exclude-nat-candidates", 0, F_CIDRS, "CIDR",
	"no candidate inside CIDR[,CIDR] (repeatable)" },
    f_no_nat_candidates = { "no-nat-candidates", 0, F_BOOL, NULL,
	"report no NAT candidates to the server" },
    f_name_iface = { "name", 0, F_IFNAME, "NAME",
	"interface (network) name on this host" },
    f_name_import = { "name", 0, F_IFNAME, "NAME",
	"network name (default: the file's name)" },
    f_name_newcidr = { "name", 0, F_HOSTNAME, "NAME",
	"name of the new CIDR" },
    f_name_cidr = { "name", 0, F_NAME, "NAME", "the CIDR's name" },
    f_name_newpeer = { "name", 0, F_HOSTNAME, "NAME",
	"name of the new peer" },
    f_name_peer = { "name", 0, F_NAME, "NAME", "the peer's name" },
    f_new_name = { "new-name", 0, F_HOSTNAME, "NAME", "the new name" },
    f_cidr_new = { "cidr", 0, F_CIDR, "CIDR",
	"the CIDR itself, like 10.60.1.0/24" },
    f_cidr_name = { "cidr", 0, F_NAME, "CIDR",
	"name of the CIDR the peer goes in" },
    f_parent = { "parent", 0, F_NAME, "CIDR", "name of the parent CIDR" },
    f_ip = { "ip", 0, F_IP, "ADDRESS",
	"the peer's address, inside its CIDR" },
    f_auto_ip = { "auto-ip", 0, F_BOOL, NULL,
	"the first free address of the CIDR" },
    f_admin = { "admin", 0, F_TRUEFALSE, "true|false",
	"an admin peer or not (default false)" },
    f_save_config = { "save-config", 0, F_FILE, "FILE",
	"invitation file (default NAME.toml)" },
    f_invite_expires = { "invite-expires", 0, F_DURATION, "DURATION",
	"invitation lifetime, like 30m, 12h, 14d, 2w" },
    f_network_name = { "network-name", 0, F_IFNAME, "NAME",
	"the network's name, also its interface's" },
    f_network_cidr = { "network-cidr", 0, F_CIDR, "CIDR",
	"the network's root CIDR, like 10.60.0.0/16" },
    f_external_endpoint = { "external-endpoint", 0, F_ENDPOINT,
	"HOST:PORT", "where peers reach this server" },
    f_auto_external = { "auto-external-endpoint", 0, F_BOOL, NULL,
	"use this host's first global address" },
    f_listen_port_new = { "listen-port", 0, F_PORT, "PORT",
	"WireGuard and API port (default 51820)" },
    f_listen_port = { "listen-port", 'l', F_PORT, "PORT",
	"WireGuard's listen port" },
    f_endpoint = { "endpoint", 'e', F_ENDPOINT, "HOST:PORT",
	"where the other peers reach this host" },
    f_peer_endpoint = { "endpoint", 'e', F_ENDPOINT, "HOST:PORT",
	"where this host reaches the peer" },
    f_server_config = { "server-config", 0, F_FILE, "FILE",
	"innernet-server's configuration of the network" },
    f_database = { "database", 0, F_FILE, "FILE",
	"innernet-server's database of the network" },
    f_state_dir = { "state-dir", 0, F_FILE, "DIR",
	"innernetd's state directory (default /var/lib/innernet)" },
    f_client_config = { "client-config", 0, F_FILE, "FILE",
	"innernet's configuration of a joined network" };

/* Flags no verb may have together. */
static const char *conflicts[][2] = {
	{ "ip", "auto-ip" },
	{ "endpoint", "unset" },
	{ "listen-port", "unset" },
	{ "name", "default-name" },
	{ "external-endpoint", "auto-external-endpoint" },
	{ "exclude-nat-candidates", "no-nat-candidates" },
};

enum verb_group { G_DAEMON, G_ADMIN, G_CLIENT, G_OTHER };

static const char *group_title[] = {
	[G_DAEMON] = "daemon and networks",
	[G_ADMIN] = "server and admin (on a server host or an admin peer)",
	[G_CLIENT] = "client (a network joined with an invitation)",
	[G_OTHER] = "other",
};

/* What the words that are not flags are. */
enum verb_pos {
	P_NONE,
	P_NETWORK,
	P_NETWORK_OPT,	/* none: every network */
	P_INVITE,
	P_ASSOC,	/* network [cidr1 cidr2] */
	P_VERB_OPT,
	P_SHELL,
};

static const char *pos_synopsis[] = {
	[P_NONE] = "",
	[P_NETWORK] = " network",
	[P_NETWORK_OPT] = " [network]",
	[P_INVITE] = " invitation",
	[P_ASSOC] = " network [cidr1 cidr2]",
	[P_VERB_OPT] = " [verb]",
	[P_SHELL] = " bash | zsh",
};

#define VERB_MAXFLAGS	10

struct verb {
	const char		*name;
	const char		*alias;		/* upstream's other name */
	enum verb_group		 group;
	enum verb_pos		 pos;
	const char		*help;
	const struct flag	*flags[VERB_MAXFLAGS];
};

static const struct verb verbs[] = {
	{ "status", NULL, G_DAEMON, P_NONE,
	    "processes, sandboxes and networks of this host", { NULL } },
	{ "new", "init", G_DAEMON, P_NONE,
	    "create a network served by this host",
	    { &f_network_name, &f_network_cidr, &f_external_endpoint,
	    &f_auto_external, &f_listen_port_new, NULL } },
	{ "import", NULL, G_DAEMON, P_NONE,
	    "take over an upstream server's or client's network",
	    { &f_server_config, &f_database, &f_client_config,
	    &f_name_import, &f_state_dir, NULL } },
	{ "uninstall", NULL, G_DAEMON, P_NETWORK,
	    "remove a network from this host, keys and all",
	    { &f_yes, NULL } },
	{ "add-cidr", NULL, G_ADMIN, P_NETWORK, "add a CIDR",
	    { &f_name_newcidr, &f_cidr_new, &f_parent, &f_yes, NULL } },
	{ "rename-cidr", NULL, G_ADMIN, P_NETWORK, "rename a CIDR",
	    { &f_name_cidr, &f_new_name, &f_yes, NULL } },
	{ "delete-cidr", NULL, G_ADMIN, P_NETWORK,
	    "delete a CIDR without peers or children",
	    { &f_name_cidr, &f_yes, NULL } },
	{ "list-cidrs", NULL, G_ADMIN, P_NETWORK, "list the CIDRs",
	    { &f_tree, NULL } },
	{ "add-peer", NULL, G_ADMIN, P_NETWORK,
	    "invite a peer: its key pair and invitation file",
	    { &f_name_newpeer, &f_cidr_name, &f_ip, &f_auto_ip, &f_admin,
	    &f_save_config, &f_invite_expires, &f_yes, NULL } },
	{ "rename-peer", NULL, G_ADMIN, P_NETWORK, "rename a peer",
	    { &f_name_peer, &f_new_name, &f_yes, NULL } },
	{ "enable-peer", NULL, G_ADMIN, P_NETWORK, "enable a disabled peer",
	    { &f_name_peer, &f_yes, NULL } },
	{ "disable-peer", NULL, G_ADMIN, P_NETWORK,
	    "disable a peer: every peer drops it at its next fetch",
	    { &f_name_peer, &f_yes, NULL } },
	{ "delete-peer", NULL, G_ADMIN, P_NETWORK,
	    "withdraw an invitation, or retire a peer for good",
	    { &f_name_peer, &f_yes, NULL } },
	{ "list-peers", NULL, G_ADMIN, P_NETWORK,
	    "list every peer, disabled and invited ones too",
	    { &f_verbose, NULL } },
	{ "add-association", NULL, G_ADMIN, P_ASSOC,
	    "let the peers of two CIDRs see each other", { &f_yes, NULL } },
	{ "delete-association", NULL, G_ADMIN, P_ASSOC,
	    "take an association back", { &f_yes, NULL } },
	{ "list-associations", NULL, G_ADMIN, P_NETWORK,
	    "list the associations", { NULL } },
	{ "install", "redeem", G_CLIENT, P_INVITE,
	    "join a network with an invitation",
	    { &f_name_iface, &f_default_name, &f_delete_invite,
	    &f_no_write_hosts, &f_no_nat_traversal, &f_exclude_nat,
	    &f_no_nat_candidates, NULL } },
	{ "list", "show", G_CLIENT, P_NETWORK_OPT,
	    "the peers this host sees, handshakes and transfer",
	    { &f_tree, &f_short, &f_verbose, NULL } },
	{ "fetch", NULL, G_CLIENT, P_NETWORK_OPT,
	    "fetch the network's state from its server now",
	    { &f_no_nat_traversal, &f_exclude_nat, &f_no_nat_candidates,
	    NULL } },
	{ "up", NULL, G_CLIENT, P_NETWORK_OPT,
	    "bring a network up again and fetch",
	    { &f_daemon, &f_interval, &f_no_nat_traversal, &f_exclude_nat,
	    &f_no_nat_candidates, NULL } },
	{ "down", NULL, G_CLIENT, P_NETWORK,
	    "take a network down until up", { NULL } },
	{ "override-endpoint", NULL, G_CLIENT, P_NETWORK,
	    "tell the server where the other peers reach this host",
	    { &f_endpoint, &f_unset_ep, &f_yes, NULL } },
	{ "override-peer-endpoint", NULL, G_CLIENT, P_NETWORK,
	    "reach one peer at an endpoint of this host's choosing",
	    { &f_name_peer, &f_peer_endpoint, &f_unset_peer, &f_yes,
	    NULL } },
	{ "set-listen-port", NULL, G_CLIENT, P_NETWORK,
	    "fix WireGuard's listen port, or let it choose",
	    { &f_listen_port, &f_unset_port, &f_yes, NULL } },
	{ "help", NULL, G_OTHER, P_VERB_OPT,
	    "this list, or a verb's flags", { NULL } },
	{ "completions", NULL, G_OTHER, P_SHELL,
	    "print a completion script for the shell", { NULL } },
};

#define NVERBS	(sizeof(verbs) / sizeof(verbs[0]))

static const struct verb *
verb_find(const char *name)
{
	size_t	i;

	for (i = 0; i < NVERBS; i++)
		if (strcmp(verbs[i].name, name) == 0 ||
		    (verbs[i].alias != NULL &&
		    strcmp(verbs[i].alias, name) == 0))
			return (&verbs[i]);
	return (NULL);
}

const char *
verb_canonical(const char *name)
{
	const struct verb	*v = verb_find(name);

	return (v != NULL ? v->name : NULL);
}

static const struct flag *
flag_find(const struct verb *v, const char *name, char shortname)
{
	size_t	i;

	for (i = 0; v->flags[i] != NULL; i++)
		if ((name != NULL && strcmp(v->flags[i]->name, name) == 0) ||
		    (name == NULL && v->flags[i]->shortname == shortname))
			return (v->flags[i]);
	return (NULL);
}

/* "30s", "15m", "1h", "14d", "2w" or plain seconds. */
static long long
parse_duration(const char *s)
{
	char		*end;
	long long	 v;

	if (!isdigit((unsigned char)*s))
		return (-1);
	v = strtoll(s, &end, 10);
	if (v <= 0 || v > 10LL * 365 * 86400)
		return (-1);
	switch (*end) {
	case '\0':
	case 's':
		break;
	case 'm':
		v *= 60;
		break;
	case 'h':
		v *= 3600;
		break;
	case 'd':
		v *= 86400;
		break;
	case 'w':
		v *= 7 * 86400;
		break;
	default:
		return (-1);
	}
	if (*end != '\0' && end[1] != '\0')
		return (-1);
	if (v > 10LL * 365 * 86400)
		return (-1);
	return (v);
}

static long long
parse_number(const char *s, long long min, long long max)
{
	char		*end;
	long long	 v;

	if (!isdigit((unsigned char)*s))
		return (-1);
	v = strtoll(s, &end, 10);
	if (*end != '\0' || v < min || v > max)
		return (-1);
	return (v);
}

/* "10.0.0.0/8" or "10.0.0.0/8,192.168.0.0/16", as the daemon takes them. */
static int
cidrs_ok(const char *value)
{
	struct in_prefix	 pfx;
	char			 buf[1024], *s, *p;
	int			 n = 0;

	if (strlcpy(buf, value, sizeof(buf)) >= sizeof(buf))
		return (0);
	for (s = buf; (p = strsep(&s, ",")) != NULL; n++)
		if (in_prefix_parse(p, &pfx) == -1)
			return (0);
	return (n > 0);
}

/* Is the value of the right shape?  NULL if so, else what it should be. */
static const char *
value_wrong(const struct flag *f, const char *value)
{
	struct in_prefix	pfx;
	struct in_ip		ip;

	switch (f->kind) {
	case F_BOOL:
		return (NULL);
	case F_STRING:
	case F_FILE:
		return (*value == '\0' ? "a non-empty value" : NULL);
	case F_NAME:
		return (*value == '\0' || strlen(value) >= IN_NAMESZ ?
		    "a name of at most 63 characters" : NULL);
	case F_HOSTNAME:
		return (in_hostname_ok(value) ? NULL : "a name of lowercase "
		    "letters, digits and inner hyphens, at most 63");
	case F_IFNAME:
		return (in_ifname_ok(value) ? NULL : "a name of lowercase "
		    "letters, digits and inner hyphens, at most 15");
	case F_CIDR:
		return (in_prefix_parse(value, &pfx) == 0 ? NULL :
		    "a CIDR like 10.60.1.0/24");
	case F_CIDRS:
		return (cidrs_ok(value) ? NULL : "a CIDR like 10.60.1.0/24, "
		    "or CIDRs separated by commas");
	case F_IP:
		return (in_ip_parse(value, &ip) == 0 ? NULL :
		    "an IPv4 or IPv6 address");
	case F_ENDPOINT:
		return (in_endpoint_ok(value) ? NULL : "host:port, like "
		    "203.0.113.7:51820 or [2001:db8::7]:51820");
	case F_PORT:
		return (parse_number(value, 1, 65535) != -1 ? NULL :
		    "a port number from 1 to 65535");
	case F_DURATION:
		return (parse_duration(value) != -1 ? NULL : "a duration "
		    "like 30m, 12h, 14d or 2w");
	case F_SECONDS:
		return (parse_number(value, 1, 86400) != -1 ? NULL :
		    "a number of seconds from 1 to 86400");
	case F_TRUEFALSE:
		return (strcmp(value, "true") == 0 ||
		    strcmp(value, "false") == 0 ? NULL : "true or false");
	}
	return (NULL);
}

static void
flag_key(const struct flag *f, char *key, size_t len)
{
	size_t	i;

	strlcpy(key, f->name, len);
	for (i = 0; key[i] != '\0'; i++)
		if (key[i] == '-')
			key[i] = '_';
}

static int
set_flag(json_t *args, const struct flag *f, const char *value, char *err,
    size_t errlen)
{
	char		 key[64], buf[1024], *s, *p;
	const char	*want;
	json_t		*a;

	if ((want = value_wrong(f, value)) != NULL) {
		snprintf(err, errlen, "--%s %s: not %s", f->name, value, want);
		return (-1);
	}
	flag_key(f, key, sizeof(key));
	switch (f->kind) {
	case F_BOOL:
		json_object_set_new(args, key, json_true());
		break;
	case F_PORT:
	case F_SECONDS:
		json_object_set_new(args, key, json_integer(strtoll(value,
		    NULL, 10)));
		break;
	case F_DURATION:
		json_object_set_new(args, key,
		    json_integer(parse_duration(value)));
		break;
	case F_TRUEFALSE:
		json_object_set_new(args, key,
		    json_boolean(strcmp(value, "true") == 0));
		break;
	case F_CIDRS:
		/* repeatable, and upstream's several values as one list */
		if ((a = json_object_get(args, key)) == NULL) {
			a = json_array();
			json_object_set_new(args, key, a);
		}
		strlcpy(buf, value, sizeof(buf));
		for (s = buf; (p = strsep(&s, ",")) != NULL;)
			json_array_append_new(a, json_string(p));
		break;
	default:
		json_object_set_new(args, key, json_string(value));
		break;
	}
	return (0);
}

/* A value for a verb's flag given another way (an answer at a prompt). */
int
set_flag_value(const char *verb, json_t *args, const char *name,
    const char *value, char *err, size_t errlen)
{
	const struct verb	*v;
	const struct flag	*f;

	if ((v = verb_find(verb)) != NULL && v->pos == P_ASSOC &&
	    (strcmp(name, "cidr1") == 0 || strcmp(name, "cidr2") == 0)) {
		if (value_wrong(&f_parent, value) != NULL) {
			snprintf(err, errlen, "not a CIDR name: %s", value);
			return (-1);
		}
		json_object_set_new(args, name, json_string(value));
		return (0);
	}
	if (v == NULL || (f = flag_find(v, name, 0)) == NULL) {
		snprintf(err, errlen, "%s has no flag --%s", verb, name);
		return (-1);
	}
	return (set_flag(args, f, value, err, errlen));
}

static void
flag_list(const struct verb *v, char *buf, size_t len)
{
	size_t	i;

	buf[0] = '\0';
	for (i = 0; v->flags[i] != NULL; i++) {
		strlcat(buf, i == 0 ? "--" : ", --", len);
		strlcat(buf, v->flags[i]->name, len);
	}
	if (i == 0)
		strlcpy(buf, "none but --help", len);
}

static int
unknown_flag(const struct verb *v, const char *word, char *err,
    size_t errlen)
{
	char	list[512];

	flag_list(v, list, sizeof(list));
	snprintf(err, errlen, "%s has no flag %s; its flags: %s", v->name,
	    word, list);
	return (-1);
}

/* One flag word (and maybe its value); *a moves past what was used. */
static int
parse_flag(const struct verb *v, int argc, char **argv, int *a,
    json_t *args, int *help, char *err, size_t errlen)
{
	const struct flag	*f = NULL;
	const char		*word = argv[*a], *value = NULL, *eq;
	char			 name[64], one[3];
	size_t			 i;

	if (word[1] == '-') {
		strlcpy(name, word + 2, sizeof(name));
		if ((eq = strchr(word, '=')) != NULL &&
		    (size_t)(eq - word - 2) < sizeof(name)) {
			name[eq - word - 2] = '\0';
			value = eq + 1;
		}
		if (strcmp(name, "help") == 0) {
			*help = 1;
			return (0);
		}
		if ((f = flag_find(v, name, 0)) == NULL)
			return (unknown_flag(v, word, err, errlen));
		if (f->kind == F_BOOL && value != NULL) {
			snprintf(err, errlen, "--%s takes no value", f->name);
			return (-1);
		}
	} else {
		/* -ty: short flags together; a value ends the group */
		for (i = 1; word[i] != '\0'; i++) {
			if (word[i] == 'h') {
				*help = 1;
				return (0);
			}
			if ((f = flag_find(v, NULL, word[i])) == NULL) {
				snprintf(one, sizeof(one), "-%c", word[i]);
				return (unknown_flag(v, one, err, errlen));
			}
			if (f->kind != F_BOOL) {
				if (word[i + 1] != '\0')
					value = word + i + 1;
				break;
			}
			if (set_flag(args, f, NULL, err, errlen) == -1)
				return (-1);
		}
		if (f == NULL || f->kind == F_BOOL)
			return (0);
	}
	if (f->kind != F_BOOL && value == NULL) {
		if (*a + 1 >= argc) {
			snprintf(err, errlen, "--%s needs a value (%s)",
			    f->name, f->metavar);
			return (-1);
		}
		value = argv[++*a];
	}
	return (set_flag(args, f, value, err, errlen));
}

static int
check_conflicts(json_t *args, char *err, size_t errlen)
{
	char	k1[64], k2[64];
	size_t	i, j;

	for (i = 0; i < sizeof(conflicts) / sizeof(conflicts[0]); i++) {
		strlcpy(k1, conflicts[i][0], sizeof(k1));
		strlcpy(k2, conflicts[i][1], sizeof(k2));
		for (j = 0; k1[j] != '\0'; j++)
			if (k1[j] == '-')
				k1[j] = '_';
		for (j = 0; k2[j] != '\0'; j++)
			if (k2[j] == '-')
				k2[j] = '_';
		if (json_object_get(args, k1) != NULL &&
		    json_object_get(args, k2) != NULL) {
			snprintf(err, errlen, "--%s and --%s exclude each "
			    "other", conflicts[i][0], conflicts[i][1]);
			return (-1);
		}
	}
	return (0);
}

static int
network_word(json_t *req, const char *word, char *err, size_t errlen)
{
	if (!in_ifname_ok(word)) {
		snprintf(err, errlen, "'%s' is not a network name (lowercase "
		    "letters, digits and inner hyphens, at most 15)", word);
		return (-1);
	}
	json_object_set_new(req, "network", json_string(word));
	return (0);
}

/* The words that are not flags, as the verb wants them. */
static int
parse_words(const struct verb *v, json_t *req, json_t *args, json_t *pos,
    char *err, size_t errlen)
{
	size_t		 n = json_array_size(pos);
	const char	*w0 = json_string_value(json_array_get(pos, 0));

	switch (v->pos) {
	case P_NONE:
		if (n == 0)
			return (0);
		snprintf(err, errlen, "%s takes no network name%s", v->name,
		    strcmp(v->name, "new") == 0 ? " (use --network-name)" :
		    "");
		return (-1);
	case P_NETWORK:
		if (n == 1)
			return (network_word(req, w0, err, errlen));
		snprintf(err, errlen, "%s takes one network name", v->name);
		return (-1);
	case P_NETWORK_OPT:
		if (n == 0)
			return (0);
		if (n == 1)
			return (network_word(req, w0, err, errlen));
		snprintf(err, errlen, "%s takes one network name or none "
		    "(every network)", v->name);
		return (-1);
	case P_INVITE:
		if (n == 1) {
			json_object_set(args, "invitation",
			    json_array_get(pos, 0));
			return (0);
		}
		snprintf(err, errlen, "%s takes one invitation file", v->name);
		return (-1);
	case P_ASSOC:
		/* without the CIDRs, they are asked for on a terminal */
		if (n == 1 || n == 3) {
			if (n == 3) {
				json_object_set(args, "cidr1",
				    json_array_get(pos, 1));
				json_object_set(args, "cidr2",
				    json_array_get(pos, 2));
			}
			return (network_word(req, w0, err, errlen));
		}
		snprintf(err, errlen, "%s takes a network and two CIDR names",
		    v->name);
		return (-1);
	case P_VERB_OPT:
		if (n == 0)
			return (0);
		if (n == 1 && verb_find(w0) != NULL) {
			json_object_set_new(args, "verb",
			    json_string(verb_find(w0)->name));
			return (0);
		}
		snprintf(err, errlen, n == 1 ? "no verb '%s'" : "help takes "
		    "one verb", w0);
		return (-1);
	case P_SHELL:
		if (n == 1 && (strcmp(w0, "bash") == 0 ||
		    strcmp(w0, "zsh") == 0)) {
			json_object_set(args, "shell", json_array_get(pos, 0));
			return (0);
		}
		snprintf(err, errlen, "completions takes bash or zsh");
		return (-1);
	}
	return (-1);
}

/*
 * PARSE_OK: *reqp is the request.  PARSE_HELP: the verb's help was asked
 * for.  PARSE_ERR: err says what is wrong.  *verbp is the verb's own
 * name whenever the verb is known, for its usage.
 */
int
parse_command(int argc, char **argv, json_t **reqp, const char **verbp,
    char *err, size_t errlen)
{
	const struct verb	*v;
	json_t			*req, *args, *pos;
	int			 a, help = 0, flags_end = 0;

	*reqp = NULL;
	*verbp = NULL;
	if (argc < 1) {
		snprintf(err, errlen, "missing verb");
		return (PARSE_ERR);
	}
	if ((v = verb_find(argv[0])) == NULL) {
		snprintf(err, errlen, "unknown verb '%s'", argv[0]);
		return (PARSE_ERR);
	}
	*verbp = v->name;
	req = json_object();
	args = json_object();
	pos = json_array();
	for (a = 1; a < argc; a++) {
		if (!flags_end && strcmp(argv[a], "--") == 0) {
			flags_end = 1;
			continue;
		}
		if (flags_end || argv[a][0] != '-' || argv[a][1] == '\0') {
			json_array_append_new(pos, json_string(argv[a]));
			continue;
		}
		if (parse_flag(v, argc, argv, &a, args, &help, err,
		    errlen) == -1)
			goto fail;
		if (help)
			break;
	}
	if (help) {
		json_decref(req);
		json_decref(args);
		json_decref(pos);
		return (PARSE_HELP);
	}
	if (check_conflicts(args, err, errlen) == -1 ||
	    parse_words(v, req, args, pos, err, errlen) == -1)
		goto fail;
	json_object_set_new(req, "verb", json_string(v->name));
	json_object_set_new(req, "args", args);
	json_decref(pos);
	*reqp = req;
	return (PARSE_OK);
fail:
	json_decref(req);
	json_decref(args);
	json_decref(pos);
	return (PARSE_ERR);
}

static void
verb_title(const struct verb *v, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s", v->name, v->alias ? " (" : "",
	    v->alias ? v->alias : "", v->alias ? ")" : "",
	    v->group == G_OTHER ? pos_synopsis[v->pos] : "");
}

/* Every verb, by group; or one verb with its flags. */
void
usage_print(FILE *fp, const char *verb)
{
	const struct verb	*v;
	const struct flag	*f;
	char			 left[128];
	size_t			 i;
	int			 g;

	if (verb == NULL || (v = verb_find(verb)) == NULL) {
		fprintf(fp, "usage: innernetctl [-hjVv] [-s socket] verb "
		    "[flags] [network]\n");
		for (g = G_DAEMON; g <= G_OTHER; g++) {
			fprintf(fp, "\n%s:\n", group_title[g]);
			for (i = 0; i < NVERBS; i++) {
				if ((int)verbs[i].group != g)
					continue;
				verb_title(&verbs[i], left, sizeof(left));
				fprintf(fp, "  %-24s %s\n", left,
				    verbs[i].help);
			}
		}
		fprintf(fp, "\n\"innernetctl help VERB\" or \"innernetctl "
		    "VERB --help\" shows a verb's flags.\n");
		return;
	}
	fprintf(fp, "usage: innernetctl %s%s%s\n", v->name,
	    pos_synopsis[v->pos], v->flags[0] != NULL ? " [flags]" : "");
	if (v->alias != NULL)
		fprintf(fp, "   or: innernetctl %s ...\n", v->alias);
	fprintf(fp, "%c%s.\n\nflags:\n", toupper((unsigned char)v->help[0]),
	    v->help + 1);
	for (i = 0; (f = v->flags[i]) != NULL; i++) {
		snprintf(left, sizeof(left), "%s%c%s--%s%s%s",
		    f->shortname ? "-" : "", f->shortname ? f->shortname : ' ',
		    f->shortname ? ", " : "   ", f->name,
		    f->metavar ? " " : "", f->metavar ? f->metavar : "");
		if (strlen(left) > 30)
			fprintf(fp, "  %s\n  %-30s %s\n", left, "", f->help);
		else
			fprintf(fp, "  %-30s %s\n", left, f->help);
	}
	fprintf(fp, "  %-30s %s\n", "-h, --help", "this help");
}

/*
 * Words of a generated script, wrapped before 80 columns: sep goes
 * between words, cont (then a new line and an indent) where a line ends.
 */
struct wrap {
	FILE		*fp;
	int		 col;
	int		 n;
	const char	*sep;
	const char	*cont;
};

static void
wrap_start(struct wrap *w, FILE *fp, int col, const char *sep,
    const char *cont)
{
	w->fp = fp;
	w->col = col;
	w->n = 0;
	w->sep = sep;
	w->cont = cont;
}

static void
wrap_word(struct wrap *w, const char *prefix, const char *word)
{
	int	len = (int)(strlen(prefix) + strlen(word));

	if (w->n > 0 && w->col + (int)strlen(w->sep) + len > 72) {
		fprintf(w->fp, "%s\n\t\t    ", w->cont);
		w->col = 20;
	} else if (w->n > 0)
		w->col += fprintf(w->fp, "%s", w->sep);
	w->col += fprintf(w->fp, "%s%s", prefix, word);
	w->n++;
}

static void
shell_words(struct wrap *w)
{
	size_t	i;

	for (i = 0; i < NVERBS; i++) {
		wrap_word(w, "", verbs[i].name);
		if (verbs[i].alias != NULL)
			wrap_word(w, "", verbs[i].alias);
	}
}

static void
bash_case(FILE *fp, const struct verb *v)
{
	fprintf(fp, "\t%s%s%s)", v->name, v->alias ? "|" : "",
	    v->alias ? v->alias : "");
}

static int
seen_before(const struct flag *f, size_t vi, size_t fi)
{
	size_t	i, j;

	for (i = 0; i <= vi; i++)
		for (j = 0; verbs[i].flags[j] != NULL; j++) {
			if (i == vi && j == fi)
				return (0);
			if (strcmp(verbs[i].flags[j]->name, f->name) == 0)
				return (1);
		}
	return (0);
}

static void
completions_bash(FILE *fp)
{
	const struct verb	*v;
	const struct flag	*f;
	struct wrap		 w;
	size_t			 i, j;

	fprintf(fp, "# bash completion for innernetctl(8), made by "
	    "\"innernetctl completions bash\"\n\n"
	    "_innernetctl_networks()\n{\n"
	    "\tinnernetctl status 2>/dev/null |\n"
	    "\t    awk 'n && NF { print $1 } /^NETWORK/ { n = 1 }'\n}\n\n"
	    "_innernetctl()\n{\n"
	    "\tlocal cur prev verb i flags\n"
	    "\tcur=${COMP_WORDS[COMP_CWORD]}\n"
	    "\tprev=${COMP_WORDS[COMP_CWORD-1]}\n"
	    "\tverb=\n"
	    "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	    "\t\tcase ${COMP_WORDS[i]} in\n"
	    "\t\t-s) ((i++)) ;;\n\t\t-*) ;;\n"
	    "\t\t*) verb=${COMP_WORDS[i]}; break ;;\n"
	    "\t\tesac\n\tdone\n"
	    "\tif [[ -z $verb ]]; then\n"
	    "\t\tcase $prev in\n"
	    "\t\t-s) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n"
	    "\t\tesac\n"
	    "\t\tCOMPREPLY=($(compgen -W \"-h -j -s -V -v --help --version\n"
	    "\t\t    ");
	wrap_start(&w, fp, 20, " ", "");
	shell_words(&w);
	fprintf(fp, "\" -- \"$cur\"))\n\t\treturn\n\tfi\n"
	    "\tcase $prev in\n");
	/* every flag with a value: files, a choice, or free text */
	fprintf(fp, "\t--save-config|--server-config|--database|"
	    "--client-config)\n"
	    "\t\tCOMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n"
	    "\t--admin)\n"
	    "\t\tCOMPREPLY=($(compgen -W \"true false\" -- \"$cur\")); "
	    "return ;;\n\t");
	wrap_start(&w, fp, 8, "|", "|\\");
	for (i = 0; i < NVERBS; i++)
		for (j = 0; (f = verbs[i].flags[j]) != NULL; j++) {
			if (f->kind == F_BOOL || f->kind == F_FILE ||
			    f->kind == F_TRUEFALSE || seen_before(f, i, j))
				continue;
			wrap_word(&w, "--", f->name);
		}
	wrap_word(&w, "", "-e|-l");
	fprintf(fp, ")\n\t\treturn ;;\n\tesac\n\tcase $verb in\n");
	for (i = 0; i < NVERBS; i++) {
		v = &verbs[i];
		bash_case(fp, v);
		fprintf(fp, " flags=\"");
		wrap_start(&w, fp, 24 + (int)strlen(v->name), " ", "");
		for (j = 0; (f = v->flags[j]) != NULL; j++)
			wrap_word(&w, "--", f->name);
		wrap_word(&w, "", "--help\" ;;");
		fprintf(fp, "\n");
	}
	fprintf(fp, "\tesac\n"
	    "\tif [[ $cur == -* ]]; then\n"
	    "\t\tCOMPREPLY=($(compgen -W \"$flags\" -- \"$cur\"))\n"
	    "\t\treturn\n\tfi\n\tcase $verb in\n");
	for (i = 0; i < NVERBS; i++) {
		v = &verbs[i];
		switch (v->pos) {
		case P_NETWORK:
		case P_NETWORK_OPT:
		case P_ASSOC:
			bash_case(fp, v);
			fprintf(fp, "\n\t\tCOMPREPLY=($(compgen -W "
			    "\"$(_innernetctl_networks)\" -- \"$cur\")) ;;\n");
			break;
		case P_INVITE:
			bash_case(fp, v);
			fprintf(fp, "\n\t\tCOMPREPLY=($(compgen -f -- "
			    "\"$cur\")) ;;\n");
			break;
		case P_VERB_OPT:
			bash_case(fp, v);
			fprintf(fp, "\n\t\tCOMPREPLY=($(compgen -W \"");
			wrap_start(&w, fp, 40, " ", "");
			shell_words(&w);
			fprintf(fp, "\" -- \"$cur\")) ;;\n");
			break;
		case P_SHELL:
			bash_case(fp, v);
			fprintf(fp, "\n\t\tCOMPREPLY=($(compgen -W "
			    "\"bash zsh\" -- \"$cur\")) ;;\n");
			break;
		case P_NONE:
			break;
		}
	}
	fprintf(fp, "\tesac\n}\ncomplete -F _innernetctl innernetctl\n");
}

/* zsh's _arguments specs treat : [ ] and \ specially. */
static void
zsh_text(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == ':' || *s == '[' || *s == ']' || *s == '\\')
			fputc('\\', fp);
		if (*s == '\'')
			fputs("'\\''", fp);
		else
			fputc(*s, fp);
	}
}

static void
zsh_flag(FILE *fp, const struct flag *f, int shortform)
{
	fprintf(fp, " \\\n\t\t    '%s", f->kind == F_CIDRS ? "*" : "");
	if (shortform)
		fprintf(fp, "-%c[", f->shortname);
	else
		fprintf(fp, "--%s[", f->name);
	zsh_text(fp, f->help);
	fputc(']', fp);
	if (f->kind != F_BOOL) {
		fputc(':', fp);
		zsh_text(fp, f->metavar);
		fputc(':', fp);
		if (f->kind == F_FILE)
			fputs("_files", fp);
		else if (f->kind == F_TRUEFALSE)
			fputs("(true false)", fp);
	}
	fputc('\'', fp);
}

static void
completions_zsh(FILE *fp)
{
	const struct verb	*v;
	const struct flag	*f;
	struct wrap		 w;
	size_t			 i, j;

	fprintf(fp, "#compdef innernetctl\n# zsh completion for "
	    "innernetctl(8), made by \"innernetctl completions zsh\"\n\n"
	    "_innernetctl_networks() {\n\tlocal -a nets\n"
	    "\tnets=(${(f)\"$(innernetctl status 2>/dev/null |\n"
	    "\t    awk 'n && NF { print $1 } /^NETWORK/ { n = 1 }')\"})\n"
	    "\t_describe network nets\n}\n\n"
	    "_innernetctl() {\n\tlocal -a verbs\n\tlocal verb i\n"
	    "\tverbs=(\n");
	for (i = 0; i < NVERBS; i++) {
		fprintf(fp, "\t    '%s:", verbs[i].name);
		zsh_text(fp, verbs[i].help);
		fprintf(fp, "'\n");
		if (verbs[i].alias != NULL) {
			fprintf(fp, "\t    '%s:", verbs[i].alias);
			zsh_text(fp, verbs[i].help);
			fprintf(fp, "'\n");
		}
	}
	fprintf(fp, "\t)\n"
	    "\tfor ((i = 2; i < CURRENT; i++)); do\n"
	    "\t\tcase ${words[i]} in\n"
	    "\t\t-s) ((i++)) ;;\n\t\t-*) ;;\n"
	    "\t\t*) verb=${words[i]}; break ;;\n"
	    "\t\tesac\n\tdone\n"
	    "\tif [[ -z $verb ]]; then\n"
	    "\t\tif [[ ${words[CURRENT]} == -* ]]; then\n"
	    "\t\t\tcompadd -- -h -j -s -V -v --help --version --verbose\n"
	    "\t\telse\n\t\t\t_describe verb verbs\n\t\tfi\n"
	    "\t\treturn\n\tfi\n"
	    "\tshift $((i - 1)) words\n"
	    "\t(( CURRENT -= i - 1 ))\n"
	    "\tcase $verb in\n");
	for (i = 0; i < NVERBS; i++) {
		v = &verbs[i];
		fprintf(fp, "\t%s%s%s)\n\t\t_arguments", v->name,
		    v->alias ? "|" : "", v->alias ? v->alias : "");
		switch (v->pos) {
		case P_NETWORK:
			fprintf(fp, " '1:network:_innernetctl_networks'");
			break;
		case P_NETWORK_OPT:
			fprintf(fp, " '1::network:_innernetctl_networks'");
			break;
		case P_ASSOC:
			fprintf(fp, " '1:network:_innernetctl_networks'"
			    " '2:cidr:' '3:cidr:'");
			break;
		case P_INVITE:
			fprintf(fp, " '1:invitation:_files'");
			break;
		case P_VERB_OPT:
			fprintf(fp, " '1::verb:(");
			wrap_start(&w, fp, 40, " ", "");
			shell_words(&w);
			fprintf(fp, ")'");
			break;
		case P_SHELL:
			fprintf(fp, " '1:shell:(bash zsh)'");
			break;
		case P_NONE:
			break;
		}
		for (j = 0; (f = v->flags[j]) != NULL; j++) {
			zsh_flag(fp, f, 0);
			if (f->shortname)
				zsh_flag(fp, f, 1);
		}
		fprintf(fp, " \\\n\t\t    '--help[this help]' ;;\n");
	}
	fprintf(fp, "\tesac\n}\n\n_innernetctl \"$@\"\n");
}

int
completions_print(FILE *fp, const char *shell)
{
	if (strcmp(shell, "bash") == 0)
		completions_bash(fp);
	else if (strcmp(shell, "zsh") == 0)
		completions_zsh(fp);
	else
		return (-1);
	return (0);
}
