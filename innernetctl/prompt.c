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
 * Questions for what the command line left out, as upstream's CLIs ask
 * them.  Every question has a flag; without a terminal nothing is asked:
 * a missing required value is an error that names the flag, and a
 * confirmation that only --yes gives is refused.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "innernetctl.h"

enum ask_kind {
	ASK_VALUE,	/* a flag's value, checked as the flag would be */
	ASK_IP,		/* --ip, or --auto-ip when the answer is empty */
	ASK_CONFIRM,	/* yes/no, skipped by --yes */
	ASK_CIDR,	/* a CIDR's name, picked from a numbered list */
	ASK_PEER,	/* a peer's name, the same way */
};

/* Which CIDRs or peers a list offers. */
enum ask_offer {
	OFFER_ALL,
	OFFER_LEAF,		/* CIDRs without child CIDRs */
	OFFER_DELETABLE,	/* leaves but the root and infra */
	OFFER_ENABLED,		/* peers that are enabled, but the server */
	OFFER_DISABLED,
	OFFER_NOTSERVER,
};

struct ask {
	const char	*verb;
	const char	*flag;
	enum ask_kind	 kind;
	int		 required;	/* without a terminal: an error */
	const char	*question;
	const char	*def;		/* NULL: none; "@name.toml" see below */
};

static const struct ask asks[] = {
	{ "new", "network-name", ASK_VALUE, 1, "Network name", NULL },
	{ "new", "network-cidr", ASK_VALUE, 1,
	    "Network CIDR (like 10.60.0.0/16)", NULL },
	{ "new", "external-endpoint", ASK_VALUE, 1,
	    "External endpoint peers reach this server at (host:port)",
	    NULL },
	{ "new", "listen-port", ASK_VALUE, 0, "Listen port", "51820" },
	{ "add-cidr", "name", ASK_VALUE, 1, "CIDR name", NULL },
	{ "add-cidr", "cidr", ASK_VALUE, 1, "CIDR (like 10.60.1.0/24)",
	    NULL },
	{ "add-cidr", "parent", ASK_CIDR, 1, "Parent CIDR name", NULL },
	{ "add-cidr", "yes", ASK_CONFIRM, 0, "Create this CIDR?", "yes" },
	{ "delete-cidr", "name", ASK_CIDR, 1, "CIDR name", NULL },
	{ "delete-cidr", "yes", ASK_CONFIRM, 0, "Delete this CIDR?", "no" },
	{ "rename-cidr", "name", ASK_CIDR, 1, "CIDR name", NULL },
	{ "rename-cidr", "new-name", ASK_VALUE, 1, "New name", NULL },
	{ "rename-cidr", "yes", ASK_CONFIRM, 0, "Rename this CIDR?", "yes" },
	{ "add-peer", "name", ASK_VALUE, 1, "Peer name", NULL },
	{ "add-peer", "cidr", ASK_CIDR, 1, "CIDR name", NULL },
	{ "add-peer", "ip", ASK_IP, 1,
	    "IP address (empty: the next free one)", NULL },
	{ "add-peer", "admin", ASK_VALUE, 0, "Admin peer (true/false)",
	    "false" },
	{ "add-peer", "invite-expires", ASK_VALUE, 0,
	    "Invitation expires after", "14d" },
	{ "add-peer", "save-config", ASK_VALUE, 0, "Save the invitation to",
	    "@name.toml" },
	{ "add-peer", "yes", ASK_CONFIRM, 0, "Create this peer?", "yes" },
	{ "rename-peer", "name", ASK_PEER, 1, "Peer name", NULL },
	{ "rename-peer", "new-name", ASK_VALUE, 1, "New name", NULL },
	{ "rename-peer", "yes", ASK_CONFIRM, 0, "Rename this peer?", "yes" },
	{ "enable-peer", "name", ASK_PEER, 1, "Peer name", NULL },
	{ "disable-peer", "name", ASK_PEER, 1, "Peer name", NULL },
	{ "disable-peer", "yes", ASK_CONFIRM, 0, "Disable this peer?", "no" },
	{ "delete-peer", "name", ASK_PEER, 1, "Peer name", NULL },
	{ "delete-peer", "yes", ASK_CONFIRM, 1, "Delete this peer?", "no" },
	{ "add-association", "cidr1", ASK_CIDR, 1, "First CIDR", NULL },
	{ "add-association", "cidr2", ASK_CIDR, 1, "Second CIDR", NULL },
	{ "add-association", "yes", ASK_CONFIRM, 0,
	    "Associate these CIDRs?", "yes" },
	{ "delete-association", "cidr1", ASK_CIDR, 1, "First CIDR", NULL },
	{ "delete-association", "cidr2", ASK_CIDR, 1, "Second CIDR", NULL },
	{ "delete-association", "yes", ASK_CONFIRM, 0,
	    "Delete this association?", "no" },
	{ "uninstall", "yes", ASK_CONFIRM, 1,
	    "Permanently delete this network and its keys?", "no" },
	{ "override-endpoint", "endpoint", ASK_VALUE, 1,
	    "External endpoint of this host (host:port)", NULL },
	{ "override-endpoint", "yes", ASK_CONFIRM, 0,
	    "Set this endpoint override?", "yes" },
	{ "override-peer-endpoint", "name", ASK_VALUE, 1, "Peer name",
	    NULL },
	{ "override-peer-endpoint", "endpoint", ASK_VALUE, 1,
	    "Endpoint to reach this peer at (host:port)", NULL },
	{ "override-peer-endpoint", "yes", ASK_CONFIRM, 0,
	    "Set this endpoint override?", "yes" },
	{ "set-listen-port", "listen-port", ASK_VALUE, 1, "Listen port",
	    NULL },
};

/* What the lists of ASK_CIDR and ASK_PEER questions offer. */
static const struct {
	const char	*verb;
	enum ask_offer	 offer;
} offers[] = {
	{ "add-cidr",		OFFER_ALL },
	{ "delete-cidr",	OFFER_DELETABLE },
	{ "rename-cidr",	OFFER_ALL },
	{ "add-peer",		OFFER_LEAF },
	{ "rename-peer",	OFFER_NOTSERVER },
	{ "enable-peer",	OFFER_DISABLED },
	{ "disable-peer",	OFFER_ENABLED },
	{ "delete-peer",	OFFER_NOTSERVER },
};

static enum ask_offer
offer_of(const struct ask *a)
{
	size_t	i;

	for (i = 0; i < sizeof(offers) / sizeof(offers[0]); i++)
		if (strcmp(offers[i].verb, a->verb) == 0)
			return (offers[i].offer);
	return (OFFER_ALL);
}

int
prompt_interactive(void)
{
	return (isatty(STDIN_FILENO) && isatty(STDERR_FILENO));
}

/* One line from the terminal, trimmed; NULL at end of input. */
static char *
ask_line(const char *question, const char *def, char *buf, size_t len)
{
	size_t	n;
	char	*s;

	fprintf(stderr, "%s%s%s%s: ", question, def != NULL ? " [" : "",
	    def != NULL ? def : "", def != NULL ? "]" : "");
	fflush(stderr);
	if (fgets(buf, (int)len, stdin) == NULL)
		return (NULL);
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	for (s = buf; isspace((unsigned char)*s); s++)
		;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return (s);
}

/* yes/no on the terminal; def when the answer is empty. */
int
prompt_confirm(const char *question, int def)
{
	char	 buf[64], *a;
	int	 tries;

	for (tries = 0; tries < 3; tries++) {
		if ((a = ask_line(question, def ? "Y/n" : "y/N", buf,
		    sizeof(buf))) == NULL)
			return (0);
		if (*a == '\0')
			return (def);
		if (strcasecmp(a, "y") == 0 || strcasecmp(a, "yes") == 0)
			return (1);
		if (strcasecmp(a, "n") == 0 || strcasecmp(a, "no") == 0)
			return (0);
		fprintf(stderr, "please answer yes or no\n");
	}
	return (0);
}

static const char *
jstr(json_t *o, const char *k)
{
	json_t	*v = json_object_get(o, k);

	return (json_is_string(v) ? json_string_value(v) : NULL);
}

static int
cidr_has_child(json_t *cidrs, json_t *c)
{
	size_t	 i;
	json_t	*x;

	json_array_foreach(cidrs, i, x)
		if (json_equal(json_object_get(x, "parent"),
		    json_object_get(c, "id")))
			return (1);
	return (0);
}

static int
offered(const struct ask *a, json_t *all, json_t *o)
{
	json_int_t	id = json_integer_value(json_object_get(o, "id"));

	if (jstr(o, "name") == NULL)
		return (0);
	switch (offer_of(a)) {
	case OFFER_ALL:
		return (1);
	case OFFER_LEAF:
		return (!cidr_has_child(all, o));
	case OFFER_DELETABLE:
		return (id > IN_INFRA_CIDR_ID && !cidr_has_child(all, o));
	case OFFER_ENABLED:
		return (id != IN_SERVER_PEER_ID &&
		    !json_is_true(json_object_get(o, "is_disabled")));
	case OFFER_DISABLED:
		return (json_is_true(json_object_get(o, "is_disabled")));
	case OFFER_NOTSERVER:
		return (id != IN_SERVER_PEER_ID);
	}
	return (0);
}

/*
 * Upstream's prompts pick a CIDR or a peer from a list.  The list comes
 * from the daemon; without one (it cannot be reached yet) the name is
 * asked for as plain text.  An answer is a number of the list or a name.
 */
static json_t *
offer_list(const struct ask *a, prompt_lister lister)
{
	json_t	*all, *list, *o;
	size_t	 i;

	if (lister == NULL || (all = lister(a->kind == ASK_CIDR ?
	    "list-cidrs" : "list-peers")) == NULL)
		return (NULL);
	list = json_array();
	json_array_foreach(all, i, o)
		if (offered(a, all, o))
			json_array_append(list, o);
	json_decref(all);
	return (list);
}

static int
ask_value(const char *verb, const struct ask *a, json_t *args,
    const char *def, json_t *choices, char *err, size_t errlen)
{
	char		 buf[512], q[256], *ans, *end;
	const char	*what = a->kind == ASK_CIDR ? "CIDR" : "peer", *detail;
	size_t		 i, n = json_array_size(choices), width = 0;
	long		 k;
	json_t		*o;
	int		 tries;

	strlcpy(q, a->question, sizeof(q));
	if (choices != NULL && n == 0) {
		snprintf(err, errlen, "no %s to choose from for --%s", what,
		    a->flag);
		return (PROMPT_ERR);
	}
	if (n > 0) {
		json_array_foreach(choices, i, o)
			if (strlen(jstr(o, "name")) > width)
				width = strlen(jstr(o, "name"));
		fprintf(stderr, "%s%s:\n", a->kind == ASK_CIDR ? "CIDRs" :
		    "Peers", offer_of(a) == OFFER_LEAF ?
		    " without child CIDRs" : "");
		json_array_foreach(choices, i, o) {
			detail = jstr(o, a->kind == ASK_CIDR ? "cidr" : "ip");
			fprintf(stderr, "  %2zu) %-*s  %s\n", i + 1, (int)width,
			    jstr(o, "name"), detail != NULL ? detail : "");
		}
		snprintf(q, sizeof(q), "%s (1-%zu or a name)", a->question,
		    n);
	}
	for (tries = 0; tries < 3; tries++) {
		if ((ans = ask_line(q, def, buf, sizeof(buf))) == NULL) {
			snprintf(err, errlen, "no answer for --%s", a->flag);
			return (PROMPT_ERR);
		}
		if (*ans == '\0' && a->kind == ASK_IP) {
			json_object_set_new(args, "auto_ip", json_true());
			return (PROMPT_OK);
		}
		if (*ans == '\0' && def != NULL)
			ans = (char *)def;
		if (*ans == '\0') {
			fprintf(stderr, "an answer is needed\n");
			continue;
		}
		if (n > 0 && isdigit((unsigned char)*ans)) {
			k = strtol(ans, &end, 10);
			if (*end != '\0' || k < 1 || (size_t)k > n) {
				fprintf(stderr, "a number from 1 to %zu, or "
				    "a name\n", n);
				continue;
			}
			ans = (char *)jstr(json_array_get(choices, k - 1),
			    "name");
		}
		if (set_flag_value(verb, args, a->flag, ans, err, errlen) == 0)
			return (PROMPT_OK);
		fprintf(stderr, "%s\n", err);
	}
	snprintf(err, errlen, "no usable answer for --%s", a->flag);
	return (PROMPT_ERR);
}

static const char *
astr(json_t *args, const char *k, const char *def)
{
	const char	*s = jstr(args, k);

	return (s != NULL ? s : def);
}

/* What the confirmation is about, in a line, before it is asked. */
static void
summary(const char *verb, json_t *args, const char *network)
{
	json_t		*v;
	long long	 ttl;
	char		 exp[32], save[128];

	if (strcmp(verb, "add-peer") == 0) {
		v = json_object_get(args, "invite_expires");
		ttl = json_is_integer(v) ? json_integer_value(v) : 14 * 86400;
		if (ttl % 86400 == 0)
			snprintf(exp, sizeof(exp), "%lldd", ttl / 86400);
		else if (ttl % 3600 == 0)
			snprintf(exp, sizeof(exp), "%lldh", ttl / 3600);
		else
			snprintf(exp, sizeof(exp), "%llds", ttl);
		snprintf(save, sizeof(save), "%s.toml", astr(args, "name",
		    "peer"));
		fprintf(stderr, "Peer %s in CIDR %s of %s, address %s, %s, "
		    "invitation valid %s, saved to %s\n",
		    astr(args, "name", "?"), astr(args, "cidr", "?"), network,
		    astr(args, "ip", "the next free one"),
		    json_is_true(json_object_get(args, "admin")) ? "admin" :
		    "not an admin", exp, astr(args, "save_config", save));
	} else if (strcmp(verb, "add-cidr") == 0)
		fprintf(stderr, "CIDR %s (%s) under %s in %s\n",
		    astr(args, "name", "?"), astr(args, "cidr", "?"),
		    astr(args, "parent", "?"), network);
	else if (strcmp(verb, "rename-cidr") == 0 ||
	    strcmp(verb, "rename-peer") == 0)
		fprintf(stderr, "%s %s of %s becomes %s\n",
		    verb[7] == 'c' ? "CIDR" : "Peer", astr(args, "name", "?"),
		    network, astr(args, "new_name", "?"));
	else if (strcmp(verb, "delete-cidr") == 0 ||
	    strcmp(verb, "disable-peer") == 0 ||
	    strcmp(verb, "delete-peer") == 0)
		fprintf(stderr, "%s %s of %s\n", strcmp(verb, "delete-cidr") ==
		    0 ? "CIDR" : "Peer", astr(args, "name", "?"), network);
	else if (strcmp(verb, "add-association") == 0 ||
	    strcmp(verb, "delete-association") == 0)
		fprintf(stderr, "%s <=> %s in %s\n", astr(args, "cidr1", "?"),
		    astr(args, "cidr2", "?"), network);
	else if (strcmp(verb, "override-endpoint") == 0)
		fprintf(stderr, "Other peers of %s reach this host at %s\n",
		    network, astr(args, "endpoint", "?"));
	else if (strcmp(verb, "override-peer-endpoint") == 0)
		fprintf(stderr, "This host reaches peer %s of %s at %s\n",
		    astr(args, "name", "?"), network,
		    astr(args, "endpoint", "?"));
}

/*
 * Fill in what the verb needs.  "network" names the network for the
 * questions that mention it; lister, when not NULL, gives the lists the
 * choices are offered from.
 */
int
prompt_missing(const char *verb, json_t *args, const char *network,
    prompt_lister lister, char *err, size_t errlen)
{
	const struct ask	*a;
	char			 key[64], def[128], q[256];
	const char		*d, *name;
	json_t			*choices;
	size_t			 i, k;
	int			 tty = prompt_interactive(), rc;

	for (i = 0; i < sizeof(asks) / sizeof(asks[0]); i++) {
		a = &asks[i];
		if (strcmp(a->verb, verb) != 0)
			continue;
		strlcpy(key, a->flag, sizeof(key));
		for (k = 0; key[k] != '\0'; k++)
			if (key[k] == '-')
				key[k] = '_';
		if (json_object_get(args, key) != NULL)
			continue;
		if (a->kind == ASK_IP &&
		    json_is_true(json_object_get(args, "auto_ip")))
			continue;
		if ((strcmp(verb, "override-endpoint") == 0 ||
		    strcmp(verb, "override-peer-endpoint") == 0 ||
		    strcmp(verb, "set-listen-port") == 0) &&
		    strcmp(a->flag, "name") != 0 &&
		    json_is_true(json_object_get(args, "unset")))
			continue;
		if (strcmp(a->flag, "external-endpoint") == 0 &&
		    json_is_true(json_object_get(args,
		    "auto_external_endpoint")))
			continue;
		if (!tty) {
			if (!a->required)
				continue;
			if (a->kind == ASK_CONFIRM)
				snprintf(err, errlen, "%s%s%s changes things "
				    "for good: give --yes (no terminal to "
				    "ask on)", verb, network ? " " : "",
				    network ? network : "");
			else if (strncmp(a->flag, "cidr", 4) == 0 &&
			    a->flag[4] != '\0')
				snprintf(err, errlen, "%s takes a network and "
				    "two CIDR names (no terminal to ask on)",
				    verb);
			else
				snprintf(err, errlen, "%s needs --%s%s (no "
				    "terminal to ask on)", verb, a->flag,
				    a->kind == ASK_IP ? " or --auto-ip" : "");
			return (PROMPT_ERR);
		}
		if (a->kind == ASK_CONFIRM) {
			if (network != NULL)
				summary(verb, args, network);
			snprintf(q, sizeof(q), "%s%s%s", a->question,
			    network ? " (network " : "", network ? network :
			    "");
			if (network)
				strlcat(q, ")", sizeof(q));
			if (!prompt_confirm(q, strcmp(a->def, "yes") == 0))
				return (PROMPT_NO);
			continue;
		}
		d = a->def;
		if (d != NULL && d[0] == '@') {
			name = json_string_value(json_object_get(args,
			    "name"));
			snprintf(def, sizeof(def), "%s%s", name ? name : "peer",
			    d + 5);
			d = def;
		}
		choices = NULL;
		if (a->kind == ASK_CIDR || a->kind == ASK_PEER)
			choices = offer_list(a, lister);
		rc = ask_value(verb, a, args, d, choices, err, errlen);
		json_decref(choices);
		if (rc != PROMPT_OK)
			return (rc);
	}
	return (PROMPT_OK);
}
