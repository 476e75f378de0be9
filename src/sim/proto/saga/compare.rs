//! Saga versus two-phase commit on the same checkout workload (filled in below).
