// The seed's partitioning code (shared/seed/000_45ad79bfea53d6de.txt), copied as literally as
// std allows (see README.md). Pasted with `include!` into `gen.rs` (the golden vectors) and
// `bench/seed-locate.rs` (the Rust reference of `bench/stdin.js`), so both run the same code.
// The including file brings the imports, `DefaultHasher` among them: std's for the golden
// vectors; std's or an XXH64 for the bench.

#[derive(Debug, Clone, Hash, PartialEq, Eq)]
pub struct TraceId([u8; 16]);

#[derive(Debug, Clone, Hash, PartialEq, Eq)]
pub struct MetricPartitionKey {
    pub name: String,
    pub service_name: String,
    pub time_bucket: String,
    pub label_hash: u64,
}

impl MetricPartitionKey {
    fn hash_labels(labels: &HashMap<String, String>) -> u64 {
        let mut hasher = DefaultHasher::new();

        // 按 key 排序以保证一致性
        let mut keys: Vec<_> = labels.keys().collect();
        keys.sort();

        for key in keys {
            key.hash(&mut hasher);
            labels[key].hash(&mut hasher);
        }

        hasher.finish()
    }
}

#[derive(Debug, Clone)]
pub enum LogBody {
    String(String),
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SeverityLevel {
    Trace = 1,
    Debug = 5,
    Info = 9,
    Warn = 13,
    Error = 17,
    Fatal = 21,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq)]
pub struct LogPartitionKey {
    pub service_name: String,
    pub time_bucket: String,
    pub severity_level: u8,
    pub content_hash: u64,
}

impl LogPartitionKey {
    fn hash_content(body: &LogBody) -> u64 {
        let mut hasher = DefaultHasher::new();
        match body {
            LogBody::String(s) => s.hash(&mut hasher),
        }
        hasher.finish()
    }
}

pub struct HashPartitioner {
    num_partitions: usize,
    #[allow(dead_code)]
    virtual_nodes: usize,
}

impl HashPartitioner {
    pub fn new(num_partitions: usize, virtual_nodes: usize) -> Self {
        Self { num_partitions, virtual_nodes }
    }

    pub fn get_partition_for_trace(&self, trace_id: &TraceId) -> usize {
        self.hash(trace_id) % self.num_partitions
    }

    pub fn get_partition_for_metric(&self, key: &MetricPartitionKey) -> usize {
        self.hash(key) % self.num_partitions
    }

    pub fn get_partition_for_log(&self, key: &LogPartitionKey) -> usize {
        self.hash(key) % self.num_partitions
    }

    fn hash<T: std::hash::Hash>(&self, value: &T) -> usize {
        let mut hasher = DefaultHasher::new();
        value.hash(&mut hasher);
        hasher.finish() as usize
    }
}

/// The seed's `TimeRangePartitioner`, with `DateTime<Utc>` replaced by unix seconds (`i64`,
/// what chrono's `timestamp()` returns): `get_partition` is the seed's arithmetic verbatim.
pub struct TimeRangePartitioner {
    granularity_hours: u32,
    #[allow(dead_code)]
    retention_days: u32,
}

impl TimeRangePartitioner {
    pub fn new(granularity_hours: u32, retention_days: u32) -> Self {
        Self { granularity_hours, retention_days }
    }

    pub fn get_partition(&self, timestamp: i64) -> TimePartition {
        let hour_bucket = timestamp / (self.granularity_hours as i64 * 3600);

        TimePartition {
            bucket_id: hour_bucket,
            start_time: hour_bucket * self.granularity_hours as i64 * 3600,
            end_time: (hour_bucket + 1) * self.granularity_hours as i64 * 3600,
        }
    }
}

/// The seed's `TimePartition`; start/end are unix seconds instead of `DateTime<Utc>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TimePartition {
    pub bucket_id: i64,
    pub start_time: i64,
    pub end_time: i64,
}

/// The seed's `DistributedTrace`, reduced to the two fields `get_partition_for_trace` reads
/// (`spans`, `resource` and `partition_key` are never looked at on the write path).
pub struct DistributedTrace {
    pub trace_id: TraceId,
    /// `DateTime<Utc>` in the seed; unix seconds here.
    pub timestamp: i64,
}

pub struct CompositePartitioner {
    time_partitioner: Arc<TimeRangePartitioner>,
    hash_partitioner: Arc<HashPartitioner>,
}

impl CompositePartitioner {
    pub fn new(time_partitioner: Arc<TimeRangePartitioner>, hash_partitioner: Arc<HashPartitioner>) -> Self {
        Self { time_partitioner, hash_partitioner }
    }

    pub fn get_partition_for_trace(&self, trace: &DistributedTrace) -> CompositePartition {
        let time_partition = self.time_partitioner.get_partition(trace.timestamp);
        let hash_partition = self.hash_partitioner.get_partition_for_trace(&trace.trace_id);

        CompositePartition { time_partition, hash_partition }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CompositePartition {
    pub time_partition: TimePartition,
    pub hash_partition: usize,
}

impl CompositePartition {
    pub fn to_string(&self) -> String {
        format!("partition_{}_{:04}", self.time_partition.bucket_id, self.hash_partition)
    }
}

pub struct ConsistentHashRing {
    ring: Arc<RwLock<BTreeMap<u64, String>>>,
    virtual_nodes_per_node: usize,
}

impl ConsistentHashRing {
    pub fn new(virtual_nodes_per_node: usize) -> Self {
        Self { ring: Arc::new(RwLock::new(BTreeMap::new())), virtual_nodes_per_node }
    }

    pub fn add_node(&self, node_id: String) {
        let mut ring = self.ring.write().unwrap();

        for i in 0..self.virtual_nodes_per_node {
            let virtual_node_key = format!("{}:{}", node_id, i);
            let hash = self.hash_string(&virtual_node_key);
            ring.insert(hash, node_id.clone());
        }
    }

    pub fn get_nodes(&self, key: &str, replica_count: usize) -> Vec<String> {
        let ring = self.ring.read().unwrap();

        if ring.is_empty() {
            return Vec::new();
        }

        let hash = self.hash_string(key);
        let mut nodes = Vec::new();
        let mut seen = std::collections::HashSet::new();

        // 从 hash 位置开始遍历
        for (_, node_id) in ring.range(hash..) {
            if seen.insert(node_id.clone()) {
                nodes.push(node_id.clone());
                if nodes.len() >= replica_count {
                    return nodes;
                }
            }
        }

        // 环形，从头继续
        for (_, node_id) in ring.iter() {
            if seen.insert(node_id.clone()) {
                nodes.push(node_id.clone());
                if nodes.len() >= replica_count {
                    return nodes;
                }
            }
        }

        nodes
    }

    fn hash_string(&self, s: &str) -> u64 {
        let mut hasher = DefaultHasher::new();
        s.hash(&mut hasher);
        hasher.finish()
    }
}

/// The seed's `ShardManager` without `metadata_service` (which `get_nodes_for_trace` does not
/// use). `get_nodes_for_trace` is `async` in the seed but awaits nothing; here it is plain.
pub struct ShardManager {
    composite_partitioner: Arc<CompositePartitioner>,
    consistent_hash_ring: Arc<ConsistentHashRing>,
}

impl ShardManager {
    pub fn new(composite_partitioner: Arc<CompositePartitioner>, consistent_hash_ring: Arc<ConsistentHashRing>) -> Self {
        Self { composite_partitioner, consistent_hash_ring }
    }

    pub fn get_nodes_for_trace(&self, trace: &DistributedTrace, replica_count: usize) -> Result<Vec<String>, String> {
        // 1. 计算复合分区
        let partition = self.composite_partitioner.get_partition_for_trace(trace);
        let partition_key = partition.to_string();

        // 2. 使用一致性哈希查找节点
        let nodes = self.consistent_hash_ring.get_nodes(&partition_key, replica_count);

        if nodes.is_empty() {
            return Err("No available nodes".to_string());
        }

        Ok(nodes)
    }
}

// ---------------------------------------------------------------- not seed code

/// The UTC (year, month, day) of a unix time, which chrono computes for the seed's formats
/// (civil-from-days, H. Hinnant).
fn civil_date(unix_seconds: i64) -> (i64, i64, i64) {
    let z = unix_seconds.div_euclid(86400) + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + if m <= 2 { 1 } else { 0 }, m, d)
}
