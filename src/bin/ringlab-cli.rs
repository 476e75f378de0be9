//! ringlab-cli: the native, headless face of the same simulation engine.

use std::process::ExitCode;

const HELP: &str = "\
ringlab-cli: run ringlab's simulation natively

USAGE:
    ringlab-cli <COMMAND> [OPTIONS]

COMMANDS:
    run         run a scenario: trace as JSON lines + summary (exit 0 ok, 1 failed, 2 bad file)
                ringlab-cli run SCENARIO.json [--seed N] [--until MS]
    explore     random fault schedules from the scenario's fault budget
                ringlab-cli explore SCENARIO.json --seeds N [--out FILE]
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
        Some("run") => {
            let code =
                ringlab::cli::run::main(&args[1..], &mut std::io::stdout(), &mut std::io::stderr());
            ExitCode::from(code)
        }
        Some("explore") => {
            let code = ringlab::cli::explore::main(
                &args[1..],
                &mut std::io::stdout(),
                &mut std::io::stderr(),
            );
            ExitCode::from(code)
        }
        Some(other) => {
            eprintln!("ringlab-cli: unknown command `{other}` (try `ringlab-cli --help`)");
            ExitCode::from(2)
        }
    }
}
