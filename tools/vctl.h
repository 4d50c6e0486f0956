/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vctl's netlink plumbing and command-line helpers (vctl.c), shared with
 * the commands kept in files of their own (vctl_link.c).
 */
#ifndef VCTL_H
#define VCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

struct vnl {
	struct nl_sock *sk;
	int family;
	int maxattr;		/* the family's highest attribute (0: unknown) */
};

/* The V family's highest attribute number, which tells what it knows; 0 if unknown. */
int family_maxattr(struct nl_sock *sk);

/*
 * A request of the V family (NULL: no memory); size 0 for the default
 * size, else room for that many bytes of attributes.
 */
struct nl_msg *new_request(struct vnl *v, uint8_t cmd, int flags);
struct nl_msg *new_request_size(struct vnl *v, uint8_t cmd, int flags, size_t size);

/*
 * Send a request built by new_request() and collect replies (each one
 * passed to parse, if any) until the kernel's ACK, NLMSG_DONE or error.
 * Reports failures as "vctl: WHAT: strerror (extack)" and returns an exit
 * code.
 */
int transact(struct vnl *v, struct nl_msg *msg, const char *what,
	     int (*parse)(struct nlmsghdr *, void *), void *arg);

/* Open the V family, run fn, close it; fn's exit code, or the opening's. */
int with_vnl(int (*fn)(struct vnl *, void *), void *arg);

bool is_help(const char *s);

/* If any argument asks for help, print HELP on stdout and say so. */
bool help_asked(int argc, char **argv, const char *help);

/*
 * Options allowed after a command: -h/--help (prints HELP, exit 0) and, for
 * show commands, -j/--json.  Returns -1 to go on, or an exit code.
 */
int tail_opts(int argc, char **argv, const char *cmd, const char *help, bool *json);

/* A MAC address, aa:bb:cc:dd:ee:ff. */
void print_mac(const uint8_t *a);

#endif /* VCTL_H */
