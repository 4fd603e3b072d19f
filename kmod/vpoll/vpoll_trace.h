/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vpoll trace events, one per record kind (vpoll:vpoll_open, vpoll_add,
 * vpoll_del, vpoll_poll, vpoll_wake, vpoll_release), with the same fields as
 * struct vpoll_record (pid, comm, cpu and time come from the trace buffer's
 * own headers).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM vpoll

#if !defined(_VPOLL_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _VPOLL_TRACE_H

#include <linux/tracepoint.h>

DECLARE_EVENT_CLASS(vpoll_record_class,
		    TP_PROTO(u32 instance, u32 arg, u32 events, u16 waiters,
			     u16 exclusive, u32 flags),
		    TP_ARGS(instance, arg, events, waiters, exclusive, flags),
		    TP_STRUCT__entry(__field(u32, instance)
				     __field(u32, arg)
				     __field(u32, events)
				     __field(u16, waiters)
				     __field(u16, exclusive)
				     __field(u32, flags)),
		    TP_fast_assign(__entry->instance = instance;
				   __entry->arg = arg;
				   __entry->events = events;
				   __entry->waiters = waiters;
				   __entry->exclusive = exclusive;
				   __entry->flags = flags;),
		    TP_printk("instance=%u arg=0x%x events=0x%x waiters=%u exclusive=%u flags=0x%x",
			      __entry->instance, __entry->arg, __entry->events,
			      __entry->waiters, __entry->exclusive,
			      __entry->flags));

DEFINE_EVENT(vpoll_record_class, vpoll_open,
	     TP_PROTO(u32 instance, u32 arg, u32 events, u16 waiters,
		      u16 exclusive, u32 flags),
	     TP_ARGS(instance, arg, events, waiters, exclusive, flags));

DEFINE_EVENT(vpoll_record_class, vpoll_add,
	     TP_PROTO(u32 instance, u32 arg, u32 events, u16 waiters,
		      u16 exclusive, u32 flags),
	     TP_ARGS(instance, arg, events, waiters, exclusive, flags));

DEFINE_EVENT(vpoll_record_class, vpoll_del,
	     TP_PROTO(u32 instance, u32 arg, u32 events, u16 waiters,
		      u16 exclusive, u32 flags),
	     TP_ARGS(instance, arg, events, waiters, exclusive, flags));

DEFINE_EVENT(vpoll_record_class, vpoll_poll,
	     TP_PROTO(u32 instance, u32 arg, u32 events, u16 waiters,
		      u16 exclusive, u32 flags),
	     TP_ARGS(instance, arg, events, waiters, exclusive, flags));

DEFINE_EVENT(vpoll_record_class, vpoll_wake,
	     TP_PROTO(u32 instance, u32 arg, u32 events, u16 waiters,
		      u16 exclusive, u32 flags),
	     TP_ARGS(instance, arg, events, waiters, exclusive, flags));

DEFINE_EVENT(vpoll_record_class, vpoll_release,
	     TP_PROTO(u32 instance, u32 arg, u32 events, u16 waiters,
		      u16 exclusive, u32 flags),
	     TP_ARGS(instance, arg, events, waiters, exclusive, flags));

#endif /* _VPOLL_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE vpoll_trace
#include <trace/define_trace.h>
