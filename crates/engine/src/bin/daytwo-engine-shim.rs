//! A stand-alone shim executable, used as `shim_exe` by the engine's own
//! tests. It is invoked exactly like the real binary: `<exe> shim <args…>`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    match args.next() {
        Some(word) if word == "shim" => daytwo_engine::shim::main(args.collect()),
        _ => {
            eprintln!("usage: daytwo-engine-shim shim <config.json>");
            ExitCode::from(2)
        }
    }
}
