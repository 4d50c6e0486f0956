/* SPDX-License-Identifier: GPL-2.0 */
/* Number parsing shared by the V tools: one set of rules for every option;
 * and their JSON strings. */
#ifndef VTOOL_PARSE_H
#define VTOOL_PARSE_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/*
 * Parse all of s as an unsigned number, decimal or 0x-prefixed hex (no
 * sign, no octal, no spaces), within [min, max].  Returns 0 or -1.
 */
static inline int vtool_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned int base = 10;
	const char *p = s;
	uint64_t v = 0;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (!*p)
		return -1;
	for (; *p; p++) {
		unsigned int d;

		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			return -1;
		if (v > (UINT64_MAX - d) / base)
			return -1;
		v = v * base + d;
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Is the first argument --help (every tool and daemon takes it)? */
static inline int vtool_wants_help(int argc, char **argv)
{
	return argc > 1 && !strcmp(argv[1], "--help");
}

/* s as a JSON string (quotes, backslashes and control characters escaped:
 * C0, DEL, and C1 in UTF-8, which a terminal may obey). */
static inline void vtool_json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else if (c == 0xc2 && (unsigned char)s[1] >= 0x80 && (unsigned char)s[1] < 0xa0)
			printf("\\u%04x", (unsigned char)*++s);	/* C1 (UTF-8) */
		else
			putchar(c);
	}
	putchar('"');
}

#endif /* VTOOL_PARSE_H */
