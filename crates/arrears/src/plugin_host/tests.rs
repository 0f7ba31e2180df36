use super::load::descriptor_size_read;

/// Checks how many bytes the host reads of a descriptor that declares `struct_size`.
fn check(struct_size: u32, expect: Option<usize>) {
    assert_eq!(descriptor_size_read(struct_size), expect, "struct_size {struct_size}");
}

#[test]
fn descriptor_sizes_round_down_to_a_known_abi_size() {
    // Below ABI 1.0's 104 bytes: too small.
    check(0, None);
    check(103, None);
    // ABI 1.0, and sizes that end inside 1.1's `reason_codes`: 1.0's entries only.
    check(104, Some(104));
    check(108, Some(104));
    check(111, Some(104));
    // ABI 1.1, and anything larger (a newer minor): the host's own entries.
    check(112, Some(112));
    check(116, Some(112));
    check(u32::MAX, Some(112));
}

/// The host writes borrowed requests (`ToRunnerRef`); the runner reads owned ones
/// (`ToRunner`): the two must encode alike, variant by variant.
#[test]
fn borrowed_and_owned_runner_requests_encode_alike() {
    use super::marshal::{AttributeValue, ScoreRequest};
    use super::runner::{decode, write_frame, ToRunner, ToRunnerRef};

    let frame = |request: &ToRunnerRef<'_>| {
        let mut bytes = Vec::new();
        write_frame(&mut bytes, request).unwrap();
        bytes.split_off(4)
    };
    let path = std::path::Path::new("/opt/plugin.so");
    let start = frame(&ToRunnerRef::Start { library: path, sha256: [7; 32], config: "a=1" });
    match decode::<ToRunner>(&start).unwrap() {
        ToRunner::Start { library, sha256, config } => {
            assert_eq!((library.as_path(), sha256, config.as_str()), (path, [7; 32], "a=1"));
        }
        other => panic!("{other:?}"),
    }
    let requests = vec![ScoreRequest {
        features: None,
        as_of: "2026-11-20".parse().ok(),
        attributes: vec![("x".into(), AttributeValue::Text("y".into()))],
    }];
    match decode::<ToRunner>(&frame(&ToRunnerRef::Score(&requests))).unwrap() {
        ToRunner::Score(decoded) => assert_eq!(decoded, requests),
        other => panic!("{other:?}"),
    }
    let propose = frame(&ToRunnerRef::Propose { requests: &[], histories: Some(&[]) });
    match decode::<ToRunner>(&propose).unwrap() {
        ToRunner::Propose { requests, histories } => {
            assert_eq!((requests.len(), histories), (0, Some(Vec::new())));
        }
        other => panic!("{other:?}"),
    }
}

/// A frame that announces more than the limit is refused before anything is allocated, and
/// one cut short is an error, not a hang.
#[test]
fn bad_frames_are_errors() {
    use super::runner::{read_frame, ANSWER_BYTES_MAX, FRAME_BYTES_MAX};

    let too_long = ((FRAME_BYTES_MAX + 1) as u32).to_le_bytes();
    let error = read_frame(&mut &too_long[..], FRAME_BYTES_MAX).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidData);
    // An answer: refused past its own, smaller limit.
    let too_long = ((ANSWER_BYTES_MAX + 1) as u32).to_le_bytes();
    let error = read_frame(&mut &too_long[..], ANSWER_BYTES_MAX).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidData);
    let cut = [5u8, 0, 0, 0, 1, 2];
    let error = read_frame(&mut &cut[..], FRAME_BYTES_MAX).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::UnexpectedEof);
    assert_eq!(read_frame(&mut &[][..], FRAME_BYTES_MAX).unwrap(), None);
}

/// The largest answers a runner can send (every field of every output at its widest, the
/// error message all replacement characters, the most reason codes declared) fit well within
/// `ANSWER_BYTES_MAX`, the host's limit on a runner's frames.
#[test]
fn the_largest_answers_fit_in_a_frame() {
    use arrears_plugin_sdk::abi;

    use super::ffi::{PROPOSAL_OUTPUT_ZERO, SCORE_OUTPUT_ZERO};
    use super::runner::{
        encode_frame, Answer, FromRunner, Started, WireProposal, WireScore, ANSWER_BYTES_MAX,
    };

    let message = "\u{fffd}".repeat(abi::ERROR_MESSAGE_BYTES_MAX);
    let mut score = SCORE_OUTPUT_ZERO;
    score.points = f64::MAX;
    score.reason_count = u32::MAX;
    for code in &mut score.reasons {
        code.len_bytes = u32::MAX;
        code.bytes = [0xff; abi::REASON_CODE_BYTES_MAX];
    }
    let scores = FromRunner::Scores(Answer {
        status: u32::MAX,
        message: message.clone(),
        outputs: (0..abi::BATCH_LEN_MAX).map(|_| WireScore::from_output(&score)).collect(),
        count: u64::MAX,
    });
    let mut proposal = PROPOSAL_OUTPUT_ZERO;
    proposal.at_unix_us = i64::MIN;
    proposal.request_index = u32::MAX;
    proposal.channel = u32::MAX;
    proposal.contact_point_index = u32::MAX;
    proposal.template_len_bytes = u32::MAX;
    proposal.template = [0xff; abi::TEMPLATE_BYTES_MAX];
    proposal.tone = u32::MAX;
    let proposals = FromRunner::Proposals(Answer {
        status: u32::MAX,
        message,
        outputs: (0..abi::PROPOSALS_MAX).map(|_| WireProposal::from_output(&proposal)).collect(),
        count: u64::MAX,
    });
    let started = FromRunner::Started(Started {
        name: "n".repeat(abi::STRING_BYTES_MAX),
        version: "v".repeat(abi::STRING_BYTES_MAX),
        capabilities: u32::MAX,
        declared_reasons: Some(vec![
            "r".repeat(abi::REASON_CODE_BYTES_MAX);
            abi::DECLARED_REASON_CODES_MAX
        ]),
    });
    for answer in [scores, proposals, started] {
        let len = encode_frame(&answer).unwrap().len();
        assert!(len * 4 < ANSWER_BYTES_MAX, "{len} bytes");
    }
}

/// A runner's standard error is read to its end whatever room the queue to the host's has:
/// a chunk that finds none is dropped, and once the queue takes chunks again one notice says
/// how many bytes were; a notice that finds no room either (at the runner's end here) is
/// dropped too, and the count returned covers both.
#[test]
fn a_runners_standard_error_is_read_to_its_end_and_what_finds_no_room_is_counted() {
    use super::isolated::forward_errors;
    use std::sync::mpsc;

    /// Five reads of a full buffer; the queue is emptied before the fourth.
    struct Reads {
        left: usize,
        queue: mpsc::Receiver<Vec<u8>>,
        taken: Vec<Vec<u8>>,
    }
    impl std::io::Read for Reads {
        fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
            if self.left == 0 {
                return Ok(0);
            }
            if self.left == 2 {
                self.taken.extend(self.queue.try_iter());
            }
            self.left -= 1;
            buffer.fill(b'0' + u8::try_from(self.left).unwrap());
            Ok(buffer.len())
        }
    }
    let (sender, queue) = mpsc::sync_channel(2);
    let mut reads = Reads { left: 5, queue, taken: Vec::new() };
    let dropped_bytes = forward_errors(&mut reads, &sender, 42);
    let mut taken = reads.taken;
    taken.extend(reads.queue.try_iter());
    let taken: Vec<String> = taken
        .iter()
        .map(|chunk| String::from_utf8_lossy(&chunk[..chunk.len().min(200)]).into())
        .collect();
    let chunk = |digit: char| digit.to_string().repeat(200);
    assert_eq!(
        taken,
        [
            chunk('4'),
            chunk('3'),
            "arrears: 8192 bytes of the standard error of plugin runner 42 dropped: the host's \
             standard error was not read in time\n"
                .to_owned(),
            chunk('1'),
        ]
    );
    assert_eq!(dropped_bytes, 2 * 8192);
}
