/* SPDX-License-Identifier: GPL-2.0 */
/* vctl proc query|suspend|resume|kill: through the program manager (vctl_proc.c). */
#ifndef VCTL_PROC_H
#define VCTL_PROC_H

#include <stdbool.h>

/* Is word one of the operations vctl_proc_control() takes? */
bool vctl_proc_is_control(const char *word);

/* vctl proc OP ...: argv[0] is the operation; returns the exit status. */
int vctl_proc_control(int argc, char **argv, bool json);

#endif /* VCTL_PROC_H */
