//! The path manager's actions (`crate::path_manager::PmAction`), applied
//! to the connection: open subflows, MP_PRIO, zero window before a reset,
//! reset or abort a subflow, reinject, ADD_ADDR/REMOVE_ADDR.

use super::*;

pub(super) fn pm_close_reason(r: CloseReason) -> path_manager::CloseReason {
    match r {
        CloseReason::Fin => path_manager::CloseReason::Fin,
        CloseReason::Rst => path_manager::CloseReason::Rst,
        CloseReason::Timeout => path_manager::CloseReason::Timeout,
        CloseReason::Aborted => path_manager::CloseReason::Aborted,
    }
}

impl Connection {
    /// Common work after any input: PM actions, subflow health, orphan state.
    pub(super) fn after_input(&mut self, now: SimTime) {
        self.apply_pm_actions(now);
        self.update_meta_rtx(now);
        self.drive_close(now);
    }

    pub(super) fn apply_pm_actions(&mut self, now: SimTime) {
        if let Some(rx) = &self.rx
            && rx.fin_received()
            && !self.peer_fin_reported
        {
            self.peer_fin_reported = true;
            self.events.push_back(ConnEvent::PeerClosed);
        }
        while let Some(a) = self.pm.poll_action() {
            match a {
                PmAction::OpenInitialSubflow {
                    iface,
                    remote_addr,
                    mptcp,
                } => {
                    // The initial subflow opens without the backup bit; iOS flags a
                    // cellular one with MP_PRIO once connected (SetBackup).
                    self.open_subflow(now, iface, remote_addr, None, false, mptcp);
                }
                PmAction::OpenSubflow {
                    iface,
                    local_addr_id,
                    remote,
                    backup,
                } => {
                    if self.remote_key.is_some() && self.mptcp {
                        self.open_subflow(now, iface, remote.addr, Some(local_addr_id), backup, true);
                    }
                }
                PmAction::SetBackup { subflow, backup } => {
                    if let Some(sf) = self.slot_of(subflow.0 as usize).map(|i| &mut self.subflows[i]) {
                        sf.backup_local = backup;
                        sf.pending_prio = Some(backup);
                        sf.tcp.request_ack();
                    }
                }
                PmAction::AdvertiseZeroWindow { subflow } => {
                    if let Some(sf) = self.slot_of(subflow.0 as usize).map(|i| &mut self.subflows[i])
                        && sf.is_open()
                    {
                        sf.tcp.set_zero_window(true);
                        // XNU mptcp_subflow_mustrst_ev -> tcp_respond: a bare
                        // ACK with window 0 and no options goes out at once,
                        // before the RST that follows (the connection's
                        // control queue is served first by poll_transmit).
                        let mut seg = sf.tcp.respond_ack(now);
                        seg.options = TcpOptions::default();
                        seg.options_len.forget();
                        self.out_queue.push_back(seg);
                    }
                }
                PmAction::ResetSubflow { subflow, .. } | PmAction::AbortSubflow { subflow } => {
                    if let Some(idx) = self.slot_of(subflow.0 as usize)
                        && self.subflows[idx].is_open()
                    {
                        if matches!(a, PmAction::AbortSubflow { .. }) {
                            // The interface is gone: the RST cannot leave.
                            self.subflows[idx].tcp.abort_silently();
                        } else {
                            self.subflows[idx].tcp.abort();
                        }
                        self.drain_subflow(now, idx);
                        if self.subflows[idx].is_open() {
                            self.on_subflow_closed(now, idx, CloseReason::Aborted);
                        }
                    }
                }
                PmAction::CloseSubflow { subflow } => {
                    // Linux pm.c mptcp_pm_rm_addr_or_subflow: shutdown (a FIN
                    // after what the subflow holds), then mptcp_close_ssk.
                    // That is a FIN, not a RST: protocol.c __mptcp_close_ssk
                    // calls `__tcp_close(ssk, 0)` for a joined subflow and
                    // `tcp_shutdown(ssk, SEND_SHUTDOWN)` for the first one;
                    // it resets only when fast-closing
                    // (`__mptcp_subflow_disconnect` -> `tcp_disconnect`).
                    // The connection no longer sends new data on it: its
                    // state is FIN-WAIT from now on. `__tcp_close` orphans
                    // the joined subflow (tcp_orphan_retries: it gives up
                    // its FIN after 8 timeouts); the first keeps tcp_retries2.
                    if let Some(sf) = self.slot_of(subflow.0 as usize).map(|i| &mut self.subflows[i])
                        && sf.is_open()
                    {
                        if sf.initial {
                            sf.tcp.close();
                        } else {
                            sf.tcp.close_orphaned();
                        }
                    }
                }
                PmAction::Reinject { subflow } => {
                    let Some(idx) = self.slot_of(subflow.0 as usize) else {
                        continue;
                    };
                    let n = self.tx.reinject_from(idx);
                    if n > 0 {
                        self.events.push_back(ConnEvent::Reinjected {
                            from_subflow: subflow.0 as usize,
                            bytes: n,
                        });
                    }
                }
                PmAction::AnnounceAddress { addr_id, addr } => {
                    let hmac = self.remote_key.map_or(0, |rk| {
                        mptcp_crypto::add_addr_truncated_hmac(self.local_key, rk, addr_id, addr, None)
                    });
                    self.pending_opts.push_back(MptcpOption::AddAddr {
                        addr_id,
                        addr,
                        port: None,
                        echo: false,
                        truncated_hmac: hmac,
                    });
                }
                PmAction::RemoveAddress { addr_id } => {
                    self.pending_opts.push_back(MptcpOption::RemoveAddr {
                        addr_ids: AddrIds::one(addr_id),
                    });
                }
            }
        }
        self.flush_pending_opts();
    }

    /// Address signalling waits for a segment: ask an established subflow
    /// for an immediate ACK to carry it.
    pub(super) fn flush_pending_opts(&mut self) {
        if self.pending_opts.is_empty() {
            return;
        }
        // A subflow that is closing (FIN sent) does not carry them: see
        // `dss_options`.
        if let Some(sf) = self.subflows.iter_mut().find(|s| {
            s.is_open() && s.fully_established && matches!(s.tcp.state(), TcpState::Established | TcpState::CloseWait)
        }) {
            sf.tcp.request_ack();
        }
    }
}
