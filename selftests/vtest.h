/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the vkmod selftest suites (kselftest_harness.h based).
 * The suites run inside the QEMU guest as root with vkmod loaded; guest.sh
 * exports VKMOD_KO (the module file) and VK_BUILD (the build directory).
 */
#ifndef VTEST_H
#define VTEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "libv.h"

/* Long waits scale with VK_TIMEOUT_SCALE (the debug kernel is slower). */
static inline int vt_scale(void)
{
	const char *s = getenv("VK_TIMEOUT_SCALE");
	int v = s ? atoi(s) : 1;

	return v > 0 ? v : 1;
}

static inline int vt_socket(void)
{
	return socket(v_family(), SOCK_DGRAM, 0);
}

static inline uint64_t vt_id(int fd)
{
	uint64_t id = 0;

	return v_self(fd, &id) == 0 ? id : 0;
}

/* Load or unload vkmod from a test (for rmmod/parameter tests). */
static inline int vt_module_unload(void)
{
	return syscall(SYS_delete_module, "vkmod", O_NONBLOCK);
}

static inline int vt_module_load(const char *params)
{
	const char *ko = getenv("VKMOD_KO");
	int fd, ret;

	if (!ko) {
		errno = ENOENT;
		return -1;
	}
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = syscall(SYS_finit_module, fd, params ? params : "", 0);
	close(fd);
	return ret;
}

static inline int vt_module_loaded(void)
{
	return access("/sys/module/vkmod", F_OK) == 0;
}

/* Read an integer module parameter; -1 if unreadable. */
static inline long long vt_param(const char *name)
{
	char path[128], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/module/vkmod/parameters/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtoll(buf, NULL, 0);
}

#endif /* VTEST_H */
