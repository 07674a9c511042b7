//! Integration tests of daytwo-rollout: the driver against a seeded fake
//! target (the `Target` trait is the seam; the real target is tested in the
//! daemon), and seeded canary simulations against synthetic workloads.

mod canary;
mod fake_target;
mod simulation;
mod workload;
