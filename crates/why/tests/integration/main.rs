//! daytwo-why against real source trees: fixture repositories with real git
//! history (created by the tests with the `git` binary), one per language,
//! plus the example shop.

mod go;
mod java;
mod javascript;
mod lookup;
mod python;
mod rust;
mod support;
