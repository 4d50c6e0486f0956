// SPDX-License-Identifier: LGPL-2.1-or-later
/* libv: client stubs of the time protocol (<vio.h>). */
#include <errno.h>
#include <string.h>
#include "libv_services.h"

/* How long SetTime to a group collects further replies. */
#define VTIME_GROUP_WAIT_MS	500

static void vtime_parse(const struct v_msg *m, uint64_t replier, struct v_time *t)
{
	t->clock_ns = v_msg_get64(m, VTIME_CLOCK_OFF);
	t->offset_ns = (int64_t)v_msg_get64(m, VTIME_OFFSET_OFF);
	t->reference = v_msg_get64(m, VTIME_REFERENCE_OFF);
	t->server = replier;
}

int v_time_get(int fd, uint64_t server, struct v_time *t)
{
	uint64_t self, replier = server;
	struct v_msg m;
	int ret;

	memset(&m, 0, sizeof(m));
	v_msg_set_code(&m, VTIME_GET);
	if (server) {
		ret = v_send(fd, server, &m);
	} else {
		ret = v_self(fd, &self);
		if (ret == 0)
			ret = v_send_qualified(fd, V_GROUP_TIME_SERVERS, self, &m, &replier);
	}
	if (ret < 0)
		return ret;
	if (v_msg_code(&m) != V_OK)
		return -v_reply_errno(v_msg_code(&m));
	vtime_parse(&m, replier, t);
	return 0;
}

int v_time_set(int fd, uint64_t dst, uint64_t clock_ns)
{
	struct v_msg m;
	int ret, ok;

	memset(&m, 0, sizeof(m));
	v_msg_set_code(&m, VTIME_SET);
	v_msg_put64(&m, VTIME_CLOCK_OFF, clock_ns);
	ret = v_send(fd, dst, &m);
	if (ret < 0)
		return ret;
	ok = v_msg_code(&m) == V_OK;
	if (!v_id_is_group(dst))
		return ok ? 1 : -v_reply_errno(v_msg_code(&m));
	while (v_get_reply(fd, &m, NULL, (uint64_t)VTIME_GROUP_WAIT_MS * 1000000) == 0)
		ok += v_msg_code(&m) == V_OK;
	return ok;
}
