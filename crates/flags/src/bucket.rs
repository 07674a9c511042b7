//! Sticky percentage buckets: the same flag and targeting key land in the
//! same bucket on every replica, every run and every machine.
//!
//! The hash is MurmurHash3 (x86, 32 bit, seed 0) of the flag name followed
//! by the targeting key, the same input and hash flagd's `fractional`
//! operation uses, scaled to [`ROLLOUT_BUCKETS`] buckets. A key inside a
//! 10 % rollout therefore stays inside when the rollout grows to 20 %.

use daytwo_spec::ROLLOUT_BUCKETS;

/// The bucket (0 ≤ b < [`ROLLOUT_BUCKETS`]) of `targeting_key` for `flag`.
pub fn bucket(flag: &str, targeting_key: &str) -> u32 {
    let mut input = Vec::with_capacity(flag.len() + targeting_key.len());
    input.extend_from_slice(flag.as_bytes());
    input.extend_from_slice(targeting_key.as_bytes());
    let hash = murmur3_32(&input, 0);
    let bucket = (u64::from(hash) * u64::from(ROLLOUT_BUCKETS)) >> 32;
    bucket as u32
}

/// MurmurHash3 x86 32-bit.
pub fn murmur3_32(data: &[u8], seed: u32) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mut hash = seed;
    let mut blocks = data.chunks_exact(4);
    for block in &mut blocks {
        let mut k = u32::from_le_bytes([block[0], block[1], block[2], block[3]]);
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        hash ^= k;
        hash = hash
            .rotate_left(13)
            .wrapping_mul(5)
            .wrapping_add(0xe654_6b64);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        let mut k = 0u32;
        for (index, byte) in tail.iter().enumerate() {
            k |= u32::from(*byte) << (8 * index);
        }
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        hash ^= k;
    }
    hash ^= data.len() as u32;
    hash ^= hash >> 16;
    hash = hash.wrapping_mul(0x85eb_ca6b);
    hash ^= hash >> 13;
    hash = hash.wrapping_mul(0xc2b2_ae35);
    hash ^= hash >> 16;
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur3_matches_the_reference_vectors() {
        assert_eq!(murmur3_32(b"", 0), 0);
        assert_eq!(murmur3_32(b"", 1), 0x514e_28b7);
        assert_eq!(murmur3_32(b"hello", 0), 0x248b_fa47);
        assert_eq!(
            murmur3_32(b"The quick brown fox jumps over the lazy dog", 0),
            0x2e4f_f723
        );
        assert_eq!(murmur3_32(b"abc", 0), 0xb3dd_93fa);
    }

    #[test]
    fn buckets_are_in_range_and_depend_on_the_flag() {
        let a = bucket("checkout", "user-1");
        assert!(a < ROLLOUT_BUCKETS);
        assert_eq!(a, bucket("checkout", "user-1"));
        let differs = (0..100).any(|i| {
            let key = format!("user-{i}");
            bucket("checkout", &key) != bucket("search", &key)
        });
        assert!(differs);
    }
}
