//! Outputs unchanged, mechanically: a SHA-256 digest of every output file of
//! every built-in scenario (`mpsim reproduce NAME`) and of each built-in
//! sweep's `results.csv` (`mpsim sweep NAME`), compared with
//! `tests/golden/digests.txt`.
//!
//! A refactor must leave every digest as it is. A change of results is
//! deliberate: regenerate the file with
//! `MPSIM_BLESS=1 cargo test -p experiments --test golden` and name the
//! reason in the same commit.
//!
//! The heavy built-ins (`builtin::HEAVY`: dumbbell-1000, dumbbell-10000,
//! fattree-permutation; about 15 minutes and 1 GB on 2 cores) have their
//! own digests, `tests/golden/heavy-digests.txt`, checked by an ignored
//! test: `cargo test --release -p experiments --test golden -- --ignored`
//! (bless it the same way). Run it before and after a change meant to keep
//! outputs, such as a speed-up.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

const DIGESTS: &str = "tests/golden/digests.txt";
const HEAVY_DIGESTS: &str = "tests/golden/heavy-digests.txt";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every file under `dir`, relative paths in sorted order, with its digest.
fn digest_tree(dir: &Path, prefix: &str, out: &mut BTreeMap<String, String>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().expect("a name").to_string_lossy().into_owned();
        if p.is_dir() {
            digest_tree(&p, &format!("{prefix}{name}/"), out);
        } else {
            let bytes = std::fs::read(&p).expect("readable output");
            out.insert(format!("{prefix}{name}"), hex(&Sha256::digest(&bytes)));
        }
    }
}

fn mpsim(args: &[&str]) {
    let o = Command::new(env!("CARGO_BIN_EXE_mpsim"))
        .args(args)
        .output()
        .expect("mpsim runs");
    assert!(
        o.status.success(),
        "mpsim {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The built-in scenarios (`kind` "scenario") or sweeps, heavy or not.
fn builtin_names(kind: &str, heavy: bool) -> Vec<String> {
    let o = Command::new(env!("CARGO_BIN_EXE_mpsim"))
        .arg("list")
        .output()
        .expect("mpsim list runs");
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let all = match kind {
        "scenario" => experiments::builtin::BUILTIN,
        _ => experiments::builtin::SWEEPS,
    };
    let names: Vec<String> = all
        .iter()
        .map(|b| b.0.to_string())
        .filter(|n| experiments::builtin::HEAVY.contains(&n.as_str()) == heavy)
        .collect();
    for n in &names {
        assert!(text.contains(n.as_str()), "mpsim list names {n}");
    }
    names
}

#[test]
fn every_output_file_of_the_builtin_scenarios_and_sweeps_matches_its_recorded_digest() {
    check(false, DIGESTS);
}

#[test]
#[ignore = "the heavy built-ins take about 15 minutes: cargo test --release -p experiments --test golden -- --ignored"]
fn every_output_file_of_the_heavy_builtins_matches_its_recorded_digest() {
    check(true, HEAVY_DIGESTS);
}

/// Runs the built-ins (heavy or not) and compares every output's digest
/// with `digests` (or writes it, with MPSIM_BLESS).
fn check(heavy: bool, digests: &str) {
    let root = std::env::temp_dir().join(format!("mpsim-golden-{}-{heavy}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).expect("temp dir");
    let mut now = BTreeMap::new();
    for name in builtin_names("scenario", heavy) {
        let out = root.join(&name);
        mpsim(&["reproduce", &name, "--out", out.to_str().expect("utf-8 path")]);
        digest_tree(&out, &format!("scenario/{name}/"), &mut now);
    }
    for name in builtin_names("sweep", heavy) {
        let out = root.join(format!("sweep-{name}"));
        mpsim(&[
            "sweep",
            &name,
            "--out",
            out.to_str().expect("utf-8 path"),
            "--progress",
            "quiet",
        ]);
        let bytes = std::fs::read(out.join("results.csv")).expect("results.csv");
        now.insert(format!("sweep/{name}/results.csv"), hex(&Sha256::digest(&bytes)));
    }
    let _ = std::fs::remove_dir_all(&root);
    let text: String = now.iter().map(|(f, d)| format!("{d}  {f}\n")).collect();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(digests);
    if std::env::var_os("MPSIM_BLESS").is_some() {
        std::fs::write(&path, &text).expect("write the digests");
        return;
    }
    let recorded = std::fs::read_to_string(&path).unwrap_or_default();
    let was: BTreeMap<&str, &str> = recorded
        .lines()
        .filter_map(|l| l.split_once("  "))
        .map(|(d, f)| (f, d))
        .collect();
    let mut diffs = Vec::new();
    for (f, d) in &now {
        match was.get(f.as_str()) {
            Some(w) if w == d => {}
            Some(_) => diffs.push(format!("changed: {f}")),
            None => diffs.push(format!("new: {f}")),
        }
    }
    for f in was.keys() {
        if !now.contains_key(*f) {
            diffs.push(format!("gone: {f}"));
        }
    }
    assert!(
        diffs.is_empty(),
        "outputs differ from {digests}:\n{}\nIf the change is intended, run MPSIM_BLESS=1 cargo test -p experiments --test golden{} and name the reason in the commit.",
        diffs.join("\n"),
        if heavy { " -- --ignored" } else { "" }
    );
}
