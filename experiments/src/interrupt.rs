//! Temporary directories that must not outlive an interrupted process, and
//! the stale ones earlier processes left behind.
//!
//! A run is written into a temporary sibling `.NAME.tmp-PID/` of its
//! directory and renamed into place when complete
//! ([`crate::run::run_to_dir`]). While it exists it is registered here
//! ([`TempGuard`]); [`install`] sets SIGINT and SIGTERM handlers that remove
//! every registered directory and end the process with 128 + the signal
//! number (130, 143), as a shell reports a process killed by it.
//!
//! The handler only writes the signal number to a pipe (`write` is
//! async-signal-safe); a thread blocked on the pipe does the removal, so
//! no allocation or lock happens in signal context. The main thread may
//! still be writing into the directory while the thread removes it; the
//! removal is repeated until the directory is gone.
//!
//! A process killed by SIGKILL (or a power cut) cannot clean up: the next
//! run into the same parent directory removes `.NAME.tmp-PID/` directories
//! whose process is gone ([`remove_stale`]). A temporary directory holds
//! `.mpsim-owner` (host name and process id) until it is renamed into
//! place, and only one of this host is removed: on a shared file system
//! another host's process ids say nothing here.
//!
//! Unix only (libc `sigaction`, `kill`).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicI32, Ordering};

/// Directories to remove on SIGINT or SIGTERM.
static REGISTERED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
/// The write end of the signal pipe; -1 until [`install`].
static PIPE_WRITE: AtomicI32 = AtomicI32::new(-1);

/// Removes its directory from the registry when dropped (the directory
/// itself is the owner's to rename or remove).
#[derive(Debug)]
pub struct TempGuard {
    path: PathBuf,
}

impl TempGuard {
    /// Registers `path` for removal on SIGINT or SIGTERM.
    pub fn new(path: &Path) -> Self {
        lock().push(path.to_path_buf());
        TempGuard {
            path: path.to_path_buf(),
        }
    }
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        let mut r = lock();
        if let Some(i) = r.iter().position(|p| *p == self.path) {
            r.remove(i);
        }
    }
}

fn lock() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    REGISTERED.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes every registered directory now (the panic hook calls it too).
pub fn remove_registered() {
    let paths = lock().clone();
    for p in paths {
        remove_dir_fully(&p);
    }
}

/// Removes `dir`, again if something was written into it meanwhile.
fn remove_dir_fully(dir: &Path) {
    for _ in 0..50 {
        match std::fs::remove_dir_all(dir) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
            Ok(()) if !dir.exists() => return,
            _ => std::thread::sleep(std::time::Duration::from_millis(10)),
        }
    }
}

extern "C" fn on_signal(sig: libc::c_int) {
    let fd = PIPE_WRITE.load(Ordering::Relaxed);
    if fd >= 0 {
        let b = sig as u8;
        // SAFETY: write(2) on a pipe with a one-byte buffer on the stack is
        // async-signal-safe; a failure leaves nothing to do.
        unsafe {
            libc::write(fd, (&b as *const u8).cast(), 1);
        }
    }
}

/// Installs the SIGINT and SIGTERM handlers (once; later calls do nothing).
/// On either signal the registered directories are removed and the process
/// exits with 128 + the signal number.
pub fn install() -> Result<(), String> {
    if PIPE_WRITE.load(Ordering::Relaxed) >= 0 {
        return Ok(());
    }
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: pipe(2) fills the two descriptors of `fds`.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return Err(format!("cannot create a pipe: {}", std::io::Error::last_os_error()));
    }
    let (read_fd, write_fd) = (fds[0], fds[1]);
    // SAFETY: FD_CLOEXEC on descriptors this function owns.
    unsafe {
        libc::fcntl(read_fd, libc::F_SETFD, libc::FD_CLOEXEC);
        libc::fcntl(write_fd, libc::F_SETFD, libc::FD_CLOEXEC);
    }
    PIPE_WRITE.store(write_fd, Ordering::Relaxed);
    std::thread::Builder::new()
        .name("mpsim-signals".into())
        .spawn(move || {
            let mut b = 0u8;
            loop {
                // SAFETY: read(2) of one byte into `b`.
                let n = unsafe { libc::read(read_fd, (&mut b as *mut u8).cast(), 1) };
                if n == 1 {
                    break;
                }
                if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return;
            }
            remove_registered();
            std::process::exit(128 + i32::from(b));
        })
        .map_err(|e| format!("cannot start the signal thread: {e}"))?;
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: a zeroed sigaction with a handler that only calls
        // write(2); SA_RESTART so interrupted system calls resume.
        let ok = unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as *const () as libc::sighandler_t;
            sa.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut()) == 0
        };
        if !ok {
            return Err(format!(
                "cannot handle signal {sig}: {}",
                std::io::Error::last_os_error()
            ));
        }
    }
    Ok(())
}

/// The file that names a temporary directory's owner (removed before the
/// directory is renamed into place).
pub const OWNER_FILE: &str = ".mpsim-owner";

/// This host's name (empty if it cannot be read).
fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname(2) writes at most `buf.len()` bytes into `buf`.
    if unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } != 0 {
        return String::new();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// What [`OWNER_FILE`] holds for process `pid` of this host.
pub fn owner_mark(pid: u32) -> String {
    format!("{} {pid}\n", hostname())
}

/// Marks `tmp` as this process's temporary directory ([`OWNER_FILE`]).
pub fn mark_owner(tmp: &Path) -> std::io::Result<()> {
    std::fs::write(tmp.join(OWNER_FILE), owner_mark(std::process::id()))
}

/// The temporary directory of a run written to `out` by process `pid`:
/// `.NAME.tmp-PID` beside it.
pub fn temp_dir_for(out: &Path, pid: u32) -> Option<PathBuf> {
    let name = out.file_name()?.to_string_lossy();
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    Some(parent.join(format!(".{name}.tmp-{pid}")))
}

/// The process id of a `.NAME.tmp-PID` directory name, if it is one.
fn temp_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?;
    let (stem, pid) = rest.rsplit_once(".tmp-")?;
    if stem.is_empty() || pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

/// Whether process `pid` exists (signal 0 reaches it, or it is another
/// user's: EPERM).
fn alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: kill(2) with signal 0 only checks that the process exists.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Removes the `.NAME.tmp-PID/` directories in `parent` whose process is
/// gone (left by a run killed with SIGKILL, or by a power cut): those
/// whose [`OWNER_FILE`] names this host and that process id. Returns the
/// ones removed. A directory of a live process, of another host, without
/// an owner file, or anything else, is left alone.
pub fn remove_stale(parent: &Path) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(parent) else {
        return removed;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(temp_pid) else {
            continue;
        };
        if pid == std::process::id() || alive(pid) || !e.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let path = e.path();
        if std::fs::read_to_string(path.join(OWNER_FILE)).ok() != Some(owner_mark(pid)) {
            continue;
        }
        if std::fs::remove_dir_all(&path).is_ok() {
            removed.push(path);
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_dot_name_tmp_pid_names_are_temporary_directories() {
        assert_eq!(temp_pid(".run.tmp-123"), Some(123));
        assert_eq!(temp_pid(".my.run.tmp-7"), Some(7));
        assert_eq!(temp_pid("run.tmp-123"), None);
        assert_eq!(temp_pid(".run.tmp-"), None);
        assert_eq!(temp_pid(".run.tmp-12a"), None);
        assert_eq!(temp_pid("..tmp-12"), None);
        assert_eq!(temp_pid(".run"), None);
    }

    #[test]
    fn a_temporary_directory_of_a_dead_process_is_removed_and_a_live_ones_is_kept() {
        let dir = std::env::temp_dir().join(format!("mpsim-stale-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        // A child that has exited and been reaped: its pid is free.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let stale = dir.join(format!(".run.tmp-{dead}"));
        std::fs::create_dir_all(stale.join("sub")).unwrap();
        std::fs::write(stale.join("metrics.json"), "{}").unwrap();
        std::fs::write(stale.join(OWNER_FILE), owner_mark(dead)).unwrap();
        // The same dead pid on another host (a shared file system), and
        // one without an owner file: kept.
        let other_host = dir.join(format!(".b.tmp-{dead}"));
        std::fs::create_dir_all(&other_host).unwrap();
        std::fs::write(
            other_host.join(OWNER_FILE),
            format!("elsewhere-{} {dead}\n", hostname()),
        )
        .unwrap();
        let unowned = dir.join(format!(".c.tmp-{dead}"));
        std::fs::create_dir_all(&unowned).unwrap();
        let mine = dir.join(format!(".run.tmp-{}", std::process::id()));
        std::fs::create_dir_all(&mine).unwrap();
        let user = dir.join(".notes");
        std::fs::create_dir_all(&user).unwrap();
        // pid 1 is alive (init) on any Unix.
        let init = dir.join(".other.tmp-1");
        std::fs::create_dir_all(&init).unwrap();
        let removed = remove_stale(&dir);
        assert_eq!(removed, vec![stale.clone()]);
        assert!(!stale.exists());
        assert!(mine.exists() && user.exists() && init.exists());
        assert!(other_host.exists() && unowned.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_guard_registers_its_directory_until_dropped() {
        let p = PathBuf::from("/nonexistent/.x.tmp-1");
        {
            let _g = TempGuard::new(&p);
            assert!(lock().contains(&p));
        }
        assert!(!lock().contains(&p));
    }
}
