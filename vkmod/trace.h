/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of vkmod (ftrace / perf: events vkmod:*).
 *
 * Every transaction event names its transaction by (client, seq): the id
 * of the process that called Send and its transaction number, the same on
 * every host the transaction visits, so one transaction can be followed
 * from the client's host through forwarders to the replying host.  host is
 * the host part of the kernel that traced the event.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM vkmod

#if !defined(_VKMOD_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _VKMOD_TRACE_H

#include <linux/tracepoint.h>

DECLARE_EVENT_CLASS(v_txn_class,
		    TP_PROTO(u32 host, u64 client, u32 seq, u64 peer, u64 len),
		    TP_ARGS(host, client, seq, peer, len),
		    TP_STRUCT__entry(__field(u32, host)
				     __field(u64, client)
				     __field(u32, seq)
				     __field(u64, peer)
				     __field(u64, len)),
		    TP_fast_assign(__entry->host = host;
				   __entry->client = client;
				   __entry->seq = seq;
				   __entry->peer = peer;
				   __entry->len = len;),
		    TP_printk("host=%08x client=%016llx seq=%u peer=%016llx len=%llu",
			      __entry->host, __entry->client, __entry->seq,
			      __entry->peer, __entry->len));

#define V_TXN_EVENT(name)						\
	DEFINE_EVENT(v_txn_class, name,					\
		     TP_PROTO(u32 host, u64 client, u32 seq, u64 peer, u64 len), \
		     TP_ARGS(host, client, seq, peer, len))

/* A Send starts: peer is the destination, len the granted segment. */
V_TXN_EVENT(v_send);
/* A message is received: peer is the receiver. */
V_TXN_EVENT(v_receive);
/* A Reply: peer is the replier, len the segment data it carries. */
V_TXN_EVENT(v_reply);
/* A Forward: peer is the new receiver. */
V_TXN_EVENT(v_forward);
/* MoveTo into the client's segment: peer is the mover, len the bytes. */
V_TXN_EVENT(v_move_to);
/* MoveFrom out of the client's segment: peer is the mover, len the bytes. */
V_TXN_EVENT(v_move_from);
/* A REQUEST sent again: peer is the destination. */
V_TXN_EVENT(v_retransmit);

/* A frame dropped; reason is the counter (enum v_stat) that counts it. */
TRACE_EVENT(v_drop,
	    TP_PROTO(u32 host, int reason),
	    TP_ARGS(host, reason),
	    TP_STRUCT__entry(__field(u32, host)
			     __field(int, reason)),
	    TP_fast_assign(__entry->host = host;
			   __entry->reason = reason;),
	    TP_printk("host=%08x reason=%d", __entry->host, __entry->reason));

#endif /* _VKMOD_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
