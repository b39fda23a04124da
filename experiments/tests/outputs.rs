//! `docs/outputs.md` against the files a run writes: every column and
//! metrics field is documented, interfaces are named alike in every file,
//! data sequence numbers are relative (exact as floats), and the pandas
//! snippet loads a real run directory.

use std::path::{Path, PathBuf};
use std::process::Command;

const DOC: &str = include_str!("../../docs/outputs.md");

/// Two paths, a 1 MB download, stop at 5 s.
const TWO_PATHS: &str = r#"Scenario(
    name: "two",
    stop: "5s",
    client: ClientSpec(
        interfaces: [
            InterfaceSpec(
                name: "wifi",
                kind: Wifi,
                uplink: LinkSpec(rate: "20Mbps", delay: "10ms"),
                downlink: LinkSpec(rate: "20Mbps", delay: "10ms"),
            ),
            InterfaceSpec(
                name: "cell",
                kind: Cellular,
                uplink: LinkSpec(rate: "10Mbps", delay: "30ms"),
                downlink: LinkSpec(rate: "10Mbps", delay: "30ms"),
            ),
        ],
    ),
    connections: [
        ConnectionSpec(traffic: Download(bytes: "1MB")),
    ],
)
"#;

/// A run of `TWO_PATHS` in `DIR/out`, for one test.
fn run(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("outputs").join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("two.ron");
    std::fs::write(&f, TWO_PATHS).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_mpsim"))
        .args([
            "run",
            f.to_str().unwrap(),
            "--out",
            dir.join("out").to_str().unwrap(),
            "-q",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    dir
}

fn csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines.map(|l| l.split(',').map(String::from).collect()).collect();
    (header, rows)
}

/// Every key of a JSON value, recursively.
fn keys(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                out.push(k.clone());
                keys(x, out);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| keys(x, out)),
        _ => {}
    }
}

#[test]
fn docs_outputs_md_names_every_csv_column_and_metrics_field() {
    let dir = run("columns");
    for f in ["timeseries.csv", "sequence.csv"] {
        let (header, _) = csv(&dir.join("out").join(f));
        let section = &DOC[DOC
            .find(&format!("## `{f}`"))
            .unwrap_or_else(|| panic!("no section for {f}"))..];
        let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
        for col in header {
            assert!(
                section.contains(&format!("| `{col}` |")),
                "{f}: column {col} is not documented"
            );
        }
    }
    let text = std::fs::read_to_string(dir.join("out/metrics.json")).unwrap();
    let mut all = Vec::new();
    keys(&serde_json::from_str(&text).unwrap(), &mut all);
    for k in all {
        assert!(
            DOC.contains(&format!("`{k}`")),
            "metrics.json field {k} is not documented"
        );
    }
}

#[test]
fn interfaces_are_named_alike_and_sequence_numbers_are_relative_in_every_file() {
    let dir = run("relative").join("out");
    let (h, seq) = csv(&dir.join("sequence.csv"));
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (iface, from_server, dsn, len, ack) = (
        col("iface"),
        col("from_server"),
        col("dsn"),
        col("len"),
        col("data_ack"),
    );
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("metrics.json")).unwrap()).unwrap();
    let names: Vec<&str> = metrics["connections"][0]["subflows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["iface"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["wifi", "cell"]);
    let data: Vec<&Vec<String>> = seq.iter().filter(|r| r[from_server] == "1" && r[len] != "0").collect();
    assert_eq!(data[0][dsn], "0", "the first data byte is 0");
    let top: u64 = data
        .iter()
        .map(|r| r[dsn].parse::<u64>().unwrap() + r[len].parse::<u64>().unwrap())
        .max()
        .unwrap();
    assert_eq!(top, 1_000_000);
    let client_acks: Vec<u64> = seq
        .iter()
        .filter(|r| r[from_server] == "0" && !r[ack].is_empty())
        .map(|r| r[ack].parse().unwrap())
        .collect();
    // The DATA_FIN takes one.
    assert_eq!(client_acks.iter().max(), Some(&1_000_001));
    assert!(
        seq.iter().all(|r| names.contains(&r[iface].as_str())),
        "sequence.csv iface"
    );
    let (h, ts) = csv(&dir.join("timeseries.csv"));
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (host, sub, ts_iface, ts_ack) = (col("host"), col("subflow"), col("iface"), col("data_ack"));
    let subflow_rows: Vec<&Vec<String>> = ts.iter().filter(|r| !r[sub].is_empty()).collect();
    assert!(
        subflow_rows.iter().all(|r| names.contains(&r[ts_iface].as_str())),
        "timeseries.csv iface"
    );
    // The client's subflow numbers index metrics.json's subflows.
    for r in subflow_rows.iter().filter(|r| r[host] == "client") {
        let k: usize = r[sub].parse().unwrap();
        assert_eq!(names[k], r[ts_iface]);
    }
    let last_ack: u64 = ts
        .iter()
        .rev()
        .find(|r| r[sub].is_empty() && r[host] == "client")
        .map(|r| r[ts_ack].parse().unwrap())
        .unwrap();
    assert_eq!(last_ack, 1_000_001);
}

/// The ```python block of docs/outputs.md, run by `$MPSIM_PYTHON` (default
/// python3) beside a run directory `out`; skipped without pandas, unless
/// `MPSIM_REQUIRE_PANDAS` is set (CI).
#[test]
fn the_pandas_snippet_of_docs_outputs_md_loads_a_run_directory() {
    let python = std::env::var("MPSIM_PYTHON").unwrap_or_else(|_| "python3".into());
    let has_pandas = Command::new(&python)
        .args(["-c", "import pandas"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_pandas {
        // CI installs pandas and must not skip (as with tshark).
        assert!(
            std::env::var_os("MPSIM_REQUIRE_PANDAS").is_none(),
            "MPSIM_REQUIRE_PANDAS is set but {python} has no pandas"
        );
        eprintln!("skipped: {python} has no pandas (set MPSIM_PYTHON to a python with pandas)");
        return;
    }
    let dir = run("pandas");
    let start = DOC.find("```python\n").unwrap() + "```python\n".len();
    let snippet = &DOC[start..start + DOC[start..].find("```").unwrap()];
    let o = Command::new(&python)
        .args(["-c", snippet])
        .current_dir(&dir)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The last table: the bytes the server sent per interface, at least
    // the 1 MB of the download.
    let lines: Vec<&str> = out.lines().collect();
    let last = lines.iter().rposition(|l| *l == "iface").expect("a table by iface");
    let bytes: u64 = lines[last + 1..]
        .iter()
        .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .sum();
    assert!((1_000_000..1_100_000).contains(&bytes), "{out}");
    assert!(out.contains("bytes_sent") && out.contains("srtt_ms_mean"), "{out}");
}
