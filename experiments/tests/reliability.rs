//! Regression tests for the reliability issue's reproducers
//! (`tests/cases/`, from the fuzzing and stress campaign): a run must not
//! report a plausible-looking result that is wrong.

use std::path::Path;

use experiments::run::{RunOptions, run};
use experiments::scenario::Scenario;

fn case(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases").join(name);
    Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// `contradict_rst_closed_null.ron`: a Wi-Fi that flaps every few seconds
/// under fullmesh. A cellular subflow that only the server's end closed (by
/// a reset) was reported with `close_reason: "rst"` and `closed_s: null`.
#[test]
fn a_subflow_closed_at_either_end_reports_when_with_the_reason_of_that_end() {
    let out = run(&case("contradict_rst_closed_null.ron"), &RunOptions::default()).expect("run");
    let subflows: Vec<_> = out.metrics.connections.iter().flat_map(|c| &c.subflows).collect();
    assert!(subflows.len() > 10, "the flaps open many subflows");
    for sf in &subflows {
        assert_eq!(sf.closed_s.is_some(), sf.close_reason.is_some(), "{sf:?}");
        if let (Some(closed), Some(est)) = (sf.closed_s, sf.established_s) {
            assert!(closed >= est, "{sf:?}");
        }
    }
    // The case that contradicted itself: a cellular subflow opened at 18.5 s.
    let cell = subflows
        .iter()
        .find(|s| s.iface == "cell" && s.opened_s == 18.5)
        .expect("the cellular subflow of 18.5 s");
    assert_eq!(cell.close_reason, Some("rst"));
    assert!(cell.closed_s.is_some_and(|t| t > 18.5), "{cell:?}");
}
