// SPDX-License-Identifier: GPL-2.0
/*
 * Race windows for tests, in VK_RACE_DELAY=y builds only (vkmod.h).
 *
 * Races of a few instructions rarely show under emulation.  A race test
 * opens the window at a named site for race_ms, through the race_sites
 * parameter, and the debug kernel's KASAN (or the test's own check) sees
 * what happens in it.
 */
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/moduleparam.h>
#include "vkmod.h"

static unsigned int race_sites;
module_param(race_sites, uint, 0600);
MODULE_PARM_DESC(race_sites, "debug builds: mask of BIT(enum v_race_site) to widen");

static unsigned int race_ms = 200;
module_param(race_ms, uint, 0600);
MODULE_PARM_DESC(race_ms, "debug builds: how long each window is held open, ms (at most 10000)");

/* The window of site, ms (0: closed). */
static unsigned int v_race_ms(enum v_race_site site)
{
	return READ_ONCE(race_sites) & BIT(site) ? min(READ_ONCE(race_ms), 10000U) : 0;
}

/* In softirq or under a lock: busy-wait. */
void v_race_delay(enum v_race_site site)
{
	unsigned int ms = v_race_ms(site);

	if (ms)
		mdelay(ms);
}

/* In process context with no lock held: sleep, the CPU is the guest's other job. */
void v_race_sleep(enum v_race_site site)
{
	unsigned int ms = v_race_ms(site);

	if (ms)
		msleep(ms);
}

unsigned long v_race_jiffies(enum v_race_site site)
{
	return msecs_to_jiffies(v_race_ms(site));
}
