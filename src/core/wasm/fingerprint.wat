;; freshml: the four lanes of core/fingerprint.ts with WebAssembly SIMD (i32x4).
;; fingerprint.ts keeps four Fletcher-style lanes over the 32-bit words of the data,
;; lane L taking the words with index ≡ L (mod 4):  s1 += word + 0x9e3779b9; s2 += s1
;; (wrapping). Lane L is lane L of one i32x4, so four words take two adds. Integer
;; adds wrap the same everywhere, so the sums are those of the JS loop to the bit.
;;
;; lanes(p, groups, io): runs `groups` groups of four words from p.
;;   io: 8 i32 in and out, the s1 of lanes 0..3 then the s2 of lanes 0..3.
(module
  (memory (export "memory") 1)
  (func (export "lanes") (param $p i32) (param $groups i32) (param $io i32)
    (local $s1 v128) (local $s2 v128) (local $k v128) (local $end i32)
    (local.set $s1 (v128.load (local.get $io)))
    (local.set $s2 (v128.load offset=16 (local.get $io)))
    (local.set $k (i32x4.splat (i32.const 0x9e3779b9)))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $groups) (i32.const 4))))
    ;; Two groups per turn while they last.
    (block $pairs
      (loop $l2
        (br_if $pairs (i32.gt_u (i32.add (local.get $p) (i32.const 32)) (local.get $end)))
        (local.set $s1 (i32x4.add (local.get $s1) (i32x4.add (v128.load (local.get $p)) (local.get $k))))
        (local.set $s2 (i32x4.add (local.get $s2) (local.get $s1)))
        (local.set $s1 (i32x4.add (local.get $s1) (i32x4.add (v128.load offset=16 (local.get $p)) (local.get $k))))
        (local.set $s2 (i32x4.add (local.get $s2) (local.get $s1)))
        (local.set $p (i32.add (local.get $p) (i32.const 32)))
        (br $l2)))
    (if (i32.lt_u (local.get $p) (local.get $end))
      (then
        (local.set $s1 (i32x4.add (local.get $s1) (i32x4.add (v128.load (local.get $p)) (local.get $k))))
        (local.set $s2 (i32x4.add (local.get $s2) (local.get $s1)))))
    (v128.store (local.get $io) (local.get $s1))
    (v128.store offset=16 (local.get $io) (local.get $s2))))
