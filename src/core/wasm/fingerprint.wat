;; freshml: the stripe loop of core/fingerprint.ts with WebAssembly SIMD (i32x4).
;; fingerprint.ts computes two XXH32 hashes (xxHash, 32-bit, as its published
;; specification defines it) of the same little-endian bytes with two seeds. XXH32
;; keeps four 32-bit accumulators, lane L taking the word at index ≡ L (mod 4) of
;; each 16-byte stripe:  acc = rotl(acc + word·PRIME32_2, 13)·PRIME32_1  (wrapping).
;; Here the four accumulators of hash A are the lanes of one i32x4 and those of
;; hash B of another, so a stripe is one load and two rounds. Integer multiply, add
;; and rotate wrap the same everywhere, so the accumulators are those of the JS
;; loop to the bit; fingerprint.ts does the rest (merge, tail words, avalanche).
;;
;; stripes(p, n, io): runs n stripes of 16 bytes from p.
;;   io: 8 i32 in and out, the accumulators of hash A (v1..v4) then of hash B.
(module
  (memory (export "memory") 1)
  (func (export "stripes") (param $p i32) (param $n i32) (param $io i32)
    (local $a v128) (local $b v128) (local $x v128) (local $p1 v128) (local $p2 v128) (local $end i32)
    (local.set $a (v128.load (local.get $io)))
    (local.set $b (v128.load offset=16 (local.get $io)))
    (local.set $p1 (i32x4.splat (i32.const 0x9e3779b1)))
    (local.set $p2 (i32x4.splat (i32.const 0x85ebca77)))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 4))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $x (i32x4.mul (v128.load (local.get $p)) (local.get $p2)))
        (local.set $a (i32x4.add (local.get $a) (local.get $x)))
        (local.set $b (i32x4.add (local.get $b) (local.get $x)))
        (local.set $a (i32x4.mul
          (v128.or (i32x4.shl (local.get $a) (i32.const 13)) (i32x4.shr_u (local.get $a) (i32.const 19)))
          (local.get $p1)))
        (local.set $b (i32x4.mul
          (v128.or (i32x4.shl (local.get $b) (i32.const 13)) (i32x4.shr_u (local.get $b) (i32.const 19)))
          (local.get $p1)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $next)))
    (v128.store (local.get $io) (local.get $a))
    (v128.store offset=16 (local.get $io) (local.get $b))))
