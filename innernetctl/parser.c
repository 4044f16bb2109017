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
 * {"verb": ..., "network": ..., "args": {...}}.  Flag names are upstream's
 * (--listen-port becomes "listen_port"); values are checked for shape
 * here and for meaning by the daemon.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "innernetctl.h"

enum flag_kind { F_BOOL, F_STRING, F_PORT, F_DURATION };

struct flag {
	const char	*name;
	char		 shortname;
	enum flag_kind	 kind;
};

static const struct flag flags[] = {
	{ "yes",			'y', F_BOOL },
	{ "force",			0,   F_BOOL },
	{ "auto-ip",			0,   F_BOOL },
	{ "auto-external-endpoint",	0,   F_BOOL },
	{ "tree",			't', F_BOOL },
	{ "short",			's', F_BOOL },
	{ "unset",			'u', F_BOOL },
	{ "delete-invite",		'd', F_BOOL },
	{ "no-write-hosts",		0,   F_BOOL },
	{ "default-name",		0,   F_BOOL },
	{ "name",			0,   F_STRING },
	{ "new-name",			0,   F_STRING },
	{ "cidr",			0,   F_STRING },
	{ "ip",				0,   F_STRING },
	{ "admin",			0,   F_STRING },
	{ "parent",			0,   F_STRING },
	{ "save-config",		0,   F_STRING },
	{ "invite-expires",		0,   F_DURATION },
	{ "network-name",		0,   F_STRING },
	{ "network-cidr",		0,   F_STRING },
	{ "external-endpoint",		0,   F_STRING },
	{ "endpoint",			0,   F_STRING },
	{ "listen-port",		0,   F_PORT },
	{ "hosts-path",			0,   F_STRING },
	{ "server-config",		0,   F_STRING },
	{ "database",			0,   F_STRING },
	{ "state-dir",			0,   F_STRING },
	{ "client-config",		0,   F_STRING },
};

static const char *verbs[] = {
	"status", "new", "init", "add-cidr", "rename-cidr", "delete-cidr",
	"list-cidrs", "add-peer", "rename-peer", "enable-peer", "disable-peer",
	"list-peers", "add-association", "delete-association",
	"list-associations", "install", "up", "down", "fetch", "list",
	"override-endpoint", "set-listen-port", "uninstall", "import",
};

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
	return (v);
}

static const struct flag *
find_flag(const char *name, char shortname)
{
	size_t	i;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if ((name != NULL && strcmp(flags[i].name, name) == 0) ||
		    (name == NULL && shortname != 0 &&
		    flags[i].shortname == shortname))
			return (&flags[i]);
	return (NULL);
}

static int
set_flag(json_t *args, const struct flag *f, const char *value, char *err,
    size_t errlen)
{
	char		 key[64];
	size_t		 i;
	long long	 v;
	char		*end;

	strlcpy(key, f->name, sizeof(key));
	for (i = 0; key[i] != '\0'; i++)
		if (key[i] == '-')
			key[i] = '_';
	switch (f->kind) {
	case F_BOOL:
		json_object_set_new(args, key, json_true());
		break;
	case F_STRING:
		json_object_set_new(args, key, json_string(value));
		break;
	case F_PORT:
		v = strtoll(value, &end, 10);
		if (*value == '\0' || *end != '\0' || v < 1 || v > 65535) {
			snprintf(err, errlen, "--%s must be a port number "
			    "from 1 to 65535", f->name);
			return (-1);
		}
		json_object_set_new(args, key, json_integer(v));
		break;
	case F_DURATION:
		if ((v = parse_duration(value)) == -1) {
			snprintf(err, errlen, "--%s takes a duration like "
			    "30m, 12h, 14d or 2w", f->name);
			return (-1);
		}
		json_object_set_new(args, key, json_integer(v));
		break;
	}
	return (0);
}

/* A value for --name given another way (an answer at a prompt). */
int
set_flag_value(json_t *args, const char *name, const char *value, char *err,
    size_t errlen)
{
	const struct flag	*f;

	if ((f = find_flag(name, 0)) == NULL) {
		snprintf(err, errlen, "unknown flag --%s", name);
		return (-1);
	}
	return (set_flag(args, f, value, err, errlen));
}

json_t *
parse_command(int argc, char **argv, char *err, size_t errlen)
{
	json_t		*req, *args, *pos;
	const struct flag *f;
	const char	*verb, *value;
	char		 name[64], *eq;
	size_t		 i;
	int		 a, known = 0;

	if (argc < 1) {
		snprintf(err, errlen, "missing verb");
		return (NULL);
	}
	verb = argv[0];
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(verbs[i], verb) == 0)
			known = 1;
	if (!known) {
		snprintf(err, errlen, "unknown verb '%s'", verb);
		return (NULL);
	}
	req = json_object();
	args = json_object();
	pos = json_array();
	for (a = 1; a < argc; a++) {
		if (argv[a][0] != '-' || argv[a][1] == '\0') {
			json_array_append_new(pos, json_string(argv[a]));
			continue;
		}
		value = NULL;
		if (argv[a][1] == '-') {
			strlcpy(name, argv[a] + 2, sizeof(name));
			if ((eq = strchr(name, '=')) != NULL) {
				*eq = '\0';
				value = strchr(argv[a], '=') + 1;
			}
			f = find_flag(name, 0);
		} else {
			if (argv[a][2] != '\0')
				f = NULL;
			else
				f = find_flag(NULL, argv[a][1]);
			strlcpy(name, argv[a] + 1, sizeof(name));
		}
		if (f == NULL) {
			snprintf(err, errlen, "%s: unknown flag %s", verb,
			    argv[a]);
			goto fail;
		}
		if (f->kind != F_BOOL && value == NULL) {
			if (a + 1 >= argc) {
				snprintf(err, errlen, "--%s needs a value",
				    f->name);
				goto fail;
			}
			value = argv[++a];
		} else if (f->kind == F_BOOL && value != NULL) {
			snprintf(err, errlen, "--%s takes no value", f->name);
			goto fail;
		}
		if (set_flag(args, f, value, err, errlen) == -1)
			goto fail;
	}

	/* Positional words: the network, or what the verb names. */
	if (strcmp(verb, "install") == 0) {
		if (json_array_size(pos) != 1) {
			snprintf(err, errlen, "install takes one invitation "
			    "file");
			goto fail;
		}
		json_object_set(args, "invitation", json_array_get(pos, 0));
	} else if (strcmp(verb, "add-association") == 0 ||
	    strcmp(verb, "delete-association") == 0) {
		if (json_array_size(pos) != 3) {
			snprintf(err, errlen, "%s takes a network and two "
			    "CIDR names", verb);
			goto fail;
		}
		json_object_set(req, "network", json_array_get(pos, 0));
		json_object_set(args, "cidr1", json_array_get(pos, 1));
		json_object_set(args, "cidr2", json_array_get(pos, 2));
	} else if (strcmp(verb, "status") == 0 || strcmp(verb, "new") == 0 ||
	    strcmp(verb, "init") == 0 || strcmp(verb, "import") == 0) {
		if (json_array_size(pos) != 0) {
			snprintf(err, errlen, "%s takes no network name%s",
			    verb, strcmp(verb, "status") ? " (use "
			    "--network-name)" : "");
			goto fail;
		}
	} else {
		if (json_array_size(pos) != 1) {
			snprintf(err, errlen, "%s takes one network name",
			    verb);
			goto fail;
		}
		json_object_set(req, "network", json_array_get(pos, 0));
	}
	json_object_set_new(req, "verb", json_string(verb));
	json_object_set_new(req, "args", args);
	json_decref(pos);
	return (req);
fail:
	json_decref(req);
	json_decref(args);
	json_decref(pos);
	return (NULL);
}
