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
	{ "add-cidr", "parent", ASK_VALUE, 1, "Parent CIDR name", NULL },
	{ "add-cidr", "yes", ASK_CONFIRM, 0, "Create this CIDR?", "yes" },
	{ "delete-cidr", "name", ASK_VALUE, 1, "CIDR name", NULL },
	{ "delete-cidr", "yes", ASK_CONFIRM, 0, "Delete this CIDR?", "no" },
	{ "rename-cidr", "name", ASK_VALUE, 1, "CIDR name", NULL },
	{ "rename-cidr", "new-name", ASK_VALUE, 1, "New name", NULL },
	{ "add-peer", "name", ASK_VALUE, 1, "Peer name", NULL },
	{ "add-peer", "cidr", ASK_VALUE, 1, "CIDR name", NULL },
	{ "add-peer", "ip", ASK_IP, 1,
	    "IP address (empty: the next free one)", NULL },
	{ "add-peer", "admin", ASK_VALUE, 0, "Admin peer (true/false)",
	    "false" },
	{ "add-peer", "invite-expires", ASK_VALUE, 0,
	    "Invitation expires after", "14d" },
	{ "add-peer", "save-config", ASK_VALUE, 0, "Save the invitation to",
	    "@name.toml" },
	{ "add-peer", "yes", ASK_CONFIRM, 0, "Create this peer?", "yes" },
	{ "rename-peer", "name", ASK_VALUE, 1, "Peer name", NULL },
	{ "rename-peer", "new-name", ASK_VALUE, 1, "New name", NULL },
	{ "enable-peer", "name", ASK_VALUE, 1, "Peer name", NULL },
	{ "disable-peer", "name", ASK_VALUE, 1, "Peer name", NULL },
	{ "disable-peer", "yes", ASK_CONFIRM, 0, "Disable this peer?", "no" },
	{ "add-association", "yes", ASK_CONFIRM, 0,
	    "Associate these CIDRs?", "yes" },
	{ "delete-association", "yes", ASK_CONFIRM, 0,
	    "Delete this association?", "no" },
	{ "uninstall", "yes", ASK_CONFIRM, 1,
	    "Permanently delete this network and its keys?", "no" },
	{ "override-endpoint", "endpoint", ASK_VALUE, 1,
	    "External endpoint of this host (host:port)", NULL },
	{ "override-endpoint", "yes", ASK_CONFIRM, 0,
	    "Set this endpoint override?", "yes" },
	{ "set-listen-port", "listen-port", ASK_VALUE, 1, "Listen port",
	    NULL },
};

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

static int
ask_value(const struct ask *a, json_t *args, const char *def, char *err,
    size_t errlen)
{
	char	 buf[512], *ans;
	int	 tries;

	for (tries = 0; tries < 3; tries++) {
		if ((ans = ask_line(a->question, def, buf, sizeof(buf))) ==
		    NULL) {
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
		if (set_flag_value(args, a->flag, ans, err, errlen) == 0)
			return (PROMPT_OK);
		fprintf(stderr, "%s\n", err);
	}
	snprintf(err, errlen, "no usable answer for --%s", a->flag);
	return (PROMPT_ERR);
}

/*
 * Fill in what the verb needs.  "network" names the network for the
 * questions that mention it.
 */
int
prompt_missing(const char *verb, json_t *args, const char *network,
    char *err, size_t errlen)
{
	const struct ask	*a;
	char			 key[64], def[128], q[256];
	const char		*d, *name;
	size_t			 i, k;
	int			 tty = prompt_interactive(), rc;

	if (strcmp(verb, "init") == 0)		/* upstream's alias */
		verb = "new";
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
		if (strcmp(verb, "override-endpoint") == 0 &&
		    json_is_true(json_object_get(args, "unset")))
			continue;
		if (strcmp(verb, "set-listen-port") == 0 &&
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
			else
				snprintf(err, errlen, "%s needs --%s%s (no "
				    "terminal to ask on)", verb, a->flag,
				    a->kind == ASK_IP ? " or --auto-ip" : "");
			return (PROMPT_ERR);
		}
		if (a->kind == ASK_CONFIRM) {
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
		if ((rc = ask_value(a, args, d, err, errlen)) != PROMPT_OK)
			return (rc);
	}
	return (PROMPT_OK);
}
