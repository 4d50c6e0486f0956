/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Raw V frames for the suites that inject or capture them (fuzz, auth): an
 * AF_PACKET socket bound to one interface of a V host (network namespace)
 * for EtherType V_ETHERTYPE_DEFAULT.  Frames sent on it leave through that
 * interface as if its host had sent them; frames received are the V frames
 * arriving on it (a socket bound to one EtherType does not see the
 * outgoing ones).
 */
#ifndef VPACKET_H
#define VPACKET_H

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include "vtest.h"

struct vt_pk {
	int fd;
	int ifindex;
	uint8_t mac[ETH_ALEN];		/* the interface's address */
	uint8_t peer[ETH_ALEN];		/* for the caller: where frames go */
};

/*
 * Open k on ifname in namespace ns (non-blocking), then return this thread
 * to the namespace whose fd is root.  0, or -1.
 */
static inline int vt_pk_open(const char *ns, const char *ifname, struct vt_pk *k, int root)
{
	struct sockaddr_ll sll;
	struct ifreq ifr;
	int ret = -1;

	if (vt_ns_enter(ns))
		return -1;
	k->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(V_ETHERTYPE_DEFAULT));
	if (k->fd < 0)
		goto out;
	k->ifindex = if_nametoindex(ifname);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (!k->ifindex || ioctl(k->fd, SIOCGIFHWADDR, &ifr))
		goto out;
	memcpy(k->mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(V_ETHERTYPE_DEFAULT);
	sll.sll_ifindex = k->ifindex;
	ret = bind(k->fd, (struct sockaddr *)&sll, sizeof(sll));
out:
	if (setns(root, CLONE_NEWNET))
		ret = -1;
	return ret;
}

#endif /* VPACKET_H */
