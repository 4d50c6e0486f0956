// SPDX-License-Identifier: LGPL-2.1-or-later
/* libv: process groups, group Send with a qualifier, GetReply. */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include "libv.h"

static int v_group_ioctl(int fd, unsigned long cmd, struct v_group *g)
{
	return ioctl(fd, cmd, g) < 0 ? -errno : 0;
}

int v_group_create(int fd, uint64_t *gid)
{
	struct v_group g;
	int ret;

	memset(&g, 0, sizeof(g));
	ret = v_group_ioctl(fd, V_IOC_GROUP_CREATE, &g);
	if (ret == 0)
		*gid = g.gid;
	return ret;
}

int v_group_join(int fd, uint64_t gid)
{
	struct v_group g = { .gid = gid };

	return v_group_ioctl(fd, V_IOC_GROUP_JOIN, &g);
}

int v_group_leave(int fd, uint64_t gid)
{
	struct v_group g = { .gid = gid };

	return v_group_ioctl(fd, V_IOC_GROUP_LEAVE, &g);
}

int v_group_members(int fd, uint64_t gid, uint64_t *ids, unsigned int max,
		    uint64_t timeout_ns)
{
	struct v_group_members m;

	memset(&m, 0, sizeof(m));
	m.gid = gid;
	m.ids_addr = (__u64)(uintptr_t)ids;
	m.max = max;
	m.timeout_ns = timeout_ns;
	if (ioctl(fd, V_IOC_GROUP_MEMBERS, &m) < 0)
		return -errno;
	return (int)m.total;
}

int v_send_qualified(int fd, uint64_t gid, uint64_t qualifier, struct v_msg *msg,
		     uint64_t *replier)
{
	struct v_send s;
	int ret;

	memset(&s, 0, sizeof(s));
	s.dst = gid;
	s.qualifier = qualifier;
	s.msg = *msg;
	ret = v_send_ex(fd, &s);
	if (ret == 0) {
		*msg = s.msg;
		if (replier)
			*replier = s.replier;
	}
	return ret;
}

int v_get_reply(int fd, struct v_msg *msg, uint64_t *replier, uint64_t timeout_ns)
{
	struct v_get_reply g;

	memset(&g, 0, sizeof(g));
	g.timeout_ns = timeout_ns;
	if (ioctl(fd, V_IOC_GET_REPLY, &g) < 0)
		return -errno;
	*msg = g.msg;
	if (replier)
		*replier = g.replier;
	return 0;
}
