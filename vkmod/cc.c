// SPDX-License-Identifier: GPL-2.0
/*
 * Congestion control of trains (MoveTo and MoveFrom over the wire), per
 * destination host part: additive increase, multiplicative decrease of
 * the blocks in flight, as TCP Reno does with its window, so a long Move
 * backs off a link that loses frames and two Moves to one host share it.
 *
 * cwnd counts blocks in flight to one host part, shared by every Move to
 * it: a train begun now has cwnd / (V_WIRE_TRAIN_WINDOW x movers) blocks
 * (1..V_WIRE_TRAIN), so each of the movers keeps its share in flight.  A
 * train that needed nothing sent again grows cwnd by V_CC_GROW blocks; one
 * that did (an ACK lacking blocks, or silence) halves it, at most once
 * per window: only a train begun after the last cut may cut again (the
 * epoch it carries), as a window's losses are one congestion event.
 *
 * cwnd starts at its ceiling, V_WIRE_TRAIN x V_WIRE_TRAIN_WINDOW (what a
 * Move kept in flight before this file): a LAN is mostly clean, and the
 * first loss brings it down.  Its floor is one block per train.
 *
 * The state lives in each path of the host part's mapping entry (map.c:
 * a window per link the host is reached by; the Moves counted go with
 * the current path), under map_lock; a host part the map does not hold
 * moves at the ceiling, and an entry dropped and learned again (stale,
 * aged, deleted) starts again at the ceiling with no movers counted (a
 * Move that ends then counts nothing down: the count never goes below
 * zero).
 *
 * A loss is an ACK of a MoveTo train that lacks blocks, or a MoveFrom
 * train whose last block came before all the others.  Silence is not:
 * the client's thread serves trains, and one that was not scheduled for
 * a while (or stopped) looks the same.
 */
#include "vkmod.h"

#define V_CC_MAX	(V_WIRE_TRAIN * V_WIRE_TRAIN_WINDOW)
#define V_CC_MIN	V_WIRE_TRAIN_WINDOW
#define V_CC_GROW	4	/* blocks per clean train */

void v_cc_init(struct v_cc *cc)
{
	cc->cwnd = V_CC_MAX;
	cc->movers = 0;
	cc->epoch = 0;
}

/* Blocks per train for a Move to a host part of this state. */
unsigned int v_cc_blocks(const struct v_cc *cc)
{
	unsigned int share = cc->cwnd / (V_WIRE_TRAIN_WINDOW * max_t(unsigned int, cc->movers, 1));

	return clamp_t(unsigned int, share, 1, V_WIRE_TRAIN);
}

/* A train begun at epoch ended; lost: something of it was sent again. */
void v_cc_done(struct v_cc *cc, bool lost, u32 epoch)
{
	if (!lost) {
		WRITE_ONCE(cc->cwnd, min_t(unsigned int, cc->cwnd + V_CC_GROW, V_CC_MAX));
		return;
	}
	if (epoch != cc->epoch)
		return;		/* this window was cut already */
	WRITE_ONCE(cc->cwnd, max_t(unsigned int, cc->cwnd / 2, V_CC_MIN));
	cc->epoch++;
}

/* The movers to a host part of this state: one more (d 1), one fewer (-1). */
void v_cc_join(struct v_cc *cc, int d)
{
	if (d > 0)
		cc->movers++;
	else if (cc->movers)
		cc->movers--;
}

