//! One TCP subflow endpoint (to be written).
