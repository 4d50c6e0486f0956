/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel API differences between the kernels vkmod supports (6.1 and
 * 6.12), kept in this one header so version tests do not spread through
 * the code (checkpatch's LINUX_VERSION_CODE warning is ignored for this
 * file only).
 */
#ifndef _VKMOD_COMPAT_H
#define _VKMOD_COMPAT_H

#include <linux/mm.h>
#include <linux/version.h>

/* 6.12 moved the unaligned accessors from asm/ to linux/. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

/* 6.5 dropped the vmas argument of pin_user_pages_remote(). */
static inline long v_pin_user_pages_remote(struct mm_struct *mm, unsigned long start,
					   unsigned long nr_pages, unsigned int gup_flags,
					   struct page **pages, int *locked)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0)
	return pin_user_pages_remote(mm, start, nr_pages, gup_flags, pages, NULL, locked);
#else
	return pin_user_pages_remote(mm, start, nr_pages, gup_flags, pages, locked);
#endif
}

#endif /* _VKMOD_COMPAT_H */
