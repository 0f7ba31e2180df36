//! A real PostgreSQL 15 cluster for a test: `initdb` and `pg_ctl` from `pg_config --bindir`,
//! run as the `postgres` user when the tests run as root (PostgreSQL refuses root), with the
//! data directory and the Unix socket in a temporary directory and `fsync=off`. Stopped when
//! dropped, a panicking test included.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub(crate) struct Postgres {
    dir: tempfile::TempDir,
    bindir: PathBuf,
    as_postgres: bool,
}

fn is_root() -> bool {
    let output = Command::new("id").arg("-u").output().expect("id -u");
    String::from_utf8_lossy(&output.stdout).trim() == "0"
}

impl Postgres {
    /// A new cluster, started.
    pub(crate) fn start() -> Postgres {
        let output = Command::new("pg_config")
            .arg("--bindir")
            .output()
            .expect("pg_config (PostgreSQL 15; .ci/run installs it)");
        let bindir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        let dir = tempfile::tempdir().expect("temporary directory");
        let as_postgres = is_root();
        if as_postgres {
            let status = Command::new("chown").arg("postgres").arg(dir.path()).status();
            assert!(status.expect("chown").success(), "chown postgres {:?}", dir.path());
        }
        let cluster = Postgres { dir, bindir, as_postgres };
        let data = cluster.data();
        cluster.tool("initdb", &["-D", &data, "-A", "trust", "-U", "postgres", "--no-sync"]);
        cluster.start_server();
        cluster
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// The socket directory.
    pub(crate) fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Runs a PostgreSQL tool as the cluster's owner and asserts success.
    fn tool(&self, name: &str, args: &[&str]) -> Output {
        let output = self.tool_unchecked(name, args);
        assert!(
            output.status.success(),
            "{name} {args:?}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    fn tool_unchecked(&self, name: &str, args: &[&str]) -> Output {
        let program = self.bindir.join(name);
        let mut command = if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        };
        command.args(args).output().unwrap_or_else(|error| panic!("{name}: {error}"))
    }

    /// Starts the server (again).
    pub(crate) fn start_server(&self) {
        // fsync off: a committed transaction survives the server's crash (the operating
        // system keeps the WAL it wrote), not the machine's, which no test simulates.
        let options = format!(
            "-c listen_addresses='' -c unix_socket_directories='{}' -c fsync=off \
             -c full_page_writes=off",
            self.socket_dir().display()
        );
        let log = self.dir.path().join("log").display().to_string();
        self.tool("pg_ctl", &["-D", &self.data(), "-o", &options, "-l", &log, "-w", "start"]);
    }

    /// Stops the server at once, as a crash would (no checkpoint; recovery on the next start).
    pub(crate) fn stop_immediately(&self) {
        self.tool("pg_ctl", &["-D", &self.data(), "-m", "immediate", "-w", "stop"]);
    }

    /// The connection string.
    pub(crate) fn dsn(&self) -> String {
        format!("host={} user=postgres dbname=postgres", self.socket_dir().display())
    }

    /// A client.
    pub(crate) fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.dsn(), postgres::NoTls).expect("connect to PostgreSQL")
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // Whatever state the test left it in: a stopped server makes this fail, harmlessly.
        let _ = self.tool_unchecked("pg_ctl", &["-D", &self.data(), "-m", "immediate", "stop"]);
    }
}
