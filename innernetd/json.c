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
 * The upstream JSON shapes (serde's encoding of the shared types), in
 * both directions.  Parsing is as strict as serde: a required field that
 * is missing or of the wrong type is an error, an Option may be absent or
 * null, unknown fields are ignored.  Values are then checked with the
 * same rules the rest of the daemon applies.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_local.h"

/*
 * jansson's strings may hold a private key (an invitation's): every
 * block it frees is zeroed first.  Its free hook is given no size; the
 * allocator knows it.
 */
static void
json_zfree(void *p)
{
	if (p == NULL)
		return;
	explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

static void __attribute__((__constructor__))
json_zero_on_free(void)
{
	json_set_alloc_funcs(malloc, json_zfree);
}

#define NANOS_PER_SEC	1000000000LL

static int
fail(char *err, size_t errsz, const char *fmt, ...)
    __attribute__((__format__ (printf, 3, 4)));

static int
fail(char *err, size_t errsz, const char *fmt, ...)
{
	va_list	ap;

	if (err != NULL && errsz > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errsz, fmt, ap);
		va_end(ap);
	}
	return (-1);
}

static json_t *
string_or_null(const char *s)
{
	return (s[0] == '\0' ? json_null() : json_string(s));
}

/* Add to an object, failing on allocation errors. */
static int
put(json_t *o, const char *key, json_t *v)
{
	if (v == NULL)
		return (-1);
	return (json_object_set_new(o, key, v));
}

json_t *
json_from_candidates(const char *cands, size_t len)
{
	json_t		*a;
	const char	*s, *end = cands + len;
	size_t		 l;

	if ((a = json_array()) == NULL)
		return (NULL);
	for (s = cands; s < end; s += l + 1) {
		l = strnlen(s, end - s);
		if (s + l == end || json_array_append_new(a,
		    json_string(s)) == -1) {
			json_decref(a);
			return (NULL);
		}
	}
	return (a);
}

json_t *
json_from_peer(const struct in_peer *p, const char *cands, size_t len)
{
	json_t	*o, *t;
	char	 ip[IN_ADDRSTRSZ];

	if (in_ip_str(&p->ip, ip, sizeof(ip)) == -1)
		return (NULL);
	if ((o = json_object()) == NULL)
		return (NULL);
	if (p->invite_expires > 0) {
		if ((t = json_object()) == NULL ||
		    put(t, "secs_since_epoch",
		    json_integer(p->invite_expires)) == -1 ||
		    put(t, "nanos_since_epoch", json_integer(0)) == -1) {
			json_decref(t);
			json_decref(o);
			return (NULL);
		}
	} else
		t = json_null();
	if (put(o, "id", json_integer(p->id)) == -1 ||
	    put(o, "name", json_string(p->name)) == -1 ||
	    put(o, "ip", json_string(ip)) == -1 ||
	    put(o, "cidr_id", json_integer(p->cidr_id)) == -1 ||
	    put(o, "public_key", json_string(p->public_key)) == -1 ||
	    put(o, "endpoint", string_or_null(p->endpoint)) == -1 ||
	    put(o, "persistent_keepalive_interval", p->keepalive < 0 ?
	    json_null() : json_integer(p->keepalive)) == -1 ||
	    put(o, "is_admin", json_boolean(p->is_admin)) == -1 ||
	    put(o, "is_disabled", json_boolean(p->is_disabled)) == -1 ||
	    put(o, "is_redeemed", json_boolean(p->is_redeemed)) == -1 ||
	    put(o, "invite_expires", t) == -1 ||
	    put(o, "candidates", json_from_candidates(cands, len)) == -1) {
		json_decref(o);
		return (NULL);
	}
	return (o);
}

/* A peer with its observed endpoint among its candidates. */
json_t *
state_peer_json(const struct ns_peer *np)
{
	struct in_peer	p;
	char		cands[NS_MERGED_CANDSZ];
	size_t		len;

	len = ns_peer_merged(np, &p, cands, sizeof(cands));
	return (json_from_peer(&p, cands, len));
}

json_t *
json_from_cidr(const struct in_cidr *c)
{
	json_t	*o;
	char	 cidr[IN_CIDRSTRSZ];

	if (in_prefix_str(&c->cidr, cidr, sizeof(cidr)) == -1)
		return (NULL);
	if ((o = json_object()) == NULL)
		return (NULL);
	if (put(o, "id", json_integer(c->id)) == -1 ||
	    put(o, "name", json_string(c->name)) == -1 ||
	    put(o, "cidr", json_string(cidr)) == -1 ||
	    put(o, "parent", c->parent == 0 ? json_null() :
	    json_integer(c->parent)) == -1) {
		json_decref(o);
		return (NULL);
	}
	return (o);
}

json_t *
json_from_assoc(const struct in_assoc *a)
{
	json_t	*o;

	if ((o = json_object()) == NULL)
		return (NULL);
	if (put(o, "id", json_integer(a->id)) == -1 ||
	    put(o, "cidr_id_1", json_integer(a->cidr_id_1)) == -1 ||
	    put(o, "cidr_id_2", json_integer(a->cidr_id_2)) == -1) {
		json_decref(o);
		return (NULL);
	}
	return (o);
}

json_t *
json_from_endpoint_contents(const char *endpoint)
{
	if (endpoint == NULL || endpoint[0] == '\0')
		return (json_pack("{s:s}", "option", "Unset"));
	return (json_pack("{s:s,s:s}", "option", "Set", "content", endpoint));
}

/* Field accessors: 0 ok, -1 with a message. */

static int
get_string(json_t *o, const char *key, char *buf, size_t len, char *err,
    size_t errsz)
{
	json_t	*v;

	if ((v = json_object_get(o, key)) == NULL)
		return (fail(err, errsz, "missing field \"%s\"", key));
	if (!json_is_string(v))
		return (fail(err, errsz, "\"%s\" must be a string", key));
	if (json_string_length(v) >= len ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return (fail(err, errsz, "\"%s\" is too long or has a NUL",
		    key));
	strlcpy(buf, json_string_value(v), len);
	return (0);
}

/* An Option<String>: absent or null gives "". */
static int
get_opt_string(json_t *o, const char *key, char *buf, size_t len,
    char *err, size_t errsz)
{
	json_t	*v;

	v = json_object_get(o, key);
	if (v == NULL || json_is_null(v)) {
		buf[0] = '\0';
		return (0);
	}
	return (get_string(o, key, buf, len, err, errsz));
}

static int
get_int(json_t *o, const char *key, int64_t *out, char *err, size_t errsz)
{
	json_t	*v;

	if ((v = json_object_get(o, key)) == NULL)
		return (fail(err, errsz, "missing field \"%s\"", key));
	if (!json_is_integer(v))
		return (fail(err, errsz, "\"%s\" must be an integer", key));
	*out = json_integer_value(v);
	return (0);
}

static int
get_bool(json_t *o, const char *key, uint8_t *out, char *err, size_t errsz)
{
	json_t	*v;

	if ((v = json_object_get(o, key)) == NULL)
		return (fail(err, errsz, "missing field \"%s\"", key));
	if (!json_is_boolean(v))
		return (fail(err, errsz, "\"%s\" must be true or false", key));
	*out = json_is_true(v) ? 1 : 0;
	return (0);
}

/*
 * A list of endpoints into NUL-separated storage.  -1: not a list of
 * valid endpoints; -2: valid but more than IN_MAXCANDIDATES.
 */
static int
candidates_parse(json_t *a, char *buf, size_t bufsz, struct in_peer *p,
    char *err, size_t errsz)
{
	json_t		*v;
	const char	*s;
	size_t		 i, len = 0, l;

	if (!json_is_array(a))
		return (fail(err, errsz, "candidates must be a list"));
	for (i = 0; i < json_array_size(a); i++) {
		v = json_array_get(a, i);
		if (!json_is_string(v))
			return (fail(err, errsz, "candidate %zu is not a "
			    "string", i));
		s = json_string_value(v);
		l = json_string_length(v);
		if (strlen(s) != l || !in_endpoint_ok(s))
			return (fail(err, errsz, "candidate %zu is not a "
			    "valid host:port", i));
	}
	if (json_array_size(a) > IN_MAXCANDIDATES) {
		fail(err, errsz, "at most %d candidates", IN_MAXCANDIDATES);
		return (-2);
	}
	for (i = 0; i < json_array_size(a); i++) {
		s = json_string_value(json_array_get(a, i));
		l = strlen(s) + 1;
		if (len + l > bufsz)
			return (fail(err, errsz, "candidates too long"));
		memcpy(buf + len, s, l);
		len += l;
	}
	p->ncandidates = (uint8_t)json_array_size(a);
	p->candidates_len = (uint16_t)len;
	return (0);
}

int
json_to_candidates(json_t *a, char *buf, size_t bufsz, struct in_peer *p,
    char *err, size_t errsz)
{
	return (candidates_parse(a, buf, bufsz, p, err, errsz));
}

/* serde's SystemTime: {"secs_since_epoch": u64, "nanos_since_epoch": u32} */
static int
get_systime(json_t *o, const char *key, int64_t *out, char *err,
    size_t errsz)
{
	json_t		*v, *secs, *nanos;
	json_int_t	 s, n;

	*out = 0;
	v = json_object_get(o, key);
	if (v == NULL || json_is_null(v))
		return (0);
	if (!json_is_object(v))
		return (fail(err, errsz, "\"%s\" must be a time object", key));
	secs = json_object_get(v, "secs_since_epoch");
	nanos = json_object_get(v, "nanos_since_epoch");
	if (!json_is_integer(secs) || !json_is_integer(nanos))
		return (fail(err, errsz, "\"%s\" needs integer "
		    "secs_since_epoch and nanos_since_epoch", key));
	s = json_integer_value(secs);
	n = json_integer_value(nanos);
	if (s < 0 || n < 0 || n >= NANOS_PER_SEC)
		return (fail(err, errsz, "\"%s\" out of range", key));
	/* Stored in whole seconds, as upstream's database does. */
	*out = s;
	if (*out == 0 && n > 0)
		*out = 1;
	return (0);
}

/*
 * PeerContents.  Everything is checked for shape and syntax here; what
 * depends on other rows (CIDR exists, IP inside it, names unique) is
 * checked against the mirror by the caller and again by dbd.
 */
int
json_to_peer_contents(json_t *o, struct in_peer *p, char *cands,
    size_t candsz, char *err, size_t errsz)
{
	char		 ip[IN_ADDRSTRSZ];
	int64_t		 v;
	json_t		*ka, *ca;
	int		 rc;

	memset(p, 0, sizeof(*p));
	if (!json_is_object(o))
		return (fail(err, errsz, "peer must be an object"));
	if (get_string(o, "name", p->name, sizeof(p->name), err, errsz) == -1)
		return (-1);
	if (!in_hostname_ok(p->name))
		return (fail(err, errsz, "invalid peer name \"%s\": lowercase "
		    "letters, digits and inner hyphens, at most 63", p->name));
	if (get_string(o, "ip", ip, sizeof(ip), err, errsz) == -1)
		return (-1);
	if (in_ip_parse(ip, &p->ip) == -1)
		return (fail(err, errsz, "invalid ip \"%s\"", ip));
	if (get_int(o, "cidr_id", &p->cidr_id, err, errsz) == -1)
		return (-1);
	if (get_string(o, "public_key", p->public_key, sizeof(p->public_key),
	    err, errsz) == -1)
		return (fail(err, errsz, "public_key must be a base64 "
		    "WireGuard key"));
	if (!in_key_ok(p->public_key))
		return (fail(err, errsz, "public_key must be a base64 "
		    "WireGuard key"));
	if (get_opt_string(o, "endpoint", p->endpoint, sizeof(p->endpoint),
	    err, errsz) == -1)
		return (-1);
	if (p->endpoint[0] != '\0' && !in_endpoint_ok(p->endpoint))
		return (fail(err, errsz, "invalid endpoint \"%s\"",
		    p->endpoint));
	ka = json_object_get(o, "persistent_keepalive_interval");
	if (ka == NULL || json_is_null(ka))
		p->keepalive = -1;
	else if (!json_is_integer(ka) || json_integer_value(ka) < 0 ||
	    json_integer_value(ka) > 65535)
		return (fail(err, errsz, "persistent_keepalive_interval must "
		    "be 0..65535 or null"));
	else
		p->keepalive = (int32_t)json_integer_value(ka);
	if (get_bool(o, "is_admin", &p->is_admin, err, errsz) == -1 ||
	    get_bool(o, "is_disabled", &p->is_disabled, err, errsz) == -1 ||
	    get_bool(o, "is_redeemed", &p->is_redeemed, err, errsz) == -1)
		return (-1);
	if (get_systime(o, "invite_expires", &v, err, errsz) == -1)
		return (-1);
	p->invite_expires = v;
	if ((ca = json_object_get(o, "candidates")) != NULL) {
		if ((rc = candidates_parse(ca, cands, candsz, p, err,
		    errsz)) != 0)
			return (-1);
	}
	return (0);
}

int
json_to_cidr_contents(json_t *o, struct in_cidr *c, char *err,
    size_t errsz)
{
	char		 cidr[IN_CIDRSTRSZ];
	json_t		*v;
	size_t		 i;

	memset(c, 0, sizeof(*c));
	if (!json_is_object(o))
		return (fail(err, errsz, "cidr must be an object"));
	if (get_string(o, "name", c->name, sizeof(c->name), err, errsz) == -1)
		return (-1);
	if (c->name[0] == '\0')
		return (fail(err, errsz, "empty CIDR name"));
	for (i = 0; c->name[i] != '\0'; i++)
		if ((unsigned char)c->name[i] < 0x20 || c->name[i] == 0x7f)
			return (fail(err, errsz, "control character in CIDR "
			    "name"));
	if (get_string(o, "cidr", cidr, sizeof(cidr), err, errsz) == -1)
		return (-1);
	if (in_prefix_parse(cidr, &c->cidr) == -1)
		return (fail(err, errsz, "invalid cidr \"%s\"", cidr));
	v = json_object_get(o, "parent");
	if (v == NULL || json_is_null(v))
		c->parent = 0;
	else if (!json_is_integer(v))
		return (fail(err, errsz, "\"parent\" must be an integer or "
		    "null"));
	else if ((c->parent = json_integer_value(v)) <= 0)
		return (fail(err, errsz, "invalid parent id"));
	return (0);
}

int
json_to_assoc_contents(json_t *o, struct in_assoc *a, char *err,
    size_t errsz)
{
	memset(a, 0, sizeof(*a));
	if (!json_is_object(o))
		return (fail(err, errsz, "association must be an object"));
	if (get_int(o, "cidr_id_1", &a->cidr_id_1, err, errsz) == -1 ||
	    get_int(o, "cidr_id_2", &a->cidr_id_2, err, errsz) == -1)
		return (-1);
	return (0);
}

/* {"option":"Set","content":"host:port"} or {"option":"Unset"}. */
int
json_to_endpoint_contents(json_t *o, char *endpoint, size_t len, char *err,
    size_t errsz)
{
	char	 option[8];

	if (!json_is_object(o))
		return (fail(err, errsz, "endpoint contents must be an "
		    "object"));
	if (get_string(o, "option", option, sizeof(option), err, errsz) == -1)
		return (-1);
	if (strcmp(option, "Unset") == 0) {
		endpoint[0] = '\0';
		return (0);
	}
	if (strcmp(option, "Set") != 0)
		return (fail(err, errsz, "option must be Set or Unset"));
	if (get_string(o, "content", endpoint, len, err, errsz) == -1)
		return (-1);
	if (!in_endpoint_ok(endpoint))
		return (fail(err, errsz, "invalid endpoint \"%s\"", endpoint));
	return (0);
}

int
json_to_redeem_contents(json_t *o, char *key, size_t len, char *err,
    size_t errsz)
{
	if (!json_is_object(o))
		return (fail(err, errsz, "redeem contents must be an object"));
	if (get_string(o, "public_key", key, len, err, errsz) == -1)
		return (-1);
	if (!in_key_ok(key))
		return (fail(err, errsz, "public_key must be a base64 "
		    "WireGuard key"));
	return (0);
}

/*
 * A state as a server sends it (GET /v1/user/state), or the admin view
 * (peers, CIDRs and, if given, associations): every row is checked as
 * the server would check it, ids included.  Untrusted: from the network.
 */
#define STATE_MAXPEERS	200000

static int
peer_from_json(json_t *o, struct in_peer *p, char *cands, size_t candsz,
    char *err, size_t errsz)
{
	json_t		*copy, *ca, *first, *id;
	size_t		 i;
	int		 rc;

	/* the server may append the observed endpoint: keep the first 10 */
	ca = json_object_get(o, "candidates");
	if (json_is_array(ca) && json_array_size(ca) > IN_MAXCANDIDATES) {
		if ((copy = json_copy(o)) == NULL ||
		    (first = json_array()) == NULL) {
			json_decref(copy);
			return (-1);
		}
		for (i = 0; i < IN_MAXCANDIDATES; i++)
			json_array_append(first, json_array_get(ca, i));
		json_object_set_new(copy, "candidates", first);
		rc = json_to_peer_contents(copy, p, cands, candsz, err,
		    errsz);
		json_decref(copy);
	} else
		rc = json_to_peer_contents(o, p, cands, candsz, err, errsz);
	if (rc == -1)
		return (-1);
	id = json_object_get(o, "id");
	if (!json_is_integer(id) || json_integer_value(id) <= 0) {
		snprintf(err, errsz, "peer %s without a valid id", p->name);
		return (-1);
	}
	p->id = json_integer_value(id);
	return (0);
}

static int
cidr_from_json(json_t *o, struct in_cidr *c, char *err, size_t errsz)
{
	json_t	*id;

	if (json_to_cidr_contents(o, c, err, errsz) == -1)
		return (-1);
	id = json_object_get(o, "id");
	if (!json_is_integer(id) || json_integer_value(id) <= 0) {
		snprintf(err, errsz, "CIDR %s without a valid id", c->name);
		return (-1);
	}
	c->id = json_integer_value(id);
	return (0);
}

/*
 * Rows go into the netstate in id order, where each is an append: in
 * any other order every row would move the ones after it.  Servers list
 * by id, so this is nearly always the array's own order; otherwise it
 * is sorted, rows of equal id kept in their order so the last one wins
 * as before.  NULL (with *errp 0) means the array's order.
 */
struct load_order {
	int64_t		 id;
	size_t		 i;
};

static int
load_order_cmp(const void *a, const void *b)
{
	const struct load_order	*x = a, *y = b;

	if (x->id != y->id)
		return (x->id < y->id ? -1 : 1);
	return (x->i < y->i ? -1 : x->i > y->i);
}

static int64_t
row_id(json_t *o)
{
	json_t	*id = json_object_get(o, "id");

	/* a row without one fails when it is read; its place is moot */
	return (json_is_integer(id) ? json_integer_value(id) : 0);
}

static struct load_order *
load_order(json_t *rows, int *errp)
{
	struct load_order	*order;
	json_t			*o;
	size_t			 i, n = json_array_size(rows);
	int64_t			 id, last = INT64_MIN;
	int			 sorted = 1;

	*errp = 0;
	json_array_foreach(rows, i, o) {
		if ((id = row_id(o)) < last) {
			sorted = 0;
			break;
		}
		last = id;
	}
	if (sorted)
		return (NULL);
	if ((order = calloc(n, sizeof(*order))) == NULL) {
		*errp = 1;
		return (NULL);
	}
	json_array_foreach(rows, i, o) {
		order[i].id = row_id(o);
		order[i].i = i;
	}
	qsort(order, n, sizeof(*order), load_order_cmp);
	return (order);
}

int
json_to_state(json_t *j, struct netstate *ns, json_t *assocs, char *err,
    size_t errsz)
{
	json_t			*peers, *cidrs, *o;
	struct load_order	*order = NULL;
	struct in_peer		 p;
	struct in_cidr		 c;
	struct in_assoc		 a;
	char			 cands[IN_CANDIDATES_MAXLEN], e[IN_ERRSZ];
	size_t			 i, k;
	int			 oom;

	e[0] = '\0';
	peers = json_object_get(j, "peers");
	cidrs = json_object_get(j, "cidrs");
	if (!json_is_array(peers) || !json_is_array(cidrs)) {
		snprintf(err, errsz, "the state has no peers and cidrs arrays");
		return (-1);
	}
	if (json_array_size(peers) > STATE_MAXPEERS) {
		snprintf(err, errsz, "the state has more than %d peers",
		    STATE_MAXPEERS);
		return (-1);
	}
	if ((order = load_order(peers, &oom)) == NULL && oom)
		goto oom;
	for (k = 0; k < json_array_size(peers); k++) {
		i = order != NULL ? order[k].i : k;
		o = json_array_get(peers, i);
		if (peer_from_json(o, &p, cands, sizeof(cands), e,
		    sizeof(e)) == -1) {
			snprintf(err, errsz, "peer %zu of the state: %s", i, e);
			goto fail;
		}
		if (ns_peer_upsert(ns, &p, cands, p.candidates_len) == -1)
			goto oom;
	}
	free(order);
	if ((order = load_order(cidrs, &oom)) == NULL && oom)
		goto oom;
	for (k = 0; k < json_array_size(cidrs); k++) {
		i = order != NULL ? order[k].i : k;
		o = json_array_get(cidrs, i);
		if (cidr_from_json(o, &c, e, sizeof(e)) == -1) {
			snprintf(err, errsz, "CIDR %zu of the state: %s", i, e);
			goto fail;
		}
		if (ns_cidr_upsert(ns, &c) == -1)
			goto oom;
	}
	free(order);
	order = NULL;
	if (!json_is_array(assocs))
		return (0);
	if ((order = load_order(assocs, &oom)) == NULL && oom)
		goto oom;
	for (k = 0; k < json_array_size(assocs); k++) {
		i = order != NULL ? order[k].i : k;
		o = json_array_get(assocs, i);
		if (json_to_assoc_contents(o, &a, e, sizeof(e)) == -1 ||
		    !json_is_integer(json_object_get(o, "id"))) {
			snprintf(err, errsz, "association %zu: %s", i, e);
			goto fail;
		}
		a.id = json_integer_value(json_object_get(o, "id"));
		if (ns_assoc_upsert(ns, &a) == -1)
			goto oom;
	}
	free(order);
	return (0);
 oom:
	snprintf(err, errsz, "out of memory");
 fail:
	free(order);
	return (-1);
}
