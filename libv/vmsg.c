// SPDX-License-Identifier: LGPL-2.1-or-later
/* libv: message helpers of the service protocols (<vio.h>), shared by the
 * client stubs and the daemons. */
#include <errno.h>
#include <string.h>
#include "libv_services.h"

int v_reply_errno(unsigned int code)
{
	switch (code) {
	case V_OK:			return 0;
	case V_ILLEGAL_REQUEST:		return EOPNOTSUPP;
	case V_BAD_ARGS:		return EINVAL;
	case V_BAD_BUFFER:		return EFAULT;
	case V_NOT_FOUND:		return ENOENT;
	case V_NO_PERMISSION:		return EACCES;
	case V_DUPLICATE_NAME:		return EEXIST;
	case V_END_OF_FILE:		return ENODATA;
	case V_BAD_STATE:		return EISDIR;
	case V_NO_SERVER_RESOURCES:	return ENOSPC;
	case V_IO_ERROR:		return EIO;
	case V_RETRY:			return EAGAIN;
	case V_NOT_SUPPORTED:		return EOPNOTSUPP;
	case V_TIMEOUT:			return ETIMEDOUT;
	default:			return EPROTO;
	}
}

struct v_msg vio_reply_code(unsigned int code)
{
	struct v_msg m;

	memset(&m, 0, sizeof(m));
	v_msg_set_code(&m, (uint16_t)code);
	return m;
}

int vio_name_put(struct v_msg *m, const char *name, size_t len)
{
	size_t head = len < VIO_NAME_INLINE ? len : VIO_NAME_INLINE;

	if (len == 0 || len > VIO_NAME_MAX || memchr(name, 0, len))
		return -EINVAL;
	v_msg_put16(m, VIO_NAME_LEN_OFF, (uint16_t)len);
	memcpy(&m->b[VIO_NAME_OFF], name, head);
	return len > VIO_NAME_INLINE;
}

int vio_segment_get(int fd, const struct v_receive *r, const void *seg, size_t off, size_t len,
		    void *out)
{
	if (off > r->seg_len || r->seg_len - off < len || !(r->seg_access & V_SEG_READ))
		return -V_BAD_BUFFER;
	if (!len)
		return 0;
	if (r->copied >= off + len)
		memcpy(out, (const char *)seg + off, len);
	else if (v_move_from(fd, r->sender, off, out, len) < 0)
		return -V_BAD_BUFFER;
	return 0;
}

int vio_segment_name(int fd, const struct v_receive *r, const void *seg, size_t len, char *out)
{
	int ret = vio_segment_get(fd, r, seg, 0, len, out);

	if (ret < 0)
		return ret;
	out[len] = '\0';
	return strlen(out) == len ? (int)len : -V_BAD_ARGS;
}

int vio_name_get(int fd, const struct v_receive *r, const void *seg, char *out, size_t cap)
{
	size_t len = v_msg_get16(&r->msg, VIO_NAME_LEN_OFF);

	if (len == 0 || len > VIO_NAME_MAX || len >= cap)
		return -V_BAD_ARGS;
	if (len > VIO_NAME_INLINE)
		return vio_segment_name(fd, r, seg, len, out);
	memcpy(out, &r->msg.b[VIO_NAME_OFF], len);
	out[len] = '\0';
	return strlen(out) == len ? (int)len : -V_BAD_ARGS;
}

int vio_prefix_match(const char *prefix, size_t plen, const char *name)
{
	if (plen == 0 || strncmp(prefix, name, plen))
		return 0;
	return name[plen] == '\0' || name[plen] == '/' || prefix[plen - 1] == '/';
}

int vio_name_lookup_get(int fd, const struct v_receive *r, const void *seg, char *out,
			size_t cap, int *partial)
{
	size_t len = v_msg_get16(&r->msg, VIO_NAME_LEN_OFF);
	int ret = vio_name_get(fd, r, seg, out, cap);

	*partial = 0;
	if (ret != -V_BAD_BUFFER)
		return ret;
	/* The name is longer than its inline head and the segment is closed. */
	if (len <= VIO_NAME_INLINE || cap <= VIO_NAME_INLINE)
		return -V_BAD_ARGS;
	memcpy(out, &r->msg.b[VIO_NAME_OFF], VIO_NAME_INLINE);
	out[VIO_NAME_INLINE] = '\0';
	if (strlen(out) != VIO_NAME_INLINE)
		return -V_BAD_ARGS;
	*partial = 1;
	return VIO_NAME_INLINE;
}

int vio_prefix_owns(const char *prefix, size_t plen, const char *head, int partial)
{
	if (partial && plen >= strlen(head))
		return 0;	/* the byte after the prefix is not known */
	return vio_prefix_match(prefix, plen, head);
}
