/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What vfs's files share: vfs.c (the FUSE operations, the channels),
 * vfs_cache.c (the table of the files this host caches) and vfs_revoke.c
 * (the cache process: registration with the servers, the REVOKEs that
 * drop cached files; <vio.h> "Caching").
 */
#ifndef VFS_H
#define VFS_H

#define FUSE_USE_VERSION 312
#include <fuse.h>
#include <stdint.h>

struct centry;

/* vfs_cache.c */
void vfs_cache_init(void);
void vfs_cache_note(uint64_t server, uint64_t ino, const char *path);
struct centry *vfs_cache_pin(uint64_t server, uint64_t ino, const char *path, int *trusted);
void vfs_cache_unpin(struct centry *e);
void vfs_cache_writing(struct centry *e, int begin);
void vfs_cache_changed(struct centry *e, uint64_t server, uint64_t ino, const char *path);
void vfs_cache_rename(const char *from, const char *to, int exchange);
uint64_t vfs_cache_seq(void);
int vfs_cache_revoked(uint64_t server, uint64_t ino, uint64_t seq);

/* A path of a cached file, for a REVOKE. */
struct cpath {
	char *path;
	uint64_t ino;
	uint64_t parent;	/* the kernel's node of its directory, 0: unknown */
};

int vfs_cache_paths(uint64_t server, uint64_t ino, int record, struct cpath **out, int *busy);
void vfs_cache_drain(uint64_t server, uint64_t ino, int ms);
void vfs_cache_parent(uint64_t server, uint64_t ino, const char *path, uint64_t parent);
void vfs_cache_unname(uint64_t server, uint64_t ino);

/* vfs_revoke.c */
int vfs_cache_open(void);
uint64_t vfs_cache_self(void);
uint64_t vfs_cache_for(uint64_t server);
void vfs_cache_lost(uint64_t server);
int vfs_cache_start(struct fuse *f, const char *mp);
int vfs_cache_stop(void);

#endif /* VFS_H */
