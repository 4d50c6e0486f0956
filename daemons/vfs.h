/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What vfs's files share: vfs.c (the FUSE operations, the channels) and
 * vfs_cache.c (the cache process: which files this host caches, and the
 * REVOKEs that drop them, <vio.h> "Caching").
 */
#ifndef VFS_H
#define VFS_H

#define FUSE_USE_VERSION 312
#include <fuse.h>
#include <stdint.h>

struct centry;

int vfs_cache_open(void);
uint64_t vfs_cache_id(void);
int vfs_cache_start(struct fuse *f, const char *mp);
void vfs_cache_stop(void);
void vfs_cache_note(uint64_t server, uint64_t ino, const char *path);
uint64_t vfs_cache_seq(void);
int vfs_cache_revoked(uint64_t server, uint64_t ino, uint64_t seq);
struct centry *vfs_cache_pin(uint64_t server, uint64_t ino, const char *path, int *trusted);
void vfs_cache_unpin(struct centry *e);
void vfs_cache_writing(struct centry *e, int begin);
void vfs_cache_changed(struct centry *e, uint64_t server, uint64_t ino, const char *path);
void vfs_cache_rename(const char *from, const char *to, int exchange);

#endif /* VFS_H */
