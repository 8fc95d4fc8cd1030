//! `rotcheck serve`: the built-in reference implementation on a socket.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use rotcheck::server::{self, production, Fault, ProductionConfig, ServerConfig, SigV4Keys, TlsIdentity, Variant};

/// The generated kinds of certificate `--tls` makes.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum TlsKind {
    /// A fresh CA and a certificate it signs (the CA is written to a file to trust).
    SelfSigned,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    bind: IpAddr,

    /// Port to listen on; 0 picks a free port. The first line on stdout is
    /// `listening on http://HOST:PORT`, the second `data plane on ws://HOST:PORT/tunnel` (the
    /// local proxies' WebSocket shares the port); over TLS they read https:// and wss://, and a
    /// third line `tls ca: PATH` follows with --tls self-signed.
    #[arg(long, default_value_t = 0)]
    port: u16,

    /// Serve HTTPS and WSS with a generated certificate: `self-signed` makes a CA and a
    /// certificate it signs for the bind address, localhost, 127.0.0.1 and ::1, and writes the
    /// CA (PEM) to --tls-ca-out (default: a file in the temporary directory, removed at exit).
    /// Clients trust it with `rotcheck run --ca-bundle PATH` (or AWS_CA_BUNDLE=PATH).
    #[arg(long, value_enum, value_name = "KIND", conflicts_with_all = ["tls_cert", "tls_key"])]
    tls: Option<TlsKind>,

    /// Serve HTTPS and WSS with this certificate chain (PEM, leaf first); needs --tls-key.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<PathBuf>,

    /// The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,

    /// Where --tls self-signed writes its CA certificate (PEM).
    #[arg(long, value_name = "PATH", requires = "tls")]
    tls_ca_out: Option<PathBuf>,

    /// Cap each tunnel side's data-plane traffic at BYTES_PER_SEC (as AWS's "Maximum bandwidth
    /// per tunnel" quota does), to try device software under a realistic limit. Default: no cap.
    #[arg(long, value_name = "BYTES_PER_SEC", value_parser = clap::value_parser!(u64).range(1..))]
    bandwidth: Option<u64>,

    /// Tunnel clock speed: one tunnel-minute lasts 60/N real seconds (60: a 1-minute tunnel
    /// closes after 1 s). createdAt stays real wall-clock time.
    #[arg(long, default_value_t = 1.0, value_name = "N")]
    time_scale: f64,

    /// Region in tunnel ARNs (and the SigV4 credential scope).
    #[arg(long, default_value = "us-east-1")]
    region: String,

    /// Account id in tunnel ARNs.
    #[arg(long, default_value = "123456789012", value_name = "ID")]
    account: String,

    /// Require SigV4-signed requests (with --access-key-id and --secret-access-key); failures
    /// get the AWS auth errors (UnrecognizedClientException, InvalidSignatureException, ...).
    #[arg(long, requires_all = ["access_key_id", "secret_access_key"])]
    verify_sigv4: bool,

    /// Behave like a production service, with realistic values for each of: --verify-sigv4
    /// (needs the keys), --rate-limit 50, --max-tunnels 10, --transient-errors 0.02,
    /// --expiry-sweep 0.1. Any of those flags given as well overrides its value.
    #[arg(long)]
    production_like: bool,

    /// Requests per second per account (the signing access key id), burst of one second's
    /// worth; beyond it: 400 ThrottlingException.
    #[arg(long, value_name = "N")]
    rate_limit: Option<f64>,

    /// Fraction of requests answered with a transient 503 ServiceUnavailableException or 500
    /// InternalFailure (never two in a row), chosen by --seed.
    #[arg(long, value_name = "F")]
    transient_errors: Option<f64>,

    /// Close expired tunnels in a sweep every SECS of real time instead of at the exact instant.
    #[arg(long, value_name = "SECS")]
    expiry_sweep: Option<f64>,

    /// Seed of the transient errors.
    #[arg(long, default_value_t = 1, value_name = "S")]
    seed: u64,

    /// Access key id accepted by --verify-sigv4.
    #[arg(long, env = "ROTCHECK_ACCESS_KEY_ID", value_name = "K")]
    access_key_id: Option<String>,

    /// Secret access key for --verify-sigv4 (prefer the environment variable: flags show in `ps`).
    #[arg(long, env = "ROTCHECK_SECRET_ACCESS_KEY", hide_env_values = true, value_name = "S")]
    secret_access_key: Option<String>,

    /// Largest request body accepted; larger ones get HTTP 413.
    #[arg(long, default_value_t = server::DEFAULT_MAX_BODY_BYTES, value_name = "B")]
    max_body_bytes: usize,

    /// Most open tunnels held at once (the account's tunnel quota); OpenTunnel beyond gets
    /// LimitExceededException. Default: 10000, or 10 with --production-like.
    #[arg(long, value_name = "N")]
    max_tunnels: Option<usize>,

    /// Inject a deliberate bug (repeatable; see --list-faults).
    #[arg(long = "fault", value_name = "NAME")]
    faults: Vec<Fault>,

    /// Switch on a conformant alternative behaviour (repeatable; see --list-variants).
    #[arg(long = "variant", value_name = "NAME")]
    variants: Vec<Variant>,

    /// Print every fault (name, the check expected to catch it, description) and exit.
    #[arg(long)]
    list_faults: bool,

    /// Print every variant (name, description) and exit.
    #[arg(long)]
    list_variants: bool,
}

pub async fn run(mut args: ServeArgs) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    if args.list_faults || args.list_variants {
        list(&args, &mut out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let config = server_config(&mut args)?;
    let tls = tls_identity(&args.tls_cert, &args.tls_key, args.tls, args.bind, args.tls_ca_out)?;
    let (identity, ca_file) = match tls {
        Some((identity, ca_file)) => (Some(identity), ca_file),
        None => (None, None),
    };
    let running = match server::spawn_with_tls(config, SocketAddr::new(args.bind, args.port), identity).await {
        Ok(r) => r,
        Err(e) => {
            remove_ca(ca_file);
            return Err(e.into());
        }
    };
    // Before the announcement: whoever reads it may signal at once.
    let shutdown = shutdown_signal();
    // One write: a caller that reads only the first line and closes the pipe must not take the
    // server down (the announcement is informational; a failed write is only logged).
    let mut announce = format!(
        "listening on {}\ndata plane on {}\n",
        running.url(),
        running.data_plane_url()
    );
    if let Some(ca) = &ca_file {
        announce.push_str(&format!("tls ca: {}\n", ca.path.display()));
    }
    if let Err(e) = out.write_all(announce.as_bytes()).and_then(|()| out.flush()) {
        tracing::warn!("cannot write the listening address to stdout: {e}");
    }
    drop(out);
    shutdown.await;
    tracing::info!("shutting down");
    running.shutdown().await;
    remove_ca(ca_file);
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// `--list-faults` and `--list-variants`. Which check catches each fault is test data beside
/// the catalog (the server does not know the checks); tests/mutation_score.rs holds it to account.
fn list(args: &ServeArgs, out: &mut impl Write) -> anyhow::Result<()> {
    if args.list_faults {
        let tables = rotcheck::traceability::Tables::embedded()?;
        for f in Fault::all() {
            let check = tables.fault_check(f.name()).map_or("-", |c| c.check.as_str());
            writeln!(out, "{:<28} {:<26} {}", f.name(), check, f.description())?;
        }
    }
    if args.list_variants {
        for v in Variant::all() {
            writeln!(out, "{:<28} {}", v.name(), v.description())?;
        }
    }
    Ok(())
}

/// The server's configuration from the flags (`--production-like` filling in what is not
/// given); the keys, faults and variants are taken out of `args`.
fn server_config(args: &mut ServeArgs) -> anyhow::Result<ServerConfig> {
    let verify = args.verify_sigv4 || args.production_like;
    let verify_sigv4 = match (verify, args.access_key_id.take(), args.secret_access_key.take()) {
        (true, Some(id), Some(secret)) => Some(SigV4Keys::new(id, secret)),
        (true, _, _) => anyhow::bail!(
            "--verify-sigv4 and --production-like need --access-key-id and --secret-access-key \
             (or ROTCHECK_ACCESS_KEY_ID and ROTCHECK_SECRET_ACCESS_KEY)"
        ),
        (false, _, _) => None,
    };
    let realistic = args.production_like.then(|| production::realistic(args.seed));
    let production = ProductionConfig {
        rate_limit: args.rate_limit.or(realistic.as_ref().and_then(|r| r.rate_limit)),
        transient_fraction: args
            .transient_errors
            .or(realistic.as_ref().map(|r| r.transient_fraction))
            .unwrap_or(0.0),
        seed: args.seed,
        sweep_interval: match args.expiry_sweep {
            Some(s) if !(s.is_finite() && s > 0.0 && s <= 3600.0) => {
                anyhow::bail!("--expiry-sweep must be between 0 and 3600 seconds, got {s}")
            }
            Some(s) => Some(std::time::Duration::from_secs_f64(s)),
            None => realistic.as_ref().and_then(|r| r.sweep_interval),
        },
    };
    let max_tunnels = args.max_tunnels.unwrap_or(if args.production_like {
        production::REALISTIC_TUNNEL_QUOTA
    } else {
        server::DEFAULT_MAX_TUNNELS
    });
    Ok(ServerConfig {
        region: std::mem::take(&mut args.region),
        account: std::mem::take(&mut args.account),
        time_scale: args.time_scale,
        verify_sigv4,
        max_body_bytes: args.max_body_bytes,
        max_tunnels,
        faults: std::mem::take(&mut args.faults),
        variants: std::mem::take(&mut args.variants),
        production,
        relay: server::RelayConfig {
            bandwidth: args.bandwidth,
            ..Default::default()
        },
    })
}

/// Where the generated CA went, and whether it is ours to remove at exit.
struct CaFile {
    path: PathBuf,
    remove_at_exit: bool,
}

/// Remove the generated CA's file if it is ours (the default path).
fn remove_ca(ca: Option<CaFile>) {
    if let Some(ca) = ca.filter(|c| c.remove_at_exit) {
        let _ = std::fs::remove_file(&ca.path);
    }
}

/// The TLS identity to serve, if any: from --tls-cert/--tls-key, or generated (its CA written
/// out). A bad file is a setup error (exit 2) naming it.
fn tls_identity(
    cert: &Option<PathBuf>,
    key: &Option<PathBuf>,
    kind: Option<TlsKind>,
    bind: IpAddr,
    ca_out: Option<PathBuf>,
) -> anyhow::Result<Option<(TlsIdentity, Option<CaFile>)>> {
    if let (Some(cert), Some(key)) = (cert, key) {
        let identity = TlsIdentity::from_pem_files(cert, key).context("--tls-cert/--tls-key")?;
        return Ok(Some((identity, None)));
    }
    let Some(TlsKind::SelfSigned) = kind else {
        return Ok(None);
    };
    let generated = TlsIdentity::self_signed(bind).context("--tls self-signed")?;
    let (path, remove_at_exit) = match ca_out {
        Some(p) => (p, false),
        None => {
            let name = format!("rotcheck-serve-ca-{}.pem", std::process::id());
            (std::env::temp_dir().join(name), true)
        }
    };
    std::fs::write(&path, generated.ca_pem.as_bytes())
        .with_context(|| format!("cannot write the CA certificate to {}", path.display()))?;
    Ok(Some((generated.identity, Some(CaFile { path, remove_at_exit }))))
}

/// Ctrl-C, or SIGTERM on Unix (what CI runners and `kill` send). The SIGTERM handler is
/// installed when this is called, not when the future is first polled: a caller that reads the
/// announcement and sends SIGTERM at once must find it in place (regression: the server died of
/// the signal instead, leaving its CA file behind).
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        #[cfg(unix)]
        if let Some(mut term) = term {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}
