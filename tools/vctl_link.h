/* SPDX-License-Identifier: GPL-2.0 */
/* vctl link show|add|del (vctl_link.c): Ethernet and UDP links. */
#ifndef VCTL_LINK_H
#define VCTL_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h>
#include <netlink/attr.h>

#define LINK_SYNOPSIS \
	"vctl [-j] link [show]\n" \
	"       vctl [-j] link add dev IFNAME [insecure]\n" \
	"       vctl [-j] link add udp local ADDR[:PORT] [peer ADDR[:PORT]]... [mtu N]\n" \
	"       vctl link del { dev IFNAME | ID }\n"

/* Room for a UDP link's address as text: "[IPV6]:PORT" and its NUL. */
#define VCTL_ADDRSTRLEN	(INET6_ADDRSTRLEN + sizeof("[]:65535"))

/* vctl link ...: argv[0] is the word after "link"; returns the exit status. */
int vctl_link_cmd(int argc, char **argv, bool json);

/*
 * A V_A_LINK_LOCAL, V_A_LINK_PEER or V_A_LINK_ENDPOINT attribute (struct
 * sockaddr_in or sockaddr_in6) as "A.B.C.D:PORT" or "[IPV6]:PORT" in buf;
 * false (buf empty) if it is neither.
 */
bool vctl_sockaddr_str(const struct nlattr *a, char *buf, size_t len);

#endif /* VCTL_LINK_H */
