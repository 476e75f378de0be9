//! ringlab-cli: the native, headless face of the same simulation engine.

use std::process::ExitCode;

const HELP: &str = "\
ringlab-cli: run ringlab's simulation natively

USAGE:
    ringlab-cli <COMMAND> [OPTIONS]

COMMANDS:
    help        print this help
    version     print the version

OPTIONS:
    -h, --help       print this help
    -V, --version    print the version
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("help" | "-h" | "--help") => {
            print!("{HELP}");
            ExitCode::SUCCESS
        }
        Some("version" | "-V" | "--version") => {
            println!("ringlab-cli {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("ringlab-cli: unknown command `{other}` (try `ringlab-cli --help`)");
            ExitCode::from(2)
        }
    }
}
