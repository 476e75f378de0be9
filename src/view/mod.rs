//! Pure geometry between the simulation and the painter: testable natively.
