//! The consistent hash ring (filled in by the hash-ring work).
