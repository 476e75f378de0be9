//! `ringlab-cli list`: the bundled scenarios, one per line, from the same index as the
//! browser's gallery and the docs page (`model::catalog`), so a script can find a scenario's
//! id without opening the app.

use std::io::Write;

use super::CliError;
use crate::model::catalog::{parse_index, INDEX_JSON};

/// Writes `id<TAB>mechanism<TAB>title` per scenario (or one JSON object per line with
/// `--json`), in index order.
pub fn run(args: &[String], out: &mut impl Write) -> Result<(), CliError> {
    let mut json = false;
    for a in args {
        match a.as_str() {
            "--json" => json = true,
            other => return Err(CliError::Usage(format!("list: unknown option `{other}`"))),
        }
    }
    let entries = parse_index(INDEX_JSON).map_err(CliError::Usage)?;
    let write = |out: &mut dyn Write, line: String| {
        writeln!(out, "{line}").map_err(|e| CliError::Output(format!("list: cannot write: {e}")))
    };
    for e in &entries {
        let line = if json {
            serde_json::json!({
                "id": e.id,
                "mechanism": e.mechanism,
                "title": e.title,
                "faults": e.faults,
                "violation": e.violation,
            })
            .to_string()
        } else {
            format!("{}\t{}\t{}", e.id, e.mechanism, e.title)
        };
        write(out, line)?;
    }
    Ok(())
}
