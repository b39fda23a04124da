//! Figures (to be written).
