//! Wire lengths and encodings of TCP and MPTCP options (to be written).
