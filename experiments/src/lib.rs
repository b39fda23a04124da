//! Scenario files to runs to results, and the `mpsim` command line.

pub mod demo;
pub mod scenario;
pub mod tcp_run;
pub mod theory;
pub mod world;
