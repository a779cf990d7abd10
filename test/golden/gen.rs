// Golden vectors for `hash: rust-siphash13` (PRODUCT.md §2.2–2.4), produced by real Rust.
//
// std only, so it builds with a bare `rustc`:
//   rustc -O test/golden/gen.rs -o test/golden/gen && ./test/golden/gen > test/golden/siphash13.json
//
// The structs, `hash_*` functions, `HashPartitioner`, `CompositePartition::to_string` and
// `ConsistentHashRing` (in seed.rs, pasted in below) are copied from the seed
// (shared/seed/000_45ad79bfea53d6de.txt) with only what needs chrono/serde removed: timestamps
// are unix seconds, and the time bucket string is formatted by hand as chrono's `%Y-%m-%d-%H`
// would. Inputs come from a fixed LCG, so the output is byte-for-byte deterministic. The schema
// is documented in README.md.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, RwLock};

// ---------------------------------------------------------------- seed code (copied)

// Kept in seed.rs, shared with bench/seed-locate.rs.
include!("seed.rs");

/// `TimeRangePartitioner::new(G, 30).get_partition(ts)`: `bucket_id = ts / (G * 3600)`.
fn get_time_partition(granularity_hours: u32, unix_seconds: i64) -> TimePartition {
    TimeRangePartitioner::new(granularity_hours, 30).get_partition(unix_seconds)
}

/// `DistributedOtlpStorage::new`'s wiring of the write path, steps 1–4 and 6.
fn seed_shard_manager(nodes: &[String]) -> (ShardManager, Arc<CompositePartitioner>) {
    // 1. 创建时间分区器（按小时）
    let time_partitioner = Arc::new(TimeRangePartitioner::new(
        1,  // 1小时一个分区
        30, // 保留30天
    ));

    // 2. 创建哈希分区器（256个哈希桶）
    let hash_partitioner = Arc::new(HashPartitioner::new(256, 100));

    // 3. 创建复合分区器
    let composite_partitioner = Arc::new(CompositePartitioner::new(time_partitioner, hash_partitioner));

    // 4. 创建一致性哈希环
    let consistent_hash_ring = Arc::new(ConsistentHashRing::new(150));
    for node in nodes {
        consistent_hash_ring.add_node(node.clone());
    }
    // Not seed code: no two virtual nodes share a point, so the insertion order (which decides
    // who owns a shared point in the BTreeMap) cannot matter for these vectors.
    assert_eq!(consistent_hash_ring.ring.read().unwrap().len(), nodes.len() * 150);

    // 6. 创建分片管理器
    let shard_manager = ShardManager::new(composite_partitioner.clone(), consistent_hash_ring);
    (shard_manager, composite_partitioner)
}

// ---------------------------------------------------------------- helpers (not seed code)

fn default_hash<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// A Hasher that records the bytes `#[derive(Hash)]` feeds it: the `stream` fields, so the
/// byte encoding itself (length prefixes, the 0xFF after a str) is checked, not just hashes.
#[derive(Default)]
struct Recorder(Vec<u8>);

impl Hasher for Recorder {
    fn write(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
    fn finish(&self) -> u64 {
        0
    }
}

fn stream<T: Hash + ?Sized>(value: &T) -> String {
    let mut r = Recorder::default();
    value.hash(&mut r);
    hex(&r.0)
}

/// Knuth's MMIX LCG; the top bits are the useful ones.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0
    }
    fn byte(&mut self) -> u8 {
        (self.next() >> 56) as u8
    }
    fn below(&mut self, n: u64) -> u64 {
        (self.next() >> 33) % n
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        write!(s, "{:02x}", b).unwrap();
    }
    s
}

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => write!(out, "\\u{:04x}", c as u32).unwrap(),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// chrono's `format("%Y-%m-%d-%H")` for a UTC unix time (civil-from-days, H. Hinnant).
fn time_bucket(unix_seconds: i64) -> String {
    let (y, m, d) = civil_date(unix_seconds);
    format!("{:04}-{:02}-{:02}-{:02}", y, m, d, unix_seconds.rem_euclid(86400) / 3600)
}

// ---------------------------------------------------------------- sections

fn bytes_section(rng: &mut Lcg) -> Vec<String> {
    // 0..=64 covers every tail length and block count near the 8-byte block size; the longer
    // ones check that only `length mod 256` enters SipHash's last block.
    let lengths: Vec<usize> = (0..=64).chain([100, 255, 256, 257, 1000, 4096]).collect();
    lengths
        .iter()
        .map(|&len| {
            let bytes: Vec<u8> = (0..len).map(|_| rng.byte()).collect();
            let mut hasher = DefaultHasher::new();
            hasher.write(&bytes);
            format!("{{\"hex\":\"{}\",\"hash\":\"{}\"}}", hex(&bytes), hasher.finish())
        })
        .collect()
}

const STRINGS: &[&str] = &[
    "",
    "a",
    "node-1:0",
    "partition_493000_0042",
    "checkout-service",
    "0123456789abcdef0123456789abcdef",
    "naïve-服务",
    "🚀 launch",
    "emoji 👩‍💻 zwj",
    "Ünïcödé ß ∑ 中文 日本語 한국어",
    "quote \" backslash \\ tab \t newline \n",
    "\u{7f}\u{80}\u{7ff}\u{800}\u{ffff}\u{10000}\u{10ffff}",
];

fn strings_section() -> Vec<String> {
    STRINGS
        .iter()
        .map(|&s| {
            format!(
                "{{\"s\":{},\"stream\":\"{}\",\"hash\":\"{}\"}}",
                json_str(s),
                stream(s),
                default_hash(s)
            )
        })
        .collect()
}

fn trace_ids_section(rng: &mut Lcg) -> Vec<String> {
    let p256 = HashPartitioner::new(256, 150);
    let p1000 = HashPartitioner::new(1000, 150);
    let mut ids: Vec<[u8; 16]> = vec![[0u8; 16], [0xff; 16], {
        // The W3C spec's example trace id.
        let h = "4bf92f3577b34da6a3ce929d0e0e4736";
        let mut a = [0u8; 16];
        for i in 0..16 {
            a[i] = u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap();
        }
        a
    }];
    while ids.len() < 200 {
        let mut a = [0u8; 16];
        for b in a.iter_mut() {
            *b = rng.byte();
        }
        ids.push(a);
    }
    ids.iter()
        .map(|a| {
            let id = TraceId(*a);
            format!(
                "{{\"trace_id\":\"{}\",\"stream\":\"{}\",\"hash\":\"{}\",\"bucket_256\":{},\"bucket_1000\":{}}}",
                hex(a),
                stream(&id),
                default_hash(&id),
                p256.get_partition_for_trace(&id),
                p1000.get_partition_for_trace(&id)
            )
        })
        .collect()
}

fn ring_case(rng: &mut Lcg, node_count: usize, virtual_nodes: usize, extra_replica_counts: &[usize]) -> String {
    let nodes: Vec<String> = (1..=node_count).map(|i| format!("node-{}", i)).collect();
    let ring = ConsistentHashRing::new(virtual_nodes);
    for n in &nodes {
        ring.add_node(n.clone());
    }
    let map = ring.ring.read().unwrap();
    let points: Vec<String> = map
        .iter()
        .take(20)
        .map(|(h, n)| format!("{{\"hash\":\"{}\",\"node\":{}}}", h, json_str(n)))
        .collect();
    let point_count = map.len();
    drop(map);

    let mut queries: Vec<(String, usize)> = Vec::new();
    for k in 0..100u64 {
        // An hour's bucket near 2026 at G = 1, and a hash bucket of a 256- or 1000-way split.
        let ts = 1_774_800_000i64 + (k as i64) * 3600 + rng.below(3600) as i64;
        let hash_partition = rng.below(if k % 2 == 0 { 256 } else { 1000 }) as usize;
        let p = CompositePartition { time_partition: get_time_partition(1, ts), hash_partition };
        queries.push((p.to_string(), 3));
    }
    for (i, &rc) in extra_replica_counts.iter().enumerate() {
        queries.push((format!("partition_{}_{:04}", 493000 + i, i * 37), rc));
    }
    let replicas: Vec<String> = queries
        .iter()
        .map(|(key, rc)| {
            let got: Vec<String> = ring.get_nodes(key, *rc).iter().map(|n| json_str(n)).collect();
            format!(
                "{{\"key\":{},\"key_hash\":\"{}\",\"replica_count\":{},\"nodes\":[{}]}}",
                json_str(key),
                ring.hash_string(key),
                rc,
                got.join(",")
            )
        })
        .collect();
    let node_list: Vec<String> = nodes.iter().map(|n| json_str(n)).collect();
    format!(
        "{{\"nodes\":[{}],\"virtual_nodes\":{},\"point_count\":{},\"points\":[\n      {}\n    ],\"replicas\":[\n      {}\n    ]}}",
        node_list.join(","),
        virtual_nodes,
        point_count,
        points.join(",\n      "),
        replicas.join(",\n      ")
    )
}

const SERVICES: &[&str] = &["checkout", "cart-service", "payment", "frontend", "naïve-服务", "auth", ""];
const METRICS: &[&str] = &[
    "http.server.request.duration",
    "process.cpu.time",
    "db.client.connections.usage",
    "queue_depth",
    "jvm.memory.used",
];
const LABEL_KEYS: &[&str] = &["http.method", "http.route", "status_code", "region", "host.name", "Zone", "é"];
const LABEL_VALUES: &[&str] = &["GET", "POST", "/api/v1/cart", "200", "500", "eu-west-1", "ip-10-0-0-1", "", "中"];
const BODIES: &[&str] = &[
    "user logged in",
    "payment failed: card declined",
    "",
    "{\"event\":\"order_created\",\"id\":42}",
    "GC pause 12ms",
    "naïve-服务 ⚠️ retry 3/5",
];
const SEVERITIES: &[SeverityLevel] = &[
    SeverityLevel::Trace,
    SeverityLevel::Debug,
    SeverityLevel::Info,
    SeverityLevel::Warn,
    SeverityLevel::Error,
    SeverityLevel::Fatal,
];

fn timestamp(rng: &mut Lcg) -> i64 {
    // 2024-01-01 .. ~2027, plus the epoch itself once in a while.
    if rng.below(10) == 0 { rng.below(86400) as i64 } else { 1_704_067_200 + rng.below(100_000_000) as i64 }
}

fn metric_keys_section(rng: &mut Lcg) -> Vec<String> {
    let p256 = HashPartitioner::new(256, 150);
    (0..50)
        .map(|_| {
            let ts = timestamp(rng);
            let mut labels: HashMap<String, String> = HashMap::new();
            for _ in 0..rng.below(5) {
                labels.insert(rng.pick(LABEL_KEYS).to_string(), rng.pick(LABEL_VALUES).to_string());
            }
            let mut sorted: Vec<(&String, &String)> = labels.iter().collect();
            sorted.sort();
            let labels_json: Vec<String> =
                sorted.iter().map(|(k, v)| format!("[{},{}]", json_str(k), json_str(v))).collect();
            // The label stream, recorded the way hash_labels feeds its hasher.
            let mut rec = Recorder::default();
            for (k, v) in &sorted {
                k.hash(&mut rec);
                v.hash(&mut rec);
            }
            let key = MetricPartitionKey {
                name: rng.pick(METRICS).to_string(),
                service_name: rng.pick(SERVICES).to_string(),
                time_bucket: time_bucket(ts),
                label_hash: MetricPartitionKey::hash_labels(&labels),
            };
            format!(
                "{{\"timestamp\":{},\"name\":{},\"service_name\":{},\"time_bucket\":{},\"labels\":[{}],\"labels_stream\":\"{}\",\"label_hash\":\"{}\",\"stream\":\"{}\",\"key_hash\":\"{}\",\"bucket_256\":{}}}",
                ts,
                json_str(&key.name),
                json_str(&key.service_name),
                json_str(&key.time_bucket),
                labels_json.join(","),
                hex(&rec.0),
                key.label_hash,
                stream(&key),
                default_hash(&key),
                p256.get_partition_for_metric(&key)
            )
        })
        .collect()
}

fn log_keys_section(rng: &mut Lcg) -> Vec<String> {
    let p256 = HashPartitioner::new(256, 150);
    (0..50)
        .map(|_| {
            let ts = timestamp(rng);
            let body_text = rng.pick(BODIES).to_string();
            let severity = SEVERITIES[rng.below(SEVERITIES.len() as u64) as usize].clone();
            let body = LogBody::String(body_text.clone());
            let key = LogPartitionKey {
                service_name: rng.pick(SERVICES).to_string(),
                time_bucket: time_bucket(ts),
                severity_level: severity as u8,
                content_hash: LogPartitionKey::hash_content(&body),
            };
            format!(
                "{{\"timestamp\":{},\"service_name\":{},\"time_bucket\":{},\"severity_level\":{},\"body\":{},\"body_stream\":\"{}\",\"content_hash\":\"{}\",\"stream\":\"{}\",\"key_hash\":\"{}\",\"bucket_256\":{}}}",
                ts,
                json_str(&key.service_name),
                json_str(&key.time_bucket),
                key.severity_level,
                json_str(&body_text),
                stream(body_text.as_str()),
                key.content_hash,
                stream(&key),
                default_hash(&key),
                p256.get_partition_for_log(&key)
            )
        })
        .collect()
}

const Y2020: i64 = 1_577_836_800; // 2020-01-01T00:00:00Z
const Y2030: i64 = 1_893_456_000; // 2030-01-01T00:00:00Z

/// `write_trace`'s placement, `shard_manager.get_nodes_for_trace(&trace, 3)`, for `count` traces
/// on a ring of `node-1`…`node-<node_count>` added in sorted (string) order.
fn locate_section(rng: &mut Lcg, node_count: usize, count: usize) -> Vec<String> {
    let mut nodes: Vec<String> = (1..=node_count).map(|i| format!("node-{}", i)).collect();
    nodes.sort();
    let (shard_manager, composite_partitioner) = seed_shard_manager(&nodes);

    let random_id = |rng: &mut Lcg| {
        let mut a = [0u8; 16];
        for b in a.iter_mut() {
            *b = rng.byte();
        }
        a
    };
    let mut cases: Vec<([u8; 16], i64)> = Vec::new();
    // The W3C example id and all-ones (the all-zero id is invalid in W3C, so it is left out).
    let w3c = {
        let h = "4bf92f3577b34da6a3ce929d0e0e4736";
        let mut a = [0u8; 16];
        for i in 0..16 {
            a[i] = u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap();
        }
        a
    };
    // Fixed instants: the ends of the span, and 2026-11-27T11:00:00Z (bucket 498827).
    for &ts in &[Y2020, Y2020 - 1, Y2030 - 1, Y2030 - 3600, 1_795_777_200, 1_795_777_199] {
        cases.push((w3c, ts));
    }
    cases.push(([0xff; 16], Y2020 + 12 * 3600));
    // Hour boundaries: the same trace exactly on an hour and one second before it (the bucket
    // changes, the hash partition does not).
    for _ in 0..count / 20 {
        let id = random_id(rng);
        let hour = (Y2020 + rng.below((Y2030 - Y2020) as u64) as i64) / 3600;
        cases.push((id, hour * 3600));
        cases.push((id, hour * 3600 - 1));
    }
    // The rest: anywhere from 2020 to 2030.
    while cases.len() < count {
        let id = random_id(rng);
        cases.push((id, Y2020 + rng.below((Y2030 - Y2020) as u64) as i64));
    }

    cases
        .iter()
        .map(|&(a, timestamp)| {
            let trace = DistributedTrace { trace_id: TraceId(a), timestamp };
            let partition_id = composite_partitioner.get_partition_for_trace(&trace).to_string();
            let got = shard_manager.get_nodes_for_trace(&trace, 3).unwrap();
            let got: Vec<String> = got.iter().map(|n| json_str(n)).collect();
            format!(
                "{{\"trace_id\":\"{}\",\"timestamp\":{},\"partition_id\":{},\"nodes\":[{}]}}",
                hex(&a),
                timestamp,
                json_str(&partition_id),
                got.join(",")
            )
        })
        .collect()
}

fn section(name: &str, items: &[String]) -> String {
    format!("  \"{}\": [\n    {}\n  ]", name, items.join(",\n    "))
}

fn main() {
    let mut rng = Lcg(0x6f746c70_63746c21); // "otlpctl!"
    let bytes = bytes_section(&mut rng);
    let strings = strings_section();
    let trace_ids = trace_ids_section(&mut rng);
    let ring = vec![
        ring_case(&mut rng, 1, 150, &[]),
        ring_case(&mut rng, 3, 150, &[]),
        ring_case(&mut rng, 4, 150, &[5, 5, 5]),
        ring_case(&mut rng, 16, 150, &[]),
        ring_case(&mut rng, 3, 10, &[]),
    ];
    let metric_keys = metric_keys_section(&mut rng);
    let log_keys = log_keys_section(&mut rng);
    // Its own generator, so these sections leave the ones above untouched.
    let mut rng = Lcg(0x6c6f6361_74652121); // "locate!!"
    let locate = locate_section(&mut rng, 5, 300);
    let locate_16 = locate_section(&mut rng, 16, 100);

    println!("{{");
    println!("  \"schema\": \"otlpctl-golden/siphash13/v1\",");
    println!("  \"generator\": \"test/golden/gen.rs (see test/golden/README.md)\",");
    println!("  \"hasher\": \"std::collections::hash_map::DefaultHasher::new() = SipHash-1-3, keys (0, 0)\",");
    println!("{},", section("bytes", &bytes));
    println!("{},", section("strings", &strings));
    println!("{},", section("trace_ids", &trace_ids));
    println!("{},", section("ring", &ring));
    println!("{},", section("metric_keys", &metric_keys));
    println!("{},", section("log_keys", &log_keys));
    println!("{},", section("locate", &locate));
    println!("{}", section("locate_16", &locate_16));
    println!("}}");
}
