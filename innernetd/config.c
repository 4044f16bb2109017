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
 * /etc/innernet.conf, YAML.  The file is read whole (1 MiB at most),
 * checked for aliases first (no billion laughs), loaded as a document and
 * walked against the schema; the first problem is reported as
 * "file:line: what is wrong" and nothing of the file is used.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "config.h"

struct cfg {
	yaml_document_t		*doc;
	const char		*name;
	char			*err;
	size_t			 errlen;
	struct innernet_conf	*conf;
};

static int
cfg_err(struct cfg *c, yaml_node_t *n, const char *fmt, ...)
	__attribute__((__format__ (printf, 3, 4)));

static int
cfg_err(struct cfg *c, yaml_node_t *n, const char *fmt, ...)
{
	char	msg[256];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n != NULL)
		snprintf(c->err, c->errlen, "%s:%zu: %s", c->name,
		    n->start_mark.line + 1, msg);
	else
		snprintf(c->err, c->errlen, "%s: %s", c->name, msg);
	return (-1);
}

void
config_defaults(struct in_conf_global *g)
{
	const char	*wg;

	memset(g, 0, sizeof(*g));
	strlcpy(g->user, INNERNET_USER, sizeof(g->user));
	strlcpy(g->wgd_user, INNERNET_WGD_USER, sizeof(g->wgd_user));
	strlcpy(g->state_dir, INNERNET_STATEDIR, sizeof(g->state_dir));
	strlcpy(g->socket_path, INNERNET_SOCKET, sizeof(g->socket_path));
	strlcpy(g->hosts_file, INNERNET_HOSTS, sizeof(g->hosts_file));
	/* As upstream: the environment names the userspace program. */
	if ((wg = getenv("WG_USERSPACE_IMPLEMENTATION")) == NULL ||
	    *wg == '\0' || strlen(wg) >= sizeof(g->wg_userspace))
		wg = "wireguard-go";
	strlcpy(g->wg_userspace, wg, sizeof(g->wg_userspace));
	g->backend = IN_BACKEND_AUTO;
	g->write_hosts = 1;
	g->watch = 1;
	g->fetch_interval = IN_FETCH_INTERVAL;
	g->mtu = IN_DEFAULT_MTU;
	g->max_connections = 1024;
	g->max_body = 1024 * 1024;
	g->timeout = 10;
	g->max_per_source = 32;
	g->header_timeout = 10;
	g->body_timeout = 30;
}

static const char *
scalar(yaml_node_t *n)
{
	return ((const char *)n->data.scalar.value);
}

/* "key:" with nothing after it: YAML's null, which takes the default. */
static int
is_null(yaml_node_t *n)
{
	return (n->type == YAML_SCALAR_NODE &&
	    n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    n->data.scalar.length == 0);
}

/* 0 with the value, 1 for null (leave the default), -1 on error. */
static int
get_scalar(struct cfg *c, yaml_node_t *n, const char *key, const char **s)
{
	if (n->type != YAML_SCALAR_NODE)
		return (cfg_err(c, n, "'%s' takes a single value", key));
	*s = scalar(n);
	return (is_null(n) ? 1 : 0);
}

static int
get_string(struct cfg *c, yaml_node_t *n, const char *key, char *buf,
    size_t len)
{
	const char	*s = NULL;
	int		 r;

	if ((r = get_scalar(c, n, key, &s)) != 0)
		return (r == 1 ? 0 : -1);
	if (strlen(s) != n->data.scalar.length)
		return (cfg_err(c, n, "'%s' contains a NUL byte", key));
	if (strlcpy(buf, s, len) >= len)
		return (cfg_err(c, n, "'%s' is too long (at most %zu "
		    "characters)", key, len - 1));
	return (0);
}

static int
get_path(struct cfg *c, yaml_node_t *n, const char *key, char *buf,
    size_t len)
{
	if (get_string(c, n, key, buf, len) == -1)
		return (-1);
	if (buf[0] != '/')
		return (cfg_err(c, n, "'%s' must be an absolute path", key));
	return (0);
}

static int
get_number(struct cfg *c, yaml_node_t *n, const char *key, long long min,
    long long max, uint32_t *out)
{
	const char	*s = NULL, *errstr;
	long long	 v;
	int		 r;

	if ((r = get_scalar(c, n, key, &s)) != 0)
		return (r == 1 ? 0 : -1);
	v = strtonum(s, min, max, &errstr);
	if (errstr != NULL)
		return (cfg_err(c, n, "'%s' must be a number from %lld to "
		    "%lld, not '%s'", key, min, max, s));
	*out = (uint32_t)v;
	return (0);
}

/* yes/no: 1 for yes, 2 for no, as struct fields store them. */
static int
get_bool(struct cfg *c, yaml_node_t *n, const char *key, uint8_t *out)
{
	const char	*s = NULL;
	static const char *yes[] = { "yes", "true", "on" };
	static const char *no[] = { "no", "false", "off" };
	size_t		 i;
	int		 r;

	if ((r = get_scalar(c, n, key, &s)) != 0)
		return (r == 1 ? 0 : -1);
	for (i = 0; i < 3; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return (0);
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 2;
			return (0);
		}
	}
	return (cfg_err(c, n, "'%s' must be yes or no, not '%s'", key, s));
}

static int
get_backend(struct cfg *c, yaml_node_t *n, const char *key, uint8_t *out)
{
	const char	*s = NULL;
	int		 r;

	if ((r = get_scalar(c, n, key, &s)) != 0)
		return (r == 1 ? 0 : -1);
	if (strcmp(s, "auto") == 0)
		*out = IN_BACKEND_AUTO;
	else if (strcmp(s, "kernel") == 0)
		*out = IN_BACKEND_KERNEL;
	else if (strcmp(s, "userspace") == 0)
		*out = IN_BACKEND_USERSPACE;
	else
		return (cfg_err(c, n, "'%s' must be auto, kernel or "
		    "userspace, not '%s'", key, s));
	return (0);
}

/*
 * Walk a mapping: every key must be a scalar, none twice.  fn handles one
 * key and returns -1 (error set), 0 (handled) or 1 (unknown key).
 */
static int
walk_map(struct cfg *c, yaml_node_t *map, const char *what,
    int (*fn)(struct cfg *, const char *, yaml_node_t *, void *), void *arg)
{
	yaml_node_pair_t	*p, *q;
	yaml_node_t		*k, *v, *k2;
	int			 r;

	if (map->type != YAML_MAPPING_NODE)
		return (cfg_err(c, map, "%s must be a mapping of keys to "
		    "values", what[0] != '\0' ? what : "the file"));
	for (p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		k = yaml_document_get_node(c->doc, p->key);
		v = yaml_document_get_node(c->doc, p->value);
		if (k == NULL || v == NULL)
			return (cfg_err(c, map, "malformed mapping"));
		if (k->type != YAML_SCALAR_NODE)
			return (cfg_err(c, k, "keys must be plain words"));
		for (q = map->data.mapping.pairs.start; q < p; q++) {
			k2 = yaml_document_get_node(c->doc, q->key);
			if (k2 != NULL && k2->type == YAML_SCALAR_NODE &&
			    strcmp(scalar(k2), scalar(k)) == 0)
				return (cfg_err(c, k, "duplicate key '%s'",
				    scalar(k)));
		}
		if ((r = fn(c, scalar(k), v, arg)) == -1)
			return (-1);
		if (r == 1)
			return (cfg_err(c, k, "unknown key '%s'%s%s", scalar(k),
			    what[0] != '\0' ? " in " : "", what));
	}
	return (0);
}

static int
api_key(struct cfg *c, const char *key, yaml_node_t *v, void *arg)
{
	struct in_conf_global	*g = &c->conf->global;

	if (strcmp(key, "max-connections") == 0)
		return (get_number(c, v, key, 1, 1000000,
		    &g->max_connections));
	if (strcmp(key, "max-body") == 0)
		return (get_number(c, v, key, 1024, 64 * 1024 * 1024,
		    &g->max_body));
	if (strcmp(key, "timeout") == 0)
		return (get_number(c, v, key, 1, 3600, &g->timeout));
	if (strcmp(key, "max-per-source") == 0)
		return (get_number(c, v, key, 1, 1000000,
		    &g->max_per_source));
	if (strcmp(key, "header-timeout") == 0)
		return (get_number(c, v, key, 1, 3600, &g->header_timeout));
	if (strcmp(key, "body-timeout") == 0)
		return (get_number(c, v, key, 1, 3600, &g->body_timeout));
	return (1);
}

static int
net_key(struct cfg *c, const char *key, yaml_node_t *v, void *arg)
{
	struct in_netopts	*o = arg;
	uint32_t		 n;

	if (strcmp(key, "listen-port") == 0) {
		if (get_number(c, v, key, 1, 65535, &n) == -1)
			return (-1);
		o->listen_port = n;
		return (0);
	}
	if (strcmp(key, "mtu") == 0)
		return (get_number(c, v, key, 576, 9000, &o->mtu));
	if (strcmp(key, "fetch-interval") == 0)
		return (get_number(c, v, key, 1, 86400, &o->fetch_interval));
	if (strcmp(key, "backend") == 0)
		return (get_backend(c, v, key, &o->backend));
	if (strcmp(key, "write-hosts") == 0)
		return (get_bool(c, v, key, &o->write_hosts));
	if (strcmp(key, "host-suffix") == 0) {
		if (is_null(v))
			return (0);
		if (get_string(c, v, key, o->host_suffix,
		    sizeof(o->host_suffix)) == -1)
			return (-1);
		o->host_suffix_set = 1;
		return (0);
	}
	return (1);
}

static int
networks_key(struct cfg *c, const char *key, yaml_node_t *v, void *arg)
{
	struct innernet_conf	*conf = c->conf;
	struct in_netopts	*o;
	char			 what[64];

	if (!in_ifname_ok(key))
		return (cfg_err(c, v, "'%s' is not a valid network name "
		    "(lowercase letters, digits and inner hyphens, at most "
		    "15 characters)", key));
	if (conf->nnets >= IN_MAXNETWORKS)
		return (cfg_err(c, v, "more than %d networks",
		    IN_MAXNETWORKS));
	o = reallocarray(conf->nets, conf->nnets + 1, sizeof(*o));
	if (o == NULL)
		return (cfg_err(c, v, "out of memory"));
	conf->nets = o;
	o = &conf->nets[conf->nnets++];
	memset(o, 0, sizeof(*o));
	strlcpy(o->name, key, sizeof(o->name));
	if (v->type == YAML_SCALAR_NODE && v->data.scalar.length == 0)
		return (0);		/* "corp:" with nothing under it */
	snprintf(what, sizeof(what), "network '%s'", key);
	return (walk_map(c, v, what, net_key, o));
}

/*
 * allowed-ranges: where innernet's networks may live.  wgd refuses any
 * address, route or allowed IP outside them, so a taken engine cannot
 * route the host's other traffic; /0 is never a range.
 */
static int
get_ranges(struct cfg *c, yaml_node_t *v, const char *key)
{
	struct innernet_conf	*conf = c->conf;
	struct in_prefix	*r;
	yaml_node_item_t	*it;
	yaml_node_t		*n;
	const char		*s = NULL;
	struct in_ip		 host;

	if (v->type != YAML_SEQUENCE_NODE)
		return (cfg_err(c, v, "'%s' must be a list of networks like "
		    "10.0.0.0/8", key));
	conf->nranges = 0;
	for (it = v->data.sequence.items.start;
	    it < v->data.sequence.items.top; it++) {
		if ((n = yaml_document_get_node(c->doc, *it)) == NULL)
			return (cfg_err(c, v, "malformed list"));
		if (get_scalar(c, n, key, &s) == -1)
			return (-1);
		if (conf->nranges >= IN_MAXRANGES)
			return (cfg_err(c, n, "'%s' lists more than %d "
			    "networks", key, IN_MAXRANGES));
		r = &conf->ranges[conf->nranges];
		if (in_prefix_parse_host(s, r, &host) == -1 ||
		    in_ip_cmp(&host, &r->ip) != 0)
			return (cfg_err(c, n, "'%s': '%s' is not a network "
			    "like 10.0.0.0/8", key, s));
		if (r->len == 0)
			return (cfg_err(c, n, "'%s': %s would hand innernet "
			    "every address", key, s));
		conf->nranges++;
	}
	if (conf->nranges == 0)
		return (cfg_err(c, v, "'%s' must list at least one network",
		    key));
	return (0);
}

static int
get_user(struct cfg *c, yaml_node_t *v, const char *key, char *user,
    size_t len)
{
	size_t	i;

	if (get_string(c, v, key, user, len) == -1)
		return (-1);
	for (i = 0; user[i] != '\0'; i++)
		if (!((user[i] >= 'a' && user[i] <= 'z') ||
		    (user[i] >= '0' && user[i] <= '9') ||
		    user[i] == '_' || user[i] == '-'))
			break;
	if (i == 0 || user[i] != '\0' || user[0] == '-')
		return (cfg_err(c, v, "'%s' is not a valid user name", user));
	return (0);
}

static int
top_key(struct cfg *c, const char *key, yaml_node_t *v, void *arg)
{
	struct in_conf_global	*g = &c->conf->global;

	if (strcmp(key, "user") == 0)
		return (get_user(c, v, key, g->user, sizeof(g->user)));
	if (strcmp(key, "wgd-user") == 0)
		return (get_user(c, v, key, g->wgd_user, sizeof(g->wgd_user)));
	if (strcmp(key, "state-dir") == 0)
		return (get_path(c, v, key, g->state_dir,
		    sizeof(g->state_dir)));
	if (strcmp(key, "control-socket") == 0) {
		if (get_path(c, v, key, g->socket_path,
		    sizeof(g->socket_path)) == -1)
			return (-1);
		/* made as "<path>.new" first, see control_listen() */
		if (strlen(g->socket_path) + strlen(".new") >= 108)
			return (cfg_err(c, v, "'%s' is too long for a UNIX "
			    "socket", key));
		return (0);
	}
	if (strcmp(key, "hosts-file") == 0)
		return (get_path(c, v, key, g->hosts_file,
		    sizeof(g->hosts_file)));
	if (strcmp(key, "wireguard-userspace") == 0)
		return (get_string(c, v, key, g->wg_userspace,
		    sizeof(g->wg_userspace)));
	if (strcmp(key, "write-hosts") == 0)
		return (get_bool(c, v, key, &g->write_hosts));
	if (strcmp(key, "backend") == 0)
		return (get_backend(c, v, key, &g->backend));
	if (strcmp(key, "mtu") == 0)
		return (get_number(c, v, key, 576, 9000, &g->mtu));
	if (strcmp(key, "fetch-interval") == 0)
		return (get_number(c, v, key, 1, 86400, &g->fetch_interval));
	if (strcmp(key, "watch") == 0)
		return (get_bool(c, v, key, &g->watch));
	if (strcmp(key, "api") == 0)
		return (walk_map(c, v, "api", api_key, NULL));
	if (strcmp(key, "allowed-ranges") == 0)
		return (get_ranges(c, v, key));
	if (strcmp(key, "networks") == 0) {
		if (v->type == YAML_SCALAR_NODE && v->data.scalar.length == 0)
			return (0);
		return (walk_map(c, v, "networks", networks_key, NULL));
	}
	return (1);
}

/* Refuse anchors and aliases before anything is expanded. */
static int
check_events(struct cfg *c, const char *buf, size_t len)
{
	yaml_parser_t	 parser;
	yaml_event_t	 ev;
	int		 done = 0, rc = 0, docs = 0;

	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			snprintf(c->err, c->errlen, "%s:%zu: %s", c->name,
			    parser.problem_mark.line + 1, parser.problem != NULL ?
			    parser.problem : "syntax error");
			rc = -1;
			break;
		}
		switch (ev.type) {
		case YAML_ALIAS_EVENT:
			rc = -1;
			break;
		case YAML_SCALAR_EVENT:
			rc = ev.data.scalar.anchor != NULL ? -1 : 0;
			break;
		case YAML_MAPPING_START_EVENT:
			rc = ev.data.mapping_start.anchor != NULL ? -1 : 0;
			break;
		case YAML_SEQUENCE_START_EVENT:
			rc = ev.data.sequence_start.anchor != NULL ? -1 : 0;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				snprintf(c->err, c->errlen, "%s:%zu: only one "
				    "document is allowed", c->name,
				    ev.start_mark.line + 1);
				yaml_event_delete(&ev);
				yaml_parser_delete(&parser);
				return (-1);
			}
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		default:
			break;
		}
		if (rc == -1) {
			snprintf(c->err, c->errlen, "%s:%zu: anchors and "
			    "aliases are not allowed", c->name,
			    ev.start_mark.line + 1);
			yaml_event_delete(&ev);
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return (rc);
}

int
config_parse_buf(const char *buf, size_t len, const char *name,
    struct innernet_conf *conf, char *err, size_t errlen)
{
	yaml_parser_t	 parser;
	yaml_document_t	 doc;
	yaml_node_t	*root;
	struct cfg	 c;
	int		 rc;

	memset(conf, 0, sizeof(*conf));
	config_defaults(&conf->global);
	memset(&c, 0, sizeof(c));
	c.name = name;
	c.err = err;
	c.errlen = errlen;
	c.conf = conf;

	if (len > CONFIG_MAXSIZE)
		return (cfg_err(&c, NULL, "file larger than %d bytes",
		    CONFIG_MAXSIZE));
	if (memchr(buf, '\0', len) != NULL)
		return (cfg_err(&c, NULL, "file contains a NUL byte"));
	if (check_events(&c, buf, len) == -1)
		return (-1);

	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "%s:%zu: %s", name,
		    parser.problem_mark.line + 1, parser.problem != NULL ?
		    parser.problem : "syntax error");
		yaml_parser_delete(&parser);
		return (-1);
	}
	c.doc = &doc;
	rc = 0;
	if ((root = yaml_document_get_root_node(&doc)) == NULL)
		rc = 0;		/* empty file: defaults */
	else if (root->type == YAML_SCALAR_NODE && root->data.scalar.length == 0)
		rc = 0;
	else
		rc = walk_map(&c, root, "", top_key, NULL);
	/* wgd must not share a user with the engine, which drives it */
	if (rc == 0 && strcmp(conf->global.user, conf->global.wgd_user) == 0)
		rc = cfg_err(&c, NULL, "'user' and 'wgd-user' must differ");
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (rc == -1)
		config_free(conf);
	else if (conf->nranges == 0)
		in_ranges_default(conf->ranges, &conf->nranges);
	return (rc);
}

int
config_parse(const char *path, struct innernet_conf *conf, char *err,
    size_t errlen)
{
	struct stat	 st;
	char		*buf;
	ssize_t		 n;
	size_t		 off = 0;
	int		 fd, rc;

	memset(conf, 0, sizeof(*conf));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return (-1);
	}
	if (st.st_size > CONFIG_MAXSIZE) {
		snprintf(err, errlen, "%s: file larger than %d bytes", path,
		    CONFIG_MAXSIZE);
		close(fd);
		return (-1);
	}
	if ((buf = malloc(st.st_size + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		close(fd);
		return (-1);
	}
	while (off < (size_t)st.st_size &&
	    (n = read(fd, buf + off, st.st_size - off)) > 0)
		off += n;
	close(fd);
	rc = config_parse_buf(buf, off, path, conf, err, errlen);
	free(buf);
	return (rc);
}

void
config_free(struct innernet_conf *conf)
{
	free(conf->nets);
	conf->nets = NULL;
	conf->nnets = 0;
}

static const char *
backend_name(uint8_t b)
{
	switch (b) {
	case IN_BACKEND_KERNEL:
		return ("kernel");
	case IN_BACKEND_USERSPACE:
		return ("userspace");
	default:
		return ("auto");
	}
}

void
config_print(FILE *f, const struct innernet_conf *conf)
{
	const struct in_conf_global	*g = &conf->global;
	const struct in_netopts		*o;
	char				 r[IN_CIDRSTRSZ];
	size_t				 i;

	fprintf(f, "user: %s\nwgd-user: %s\nstate-dir: %s\n"
	    "control-socket: %s\nhosts-file: %s\nwrite-hosts: %s\nbackend: %s\n"
	    "wireguard-userspace: %s\nmtu: %u\nfetch-interval: %u\n"
	    "watch: %s\napi:\n  max-connections: %u\n  max-per-source: %u\n"
	    "  max-body: %u\n  timeout: %u\n  header-timeout: %u\n"
	    "  body-timeout: %u\n",
	    g->user, g->wgd_user, g->state_dir, g->socket_path, g->hosts_file,
	    g->write_hosts == 2 ? "no" : "yes", backend_name(g->backend),
	    g->wg_userspace, g->mtu, g->fetch_interval,
	    g->watch == 2 ? "no" : "yes", g->max_connections,
	    g->max_per_source, g->max_body, g->timeout, g->header_timeout,
	    g->body_timeout);
	fprintf(f, "allowed-ranges:\n");
	for (i = 0; i < conf->nranges; i++) {
		in_prefix_str(&conf->ranges[i], r, sizeof(r));
		fprintf(f, "  - %s\n", r);
	}
	if (conf->nnets == 0)
		return;
	fprintf(f, "networks:\n");
	for (i = 0; i < conf->nnets; i++) {
		o = &conf->nets[i];
		fprintf(f, "  %s:\n", o->name);
		if (o->listen_port)
			fprintf(f, "    listen-port: %u\n", o->listen_port);
		if (o->mtu)
			fprintf(f, "    mtu: %u\n", o->mtu);
		if (o->fetch_interval)
			fprintf(f, "    fetch-interval: %u\n",
			    o->fetch_interval);
		if (o->backend)
			fprintf(f, "    backend: %s\n",
			    backend_name(o->backend));
		if (o->write_hosts)
			fprintf(f, "    write-hosts: %s\n",
			    o->write_hosts == 2 ? "no" : "yes");
		if (o->host_suffix_set)
			fprintf(f, "    host-suffix: \"%s\"\n",
			    o->host_suffix);
	}
}
