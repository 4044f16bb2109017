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


#ifndef INNERNETCTL_H
#define INNERNETCTL_H

#include <stdio.h>

#include <jansson.h>

#include "innernet.h"

/* Exit codes, documented in innernetctl(8). */
#define EXIT_OK		0
#define EXIT_DAEMON	1	/* innernetd answered with an error */
#define EXIT_USAGE	2	/* bad command line */
#define EXIT_CONNECT	3	/* innernetd cannot be reached */

struct invitation {
	char		network_name[IN_IFNAMSZ];
	char		address[IN_CIDRSTRSZ];
	char		private_key[IN_KEYSZ];
	int		listen_port;		/* -1: none */
	char		server_public_key[IN_KEYSZ];
	char		external_endpoint[IN_ENDPOINTSZ];
	char		internal_endpoint[IN_ENDPOINTSZ];
};

/* parser.c */
#define PARSE_OK	0
#define PARSE_HELP	1	/* VERB --help */
#define PARSE_ERR	-1
int	 parse_command(int, char **, json_t **, const char **, char *,
	    size_t);
int	 set_flag_value(const char *, json_t *, const char *, const char *,
	    char *, size_t);
const char *verb_canonical(const char *);
void	 usage_print(FILE *, const char *);
int	 completions_print(FILE *, const char *);

/* prompt.c: a question per missing argument when a terminal is attached */
#define PROMPT_OK	0
#define PROMPT_NO	1	/* the user declined: nothing to do */
#define PROMPT_ERR	-1
int	 prompt_interactive(void);
typedef json_t	*(*prompt_lister)(const char *);
int	 prompt_missing(const char *, json_t *, const char *, prompt_lister,
	    char *, size_t);
int	 prompt_confirm(const char *, int);

/* invite.c */
int	 invite_parse(const char *, size_t, struct invitation *, char *,
	    size_t);
int	 invite_read(const char *, struct invitation *, char *, size_t);
int	 invite_format(const struct invitation *, char *, size_t);
int	 invite_reserve(const char *, char *, size_t);
int	 invite_fill(int, const char *, const struct invitation *, char *,
	    size_t);
int	 invite_write(const char *, const struct invitation *, char *,
	    size_t);
json_t	*invite_json(const struct invitation *);

/* An upstream innernet-server configuration file. */
struct server_conf {
	char		private_key[IN_KEYSZ];
	int		listen_port;
	char		address[IN_ADDRSTRSZ];
	int		prefix;
};
int	 server_conf_read(const char *, struct server_conf *, char *, size_t);

/* import.c */
json_t	*import_prepare(json_t *, const char *, json_t *, char *, size_t,
	    char *, size_t);
void	 import_abort(const char *);

/* output.c */
void	 output_human(const char *, const char *, json_t *, json_t *,
	    json_t *);

#endif /* INNERNETCTL_H */
