//! Unit tests of the manifest, the stable hash and portfolio ids.
