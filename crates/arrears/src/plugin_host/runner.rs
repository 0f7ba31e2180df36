//! The runner: the process an isolated plugin runs in, and the frames it exchanges with the
//! host over its standard input and output.
//!
//! Any binary can be a runner by calling [`serve`] from its `main` (the CLI ships one,
//! `arrears-plugin-runner`). The host starts it, sends one `Start` frame (the library's path,
//! its SHA-256 pin and the configuration), and the runner loads the library the same way the
//! in-process host does (`LoadedPlugin::load`: the file is read once, its bytes are checked
//! against the pin and loaded from a sealed memory file, never searched for), instantiates
//! it and answers with the plugin's descriptor. Then each frame is one batch call (at most
//! [`super::BATCH_LEN_MAX`] inputs), answered with the plugin's status, message and raw
//! outputs, unvalidated: the host validates them with the same code as in-process calls
//! (`marshal::check_scores`, `marshal::check_proposals`), so a runner that lies gains nothing.
//!
//! A frame is a 4-byte little-endian length and that many bytes of bincode 2 (standard
//! configuration). The runner exits when its input ends.

use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use arrears_core::case::ContactAttempt;
use arrears_core::strategy::ContactRequest;
use arrears_plugin_sdk::abi;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use super::ffi::Reply;
use super::instance::PluginInstance;
use super::load::{LoadedPlugin, PluginOptions};
use super::marshal::ScoreRequest;

/// The largest frame either side accepts, in bytes: a frame announcing more is a protocol
/// error (garbage), not an allocation. The requests the host sends may be this large (a batch
/// of contact requests with their histories).
pub(super) const FRAME_BYTES_MAX: usize = 256 * 1024 * 1024;

/// The largest frame the host accepts from a runner, in bytes: ten times the largest answer
/// (4,096 scores with four reason codes of 60 bytes, or 16,384 proposals, about 1.5 MiB; the
/// unit test `the_largest_answers_fit_in_a_frame` checks it). A plugin can write to its
/// runner's channel to the host: a frame announcing more is refused at its length, before the
/// host allocates or reads it, so a runner under its memory limit cannot make the host hold
/// hundreds of MiB.
pub(super) const ANSWER_BYTES_MAX: usize = 16 * 1024 * 1024;

const _: () = assert!(ANSWER_BYTES_MAX <= FRAME_BYTES_MAX);

/// What the host sends.
#[derive(Debug, Serialize, Deserialize)]
pub(super) enum ToRunner {
    /// Load this library (checked against the pin) and instantiate it with `config`.
    Start {
        /// The library's absolute path.
        library: PathBuf,
        /// The SHA-256 its bytes must have.
        sha256: [u8; 32],
        /// The configuration for `init`.
        config: String,
    },
    /// One `score_batch` call.
    Score(Vec<ScoreRequest>),
    /// One `propose_contacts_batch` call.
    Propose {
        /// The requests.
        requests: Vec<ContactRequest>,
        /// Their histories (empty for none); `None`: each request's own `history` (what the
        /// engine passes, sent once rather than twice).
        histories: Option<Vec<Vec<ContactAttempt>>>,
    },
}

/// [`ToRunner`] as the host writes it, borrowing what it sends (the same encoding: bincode
/// writes a slice as it writes a `Vec`, and a variant by its index).
#[derive(Debug, Serialize)]
pub(super) enum ToRunnerRef<'a> {
    /// [`ToRunner::Start`].
    Start {
        /// The library's absolute path.
        library: &'a Path,
        /// The SHA-256 its bytes must have.
        sha256: [u8; 32],
        /// The configuration for `init`.
        config: &'a str,
    },
    /// [`ToRunner::Score`].
    Score(&'a [ScoreRequest]),
    /// [`ToRunner::Propose`].
    Propose {
        /// The requests.
        requests: &'a [ContactRequest],
        /// Their histories, or `None` for each request's own.
        histories: Option<&'a [Vec<ContactAttempt>]>,
    },
}

/// What the runner answers.
#[derive(Debug, Serialize, Deserialize)]
pub(super) enum FromRunner {
    /// The plugin is loaded and instantiated.
    Started(Started),
    /// The plugin did not load or refused its configuration.
    StartFailed(StartFailure),
    /// The answer of a `Score` frame.
    Scores(Answer<WireScore>),
    /// The answer of a `Propose` frame.
    Proposals(Answer<WireProposal>),
    /// A frame the runner could not serve (a call before `Start`, an input over the ABI's
    /// limits that the host should have refused).
    Refused(String),
}

/// Why the plugin did not start in the runner: a pin mismatch keeps its type (the host
/// reports it as the in-process loader does), anything else is the error's text.
#[derive(Debug, Serialize, Deserialize)]
pub(super) enum StartFailure {
    /// The library's bytes do not have the pinned SHA-256 (hex digests).
    PinMismatch {
        /// The pin.
        expected: String,
        /// The file's.
        found: String,
    },
    /// Any other error, with its causes.
    Other(String),
}

impl std::fmt::Display for StartFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartFailure::PinMismatch { expected, found } => {
                write!(f, "the library has SHA-256 {found}, expected {expected}")
            }
            StartFailure::Other(text) => f.write_str(text),
        }
    }
}

/// The instantiated plugin's descriptor, as the host needs it.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Started {
    pub(super) name: String,
    pub(super) version: String,
    pub(super) capabilities: u32,
    pub(super) declared_reasons: Option<Vec<String>>,
}

/// A batch call's status, the plugin's message, its outputs as it left them, and the count
/// it reported.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Answer<T> {
    pub(super) status: u32,
    pub(super) message: String,
    pub(super) outputs: Vec<T>,
    pub(super) count: u64,
}

/// An `abi::ScoreOutput` on the wire: the reasons up to the count the plugin claimed (at most
/// the ABI's), each cut at its buffer; lengths and counts as the plugin wrote them, so the
/// host's checks see every lie.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct WireScore {
    points: f64,
    reason_count: u32,
    reasons: Vec<(u32, Vec<u8>)>,
}

/// An `abi::ContactProposalOutput` on the wire (the template cut at its buffer).
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct WireProposal {
    at_unix_us: i64,
    request_index: u32,
    channel: u32,
    contact_point_index: u32,
    template_len_bytes: u32,
    template: Vec<u8>,
    /// `TONE_*` (ABI 1.2).
    tone: u32,
}

impl WireScore {
    pub(super) fn from_output(output: &abi::ScoreOutput) -> WireScore {
        let used = (output.reason_count as usize).min(abi::REASONS_MAX);
        let reasons = output.reasons[..used]
            .iter()
            .map(|code| {
                let len = (code.len_bytes as usize).min(abi::REASON_CODE_BYTES_MAX);
                (code.len_bytes, code.bytes[..len].to_vec())
            })
            .collect();
        WireScore { points: output.points, reason_count: output.reason_count, reasons }
    }

    /// The output as the plugin wrote it (the bytes past what was sent are zero).
    pub(super) fn to_output(&self) -> abi::ScoreOutput {
        let mut output = super::ffi::SCORE_OUTPUT_ZERO;
        output.points = self.points;
        output.reason_count = self.reason_count;
        for (code, (len_bytes, bytes)) in output.reasons.iter_mut().zip(&self.reasons) {
            code.len_bytes = *len_bytes;
            let len = bytes.len().min(code.bytes.len());
            code.bytes[..len].copy_from_slice(&bytes[..len]);
        }
        output
    }
}

impl WireProposal {
    pub(super) fn from_output(output: &abi::ContactProposalOutput) -> WireProposal {
        let len = (output.template_len_bytes as usize).min(abi::TEMPLATE_BYTES_MAX);
        WireProposal {
            at_unix_us: output.at_unix_us,
            request_index: output.request_index,
            channel: output.channel,
            contact_point_index: output.contact_point_index,
            template_len_bytes: output.template_len_bytes,
            template: output.template[..len].to_vec(),
            tone: output.tone,
        }
    }

    /// The output as the plugin wrote it (the bytes past what was sent are zero).
    pub(super) fn to_output(&self) -> abi::ContactProposalOutput {
        let mut output = super::ffi::PROPOSAL_OUTPUT_ZERO;
        output.at_unix_us = self.at_unix_us;
        output.request_index = self.request_index;
        output.channel = self.channel;
        output.contact_point_index = self.contact_point_index;
        output.template_len_bytes = self.template_len_bytes;
        let len = self.template.len().min(output.template.len());
        output.template[..len].copy_from_slice(&self.template[..len]);
        output.tone = self.tone;
        output
    }
}

fn config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<FRAME_BYTES_MAX>()
}

/// The bytes of one frame holding `message`: its length, then its encoding.
///
/// # Errors
///
/// `InvalidData` if it does not encode or is larger than [`FRAME_BYTES_MAX`].
pub(super) fn encode_frame(message: &impl Serialize) -> io::Result<Vec<u8>> {
    let mut frame = vec![0u8; 4];
    bincode::serde::encode_into_std_write(message, &mut frame, config())
        .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error.to_string()))?;
    let len = u32::try_from(frame.len() - 4)
        .ok()
        .filter(|&len| len as usize <= FRAME_BYTES_MAX)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "frame too large"))?;
    frame[..4].copy_from_slice(&len.to_le_bytes());
    Ok(frame)
}

/// Writes one frame holding `message`.
pub(super) fn write_frame(output: &mut impl Write, message: &impl Serialize) -> io::Result<()> {
    output.write_all(&encode_frame(message)?)?;
    output.flush()
}

/// Reads one frame's bytes of at most `len_max` ([`FRAME_BYTES_MAX`] for requests,
/// [`ANSWER_BYTES_MAX`] for answers); `None` at the end of the input (before a frame starts).
///
/// # Errors
///
/// The input's, a frame cut short, or a length over `len_max` (`InvalidData`).
pub(super) fn read_frame(input: &mut impl Read, len_max: usize) -> io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    let mut read = 0;
    while read < len.len() {
        match input.read(&mut len[read..])? {
            0 if read == 0 => return Ok(None),
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            count => read += count,
        }
    }
    let len = u32::from_le_bytes(len) as usize;
    if len_max.min(FRAME_BYTES_MAX) < len {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a frame of {len} bytes, at most {len_max} are accepted"),
        ));
    }
    let mut bytes = vec![0u8; len];
    input.read_exact(&mut bytes)?;
    Ok(Some(bytes))
}

/// Decodes a frame's bytes.
///
/// # Errors
///
/// What bincode says is wrong with them, or trailing bytes.
pub(super) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let (value, used) =
        bincode::serde::decode_from_slice(bytes, config()).map_err(|error| error.to_string())?;
    if used != bytes.len() {
        return Err(format!("{} trailing bytes after the frame", bytes.len() - used));
    }
    Ok(value)
}

/// Serves the host on this process's standard input and output, until the input ends. The
/// frames go through a private copy of standard output, and descriptor 1 is pointed at
/// standard error, so whatever the plugin prints reaches the host's log, not the frames.
/// Call it from a runner binary's `main`:
///
/// ```no_run
/// fn main() -> std::process::ExitCode {
///     arrears::plugin_host::runner::serve()
/// }
/// ```
pub fn serve() -> std::process::ExitCode {
    watch_parent();
    let served = super::os::private_stdout()
        .and_then(|output| serve_on(BufReader::new(io::stdin().lock()), BufWriter::new(output)));
    match served {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            // Not `eprintln!`, which panics when the host no longer reads the pipe.
            let _ = writeln!(io::stderr().lock(), "arrears-plugin-runner: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// How often the runner checks that the host that started it still runs.
const PARENT_POLL: std::time::Duration = std::time::Duration::from_millis(100);

/// The exit code of a runner whose host ended while the plugin was busy.
const ORPHANED_EXIT_CODE: i32 = 3;

/// Ends the runner at once when the host that started it is gone (the runner is reparented):
/// a runner idle between calls ends by itself when its input does, but one busy in the
/// plugin (an endless loop) would otherwise run on forever, the leader of a process group of
/// its own that no terminal signal reaches. A thread of its own, checking every 100 ms.
fn watch_parent() {
    let parent = std::os::unix::process::parent_id();
    let watch = std::thread::Builder::new().name("arrears-runner-parent".into());
    let _ = watch.stack_size(64 * 1024).spawn(move || loop {
        std::thread::sleep(PARENT_POLL);
        if std::os::unix::process::parent_id() != parent {
            super::os::exit_now(ORPHANED_EXIT_CODE);
        }
    });
}

/// [`serve`] on the given input and output.
///
/// # Errors
///
/// The input's or output's, or a frame that does not decode (`InvalidData`).
pub fn serve_on(mut input: impl Read, mut output: impl Write) -> io::Result<()> {
    let mut instance: Option<PluginInstance> = None;
    while let Some(bytes) = read_frame(&mut input, FRAME_BYTES_MAX)? {
        let request: ToRunner =
            decode(&bytes).map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))?;
        let answer = match (request, &instance) {
            (ToRunner::Start { library, sha256, config }, _) => {
                match start(&library, sha256, &config) {
                    Ok(started) => {
                        let answer = FromRunner::Started(describe(&started));
                        instance = Some(started);
                        answer
                    }
                    Err(error) => FromRunner::StartFailed(error),
                }
            }
            (_, None) => FromRunner::Refused("a call before Start".to_owned()),
            (ToRunner::Score(requests), Some(instance)) => score(instance, &requests),
            (ToRunner::Propose { requests, histories }, Some(instance)) => {
                let histories = histories.unwrap_or_else(|| {
                    requests.iter().map(|request| request.history.clone()).collect()
                });
                propose(instance, &requests, &histories)
            }
        };
        write_frame(&mut output, &answer)?;
    }
    Ok(())
}

/// Loads and instantiates the plugin, or why not.
fn start(library: &Path, sha256: [u8; 32], config: &str) -> Result<PluginInstance, StartFailure> {
    let options = PluginOptions { sha256_pin: Some(sha256) };
    let instance =
        LoadedPlugin::load(library, &options).and_then(|plugin| plugin.instantiate(config));
    instance.map_err(|error| {
        if let super::PluginLoadError::PinMismatch { expected, found, .. } = error {
            return StartFailure::PinMismatch { expected, found };
        }
        let mut text = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            text.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        StartFailure::Other(text)
    })
}

fn describe(instance: &PluginInstance) -> Started {
    let plugin = instance.plugin();
    let mut declared_reasons: Option<Vec<String>> =
        instance.declared_reasons().map(|codes| codes.iter().cloned().collect());
    if let Some(codes) = declared_reasons.as_mut() {
        codes.sort();
    }
    Started {
        name: plugin.name().to_owned(),
        version: plugin.version().to_owned(),
        capabilities: plugin.capabilities(),
        declared_reasons,
    }
}

/// The answer of a call: the first `sent` outputs (the host pads the rest with zeroed ones).
fn answer<T, W>(
    reply: Reply<T>,
    message: String,
    sent: usize,
    wire: impl Fn(&T) -> W,
) -> Answer<W> {
    Answer {
        status: reply.status,
        message,
        outputs: reply.outputs.iter().take(sent).map(wire).collect(),
        count: reply.count as u64,
    }
}

fn score(instance: &PluginInstance, requests: &[ScoreRequest]) -> FromRunner {
    match instance.score_raw(requests) {
        Ok((reply, message)) => {
            // Every score is checked, whatever the count says: all are sent.
            let sent = reply.outputs.len();
            FromRunner::Scores(answer(reply, message, sent, WireScore::from_output))
        }
        Err(error) => FromRunner::Refused(error.to_string()),
    }
}

fn propose(
    instance: &PluginInstance,
    requests: &[ContactRequest],
    histories: &[Vec<ContactAttempt>],
) -> FromRunner {
    match instance.propose_raw(requests, histories) {
        Ok((reply, message)) => {
            // Only the proposals the plugin counted are read; the rest of the capacity is
            // zero on the host's side as it would be here.
            let sent = reply.count.min(reply.outputs.len());
            FromRunner::Proposals(answer(reply, message, sent, WireProposal::from_output))
        }
        Err(error) => FromRunner::Refused(error.to_string()),
    }
}
