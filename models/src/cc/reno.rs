//! NewReno congestion control (to be written).
