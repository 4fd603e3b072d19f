/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vpoll internals shared by vpoll_main.c (the device) and vpoll_events.c
 * (the flight recorder and trace events).
 */
#ifndef _VPOLL_H
#define _VPOLL_H

#include <linux/list.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <uapi/vpoll.h>

/* One per open() of /dev/vpoll. */
struct vpoll_data {
	wait_queue_head_t wqh;	/* waiters; its lock also guards events */
	__poll_t events;	/* current readiness */
	u32 id;			/* instance id, as in vpoll_record.instance */
	struct list_head node;	/* on vpoll_instances */
};

int vpoll_events_init(void);
void vpoll_events_exit(void);

/*
 * Record one event (trace event + flight recorder). Any context. An ADD/DEL
 * with VPOLL_REC_WOKE in @flags also fires the vpoll_wake trace event.
 */
void vpoll_emit(enum vpoll_kind kind, const struct vpoll_data *vd, u32 arg,
		u32 events, u16 waiters, u16 exclusive, u32 flags);

/* True when a wake's waiter count would be kept (recorded or traced). */
bool vpoll_wake_wanted(void);

/* Wake read() consumers of the recorder; call without locks held. */
void vpoll_events_kick(void);

#endif /* _VPOLL_H */
