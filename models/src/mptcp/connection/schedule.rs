//! Driving the packet scheduler (`crate::scheduler`): which subflow carries
//! the next new data and where the reinject queue goes, in the order
//! documented in `crate::scheduler` (reinjections first, then new data,
//! the receive-buffer optimisation when the peer's window blocks), and
//! iOS's per-packet choice when the client's path manager makes it.
//!
//! The scheduler's views of the subflows are built once per call; after a
//! hand-over only the one field a hand-over changes, the queued bytes of
//! the subflows that got data, is read again (debug builds rebuild every
//! view and compare). A scheduler that answers Wait whenever no subflow is
//! available (`Scheduler::waits_when_none_available`) is asked only while
//! one is, judged from the views: before the loop (they are built first,
//! since an input nearly always leaves a subflow available) and after
//! each hand-over.
//! The call reports why it stopped when the reason lasts until an input
//! ([`Settled`]), so that the next poll may skip it (see `poll`).

use super::poll::Settled;
use super::*;

impl Connection {
    /// Hands data from the connection to subflows, as the scheduler
    /// decides; returns why it stopped, if the reason holds until an input
    /// (see `poll`).
    pub(super) fn schedule(&mut self, now: SimTime) -> Settled {
        if self.subflows.is_empty() {
            return Settled::No;
        }
        if !self.mptcp {
            self.plain_schedule();
            return Settled::No;
        }
        // Nothing to place: the loop below would build the views and stop
        // at once (empty reinject queue, no unsent data; the scheduler is
        // not asked then).
        if self.tx.reinject_queue().is_empty() && self.tx.unsent_bytes() == 0 {
            return Settled::NothingToPlace;
        }
        // The views are built once; a hand-over changes only the queued
        // bytes of the subflows it went to (and the data level, whose view
        // is rebuilt each round), so only those are read again after it
        // (`refresh_views_after`).
        self.scheduler_views();
        // No subflow can take data and the scheduler then answers Wait
        // without side effects: the loop below would ask once (reinject
        // head, then new data), get Wait both times and stop, changing
        // nothing. Judged from the views just built, which the loop needs
        // anyway whenever one is available (an input nearly always opens
        // a window: the test costs no second look at the subflows then).
        let vouched = self.schedule_waits();
        if vouched && !self.views.iter().any(|v| v.available(0)) {
            debug_assert!(!self.subflows.iter().any(Subflow::available_to_scheduler));
            return Settled::NoneAvailable;
        }
        debug_assert!(!vouched || self.subflows.iter().any(Subflow::available_to_scheduler));
        let mss = self.cfg.tcp.mss_bytes as u64;
        let mut handed = SubflowSet::EMPTY;
        for _ in 0..4096 {
            if !handed.is_empty() {
                self.refresh_views_after(handed);
                handed = SubflowSet::EMPTY;
                // As before the loop: with no subflow available, the
                // scheduler would answer Wait twice and the loop stop, so
                // it is not asked.
                if vouched && !self.views.iter().any(|v| v.available(0)) {
                    debug_assert!(!self.subflows.iter().any(Subflow::available_to_scheduler));
                    return Settled::NoneAvailable;
                }
            }
            let conn = ConnView {
                mss_bytes: self.cfg.tcp.mss_bytes,
                data_acked_dsn: self.tx.snd_una(),
                meta_snd_wnd_bytes: self.tx.window_left_bytes() + (self.tx.snd_nxt() - self.tx.snd_una()),
                unsent_bytes: self.tx.unsent_bytes(),
                peer_data_fin_on: None,
            };
            // 1. The reinject queue first (Linux __mptcp_next_segment).
            if let Some(head) = self.tx.reinject_queue().first() {
                let len = (head.end - head.start).min(mss);
                let sent_on = self.sent_on(head.start..head.start + len);
                let seg = SegView {
                    dsn: head.start,
                    len_bytes: len,
                    sent_on,
                    reinjection: true,
                    data_fin: false,
                };
                match self.scheduler.reinject_target(now, &conn, &self.views, &seg) {
                    Decision::Send { subflow, max_bytes } | Decision::Resend { subflow, max_bytes, .. } => {
                        let room = self.room(subflow);
                        let want = max_bytes.min(self.seg_bytes(subflow)).min(room);
                        if want == 0 {
                            break;
                        }
                        // The scheduler chose `subflow` for the head (with
                        // Linux's path-mask rules), so the head goes, even
                        // if `subflow` carried it before.
                        if let Some(r) = self.tx.take_reinject_head(subflow, want) {
                            let n = r.end - r.start;
                            self.stats.reinjected_bytes += n;
                            self.subflows[subflow].tcp.send_mapped(n, r.start);
                            handed.insert(subflow);
                            self.report_sent(
                                now,
                                Sent {
                                    subflow,
                                    dsn: r.start,
                                    len_bytes: n,
                                    kind: SentKind::Reinjection,
                                },
                            );
                            continue;
                        }
                        break;
                    }
                    Decision::SendOn { subflows, max_bytes } => {
                        let mut any = false;
                        for sfi in subflows.iter() {
                            let want = max_bytes.min(self.seg_bytes(sfi)).min(self.room(sfi));
                            if want == 0 {
                                continue; // no room on this one (take_reinject would find nothing)
                            }
                            if let Some(r) = self.tx.take_reinject(sfi, want) {
                                let n = r.end - r.start;
                                self.stats.reinjected_bytes += n;
                                self.subflows[sfi].tcp.send_mapped(n, r.start);
                                handed.insert(sfi);
                                any = true;
                                // Reported to the owner only: the scheduler is
                                // not told of a redundant reinjection (as before).
                                if self.cfg.report_segments {
                                    self.events.push_back(ConnEvent::Scheduled(Sent {
                                        subflow: self.subflows[sfi].id,
                                        dsn: r.start,
                                        len_bytes: n,
                                        kind: SentKind::Reinjection,
                                    }));
                                }
                            }
                        }
                        if !any {
                            break;
                        }
                        continue;
                    }
                    Decision::Wait => {}
                }
            }
            // 2. New data.
            if self.tx.unsent_bytes() == 0 {
                break;
            }
            let len = self.tx.unsent_bytes().min(mss);
            let seg = SegView {
                dsn: self.tx.snd_nxt(),
                len_bytes: len,
                sent_on: SubflowSet::default(),
                reinjection: false,
                data_fin: false,
            };
            let decision = match self.ios_choice(now) {
                Some(d) => d,
                None => self.scheduler.next_for_new_data(now, &conn, &self.views, &seg),
            };
            match decision {
                Decision::Send { subflow, max_bytes } => {
                    let want = max_bytes.min(self.seg_bytes(subflow)).min(self.room(subflow));
                    if self.tx.window_left_bytes() == 0 {
                        self.rcv_buf_optimization(now, subflow);
                        break;
                    }
                    match self.tx.take_new(subflow, want) {
                        Some(r) => {
                            let n = r.end - r.start;
                            self.subflows[subflow].tcp.send_mapped(n, r.start);
                            handed.insert(subflow);
                            self.report_sent(
                                now,
                                Sent {
                                    subflow,
                                    dsn: r.start,
                                    len_bytes: n,
                                    kind: SentKind::NewData,
                                },
                            );
                        }
                        None => break,
                    }
                }
                Decision::SendOn { subflows, max_bytes } => {
                    let want = subflows
                        .iter()
                        .map(|s| self.room(s).min(self.seg_bytes(s)))
                        .min()
                        .unwrap_or(0)
                        .min(max_bytes);
                    let Some(first) = subflows.iter().next() else { break };
                    let Some(r) = self.tx.take_new(first, want) else { break };
                    let n = r.end - r.start;
                    for sfi in subflows.iter() {
                        if sfi != first {
                            self.tx.record_on(sfi, r.clone());
                        }
                        self.subflows[sfi].tcp.send_mapped(n, r.start);
                        handed.insert(sfi);
                        self.report_sent(
                            now,
                            Sent {
                                subflow: sfi,
                                dsn: r.start,
                                len_bytes: n,
                                kind: SentKind::NewData,
                            },
                        );
                    }
                }
                Decision::Resend {
                    subflow,
                    dsn,
                    max_bytes,
                } => {
                    let want = max_bytes.min(self.seg_bytes(subflow)).min(self.room(subflow));
                    if want == 0 || dsn < self.tx.snd_una() {
                        break;
                    }
                    self.tx.record_on(subflow, dsn..dsn + want);
                    self.subflows[subflow].tcp.send_mapped(want, dsn);
                    self.stats.meta_retransmitted_bytes += want;
                    self.report_sent(
                        now,
                        Sent {
                            subflow,
                            dsn,
                            len_bytes: want,
                            kind: SentKind::MetaRetransmission,
                        },
                    );
                    break;
                }
                Decision::Wait => break,
            }
        }
        Settled::No
    }

    /// Whether the scheduler answers Wait, without side effects, whenever
    /// no subflow is available ([`scheduler::Scheduler::waits_when_none_available`]),
    /// and nothing else is asked first: the iOS path manager's per-packet
    /// choice (a client asks it before the scheduler) may have side effects.
    pub(super) fn schedule_waits(&self) -> bool {
        self.scheduler.waits_when_none_available()
            && !(self.cfg.role == Role::Client && self.pm.chooses_sender_subflow())
    }

    /// Brings the views up to date after a hand-over to the subflows in
    /// `handed`. A hand-over (`TcpEndpoint::send_mapped`) only queues bytes
    /// on the subflow: of its view only `queued_bytes` (the subflow's unsent
    /// bytes) changes, so that field is read again instead of the whole
    /// view being rebuilt (the data level's own view, `ConnView`, is built
    /// each round). Debug builds rebuild every view and compare; with the
    /// poll's shortcuts off (the general path, which the connection's
    /// property test compares segment by segment) every view is rebuilt.
    fn refresh_views_after(&mut self, handed: SubflowSet) {
        if !self.poll.shortcuts() {
            self.scheduler_views();
            return;
        }
        for i in handed.iter() {
            self.views[i].queued_bytes = self.subflows[i].tcp.unsent_bytes();
        }
        #[cfg(debug_assertions)]
        {
            let kept = self.views.clone();
            self.scheduler_views();
            debug_assert_eq!(kept, self.views, "a hand-over changed a view it was not expected to");
        }
    }

    /// The client-side iOS per-packet choice (XNU mptcp_get_subflow), if
    /// the path manager makes one.
    pub(super) fn ios_choice(&mut self, now: SimTime) -> Option<Decision> {
        if self.cfg.role != Role::Client {
            return None;
        }
        let health: Vec<SubflowHealth> = (0..self.subflows.len())
            .filter(|&i| self.subflows[i].is_open())
            .map(|i| self.health(i))
            .collect();
        match self.pm.choose_sender_subflow(now, &health) {
            SenderChoice::Defer => None,
            SenderChoice::Choose { send_on: Some(sf), .. } => match self.slot_of(sf.0 as usize) {
                Some(idx) => Some(Decision::Send {
                    subflow: idx,
                    max_bytes: self.room(idx),
                }),
                None => Some(Decision::Wait),
            },
            SenderChoice::Choose { send_on: None, .. } => Some(Decision::Wait),
        }
    }

    /// Room a subflow has for new data: its congestion window left, minus
    /// what is already queued in it (Linux `mptcp_is_temp_unavailable`);
    /// with upstream's scheduler, as many windows as it lets a subflow hold
    /// (`Scheduler::subflow_queue_cwnds`).
    pub(super) fn room(&self, idx: usize) -> u64 {
        let t = &self.subflows[idx].tcp;
        let smss = t.smss_bytes().max(1) as u64;
        let bytes = t
            .cwnd_bytes()
            .saturating_mul(self.scheduler.subflow_queue_cwnds())
            .saturating_sub(t.bytes_in_flight() + t.unsent_bytes())
            .min(t.send_space());
        // Whole segments only, as Linux's cwnd test counts packets: handing
        // over a fraction of a segment would put a runt on the wire.
        bytes / smss * smss
    }

    /// The payload of one full segment on subflow `idx`.
    pub(super) fn seg_bytes(&self, idx: usize) -> u64 {
        self.subflows[idx].tcp.smss_bytes().max(1) as u64
    }

    pub(super) fn sent_on(&self, r: std::ops::Range<u64>) -> SubflowSet {
        let mut s = SubflowSet::default();
        for i in 0..self.subflows.len() {
            if self.tx.carried_by(i, r.clone()) {
                s.insert(i);
            }
        }
        s
    }

    /// Raiciu et al. (NSDI 2012) when the connection-level window blocks new data.
    pub(super) fn rcv_buf_optimization(&mut self, now: SimTime, chosen: usize) {
        if !self.cfg.opportunistic_retransmission || !self.scheduler.uses_rcv_buf_optimization() {
            return;
        }
        let una = self.tx.snd_una();
        if self.tx.snd_nxt() == una {
            return;
        }
        let mss = self.cfg.tcp.mss_bytes as u64;
        let head_len = (self.tx.snd_nxt() - una).min(mss);
        let head = SegView {
            dsn: una,
            len_bytes: head_len,
            sent_on: self.sent_on(una..una + head_len),
            reinjection: false,
            data_fin: false,
        };
        let input = opportunistic::RcvBufInput {
            chosen,
            head,
            trigger: opportunistic::Trigger::MetaWindowBlocked,
        };
        let action = opportunistic::rcv_buf_optimization(now, &input, &self.views);
        if !action.penalise.is_empty() {
            self.subflows[chosen].last_penalty_at = now;
            for p in action.penalise.iter() {
                self.subflows[p].tcp.penalise();
                self.stats.penalisations += 1;
            }
        }
        if let Some(rt) = action.retransmit {
            let want = rt.max_bytes.min(self.room(rt.subflow));
            if want > 0 && !self.tx.carried_by(rt.subflow, rt.dsn..rt.dsn + want) {
                self.tx.record_on(rt.subflow, rt.dsn..rt.dsn + want);
                self.subflows[rt.subflow].tcp.send_mapped(want, rt.dsn);
                self.stats.meta_retransmitted_bytes += want;
                self.report_sent(
                    now,
                    Sent {
                        subflow: rt.subflow,
                        dsn: rt.dsn,
                        len_bytes: want,
                        kind: SentKind::MetaRetransmission,
                    },
                );
            }
        }
        self.scheduler.on_rcv_buf_optimization(now, &action);
    }

    /// Tells the scheduler what was handed to which subflow and, when the
    /// connection reports segments, the owner too.
    pub(super) fn report_sent(&mut self, now: SimTime, sent: Sent) {
        self.scheduler.on_sent(now, &sent);
        if self.cfg.report_segments {
            // The scheduler names the subflow by slot, the owner by number.
            self.events.push_back(ConnEvent::Scheduled(Sent {
                subflow: self.subflows[sent.subflow].id,
                ..sent
            }));
        }
    }
}
