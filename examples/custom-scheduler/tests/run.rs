//! `largest_room` in whole runs: through the builder, and from a RON file
//! by the example's binary.

use experiments::builder::{Link, SimBuilder};
use experiments::scenario::IfaceKind;

#[test]
fn a_whole_download_completes_under_largest_room_through_the_builder() {
    let out = SimBuilder::new("largest-room")
        .registry(custom_scheduler::registry())
        .stop_ms(20_000)
        .interface("wifi", IfaceKind::Wifi, Link::symmetric_mbps(20, 10))
        .interface("cell", IfaceKind::Cellular, Link::symmetric_mbps(5, 40))
        .connection(|c| c.scheduler("largest_room").download_bytes(4_000_000))
        .run()
        .expect("the run");
    let c = &out.metrics.connections[0];
    assert_eq!(c.bytes_delivered, 4_000_000);
    assert!(c.completion_s.is_some());
    // Both paths carried data: the slower one has room too.
    assert!(
        c.subflows.iter().filter(|s| s.bytes_sent > 100_000).count() >= 2,
        "{:?}",
        c.subflows
    );
}

#[test]
fn the_binary_runs_a_scenario_file_that_names_largest_room() {
    let dir = std::env::temp_dir().join(format!("largest-room-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_custom-scheduler"))
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/largest-room.ron"))
        .arg(&dir)
        .output()
        .expect("the binary runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("4000000 bytes delivered"));
    let ron = std::fs::read_to_string(dir.join("scenario.ron")).unwrap();
    assert!(
        ron.contains("largest_room(min_room_segments: 1)") || ron.contains("largest_room("),
        "{ron}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
