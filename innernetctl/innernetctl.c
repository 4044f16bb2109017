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
 * innernetctl: the control client.  It turns the command line into one
 * JSON request, sends it to innernetd over the control socket and prints
 * the answer, as tables or (-j) as JSON.  Private keys of new peers are
 * made here and go only into the invitation file.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <poll.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "imsg.h"
#include "innernetctl.h"

/* Longer than the slowest verb, install: redeem attempts, then a fetch. */
#define CTL_TIMEOUT	180

static __attribute__((__noreturn__)) void
usage(const char *verb)
{
	usage_print(stderr, verb);
	exit(EXIT_USAGE);
}

/* An invitation file claimed by add-peer and not filled yet. */
static const char	*reserved;

static __attribute__((__noreturn__)) void
die(int code, const char *fmt, ...)
{
	va_list	ap;

	if (reserved != NULL)
		unlink(reserved);

	fprintf(stderr, "innernetctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(code);
}

/* -1 with errno set when innernetd cannot be reached. */
static int
ctl_try_connect(const char *path)
{
	struct sockaddr_un	sun;
	int			fd, saved;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return (-1);
	}
	return (fd);
}

static int
ctl_connect(const char *path)
{
	int	fd;

	if ((fd = ctl_try_connect(path)) == -1)
		die(EXIT_CONNECT, "cannot reach innernetd at %s: %s (is it "
		    "running? systemctl start innernetd)", path,
		    strerror(errno));
	return (fd);
}

/* Send one document, read one back. */
static json_t *
ctl_exchange(int fd, json_t *req)
{
	struct imsgbuf	 ibuf;
	struct imsg	 imsg;
	struct pollfd	 pfd;
	char		*s, *doc = NULL, *p;
	size_t		 len, off, chunk, dlen, dsz = 0;
	ssize_t		 n;
	json_t		*ans;
	json_error_t	 jerr;

	imsg_init(&ibuf, fd);
	if ((s = json_dumps(req, JSON_COMPACT)) == NULL)
		die(EXIT_USAGE, "out of memory");
	len = strlen(s);
	for (off = 0; off < len; off += chunk) {
		chunk = len - off;
		if (chunk > MAX_IMSGSIZE - IMSG_HEADER_SIZE)
			chunk = MAX_IMSGSIZE - IMSG_HEADER_SIZE;
		imsg_compose(&ibuf, IMSG_CTL_DATA, 0, 0, -1, s + off, chunk);
	}
	imsg_compose(&ibuf, IMSG_CTL_END, 0, 0, -1, NULL, 0);
	free(s);
	if (imsg_flush(&ibuf) == -1)
		die(EXIT_CONNECT, "write to innernetd: %s", strerror(errno));
	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, CTL_TIMEOUT * 1000) == 0)
			die(EXIT_CONNECT, "no answer from innernetd in %d "
			    "seconds", CTL_TIMEOUT);
		if ((n = imsg_read(&ibuf)) == -1 && errno != EAGAIN)
			die(EXIT_CONNECT, "read from innernetd: %s",
			    strerror(errno));
		if (n == 0)
			die(EXIT_CONNECT, "innernetd closed the connection");
		while ((n = imsg_get(&ibuf, &imsg)) > 0) {
			dlen = imsg.hdr.len - IMSG_HEADER_SIZE;
			if (imsg.hdr.type == IMSG_CTL_END) {
				imsg_free(&imsg);
				ans = json_loadb(doc != NULL ? doc : "", dsz,
				    0, &jerr);
				free(doc);
				imsg_clear(&ibuf);
				if (ans == NULL)
					die(EXIT_CONNECT, "bad answer from "
					    "innernetd: %s", jerr.text);
				return (ans);
			}
			if (imsg.hdr.type == IMSG_CTL_PROGRESS && dlen > 0) {
				/* asked for only when stderr is a terminal */
				fprintf(stderr, "innernetctl: %.*s\n",
				    (int)strnlen(imsg.data, dlen > 200 ? 200 :
				    dlen), (char *)imsg.data);
				imsg_free(&imsg);
				continue;
			}
			if (imsg.hdr.type != IMSG_CTL_DATA ||
			    dsz + dlen > CTL_MAXJSON)
				die(EXIT_CONNECT, "bad answer from innernetd");
			if ((p = realloc(doc, dsz + dlen + 1)) == NULL)
				die(EXIT_CONNECT, "out of memory");
			doc = p;
			memcpy(doc + dsz, imsg.data, dlen);
			dsz += dlen;
			imsg_free(&imsg);
		}
		if (n == -1)
			die(EXIT_CONNECT, "bad answer from innernetd");
	}
}

/* add-peer: a fresh key pair; only the public half leaves this process. */
static void
addpeer_keys(json_t *args, struct invitation *inv)
{
	unsigned char	pk[crypto_box_PUBLICKEYBYTES];
	unsigned char	sk[crypto_box_SECRETKEYBYTES];
	char		pub[IN_KEYSZ];

	crypto_box_keypair(pk, sk);
	sodium_bin2base64(pub, sizeof(pub), pk, sizeof(pk),
	    sodium_base64_VARIANT_ORIGINAL);
	sodium_bin2base64(inv->private_key, sizeof(inv->private_key), sk,
	    sizeof(sk), sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(sk, sizeof(sk));
	json_object_set_new(args, "public_key", json_string(pub));
}

/* install: the interface name, the invitation's network by default. */
static int
prompt_name(json_t *args, const char *def)
{
	char	err[256];
	char	buf[64];
	size_t	n;
	int	tries;

	for (tries = 0; tries < 3; tries++) {
		fprintf(stderr, "Interface name [%s]: ", def);
		fflush(stderr);
		if (fgets(buf, sizeof(buf), stdin) == NULL)
			return (-1);
		n = strcspn(buf, "\r\n");
		buf[n] = '\0';
		if (buf[0] == '\0')
			strlcpy(buf, def, sizeof(buf));
		if (in_ifname_ok(buf))
			return (set_flag_value("install", args, "name", buf,
			    err, sizeof(err)));
		fprintf(stderr, "an interface name is lowercase letters, "
		    "digits and inner hyphens, at most 15\n");
	}
	return (-1);
}

static const char *
jstr(json_t *o, const char *k)
{
	json_t	*v = json_object_get(o, k);

	return (json_is_string(v) ? json_string_value(v) : "");
}

/* import: upstream names a network after its configuration file. */
static void
conf_name(json_t *args, const char *path)
{
	char	 buf[1024], *b, *dot;

	if (json_object_get(args, "name") != NULL)
		return;
	strlcpy(buf, path, sizeof(buf));
	b = basename(buf);
	if ((dot = strrchr(b, '.')) != NULL && strcmp(dot, ".conf") == 0)
		*dot = '\0';
	if (!in_ifname_ok(b))
		die(EXIT_USAGE, "cannot take a network name from %s; give "
		    "--name", path);
	json_object_set_new(args, "name", json_string(b));
}

/* What import wrote, removed at exit unless innernetd took it. */
static char	import_db[PATH_MAX], import_key[PATH_MAX];
static int	import_taken;

static void
import_cleanup(void)
{
	if (import_taken)
		return;
	if (import_db[0] != '\0')
		unlink(import_db);
	if (import_key[0] != '\0')
		unlink(import_key);
}

/*
 * import runs as root and writes into innernetd's state directory: the
 * directory is the one given with --state-dir, in INNERNET_STATEDIR or
 * the default, and what
 * is written belongs to whoever owns the directory it is written in.
 * Nothing of where or as whom comes from innernetd's answers: a taken
 * engine could otherwise direct root's writes.
 */
static int
import_dir(const char *state, const char *sub, char *path, size_t len,
    struct stat *st)
{
	if ((size_t)snprintf(path, len, "%s/%s", state, sub) >= len)
		die(EXIT_USAGE, "%s: path too long", state);
	if (lstat(path, st) == -1 || !S_ISDIR(st->st_mode))
		die(EXIT_USAGE, "%s is not a directory of innernetd's (is its "
		    "state directory elsewhere? --state-dir)", path);
	return (0);
}

/* A new file in dir, 0600 and the directory owner's, durably. */
static int
import_file(const char *dir, const struct stat *owner, char *tmp,
    size_t len)
{
	int	fd;

	if ((size_t)snprintf(tmp, len, "%s/.innernetctl.XXXXXX", dir) >= len)
		die(EXIT_USAGE, "%s: path too long", dir);
	if ((fd = mkstemp(tmp)) == -1)
		die(EXIT_DAEMON, "%s: %s", dir, strerror(errno));
	if (fchmod(fd, 0600) == -1 ||
	    fchown(fd, owner->st_uid, owner->st_gid) == -1) {
		unlink(tmp);
		die(EXIT_DAEMON, "%s: %s", tmp, strerror(errno));
	}
	return (fd);
}

/* The temporary file takes its name, never replacing another. */
static void
import_place(const char *tmp, const char *path)
{
	int	saved;

	if (link(tmp, path) == -1) {
		saved = errno;
		unlink(tmp);
		die(saved == EEXIST ? EXIT_USAGE : EXIT_DAEMON, "%s: %s", path,
		    saved == EEXIST ? "exists already" : strerror(saved));
	}
	unlink(tmp);
}

/* The database goes into dbd's directory, as its owner, durably. */
static void
copy_database(const char *src, const char *state, const char *name,
    char *placed, size_t placedlen)
{
	struct stat	 st, dirst;
	char		 wal[1100], dir[PATH_MAX], tmp[PATH_MAX];
	char		 dst[PATH_MAX], buf[65536];
	ssize_t		 n;
	int		 in, out;

	snprintf(wal, sizeof(wal), "%s-wal", src);
	if (stat(wal, &st) == 0 && st.st_size > 0)
		die(EXIT_USAGE, "%s is in use (it has a write-ahead log): "
		    "stop innernet-server first", src);
	import_dir(state, "server", dir, sizeof(dir), &dirst);
	if ((size_t)snprintf(dst, sizeof(dst), "%s/" IN_IMPORT_PREFIX "%s.db",
	    dir, name) >= sizeof(dst))
		die(EXIT_USAGE, "%s: path too long", dir);
	if ((in = open(src, O_RDONLY | O_CLOEXEC)) == -1)
		die(EXIT_USAGE, "%s: %s", src, strerror(errno));
	out = import_file(dir, &dirst, tmp, sizeof(tmp));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			break;
	if (n != 0 || fsync(out) == -1) {
		unlink(tmp);
		die(EXIT_DAEMON, "copying %s: %s", src, strerror(errno));
	}
	close(in);
	close(out);
	import_place(tmp, dst);
	strlcpy(placed, dst, placedlen);
}

/*
 * The server's private key goes straight into wgd's key store, where
 * wgd takes it when it brings the interface up: it never passes through
 * the engine.  The engine learns the public key.
 */
static void
store_key(const char *priv, const char *state, const char *name,
    char *pub, char *placed, size_t placedlen)
{
	struct stat	 dirst;
	unsigned char	 sk[32], pk[32];
	char		 dir[PATH_MAX], tmp[PATH_MAX], line[IN_KEYSZ + 1];
	char		 dst[PATH_MAX];
	size_t		 len;
	int		 fd;

	if (sodium_base642bin(sk, sizeof(sk), priv, strlen(priv), NULL, &len,
	    NULL, sodium_base64_VARIANT_ORIGINAL) != 0 || len != sizeof(sk) ||
	    crypto_scalarmult_base(pk, sk) != 0) {
		sodium_memzero(sk, sizeof(sk));
		die(EXIT_USAGE, "the server's private key is not a key");
	}
	sodium_memzero(sk, sizeof(sk));
	sodium_bin2base64(pub, IN_KEYSZ, pk, sizeof(pk),
	    sodium_base64_VARIANT_ORIGINAL);
	import_dir(state, "keys", dir, sizeof(dir), &dirst);
	if ((size_t)snprintf(dst, sizeof(dst), "%s/%s.key", dir, name) >=
	    sizeof(dst))
		die(EXIT_USAGE, "%s: path too long", dir);
	fd = import_file(dir, &dirst, tmp, sizeof(tmp));
	snprintf(line, sizeof(line), "%s\n", priv);
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line) ||
	    fsync(fd) == -1) {
		sodium_memzero(line, sizeof(line));
		unlink(tmp);
		die(EXIT_DAEMON, "%s: %s", tmp, strerror(errno));
	}
	sodium_memzero(line, sizeof(line));
	close(fd);
	import_place(tmp, dst);
	strlcpy(placed, dst, placedlen);
}

/*
 * import: a client configuration is read here and sent like an
 * invitation; a server's database is copied next to dbd's, its key put
 * in wgd's key store, and the name, port and public key go with the
 * request.
 */
static void
import_setup(json_t *args)
{
	struct invitation	 inv;
	struct server_conf	 sc;
	char			 err[1024], buf[8193], *cut, pub[IN_KEYSZ];
	char			 statebuf[PATH_MAX];
	const char		*cc, *scf, *db, *state;
	ssize_t			 n;
	int			 fd;

	cc = json_string_value(json_object_get(args, "client_config"));
	scf = json_string_value(json_object_get(args, "server_config"));
	db = json_string_value(json_object_get(args, "database"));
	if ((state = json_string_value(json_object_get(args,
	    "state_dir"))) == NULL &&
	    (state = getenv("INNERNET_STATEDIR")) == NULL)
		state = INNERNET_STATEDIR;
	/* innernetctl's own: not sent */
	if (strlcpy(statebuf, state, sizeof(statebuf)) >= sizeof(statebuf))
		die(EXIT_USAGE, "%s: path too long", state);
	state = statebuf;
	json_object_del(args, "state_dir");
	if (cc != NULL) {
		if ((fd = open(cc, O_RDONLY | O_CLOEXEC)) == -1)
			die(EXIT_USAGE, "%s: %s", cc, strerror(errno));
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n < 0)
			die(EXIT_USAGE, "%s: %s", cc, strerror(errno));
		buf[n] = '\0';
		/* per-peer endpoint overrides stay behind */
		if ((cut = strstr(buf, "[peer-endpoint-overrides]")) != NULL) {
			fprintf(stderr, "innernetctl: peer endpoint overrides "
			    "of %s are not imported\n", cc);
			*cut = '\0';
		}
		if (invite_parse(buf, strlen(buf), &inv, err,
		    sizeof(err)) == -1)
			die(EXIT_USAGE, "%s: %s", cc, err);
		sodium_memzero(buf, sizeof(buf));
		conf_name(args, cc);
		json_object_set_new(args, "client", invite_json(&inv));
		sodium_memzero(&inv, sizeof(inv));
		return;
	}
	if (scf == NULL || db == NULL)
		die(EXIT_USAGE, "import needs --client-config FILE, or "
		    "--server-config FILE and --database FILE");
	if (geteuid() != 0)
		die(EXIT_USAGE, "import of a server runs as root: it writes "
		    "into innernetd's state directory");
	if (server_conf_read(scf, &sc, err, sizeof(err)) == -1)
		die(EXIT_USAGE, "%s", err);
	conf_name(args, scf);
	atexit(import_cleanup);
	copy_database(db, state, jstr(args, "name"), import_db,
	    sizeof(import_db));
	store_key(sc.private_key, state, jstr(args, "name"), pub, import_key,
	    sizeof(import_key));
	sodium_memzero(&sc.private_key, sizeof(sc.private_key));
	json_object_set_new(args, "public_key", json_string(pub));
	json_object_set_new(args, "listen_port", json_integer(sc.listen_port));
}

/* One more request on a connection of its own; NULL when it fails. */
static json_t *
ctl_query(const char *sock, const char *verb, const char *network)
{
	json_t	*req, *ans, *res = NULL;
	int	 fd;

	if ((fd = ctl_try_connect(sock)) == -1)
		return (NULL);
	req = json_pack("{s:s, s:s, s:o}", "verb", verb, "network",
	    network, "args", json_object());
	if (req == NULL) {
		close(fd);
		return (NULL);
	}
	ans = ctl_exchange(fd, req);
	close(fd);
	json_decref(req);
	if (json_is_true(json_object_get(ans, "ok")) &&
	    json_is_array(json_object_get(ans, "result")))
		res = json_incref(json_object_get(ans, "result"));
	json_decref(ans);
	return (res);
}

/* The prompts' lists: CIDRs and peers of the network asked about. */
static const char	*lister_sock, *lister_network;

static json_t *
lister(const char *verb)
{
	if (lister_network == NULL)
		return (NULL);
	return (ctl_query(lister_sock, verb, lister_network));
}

/*
 * An admin peer's request failed at the server: innernetd passes on
 * "the server refused: SENTENCE (400 Bad Request)", the server's own
 * sentence, or "the server answered 401 Unauthorized" when it gave none.
 * What the user needs is the sentence, and the status only when it says
 * more than "refused" (401: not an admin, 404: gone, 5xx: broken).
 * Anything else, or a message cut short, is shown as it came.
 */
static void
server_message(const char *e, char *out, size_t len)
{
	static const char	 refused[] = "the server refused: ";
	static const char	 answered[] = "the server answered ";
	const char		*open;
	char			 msg[1024];
	size_t			 n;
	int			 code;

	strlcpy(out, e, len);
	if (strncmp(e, answered, sizeof(answered) - 1) == 0) {
		if (atoi(e + sizeof(answered) - 1) == 401)
			snprintf(out, len, "%s (not an admin?)", e);
		return;
	}
	if (strncmp(e, refused, sizeof(refused) - 1) != 0)
		return;
	strlcpy(msg, e + sizeof(refused) - 1, sizeof(msg));
	n = strlen(msg);
	/* the status is the last parenthesis: " (DDD Reason)" */
	if (n == 0 || msg[n - 1] != ')' || (open = strrchr(msg, '(')) ==
	    NULL || open == msg || open[-1] != ' ' ||
	    (code = atoi(open + 1)) < 100 || code > 599)
		return;
	msg[open - msg - 1] = '\0';
	if (code == 400 || code == 409)
		snprintf(out, len, "%s%s", refused, msg);
	else
		snprintf(out, len, "the server refused (%d%s): %s", code,
		    code == 401 && strstr(msg, "admin") == NULL ?
		    ", not an admin?" : "", msg);
}

/*
 * list, fetch and up without a network answer {"networks": [{"network",
 * "result"} ...]}: a list a network, each under its name, and for fetch
 * and up a line a network (the line names it).
 */
static void
output_networks(const char *sock, const char *verb, json_t *res,
    json_t *args)
{
	json_t		*nets = json_object_get(res, "networks"), *n, *r;
	json_t		*cidrs;
	const char	*name;
	size_t		 i;
	int		 list = strcmp(verb, "list") == 0;

	if (!json_is_array(nets)) {
		output_human(verb, NULL, res, args, NULL);
		return;
	}
	if (json_array_size(nets) == 0) {
		printf("%s\n", list ? "no network on this host" :
		    "no network joined on this host");
		return;
	}
	json_array_foreach(nets, i, n) {
		name = jstr(n, "network");
		r = json_object_get(n, "result");
		cidrs = NULL;
		if (list && i > 0)
			printf("\n");
		if (list && json_is_array(r)) {
			/* a served network's table does not name it */
			printf("network %s (served by this host):\n", name);
			cidrs = ctl_query(sock, "list-cidrs", name);
		}
		output_human(verb, name, r, args, cidrs);
		json_decref(cidrs);
	}
}

/* -j: an object always; a verb without a result says what it did. */
static json_t *
json_result(const char *verb, const char *network, json_t *args,
    json_t *res)
{
	static const char	*keep[] = { "name", "new_name", "cidr1",
				    "cidr2", "endpoint", "listen_port",
				    "unset", NULL };
	json_t			*o;
	size_t			 i;

	if (json_is_object(res) || json_is_array(res))
		return (json_incref(res));
	o = json_pack("{s:s, s:b}", "verb", verb, "done", 1);
	if (network != NULL)
		json_object_set_new(o, "network", json_string(network));
	for (i = 0; keep[i] != NULL; i++)
		if (json_object_get(args, keep[i]) != NULL)
			json_object_set(o, keep[i],
			    json_object_get(args, keep[i]));
	return (o);
}

static int
name_wanted(const char *verb)
{
	return (strcmp(verb, "list-peers") == 0 ||
	    strcmp(verb, "list-associations") == 0 ||
	    strcmp(verb, "list") == 0);
}

static const struct option longopts[] = {
	{ "help",	no_argument,		NULL,	'h' },
	{ "json",	no_argument,		NULL,	'j' },
	{ "socket",	required_argument,	NULL,	's' },
	{ "verbose",	no_argument,		NULL,	'v' },
	{ "version",	no_argument,		NULL,	'V' },
	{ NULL,		0,			NULL,	0 }
};

int
main(int argc, char *argv[])
{
	const char		*sock, *verb, *path = NULL, *network;
	const char		*invite = NULL;
	char			 err[1024], save[1024], invpath[1024];
	json_t			*req, *args, *ans, *res, *iv, *cidrs = NULL;
	struct invitation	 inv;
	int			 ch, jflag = 0, vflag = 0, fd, invfd = -1;

	if (sodium_init() == -1)
		die(EXIT_CONNECT, "libsodium failed to start");
	if ((sock = getenv("INNERNET_SOCKET")) == NULL)
		sock = INNERNET_SOCKET;
	while ((ch = getopt_long(argc, argv, "+hjs:vV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage_print(stdout, NULL);
			return (EXIT_OK);
		case 'j':
			jflag = 1;
			break;
		case 's':
			sock = optarg;
			break;
		case 'v':
			vflag = 1;
			break;
		case 'V':
			printf("innernetctl %s (innernet protocol %s)\n",
			    INNERNET_VERSION, INNERNET_UPSTREAM);
			return (EXIT_OK);
		default:
			usage(NULL);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage(NULL);
	switch (parse_command(argc, argv, &req, &verb, err, sizeof(err))) {
	case PARSE_HELP:
		usage_print(stdout, verb);
		return (EXIT_OK);
	case PARSE_ERR:
		fprintf(stderr, "innernetctl: %s\n", err);
		usage(verb);
	}
	verb = json_string_value(json_object_get(req, "verb"));
	args = json_object_get(req, "args");
	network = json_string_value(json_object_get(req, "network"));
	if (strcmp(verb, "help") == 0) {
		usage_print(stdout, json_string_value(json_object_get(args,
		    "verb")));
		json_decref(req);
		return (EXIT_OK);
	}
	if (strcmp(verb, "completions") == 0) {
		ch = completions_print(stdout, json_string_value(
		    json_object_get(args, "shell"))) == 0 ? EXIT_OK :
		    EXIT_USAGE;
		json_decref(req);
		return (ch);
	}
	if (vflag && (strcmp(verb, "list") == 0 ||
	    strcmp(verb, "list-peers") == 0))
		json_object_set_new(args, "verbose", json_true());
	memset(&inv, 0, sizeof(inv));
	inv.listen_port = -1;

	if (strcmp(verb, "install") == 0) {
		strlcpy(invpath, jstr(args, "invitation"), sizeof(invpath));
		invite = invpath;
		if (invite_read(invite, &inv, err, sizeof(err)) == -1)
			die(EXIT_USAGE, "%s", err);
		if (json_object_get(args, "name") == NULL &&
		    !json_is_true(json_object_get(args, "default_name")) &&
		    prompt_interactive() && prompt_name(args,
		    inv.network_name) == -1)
			die(EXIT_USAGE, "no usable interface name");
		json_object_set_new(args, "invitation", invite_json(&inv));
		sodium_memzero(&inv, sizeof(inv));
		if (!jflag && isatty(STDERR_FILENO))
			json_object_set_new(args, "progress", json_true());
	}
	if (strcmp(verb, "import") == 0)
		import_setup(args);
	lister_sock = sock;
	lister_network = network;
	switch (prompt_missing(verb, args, network, lister, err,
	    sizeof(err))) {
	case PROMPT_NO:
		fprintf(stderr, "innernetctl: nothing done\n");
		return (EXIT_OK);
	case PROMPT_ERR:
		fprintf(stderr, "innernetctl: %s\n", err);
		usage(verb);
	}
	if (strcmp(verb, "add-peer") == 0) {
		path = jstr(args, "save_config");
		if (*path == '\0') {
			snprintf(save, sizeof(save), "%s.toml",
			    jstr(args, "name"));
			path = save;
		}
		/* the file first: the peer only if its key has a home */
		if ((invfd = invite_reserve(path, err, sizeof(err))) == -1)
			die(EXIT_USAGE, "%s; no peer added", err);
		reserved = path;
		addpeer_keys(args, &inv);
	}

	fd = ctl_connect(sock);
	ans = ctl_exchange(fd, req);
	close(fd);
	if (!json_is_true(json_object_get(ans, "ok"))) {
		if (invfd != -1)
			close(invfd);
		server_message(jstr(ans, "error"), err, sizeof(err));
		die(EXIT_DAEMON, "%s", err);
	}
	import_taken = 1;
	res = json_object_get(ans, "result");

	if (strcmp(verb, "add-peer") == 0) {
		iv = json_object_get(res, "invitation");
		strlcpy(inv.network_name, jstr(iv, "network_name"),
		    sizeof(inv.network_name));
		strlcpy(inv.address, jstr(iv, "address"), sizeof(inv.address));
		strlcpy(inv.server_public_key, jstr(iv, "server_public_key"),
		    sizeof(inv.server_public_key));
		strlcpy(inv.external_endpoint, jstr(iv, "external_endpoint"),
		    sizeof(inv.external_endpoint));
		strlcpy(inv.internal_endpoint, jstr(iv, "internal_endpoint"),
		    sizeof(inv.internal_endpoint));
		reserved = NULL;	/* the peer exists: keep what we have */
		if (invite_fill(invfd, path, &inv, err, sizeof(err)) == -1)
			die(EXIT_DAEMON, "peer added, but the invitation could "
			    "not be written: %s", err);
		sodium_memzero(&inv, sizeof(inv));
		res = json_object_get(res, "peer");
		json_object_set_new(args, "save_config", json_string(path));
	}
	if (strcmp(verb, "install") == 0 && invite != NULL &&
	    (json_is_true(json_object_get(args, "delete_invite")) ||
	    (prompt_interactive() && prompt_confirm("Delete the invitation "
	    "file now? (it is no longer needed)", 1)))) {
		if (unlink(invite) == -1)
			fprintf(stderr, "innernetctl: cannot delete %s: %s\n",
			    invite, strerror(errno));
	}
	if (jflag) {
		res = json_result(verb, network, args, res);
		json_dumpf(res, stdout, JSON_INDENT(2));
		printf("\n");
		json_decref(res);
	} else if (network == NULL && (strcmp(verb, "list") == 0 ||
	    strcmp(verb, "fetch") == 0 || strcmp(verb, "up") == 0))
		output_networks(sock, verb, res, args);
	else {
		/* names for the ids of the lists */
		if (network != NULL && name_wanted(verb))
			cidrs = ctl_query(sock, "list-cidrs", network);
		output_human(verb, network, res, args, cidrs);
		json_decref(cidrs);
	}
	json_decref(ans);
	json_decref(req);
	return (EXIT_OK);
}
