//! The commands of `ringlab-cli`, kept in the library so their logic is unit-testable; the
//! binary only collects arguments, prints and picks the exit code.

use std::fmt;

pub mod check;
#[cfg(feature = "proto-saga")]
pub mod compare;
pub mod contention;
pub mod engine;
pub mod explore;
pub mod history;
pub mod kv;
pub mod list;
pub mod place;
pub mod run;

/// The text `ringlab-cli help` prints; kept here so tests can check every command is listed.
pub const HELP: &str = "\
ringlab-cli: run ringlab's simulation natively

USAGE:
    ringlab-cli <COMMAND> [OPTIONS]

COMMANDS:
    place       place keys on a consistent-hash ring, one JSON object per key
    run         run a scenario: trace as JSON lines, then a summary line
    explore     run many seeds with random faults from the scenario's fault budget
    check       explore every interleaving of an abstract protocol (2pc), or check a
                history for linearizability (history)
    kv          run a Redis, etcd or ZooKeeper command script against the lab's models
    contention  the optimistic-concurrency backoff experiment (calls and time per policy)
    compare     saga-vs-2pc: the same checkout workload and faults as a saga and as 2PC
    list        list the bundled scenarios: id, mechanism, title (--json for more)
    help        print this help
    version     print the version

PLACE:
    ringlab-cli place --nodes a,b,c [--vnodes 100] [--weights a=2,b=0.5]
                      [--down b] [--replicas 3] (--keys k1,k2 | --keys-file F)

    --nodes N1,N2,...   node names (required; no commas or control characters)
    --vnodes V          virtual nodes per unit of weight, 1..=1000 (default 100)
    --weights N=W,...   node weights, finite and > 0 (default 1)
    --down N1,...       failed nodes: their points stay on the ring but own nothing
    --replicas R        distinct live nodes listed per key, owner first (default 1)
    --keys K1,K2,...    keys to place (empty items are ignored)
    --keys-file F       keys, one per line (`-` reads stdin; empty lines are ignored)

    Prints {\"key\":...,\"position\":\"<16 hex>\",\"owner\":...,\"replicas\":[...]} per key;
    owner is null when every node is down. Options also accept --name=value.

RUN:
    ringlab-cli run SCENARIO.json [--seed N] [--until MS]

    Prints one JSON object per trace event ({\"i\",\"t\",\"kind\",\"node\",\"fields\"}),
    then {\"summary\":...} with invariant results (and lock counters when the scenario
    enables locks). Exit 0 if the scenario's expectations hold, 1 if not, 2 for bad
    arguments or a bad scenario file.

EXPLORE:
    ringlab-cli explore SCENARIO.json --seeds N [--out FILE]

    Runs N seeds with random fault schedules; reports violations per invariant; writes the
    shortest run breaking an expectation as a replayable scenario. Exit 0 if none, 1 if one
    was found, 2 for bad input. Same scenario + seed gives byte-identical output.

CHECK:
    ringlab-cli check 2pc [--rms N] [--variant textbook|heuristic] [--max-states N] [--out FILE]
    ringlab-cli check 2pc --replay FILE

    Breadth-first over Gray & Lamport's TwoPhase (textbook: exactly its state, no loss,
    crashes or timeouts; heuristic: prepared RMs may decide alone). Prints one JSON line:
    distinct states, transitions, depth, and each property's verdict with a shortest path.
    --out writes a failing property's counterexample; --replay re-runs one. Exit 0 if every
    property holds, 1 if one fails, 2 for bad input.

    ringlab-cli check history FILE [--model register|cas-register|kv] [--budget STEPS]
    ringlab-cli check history --scenario S.json [--seed N] [--export OUT] [--model ...]

    Wing-Gong/Lowe linearizability check, per key. FILE is the project's history export
    (JSON lines), Jepsen's EDN maps ({:process 0, :type :invoke, :f :read, ...}) or Jepsen
    log lines (INFO jepsen.util - 3 :invoke :cas [1 4]). --scenario checks the history of
    a run of the replicated store (--export writes it). Prints the verdict, the failing
    window when not linearizable, then a JSON line. Exit 0 linearizable, 1 not (or the
    budget ran out: unknown), 2 unreadable input (the line named).

KV:
    ringlab-cli kv --flavor redis|etcd|zookeeper [--marker LINE] < SCRIPT

    One command per line in the real client's syntax (redis-cli, etcdctl, zkCli.sh; etcd
    transactions as `txn CMP; CMP | OP; OP | OP; OP`), replies printed as that client
    prints them; `ADVANCE <ms>` moves virtual time. --marker prints LINE after every
    reply. Exit 0, or 2 for bad arguments or a malformed ADVANCE.

CONTENTION:
    ringlab-cli contention [--clients 10,20,30,40,50] [--policy none,expo,full-jitter,decorrelated]
                           [--runs 100] [--seed 1] [--svg FILE]

    N clients update one row by compare-and-set, retrying on conflict under each policy
    (also equal-jitter); one-way delay |N(10 ms, 2 ms)|, base 5 ms, cap 2,000 ms. Prints
    {\"clients\",\"policy\",\"calls\",\"ms\",\"runs\"} per point, averaged over the runs;
    --svg writes the chart (calls and completion time per policy) as SVG.

COMPARE:
    ringlab-cli compare saga-vs-2pc [--orders 40] [--gap-ms 25] [--skus 4] [--accounts 8]
                                    [--stock 20] [--declined-every 5] [--crash-at 505]
                                    [--down-ms 800] [--seeds 10] [--markdown]

    The same orders (one unit each, every n-th card declined) run as two-phase commit
    (coordinator A) and as an orchestrated saga with outbox and inbox (orchestrator A), with
    no fault and with A down for the same window. Prints one JSON line per setting and
    system, averaged over seeds 0..N: committed, aborted, undecided, messages per order,
    time to decision, time stock is locked or reserved, throughput, refusals, dirty reads.
    --markdown prints the same as a table. Exit 0, or 2 for bad arguments.

LIST:
    ringlab-cli list [--json]

    Prints `id<TAB>mechanism<TAB>title` per bundled scenario (the gallery's index);
    --json prints one object per line with its faults and whether it ends in a violation.

OPTIONS:
    -h, --help       print this help
    -V, --version    print the version

EXIT CODES:
    0 success, 1 could not write the output, 2 bad arguments
";

/// Why a command failed; decides the exit code and the one-line message on stderr.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CliError {
    /// The arguments (or the files they name) are unusable: exit code 2.
    Usage(String),
    /// Writing the output failed: exit code 1.
    Output(String),
}

impl CliError {
    /// The process exit code for this error: 2 for bad arguments, 1 for output failures.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Output(_) => 1,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage(m) | CliError::Output(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for CliError {}
