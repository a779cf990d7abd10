// The seed's Rust code doing `locate --stdin -o tsv`'s lookups: the reference that
// bench/stdin.js times `otlpctl` against. std only, built by the bench with a bare rustc:
//   rustc -O --edition 2021 bench/seed-locate.rs -o DIR/seed-locate-siphash13
//   rustc -O --edition 2021 --cfg xxh64 bench/seed-locate.rs -o DIR/seed-locate-xxh64
//   DIR/seed-locate-siphash13 node-1 node-2 node-3 node-4 < ids.txt > out.tsv
//
// Per input line "<trace-id> <unix-seconds>": the seed's `write_trace` placement, i.e.
// `ShardManager::get_nodes_for_trace(&trace, 3)`'s body — the composite partition, its
// `to_string()`, `ConsistentHashRing::get_nodes` — inlined only so the partition id is kept for
// the output line. The line is otlpctl's tsv (`<id>\t<RFC 3339>\t<partition>\t<leader>\t<nodes>`),
// so the bench checks both give the same bytes. The seed's code is test/golden/seed.rs,
// shared with the golden-vector generator; `--cfg xxh64` swaps its `DefaultHasher` for XXH64
// (seed 0), which is what `hash: xxh64` means (PRODUCT.md §2.2).

// The seed's metric and log keys come along with the shared code, unused here.
#![allow(dead_code)]

#[cfg(not(xxh64))]
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::io::{self, BufRead, BufWriter, Write};
use std::sync::{Arc, RwLock};

include!("../test/golden/seed.rs");

#[cfg(xxh64)]
use xxh64::Xxh64 as DefaultHasher;

/// XXH64 with seed 0 as a streaming `Hasher` (the reference algorithm, as the `twox-hash`
/// crate a Rust service would use implements it).
#[cfg(xxh64)]
mod xxh64 {
    const P1: u64 = 0x9E3779B185EBCA87;
    const P2: u64 = 0xC2B2AE3D27D4EB4F;
    const P3: u64 = 0x165667B19E3779F9;
    const P4: u64 = 0x85EBCA77C2B2AE63;
    const P5: u64 = 0x27D4EB2F165667C5;

    pub struct Xxh64 {
        v: [u64; 4],
        buf: [u8; 32],
        used: usize,
        total: u64,
    }

    fn round(acc: u64, input: u64) -> u64 {
        acc.wrapping_add(input.wrapping_mul(P2)).rotate_left(31).wrapping_mul(P1)
    }

    fn merge(acc: u64, v: u64) -> u64 {
        (acc ^ round(0, v)).wrapping_mul(P1).wrapping_add(P4)
    }

    fn u64_at(b: &[u8], i: usize) -> u64 {
        u64::from_le_bytes(b[i..i + 8].try_into().unwrap())
    }

    impl Xxh64 {
        pub fn new() -> Self {
            Xxh64 { v: [P1.wrapping_add(P2), P2, 0, 0u64.wrapping_sub(P1)], buf: [0; 32], used: 0, total: 0 }
        }

        fn stripe(&mut self, b: &[u8]) {
            for k in 0..4 {
                self.v[k] = round(self.v[k], u64_at(b, 8 * k));
            }
        }
    }

    impl std::hash::Hasher for Xxh64 {
        fn write(&mut self, mut bytes: &[u8]) {
            self.total += bytes.len() as u64;
            if self.used > 0 {
                let take = bytes.len().min(32 - self.used);
                self.buf[self.used..self.used + take].copy_from_slice(&bytes[..take]);
                self.used += take;
                bytes = &bytes[take..];
                if self.used < 32 {
                    return;
                }
                let b = self.buf;
                self.stripe(&b);
                self.used = 0;
            }
            while bytes.len() >= 32 {
                self.stripe(&bytes[..32]);
                bytes = &bytes[32..];
            }
            self.buf[..bytes.len()].copy_from_slice(bytes);
            self.used = bytes.len();
        }

        fn finish(&self) -> u64 {
            let v = self.v;
            let mut h = if self.total >= 32 {
                let h = v[0].rotate_left(1)
                    .wrapping_add(v[1].rotate_left(7))
                    .wrapping_add(v[2].rotate_left(12))
                    .wrapping_add(v[3].rotate_left(18));
                merge(merge(merge(merge(h, v[0]), v[1]), v[2]), v[3])
            } else {
                P5
            };
            h = h.wrapping_add(self.total);
            let rest = &self.buf[..self.used];
            let mut i = 0;
            while i + 8 <= rest.len() {
                h = (h ^ round(0, u64_at(rest, i))).rotate_left(27).wrapping_mul(P1).wrapping_add(P4);
                i += 8;
            }
            if i + 4 <= rest.len() {
                let w = u32::from_le_bytes(rest[i..i + 4].try_into().unwrap()) as u64;
                h = (h ^ w.wrapping_mul(P1)).rotate_left(23).wrapping_mul(P2).wrapping_add(P3);
                i += 4;
            }
            for &b in &rest[i..] {
                h = (h ^ (b as u64).wrapping_mul(P5)).rotate_left(11).wrapping_mul(P1);
            }
            h ^= h >> 33;
            h = h.wrapping_mul(P2);
            h ^= h >> 29;
            h = h.wrapping_mul(P3);
            h ^ (h >> 32)
        }
    }
}

/// RFC 3339 UTC to the second, as otlpctl prints times, written by hand: only the seed's own
/// code should allocate or format per line.
fn rfc3339(t: i64, out: &mut [u8; 20]) {
    let (y, m, d) = civil_date(t);
    let secs = t.rem_euclid(86400);
    let digits = |out: &mut [u8; 20], at: usize, width: usize, mut v: i64| {
        for i in (at..at + width).rev() {
            out[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    *out = *b"0000-00-00T00:00:00Z";
    digits(out, 0, 4, y);
    digits(out, 5, 2, m);
    digits(out, 8, 2, d);
    digits(out, 11, 2, secs / 3600);
    digits(out, 14, 2, secs / 60 % 60);
    digits(out, 17, 2, secs % 60);
}

fn parse_trace_id(h: &str) -> TraceId {
    let mut a = [0u8; 16];
    for i in 0..16 {
        a[i] = u8::from_str_radix(&h[2 * i..2 * i + 2], 16).expect("32 hex digits");
    }
    TraceId(a)
}

fn main() -> io::Result<()> {
    // `DistributedOtlpStorage::new`'s wiring (otlpctl's defaults are the seed's): hourly time
    // partitions, 256 hash partitions, 150 virtual nodes; nodes added in sorted order.
    let mut nodes: Vec<String> = std::env::args().skip(1).collect();
    nodes.sort();
    let time_partitioner = Arc::new(TimeRangePartitioner::new(1, 30));
    let hash_partitioner = Arc::new(HashPartitioner::new(256, 100));
    let composite_partitioner = CompositePartitioner::new(time_partitioner, hash_partitioner);
    let consistent_hash_ring = ConsistentHashRing::new(150);
    for node in &nodes {
        consistent_hash_ring.add_node(node.clone());
    }

    let mut input = io::stdin().lock();
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let mut line = String::new();
    let mut time = [0u8; 20];
    while {
        line.clear();
        input.read_line(&mut line)? > 0
    } {
        let mut fields = line.split_whitespace();
        let (Some(id), Some(ts)) = (fields.next(), fields.next()) else { continue };
        let trace = DistributedTrace { trace_id: parse_trace_id(id), timestamp: ts.parse().expect("unix seconds") };
        // The body of the seed's `get_nodes_for_trace`.
        let partition = composite_partitioner.get_partition_for_trace(&trace);
        let partition_key = partition.to_string();
        let nodes = consistent_hash_ring.get_nodes(&partition_key, 3);

        let mut lower = [0u8; 32];
        lower.copy_from_slice(&id.as_bytes()[..32]);
        lower.make_ascii_lowercase();
        rfc3339(trace.timestamp, &mut time);
        out.write_all(&lower)?;
        out.write_all(b"\t")?;
        out.write_all(&time)?;
        out.write_all(b"\t")?;
        out.write_all(partition_key.as_bytes())?;
        out.write_all(b"\t")?;
        out.write_all(nodes[0].as_bytes())?;
        for (i, n) in nodes.iter().enumerate() {
            out.write_all(if i == 0 { b"\t" } else { b"," })?;
            out.write_all(n.as_bytes())?;
        }
        out.write_all(b"\n")?;
    }
    out.flush()
}
