//! Scenario files to runs to results, and the `mpsim` command line.

pub mod assemble;
pub mod builder;
pub mod builtin;
pub mod capacity;
pub mod demo;
pub mod figures;
pub mod flowstats;
pub mod fuzz;
pub mod fxhash;
pub mod host;
pub mod interrupt;
pub mod oracle;
pub mod pcap;
pub mod progress;
pub mod registry;
pub mod report;
pub mod run;
pub mod scenario;
pub mod sweep;
pub mod tcp_run;
pub mod theory;
pub mod timeseries;
pub mod topology;
pub mod traces;
pub mod transcode;
pub mod world;
