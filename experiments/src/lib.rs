//! Scenarios and runs (to be written).
