//! The data-plane threads: one single-threaded tokio runtime per worker
//! (thread per core, as nginx's worker processes), each serving the client
//! connections handed to it together with their upstream connections.
//!
//! ```text
//! accept loop (control runtime) ──round robin──> worker 0: client conns + upstream pool
//!                                              └> worker 1: client conns + upstream pool
//! ```
//!
//! A connection stays on its worker for its whole life, and so does every
//! task it spawns (upstream connections, WebSocket tunnels): a request
//! never wakes another thread, no task migrates between cores, and the
//! upstream pool needs no lock ([`crate::upstream_pool`]). Connections are
//! dealt round robin rather than accepted by each worker, so the load
//! spreads evenly whatever the order in which the workers wake up.

use crate::upstream_pool::{self, IDLE_SWEEP_INTERVAL};
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The running worker threads.
#[derive(Debug)]
pub struct Workers {
    queues: Vec<mpsc::UnboundedSender<Job>>,
    next: AtomicUsize,
    stop: CancellationToken,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl Workers {
    /// Starts `count` worker threads (at least one).
    pub fn start(count: usize) -> std::io::Result<Self> {
        let stop = CancellationToken::new();
        let mut queues = Vec::new();
        let mut threads = Vec::new();
        for index in 0..count.max(1) {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let (queue, jobs) = mpsc::unbounded_channel();
            let stop = stop.clone();
            let thread = std::thread::Builder::new()
                .name(format!("daytwo-proxy-{index}"))
                .spawn(move || runtime.block_on(serve_jobs(jobs, stop)))?;
            queues.push(queue);
            threads.push(thread);
        }
        Ok(Self {
            queues,
            next: AtomicUsize::new(0),
            stop,
            threads: Mutex::new(threads),
        })
    }

    /// Runs `job` on the next worker, round robin.
    pub fn spawn(&self, job: impl Future<Output = ()> + Send + 'static) {
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.queues.len();
        // A send fails only after `stop`; the job is dropped then.
        let _ = self.queues[index].send(Box::pin(job));
    }

    /// Stops every worker (its remaining tasks are dropped) and waits for
    /// the threads to end.
    pub async fn stop(&self) {
        self.stop.cancel();
        let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|p| p.into_inner()));
        let _ = tokio::task::spawn_blocking(move || {
            for thread in threads {
                let _ = thread.join();
            }
        })
        .await;
    }
}

impl Drop for Workers {
    /// Ends the threads also when `run` returns early (on an error).
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// A worker's main loop: spawns the jobs it is handed and sweeps its idle
/// upstream connections, until `stop`.
async fn serve_jobs(mut jobs: mpsc::UnboundedReceiver<Job>, stop: CancellationToken) {
    let mut sweep = tokio::time::interval(IDLE_SWEEP_INTERVAL);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            job = jobs.recv() => match job {
                Some(job) => {
                    tokio::spawn(job);
                }
                None => return,
            },
            _ = sweep.tick() => upstream_pool::sweep_idle(),
        }
    }
}
