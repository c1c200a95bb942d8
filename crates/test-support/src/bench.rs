//! What every benchmark of the workspace measures the same way: knobs from the environment,
//! the process's CPU time and involuntary context switches, percentiles, a stub served from a
//! thread of its own, and the cold start of a release binary (process start to its first poll
//! of the Lambda Runtime API). Benchmarks print figures; nothing here asserts a speed.

use std::process::{Command, Stdio};
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::http_stub::{HttpStub, StubReply, StubRequest};

/// The environment variable `name` as a number, or `default`.
pub fn knob(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn usage() -> libc::rusage {
    // SAFETY: getrusage only writes into the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    usage
}

/// The process's CPU time so far (user and system, every thread).
pub fn cpu_time() -> Duration {
    let usage = usage();
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Involuntary context switches of this process so far (the scheduler took the CPU away).
pub fn involuntary_switches() -> i64 {
    usage().ru_nivcsw
}

/// This process's peak resident set size (`VmHWM` in /proc), in kB; 0 where /proc has none.
/// A process's high-water mark: measure one payload per process.
pub fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Percentile `p` (0-100) of sorted, non-empty `samples`.
pub fn percentile(samples: &[Duration], p: usize) -> Duration {
    samples[(samples.len() * p / 100).min(samples.len() - 1)]
}

/// One figure over several rounds: its median and its range, for printing.
#[derive(Debug, Default, Clone)]
pub struct Spread(Vec<Duration>);

impl Spread {
    /// Adds one round's figure.
    pub fn push(&mut self, value: Duration) {
        self.0.push(value);
    }

    /// `median N us [min-max]`, in microseconds.
    pub fn us(&self) -> String {
        let mut sorted = self.0.clone();
        sorted.sort();
        match (sorted.first(), sorted.last()) {
            (Some(min), Some(max)) => format!(
                "median {:.0} us [{:.0}-{:.0}]",
                us(sorted[sorted.len() / 2]),
                us(*min),
                us(*max)
            ),
            _ => "no rounds".to_owned(),
        }
    }
}

/// Milliseconds, for printing.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Microseconds, for printing.
pub fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// A stub answering with `handler`, on a thread and runtime of its own (as a real service is
/// another process, so that its work does not share the measured thread): its base URL and
/// its live count of connections accepted. It lives as long as the process.
pub fn stub_on_own_thread(
    handler: impl Fn(&StubRequest) -> StubReply + Send + Sync + 'static,
) -> (String, Arc<AtomicUsize>) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("the stub's runtime");
        runtime.block_on(async move {
            let stub = HttpStub::start(handler).await;
            tx.send((stub.url(), stub.connection_counter()))
                .expect("the bench waits for the stub");
            std::future::pending::<()>().await;
        });
    });
    rx.recv().expect("the stub starts")
}

/// Starts the release `binary` (Lambda name `name`) `runs` times with exactly the Lambda
/// variables, static bench credentials and `env`, and measures each time from process start
/// to its first poll of the Runtime API; prints the median, p90 and max.
pub async fn cold_start(binary: &str, name: &str, env: &[(&str, &str)], runs: usize) {
    let first_poll: Arc<Mutex<Option<Instant>>> = Arc::default();
    let seen = first_poll.clone();
    let api = HttpStub::start(move |req| {
        if req.path.ends_with("/invocation/next") {
            seen.lock().unwrap().get_or_insert(Instant::now());
        }
        StubReply::Hang
    })
    .await;
    let mut samples = Vec::new();
    for _ in 0..runs {
        *first_poll.lock().unwrap() = None;
        let started = Instant::now();
        let mut child = Command::new(binary)
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", api.addr.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "bench")
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            .env("AWS_ACCESS_KEY_ID", "AKIDBENCH")
            .env("AWS_SECRET_ACCESS_KEY", "bench")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the release binary");
        let polled = loop {
            if let Some(at) = *first_poll.lock().unwrap() {
                break at;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "no poll within 10 s"
            );
            tokio::time::sleep(Duration::from_micros(200)).await;
        };
        samples.push(polled - started);
        let _ = child.kill();
        let _ = child.wait();
    }
    samples.sort();
    println!(
        "cold start (process start to first Runtime API poll), {runs} runs: median {:.1} ms, p90 {:.1} ms, max {:.1} ms",
        ms(samples[runs / 2]),
        ms(percentile(&samples, 90)),
        ms(samples[runs - 1])
    );
}
