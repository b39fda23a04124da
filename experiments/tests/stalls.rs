//! End-to-end runs of scenarios that used to report `completed` while data
//! had stopped moving (silent stalls): every byte must now arrive, in a
//! reasonable time. The scenario files are the reproducers as found.

use std::path::Path;

use experiments::run::{RunOptions, run};
use experiments::scenario::Scenario;

/// Runs the scenario in `tests/stalls/<name>.ron`; its one connection's
/// (bytes requested, bytes delivered, completion time in seconds).
fn outcome(name: &str) -> (u64, u64, Option<f64>) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/stalls/{name}.ron"));
    let sc = Scenario::load(&file).expect("valid scenario");
    let out = run(&sc, &RunOptions::default()).expect("run");
    let c = &out.metrics.connections[0];
    (
        c.bytes_requested.expect("finite traffic"),
        c.bytes_delivered,
        c.completion_s,
    )
}

/// Asserts every requested byte arrived, completing before `within_s`.
fn assert_completes(name: &str, within_s: f64) {
    let (requested, delivered, completion) = outcome(name);
    assert_eq!(delivered, requested, "{name}: bytes delivered");
    let t = completion.expect("completion time");
    assert!(t < within_s, "{name}: completed at {t} s");
}

/// BLEST with a two-segment receive buffer, Wi-Fi down and up twice: the
/// second Wi-Fi join used to name an address id other than the announced
/// one, so the REMOVE_ADDR missed it and the server kept the dead subflow
/// as BLEST's fast path (it completes with min_rtt in 21.2 s).
#[test]
fn blest_download_across_two_wifi_flaps_with_a_tiny_receive_buffer_delivers_every_byte() {
    assert_completes("stall_blest_tiny_rcvbuf_two_flaps", 40.0);
}

/// An upload at 20 % loss with Wi-Fi flapping: joins whose third ACK the
/// server acknowledged on a lost segment used to stay pre-established for
/// ever (nothing else comes back in an upload), until no subflow could
/// carry data; the third ACK is now retransmitted on a timer.
#[test]
fn upload_across_wifi_flaps_at_20_percent_loss_delivers_every_byte() {
    assert_completes("stall_upload_after_flaps_loss20", 60.0);
}

/// Redundant scheduler, two-segment receive buffer, 2 % loss, an upload:
/// the 80 bytes at the data-level head were handed to the slow subflow
/// only, behind data already data-acknowledged that its peer window lets
/// out only in 80-byte window probes; the connection-level retransmission
/// timer now resends the head on the other subflow.
#[test]
fn redundant_upload_with_a_tiny_receive_buffer_and_loss_delivers_every_byte() {
    assert_completes("stall_redundant_upload_tiny_rcvbuf_loss", 60.0);
}

/// The same with requests and responses (the server's responses stall).
#[test]
fn redundant_requests_and_responses_with_a_tiny_receive_buffer_and_loss_deliver_every_byte() {
    assert_completes("stall_redundant_reqresp_tiny_rcvbuf_loss", 60.0);
}
