//! Engine benchmarks: simulated events per second for a 10-node cluster with messages in
//! flight, seek latency in a 100,000-event history, and bytes per snapshot. Figures are
//! printed, not asserted (a shared machine is noisy). Run: `cargo bench --bench engine`.

use std::hint::black_box;
use std::time::Instant;

use ringlab::sim::invariant::Checker;
use ringlab::sim::proto::heartbeat::HeartbeatCfg;
use ringlab::sim::proto::ProtoCfg;
use ringlab::sim::rng::Rng;
use ringlab::sim::timeline::{Target, Timeline, DEFAULT_SNAPSHOT_EVERY};
use ringlab::sim::world::{ServerSpec, World, WorldCfg};

fn cluster(seed: u64) -> World {
    let cfg = WorldCfg {
        seed,
        servers: (0..10)
            .map(|i| ServerSpec {
                name: format!("s{i}"),
                weight: 1.0,
            })
            .collect(),
        clients: vec!["web".into()],
        protocols: ProtoCfg {
            heartbeat: Some(HeartbeatCfg {
                interval_ms: 20,
                timeout_ms: 100,
            }),
            ..ProtoCfg::default()
        },
        ..WorldCfg::default()
    };
    World::new(&cfg).expect("valid bench cluster")
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> (f64, T)) -> (f64, T) {
    let mut best = f();
    for _ in 1..runs {
        let r = f();
        if r.0 < best.0 {
            best = r;
        }
    }
    best
}

fn main() {
    // 1. Raw engine: world + events into a reused buffer (trace kept by the caller).
    let target_events = 2_000_000usize;
    let (secs, (events, in_flight)) = best_of(3, || {
        let mut w = cluster(1);
        let mut out = Vec::with_capacity(target_events + 1000);
        let start = Instant::now();
        let mut t = 0;
        while out.len() < target_events {
            t += 100;
            w.advance_to(t, &mut out);
        }
        let el = start.elapsed().as_secs_f64();
        (el, (out.len(), w.net().in_flight_len()))
    });
    println!(
        "engine (world only): {events} events in {:.3} s = {:.2} M events/s ({} messages in flight at the end)",
        secs,
        events as f64 / secs / 1e6,
        in_flight
    );

    // 2. Full timeline: invariants after every step + a snapshot every K events.
    let (secs, events) = best_of(3, || {
        let mut tl = Timeline::with_checker(cluster(1), Checker::builtin(), DEFAULT_SNAPSHOT_EVERY);
        let start = Instant::now();
        let mut t = 0;
        while tl.recorded().len() < target_events {
            t += 100;
            tl.advance_to(t);
        }
        (start.elapsed().as_secs_f64(), tl.recorded().len())
    });
    println!(
        "timeline (invariants + snapshot every {DEFAULT_SNAPSHOT_EVERY}): {events} events in {:.3} s = {:.2} M events/s",
        secs,
        events as f64 / secs / 1e6
    );

    // 3. Seek in a 100,000-event history.
    let mut tl = Timeline::new(cluster(2), DEFAULT_SNAPSHOT_EVERY);
    let mut t = 0;
    while tl.recorded().len() < 100_000 {
        t += 10;
        tl.advance_to(t);
    }
    let n = tl.recorded().len();
    let mut rng = Rng::new(7);
    let mut times = Vec::new();
    for _ in 0..200 {
        let i = rng.below(n as u64) as usize;
        let start = Instant::now();
        tl.seek(Target::Event(i));
        times.push(start.elapsed().as_secs_f64() * 1e3);
        black_box(tl.world().now());
    }
    let start = Instant::now();
    tl.seek(Target::Head);
    let to_head = start.elapsed().as_secs_f64() * 1e3;
    times.sort_by(|a, b| a.total_cmp(b));
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    println!(
        "seek in a {n}-event history (snapshot every {DEFAULT_SNAPSHOT_EVERY}): mean {:.3} ms, median {:.3} ms, max {:.3} ms over 200 random seeks; back to head {:.3} ms",
        mean,
        times[times.len() / 2],
        times[times.len() - 1],
        to_head
    );

    // 4. Memory.
    let bytes = tl.snapshot_bytes();
    let mean_bytes = bytes.iter().sum::<usize>() / bytes.len().max(1);
    println!(
        "snapshots: {} held, mean {} bytes each (max {}), total {:.1} KB; trace {:.1} MB ({} bytes per event)",
        bytes.len(),
        mean_bytes,
        bytes.iter().max().copied().unwrap_or(0),
        bytes.iter().sum::<usize>() as f64 / 1024.0,
        tl.trace_bytes() as f64 / 1048576.0,
        std::mem::size_of::<ringlab::sim::event::Event>()
    );

    // 5. The lock layer's share of a cluster frame (GC pause mid-way: two believers, a
    //    lease arc each, dials, storage cells).
    lock_frame();
}

fn lock_frame() {
    use ringlab::sim::scenario::Scenario;
    use ringlab::view::cluster_scene::{
        build, node_states, positions, ClusterFrame, ClusterGeometry, Layout,
    };
    use ringlab::view::lock_scene::overlay;
    use ringlab::view::scene::Scene;
    let bytes = std::fs::read("static/scenarios/lock-gc-unfenced.json").expect("scenario file");
    let s = Scenario::decode(&bytes).expect("valid scenario");
    let mut w = s.build(None).expect("world");
    let mut out = Vec::new();
    w.advance_to(1_300, &mut out);
    let f = ClusterFrame {
        world: &w,
        now: 1_300.0,
        recent: &out,
        trail_ms: 300.0,
        selected_msg: None,
        selected_node: None,
        event_node: None,
        layout: Layout::Even,
        width: 800.0,
        height: 600.0,
    };
    let n = 20_000;
    let (whole, _) = best_of(3, || {
        let start = Instant::now();
        for _ in 0..n {
            black_box(build(black_box(&f)));
        }
        (start.elapsed().as_secs_f64() / n as f64, ())
    });
    let states = node_states(&w);
    let g = ClusterGeometry::fit(800.0, 600.0, 4);
    let pos = positions(&w, Layout::Even, &g);
    let (layer, _) = best_of(3, || {
        let start = Instant::now();
        for _ in 0..n {
            let mut scene = Scene::new(800.0, 600.0);
            overlay(black_box(&f), &states, &pos, &g, &mut scene);
            black_box(scene);
        }
        (start.elapsed().as_secs_f64() / n as f64, ())
    });
    println!(
        "cluster frame with locks (lock-gc-unfenced at 1,300 ms): build {:.1} µs, of which the lock layer {:.1} µs ({:.0}%)",
        whole * 1e6,
        layer * 1e6,
        100.0 * layer / whole
    );
}
