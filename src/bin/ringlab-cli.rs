//! ringlab-cli: the native, headless face of the same simulation engine.

#[cfg(not(target_arch = "wasm32"))]
use std::io::Write;
use std::process::ExitCode;

#[cfg(not(target_arch = "wasm32"))]
use ringlab::cli::{self, CliError, HELP};

/// The CLI is native: a wasm32 build of this binary (`--all-targets`) only says so.
#[cfg(target_arch = "wasm32")]
fn main() -> ExitCode {
    ExitCode::from(2)
}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> ExitCode {
    let mut args = Vec::new();
    for a in std::env::args_os().skip(1) {
        match a.into_string() {
            Ok(s) => args.push(s),
            Err(raw) => {
                eprintln!("ringlab-cli: argument {raw:?} is not valid UTF-8");
                return ExitCode::from(2);
            }
        }
    }
    let wants_help = args.iter().any(|a| a == "-h" || a == "--help");
    match args.first().map(String::as_str) {
        None | Some("help" | "-h" | "--help") => {
            print!("{HELP}");
            ExitCode::SUCCESS
        }
        Some("version" | "-V" | "--version") => {
            println!("ringlab-cli {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Some("place") if wants_help => {
            print!("{HELP}");
            ExitCode::SUCCESS
        }
        Some("place") => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            report(cli::place::run(&args[1..], &mut out).and_then(|()| {
                out.flush()
                    .or_else(|e| match e.kind() {
                        std::io::ErrorKind::BrokenPipe => Ok(()),
                        _ => Err(e),
                    })
                    .map_err(|e| CliError::Output(format!("place: cannot write output: {e}")))
            }))
        }
        Some("list") => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            report(cli::list::run(&args[1..], &mut out).and_then(|()| {
                out.flush()
                    .map_err(|e| CliError::Output(format!("list: cannot write output: {e}")))
            }))
        }
        Some("run") => {
            let code = cli::run::main(&args[1..], &mut std::io::stdout(), &mut std::io::stderr());
            ExitCode::from(code)
        }
        Some("explore") => {
            let code =
                cli::explore::main(&args[1..], &mut std::io::stdout(), &mut std::io::stderr());
            ExitCode::from(code)
        }
        Some("check") => {
            let code = cli::check::main(&args[1..], &mut std::io::stdout(), &mut std::io::stderr());
            ExitCode::from(code)
        }
        Some("kv") => {
            let stdin = std::io::stdin();
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            let code = cli::kv::main(
                &args[1..],
                &mut stdin.lock(),
                &mut out,
                &mut std::io::stderr(),
            );
            ExitCode::from(code)
        }
        Some("contention") => {
            let code =
                cli::contention::main(&args[1..], &mut std::io::stdout(), &mut std::io::stderr());
            ExitCode::from(code)
        }
        #[cfg(feature = "proto-saga")]
        Some("compare") => {
            let code =
                cli::compare::main(&args[1..], &mut std::io::stdout(), &mut std::io::stderr());
            ExitCode::from(code)
        }
        Some(other) => {
            eprintln!("ringlab-cli: unknown command `{other}` (try `ringlab-cli --help`)");
            ExitCode::from(2)
        }
    }
}

/// One line on stderr and the error's exit code, or success.
#[cfg(not(target_arch = "wasm32"))]
fn report(result: Result<(), CliError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ringlab-cli: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
