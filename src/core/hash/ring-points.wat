;; The ring points of ring-points.ts: XXH64 (seed 0), SipHash-1-3 (keys 0, 0) and the loop over a
;; node's point keys, assembled by `npm run wasm` (wabt's wat2wasm, scripts/wasm.mjs) into
;; ring-points-wasm.ts; test/core/ring-points.test.ts checks that file is up to date.
;;
;; Why WebAssembly: building a ring hashes "<node>:<i>" for every virtual node, 15,000 keys for 100
;; nodes. In a fresh process that JavaScript runs in V8's interpreter before it is optimised, and it
;; was the largest single cost of a cold `locate` (~45 ms). WebAssembly is compiled before its first
;; call, with native 64-bit arithmetic. The hashes are those of xxh64.ts and siphash13.ts, checked
;; against them and the golden vectors in test/core/hash.test.ts.
(module
  (memory (export "memory") 1)

  ;; XXH64's round(acc, input) = rotl(acc + input·P2, 31)·P1
  (func $round (param $acc i64) (param $input i64) (result i64)
    local.get $acc
    local.get $input
    i64.const 0xc2b2ae3d27d4eb4f
    i64.mul
    i64.add
    i64.const 31
    i64.rotl
    i64.const 0x9e3779b185ebca87
    i64.mul)

  (func $xxh64 (export "xxh64") (param $p i32) (param $len i32) (result i64)
    (local $end i32) (local $limit i32) (local $h i64)
    (local $v1 i64) (local $v2 i64) (local $v3 i64) (local $v4 i64)
    local.get $p
    local.get $len
    i32.add
    local.set $end
    local.get $len
    i32.const 32
    i32.ge_u
    (if (result i64)
      (then
        local.get $end
        i32.const 32
        i32.sub
        local.set $limit
        i64.const 0x60ea27eeadc0b5d6 ;; P1 + P2
        local.set $v1
        i64.const 0xc2b2ae3d27d4eb4f ;; P2
        local.set $v2
        i64.const 0
        local.set $v3
        i64.const 0x61c8864e7a143579 ;; −P1
        local.set $v4
        (loop
          local.get $v1
          local.get $p
          i64.load
          call $round
          local.set $v1
          local.get $v2
          local.get $p
          i64.load offset=8
          call $round
          local.set $v2
          local.get $v3
          local.get $p
          i64.load offset=16
          call $round
          local.set $v3
          local.get $v4
          local.get $p
          i64.load offset=24
          call $round
          local.set $v4
          local.get $p
          i32.const 32
          i32.add
          local.tee $p
          local.get $limit
          i32.le_u
          br_if 0)
        local.get $v1
        i64.const 1
        i64.rotl
        local.get $v2
        i64.const 7
        i64.rotl
        i64.add
        local.get $v3
        i64.const 12
        i64.rotl
        i64.add
        local.get $v4
        i64.const 18
        i64.rotl
        i64.add
        ;; merge each lane: h = (h ^ round(0, v))·P1 + P4
        i64.const 0
        local.get $v1
        call $round
        i64.xor
        i64.const 0x9e3779b185ebca87
        i64.mul
        i64.const 0x85ebca77c2b2ae63
        i64.add
        i64.const 0
        local.get $v2
        call $round
        i64.xor
        i64.const 0x9e3779b185ebca87
        i64.mul
        i64.const 0x85ebca77c2b2ae63
        i64.add
        i64.const 0
        local.get $v3
        call $round
        i64.xor
        i64.const 0x9e3779b185ebca87
        i64.mul
        i64.const 0x85ebca77c2b2ae63
        i64.add
        i64.const 0
        local.get $v4
        call $round
        i64.xor
        i64.const 0x9e3779b185ebca87
        i64.mul
        i64.const 0x85ebca77c2b2ae63
        i64.add)
      (else
        i64.const 0x27d4eb2f165667c5)) ;; P5
    local.set $h
    local.get $h
    local.get $len
    i64.extend_i32_u
    i64.add
    local.set $h
    ;; 8-byte words
    (block
      (loop
        local.get $p
        i32.const 8
        i32.add
        local.get $end
        i32.gt_u
        br_if 1
        local.get $h
        i64.const 0
        local.get $p
        i64.load
        call $round
        i64.xor
        i64.const 27
        i64.rotl
        i64.const 0x9e3779b185ebca87
        i64.mul
        i64.const 0x85ebca77c2b2ae63
        i64.add
        local.set $h
        local.get $p
        i32.const 8
        i32.add
        local.set $p
        br 0))
    ;; a 4-byte word
    local.get $p
    i32.const 4
    i32.add
    local.get $end
    i32.le_u
    (if
      (then
        local.get $h
        local.get $p
        i64.load32_u
        i64.const 0x9e3779b185ebca87
        i64.mul
        i64.xor
        i64.const 23
        i64.rotl
        i64.const 0xc2b2ae3d27d4eb4f
        i64.mul
        i64.const 0x165667b19e3779f9
        i64.add
        local.set $h
        local.get $p
        i32.const 4
        i32.add
        local.set $p))
    ;; the last bytes
    (block
      (loop
        local.get $p
        local.get $end
        i32.ge_u
        br_if 1
        local.get $h
        local.get $p
        i64.load8_u
        i64.const 0x27d4eb2f165667c5
        i64.mul
        i64.xor
        i64.const 11
        i64.rotl
        i64.const 0x9e3779b185ebca87
        i64.mul
        local.set $h
        local.get $p
        i32.const 1
        i32.add
        local.set $p
        br 0))
    ;; avalanche
    local.get $h
    local.get $h
    i64.const 33
    i64.shr_u
    i64.xor
    local.set $h
    local.get $h
    i64.const 0xc2b2ae3d27d4eb4f
    i64.mul
    local.set $h
    local.get $h
    local.get $h
    i64.const 29
    i64.shr_u
    i64.xor
    local.set $h
    local.get $h
    i64.const 0x165667b19e3779f9
    i64.mul
    local.set $h
    local.get $h
    local.get $h
    i64.const 32
    i64.shr_u
    i64.xor
    local.set $h
    local.get $h)
  ;; SipHash-1-3 with the zero key, as Rust's DefaultHasher
  (func $sip13 (export "sip13") (param $p i32) (param $len i32) (result i64)
    (local $end i32) (local $v0 i64) (local $v1 i64) (local $v2 i64) (local $v3 i64)
    (local $m i64) (local $b i64) (local $k i32)
    ;; "somepseudorandomlygeneratedbytes", XORed with the zero key
    i64.const 0x736f6d6570736575
    local.set $v0
    i64.const 0x646f72616e646f6d
    local.set $v1
    i64.const 0x6c7967656e657261
    local.set $v2
    i64.const 0x7465646279746573
    local.set $v3
    local.get $p
    local.get $len
    i32.const -8
    i32.and
    i32.add
    local.set $end
    (block
      (loop
        local.get $p
        local.get $end
        i32.ge_u
        br_if 1
        local.get $p
        i64.load
        local.set $m
        local.get $v3
        local.get $m
        i64.xor
        local.set $v3
        ;; one SipRound
        local.get $v0
        local.get $v1
        i64.add
        local.set $v0
        local.get $v1
        i64.const 13
        i64.rotl
        local.get $v0
        i64.xor
        local.set $v1
        local.get $v0
        i64.const 32
        i64.rotl
        local.set $v0
        local.get $v2
        local.get $v3
        i64.add
        local.set $v2
        local.get $v3
        i64.const 16
        i64.rotl
        local.get $v2
        i64.xor
        local.set $v3
        local.get $v0
        local.get $v3
        i64.add
        local.set $v0
        local.get $v3
        i64.const 21
        i64.rotl
        local.get $v0
        i64.xor
        local.set $v3
        local.get $v2
        local.get $v1
        i64.add
        local.set $v2
        local.get $v1
        i64.const 17
        i64.rotl
        local.get $v2
        i64.xor
        local.set $v1
        local.get $v2
        i64.const 32
        i64.rotl
        local.set $v2
        local.get $v0
        local.get $m
        i64.xor
        local.set $v0
        local.get $p
        i32.const 8
        i32.add
        local.set $p
        br 0))
    ;; the last block: the tail bytes, and the length mod 256 in the top byte
    local.get $len
    i64.extend_i32_u
    i64.const 56
    i64.shl
    local.set $b
    i32.const 0
    local.set $k
    (block
      (loop
        local.get $k
        local.get $len
        i32.const 7
        i32.and
        i32.ge_u
        br_if 1
        local.get $b
        local.get $p
        local.get $k
        i32.add
        i64.load8_u
        local.get $k
        i64.extend_i32_u
        i64.const 3
        i64.shl
        i64.shl
        i64.or
        local.set $b
        local.get $k
        i32.const 1
        i32.add
        local.set $k
        br 0))
    local.get $v3
    local.get $b
    i64.xor
    local.set $v3
    ;; one SipRound
    local.get $v0
    local.get $v1
    i64.add
    local.set $v0
    local.get $v1
    i64.const 13
    i64.rotl
    local.get $v0
    i64.xor
    local.set $v1
    local.get $v0
    i64.const 32
    i64.rotl
    local.set $v0
    local.get $v2
    local.get $v3
    i64.add
    local.set $v2
    local.get $v3
    i64.const 16
    i64.rotl
    local.get $v2
    i64.xor
    local.set $v3
    local.get $v0
    local.get $v3
    i64.add
    local.set $v0
    local.get $v3
    i64.const 21
    i64.rotl
    local.get $v0
    i64.xor
    local.set $v3
    local.get $v2
    local.get $v1
    i64.add
    local.set $v2
    local.get $v1
    i64.const 17
    i64.rotl
    local.get $v2
    i64.xor
    local.set $v1
    local.get $v2
    i64.const 32
    i64.rotl
    local.set $v2
    local.get $v0
    local.get $b
    i64.xor
    local.set $v0
    local.get $v2
    i64.const 0xff
    i64.xor
    local.set $v2
    ;; three SipRounds
    local.get $v0
    local.get $v1
    i64.add
    local.set $v0
    local.get $v1
    i64.const 13
    i64.rotl
    local.get $v0
    i64.xor
    local.set $v1
    local.get $v0
    i64.const 32
    i64.rotl
    local.set $v0
    local.get $v2
    local.get $v3
    i64.add
    local.set $v2
    local.get $v3
    i64.const 16
    i64.rotl
    local.get $v2
    i64.xor
    local.set $v3
    local.get $v0
    local.get $v3
    i64.add
    local.set $v0
    local.get $v3
    i64.const 21
    i64.rotl
    local.get $v0
    i64.xor
    local.set $v3
    local.get $v2
    local.get $v1
    i64.add
    local.set $v2
    local.get $v1
    i64.const 17
    i64.rotl
    local.get $v2
    i64.xor
    local.set $v1
    local.get $v2
    i64.const 32
    i64.rotl
    local.set $v2
    local.get $v0
    local.get $v1
    i64.add
    local.set $v0
    local.get $v1
    i64.const 13
    i64.rotl
    local.get $v0
    i64.xor
    local.set $v1
    local.get $v0
    i64.const 32
    i64.rotl
    local.set $v0
    local.get $v2
    local.get $v3
    i64.add
    local.set $v2
    local.get $v3
    i64.const 16
    i64.rotl
    local.get $v2
    i64.xor
    local.set $v3
    local.get $v0
    local.get $v3
    i64.add
    local.set $v0
    local.get $v3
    i64.const 21
    i64.rotl
    local.get $v0
    i64.xor
    local.set $v3
    local.get $v2
    local.get $v1
    i64.add
    local.set $v2
    local.get $v1
    i64.const 17
    i64.rotl
    local.get $v2
    i64.xor
    local.set $v1
    local.get $v2
    i64.const 32
    i64.rotl
    local.set $v2
    local.get $v0
    local.get $v1
    i64.add
    local.set $v0
    local.get $v1
    i64.const 13
    i64.rotl
    local.get $v0
    i64.xor
    local.set $v1
    local.get $v0
    i64.const 32
    i64.rotl
    local.set $v0
    local.get $v2
    local.get $v3
    i64.add
    local.set $v2
    local.get $v3
    i64.const 16
    i64.rotl
    local.get $v2
    i64.xor
    local.set $v3
    local.get $v0
    local.get $v3
    i64.add
    local.set $v0
    local.get $v3
    i64.const 21
    i64.rotl
    local.get $v0
    i64.xor
    local.set $v3
    local.get $v2
    local.get $v1
    i64.add
    local.set $v2
    local.get $v1
    i64.const 17
    i64.rotl
    local.get $v2
    i64.xor
    local.set $v1
    local.get $v2
    i64.const 32
    i64.rotl
    local.set $v2
    local.get $v0
    local.get $v1
    i64.xor
    local.get $v2
    i64.xor
    local.get $v3
    i64.xor)

  ;; The points of one node: for i in [0, count) the hash of the Rust str "<prefix><i>" (the prefix
  ;; at $prefix, then the decimal digits of i, then 0xFF). Point i of this node is point base + i of
  ;; the ring: keys[base + i] = high·2^21 + base + i as a float64 (exact: < 2^53) for a native sort
  ;; by high half, then point index; los[base + i] = the low half.
  (func (export "points") (param $kind i32) (param $prefix i32) (param $prefixLen i32)
    (param $count i32) (param $keys i32) (param $los i32) (param $base i32)
    (local $i i32) (local $digits i32) (local $q i32) (local $len i32) (local $pos i32) (local $h i64)
    i32.const 0
    local.set $i
    (block
      (loop
        local.get $i
        local.get $count
        i32.ge_u
        br_if 1
        ;; how many digits i has
        i32.const 1
        local.set $digits
        local.get $i
        local.set $q
        (block
          (loop
            local.get $q
            i32.const 10
            i32.lt_u
            br_if 1
            local.get $q
            i32.const 10
            i32.div_u
            local.set $q
            local.get $digits
            i32.const 1
            i32.add
            local.set $digits
            br 0))
        local.get $prefixLen
        local.get $digits
        i32.add
        local.set $len
        local.get $prefix
        local.get $len
        i32.add
        local.set $pos
        local.get $i
        local.set $q
        ;; the digits, last first
        (loop
          local.get $pos
          i32.const 1
          i32.sub
          local.tee $pos
          local.get $q
          i32.const 10
          i32.rem_u
          i32.const 48
          i32.add
          i32.store8
          local.get $q
          i32.const 10
          i32.div_u
          local.tee $q
          br_if 0)
        local.get $prefix
        local.get $len
        i32.add
        i32.const 0xff
        i32.store8
        local.get $len
        i32.const 1
        i32.add
        local.set $len
        local.get $kind
        (if (result i64)
          (then
            local.get $prefix
            local.get $len
            call $sip13)
          (else
            local.get $prefix
            local.get $len
            call $xxh64))
        local.set $h
        local.get $keys
        local.get $base
        local.get $i
        i32.add
        i32.const 8
        i32.mul
        i32.add
        local.get $h
        i64.const 32
        i64.shr_u
        i64.const 21
        i64.shl
        local.get $base
        local.get $i
        i32.add
        i64.extend_i32_u
        i64.or
        f64.convert_i64_u
        f64.store
        local.get $los
        local.get $base
        local.get $i
        i32.add
        i32.const 4
        i32.mul
        i32.add
        local.get $h
        i32.wrap_i64
        i32.store
        local.get $i
        i32.const 1
        i32.add
        local.set $i
        br 0))))
