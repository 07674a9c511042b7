//! Integration tests of the engine with real replica processes (python3 and
//! sh), real shims, real sockets on 127.0.0.1 and real cgroups where the host
//! allows them.

mod adoption;
mod health;
mod logs;
mod memory;
mod restart;
mod sampling;
mod scaling;
mod side_by_side;
mod stop;
mod support;
