//! Resident memory per accepted connection: a server accepts `N` short connections over
//! 127.0.0.1 (connect, one byte each way, close), one task per connection, and prints its
//! resident set size as it goes. With a [`TaskSet`] a finished connection costs nothing, so the
//! resident size stays flat; with a [`Group`] (`--group`) every task keeps its slot until `wait`.
//!
//! ```text
//! cargo run --release --example conn_memory                  # TaskSet, 1M connections
//! cargo run --release --example conn_memory -- --group 200000
//! ```
//!
//! Linux only (reads `/proc/self/statm`). The server closes each connection with a reset
//! (`SO_LINGER` 0), so that a million closes leave no `TIME_WAIT` sockets to run out of ports.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use autocancel::{Ctx, Group, TaskSet};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Concurrent clients.
const CLIENTS: u64 = 32;

fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// One connection: a byte in, a byte out, closed with a reset.
async fn handle(mut stream: TcpStream) -> io::Result<()> {
    let mut byte = [0u8];
    stream.read_exact(&mut byte).await?;
    stream.write_all(&byte).await?;
    #[allow(deprecated)] // blocking only with a non-zero linger; zero means "reset now"
    stream.set_linger(Some(std::time::Duration::ZERO))?;
    Ok(())
}

async fn client(addr: std::net::SocketAddr, count: u64, done: Arc<AtomicU64>) {
    for _ in 0..count {
        let Ok(mut stream) = TcpStream::connect(addr).await else {
            continue;
        };
        let mut byte = [7u8];
        if stream.write_all(&byte).await.is_ok() && stream.read_exact(&mut byte).await.is_ok() {
            let _ = stream.read(&mut byte).await; // the server's close
        }
        done.fetch_add(1, Ordering::Relaxed);
    }
}

enum Tasks {
    Set(TaskSet),
    Group(Group<(), io::Error>),
}

#[tokio::main]
async fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let use_group = args.iter().any(|a| a == "--group");
    let total: u64 = args
        .iter()
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = Ctx::new();
    let mut tasks = if use_group {
        Tasks::Group(Group::with_parent(&server))
    } else {
        Tasks::Set(TaskSet::with_parent(&server))
    };
    let done = Arc::new(AtomicU64::new(0));
    for _ in 0..CLIENTS {
        tokio::spawn(client(addr, total / CLIENTS, done.clone()));
    }
    let total = total / CLIENTS * CLIENTS;
    let warmup = total / 100;
    let (mut base, mut accepted) = (0u64, 0u64);
    let start = Instant::now();
    println!(
        "{:>10} {:>12} {:>14}",
        "accepted", "resident", "per connection"
    );
    while accepted < total {
        let (stream, _) = match server.run(listener.accept()).await {
            Ok(accepted) => accepted?,
            Err(_) => break,
        };
        match &mut tasks {
            Tasks::Set(set) => set.spawn(handle(stream)),
            Tasks::Group(group) => group.spawn(handle(stream)),
        }
        accepted += 1;
        if accepted == warmup {
            base = resident_bytes();
        }
        if accepted % (total / 10) == 0 {
            let rss = resident_bytes();
            let per = (rss as f64 - base as f64) / (accepted - warmup) as f64;
            println!("{accepted:>10} {:>9.1} MB {per:>11.1} B", rss as f64 / 1e6);
        }
    }
    let elapsed = start.elapsed();
    match tasks {
        Tasks::Set(set) => println!("{}", set.shutdown().await),
        Tasks::Group(group) => {
            let report = group.wait_report().await;
            println!("group: {} outputs kept", report.outputs.len());
        }
    }
    println!(
        "{accepted} connections in {:.1?} ({:.0}/s); clients finished {}",
        elapsed,
        accepted as f64 / elapsed.as_secs_f64(),
        done.load(Ordering::Relaxed)
    );
    Ok(())
}
