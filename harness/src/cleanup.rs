//! Process-wide cleanup of what a run creates, also on Ctrl-C / SIGTERM.
//!
//! Every cluster, container, database and temp dir registers an action here
//! while it lives. Normal drops unregister and clean up themselves; on a signal
//! the runner is asked to stop (`cancelled()`), and if it has not finished
//! within a grace period every registered action runs and the process exits.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

type Action = Box<dyn FnOnce() + Send>;

static ACTIONS: OnceLock<Mutex<BTreeMap<u64, Action>>> = OnceLock::new();
static NEXT: AtomicU64 = AtomicU64::new(1);
static CANCEL: AtomicBool = AtomicBool::new(false);

fn actions() -> &'static Mutex<BTreeMap<u64, Action>> {
    ACTIONS.get_or_init(|| Mutex::new(BTreeMap::new()))
}

/// A registered cleanup action; dropping the token unregisters it (without
/// running it: the owner cleans up on its normal path).
#[derive(Debug)]
pub struct Token(u64);

impl Drop for Token {
    fn drop(&mut self) {
        let mut map = actions().lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&self.0);
    }
}

/// Register `action` to run if the process is interrupted.
pub fn register(action: impl FnOnce() + Send + 'static) -> Token {
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    let mut map = actions().lock().unwrap_or_else(|p| p.into_inner());
    map.insert(id, Box::new(action));
    Token(id)
}

/// Run every registered action now, newest first.
pub fn run_all() {
    let drained: Vec<Action> = {
        let mut map = actions().lock().unwrap_or_else(|p| p.into_inner());
        let keys: Vec<u64> = map.keys().rev().copied().collect();
        keys.into_iter().filter_map(|k| map.remove(&k)).collect()
    };
    for action in drained {
        action();
    }
}

/// The flag the runner polls to stop starting new cases.
pub fn cancel_flag() -> &'static AtomicBool {
    &CANCEL
}

/// Whether a signal asked the run to stop.
pub fn cancelled() -> bool {
    CANCEL.load(Ordering::Relaxed)
}

/// Install the Ctrl-C / SIGTERM handler: first signal cancels the run and
/// starts a grace timer; a second signal or the timer's end cleans up and
/// exits with the environment-error code.
pub fn install_signal_handler(grace: Duration) {
    // Once per process: `variants` runs several runs in one process.
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| install(grace));
}

fn install(grace: Duration) {
    let result = ctrlc::set_handler(move || {
        if CANCEL.swap(true, Ordering::SeqCst) {
            crate::errln!("pgconform: interrupted again; cleaning up now");
            run_all();
            std::process::exit(crate::exit_codes::USAGE_OR_ENV);
        }
        crate::errln!("pgconform: interrupted; finishing the current cases and cleaning up");
        std::thread::spawn(move || {
            std::thread::sleep(grace);
            crate::errln!("pgconform: grace period over; cleaning up");
            run_all();
            std::process::exit(crate::exit_codes::USAGE_OR_ENV);
        });
    });
    if let Err(e) = result {
        crate::errln!("pgconform: warning: could not install the signal handler: {e}");
    }
}
