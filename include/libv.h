/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libv: C interface to V interprocess communication (vkmod).
 *
 * Every function returns 0 (or a non-negative count/fd) on success and a
 * negative errno value on failure; errno is never used, so the library is
 * thread-safe (the liburing convention).  64-bit ids always come back
 * through out-parameters.  The kernel's errno for each case is listed in
 * <linux/v.h>; strerror(-ret) describes it.
 */
#ifndef LIBV_H
#define LIBV_H

#include <stdint.h>
#include <linux/v.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The address family number vkmod registered (read once from
 * /sys/module/vkmod/parameters/family).  -ENOENT if the module is not loaded.
 */
int v_family(void);

/* Open a new V process (an AF_V socket); returns its fd. */
int v_open(void);

/* Close a V process.  Threads blocked on it are woken only by shutdown(). */
int v_close(int fd);

/* The entity id of the V process fd. */
int v_self(int fd, uint64_t *id);

#ifdef __cplusplus
}
#endif

#endif /* LIBV_H */
