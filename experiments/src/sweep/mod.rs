//! Parameter sweeps: a sweep file ([`plan`]), its runs in parallel with a
//! journal, resume and shards ([`exec`]), the CSV outputs ([`results`]) and
//! the figures ([`figures`]). See `docs/sweeps.md` and `docs/cluster.md`.

pub mod exec;
pub mod figures;
pub mod plan;
pub mod results;

pub use exec::{
    MergeReport, ProgressMode, Shard, SweepError, SweepOptions, SweepReport, default_runner, merge, run_sweep,
};
pub use plan::{Axis, FigureSpec, PlanInfo, Sweep};
