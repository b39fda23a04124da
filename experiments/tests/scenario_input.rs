//! Scenario input: every example in docs/scenarios.md parses, and bad input
//! never panics and is always reported as `FILE:LINE:COL: what is wrong;
//! what is expected`, at the offending value.

use std::path::Path;

use experiments::scenario::{Scenario, ScenarioError};
use proptest::prelude::*;

/// A well-formed scenario the tests below break one thing at a time.
const BASE: &str = r#"// A test scenario.
Scenario(
    name: "two-paths",
    description: "Wi-Fi comes up; the timeline then takes \"wlan\" down at \"45s\"",
    seed: 7,
    stop: "30s",
    client: ClientSpec(
        interfaces: [
            InterfaceSpec(
                name: "wifi",
                kind: Wifi,
                initially_up: false,
                uplink: LinkSpec(rate: "30Mbps", delay: "10ms"),
                downlink: LinkSpec(rate: "30Mbps", delay: "10ms"),
            ),
            InterfaceSpec(
                name: "cell",
                kind: Cellular,
                uplink: LinkSpec(rate: "10Mbps", delay: "60ms"),
                downlink: LinkSpec(rate: "10Mbps", delay: "60ms"),
            ),
        ],
    ),
    timeline: [
        IfaceUp(at: "5s", iface: "wifi"),
    ],
    connections: [
        ConnectionSpec(
            path_manager: handover,
            traffic: Download(bytes: "1MB"),
        ),
    ],
)
"#;

/// `BASE` with `from`, which must occur exactly once, replaced by `to`.
fn edit(from: &str, to: &str) -> String {
    assert_eq!(BASE.matches(from).count(), 1, "{from:?} must occur once in BASE");
    BASE.replacen(from, to, 1)
}

/// The 1-based (line, column in characters) of the `|` in `marked`, whose
/// text without the `|` occurs exactly once in `text`.
fn place(text: &str, marked: &str) -> (usize, usize) {
    let (before, after) = marked.split_once('|').expect("a | marks the place");
    let needle = format!("{before}{after}");
    assert_eq!(
        text.matches(&needle).count(),
        1,
        "{needle:?} must occur once in the text"
    );
    let at = text.find(&needle).unwrap() + before.len();
    let head = &text[..at];
    let line = head.matches('\n').count() + 1;
    let col = head.rsplit('\n').next().unwrap().chars().count() + 1;
    (line, col)
}

/// Parses `text`, expects an error at the `|` of `marked` whose message says
/// what is expected and contains each of `wants`.
fn assert_refused_at(text: &str, marked: &str, wants: &[&str]) -> ScenarioError {
    let e = Scenario::parse(Path::new("case.ron"), text).expect_err("the scenario should be refused");
    let shown = e.to_string();
    let (line, col) = place(text, marked);
    assert_eq!((e.line, e.col), (line, col), "wrong place: {shown}");
    assert!(shown.starts_with(&format!("case.ron:{line}:{col}: ")), "{shown}");
    assert!(
        e.message.contains("; expected "),
        "the message should say what is expected: {shown}"
    );
    for want in wants {
        assert!(e.message.contains(want), "{shown}\nshould contain {want:?}");
    }
    e
}

#[test]
fn the_base_scenario_of_these_tests_is_valid() {
    Scenario::parse(Path::new("base.ron"), BASE).unwrap_or_else(|e| panic!("{e}"));
}

/// The ```ron blocks of docs/scenarios.md: (line of their first line, text).
fn documented_examples() -> Vec<(usize, String)> {
    let doc = include_str!("../../docs/scenarios.md");
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in doc.lines().enumerate() {
        match &mut current {
            None if line.trim() == "```ron" => current = Some((i + 2, String::new())),
            None => {}
            Some(_) if line.trim() == "```" => blocks.extend(current.take()),
            Some((_, text)) => {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    assert!(current.is_none(), "a ```ron block in docs/scenarios.md is never closed");
    blocks
}

#[test]
fn every_ron_example_in_the_scenario_documentation_parses() {
    let blocks = documented_examples();
    assert!(
        blocks.len() >= 5,
        "expected at least 5 ron examples, found {}",
        blocks.len()
    );
    for (first_line, text) in &blocks {
        if let Err(e) = Scenario::parse(Path::new("docs/scenarios.md"), text) {
            panic!("the example starting at docs/scenarios.md:{first_line} does not parse: {e}");
        }
    }
}

#[test]
fn the_documented_defaults_are_the_defaults() {
    // The minimal example and the one with every field spelled out at its
    // documented default describe the same run.
    let blocks = documented_examples();
    let parse = |text: &str| {
        let mut sc = Scenario::parse(Path::new("docs/scenarios.md"), text).unwrap_or_else(|e| panic!("{e}"));
        for i in &mut sc.client.interfaces {
            for l in [&mut i.uplink, &mut i.downlink].into_iter().flatten() {
                l.buffer = Some(l.resolved_buffer());
            }
        }
        sc
    };
    let minimal = parse(&blocks[0].1);
    let spelled: Vec<_> = blocks.iter().filter(|(_, t)| t.contains("orphan_timeout")).collect();
    assert_eq!(spelled.len(), 1, "one example spells out every field");
    assert_eq!(parse(&spelled[0].1), minimal);
}

#[test]
fn an_unknown_field_is_reported_at_the_field_with_the_fields_allowed_there() {
    let text = edit("    seed: 7,\n", "    seed: 7,\n    sede: 8,\n");
    assert_refused_at(&text, "|sede: 8", &["unknown field `sede`", "`seed`", "`stop`"]);
    let text = edit(
        "delay: \"60ms\"),\n                downlink",
        "dealy: \"60ms\"),\n                downlink",
    );
    assert_refused_at(&text, "|dealy", &["unknown field `dealy`", "`delay`", "`jitter`"]);
}

#[test]
fn a_duration_with_an_unknown_unit_is_reported_at_the_value_with_the_units_accepted() {
    let text = edit(
        "delay: \"60ms\"),\n                downlink",
        "delay: \"40 parsecs\"),\n                downlink",
    );
    assert_refused_at(
        &text,
        "delay: |\"40 parsecs\"",
        &["\"40 parsecs\"", "ns, us, ms, s, min"],
    );
}

#[test]
fn a_zero_rate_is_reported_at_the_value() {
    let text = edit(
        "rate: \"10Mbps\", delay: \"60ms\"),\n                downlink",
        "rate: \"0Mbps\", delay: \"60ms\"),\n                downlink",
    );
    assert_refused_at(&text, "rate: |\"0Mbps\"", &["greater than zero", "Mbps"]);
}

#[test]
fn a_negative_duration_is_reported_at_the_value() {
    let text = edit("stop: \"30s\"", "stop: \"-30s\"");
    assert_refused_at(&text, "stop: |\"-30s\"", &["negative"]);
}

#[test]
fn a_negative_whole_number_is_reported_at_its_sign() {
    let text = edit("seed: 7", "seed: -7");
    assert_refused_at(&text, "seed: |-7", &["`-7`", "non-negative"]);
}

#[test]
fn a_negative_loss_probability_is_reported_at_the_probability() {
    let text = edit(
        "uplink: LinkSpec(rate: \"10Mbps\", delay: \"60ms\")",
        "uplink: LinkSpec(rate: \"10Mbps\", delay: \"60ms\", loss: Bernoulli(p: -0.1))",
    );
    assert_refused_at(&text, "p: |-0.1", &["cell uplink", "[0, 1]"]);
}

#[test]
fn a_timeline_event_naming_an_undefined_interface_is_reported_at_that_name() {
    // "wlan" also appears in the description and in a comment before the
    // event: the error must point at the event's value, not at a spelling.
    let text = edit(
        "        IfaceUp(at: \"5s\", iface: \"wifi\"),\n",
        "        IfaceUp(at: \"5s\", iface: \"wifi\"), // then \"wlan\" goes\n        IfaceDown(at: \"9s\", iface: \"wlan\"),\n",
    );
    assert_refused_at(
        &text,
        "iface: |\"wlan\")",
        &["\"wlan\"", "not defined", "\"wifi\", \"cell\""],
    );
}

#[test]
fn the_second_of_two_events_is_reported_when_only_it_names_an_undefined_interface() {
    let text = edit(
        "        IfaceUp(at: \"5s\", iface: \"wifi\"),\n",
        "        IfaceUp(at: \"5s\", iface: \"wifi\"),\n        IfaceDown(at: \"5s\", iface: \"wifi0\"),\n",
    );
    assert_refused_at(&text, "iface: |\"wifi0\"", &["\"wifi0\""]);
}

#[test]
fn an_event_after_the_stop_time_is_reported_at_its_time() {
    // "45s" also appears, escaped, in the description.
    let text = edit(
        "        IfaceUp(at: \"5s\", iface: \"wifi\"),\n",
        "        IfaceUp(at: \"5s\", iface: \"wifi\"),\n        IfaceDown(at: \"45s\", iface: \"wifi\"),\n",
    );
    assert_refused_at(
        &text,
        "IfaceDown(at: |\"45s\"",
        &["45s", "after the stop time 30s", "up to 30s"],
    );
}

#[test]
fn an_event_after_the_stop_time_is_found_however_its_time_is_written() {
    // Printed as 45s, written as 45000ms.
    let text = edit(
        "        IfaceUp(at: \"5s\", iface: \"wifi\"),\n",
        "        IfaceUp(at: \"5s\", iface: \"wifi\"),\n        IfaceDown(at: \"45000ms\", iface: \"wifi\"),\n",
    );
    assert_refused_at(&text, "at: |\"45000ms\"", &["45s"]);
}

#[test]
fn a_missing_comma_is_reported_just_after_the_value_that_wants_one() {
    let text = edit("kind: Cellular,", "kind: Cellular");
    assert_refused_at(&text, "kind: Cellular|", &["comma", "`,`"]);
    // A comment between the value and the next field changes nothing.
    let text = edit("seed: 7,", "seed: 7 // the seed\n   ");
    assert_refused_at(&text, "seed: 7| //", &["comma"]);
}

#[test]
fn an_unclosed_parenthesis_is_reported_where_it_opens() {
    // Inside a list: the `]` comes while IfaceUp( is open.
    let text = edit(
        "IfaceUp(at: \"5s\", iface: \"wifi\"),",
        "IfaceUp(at: \"5s\", iface: \"wifi\",",
    );
    assert_refused_at(&text, "|IfaceUp(", &["never closed", "`)`", "`]`"]);
    // One line of a structure: the next line's `)` closes it in the wrong place.
    let text = edit(
        "downlink: LinkSpec(rate: \"10Mbps\", delay: \"60ms\"),",
        "downlink: LinkSpec(rate: \"10Mbps\", delay: \"60ms\",",
    );
    assert_refused_at(&text, "downlink: |LinkSpec(rate: \"10Mbps\"", &["never closed", "`)`"]);
    // The last `)` of the file.
    let text = BASE.trim_end().strip_suffix(')').unwrap().to_string();
    assert_refused_at(&text, "|Scenario(", &["never closed", "end of the file"]);
}

#[test]
fn a_value_of_the_wrong_type_is_reported_at_the_value_with_the_type_expected() {
    let text = edit(
        "rate: \"30Mbps\", delay: \"10ms\"),\n                downlink",
        "rate: 30, delay: \"10ms\"),\n                downlink",
    );
    assert_refused_at(&text, "rate: |30,", &["found `30`", "quoted", "\"20Mbps\""]);
    let text = edit("initially_up: false", "initially_up: 0");
    assert_refused_at(&text, "initially_up: |0", &["`true` or `false`"]);
    let text = edit("seed: 7", "seed: \"seven\"");
    assert_refused_at(&text, "seed: |\"seven\"", &["whole number"]);
    let text = edit("seed: 7", "seed: 7.5");
    assert_refused_at(&text, "seed: 7|.5", &["`.5`"]);
}

#[test]
fn an_unknown_name_is_reported_with_the_names_allowed() {
    let text = edit("kind: Cellular", "kind: Cell");
    assert_refused_at(&text, "kind: |Cell,", &["`Cell`", "`Wifi`, `Cellular` or `Wired`"]);
    let text = edit("path_manager: handover", "path_manager: fulmesh");
    assert_refused_at(&text, "|fulmesh", &["`fullmesh`", "`handover`", "`aggregate`"]);
    let text = edit(
        "path_manager: handover",
        "path_manager: handover(fail_thresh: 2, app: other)",
    );
    assert_refused_at(
        &text,
        "handover(fail_thresh: 2, app: |other)",
        &["path manager `handover`", "`first_party`"],
    );
}

#[test]
fn a_missing_required_field_is_reported_at_the_structure_that_lacks_it() {
    let text = edit("                kind: Cellular,\n", "");
    assert_refused_at(
        &text,
        "|InterfaceSpec(\n                name: \"cell\"",
        &["`kind`", "`InterfaceSpec`"],
    );
}

#[test]
fn a_field_given_twice_is_reported_at_the_second() {
    let text = edit("seed: 7,", "seed: 7, seed: 8,");
    assert_refused_at(&text, "seed: 7, |seed: 8", &["`seed`", "twice"]);
}

#[test]
fn a_second_interface_with_the_same_name_is_reported_at_the_second_name() {
    let text = edit("name: \"cell\"", "name: \"wifi\"");
    let first = place(&text, "name: |\"wifi\",\n                kind: Wifi");
    let e = assert_refused_at(
        &text,
        "name: |\"wifi\",\n                kind: Cellular",
        &["\"wifi\"", "twice", "unique"],
    );
    assert!(e.message.contains(&format!("first at {}:{}", first.0, first.1)), "{e}");
}

#[test]
fn a_loss_probability_above_one_is_reported_at_that_probability() {
    let text = edit(
        "downlink: LinkSpec(rate: \"30Mbps\", delay: \"10ms\")",
        "downlink: LinkSpec(rate: \"30Mbps\", delay: \"10ms\", loss: Bernoulli(p: 1.5))",
    );
    assert_refused_at(&text, "p: |1.5", &["wifi downlink", "p = 1.5", "[0, 1]"]);
    let text = edit(
        "downlink: LinkSpec(rate: \"30Mbps\", delay: \"10ms\")",
        "downlink: LinkSpec(rate: \"30Mbps\", delay: \"10ms\", loss: GilbertElliott(p: 0.1, r: 0.3, loss_bad: 2.0))",
    );
    assert_refused_at(&text, "loss_bad: |2.0", &["loss_bad = 2", "[0, 1]"]);
}

#[test]
fn an_empty_file_is_reported_at_line_one_as_having_no_scenario() {
    assert_refused_at("", "|", &["no scenario", "Scenario("]);
    let e = Scenario::parse(Path::new("case.ron"), "\n  // nothing here\n").unwrap_err();
    assert_eq!(e.line, 2, "{e}");
    assert!(e.message.contains("no scenario"), "{e}");
}

#[test]
fn text_after_the_end_of_the_scenario_is_reported_where_it_starts() {
    let text = format!("{BASE}  Extra(");
    assert_refused_at(&text, "|Extra(", &["found `Extra`", "after the end of the scenario"]);
}

#[test]
fn traffic_of_zero_bytes_is_reported_at_its_size() {
    let text = edit("bytes: \"1MB\"", "bytes: \"0B\"");
    assert_refused_at(&text, "bytes: |\"0B\"", &["0B", "at least 1B"]);
}

#[test]
fn a_stop_time_beyond_a_century_is_reported_at_the_stop() {
    let text = edit("stop: \"30s\"", "stop: \"60000000min\"");
    assert_refused_at(&text, "stop: |\"60000000min\"", &["too long", "100 years"]);
}

#[test]
fn an_optional_field_may_be_written_bare_or_as_some() {
    for buffer in ["Packets(50)", "Some(Packets(50))", "Bytes(\"64KiB\")"] {
        let text = edit(
            "uplink: LinkSpec(rate: \"10Mbps\", delay: \"60ms\")",
            &format!("uplink: LinkSpec(rate: \"10Mbps\", delay: \"60ms\", buffer: {buffer})"),
        );
        let sc = Scenario::parse(Path::new("case.ron"), &text).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            sc.client.interfaces[1]
                .uplink
                .as_ref()
                .is_some_and(|l| l.buffer.is_some()),
            "{buffer}"
        );
    }
}

#[test]
fn a_buffer_of_zero_packets_written_inside_some_is_reported_at_the_buffer() {
    let text = edit(
        "uplink: LinkSpec(rate: \"10Mbps\", delay: \"60ms\")",
        "uplink: LinkSpec(rate: \"10Mbps\", delay: \"60ms\", buffer: Some(Packets(0)))",
    );
    assert_refused_at(&text, "buffer: |Some(", &["0 packets", "at least 1"]);
}

#[test]
fn a_file_that_is_not_utf8_is_reported_at_its_first_bad_byte() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("scenario_input_utf8");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("latin1.ron");
    let mut bytes = b"Scenario(\n    name: \"caf".to_vec();
    bytes.push(0xe9); // 'é' in Latin-1
    bytes.extend_from_slice(b"\",\n)");
    std::fs::write(&file, bytes).unwrap();
    let e = Scenario::load(&file).unwrap_err();
    assert_eq!((e.line, e.col), (2, 15), "{e}");
    assert!(e.message.contains("UTF-8"), "{e}");
}

#[test]
fn a_missing_file_is_reported_by_name_without_a_position() {
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join("no-such-scenario.ron");
    let e = Scenario::load(&file).unwrap_err();
    let shown = e.to_string();
    assert!(
        shown.starts_with(&format!("{}: cannot read", file.display())),
        "{shown}"
    );
    assert!(shown.contains("; expected"), "{shown}");
}

/// Parses `text` and checks the error, if any, is placed inside the text.
fn parse_never_panics_and_places_errors_in_the_text(text: &str) -> Result<(), TestCaseError> {
    let result = std::panic::catch_unwind(|| Scenario::parse(Path::new("fuzz.ron"), text));
    let Ok(result) = result else {
        return Err(TestCaseError::fail(format!("Scenario::parse panicked on {text:?}")));
    };
    if let Err(e) = result {
        let lines = text.lines().count().max(1);
        prop_assert!(
            e.line >= 1 && e.line <= lines,
            "line {} of {lines}: {e}\n{text:?}",
            e.line
        );
        prop_assert!(e.col >= 1, "{e}\n{text:?}");
        let line_chars = text.lines().nth(e.line - 1).map_or(0, |l| l.chars().count());
        prop_assert!(
            e.col <= line_chars + 1,
            "column {} of {line_chars}: {e}\n{text:?}",
            e.col
        );
        prop_assert!(e.message.contains("expected"), "{e}");
    }
    Ok(())
}

/// One edit of a text, by positions drawn as fractions of its length.
#[derive(Clone, Debug)]
enum Mutation {
    Delete(f64, usize),
    Insert(f64, String),
    Replace(f64, char),
    SwapLines(f64, f64),
    Truncate(f64),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let fragment = prop_oneof![
        Just(String::from(",")),
        Just(String::from("(")),
        Just(String::from(")")),
        Just(String::from("]")),
        Just(String::from("\"")),
        Just(String::from("//")),
        Just(String::from("/*")),
        Just(String::from("-")),
        Just(String::from("é")),
        Just(String::from("IfaceDown(at: \"1s\", iface: \"x\"),")),
        "[ -~]{1,6}",
    ];
    prop_oneof![
        (0.0..1.0, 1usize..8).prop_map(|(at, n)| Mutation::Delete(at, n)),
        (0.0..1.0, fragment).prop_map(|(at, s)| Mutation::Insert(at, s)),
        (0.0..1.0, any::<char>()).prop_map(|(at, c)| Mutation::Replace(at, c)),
        (0.0..1.0, 0.0..1.0).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (0.0..1.0).prop_map(Mutation::Truncate),
    ]
}

fn apply(text: &str, m: &Mutation) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let at = |f: f64, len: usize| ((f * len as f64) as usize).min(len);
    match m {
        Mutation::Delete(f, n) => {
            let i = at(*f, chars.len());
            let end = (i + n).min(chars.len());
            chars.drain(i..end);
        }
        Mutation::Insert(f, s) => {
            let i = at(*f, chars.len());
            chars.splice(i..i, s.chars());
        }
        Mutation::Replace(f, c) => {
            let i = at(*f, chars.len());
            if i < chars.len() {
                chars[i] = *c;
            }
        }
        Mutation::SwapLines(a, b) => {
            let mut lines: Vec<&str> = text.split('\n').collect();
            let (i, j) = (at(*a, lines.len() - 1), at(*b, lines.len() - 1));
            lines.swap(i, j);
            return lines.join("\n");
        }
        Mutation::Truncate(f) => chars.truncate(at(*f, chars.len())),
    }
    chars.into_iter().collect()
}

const CELL_LINK: &str = "uplink: LinkSpec(rate: \"10Mbps\", delay: \"60ms\"),";

#[test]
fn queue_disciplines_with_tc_parameters_are_accepted() {
    for q in [
        "qdisc: CoDel(target: \"5ms\", interval: \"100ms\", limit: 1000)",
        "qdisc: CoDel()",
        "qdisc: FqCoDel(limit: 10240, flows: 1024, quantum: 1514, target: \"5ms\", interval: \"100ms\", drop_batch: 64)",
        "qdisc: Red(limit: \"400KB\", min: \"30KB\", max: \"90KB\", avpkt: \"1000B\", burst: 55, probability: 0.02, bandwidth: \"10Mbps\")",
        "qdisc: Red(limit: \"400KB\")",
        "qdisc: DropTail, buffer: Packets(50)",
    ] {
        let text = edit(
            CELL_LINK,
            &format!("uplink: LinkSpec(rate: \"10Mbps\", delay: \"60ms\", {q}),"),
        );
        Scenario::parse(Path::new("q.ron"), &text).unwrap_or_else(|e| panic!("{q}: {e}"));
    }
}

#[test]
fn a_bad_qdisc_parameter_is_reported_at_the_value() {
    let q = |p: &str| {
        edit(
            CELL_LINK,
            &format!("uplink: LinkSpec(rate: \"10Mbps\", delay: \"60ms\", qdisc: {p}),"),
        )
    };
    assert_refused_at(
        &q("CoDel(target: \"0ms\")"),
        "target: |\"0ms\"",
        &["CoDel", "target of 0"],
    );
    assert_refused_at(&q("CoDel(interval: \"0s\")"), "interval: |\"0s\"", &["interval of 0"]);
    assert_refused_at(&q("CoDel(limit: 0)"), "limit: |0", &["limit of 0"]);
    assert_refused_at(&q("FqCoDel(flows: 70000)"), "flows: |70000", &["1 to 65536"]);
    assert_refused_at(&q("FqCoDel(quantum: 100)"), "quantum: |100", &["at least 256"]);
    assert_refused_at(
        &q("Red(limit: \"400KB\", min: \"90KB\", max: \"90KB\")"),
        "min: |\"90KB\"",
        &["min is not smaller than max"],
    );
    assert_refused_at(
        &q("Red(limit: \"400KB\", max: \"500KB\")"),
        "max: |\"500KB\"",
        &["larger than limit"],
    );
    assert_refused_at(
        &q("Red(limit: \"400KB\", probability: 1.5)"),
        "probability: |1.5",
        &["(0, 1]"],
    );
    assert_refused_at(&q("Red(limit: \"400KB\", burst: 1)"), "burst: |1", &["too small"]);
    assert_refused_at(&q("CoDel(taget: \"5ms\")"), "|taget", &["target"]);
    assert_refused_at(&q("Codel()"), "qdisc: |Codel()", &["CoDel"]);
}

#[test]
fn a_buffer_beside_an_aqm_is_refused_as_tc_has_no_such_thing() {
    let text = edit(
        CELL_LINK,
        "uplink: LinkSpec(rate: \"10Mbps\", delay: \"60ms\", buffer: Packets(50), qdisc: CoDel()),",
    );
    assert_refused_at(&text, "buffer: |Packets(50)", &["own `limit`", "expected no buffer"]);
}

#[test]
fn link_changes_name_a_link_direction_and_change_something() {
    let ok = edit(
        "IfaceUp(at: \"5s\", iface: \"wifi\"),",
        "IfaceUp(at: \"5s\", iface: \"wifi\"),\n        SetLink(at: \"6s\", link: \"cell.down\", rate: \"2Mbps\", delay: \"80ms\", loss: Bernoulli(p: 0.01), buffer: Packets(20)),\n        Blackhole(at: \"7s\", iface: \"cell\"),\n        Restore(at: \"8s\", iface: \"cell\"),",
    );
    Scenario::parse(Path::new("ok.ron"), &ok).unwrap_or_else(|e| panic!("{e}"));
    let ev = |e: &str| edit("IfaceUp(at: \"5s\", iface: \"wifi\"),", e);
    assert_refused_at(
        &ev("SetLink(at: \"6s\", link: \"cell\", rate: \"2Mbps\"),"),
        "link: |\"cell\"",
        &["link direction", "\"cell.down\""],
    );
    assert_refused_at(
        &ev("SetLink(at: \"6s\", link: \"cell.up\"),"),
        "link: |\"cell.up\"",
        &["changes nothing"],
    );
    assert_refused_at(
        &ev("SetLink(at: \"6s\", link: \"cell.up\", loss: Bernoulli(p: 2.0)),"),
        "loss: |Bernoulli",
        &["loss"],
    );
    assert_refused_at(
        &ev("SetLink(at: \"6s\", link: \"cell.up\", buffer: Packets(0)),"),
        "buffer: |Packets(0)",
        &["0 packets"],
    );
    assert_refused_at(
        &ev("Blackhole(at: \"6s\", iface: \"lte\"),"),
        "iface: |\"lte\"",
        &["not defined"],
    );
    assert_refused_at(
        &ev("SetLink(at: \"60s\", link: \"cell.up\", rate: \"1Mbps\"),"),
        "at: |\"60s\"",
        &["after the stop time"],
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic_and_any_error_is_placed_in_the_text(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let text = String::from_utf8_lossy(&bytes);
        parse_never_panics_and_places_errors_in_the_text(&text)?;
    }

    #[test]
    fn random_edits_of_builtin_scenarios_never_panic_and_any_error_is_placed_in_the_text(
        which in any::<prop::sample::Index>(),
        edits in prop::collection::vec(mutation(), 1..5),
    ) {
        let builtins = experiments::builtin::BUILTIN;
        let mut text = builtins[which.index(builtins.len())].2.to_string();
        for m in &edits {
            text = apply(&text, m);
        }
        parse_never_panics_and_places_errors_in_the_text(&text)?;
    }

    #[test]
    fn random_edits_of_the_documented_examples_never_panic_and_any_error_is_placed_in_the_text(
        which in any::<prop::sample::Index>(),
        edits in prop::collection::vec(mutation(), 1..5),
    ) {
        let examples = documented_examples();
        let mut text = examples[which.index(examples.len())].1.clone();
        for m in &edits {
            text = apply(&text, m);
        }
        parse_never_panics_and_places_errors_in_the_text(&text)?;
    }
}

#[test]
fn tcp_settings_that_cannot_run_are_reported_at_the_setting() {
    let text = edit(
        "traffic: Download(bytes: \"1MB\"),",
        "traffic: Download(bytes: \"1MB\"), tcp: TcpSpec(rto_min: \"2s\", rto_max: \"1s\"),",
    );
    assert_refused_at(&text, "rto_min: |\"2s\"", &["rto_min 2s", "rto_max 1s"]);
    let text = edit(
        "traffic: Download(bytes: \"1MB\"),",
        "traffic: Download(bytes: \"1MB\"), tcp: TcpSpec(initial_window_segments: 0),",
    );
    assert_refused_at(&text, "initial_window_segments: |0", &["expected 1 to 1000"]);
    let text = edit(
        "traffic: Download(bytes: \"1MB\"),",
        "traffic: Download(bytes: \"1MB\"), tcp: TcpSpec(sack: false, timestamps: false, rto_rule: ClampVariance),",
    );
    let sc = Scenario::parse(Path::new("case.ron"), &text).unwrap_or_else(|e| panic!("{e}"));
    assert!(!sc.connections[0].tcp.sack && !sc.connections[0].tcp.timestamps);
}

#[test]
fn rack_tlp_in_rfc6675_recovery_without_prr_or_the_linux_loss_response_is_refused_at_the_switch() {
    // It never leaves its first fast recovery (docs/validation.md).
    let text = edit(
        "traffic: Download(bytes: \"1MB\"),",
        "traffic: Download(bytes: \"1MB\"), tcp: TcpSpec(profile: Rfc6675, rack_tlp: true),",
    );
    assert_refused_at(&text, "rack_tlp: |true", &["prr: true", "loss_response: Linux"]);
    let text = edit(
        "traffic: Download(bytes: \"1MB\"),",
        "traffic: Download(bytes: \"1MB\"), tcp: TcpSpec(profile: Linux6, prr: false, loss_response: Rfc5681),",
    );
    assert_refused_at(&text, "prr: |false", &["rack_tlp: false"]);
    // With PRR, with Linux's loss response, or without SACK it runs.
    for ok in [
        "TcpSpec(profile: Rfc6675, rack_tlp: true, prr: true)",
        "TcpSpec(profile: Rfc6675, rack_tlp: true, loss_response: Linux)",
        "TcpSpec(profile: Rfc6675, rack_tlp: true, sack: false)",
        "TcpSpec(profile: Linux6, prr: false)",
    ] {
        let text = edit(
            "traffic: Download(bytes: \"1MB\"),",
            &format!("traffic: Download(bytes: \"1MB\"), tcp: {ok},"),
        );
        Scenario::parse(Path::new("case.ron"), &text).unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
}

#[test]
fn a_tcp_profile_and_its_switches_are_read_and_an_unknown_one_is_reported_at_it() {
    let text = edit(
        "traffic: Download(bytes: \"1MB\"),",
        "traffic: Download(bytes: \"1MB\"), tcp: TcpSpec(profile: Linux6, prr: false, slow_start_exit: HyStartPlusPlus),",
    );
    let sc = Scenario::parse(Path::new("case.ron"), &text).unwrap_or_else(|e| panic!("{e}"));
    let cfg = sc.connections[0].tcp.config(1460);
    assert_eq!(cfg.rto_estimator, models::tcp::RtoEstimator::Linux);
    assert_eq!(cfg.slow_start_exit, models::tcp::SlowStartExit::HyStartPlusPlus);
    assert!(!cfg.prr);
    let text = edit(
        "traffic: Download(bytes: \"1MB\"),",
        "traffic: Download(bytes: \"1MB\"), tcp: TcpSpec(profile: Linux5),",
    );
    assert_refused_at(&text, "profile: |Linux5", &["Linux5"]);
}

#[test]
fn a_server_path_manager_that_runs_only_on_clients_is_reported_at_it() {
    let text = edit(
        "traffic: Download(bytes: \"1MB\"),",
        "traffic: Download(bytes: \"1MB\"), server_path_manager: handover,",
    );
    assert_refused_at(
        &text,
        "server_path_manager: |handover",
        &["`handover`", "does not run on a server"],
    );
    let text = edit(
        "traffic: Download(bytes: \"1MB\"),",
        "traffic: Download(bytes: \"1MB\"), server_path_manager: fullmesh(address_event_delay: \"0ms\"),",
    );
    let sc = Scenario::parse(Path::new("case.ron"), &text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        sc.connections[0].server_path_manager.as_ref().map(|p| p.name()),
        Some("fullmesh")
    );
}

#[test]
fn a_capture_point_that_names_no_host_interface_or_link_is_refused_listing_the_names() {
    let text = BASE.replace(
        "    connections: [",
        "    record: RecordSpec(pcap_at: \"wlan0\"),\n    connections: [",
    );
    assert_refused_at(
        &text,
        "pcap_at: |\"wlan0\"",
        &[
            "\"wlan0\"",
            "\"client\"",
            "\"server\"",
            "\"wifi\"",
            "\"cell\"",
            "\"wifi.down\"",
            "link direction",
        ],
    );
    let ok = text.replace("\"wlan0\"", "\"cell\"");
    Scenario::parse(Path::new("case.ron"), &ok).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn an_endpoint_change_naming_a_flag_linux_cannot_change_is_reported_at_its_flags() {
    let text = edit(
        "        IfaceUp(at: \"5s\", iface: \"wifi\"),\n",
        "        IfaceUp(at: \"5s\", iface: \"wifi\"),\n        EndpointFlags(at: \"6s\", iface: \"cell\", flags: [backup, subflow]),\n",
    );
    assert_refused_at(
        &text,
        "flags: |[backup, subflow]",
        &["only `backup` and `fullmesh`", "ip mptcp endpoint change"],
    );
}

#[test]
fn an_endpoint_both_signal_and_fullmesh_is_reported_at_its_flags() {
    let text = edit(
        "        IfaceUp(at: \"5s\", iface: \"wifi\"),\n",
        "        IfaceUp(at: \"5s\", iface: \"wifi\"),\n        EndpointAdd(at: \"6s\", iface: \"cell\", flags: [signal, fullmesh]),\n",
    );
    assert_refused_at(&text, "flags: |[signal, fullmesh]", &["`signal` and `fullmesh`"]);
}

#[test]
fn an_in_kernel_limit_above_eight_is_refused_with_linuxs_maximum() {
    let text = edit("path_manager: handover", "path_manager: in_kernel(subflows: 9)");
    assert_refused_at(&text, "subflows: |9", &["`subflows` is 9", "at most 8"]);
}
