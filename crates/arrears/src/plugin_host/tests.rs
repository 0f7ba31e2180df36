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
